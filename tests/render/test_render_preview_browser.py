"""`wxsync preview` end to end: a real server process, loaded in headless Chromium.

The screenshot is kept under `test-artifacts/` (git-ignored) so a person can look at it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from wxsync.render import Renderer, RenderOptions
from wxsync.render.theme import available_themes

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
POST = """\
---
title: 预览测试文章
author: wxsync
---
# 浏览器里的文章

正文包含**加粗**、`代码`和[链接](https://example.com)。

1. 第一项
   - 嵌套项
     1. 更深一层

```python
def hello():
        return "八个空格"
```

| 列 | 值 |
|---|--:|
| a | 1 |

![示意图](images/figure.png)

公式 $E=mc^2$。
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "images").mkdir()
    Image.new("RGB", (640, 320), (15, 76, 129)).save(tmp_path / "images" / "figure.png")
    (tmp_path / "post.md").write_text(POST, encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not for the web", encoding="utf-8")
    return tmp_path


@pytest.fixture
def preview_url(site: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "wxsync", "preview", str(site), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first_line: list[str] = []
    reader = threading.Thread(target=lambda: first_line.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=30)
    try:
        assert first_line and "http://" in first_line[0], f"preview did not start: {first_line}"
        yield first_line[0].split(" at ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_preview_serves_index_post_and_local_images(preview_url: str) -> None:
    status, index = fetch(preview_url)
    assert status == 200 and b"/post/post.md" in index
    status, page = fetch(preview_url + "post/post.md")
    html = page.decode()
    assert status == 200
    assert "浏览器里的文章" in html and "width: 375px" in html
    assert "/asset/images/figure.png" in html
    assert fetch(preview_url + "asset/images/figure.png")[0] == 200
    assert fetch(preview_url + "post/missing.md")[0] == 404


def test_preview_never_serves_files_outside_its_folder(preview_url: str, site: Path) -> None:
    outside = site.parent / "outside.txt"
    outside.write_text("private", encoding="utf-8")
    assert fetch(preview_url + "asset/../outside.txt")[0] == 404
    assert fetch(preview_url + "asset/%2e%2e/outside.txt")[0] == 404


def chromium(profile: str) -> list[str]:
    """Headless Chromium with a fresh profile and no background traffic (this machine has no
    network: without these flags Chromium keeps trying to reach Google's hosts)."""
    return [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (CI installs Debian's chromium; apt-get install -y chromium)",
)
def test_preview_renders_the_article_in_headless_chromium(preview_url: str) -> None:
    url = preview_url + "post/post.md"
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "preview.png"
    screenshot.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="wxsync-chromium-") as profile:
        flags = [*chromium(profile), "--hide-scrollbars", "--window-size=430,1600"]
        dom = subprocess.run(
            [*flags, "--dump-dom", url], capture_output=True, text=True, timeout=90, check=True
        ).stdout
        subprocess.run(
            [*flags, f"--screenshot={screenshot}", url], capture_output=True, timeout=90, check=True
        )
    assert '<div id="article"><section' in dom
    for text in ("浏览器里的文章", "嵌套项", "八个空格", "参考链接"):
        assert text in dom
    assert "<svg" in dom  # the formula
    image = Image.open(screenshot)
    assert image.size[0] >= 400
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50, "the screenshot shows more than a blank page"


TABLES = """\
| 参数 | 说明 | 默认值 |
|---|---|---|
| requests | 并发请求数量，超过后排队等待 | 10 |
| ThreadPoolExecutor | 线程池执行器 | Android |

| Name | Type | Description | Default | Required | Example |
|---|---|---|---|---|---|
| connection_timeout_seconds | integer | how long to wait for the server to answer | 30 | no | 60 |
| ThreadPoolExecutor | Android | requests per second allowed | 100 | yes | 250 |

文字 `inline_code` 文字。

正文[^1]和[链接](https://example.com)。

[^1]: 脚注。
"""
LONG_LINE = "result = compute(" + ", ".join(f"argument_{n}" for n in range(20)) + ")"
LISTS = (
    "".join(f"{n}. 第{n}项\n" for n in range(1, 10))
    + "10. 第十项：标记比一级缩进还宽，"
    + "文字很长" * 40
    + "\n"
    + "11. https://example.com/a/very/long/path/that/cannot/break/anywhere/at/all/index.html\n"
    + f"12. 代码：\n\n    ```python\n    {LONG_LINE}\n    ```\n"
    + "13. 表格：\n\n    | connection_timeout_seconds | ThreadPoolExecutor | requests_per_second |\n"
    + "    |---|---|---|\n    | 30 | Android | 100 |\n"
    + "\n段落。\n\n1000. 标记很宽的一项，"
    + "文字很长" * 40
    + "\n"
)
FORMULA_LINES = "\n\n".join("字" * n + "，公式 $x^2$，后文" for n in range(24))

# Measures the laid-out article and writes the findings into the page as JSON.
MEASURE = """<script>
function lines(node, start, end) {
  const range = document.createRange();
  range.setStart(node, start); range.setEnd(node, end);
  return new Set([...range.getClientRects()].map(r => Math.round(r.bottom))).size;
}
function brokenWords(cell) {
  const broken = [];
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.data.matchAll(/[A-Za-z0-9_]+/g)) {
      if (lines(node, m.index, m.index + m[0].length) > 1) broken.push(m[0]);
    }
  }
  return broken;
}
window.onload = () => {
  const out = {};
  document.querySelectorAll('.frame').forEach(frame => {
    const theme = frame.dataset.theme;
    const tables = [...frame.querySelectorAll('table')].map(table => {
      const box = table.parentElement;
      return {
        broken: [...table.querySelectorAll('th,td')].flatMap(brokenWords),
        wrappedHeaders: [...table.querySelectorAll('th')]
          .filter(th => lines(th.firstChild, 0, th.firstChild.length) > 1)
          .map(th => th.textContent),
        overflowX: getComputedStyle(box).overflowX,
        boxWidth: box.clientWidth, scrollWidth: box.scrollWidth, tableWidth: table.offsetWidth,
      };
    });
    const code = frame.querySelector('code');
    const sups = [...frame.querySelectorAll('sup')].map(s => {
      const style = getComputedStyle(s);
      return [s.textContent, style.color, style.fontWeight, style.fontSize].join('|');
    });
    const commas = [...frame.querySelectorAll('p')].filter(p => p.querySelector('svg')).map(p => {
      const svg = p.querySelector('svg').getBoundingClientRect();
      const text = [...p.childNodes].concat([...p.querySelectorAll('span')].flatMap(s => [...s.childNodes]))
        .find(n => n.nodeType === 3 && n.previousSibling && n.previousSibling.nodeName === 'svg');
      const range = document.createRange(); range.setStart(text, 0); range.setEnd(text, 1);
      return Math.abs(range.getBoundingClientRect().bottom - svg.bottom) < 12;
    });
    const rows = [...frame.querySelectorAll('section')].filter(r =>
      getComputedStyle(r).display === 'flex' && r.children.length === 2);
    const overlaps = rows.filter(r => {
      const text = r.children[0].firstChild;
      const marker = document.createRange();
      marker.selectNodeContents(r.children[0]);
      return lines(text, 0, text.length) > 1 ||
        marker.getBoundingClientRect().right > r.children[1].getBoundingClientRect().left + 0.5;
    }).map(r => r.children[0].textContent);
    const lefts = rows.slice(0, 9).map(r => Math.round(r.children[1].getBoundingClientRect().left));
    out[theme] = {
      tables, sups, commas, overlaps, pageWidth: frame.scrollWidth,
      alignedItems: new Set(lefts).size === 1 && rows.length >= 14,
      listCodeScrolls: [...frame.querySelectorAll('section pre')].some(p => p.scrollWidth > p.clientWidth),
      codeRatio: parseFloat(getComputedStyle(code).fontSize) /
        parseFloat(getComputedStyle(code.parentElement).fontSize),
    };
  });
  document.getElementById('out').textContent = JSON.stringify(out);
};
</script>"""


def measure_in_chromium(page: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wxsync-chromium-") as profile:
        dom = subprocess.run(
            [
                *chromium(profile),
                "--window-size=400,900",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=True,
        ).stdout
    found = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert found and found.group(1), "the measuring script did not run"
    result: dict[str, Any] = json.loads(unescape(found.group(1)))
    return result


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_on_a_phone_tables_and_lists_scroll_and_never_break_words_in_any_theme(
    tmp_path: Path,
) -> None:
    frames = []
    for theme in available_themes():
        options = RenderOptions(theme=theme, math="svg")
        html = Renderer(options).render(TABLES + "\n" + FORMULA_LINES + "\n\n" + LISTS).html
        frames.append(
            f'<div class="frame" data-theme="{theme}" style="width:375px">'
            f'<div style="padding:0 16px">{html}</div></div>'
        )
    page = tmp_path / "tables.html"
    page.write_text(
        '<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">'
        + "".join(frames)
        + f'<pre id="out"></pre>{MEASURE}</body></html>',
        encoding="utf-8",
    )
    results = measure_in_chromium(page)
    assert sorted(results) == sorted(available_themes())
    for theme, found in results.items():
        narrow, wide = found["tables"][:2]
        for table in (narrow, wide):
            assert table["broken"] == [], f"{theme}: words broken across lines"
            assert table["wrappedHeaders"] == [], f"{theme}: headers wrap"
            assert table["overflowX"] == "auto", f"{theme}: the wrapper does not scroll"
            assert table["boxWidth"] <= 375
            assert table["scrollWidth"] >= table["tableWidth"], f"{theme}: table clipped"
        assert wide["scrollWidth"] > wide["boxWidth"], f"{theme}: the wide table was squeezed"
        assert 0.85 <= found["codeRatio"] <= 0.95, f"{theme}: inline code {found['codeRatio']:.2f}"
        assert all(found["commas"]) and len(found["commas"]) == 24, f"{theme}: ， left alone"
        assert found["pageWidth"] <= 375, f"{theme}: something in a list widens the page"
        assert found["listCodeScrolls"], f"{theme}: code in a list item does not scroll"
        assert found["overlaps"] == [], f"{theme}: list markers broken or over their text"
        assert found["alignedItems"], f"{theme}: list items 1-9 do not start at one column"
        footnote, reference = found["sups"][:2]
        assert footnote.split("|")[0] == "1" and reference.split("|")[0] == "[1]"
        assert footnote.split("|")[1:] != reference.split("|")[1:], f"{theme}: marks look alike"
