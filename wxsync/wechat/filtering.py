"""What WeChat does to article HTML when it stores a draft.

The emulator applies this to `content` so that `draft/get` shows what a reader would get:
scripts, stylesheets, frames and event handlers gone, `javascript:` links neutralised, external
links made unclickable, and images that WeChat did not issue removed. Keeping this strict is
what makes the renderer's tests honest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

REMOVED_TAGS = (
    "script",
    "style",
    "link",
    "iframe",
    "object",
    "embed",
    "frame",
    "frameset",
    "meta",
    "base",
)
ALLOWED_LINK_HOSTS = ("mp.weixin.qq.com",)

_SCRIPT_SCHEME = re.compile(r"^\s*(javascript|vbscript|data)\s*:", re.IGNORECASE)


def filter_content(html: str, image_allowed: Callable[[str], bool]) -> str:
    """Return `html` as WeChat would store it; `image_allowed(url)` says which images survive."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(REMOVED_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        for name in list(tag.attrs):
            value = tag.attrs[name]
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on") or _SCRIPT_SCHEME.match(text):
                del tag.attrs[name]
        if tag.name == "a" and "href" in tag.attrs and not _is_wechat_link(str(tag["href"])):
            del tag.attrs["href"]
    for img in soup.find_all("img"):
        src = str(img.get("src") or img.get("data-src") or "")
        if not src or not image_allowed(src):
            img.decompose()
    return str(soup)


def visible_text(html: str) -> str:
    """The text a reader sees, whitespace collapsed: what WeChat's default digest is cut from."""
    text = BeautifulSoup(html, "html.parser").get_text(" ")
    return " ".join(text.split())


def _is_wechat_link(href: str) -> bool:
    host = (urlsplit(href.strip()).hostname or "").lower()
    return any(host == allowed or host.endswith("." + allowed) for allowed in ALLOWED_LINK_HOSTS)
