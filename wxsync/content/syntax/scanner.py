"""The walk through a body: code left alone, each construct handed to its dialect.

One pass, left to right. Fenced and indented code blocks are found first (line by line, as
CommonMark finds them) and copied through untouched; inline code spans are skipped as they come.
Everything else that could open generator syntax (`{{`, `{%`, `[[`, `%%`, `<!--`) goes to the
dialect that owns it, which consumes what it understands and writes its Markdown through
`replace`, the one place that keeps the line count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

_CANDIDATE = re.compile(r"`+|\{\{|\{%|!?\[\[|%%|<!--")
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_MORE = re.compile(r"<!--\s*more\s*-->")
# Characters that would end a Markdown link text or destination early.
_LINK_TEXT = re.compile(r"([\\\[\]])")
_LINK_TARGET_CONTEXT = ("](", "](<", 'href="', "href='", 'src="', "src='")
POST_LINK = "wxsync:"  # scheme of links to other posts; see wxsync.content.links

Handler = Callable[["Scanner", "re.Match[str]"], "int | None"]


class Scanner:
    def __init__(self, text: str, generator: str) -> None:
        self.text = text
        self.generator = generator
        # With a known generator, syntax it does not understand is dropped with a warning; with
        # none, only what is recognised by name is rewritten.
        self.strict = generator not in ("", "plain")
        self.out: list[str] = []
        self.length = 0  # characters in `out`
        self.notes: list[tuple[int, str]] = []
        self.more: int | None = None
        self.debt = 0  # lines a replacement added that a blank line after it should give back
        self.unknown_open: set[str] = set()  # paired tags already warned about

    # -- the walk ----------------------------------------------------------------------------

    def run(self) -> str:
        text, pos = self.text, 0
        code = iter(code_ranges(text))
        block = next(code, None)
        while True:
            match = _CANDIDATE.search(text, pos)
            while block is not None and block[0] < pos:
                block = next(code, None)
            if block is not None and (match is None or block[0] <= match.start()):
                self.copy(pos, block[1])
                pos = block[1]
                block = next(code, None)
                continue
            if match is None:
                self.copy(pos, len(text))
                return "".join(self.out)
            self.copy(pos, match.start())
            handler = self._handler(match.group())
            end = handler(self, match) if handler else None
            if end is None:  # not ours: keep the characters and go on after them
                end = match.end()
                self.copy(match.start(), end)
            pos = end

    def _handler(self, opener: str) -> Handler | None:
        if opener.startswith("`"):
            return _code_span
        if opener == "<!--":
            return _comment
        if opener in ("{{", "{%"):
            return _braces
        if self.generator == "obsidian":
            from wxsync.content.syntax import obsidian

            return obsidian.comment if opener == "%%" else obsidian.wikilink
        return None

    # -- output ------------------------------------------------------------------------------

    def copy(self, start: int, end: int) -> None:
        chunk = self.text[start:end]
        while self.debt and chunk.startswith("\n\n"):
            chunk = chunk[1:]
            self.debt -= 1
        if chunk:
            self._write(chunk)

    def _write(self, text: str) -> None:
        self.out.append(text)
        self.length += len(text)

    def replace(self, start: int, end: int, markdown: str) -> int:
        """Write `markdown` for `text[start:end]`, spanning the same number of lines; returns `end`.

        A shorter replacement is padded with line breaks. A longer one takes blank lines from
        just before it (a fence or a quote needs none there), else from just after it; only
        when there are none either do the lines after it shift.
        """
        extra = markdown.count("\n") - self.text.count("\n", start, end)
        if extra < 0:
            markdown += "\n" * -extra
        elif extra > 0:
            self._take_blank_lines(extra)
        self._write(markdown)
        return end

    def _take_blank_lines(self, count: int) -> None:
        written = "".join(self.out)
        while count and written.endswith("\n\n"):
            written = written[:-1]
            count -= 1
        self.out = [written]
        self.length = len(written)
        self.debt += count

    def note(self, position: int, message: str) -> None:
        self.notes.append((self.text.count("\n", 0, position), message))

    # -- helpers for the dialects ------------------------------------------------------------

    def at_line_start(self, position: int) -> bool:
        line_start = self.text.rfind("\n", 0, position) + 1
        return not self.text[line_start:position].strip()

    def in_link_target(self) -> bool:
        """True when the output so far ends inside `](` or `href="`: a URL is expected here."""
        tail = self.out[-1][-6:] if self.out else ""
        return tail.endswith(_LINK_TARGET_CONTEXT)

    def post_link(self, kind: str, target: str, text: str = "") -> str:
        """A link to another post: the URL alone where one is expected, else a Markdown link."""
        url = f"{POST_LINK}{kind}/{quote(target, safe='/#')}"
        if self.in_link_target():
            return url
        return f"[{link_text(text or target)}]({url})"

    def code_block(
        self, start: int, end: int, *, body: tuple[int, int], info: str, title: str = ""
    ) -> int:
        """Replace `text[start:end]` by a fenced block of the code at `body` (start, end).

        A title (Hexo's `codeblock`) goes on a bold line above the fence.
        """
        code = self.text[body[0] : body[1]]
        head = code[: len(code) - len(code.lstrip(" \t"))]
        if code[len(head) : len(head) + 1] == "\n":
            code = code[len(head) + 1 :]
        code = code.rstrip(" \t")
        code = code.removesuffix("\n")
        longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
        fence = "`" * (longest + 1)
        line_start = self.text.rfind("\n", 0, start) + 1
        indent = self.text[line_start:start]
        lead = ""
        if indent.strip():
            indent, lead = "", "\n"
        opening = [f"**{link_text(title)}**"] if title else []
        opening.append(f"{fence}{info}")
        markdown = lead + f"\n{indent}".join(opening) + "\n" + code + f"\n{indent}{fence}"
        return self.replace(start, end, markdown)


def image_markdown(src: str, *, alt: str = "", caption: str = "", width: str = "") -> str:
    """Markdown for an image; a `<figure>` when the author gave it a caption or a width.

    A width is how a writer shrinks a large screenshot or a QR code (`![[qr.png|200]]`); WeChat
    keeps an `<img>`'s `width`, and the theme's `max-width:100%` still fits it to the screen. A
    height is never written: on a screen narrower than the width it would distort the image.
    """
    size = f' width="{width}"' if width.isdigit() else ""
    if not caption and not size:
        return f"![{link_text(alt)}](<{src}>)"
    figcaption = f"<figcaption>{_html(caption)}</figcaption>" if caption else ""
    image = f'<img src="{_attr(src)}" alt="{_attr(alt or caption)}"{size}>'
    return f"<figure>{image}{figcaption}</figure>"


def link_text(text: str) -> str:
    return _LINK_TEXT.sub(r"\\\1", text)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _html(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code_span(scanner: Scanner, match: re.Match[str]) -> int | None:
    """Skip an inline code span: a run of backticks up to the next run of the same length."""
    ticks = match.group()
    closing = re.compile(f"(?<!`){ticks}(?!`)")
    found = closing.search(scanner.text, match.end())
    if found is None or "\n\n" in scanner.text[match.end() : found.start()]:
        return None
    scanner.copy(match.start(), found.end())
    return found.end()


def _comment(scanner: Scanner, match: re.Match[str]) -> int | None:
    more = _MORE.match(scanner.text, match.start())
    if more is None:
        return None
    if scanner.more is None:
        scanner.more = scanner.length
    scanner.copy(more.start(), more.end())
    return more.end()


def _braces(scanner: Scanner, match: re.Match[str]) -> int | None:
    from wxsync.content.syntax import hugo, liquid

    text, start = scanner.text, match.start()
    generator = scanner.generator
    if text.startswith(("{{<", "{{%"), start) and generator in ("hugo", "plain", ""):
        return hugo.shortcode(scanner, start)
    if generator in ("jekyll", "hexo", "plain", ""):
        if match.group() == "{%":
            return liquid.tag(scanner, start)
        return liquid.output(scanner, start)
    return None


def _indent(line: str) -> int:
    spaces = line.expandtabs(4)
    return len(spaces) - len(spaces.lstrip(" "))


def code_ranges(text: str) -> list[tuple[int, int]]:
    """`(start, end)` offsets of fenced and indented code blocks, in order."""
    ranges: list[tuple[int, int]] = []
    offset = 0
    fence = ""
    block_start = -1  # start of the open fenced or indented block
    indented = False
    previous_blank, in_list = True, False
    for line in text.splitlines(keepends=True):
        end = offset + len(line)
        stripped = line.strip()
        if fence:
            found = _FENCE.match(line)
            if (
                found
                and found.group(2)[0] == fence[0]
                and len(found.group(2)) >= len(fence)
                and not line[found.end() :].strip()
            ):
                ranges.append((block_start, end))
                fence = ""
            offset = end
            continue
        width = 0 if line[:1] not in " \t" else _indent(line)
        if indented:
            if not stripped or width >= 4:
                offset = end
                continue
            ranges.append((block_start, offset))
            indented = False
        found = _FENCE.match(line)
        if found and not (found.group(2)[0] == "`" and "`" in line[found.end() :]):
            fence, block_start = found.group(2), offset
        elif stripped and width >= 4 and previous_blank and not in_list:
            indented, block_start = True, offset
        if stripped:
            in_list = bool(_LIST_ITEM.match(line)) or (
                in_list and (width > 0 or not previous_blank)
            )
        previous_blank = not stripped
        offset = end
    if fence or indented:
        ranges.append((block_start, len(text)))
    return ranges
