"""Renderer benchmark: wxsync against mistune + Pygments + premailer, measured in the same run.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/render.py [--posts 120] [--repeat 3]

It writes a corpus of generated posts (each ~5,000 CJK characters with three code blocks, a
table, images, links, a nested list and a quote), then times whole processes — interpreter
start-up, imports and all — for `wxsync render POSTS --out DIR` and for the baseline pipeline
(`--baseline` mode of this script: mistune's HTML renderer, Pygments `HtmlFormatter` with inline
styles, premailer with the same theme CSS). It prints the time ratio and, for both, the HTML
characters per visible text character (the same measure for both outputs). `wxsync render
--out` shares the posts among processes, one per CPU (up to 4), as users get it; the time of the
same command in one process (`--jobs 1`) is printed beside the ratio. wxsync's bytecode is
compiled first, as pip compiles it when installing the wheel, so neither side pays for compiling
its own source in the timed processes.
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


# The code-heavy corpus: tutorials where about a third of the visible text is code (Go, Java,
# Python, SQL, shell, YAML), as on Go/Java tutorial blogs. Generated from templates with varied
# names and numbers, so no two blocks are the same.
TUTORIAL_CODE = {
    "go": """func {Name}Handler(w http.ResponseWriter, r *http.Request) {{
	ctx, cancel := context.WithTimeout(r.Context(), {n}*time.Millisecond)
	defer cancel()
	items, err := store.List{Name}(ctx, r.URL.Query().Get("{key}"))
	if err != nil {{
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}}
	for i, item := range items {{
		if item.Count > {n} {{
			log.Printf("item %d: %s has %d", i, item.Name, item.Count)
		}}
	}}
	_ = json.NewEncoder(w).Encode(map[string]any{{"{key}": items, "total": len(items)}})
}}
""",
    "java": """public class {Name}Service {{
    private final Map<String, List<{Name}>> cache = new ConcurrentHashMap<>();
    private static final int LIMIT = {n};

    public List<{Name}> find(String {key}) throws IOException {{
        // look in the cache first, then ask the repository
        return cache.computeIfAbsent({key}, k -> {{
            List<{Name}> found = repository.findBy{Name}(k);
            if (found.size() > LIMIT) {{
                return found.subList(0, LIMIT);
            }}
            return found;
        }});
    }}
}}
""",
    "python": """class {Name}Client:
    \"\"\"Talk to the {key} service, retrying {n} times.\"\"\"

    def __init__(self, base_url: str, retries: int = {n}) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries

    def get(self, {key}: str) -> dict[str, object]:
        for attempt in range(self.retries):
            response = requests.get(f"{{self.base_url}}/{key}/{{{key}}}", timeout=5)
            if response.ok:
                return response.json()
            time.sleep(2 ** attempt)  # back off
        raise RuntimeError(f"{key} {{{key}!r}} failed after {{self.retries}} tries")
""",
    "sql": """SELECT u.id, u.name, COUNT(o.id) AS orders, SUM(o.amount) AS total
FROM users u
LEFT JOIN orders o ON o.user_id = u.id AND o.created_at > '2024-01-{day:02d}'
WHERE u.status = '{key}' AND u.score >= {n}
GROUP BY u.id, u.name
HAVING COUNT(o.id) > 2
ORDER BY total DESC
LIMIT {n};
""",
    "bash": """#!/usr/bin/env bash
set -euo pipefail
for f in ./{key}/*.log; do
  if grep -q "ERROR" "$f"; then
    echo "found errors in $f" >&2
    gzip -9 "$f" && mv "$f.gz" /var/backup/{key}-{n}/
  fi
done
""",
    "yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {key}-{n}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: {key}
          image: "registry.example.com/{key}:{n}"
          ports:
            - containerPort: 8080
""",
}
NAMES = ("Order", "User", "Invoice", "Session", "Article", "Payment", "Device", "Report")
KEYS = ("order", "user", "tenant", "region", "topic", "account", "build", "cluster")


def tutorial(rng: random.Random, number: int) -> str:
    """One tutorial post: prose and code blocks, a third of the visible text code.

    Lengths vary (2 to 9 sections): the longest posts need the fitting ladder.
    """
    blocks = [f"---\ntitle: 教程 {number}\nauthor: wxsync\n---\n"]
    languages = list(TUTORIAL_CODE)
    for section in range(rng.randint(2, 9)):
        blocks.append(f"## 第{section + 1}步 {paragraph(rng, 6)[:-1]}\n")
        blocks.append(f"{paragraph(rng, 480)}用 `{rng.choice(KEYS)}` 调用。\n")
        language = rng.choice(languages)
        code = TUTORIAL_CODE[language].format(
            Name=rng.choice(NAMES), key=rng.choice(KEYS), n=rng.randint(2, 999),
            day=rng.randint(1, 28),
        )  # fmt: skip
        blocks.append(f"```{language}\n{code}```\n")
        blocks.append(paragraph(rng, 260) + "\n")
    return "\n".join(blocks)


def write_posts(
    folder: Path, count: int, make: Callable[[random.Random, int], str], name: str, seed: int
) -> list[Path]:
    """`count` files `NAME-000.md`… made by `make` from one seeded generator: the same every run."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"{name}-{number:03d}.md"
        path.write_text(make(rng, number), encoding="utf-8")
        paths.append(path)
    return paths


def write_code_corpus(folder: Path, count: int) -> list[Path]:
    return write_posts(folder, count, tutorial, "tutorial", 20260202)


def write_corpus(folder: Path, count: int) -> list[Path]:
    return write_posts(folder, count, post, "post", 20260101)


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


def code_corpus_report(files: list[str], base_out: Path, theme: str, code_theme: str) -> list[str]:
    """Density with full highlighting, code share and fitting on the code-heavy corpus."""
    from wxsync.content.post import parse_post
    from wxsync.engine.manuscript import fit_article
    from wxsync.render import Renderer, RenderOptions
    from wxsync.render.renderer import code_length, visible_length

    renderer = Renderer(RenderOptions(theme=theme, code_theme=code_theme))
    html_chars = text_chars = code_chars = fit_as_is = fit_after = 0
    steps: dict[str, int] = {}
    for name in files:
        post = parse_post(name, Path(name).read_text(encoding="utf-8")).post
        assert post is not None
        full = renderer.render(post.body)
        html_chars += len(full.html)
        text_chars += visible_length(full.html)
        code_chars += code_length(full.html)
        fitted = fit_article(renderer, post.body)
        fit_as_is += fitted.fits and fitted.step is None
        fit_after += fitted.fits
        if fitted.step:
            steps[fitted.step] = steps.get(fitted.step, 0) + 1
    base_density, _base_html, _base_text = density(base_out)
    count = len(files)
    taken = ", ".join(f"{step}: {n}" for step, n in steps.items()) or "none"
    return [
        f"code-heavy corpus: {count} tutorials, code is {code_chars / text_chars:.0%} of the visible text",
        f"[{code_theme}] HTML chars per text char, full highlighting: wxsync "
        f"{html_chars / text_chars:.2f} (target <= 3.00), baseline {base_density:.2f}",
        f"[{code_theme}] posts that fit: {fit_as_is / count:.0%} as configured, "
        f"{fit_after / count:.0%} after the fitting ladder (target 100%; steps taken: {taken})",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=120)
    parser.add_argument("--tutorials", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3, help="runs per pipeline; the best counts")
    parser.add_argument("--theme", default="default")
    parser.add_argument("--code-theme", default="", help="Pygments style (default: the theme's)")
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from wxsync.render.theme import code_style

    code_theme = code_style(args.theme, args.code_theme)
    if args.baseline:
        baseline(args.files, args.out, args.theme, code_theme)
        return 0

    # Both sides run as installed packages do: pip compiles the bytecode of what it installs
    # (mistune, Pygments, premailer), but an editable install of wxsync under
    # PYTHONDONTWRITEBYTECODE (set on this kind of machine) would compile ~90 modules from
    # source in every process it starts, which is start-up cost no user of the wheel pays.
    compileall.compile_dir(ROOT / "wxsync", quiet=1)
    with tempfile.TemporaryDirectory(prefix="wxsync-bench-") as tmp:
        folder = Path(tmp)
        files = [str(p) for p in write_corpus(folder / "posts", args.posts)]
        tutorials = [str(p) for p in write_code_corpus(folder / "tutorials", args.tutorials)]
        ours_out, base_out = folder / "wxsync", folder / "baseline"
        theme_args = ["--theme", args.theme] + (
            ["--code-theme", args.code_theme] if args.code_theme else []
        )
        ours = run_timed(
            [sys.executable, "-m", "wxsync", "render", *files, "--out", str(ours_out), *theme_args],
            args.repeat,
        )  # fmt: skip
        # The same command in one process: what a one-CPU machine gets, reported beside it.
        single = run_timed(
            [sys.executable, "-m", "wxsync", "render", *files, "--out", str(folder / "single"),
             "--jobs", "1", *theme_args],
            args.repeat,
        )  # fmt: skip
        base = run_timed(
            [sys.executable, __file__, "--baseline", "--out", str(base_out),
             "--theme", args.theme, "--code-theme", code_theme, *files],
            args.repeat,
        )  # fmt: skip
        ours_density, ours_html, ours_text = density(ours_out)
        base_density, base_html, base_text = density(base_out)
        sizes = [len(p.read_text(encoding="utf-8")) for p in ours_out.glob("*.html")]
        code_base_out = folder / "baseline-tutorials"
        run_timed(
            [sys.executable, __file__, "--baseline", "--out", str(code_base_out),
             "--theme", args.theme, "--code-theme", code_theme, *tutorials],
            1,
        )  # fmt: skip
        code_lines = code_corpus_report(tutorials, code_base_out, args.theme, code_theme)
        if code_theme != "github-dark":
            # The former default for every theme, and a style rich in colours: the ladder's case.
            code_lines += code_corpus_report(tutorials, code_base_out, args.theme, "github-dark")[
                1:
            ]

    print(
        f"corpus: {args.posts} posts, ~5,000 CJK characters, 3 code blocks, a table, images, links each"
    )
    print(f"baseline (mistune + pygments + premailer): {base:.2f} s, {base / args.posts * 1000:.1f} ms/post, "
          f"{base_density:.2f} HTML chars per text char ({base_html:,} / {base_text:,})")  # fmt: skip
    print(f"wxsync render:                            {ours:.2f} s, {ours / args.posts * 1000:.1f} ms/post, "
          f"{ours_density:.2f} HTML chars per text char ({ours_html:,} / {ours_text:,})")  # fmt: skip
    processes = min(os.cpu_count() or 1, 4)
    print(f"time ratio wxsync/baseline: {ours / base:.2f} (target <= 0.45; wxsync used "
          f"{processes} process{'es' if processes > 1 else ''}, one per CPU); "
          f"in one process (--jobs 1): {single / base:.2f}")  # fmt: skip
    print(
        f"HTML chars per text char: wxsync {ours_density:.2f} (target <= 2.20), baseline {base_density:.2f}"
    )
    fitting = sum(size < 20_000 for size in sizes)
    print(
        f"largest wxsync article: {max(sizes):,} characters; {fitting / len(sizes):.0%} of posts fit (WeChat limit 20,000)"
    )
    for line in code_lines:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
