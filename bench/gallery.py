"""The theme gallery: a sample post in every theme (and a few code styles), shot at 375 px.

    .venv/bin/python bench/gallery.py [--out docs/gallery] [--chromium /usr/bin/chromium]

Writes `docs/gallery/<theme>.png` for every built-in theme (with its own code style),
`docs/gallery/code-<style>.png` for a few Pygments styles and `code-window.png` for
`code_window: true`, each a headless-Chromium screenshot of the article in a 375 px wide
page, the width of a phone. The READMEs show them, so people can choose by looking; rerun
this after changing a theme and commit the pictures with it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from html import escape
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

from wxsync.render import Renderer, RenderOptions
from wxsync.render.theme import available_themes

PROJECT = Path(__file__).resolve().parents[1]
WIDTH = 375
CODE_STYLES = ("github-dark", "friendly", "one-dark", "solarized-light")
TITLE = "用 Git 写公众号：一篇样文"

SAMPLE = """\
写作的人只想写字。这篇样文把常见的 Markdown 元素都用上一遍：**加粗**、*斜体*、`行内代码`、
==高亮==、~~删除线~~、H~2~O 与 x^2^，还有一个[外部链接](https://example.com/guide)和一个脚注[^1]。

## 二级标题：准备工作

朋友问我：**你到底想找什么？**我说不出来。**注意：**下面每一步都可以跳过。

1. 安装 wxsync
2. 写好 `wxsync.yml`
   - 选一个主题
   - 选一种代码配色
3. 推送到 GitHub

> 好的排版让读者忘记排版。
>
> —— 一位编辑

> [!NOTE]
> 五种提示框，五种颜色。

> [!TIP]
> 先用 `wxsync preview` 在手机宽度下看一眼。

> [!IMPORTANT]
> 状态文件要提交到仓库。

> [!WARNING]
> 正文超过两万字符时，微信会拒收。

> [!CAUTION]
> 群发之后无法撤回。

### 三级标题：代码与公式

```python
def greet(name: str) -> str:
    # 问候一个人
    return f"你好，{name}！"
```

质能方程 $E=mc^2$，以及一个独立公式：

$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$

| 主题 | 风格 | 适合 |
|---|---|---|
| default | 蓝色标题条 | 技术文章 |
| warm | 橙色、圆角 | 生活随笔 |
| ink | 黑白、衬线 | 长篇阅读 |

![一张示意图](figure.png)

<details>
<summary>点击展开</summary>

折叠的内容在文章里直接展开。

</details>

[^1]: 脚注写在文末，和参考链接分开。
"""

CODE_SAMPLE = """\
```go
// Fib returns the n-th Fibonacci number.
func Fib(n int) int {
    if n < 2 {
        return n
    }
    return Fib(n-1) + Fib(n-2) // 递归
}
```
"""

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width={width}">
<style>
body {{ margin: 0; width: {width}px; background: #fff;
  font-family: -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; }}
.screen {{ padding: 20px 16px 28px; }}
.title {{ margin: 0 0 8px; font: 500 22px/1.4 sans-serif; color: #111; }}
.meta {{ margin-bottom: 22px; font: 15px sans-serif; color: #576b95; }}
</style></head>
<body><div class="screen"><h1 class="title">{title}</h1><div class="meta">{meta}</div>
{article}</div></body></html>
"""


def figure(path: Path) -> None:
    """A small illustration for the sample post (drawn, so the gallery needs no downloads)."""
    image = Image.new("RGB", (640, 300), (236, 242, 248))
    draw = ImageDraw.Draw(image)
    for index, colour in enumerate(((15, 76, 129), (239, 125, 49), (34, 34, 34))):
        left = 60 + index * 190
        draw.rounded_rectangle((left, 70, left + 140, 230), radius=18, fill=colour)
    image.save(path)


def page(markdown: str, options: RenderOptions, meta: str) -> str:
    html = Renderer(options).render(markdown).html
    return PAGE.format(width=WIDTH, title=escape(TITLE), meta=escape(meta), article=html)


def screenshot(chromium: str, source: Path, target: Path) -> None:
    """Shoot `source` at phone width, then trim the empty space below the article."""
    with tempfile.TemporaryDirectory(prefix="wxsync-gallery-") as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                f"--window-size={WIDTH},6000",
                f"--screenshot={target}",
                source.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    with Image.open(target) as shot:
        image = shot.convert("RGB")
    blank = Image.new("RGB", image.size, (255, 255, 255))
    box = ImageChops.difference(image, blank).getbbox()
    bottom = min(image.height, (box[3] if box else image.height) + 28)
    image.crop((0, 0, WIDTH, bottom)).save(target, optimize=True)


def build(out: Path, chromium: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="wxsync-gallery-pages-") as folder:
        work = Path(folder)
        figure(work / "figure.png")
        jobs: list[tuple[str, str]] = []
        for theme in available_themes():
            options = RenderOptions(theme=theme)
            jobs.append((theme, page(SAMPLE, options, f"theme: {theme}")))
        for style in CODE_STYLES:
            options = RenderOptions(code_theme=style, code_label=True)
            jobs.append((f"code-{style}", page(CODE_SAMPLE, options, f"code_theme: {style}")))
        window = RenderOptions(code_theme="one-dark", code_window=True)
        jobs.append(("code-window", page(CODE_SAMPLE, window, "code_window: true (one-dark)")))
        for name, html in jobs:
            source = work / f"{name}.html"
            source.write_text(html, encoding="utf-8")
            target = out / f"{name}.png"
            screenshot(chromium, source, target)
            written.append(target)
            print(
                f"wrote {target.relative_to(PROJECT) if target.is_relative_to(PROJECT) else target}"
            )
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT / "docs" / "gallery")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    build(args.out.resolve(), args.chromium)
    return 0


if __name__ == "__main__":
    sys.exit(main())
