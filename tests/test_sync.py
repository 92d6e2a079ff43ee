"""The engine end to end: real git repositories, the emulator over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gitrepo import commit_all, config, init_repo, png, post, write
from wxsync.config import load_settings
from wxsync.engine.state import load
from wxsync.engine.sync import Engine
from wxsync.report import SyncReport
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer

ENV = {"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET}


@pytest.fixture
def blog(tmp_path: Path, emulator: EmulatorServer) -> Iterator[Path]:
    root = init_repo(tmp_path / "blog")
    write(root / "wxsync.yml", config(emulator.base_url))
    png(root / "content/shared.png", "blue")
    for name, title in (("one", "第一篇"), ("two", "第二篇"), ("three", "第三篇")):
        write(
            root / f"content/{name}.md",
            post(title, f"开头。\n\n![共用的图](shared.png)\n\n{title}的正文。\n"),
        )
    commit_all(root)
    yield root


def sync(
    root: Path, *, mode: str | None = None, now: dt.datetime | None = None, **run: object
) -> SyncReport:
    settings = load_settings(root, {"mode": mode}, environ=ENV)
    engine = Engine(settings, poll_delay=0.05, **({"now": lambda: now} if now else {}))
    return engine.run(**run)  # type: ignore[arg-type]


def statuses(report: SyncReport) -> dict[str, str]:
    return {o.path: o.status for o in report.outcomes}


def test_first_sync_publishes_every_post(blog: Path, control: EmulatorControl) -> None:
    report = sync(blog)
    assert statuses(report) == {f"content/{n}.md": "published" for n in ("one", "three", "two")}
    state = control.state()
    assert sorted(t for p in state["published"] for t in p["titles"]) == [
        "第一篇",
        "第三篇",
        "第二篇",
    ]
    assert state["drafts"] == [], "published drafts leave the draft box"
    saved = load(blog / ".wxsync/state.json")
    record = saved.posts["content/one.md"]
    assert record.status == "published" and record.url.startswith("https://mp.weixin.qq.com/s/")
    assert record.article_id and not record.intent
    assert all(o.url for o in report.outcomes)


def test_second_sync_without_changes_makes_no_api_calls(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog)
    before = control.state()["calls"]
    report = sync(blog)
    assert control.state()["calls"] == before, "not even a token"
    assert report.api_calls == 0
    assert set(statuses(report).values()) == {"unchanged"}


def test_a_sync_with_nothing_to_do_runs_a_few_git_commands_not_one_per_post(
    blog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync(blog)
    started: list[str] = []
    run = subprocess.run

    def spy(args: list[str], *rest: object, **options: object) -> object:
        if args[0] == "git":
            words = iter(args[1:])
            started.append(next(w for w in words if w != "-c" or next(words) is None))
        return run(args, *rest, **options)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", spy)
    report = sync(blog)
    assert set(statuses(report).values()) == {"unchanged"}
    # Not even `hash-object` for the untracked state file: no post needs its id.
    assert sorted(started) == ["ls-files", "rev-parse", "status"]


def test_an_image_shared_by_many_posts_is_uploaded_once(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog)
    uploads = control.state()["uploads"]
    assert len(uploads) == 1
    write(blog / "content/four.md", post("第四篇", "![again](shared.png)\n\n正文。\n"))
    sync(blog)
    assert len(control.state()["uploads"]) == 1, "known by hash from the state file: never again"


def test_editing_one_draft_mode_post_updates_exactly_that_draft(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog, mode="draft")
    first = control.state()
    assert len(first["drafts"]) == 3 and first["published"] == []
    path = blog / "content/two.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补充一段。\n", encoding="utf-8")
    report = sync(blog, mode="draft")
    calls = control.state()["calls"]
    assert calls["/cgi-bin/draft/update"] == 1
    assert calls["/cgi-bin/draft/add"] == 3
    assert statuses(report)["content/two.md"] == "drafted"
    assert statuses(report)["content/one.md"] == "unchanged"
    drafts = {d["titles"][0]: d for d in control.state()["drafts"]}
    assert "补充一段" in drafts["第二篇"]["articles"][0]["content"]


def test_draft_then_publish_mode_publishes_the_existing_drafts(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog, mode="draft")
    report = sync(blog, mode="publish")
    assert set(statuses(report).values()) == {"published"}
    assert control.state()["calls"]["/cgi-bin/draft/add"] == 3


def test_a_bad_post_fails_alone_with_path_and_line(blog: Path, control: EmulatorControl) -> None:
    write(blog / "content/long.md", post("这" * 70))
    write(blog / "content/noimage.md", post("缺图", "文字\n\n![x](missing.png)\n"))
    write(blog / "content/yaml.md", "---\ntitle: [unclosed\n---\nbody\n")
    report = sync(blog)
    result = statuses(report)
    assert report.failed
    assert (
        result["content/long.md"]
        == result["content/noimage.md"]
        == result["content/yaml.md"]
        == "invalid"
    )
    assert result["content/one.md"] == "published"
    messages = {o.path: o.message for o in report.outcomes}
    assert messages["content/long.md"].startswith("content/long.md:2: title is 70 characters")
    assert messages["content/noimage.md"].startswith(
        "content/noimage.md:7: image missing.png: file not found"
    )
    assert messages["content/yaml.md"].startswith("content/yaml.md:")
    assert len(control.state()["published"]) == 3


def test_missing_publish_permission_keeps_drafts_with_a_clear_message(
    blog: Path, control: EmulatorControl
) -> None:
    control.configure(can_publish=False)
    report = sync(blog)
    assert set(statuses(report).values()) == {"drafted"}
    assert all("no publish permission" in o.message for o in report.outcomes)
    state = control.state()
    assert len(state["drafts"]) == 3
    assert state["calls"]["/cgi-bin/freepublish/submit"] == 1, "stops asking after the first 48001"
    before = state["calls"]
    again = sync(blog)
    assert control.state()["calls"] == before, "not retried until the post changes or --retry"
    assert not again.failed


def test_scheduled_post_waits_for_its_date(blog: Path, control: EmulatorControl) -> None:
    write(blog / "content/later.md", post("定时发布", date="2030-01-01T08:00:00+08:00"))
    before = sync(blog, now=dt.datetime(2029, 12, 31, tzinfo=dt.UTC))
    assert statuses(before)["content/later.md"] == "waiting"
    assert (
        "scheduled for 2030-01-01T08:00+08:00"
        in {o.path: o.message for o in before.outcomes}["content/later.md"]
    )
    after = sync(blog, now=dt.datetime(2030, 1, 2, tzinfo=dt.UTC))
    assert statuses(after)["content/later.md"] == "published"
    assert statuses(after)["content/one.md"] == "unchanged"


def test_draft_true_posts_are_skipped(blog: Path, control: EmulatorControl) -> None:
    write(blog / "content/wip.md", post("未完成", draft="true"))
    report = sync(blog)
    assert statuses(report)["content/wip.md"] == "skipped"
    assert "未完成" not in json.dumps(control.state(), ensure_ascii=False)


def test_changed_published_post_warns_and_republish_makes_a_new_article(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog)
    path = blog / "content/one.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n更正。\n", encoding="utf-8")
    warned = sync(blog)
    assert statuses(warned)["content/one.md"] == "warning"
    assert not warned.failed
    path.write_text(
        post("第一篇", "更正后的正文。\n", wechat="{republish: true}"), encoding="utf-8"
    )
    republished = sync(blog)
    assert statuses(republished)["content/one.md"] == "published"
    record = load(blog / ".wxsync/state.json").posts["content/one.md"]
    assert len(record.history) == 1 and record.history[0]["url"] != record.url
    assert len(control.state()["published"]) == 4


def test_dry_run_needs_no_credentials_and_writes_previews(
    blog: Path, control: EmulatorControl
) -> None:
    settings = load_settings(blog, environ={})
    report = Engine(settings).run(dry_run=True)
    assert report.dry_run and set(statuses(report).values()) == {"planned"}
    assert control.state()["calls"] == {}
    preview = blog / ".wxsync/preview/one.html"
    html = preview.read_text(encoding="utf-8")
    assert html.startswith("<section") and "shared.png" in html
    assert not (blog / ".wxsync/state.json").exists(), "a dry run writes no state"


def test_transient_failure_is_retried_on_the_next_run(blog: Path, control: EmulatorControl) -> None:
    control.faults({"path": "/cgi-bin/draft/add", "errcode": 45009, "times": 1})
    first = sync(blog)
    assert first.failed and "daily API quota" in first.halted
    control.faults()
    second = sync(blog)
    assert set(statuses(second).values()) == {"published"}
    assert len(control.state()["published"]) == 3


def test_wrong_secret_stops_the_run_with_one_clear_line(
    blog: Path, control: EmulatorControl
) -> None:
    settings = load_settings(
        blog, environ={"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": "wrong-secret"}
    )
    report = Engine(settings, poll_delay=0.05).run()
    assert report.failed
    assert "40125" in report.halted and "WECHAT_APPSECRET" in report.halted
    assert all(o.status == "failed" for o in report.outcomes)


def test_removed_post_is_reported_and_deleted_only_when_enabled(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog, mode="draft")
    (blog / "content/three.md").unlink()
    kept = sync(blog, mode="draft")
    assert statuses(kept)["content/three.md"] == "removed"
    assert len(control.state()["drafts"]) == 3
    (blog / "wxsync.yml").write_text(
        (blog / "wxsync.yml").read_text(encoding="utf-8") + "delete_removed: true\n",
        encoding="utf-8",
    )
    deleted = sync(blog, mode="draft")
    assert statuses(deleted)["content/three.md"] == "deleted"
    assert len(control.state()["drafts"]) == 2
    assert "content/three.md" not in load(blog / ".wxsync/state.json").posts


def test_only_syncs_the_named_posts(blog: Path, control: EmulatorControl) -> None:
    report = sync(blog, only=[str(blog / "content/two.md")])
    assert statuses(report) == {"content/two.md": "published"}
    assert [p["titles"] for p in control.state()["published"]] == [["第二篇"]]


def test_remote_images_are_downloaded_once_and_uploaded_once(
    blog: Path, control: EmulatorControl, tmp_path: Path
) -> None:
    import functools
    import http.server
    import threading

    served = tmp_path / "www"
    png(served / "remote.png", "purple")
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            hits.append(self.path)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(served))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/remote.png"
        config = (blog / "wxsync.yml").read_text(encoding="utf-8")
        write(blog / "wxsync.yml", config + "images: {allow_private_hosts: true}\n")
        write(blog / "content/remote.md", post("远程图片", f"正文。\n\n![远程]({url})\n"))
        write(blog / "content/remote2.md", post("远程图片二", f"正文二。\n\n![远程]({url})\n"))
        first = sync(blog)
        assert statuses(first)["content/remote.md"] == "published"
        uploads = control.state()["uploads"]
        assert len(uploads) == 2, "the shared local image and the remote one"
        path = blog / "content/remote2.md"
        path.write_text(path.read_text(encoding="utf-8") + "\n补充。\n", encoding="utf-8")
        downloads = len(hits)
        sync(blog, mode="draft")
        assert len(hits) == downloads, "a known remote image is not downloaded again"
        assert len(control.state()["uploads"]) == 2
    finally:
        server.shutdown()
        server.server_close()


def test_animated_gif_can_stay_animated_through_the_material_library(
    blog: Path, control: EmulatorControl
) -> None:
    from PIL import Image

    frames = [Image.new("RGB", (40, 30), color) for color in ("red", "green", "blue")]
    gif = blog / "content/anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)
    write(blog / "content/gif.md", post("动图", "![动图](anim.gif)\n"))
    (blog / "wxsync.yml").write_text(
        (blog / "wxsync.yml").read_text(encoding="utf-8") + "animated_gif: material\n",
        encoding="utf-8",
    )
    report = sync(blog, only=[str(blog / "content/gif.md")])
    assert statuses(report)["content/gif.md"] == "published"
    state = control.state()
    assert state["uploads"] == [], "the GIF went to the material library, not uploadimg"
    article = state["published"][0]
    assert article["titles"] == ["动图"]
    gif_material = next(m for m in state["materials"] if m["name"].endswith(".gif"))
    assert gif_material["url"].endswith("wx_fmt=gif")


def test_a_sync_with_nothing_to_do_leaves_the_state_file_untouched(blog: Path) -> None:
    sync(blog)
    state_file = blog / ".wxsync/state.json"
    before = state_file.stat().st_mtime_ns
    sync(blog)
    assert state_file.stat().st_mtime_ns == before
