"""GitHub alerts (`> [!NOTE]`) and Obsidian callouts (`> [!tip] Title`) as titled boxes.

Both are block quotes whose first line is `[!KIND]`. GitHub knows five kinds; Obsidian knows
more and any case, with an optional title after the marker and `-`/`+` for folding. Obsidian's
kinds map onto GitHub's five by colour and meaning; folded callouts are shown open, since a
WeChat article cannot fold. A marker that names no known kind leaves the quote as it is.

The hook rewrites block tokens before mistune parses inline text, so the title is Markdown
like any other line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

KINDS = ("note", "tip", "important", "warning", "caution")
DEFAULT_TITLES: Mapping[str, str] = {
    "note": "注意",
    "tip": "提示",
    "important": "重要",
    "warning": "警告",
    "caution": "小心",
}
# Obsidian's callout types (and their aliases) onto the five kinds.
ALIASES: Mapping[str, str] = {
    **{kind: kind for kind in KINDS},
    **dict.fromkeys(("info", "todo", "abstract", "summary", "tldr", "quote", "cite"), "note"),
    **dict.fromkeys(("hint", "success", "check", "done"), "tip"),
    **dict.fromkeys(("example", "question", "help", "faq"), "important"),
    **dict.fromkeys(("attention",), "warning"),
    **dict.fromkeys(("failure", "fail", "missing", "danger", "error", "bug"), "caution"),
}
_MARKER = re.compile(r"\[!([A-Za-z-]+)\]([-+]?)[ \t]*([^\n]*)(?:\n|$)")
# Class names: `al` the box, then one short class per kind for its colours.
CLASSES: Mapping[str, str] = {
    "note": "an",
    "tip": "ap",
    "important": "ai",
    "warning": "aw",
    "caution": "ac",
}


def alert_titles(overrides: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """The title of each kind: the Chinese defaults, with the configured ones on top."""
    titles = dict(DEFAULT_TITLES)
    titles.update(overrides)
    return titles


def rewrite_alerts(tokens: list[dict[str, Any]], titles: Mapping[str, str]) -> None:
    """Turn block quotes that start with `[!KIND]` into `alert` tokens, at any depth."""
    for index, token in enumerate(tokens):
        children = token.get("children")
        if isinstance(children, list):
            rewrite_alerts(children, titles)
        if token["type"] == "block_quote":
            alert = _alert(token, titles)
            if alert is not None:
                tokens[index] = alert


def _alert(quote: dict[str, Any], titles: Mapping[str, str]) -> dict[str, Any] | None:
    children = quote.get("children") or []
    if not children or children[0]["type"] != "paragraph" or "text" not in children[0]:
        return None
    text: str = children[0]["text"]
    match = _MARKER.match(text.lstrip(" "))
    if match is None:
        return None
    kind = ALIASES.get(match.group(1).lower())
    if kind is None:
        return None
    custom = match.group(3).strip()
    title: dict[str, Any] = (
        {"type": "alert_title", "text": custom}
        if custom
        else {"type": "alert_title", "raw": escape(titles[kind], quote=False)}
    )
    rest = text.lstrip(" ")[match.end() :]
    body = children[1:]
    if rest.strip():
        body = [{**children[0], "text": rest}, *body]
    return {"type": "alert", "attrs": {"kind": kind}, "children": [title, *body]}
