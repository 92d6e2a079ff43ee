"""Random bytes and random Markdown/front matter through `check` and `sync --dry-run`.

Whatever a post file holds, the result is that post's problems or its plan: never an
exception, never a crash. Runs in-process (one engine, many examples) so 2,000 examples stay
fast; a subprocess run over the worst known inputs catches what only a crash would show.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wxsync.config import load_settings
from wxsync.engine.manuscript import examine
from wxsync.engine.sources import SourceIndex
from wxsync.engine.sync import Engine

KEYS = ["title", "date", "draft", "cover", "author", "digest", "summary", "wechat", "slug", "url"]
KEYS += ["tags", "published", "image", "permalink", "description", "weight"]
ODD_VALUES = [
    "2024-02-30",
    "2024-13-01",
    "9999-12-31T99:00",
    "null",
    "~",
    "*x",
    "&x",
    "!!binary x",
    "{a: [b, {c: d}]}",
    "[[[[]]]]",
    "'unclosed",
    '"\\x01"',
    "0x1F",
    "1e400",
    "-.inf",
    "{publish: maybe, position: 99, message: 3}",
    "{cover_crop: '0,0,2,2'}",
    "|-\n  x",
]
SCALARS = st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.sampled_from(ODD_VALUES))
BLOCKS = st.sampled_from(
    [
        "# 标题",
        "正文 **粗体** _斜体_ `code`",
        "<b><i><div>未闭合",
        "![图](missing.png)",
        "![图](../../../../etc/passwd)",
        "![远程](http://127.0.0.1:9/a.png)",
        "![](data:image/png;base64,AAAA)",
        "```python\nprint('x')\n```",
        "```\nunclosed fence",
        "$x^2$ and $$\\frac{1}{0}$$",
        "$$\n\\begin{bogus}\n$$",
        "| a | b |\n|---|---|\n| 1 | 2 | 3 |",
        "[链接](javascript:alert(1))",
        "> > > > > > > > > > 引用",
        "- a\n  - b\n    - c\n      - d",
        "[^1]\n\n[^1]: 脚注",
        "\x00\x01\x7f",
        "<script>alert(1)</script>",
        "&#0; &#x110000; &bogus;",
        "{{< shortcode >}} {% liquid %} [[wikilink]]",
    ]
)


@st.composite
def post_files(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    fence = draw(st.sampled_from(["---", "+++", ""]))
    lines = []
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=6)):
        value = draw(SCALARS)
        lines.append(f"{key} = {value!r}" if fence == "+++" else f"{key}: {value}")
    header = f"{fence}\n" + "\n".join(lines) + f"\n{fence}\n" if fence else ""
    if fence and draw(st.booleans()):
        header = header[: draw(st.integers(0, len(header)))]  # cut anywhere
    body = "\n\n".join(draw(st.lists(st.one_of(BLOCKS, st.text(max_size=40)), max_size=6)))
    return (header + body).encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def workspace() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="wxsync-hostile-"))
    (root / "wxsync.yml").write_text("mode: publish\n", encoding="utf-8")
    (root / "content").mkdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def engine(workspace: Path) -> Engine:
    return Engine(load_settings(workspace, {}, environ={}))


@settings(
    max_examples=2000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=post_files())
def test_any_post_file_is_checked_and_planned_without_an_exception(
    workspace: Path, engine: Engine, data: bytes
) -> None:
    (workspace / "content/post.md").write_bytes(data)
    index = SourceIndex.build(workspace)  # what `wxsync check` does, post by post
    manuscript = examine(
        "content/post.md", engine.settings, index, engine.renderer, engine.fingerprint
    )
    assert all(str(p).startswith("content/post.md:") for p in manuscript.problems)
    report = engine.run(dry_run=True)  # `wxsync sync --dry-run`
    [outcome] = report.outcomes
    assert outcome.status in ("planned", "invalid", "skipped", "waiting"), outcome
    assert (outcome.status == "invalid") == bool(manuscript.errors)


WORST = {
    "nested-b.md": "<b>" * 20000 + "x" + "</b>" * 20000,
    "nested-quote.md": ">" * 5000 + " deep",
    "nested-list.md": "".join("  " * i + "- x\n" for i in range(300)),
    "nested-brackets.md": "[" * 5000 + "x" + "](y)" * 5000,
    "alias-bomb.md": "---\nl0: &l0 [lol]\n"
    + "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    + "title: *l9\n---\nbody\n",
    "toml-deep.md": "+++\nv = " + "[" * 3000 + "]" * 3000 + "\n+++\nbody\n",
    "yaml-deep.md": "---\nv: " + "[" * 3000 + "]" * 3000 + "\n---\nbody\n",
    "emphasis.md": "*a **b " * 5000,
}


def test_the_worst_known_inputs_do_not_crash_the_process(tmp_path: Path) -> None:
    (tmp_path / "wxsync.yml").write_text("mode: draft\n", encoding="utf-8")
    for name, text in WORST.items():
        path = tmp_path / "content" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for command in (["check"], ["sync", "--dry-run"]):
        result = subprocess.run(
            [sys.executable, "-m", "wxsync.cli", *command],
            check=False,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
        assert "Traceback" not in result.stdout + result.stderr
        for name in ("nested-b.md", "alias-bomb.md", "toml-deep.md", "yaml-deep.md"):
            assert f"content/{name}" in result.stdout
