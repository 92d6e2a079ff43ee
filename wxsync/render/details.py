"""`<details><summary>…</summary>…</details>` as a titled block: WeChat has no `<details>`.

Writers usually leave blank lines around the hidden Markdown, so mistune sees three pieces:
an HTML block with `<details>` and the summary, ordinary Markdown blocks, and an HTML block
with `</details>`. This hook joins them back into one `details` token whose children are the
blocks in between; the renderer shows it open, the summary as its title.
"""

from __future__ import annotations

import re
from html import escape, unescape
from typing import Any

DEFAULT_TITLE = "详情"
_OPEN = re.compile(r"^\s*<details\b[^>]*>", re.I)
_CLOSE = re.compile(r"</details\s*>", re.I)
_SUMMARY = re.compile(r"<summary\b[^>]*>(.*?)</summary\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")


def rewrite_details(tokens: list[dict[str, Any]]) -> None:
    """Replace each `<details>` … `</details>` run of sibling blocks with a `details` token."""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        children = token.get("children")
        if isinstance(children, list):
            rewrite_details(children)
        if token["type"] == "block_html" and _OPEN.match(token.get("raw", "")):
            end = _closing(tokens, index)
            tokens[index : end + 1] = _details(tokens[index : end + 1])
        index += 1


def _closing(tokens: list[dict[str, Any]], start: int) -> int:
    """Index of the block that closes the `<details>` opened at `start` (nesting counted)."""
    depth = 0
    for index in range(start, len(tokens)):
        token = tokens[index]
        if token["type"] != "block_html":
            continue
        raw = token.get("raw", "")
        depth += len(re.findall(r"<details\b", raw, re.I)) - len(_CLOSE.findall(raw))
        if depth <= 0:
            return index
    return len(tokens) - 1


def _details(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `details` token, then any HTML that followed `</details>` in the same block."""
    first = blocks[0]["raw"]
    opening = _OPEN.match(first)
    assert opening is not None
    head = first[opening.end() :]
    summary = _SUMMARY.search(head)
    title = DEFAULT_TITLE
    if summary is not None:
        title = " ".join(unescape(_TAG.sub("", summary.group(1))).split()) or DEFAULT_TITLE
        head = head[: summary.start()] + head[summary.end() :]
    inner = [{"type": "block_html", "raw": head}, *blocks[1:]]
    after: list[dict[str, Any]] = []
    last = inner[-1]
    if last["type"] == "block_html":
        closes = list(_CLOSE.finditer(last["raw"]))
        if closes:
            inner[-1] = {"type": "block_html", "raw": last["raw"][: closes[-1].start()]}
            tail = last["raw"][closes[-1].end() :]
            if tail.strip():
                after.append({"type": "block_html", "raw": tail})
    children = [token for token in inner if token["type"] != "block_html" or token["raw"].strip()]
    rewrite_details(children)  # nested <details> inside
    details = {"type": "details", "attrs": {"title": escape(title, quote=False)}}
    return [{**details, "children": children}, *after]
