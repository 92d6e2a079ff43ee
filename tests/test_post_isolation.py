"""One post that makes wxsync fail costs that post only: a `path:line` error, never a traceback.

The failure is provoked by a code highlighter that raises on one marked code block (standing in
for any bug a post's text can trigger, like Pygments' style lookup did); everything else is the
real command against a real repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitrepo import commit_all, config, init_repo, post, write
from wxsync.cli import main
from wxsync.render.code import CodeHighlighter
from wxsync.render.locate import blocks, failing_block
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer

TRIGGER = "TRIGGER-A-BUG"


@pytest.fixture
def buggy_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    original = CodeHighlighter.highlight_block

    def highlight_block(
        self: CodeHighlighter, code: str, language: str | None
    ) -> tuple[str, str | None]:
        if TRIGGER in code:
            raise KeyError("Token.Literal.Scalar.Plain")
        return original(self, code, language)

    monkeypatch.setattr(CodeHighlighter, "highlight_block", highlight_block)


@pytest.fixture
def blog(tmp_path: Path, emulator: EmulatorServer) -> Path:
    root = init_repo(tmp_path / "blog")
    write(root / "wxsync.yml", config(emulator.base_url))
    write(root / "content/a-broken.md", post("坏的", f"正文\n\n```yaml\n{TRIGGER}: 1\n```\n"))
    write(root / "content/b-good.md", post("好的"))
    commit_all(root)
    return root


def test_check_reports_a_crashing_post_as_one_line_at_its_block_and_checks_the_others(
    blog: Path,
    buggy_renderer: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(blog)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert (
        "content/a-broken.md:7: wxsync failed while rendering this post "
        "(KeyError: 'Token.Literal.Scalar.Plain')" in out
    )
    assert "Traceback" not in out
    assert "checked 2 posts: 1 errors" in out


def test_sync_publishes_the_other_posts_when_one_crashes(
    blog: Path,
    buggy_renderer: None,
    control: EmulatorControl,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(blog)
    monkeypatch.setenv("WECHAT_APPID", DEFAULT_APPID)
    monkeypatch.setenv("WECHAT_APPSECRET", DEFAULT_SECRET)
    assert main(["sync"]) == 1
    out = capsys.readouterr().out
    assert "content/a-broken.md:7: wxsync failed while rendering this post" in out
    assert [p["titles"] for p in control.state()["published"]] == [["好的"]]


def test_dry_run_lists_a_crashing_post_as_failed_and_plans_the_others(
    blog: Path,
    buggy_renderer: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(blog)
    assert main(["sync", "--dry-run"]) == 1
    captured = capsys.readouterr()
    assert "wxsync failed while rendering this post" in captured.out
    assert "content/b-good.md" in captured.out
    assert (blog / ".wxsync/preview/b-good.html").is_file()


def test_render_prints_one_line_for_a_crashing_file_and_renders_the_rest(
    tmp_path: Path, buggy_renderer: None, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = write(tmp_path / "broken.md", post("坏的", f"正文\n\n```yaml\n{TRIGGER}: 1\n```\n"))
    good = write(tmp_path / "good.md", post("好的"))
    assert main(["render", str(broken), str(good), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"{broken}:7: wxsync failed while rendering this post (KeyError" in err
    assert (tmp_path / "out/good.html").is_file()
    assert not (tmp_path / "out/broken.html").exists()


def test_blocks_are_cut_at_blank_lines_but_never_inside_a_fence() -> None:
    markdown = "# 标题\n\n第一段\n续行\n\n```\na\n\n~~~\nb\n```\n\n~~~~python\nc\n\n~~~~\n后文\n"
    assert list(blocks(markdown)) == [
        (0, "# 标题"),
        (2, "第一段\n续行"),
        (5, "```\na\n\n~~~\nb\n```"),
        (12, "~~~~python\nc\n\n~~~~\n后文"),
    ]
    assert list(blocks("```\nnever closed\n\nstill code")) == [
        (0, "```\nnever closed\n\nstill code")
    ]


def test_a_failure_no_block_causes_on_its_own_is_reported_at_the_file() -> None:
    def render(text: str) -> str:
        if "甲" in text and "乙" in text:  # only the two blocks together fail
            raise ValueError("both")
        return text

    assert failing_block(render, "甲\n\n乙\n") is None
    assert failing_block(render, "丙\n\n甲乙\n") == 2


def test_preview_shows_a_crashing_post_as_its_one_line_at_the_block(
    tmp_path: Path, buggy_renderer: None
) -> None:
    from wxsync.render import Renderer
    from wxsync.render.preview import PreviewSite

    write(tmp_path / "broken.md", post("坏的", f"正文\n\n```yaml\n{TRIGGER}: 1\n```\n"))
    page = PreviewSite(tmp_path, Renderer()).post_page("broken.md") or ""
    assert "broken.md:7: wxsync failed while rendering this post (KeyError" in page
