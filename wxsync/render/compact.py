"""Style compaction after CSS inlining: the same look in fewer characters.

The inliner writes a rule's declarations in cascade order, so an element styled by two rules
can carry `margin:.3em 0;margin-left:1.5em` (a nested list row). WeChat counts every one of
those characters, and the two declarations say exactly what one shorthand says.
"""

from __future__ import annotations

import re

# A margin shorthand followed directly by a margin-left that overrides its left side.
_MARGIN_THEN_LEFT = re.compile(r"margin:([^;\"!]+);margin-left:([^;\"!]+)")
# Only declarations are rewritten, never text: a post about CSS may show these words.
_STYLE = re.compile(r'(?<= style=")[^"]*margin-left:[^"]*')


def compact_styles(html: str) -> str:
    """`html` with each `margin:…;margin-left:…` pair in a `style` attribute written as one
    `margin` shorthand."""
    if "margin-left:" not in html:
        return html
    return _STYLE.sub(lambda style: _MARGIN_THEN_LEFT.sub(_merged_margin, style.group()), html)


def _merged_margin(match: re.Match[str]) -> str:
    sides = match.group(1).split()
    if not 1 <= len(sides) <= 4:
        return match.group(0)
    # CSS shorthand: 1 value for all sides, 2 for vertical/horizontal, 3 for top/horizontal/bottom.
    top = sides[0]
    right = sides[1] if len(sides) > 1 else top
    bottom = sides[2] if len(sides) > 2 else top
    left = match.group(2).strip()
    return f"margin:{_shortest(top, right, bottom, left)}"


def _shortest(top: str, right: str, bottom: str, left: str) -> str:
    if left != right:
        return f"{top} {right} {bottom} {left}"
    if bottom != top:
        return f"{top} {right} {bottom}"
    if right != top:
        return f"{top} {right}"
    return top
