"""Reading rendered articles back the way a reader (or WeChat) would, for assertions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

VOID = {"br", "hr", "img", "input", "meta", "link"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def style(self) -> dict[str, str]:
        return parse_style(self.attrs.get("style", ""))

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> list[Element]:
        found = [self]
        for child in self.children:
            if isinstance(child, Element):
                found.extend(child.iter())
        return found

    def find_all(self, tag: str) -> list[Element]:
        return [e for e in self.iter() if e.tag == tag]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Element:
    """The rendered HTML as a tree under a synthetic `#root`."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def parse_style(style: str) -> dict[str, str]:
    result = {}
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        if name.strip():
            result[name.strip()] = value.strip()
    return result


_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]*>")
_PRE = re.compile(r"<pre\b[^>]*>(.*?)</pre>", re.S)


def code_blocks_as_displayed(html: str) -> list[str]:
    """The text of each code block as WeChat shows it, whatever its editor keeps.

    Assumes the worst: `white-space` is dropped, so runs of ordinary white space (spaces, tabs,
    newlines) collapse to one space; only `<br>` breaks a line and only no-break spaces
    keep their width.
    """
    blocks = []
    for match in _PRE.finditer(html):
        inner = re.sub(r"[ \t\r\n]+", " ", match.group(1))
        lines = [unescape(_TAG.sub("", line)) for line in _BR.split(inner)]
        blocks.append("\n".join(line.replace("\u00a0", " ") for line in lines))
    return blocks


def list_rows(html: str) -> list[tuple[str, str, float]]:
    """(marker, text, indent in em) for each list row: the section/span/section triple."""
    rows = []
    for element in parse(html).iter():
        children = [c for c in element.children if isinstance(c, Element)]
        if (
            element.tag == "section"
            and element.style.get("display") == "flex"
            and len(children) == 2
            and children[0].tag == "span"
        ):
            indent = left_margin(element.style).removesuffix("em")
            rows.append((children[0].text(), children[1].text().strip(), float(indent or 0)))
    return rows


def left_margin(style: dict[str, str]) -> str:
    """The left margin a browser applies: `margin-left`, else the `margin` shorthand's."""
    if "margin-left" in style:
        return style["margin-left"]
    sides = style.get("margin", "0").split()
    return sides[{1: 0, 2: 1, 3: 1, 4: 3}[len(sides)]]
