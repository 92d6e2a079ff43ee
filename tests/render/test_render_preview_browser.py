"""`wxsync preview` end to end: a real server process, loaded in headless Chromium.

The screenshot is kept under `test-artifacts/` (git-ignored) so a person can look at it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

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
        flags = [
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
            "--hide-scrollbars",
            "--window-size=430,1600",
        ]
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
