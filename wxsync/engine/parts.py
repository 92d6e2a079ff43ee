"""A post too long for one article, split at its `##` headings into parts sent as one message.

WeChat caps an article at 20,000 characters of HTML (inline styles count), and a message holds
at most eight articles. A long post is cut at its second-level headings and the sections are
packed in order, as many per part as fit: packing greedily gives the fewest parts, since the
order is fixed. A section too long on its own is cut again at its `###` headings, then at its
`####` headings: many writers (and old exported blogs) never use `##` at all. Each part is titled `标题（一）`, `标题（二）`… and opens with a line saying
which part it is, so a reader who lands on one knows there is more. Pure: whether a piece of
Markdown fits is a function the caller passes in.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_PARTS = 8
DEEPEST = 4  # `####`: below that, headings are too close together to make parts
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
    heading: str  # the heading line ("" for the text before the first heading)
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


def sections(body: str, level: int = 2) -> list[Section]:
    """The body cut before each heading of `level` (`## ` for 2) not inside a fenced code block."""
    mark = "#" * level + " "
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
        if not fence and line.startswith(mark) and number > 0:
            cuts.append(number)
    cuts.append(len(lines))
    result = []
    for start, end in itertools.pairwise(cuts):
        text = "".join(lines[start:end])
        heading = lines[start].strip() if lines[start].startswith(mark) else ""
        if text.strip():
            result.append(Section(heading, start, text))
    return result


def split(title: str, body: str, fits: Callable[[str], bool]) -> list[Part]:
    """Parts of 2 to 8 articles that each fit; `TooLong` names the section that prevents it."""
    pieces = _pieces(body, 2, lambda text: fits(_join([Section("", 0, text)], 1, MAX_PARTS)))
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


def _pieces(text: str, level: int, fits_alone: Callable[[str], bool]) -> list[Section]:
    """Sections at `level`, each one that does not fit alone cut again one level deeper."""
    result: list[Section] = []
    for section in sections(text, level):
        if level >= DEEPEST or fits_alone(section.text):
            result.append(section)
            continue
        deeper = _pieces(section.text, level + 1, fits_alone)
        if len(deeper) <= 1:
            result.append(section)
            continue
        for piece in deeper:
            heading = piece.heading or section.heading
            result.append(Section(heading, section.line + piece.line, piece.text))
    return result


def _join(group: list[Section], number: int, count: int) -> str:
    return lead_line(number, count) + "\n\n" + "".join(s.text for s in group)
