"""Links between posts on WeChat: article URLs when published, site URLs or text before that."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gitrepo import commit_all, config, init_repo, post, write
from tests.test_sync import ENV, statuses
from wxsync.cli import main
from wxsync.config import load_settings
from wxsync.engine.links import SiteUrl
from wxsync.engine.state import load
from wxsync.engine.sync import Engine
from wxsync.report import SyncReport
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.client import WeChatClient
from wxsync.wechat.emulator import EmulatorServer

SITE = "https://blog.example.com/"


def site_url(path: str) -> str:
    return SITE + Path(path).stem + "/"


@pytest.fixture
def vault(tmp_path: Path, emulator: EmulatorServer) -> Iterator[Path]:
    """An Obsidian-style repository: one post links to another and to a draft by wikilink."""
    root = init_repo(tmp_path / "vault")
    write(root / "wxsync.yml", config(emulator.base_url) + "site:\n  generator: obsidian\n")
    write(root / "content/target.md", post("目标文章", "被链接的文章。\n"))
    write(root / "content/later.md", post("以后再发", "还没写完。\n", draft="true"))
    write(
        root / "content/source.md",
        post(
            "引用文章",
            "先读[上一篇](target.md)，再看 [[later|下一篇]]。\n",
        ),
    )
    commit_all(root)
    yield root


def sync(
    root: Path, *, mode: str | None = None, site: SiteUrl | None = None, **run: object
) -> SyncReport:
    settings = load_settings(root, {"mode": mode}, environ=ENV)
    return Engine(settings, poll_delay=0.05, site_url=site).run(**run)  # type: ignore[arg-type]


def article_html(emulator: EmulatorServer, root: Path, path: str) -> str:
    record = load(root / ".wxsync/state.json").posts[path]
    client = WeChatClient(DEFAULT_APPID, DEFAULT_SECRET, base_url=emulator.base_url)
    if record.article_id:
        return str(client.get_article(record.article_id)[0]["content"])
    return str(client.get_draft(record.draft_media_id)[0]["content"])


def test_a_link_to_a_post_published_in_the_same_run_is_its_wechat_article_url(
    vault: Path, emulator: EmulatorServer
) -> None:
    report = sync(vault)
    assert statuses(report)["content/source.md"] == "published"
    target_url = load(vault / ".wxsync/state.json").posts["content/target.md"].url
    assert target_url.startswith("https://mp.weixin.qq.com/")
    html = article_html(emulator, vault, "content/source.md")
    assert f'<a href="{target_url}"' in html.replace("&amp;", "&")
    # The draft wikilink target is not on WeChat and there is no site URL: plain text.
    assert "下一篇" in html and "wxsync:" not in html and "参考链接" not in html


def test_a_link_to_a_post_not_on_wechat_is_a_numbered_reference_to_its_site_url(
    vault: Path, emulator: EmulatorServer
) -> None:
    sync(vault, site=site_url)
    html = article_html(emulator, vault, "content/source.md")
    assert re.search(r"下一篇<sup[^>]*>\[1\]</sup>", html)
    assert f"{SITE}later/" in html


def test_a_drafted_post_is_updated_once_its_target_is_published(
    vault: Path, emulator: EmulatorServer
) -> None:
    sync(vault, mode="draft", site=site_url)
    assert f"{SITE}target/" in article_html(emulator, vault, "content/source.md")
    sync(vault, mode="publish", site=site_url, only=[str(vault / "content/target.md")])
    target_url = load(vault / ".wxsync/state.json").posts["content/target.md"].url

    report = sync(vault, mode="draft", site=site_url)
    assert statuses(report)["content/source.md"] == "drafted"
    assert target_url in article_html(emulator, vault, "content/source.md").replace("&amp;", "&")
    assert statuses(sync(vault, mode="draft", site=site_url))["content/source.md"] == "unchanged"


def test_a_published_article_is_not_rewritten_when_its_target_is_published_later(
    vault: Path, emulator: EmulatorServer
) -> None:
    sync(vault, site=site_url)
    before = article_html(emulator, vault, "content/source.md")
    write(vault / "content/later.md", post("以后再发", "写完了。\n"))
    commit_all(vault)

    report = sync(vault, site=site_url)
    assert statuses(report)["content/later.md"] == "published"
    assert statuses(report)["content/source.md"] == "unchanged", "no warning, no new article"
    assert article_html(emulator, vault, "content/source.md") == before


def test_check_warns_about_a_wikilink_to_no_post_and_the_article_shows_its_text(
    vault: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(vault / "content/source.md", post("引用文章", "正文。\n\n见 [[不存在的笔记]]。\n"))
    monkeypatch.chdir(vault)
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert (
        "content/source.md:7: warning: link to `不存在的笔记`: no post of this repository answers "
        "to it; it is shown as plain text"
    ) in out.splitlines()


def test_on_a_detected_hugo_site_a_ref_to_an_unpublished_post_is_its_permalink(
    tmp_path: Path,
) -> None:
    root = init_repo(tmp_path / "hugo")
    write(
        root / "hugo.toml",
        'baseURL = "https://example.org/blog/"\n[permalinks]\nposts = "/:year/:slug/"\n',
    )
    write(
        root / "content/posts/a.md",
        post("第一篇", '下一篇见[这里]({{< ref "b.md" >}})。\n', date="2024-05-01"),
    )
    write(
        root / "content/posts/b.md",
        post("第二篇", "未完。\n", date="2024-06-01", draft="true", slug="b"),
    )
    commit_all(root)
    settings = load_settings(root, {}, environ=ENV)
    Engine(settings).run(dry_run=True)
    html = (root / ".wxsync/preview/posts/a.html").read_text(encoding="utf-8")
    assert "这里<sup" in html and "https://example.org/blog/2024/b/" in html
    assert "ref" not in html.replace("references", "")
