"""Parsers with limits: a post is untrusted input, and one hostile file must not stop a run.

Every parser here has a way to take unbounded time, memory or stack on a few hundred bytes:
YAML aliases expand exponentially (nine levels of "billion laughs" make a 2.8-billion-character
title), TOML and YAML nested a few thousand deep exhaust Python's stack, HTML nested 20,000
deep crashes the CSS inliner (a segfault: no message, no other post synced), and a date
like 2024-02-30 makes PyYAML raise a bare `ValueError`. Each limit turns into a one-line error
that names the file and the line.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import yaml

# Real front matter uses a handful of aliases at most; a bomb needs dozens.
MAX_YAML_ALIASES = 50
# Markdown nests lists and quotes a few levels; themes add two or three wrappers.
MAX_HTML_DEPTH = 200

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LimitError(ValueError):
    """Input past a parser's limit; `line` is 1-based within the parsed text (0: unknown)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(_Base):  # type: ignore[misc]
    """The safe loader, with impossible dates kept as the text written (the reader says why)."""


def _timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load`, bounded: few aliases, limited depth, no exception but YAMLError/LimitError."""
    if "*" in text and "&" in text:
        _count_aliases(text)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise LimitError("nested too deeply") from None


def _count_aliases(text: str) -> None:
    aliases = 0
    try:
        for event in yaml.parse(text, Loader=_Base):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise LimitError(
                        f"more than {MAX_YAML_ALIASES} aliases (`*name`): write the values out",
                        event.start_mark.line + 1 if event.start_mark else 0,
                    )
    except yaml.YAMLError:
        return  # the real load reports it, with its line


def load_toml(text: str) -> dict[str, Any]:
    """`tomllib.loads`, with nesting too deep for the stack as a `LimitError`."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise LimitError("nested too deeply", _deepest_line(text)) from None


def _deepest_line(text: str) -> int:
    """The line where brackets nest deepest (strings ignored roughly): where to look."""
    depth = deepest = 0
    line = at = 1
    quote = ""
    for char in text:
        if char == "\n":
            line += 1
        elif quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest, at = depth, line
        elif char in "]}":
            depth -= 1
    return at


# `[^<>]` keeps the scan linear: an unclosed `<a` stops at the next `<`, not at the end.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*?(/?)>")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)


def too_deep(html: str, limit: int = MAX_HTML_DEPTH) -> bool:
    """Whether `html` nests elements more than `limit` deep.

    Elements cannot nest deeper than there are start tags, and most articles have fewer than
    the limit: counting `<` (in C) answers those without walking the tags.
    """
    if html.count("<") - html.count("</") <= limit:
        return False
    return html_depth(html, limit) > limit


def html_depth(html: str, limit: int = MAX_HTML_DEPTH) -> int:
    """How deeply `html` nests elements, counted up to just past `limit` (cheap, approximate)."""
    depth = deepest = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        if closing:
            depth = max(0, depth - 1)
        elif not self_closing and name.lower() not in _VOID:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
    return deepest


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control(text: str) -> tuple[str, int]:
    """`text` without control characters (tab and line breaks stay), and the first line that had one.

    WeChat shows them as literal `\\u0001` text; they are never what the writer meant.
    """
    found = _CONTROL.search(text)
    if found is None:
        return text, 0
    return _CONTROL.sub("", text), text.count("\n", 0, found.start()) + 1
