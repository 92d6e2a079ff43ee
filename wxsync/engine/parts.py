"""A post too long for one article, split at its `##` headings into parts sent as one message.

WeChat caps an article at 20,000 characters of HTML (inline styles count), and a message holds
at most eight articles. A long post is cut at its second-level headings and the sections are
packed in order, as many per part as fit: packing greedily gives the fewest parts, since the
order is fixed. Each part is titled `标题（一）`, `标题（二）`… and opens with a line saying
which part it is, so a reader who lands on one knows there is more. Pure: whether a piece of
Markdown fits is a function the caller passes in.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_PARTS = 8
NUMERALS = "一二三四五六七八"

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Part:
    """One article of a split post."""

    number: int  # 1-based
    count: int
    title: str
    body: str  # Markdown, opening with the line that names the part


@dataclass(frozen=True)
class Section:
    heading: str  # the `## ` line ("" for the text before the first heading)
    line: int  # 0-based line in the body where it starts
    text: str


class TooLong(Exception):
    """Even eight parts are not enough, or one section alone does not fit in an article."""

    def __init__(self, section: Section, reason: str) -> None:
        super().__init__(reason)
        self.section = section
        self.reason = reason


def part_title(title: str, number: int) -> str:
    return f"{title}（{NUMERALS[number - 1]}）"


def lead_line(number: int, count: int) -> str:
    return f"**第{NUMERALS[number - 1]}部分，共{NUMERALS[count - 1]}部分**"


def sections(body: str) -> list[Section]:
    """The body cut before each `## ` heading that is not inside a fenced code block."""
    lines = body.splitlines(keepends=True)
    cuts = [0]
    fence = ""
    for number, line in enumerate(lines):
        opened = _FENCE.match(line)
        if opened:
            marker = opened.group(1)
            if not fence:
                fence = marker[0] * len(marker)
            elif marker.startswith(fence):
                fence = ""
            continue
        if not fence and line.startswith("## ") and number > 0:
            cuts.append(number)
    cuts.append(len(lines))
    result = []
    for start, end in itertools.pairwise(cuts):
        text = "".join(lines[start:end])
        heading = lines[start].strip() if lines[start].startswith("## ") else ""
        if text.strip():
            result.append(Section(heading, start, text))
    return result


def split(title: str, body: str, fits: Callable[[str], bool]) -> list[Part]:
    """Parts of 2 to 8 articles that each fit; `TooLong` names the section that prevents it."""
    pieces = sections(body)
    groups: list[list[Section]] = []
    for section in pieces:
        if groups and fits(_join(groups[-1] + [section], len(groups), MAX_PARTS)):
            groups[-1].append(section)
            continue
        if not fits(_join([section], len(groups) + 1, MAX_PARTS)):
            raise TooLong(section, "does not fit in one article even on its own")
        groups.append([section])
    if len(groups) > MAX_PARTS:
        longest = max(pieces, key=lambda s: len(s.text))
        raise TooLong(longest, f"the post needs {len(groups)} parts; a message holds {MAX_PARTS}")
    count = len(groups)
    return [
        Part(number, count, part_title(title, number), _join(group, number, count))
        for number, group in enumerate(groups, start=1)
    ]


def _join(group: list[Section], number: int, count: int) -> str:
    return lead_line(number, count) + "\n\n" + "".join(s.text for s in group)
