"""The command line as a user meets it: check, sync, status, new; exit codes and output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitrepo import commit_all, config, init_repo, png, post, run_cli, write
from wxsync.cli import main
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def blog(tmp_path: Path, emulator: EmulatorServer) -> Path:
    root = init_repo(tmp_path / "blog")
    write(root / "wxsync.yml", config(emulator.base_url))
    png(root / "content/a.png")
    write(root / "content/good.md", post("好文章", "![图](a.png)\n\n正文。\n"))
    commit_all(root)
    return root


def test_check_prints_path_line_messages_and_exits_1(blog: Path) -> None:
    write(
        blog / "content/bad.md",
        "---\ntitle: " + "长" * 65 + "\nauthor: 作者\n---\n\n![x](nope.png)\n",
    )
    result = run_cli(blog, "check")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "content/bad.md:2: title is 65 characters; WeChat allows 64: shorten it" in lines
    assert any(
        line.startswith("content/bad.md:6: image nope.png: file not found") for line in lines
    )
    assert lines[-1] == "checked 2 posts: 2 errors, 0 warnings"


def test_check_passes_on_good_posts(blog: Path) -> None:
    result = run_cli(blog, "check")
    assert result.returncode == 0, result.stdout
    assert "0 errors" in result.stdout


def test_check_refuses_an_image_outside_the_repository(blog: Path, tmp_path: Path) -> None:
    png(tmp_path / "outside.png")
    write(blog / "content/escape.md", post("逃逸", "![x](../../outside.png)\n"))
    (blog / "content/link.png").symlink_to(tmp_path / "outside.png")
    write(blog / "content/symlink.md", post("链接", "![x](link.png)\n"))
    result = run_cli(blog, "check")
    assert result.returncode == 1
    assert "content/escape.md:5: image ../../outside.png" in result.stdout
    assert "content/symlink.md:5: image link.png" in result.stdout


def test_sync_cli_publishes_and_prints_a_table_then_json(
    blog: Path, control: EmulatorControl
) -> None:
    env = {"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET}
    result = run_cli(blog, "sync", env=env)
    assert result.returncode == 0, result.stderr
    assert "content/good.md" in result.stdout and "published" in result.stdout
    assert "https://mp.weixin.qq.com/s/" in result.stdout
    assert "content/good.md: create draft + publish" in result.stderr, "a progress line per post"
    again = run_cli(blog, "sync", "--json", env=env)
    report = json.loads(again.stdout)
    assert report["api_calls"] == 0
    assert report["posts"][0]["status"] == "unchanged"
    assert DEFAULT_SECRET not in result.stdout + result.stderr + again.stdout + again.stderr


def test_sync_without_credentials_is_exit_2_with_the_variable_named(blog: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_")}
    result = subprocess.run(
        [sys.executable, "-m", "wxsync", "sync"],
        check=False,
        cwd=blog,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "WECHAT_APPID and WECHAT_APPSECRET not set" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_sync_exit_code_is_1_when_a_post_fails(blog: Path) -> None:
    write(blog / "content/bad.md", post("长" * 70))
    env = {"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET}
    result = run_cli(blog, "sync", env=env)
    assert result.returncode == 1
    assert "content/bad.md:2: title is 70 characters" in result.stdout


def test_api_base_flag_overrides_the_config(blog: Path, emulator: EmulatorServer) -> None:
    (blog / "wxsync.yml").write_text("mode: publish\npublish_timeout: 20\n", encoding="utf-8")
    env = {"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET}
    result = run_cli(blog, "sync", "--api-base", emulator.base_url, "--mode", "draft", env=env)
    assert result.returncode == 0, result.stderr
    assert "drafted" in result.stdout


def test_status_shows_each_post_without_network(blog: Path, control: EmulatorControl) -> None:
    env = {"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET}
    run_cli(blog, "sync", env=env)
    write(blog / "content/new.md", post("新文章"))
    calls = control.state()["calls"]
    result = run_cli(blog, "status", "--json")
    rows = {row["path"]: row for row in json.loads(result.stdout)}
    assert rows["content/good.md"]["status"] == "published"
    assert rows["content/good.md"]["note"].startswith("https://mp.weixin.qq.com/s/")
    assert rows["content/new.md"]["status"] == "new"
    assert rows["content/new.md"]["next"] == "create draft + publish"
    assert control.state()["calls"] == calls
    assert not (blog / ".wxsync/preview").exists()


def test_new_scaffolds_a_post_that_passes_check(
    blog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(blog)
    assert main(["new", "Hello 世界 again"]) == 0
    [created] = [p for p in (blog / "content").glob("*.md") if p.name != "good.md"]
    assert created.name.endswith("-hello-again.md")
    text = created.read_text(encoding="utf-8")
    assert "title: Hello 世界 again" in text
    assert run_cli(blog, "check").returncode == 0
    assert main(["new", "长" * 65]) == 2


def test_bundled_example_dry_run_and_emulator_sync(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    """The README's quick start, on a copy of this repository's example."""
    root = init_repo(tmp_path / "example")
    shutil.copytree(PROJECT / "content", root / "content")
    shutil.copy(PROJECT / "wxsync.yml", root / "wxsync.yml")
    commit_all(root)
    dry = run_cli(root, "sync", "--dry-run", env={"WECHAT_APPSECRET": ""})
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and "planned" in dry.stdout
    assert (root / ".wxsync/preview/hello-wxsync.html").is_file()
    env = {"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET}
    full = run_cli(root, "sync", "--api-base", emulator.base_url, env=env)
    assert full.returncode == 0, full.stdout + full.stderr
    assert full.stdout.count("published") >= 2
