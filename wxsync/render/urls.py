"""URL checks shared by Markdown links, images and raw HTML.

WeChat removes `javascript:` (and friends) itself, but the renderer must never emit them in the
first place: the output is previewed in a browser, and the article must not depend on WeChat's
filter to be safe.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

# Browsers ignore ASCII tabs, newlines and control characters inside a scheme
# ("java\tscript:"), so they are removed before the scheme is read.
_IGNORED = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")

LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
IMAGE_SCHEMES = frozenset({"http", "https"})
WECHAT_HOSTS = ("mp.weixin.qq.com",)


def scheme(url: str) -> str | None:
    """The URL's scheme in lower case, or None for a relative URL."""
    cleaned = _IGNORED.sub("", unescape(url)).lower()
    match = _SCHEME.match(cleaned)
    return match.group(1) if match else None


def is_safe_link(url: str) -> bool:
    """A link target a reader may follow: http(s), mailto, tel, or relative."""
    name = scheme(url)
    return name is None or name in LINK_SCHEMES


def is_external(url: str) -> bool:
    """True for absolute links (http, https, mailto, tel) that a reader could copy and use."""
    return scheme(url) in LINK_SCHEMES


def is_safe_image(url: str) -> bool:
    """An image source the sync engine can resolve: a relative path or http(s)."""
    name = scheme(url)
    return bool(url.strip()) and (name is None or name in IMAGE_SCHEMES)


def is_wechat_article(url: str) -> bool:
    """Links to mp.weixin.qq.com are the only ones WeChat keeps clickable for most accounts."""
    if scheme(url) not in ("http", "https"):
        return False
    try:
        host = (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return False
    return any(host == allowed or host.endswith("." + allowed) for allowed in WECHAT_HOSTS)
