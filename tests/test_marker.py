"""The article marker: it names the post (its path) and the version (its content hash)."""

from __future__ import annotations

from pathlib import Path

from tests.gitrepo import commit_all, config, init_repo, post, write
from wxsync.config import load_settings
from wxsync.engine import marker
from wxsync.engine.state import Intent, load, now_iso, save
from wxsync.engine.sync import Engine
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.client import Article, WeChatClient
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer

ENV = {"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET}
HASH = "0123456789abcdef" + "f" * 48


def test_marker_names_the_post_and_the_version() -> None:
    html = marker.mark("<section><p>正文</p></section>", marker.marker_for("content/a.md", HASH))
    (found,) = marker.markers_in(html)
    assert found.is_post("content/a.md") and not found.is_post("content/b.md")
    assert found.is_version(HASH) and not found.is_version("f" * 64)
    assert html.startswith(
        f'<section id="wxsync-{marker.post_key("content/a.md")}-0123456789abcdef"'
    )
    assert len(html) - len("<section><p>正文</p></section>") == marker.LENGTH


def test_old_markers_without_a_post_part_are_still_read() -> None:
    (old,) = marker.markers_in('<section id="wxsync-0123456789abcdef"><p>x</p></section>')
    assert old.post == "" and old.is_version(HASH)
    assert not old.is_post("content/a.md")


def test_image_names_and_other_ids_are_not_markers() -> None:
    html = '<img src="wxsync-0123456789abcdef.png"><p id="wxsync-math">x</p>'
    assert marker.markers_in(html) == [] and not marker.has_any(html)


def test_drafts_carry_the_marker_of_their_post(
    tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    root = init_repo(tmp_path / "blog")
    write(root / "wxsync.yml", config(emulator.base_url, mode="draft"))
    write(root / "content/a.md", post("甲"))
    commit_all(root)
    Engine(load_settings(root, environ=ENV)).run()
    record = load(root / ".wxsync/state.json").posts["content/a.md"]
    (draft,) = control.state()["drafts"]
    (found,) = marker.markers_in(draft["articles"][0]["content"])
    assert found.is_post("content/a.md") and found.is_version(record.hash)


def test_an_interrupted_draft_carrying_an_old_marker_is_adopted_not_repeated(
    tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    """A draft/add made by a version of wxsync before post markers, whose answer was lost."""
    root = init_repo(tmp_path / "blog")
    write(root / "wxsync.yml", config(emulator.base_url, mode="draft"))
    write(root / "content/a.md", post("甲"))
    commit_all(root)
    settings = load_settings(root, environ=ENV)
    Engine(settings).run()
    state = load(settings.state_path)
    record = state.posts["content/a.md"]
    client = WeChatClient(DEFAULT_APPID, DEFAULT_SECRET, base_url=emulator.base_url)
    (stored,) = client.get_draft(record.draft_media_id)
    old_form = stored["content"].replace(
        marker.marker_for("content/a.md", record.hash).value, f"wxsync-{record.hash[:16]}"
    )
    client.update_draft(
        record.draft_media_id,
        0,
        Article(title="甲", content=old_form, thumb_media_id=stored["thumb_media_id"]),
    )
    draft_id = record.draft_media_id
    record.draft_media_id, record.draft_hash, record.status = "", "", "new"
    record.intent = Intent(op="draft_add", hash=record.hash, title="甲", at=now_iso())
    save(state, settings.state_path)

    Engine(settings).run()
    assert [d["media_id"] for d in control.state()["drafts"]] == [draft_id]
    assert load(settings.state_path).posts["content/a.md"].draft_media_id == draft_id
