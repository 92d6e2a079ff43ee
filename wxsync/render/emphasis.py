"""Emphasis that works in Chinese: CommonMark's delimiter rules with the CJK-friendly amendment.

CommonMark decides whether `**` can open or close by the characters around it, and treats
full-width punctuation like ASCII punctuation. So `朋友问我：**你到底想找什么？**我说不出来。`
keeps both `**`: the closing one follows `？` and precedes `我`, which CommonMark reads as
"inside a word after punctuation" and refuses. The amendment markdown-it's `cjk-friendly`
plugin applies (tats-u/markdown-cjk-friendly, specification.md) counts CJK punctuation as an
ordinary character, and lets ASCII punctuation next to a CJK character flank a run as if a
space were there. That is all this module changes; pairing is CommonMark's "process emphasis"
algorithm.

`CJKInlineParser` runs it in place of mistune's own resolution, and records each `**` or `*`
run that still pairs with nothing, so `wxsync check` can point at it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from mistune.inline_parser import InlineParser

Token = dict[str, Any]
# Escaped `\*` and `\_` are kept as these until the end, so they can never pair.
_ESCAPED = {"*": "\ue010", "_": "\ue011"}
_UNESCAPE = str.maketrans({v: k for k, v in _ESCAPED.items()})
# A delimiter run: consecutive `*`, or consecutive `_` (a mixed `*_` is two runs).
_RUN = re.compile(r"\*+|_+")
_OBJECT = "\ufffc"  # stands for a non-text token (code span, link, image) next to a run


def is_cjk(char: str) -> bool:
    """Wide or full-width characters (Han, kana, full-width punctuation) and Hangul; not emoji."""
    code = ord(char)
    if 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0x2B00 <= code <= 0x2BFF:
        return False  # emoji and pictographs are wide but are not writing
    if 0x1100 <= code <= 0x11FF or 0xAC00 <= code <= 0xD7AF or 0x3130 <= code <= 0x318F:
        return True  # Hangul
    return unicodedata.east_asian_width(char) in ("W", "F", "H")


def _is_space(char: str) -> bool:
    return char.isspace() or not char


def _is_punct(char: str) -> bool:
    if not char or char.isspace():
        return False
    return unicodedata.category(char)[0] in "PS"


def _non_cjk_punct(char: str) -> bool:
    return _is_punct(char) and not is_cjk(char)


def left_flanking(before: str, after: str) -> bool:
    """CommonMark's rule, amended: CJK punctuation after the run does not count as punctuation,
    and ASCII punctuation after it is fine when a CJK character precedes it."""
    if _is_space(after):
        return False
    if not _non_cjk_punct(after):
        return True
    return _is_space(before) or _non_cjk_punct(before) or is_cjk(before)


def right_flanking(before: str, after: str) -> bool:
    """The mirror image of `left_flanking`."""
    if _is_space(before):
        return False
    if not _non_cjk_punct(before):
        return True
    return _is_space(after) or _non_cjk_punct(after) or is_cjk(after)


@dataclass
class _Run:
    part: int  # index of the run's text in the parts list
    marker: str
    length: int
    original: int
    can_open: bool
    can_close: bool
    opens: list[int] = field(default_factory=list)  # match ids, outermost first
    closes: list[int] = field(default_factory=list)  # match ids, innermost first


def _prepare(tokens: list[Token]) -> list[Token]:
    """Copies of the tokens without mistune's private keys; escaped markers cannot pair."""
    out: list[Token] = []
    for token in tokens:
        copy = {k: v for k, v in token.items() if k not in ("_emphasis", "_autolink")}
        if token["type"] == "text" and token.get("_emphasis") is False:
            copy["raw"] = copy["raw"].replace("*", _ESCAPED["*"]).replace("_", _ESCAPED["_"])
        out.append(copy)
    return out


def _neighbour(parts: list[Token], index: int, step: int) -> str:
    """The character just outside part `index` in direction `step` (-1 before, +1 after)."""
    position = index + step
    if position < 0 or position >= len(parts):
        return ""
    part = parts[position]
    kind = part["type"]
    if kind == "text":
        raw: str = part["raw"]
        return (raw[-1] if step < 0 else raw[0]).translate(_UNESCAPE) if raw else ""
    if kind in ("softbreak", "linebreak"):
        return "\n"
    return _OBJECT


def _split(tokens: list[Token]) -> tuple[list[Token], list[_Run]]:
    parts: list[Token] = []
    for token in tokens:
        if token["type"] != "text":
            parts.append(token)
            continue
        raw = token["raw"]
        start = 0
        for run in _RUN.finditer(raw):
            if run.start() > start:
                parts.append({"type": "text", "raw": raw[start : run.start()]})
            parts.append({"type": "text", "raw": run.group(), "_run": True})
            start = run.end()
        if start < len(raw):
            parts.append({"type": "text", "raw": raw[start:]})
    runs = []
    for index, part in enumerate(parts):
        if not part.pop("_run", False):
            continue
        raw = part["raw"]
        before, after = _neighbour(parts, index, -1), _neighbour(parts, index, 1)
        left, right = left_flanking(before, after), right_flanking(before, after)
        if raw[0] == "*":
            can_open, can_close = left, right
        else:  # `_` never opens or closes inside a word
            can_open = left and (not right or _is_punct(before))
            can_close = right and (not left or _is_punct(after))
        if can_open or can_close:
            runs.append(_Run(index, raw[0], len(raw), len(raw), can_open, can_close))
    return parts, runs


def _match(runs: list[_Run]) -> int:
    """CommonMark's "process emphasis" over the runs; returns the number of matches made."""
    stack: list[_Run] = []
    bottoms: dict[tuple[str, bool, int], int] = {}
    matches = 0
    for closer in runs:
        while closer.can_close and closer.length:
            key = (closer.marker, closer.can_open, closer.original % 3)
            floor = bottoms.get(key, 0)
            found = -1
            for position in range(len(stack) - 1, floor - 1, -1):
                opener = stack[position]
                if opener.marker != closer.marker or not opener.can_open:
                    continue
                if (opener.can_close or closer.can_open) and (
                    (opener.original + closer.original) % 3 == 0
                    and not (opener.original % 3 == 0 and closer.original % 3 == 0)
                ):
                    continue
                found = position
                break
            if found < 0:
                bottoms[key] = len(stack)
                break
            opener = stack[found]
            use = 2 if opener.length >= 2 and closer.length >= 2 else 1
            opener.length -= use
            closer.length -= use
            opener.opens.insert(0, matches * 2 + (use - 1))
            closer.closes.append(matches * 2 + (use - 1))
            matches += 1
            del stack[found + 1 :]  # runs between the pair stay literal
            for name, floor_at in bottoms.items():
                bottoms[name] = min(floor_at, len(stack))
            if not opener.length:
                stack.pop()
        if closer.length and closer.can_open:
            stack.append(closer)
    return matches


def resolve_emphasis(tokens: list[Token], max_depth: int, strays: list[str]) -> list[Token]:
    """Turn `*`/`_` runs in a list of inline tokens into emphasis and strong tokens.

    Each run of two or more `*` that is left over is appended to `strays` as the text around
    it, so a writer can be told where.
    """
    parts, runs = _split(_prepare(tokens))
    _match(runs)
    by_part = {run.part: run for run in runs}
    root: list[Token] = []
    containers: list[list[Token]] = [root]
    flattened: set[int] = set()
    for index, part in enumerate(parts):
        run = by_part.get(index)
        if run is None:
            _append(containers[-1], part)
            continue
        marker = run.marker
        # A run's first characters close earlier emphasis, its last ones open new emphasis,
        # and whatever is left in between stays literal.
        for match in run.closes:
            if match in flattened:
                _append(containers[-1], {"type": "text", "raw": marker * (match % 2 + 1)})
                continue
            children = containers.pop()
            kind = "strong" if match % 2 else "emphasis"
            containers[-1].append({"type": kind, "children": children})
        _append(containers[-1], {"type": "text", "raw": marker * run.length})
        for match in run.opens:
            if len(containers) > max_depth:
                flattened.add(match)
                _append(containers[-1], {"type": "text", "raw": marker * (match % 2 + 1)})
            else:
                containers.append([])
        if marker == "*" and run.length >= 2:
            strays.append(_context(parts, index))
    while len(containers) > 1:  # matches are balanced; this only guards against a bug
        children = containers.pop()
        containers[-1].extend(children)
    return _restore(root)


def _append(container: list[Token], token: Token) -> None:
    if token["type"] != "text":
        container.append(token)
    elif token["raw"]:
        last = container[-1] if container else None
        # Text after a lone `&` stays apart: joined, `\&` + `amp;` would read as an entity.
        if last is not None and last["type"] == "text" and not last["raw"].endswith("&"):
            container[-1] = {"type": "text", "raw": last["raw"] + token["raw"]}
        else:
            container.append({"type": "text", "raw": token["raw"]})


def _restore(tokens: list[Token]) -> list[Token]:
    for token in tokens:
        if token["type"] == "text":
            token["raw"] = token["raw"].translate(_UNESCAPE)
        elif token["type"] in ("emphasis", "strong"):
            _restore(token["children"])
    return tokens


def _context(parts: list[Token], index: int) -> str:
    """The run with up to six characters of text on each side, as typed on its line."""
    before = after = ""
    position = index - 1
    while position >= 0 and parts[position]["type"] == "text" and len(before) < 6:
        before = parts[position]["raw"] + before
        position -= 1
    position = index + 1
    while position < len(parts) and parts[position]["type"] == "text" and len(after) < 6:
        after += parts[position]["raw"]
        position += 1
    run: str = parts[index]["raw"]
    return (before[-6:] + run + after[:6]).translate(_UNESCAPE)


class CJKInlineParser(InlineParser):
    """mistune's inline parser with CJK-friendly emphasis; collects unpaired `**` in `strays`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.strays: list[str] = []

    def finalize_tokens(self, tokens: list[Token], depth: int) -> list[Token]:
        remaining = self.max_nested_level - depth
        if "emphasis" not in self.rules or remaining <= 0:
            return super().finalize_tokens(tokens, depth)
        if not any(t["type"] == "text" and ("*" in t["raw"] or "_" in t["raw"]) for t in tokens):
            return super().finalize_tokens(tokens, depth)
        return resolve_emphasis(tokens, remaining, self.strays)
