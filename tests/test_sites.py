"""Existing blogs as they are: a Hugo, Hexo, Jekyll and Obsidian repository with no wxsync.yml.

Each fixture under tests/fixtures/sites/ is copied into a fresh git repository; `check` must pass
and say what it detected, and `sync` against the emulator must leave drafts whose images are all
WeChat-hosted and whose 阅读原文 link is the post's address on the site.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.gitrepo import commit_all, init_repo
from wxsync.cli import main
from wxsync.config import SiteSettings, load_settings
from wxsync.site import detect
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer

FIXTURES = Path(__file__).parent / "fixtures" / "sites"

EXPECTED = {
    "hugo": {
        "detected": "site: Hugo (hugo.toml) · posts in content/ · site root static/",
        "urls": {
            "第一次出海": "https://example.org/blog/2024/03/first-trip/",
            "Second notes": "https://example.org/blog/notes/second/",
        },
    },
    "hexo": {
        "detected": "site: Hexo (_config.yml) · posts in source/_posts/ · site root source/",
        "urls": {"你好，世界": "https://example.com/2024/05/01/hello-world/"},
    },
    "jekyll": {
        "detected": "site: Jekyll (_config.yml) · posts in _posts/, _guides/ · site root ./",
        "urls": {
            "欢迎": "https://example.net/docs/news/2024/02/10/welcome/",
            "安装指南": "https://example.net/docs/guides/setup/",
        },
    },
    "obsidian": {
        "detected": "site: Obsidian vault (.obsidian/) · posts in ./",
        "urls": {"旅行计划": ""},
    },
}


@pytest.fixture
def credentials(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_APPID", DEFAULT_APPID)
    monkeypatch.setenv("WECHAT_APPSECRET", DEFAULT_SECRET)
    monkeypatch.setenv("WXSYNC_API_BASE", emulator.base_url)


def blog_from(fixture: str, tmp_path: Path) -> Path:
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root)
    init_repo(root)
    commit_all(root)
    return root


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_fixture_blog_passes_check_with_no_wxsync_yml_and_says_what_it_detected(
    fixture: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = blog_from(fixture, tmp_path)
    monkeypatch.chdir(root)
    code = main(["check"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("site: ") == 1
    assert out.startswith(EXPECTED[fixture]["detected"])  # type: ignore[arg-type]
    posts = len(EXPECTED[fixture]["urls"])
    assert f"checked {posts} post{'s' if posts > 1 else ''}: 0 errors, 0 warnings" in out


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_fixture_blog_syncs_with_wechat_hosted_images_and_its_site_address(
    fixture: str,
    tmp_path: Path,
    credentials: None,
    control: EmulatorControl,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = blog_from(fixture, tmp_path)
    monkeypatch.chdir(root)
    assert main(["sync"]) == 0
    articles = [a for d in control.state()["drafts"] for a in d["articles"]]
    assert {a["title"]: a["content_source_url"] for a in articles} == EXPECTED[fixture]["urls"]
    for article in articles:
        sources = re.findall(r'<img[^>]* src="([^"]+)"', article["content"])
        assert sources, f"{article['title']} lost its images"
        assert all(src.startswith("http://mmbiz.qpic.cn/") for src in sources), sources


def test_dry_run_says_once_what_it_detected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = blog_from("hexo", tmp_path)
    monkeypatch.chdir(root)
    assert main(["sync", "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert err.count("site: Hexo (_config.yml)") == 1
    assert "阅读原文 from https://example.com" in err


def test_content_folder_defaults_to_where_the_generator_keeps_posts(tmp_path: Path) -> None:
    found = {
        fixture: load_settings(blog_from(fixture, tmp_path), environ={}).content
        for fixture in sorted(EXPECTED)
    }
    assert found == {
        "hexo": "source/_posts",
        "hugo": "content",
        "jekyll": "_posts",
        "obsidian": ".",
    }


def test_content_set_in_wxsync_yml_still_wins_over_detection(tmp_path: Path) -> None:
    root = blog_from("hexo", tmp_path)
    (root / "wxsync.yml").write_text("content: source/_drafts\n", encoding="utf-8")
    assert load_settings(root, environ={}).content == "source/_drafts"


def test_wxsync_yml_site_overrides_what_detection_found(tmp_path: Path) -> None:
    root = blog_from("hugo", tmp_path)
    (root / "wxsync.yml").write_text(
        "site:\n  url: https://mirror.example.cn/\n  static: [static, extra]\n", encoding="utf-8"
    )
    settings = load_settings(root, environ={})
    site = detect(root, settings.site)
    assert site.generator == "hugo"
    assert site.url == "https://mirror.example.cn"
    assert site.static == ("static", "extra")
    assert "wxsync.yml sets static, url" in site.describe()


def test_a_broken_generator_config_still_detects_the_generator_without_its_facts(
    tmp_path: Path,
) -> None:
    (tmp_path / "hugo.toml").write_text("baseURL = [unclosed\n", encoding="utf-8")
    site = detect(tmp_path)
    assert (site.generator, site.url, site.content) == ("hugo", "", "content")


def test_a_plain_repository_is_plain_with_posts_in_content(tmp_path: Path) -> None:
    site = detect(tmp_path, SiteSettings())
    assert (site.generator, site.content, site.url, site.static) == ("plain", "content", "", ())


def test_front_matter_source_url_replaces_the_site_address_and_false_removes_it(
    tmp_path: Path, credentials: None, control: EmulatorControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = blog_from("hugo", tmp_path)
    (root / "content/posts/own.md").write_text(
        "---\ntitle: Own link\nwechat:\n  source_url: https://elsewhere.example/own\n---\n正文\n",
        encoding="utf-8",
    )
    (root / "content/posts/none.md").write_text(
        "---\ntitle: No link\nwechat:\n  source_url: false\n---\n正文\n", encoding="utf-8"
    )
    commit_all(root)
    monkeypatch.chdir(root)
    assert main(["sync"]) == 0
    links = {
        a["title"]: a["content_source_url"]
        for d in control.state()["drafts"]
        for a in d["articles"]
    }
    assert links["Own link"] == "https://elsewhere.example/own"
    assert links["No link"] == ""
    assert links["Second notes"] == "https://example.org/blog/notes/second/"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("_config.yml", "url: " + "[" * 3000 + "]" * 3000 + "\n"),
        (
            "_config.yml",
            "a0: &a0 [x]\n"
            + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))
            + "url: *a9\n",
        ),
        ("hugo.toml", "baseURL = " + "[" * 3000 + "]" * 3000 + "\n"),
    ],
)
def test_a_hostile_generator_config_is_ignored_not_a_crash(
    tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    site = detect(tmp_path)
    assert site.url == ""
