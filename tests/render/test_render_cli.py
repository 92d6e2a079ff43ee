"""`wxsync render`: what a user sees on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from wxsync.cli import main

POST = """\
---
title: 标题
---
# Hello

Body with $x^2$.
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_render_prints_the_article_without_front_matter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    post = write(tmp_path / "post.md", POST)
    assert main(["render", str(post)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<section") and out.rstrip().endswith("</section>")
    assert "title:" not in out and "Hello" in out


def test_render_many_files_into_a_folder(tmp_path: Path) -> None:
    posts = [write(tmp_path / f"p{i}.md", f"# Post {i}\n\nBody {i}\n") for i in range(3)]
    out = tmp_path / "out"
    assert main(["render", *map(str, posts), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["p0.html", "p1.html", "p2.html"]
    html = (out / "p1.html").read_text(encoding="utf-8")
    assert "Body 1" in html
    assert "Post 1" not in html, (
        "the leading heading is the title, shown by WeChat above the article"
    )


def test_many_files_in_processes_give_the_same_files_and_messages_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = [
        write(tmp_path / f"p{i:02}.md", f"# Post {i}\n\nBody {i}: $x^{i}$\n") for i in range(24)
    ]
    for at in (3, 17):
        posts.insert(at, write(tmp_path / f"bad{at}.md", "---\ntitle: [\n---\nx\n"))
    outputs: dict[str, dict[str, bytes]] = {}
    errors: dict[str, str] = {}
    for jobs in ("1", "3"):
        out = tmp_path / f"out-{jobs}"
        assert main(["render", *map(str, posts), "--out", str(out), "--jobs", jobs]) == 1
        errors[jobs] = capsys.readouterr().err
        outputs[jobs] = {
            p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
        }
    assert outputs["1"] == outputs["3"] and len(outputs["1"]) == 24
    assert errors["1"] == errors["3"]
    assert 0 <= errors["3"].index("bad3.md") < errors["3"].index("bad17.md")


def test_png_formulas_are_written_beside_the_html(tmp_path: Path) -> None:
    post = write(tmp_path / "m.md", POST)
    out = tmp_path / "out"
    assert main(["render", str(post), "--out", str(out), "--math", "png"]) == 0
    html = (out / "m.html").read_text(encoding="utf-8")
    pngs = list((out / "wxsync-math").glob("*.png"))
    assert len(pngs) == 1 and f"wxsync-math/{pngs[0].name}" in html


def test_several_files_without_out_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = write(tmp_path / "a.md", "a\n"), write(tmp_path / "b.md", "b\n")
    assert main(["render", str(a), str(b)]) == 2
    assert "need --out" in capsys.readouterr().err


def test_flags_choose_theme_links_and_user_css(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    post = write(tmp_path / "post.md", "# T\n\n## Section\n\n[x](https://example.com)\n")
    css = write(tmp_path / "mine.css", "h2 { color: #abcdef }")
    assert main(["render", str(post), "--theme", "ink", "--links", "keep", "--css", str(css)]) == 0
    out = capsys.readouterr().out
    assert "color:#abcdef" in out
    assert '<a href="https://example.com"' in out


def test_broken_front_matter_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    post = write(tmp_path / "bad.md", "---\ntitle: [unclosed\n---\nbody\n")
    assert main(["render", str(post)]) == 1
    assert f"{post}:" in capsys.readouterr().err


def test_unknown_theme_is_reported_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    post = write(tmp_path / "post.md", "x\n")
    assert main(["render", str(post), "--theme", "neon"]) == 2
    err = capsys.readouterr().err
    assert "unknown theme 'neon'" in err and "default" in err
