"""Finding the block of a post that makes the renderer fail.

A renderer exception is a wxsync bug that some text provoked; the writer can still work around
it, but only if told where. Rendering each top-level block alone finds the first one that fails
by itself, and its line is what the error names. This runs only after a failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def blocks(markdown: str) -> Iterator[tuple[int, str]]:
    """Each top-level block as (0-based line offset, text): runs of lines between blank lines.

    A fenced code block is one block, blank lines and all, so a fence is never cut in two.
    """
    lines = markdown.split("\n")
    start: int | None = None
    fence = ""
    for number, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
        if not line.strip():
            if start is not None:
                yield start, "\n".join(lines[start:number])
                start = None
        elif start is None:
            start = number
    if start is not None:
        yield start, "\n".join(lines[start:])


def failing_block(render: Callable[[str], object], markdown: str) -> int | None:
    """The line offset of the first block that `render` fails on by itself, or None."""
    for offset, text in blocks(markdown):
        try:
            render(text)
        except Exception:  # any failure will do: this only finds where it is
            return offset
    return None


def failing_line(render: Callable[[str], object], markdown: str, first_line: int) -> int:
    """The file line of the block `failing_block` finds, `markdown` starting at `first_line`;
    1 (the file as a whole) when no block fails on its own."""
    offset = failing_block(render, markdown)
    return 1 if offset is None else first_line + offset
