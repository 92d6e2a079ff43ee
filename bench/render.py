"""Renderer benchmark: wxsync against mistune + Pygments + premailer, measured in the same run.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/render.py [--posts 120] [--repeat 3]

It writes a corpus of generated posts (each ~5,000 CJK characters with three code blocks, a
table, images, links, a nested list and a quote), then times whole processes — interpreter
start-up, imports and all — for `wxsync render POSTS --out DIR` and for the baseline pipeline
(`--baseline` mode of this script: mistune's HTML renderer, Pygments `HtmlFormatter` with inline
styles, premailer with the same theme CSS). It prints the time ratio and, for both, the HTML
characters per visible text character (the same measure for both outputs).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面"
    "而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性"
    "好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第"
    "向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管"
)
PUNCT = "，，，，。。、；："
CODE = {
    "python": '''import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Post:
    path: str
    title: str
    words: int = 0


async def publish(posts: list[Post], *, limit: int = 4) -> dict[str, str]:
    """Publish every post, at most `limit` at a time."""
    semaphore = asyncio.Semaphore(limit)
    results: dict[str, str] = {}

    async def one(post: Post) -> None:
        async with semaphore:
            if post.words > 20_000:
                raise ValueError(f"{post.path}: too long ({post.words} words)")
            results[post.path] = await upload(post)

    await asyncio.gather(*(one(post) for post in posts))
    return results
''',
    "javascript": """export function debounce(fn, wait = 200) {
  let timer = null;
  return function (...args) {
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(() => {
      timer = null;
      fn.apply(this, args);
    }, wait);
  };
}

const render = debounce((markdown) => {
  const html = marked.parse(markdown, { gfm: true });
  document.querySelector("#preview").innerHTML = html;
}, 300);
""",
    "go": """package main

import (
\t"fmt"
\t"os"
\t"strings"
)

type Article struct {
\tTitle   string
\tContent string
\tDigest  string
}

func (a Article) Validate() error {
\tif len([]rune(a.Title)) > 32 {
\t\treturn fmt.Errorf("title too long: %d", len(a.Title))
\t}
\tif strings.TrimSpace(a.Content) == "" {
\t\treturn fmt.Errorf("empty content")
\t}
\treturn nil
}

func main() {
\tif err := (Article{Title: os.Args[1]}).Validate(); err != nil {
\t\tfmt.Println(err)
\t\tos.Exit(1)
\t}
}
""",
}


def sentence(rng: random.Random, length: int) -> str:
    chars = [rng.choice(COMMON) for _ in range(length)]
    for i in range(rng.randint(4, 9), length - 2, rng.randint(6, 14)):
        chars[i] = rng.choice(PUNCT)
    return "".join(chars) + "。"


def paragraph(rng: random.Random, cjk: int) -> str:
    parts = []
    while cjk > 0:
        n = min(cjk, rng.randint(25, 60))
        parts.append(sentence(rng, n))
        cjk -= n
    return "".join(parts)


def post(rng: random.Random, number: int) -> str:
    """One post of ~5,000 CJK characters with the features a real article uses."""
    blocks = [f"---\ntitle: 基准文章 {number}\nauthor: wxsync\n---\n", f"# 基准文章 {number}\n"]
    links = [
        (
            "官方文档",
            "https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Overview.html",
        ),
        ("项目主页", f"https://github.com/example/project-{number}"),
        ("上一篇文章", "https://mp.weixin.qq.com/s/AbCdEfGhIjKlMnOpQrStUv"),
        ("参考资料", "https://en.wikipedia.org/wiki/Markdown"),
    ]
    languages = list(CODE)
    for section in range(6):
        blocks.append(f"## 第{section + 1}节 {paragraph(rng, 6)[:-1]}\n")
        text = paragraph(rng, 300)
        label, url = links[section % len(links)]
        cut = len(text) // 2
        text = f"{text[:cut]}**{paragraph(rng, 8)[:-1]}**，见[{label}]({url})，用 `render()` {text[cut:]}"
        blocks.append(text + "\n")
        blocks.append(paragraph(rng, 350) + "\n")
        if section < 3:
            # Each post's code differs (a comment, a constant), so no cache can skip the work.
            language = languages[section]
            comment = "#" if language == "python" else "//"
            code = CODE[language].replace("20_000", str(rng.randint(1000, 99999)))
            code = code.replace("200", str(rng.randint(100, 999)))
            head = f"{comment} {paragraph(rng, 12)} ({number})"
            blocks.append(f"```{language}\n{head}\n{code}```\n")
        if section == 1:
            rows = "\n".join(
                f"| {paragraph(rng, 4)[:-1]} | {rng.randint(1, 999)} | {paragraph(rng, 8)[:-1]} | {rng.choice('是否')} |"
                for _ in range(6)
            )
            blocks.append("| 名称 | 数量 | 说明 | 启用 |\n|:---|---:|:---:|---|\n" + rows + "\n")
        if section in (2, 4):
            blocks.append(f"![示意图 {section}](images/figure-{number}-{section}.png)\n")
        if section == 3:
            blocks.append(
                f"- {paragraph(rng, 30)}\n- {paragraph(rng, 25)}\n  1. {paragraph(rng, 20)}\n"
                f"  2. **要点**：{paragraph(rng, 20)}\n- {paragraph(rng, 30)}\n"
            )
            blocks.append(f"> {paragraph(rng, 80)}\n")
    return "\n".join(blocks)


def write_corpus(folder: Path, count: int) -> list[Path]:
    rng = random.Random(20260101)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"post-{number:03d}.md"
        path.write_text(post(rng, number), encoding="utf-8")
        paths.append(path)
    return paths


# The baseline pipeline, run as its own process by `--baseline`.


def baseline(files: list[str], out: Path, theme: str, code_theme: str) -> None:
    import logging

    import mistune
    from premailer import Premailer
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    from wxsync.content.frontmatter import split
    from wxsync.render.theme import load_theme

    formatter = HtmlFormatter(noclasses=True, style=code_theme)

    class HighlightRenderer(mistune.HTMLRenderer):
        def block_code(self, code: str, info: str | None = None) -> str:
            if info:
                try:
                    lexer = get_lexer_by_name(info.split()[0])
                except ClassNotFound:
                    return super().block_code(code, info)
                return highlight(code, lexer, formatter)
            return super().block_code(code, info)

    markdown = mistune.create_markdown(
        renderer=HighlightRenderer(escape=False),
        plugins=["strikethrough", "table", "task_lists", "footnotes", "url"],
    )
    css = load_theme(theme)
    out.mkdir(parents=True, exist_ok=True)
    for name in files:
        path = Path(name)
        body = markdown(split(path.read_text(encoding="utf-8")).body)
        document = (
            f"<html><head><style>{css}</style></head><body>"
            f'<section class="wx">{body}</section></body></html>'
        )
        # premailer's defaults, as `premailer.transform(html)` uses them; only its log is quiet.
        inlined = Premailer(document, cssutils_logging_level=logging.CRITICAL).transform()
        start = inlined.index("<body>") + len("<body>")
        end = inlined.rindex("</body>")
        (out / f"{path.stem}.html").write_text(inlined[start:end].strip(), encoding="utf-8")


def run_timed(command: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - started)
    return best


def density(folder: Path) -> tuple[float, int, int]:
    """HTML characters per visible text character over all outputs, and the two totals."""
    from wxsync.render.renderer import visible_length

    html_chars = text_chars = 0
    for path in sorted(folder.glob("*.html")):
        html = path.read_text(encoding="utf-8")
        html_chars += len(html)
        text_chars += visible_length(html)
    return html_chars / max(1, text_chars), html_chars, text_chars


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=3, help="runs per pipeline; the best counts")
    parser.add_argument("--theme", default="default")
    parser.add_argument("--code-theme", default="github-dark")
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        baseline(args.files, args.out, args.theme, args.code_theme)
        return 0

    with tempfile.TemporaryDirectory(prefix="wxsync-bench-") as tmp:
        folder = Path(tmp)
        files = [str(p) for p in write_corpus(folder / "posts", args.posts)]
        ours_out, base_out = folder / "wxsync", folder / "baseline"
        ours = run_timed(
            [sys.executable, "-m", "wxsync", "render", *files, "--out", str(ours_out),
             "--theme", args.theme, "--code-theme", args.code_theme],
            args.repeat,
        )  # fmt: skip
        base = run_timed(
            [sys.executable, __file__, "--baseline", "--out", str(base_out),
             "--theme", args.theme, "--code-theme", args.code_theme, *files],
            args.repeat,
        )  # fmt: skip
        ours_density, ours_html, ours_text = density(ours_out)
        base_density, base_html, base_text = density(base_out)
        largest = max(len(p.read_text(encoding="utf-8")) for p in ours_out.glob("*.html"))

    print(
        f"corpus: {args.posts} posts, ~5,000 CJK characters, 3 code blocks, a table, images, links each"
    )
    print(f"baseline (mistune + pygments + premailer): {base:.2f} s, {base / args.posts * 1000:.1f} ms/post, "
          f"{base_density:.2f} HTML chars per text char ({base_html:,} / {base_text:,})")  # fmt: skip
    print(f"wxsync render:                            {ours:.2f} s, {ours / args.posts * 1000:.1f} ms/post, "
          f"{ours_density:.2f} HTML chars per text char ({ours_html:,} / {ours_text:,})")  # fmt: skip
    print(f"time ratio wxsync/baseline: {ours / base:.2f} (target <= 0.50)")
    print(
        f"HTML chars per text char: wxsync {ours_density:.2f} (target <= 2.50), baseline {base_density:.2f}"
    )
    print(f"largest wxsync article: {largest:,} characters (WeChat limit 20,000)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
