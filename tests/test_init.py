"""`wxsync init` in an existing blog: detected settings, a safe workflow, next steps, no overwrites."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.gitrepo import commit_all, init_repo
from wxsync.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "sites"


@pytest.fixture
def hexo(tmp_path: Path) -> Path:
    root = tmp_path / "blog"
    shutil.copytree(FIXTURES / "hexo", root)
    init_repo(root)
    commit_all(root)
    return root


def test_init_writes_a_commented_config_and_a_workflow_and_prints_next_steps(
    hexo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(hexo)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("site: Hexo (_config.yml)")
    assert "wrote wxsync.yml" in out and "wrote .github/workflows/wxsync.yml" in out
    assert "WECHAT_APPID and WECHAT_APPSECRET" in out and "IP白名单" in out
    config = (hexo / "wxsync.yml").read_text(encoding="utf-8")
    assert yaml.safe_load(config) == {"mode": "draft"}
    assert "# content: source/_posts" in config
    assert "#   url: https://example.com" in config


def test_generated_workflow_runs_once_per_repository_on_the_default_branch_off_the_hour(
    hexo: Path,
) -> None:
    assert main(["init", str(hexo)]) == 0
    workflow = yaml.safe_load((hexo / ".github/workflows/wxsync.yml").read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"]
    assert "source/_posts/**" in triggers["push"]["paths"]
    assert "source/**" in triggers["push"]["paths"]
    minute = triggers["schedule"][0]["cron"].split()[0]
    assert minute != "0" and minute.isdigit()
    assert workflow["concurrency"]["group"] == "wxsync-${{ github.repository }}"
    job = workflow["jobs"]["publish"]
    assert job["timeout-minutes"] == 30
    assert job["if"] == "github.ref == 'refs/heads/main'"
    secrets = job["steps"][1]["with"]
    assert secrets["appsecret"] == "${{ secrets.WECHAT_APPSECRET }}"


def test_init_never_overwrites_an_existing_file(
    hexo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (hexo / "wxsync.yml").write_text("mode: publish\n", encoding="utf-8")
    assert main(["init", str(hexo)]) == 0
    out = capsys.readouterr().out
    assert "kept wxsync.yml: it exists already" in out
    assert (hexo / "wxsync.yml").read_text(encoding="utf-8") == "mode: publish\n"
    assert (hexo / ".github/workflows/wxsync.yml").is_file()
    before = (hexo / ".github/workflows/wxsync.yml").read_text(encoding="utf-8")
    (hexo / ".github/workflows/wxsync.yml").write_text(before + "# mine\n", encoding="utf-8")
    assert main(["init", str(hexo)]) == 0
    assert "kept .github/workflows/wxsync.yml" in capsys.readouterr().out
    assert (hexo / ".github/workflows/wxsync.yml").read_text(encoding="utf-8").endswith("# mine\n")


def test_the_config_init_writes_passes_check(
    hexo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["init", str(hexo)]) == 0
    monkeypatch.chdir(hexo)
    assert main(["check"]) == 0
    assert "checked 1 post: 0 errors" in capsys.readouterr().out
