"""An allowlist sanitiser for raw HTML written inside Markdown.

Authors paste HTML into posts (a coloured `<span>`, a `<br>`, a small table); some of it is
hostile or simply useless on WeChat (`<script>`, `<style>`, `<iframe>`, `onclick=`,
`javascript:` links). Everything not on the allowlist goes: unknown tags are unwrapped (their
text stays), tags whose content is code or a foreign document are dropped with their content,
unknown attributes are removed, and URLs pass through the renderer's own link and image policy.

It is built on the standard library's `html.parser`, not BeautifulSoup: raw HTML is rare, but a
whole-document soup pass on every post costs milliseconds the hot path cannot spare.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "center", "code", "del", "div", "em", "figcaption",
        "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
        "mark", "ol", "p", "pre", "q", "s", "section", "small", "span", "strike", "strong", "sub",
        "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
# Inside a paragraph only phrasing tags are kept: a `<div>` there would split the paragraph.
INLINE_TAGS = frozenset(
    {
        "a", "abbr", "b", "br", "code", "del", "em", "i", "img", "ins", "kbd", "mark", "q", "s",
        "small", "span", "strike", "strong", "sub", "sup", "u",
    }
)  # fmt: skip
VOID_TAGS = frozenset({"br", "hr", "img"})
# Dropped together with everything inside them: code, frames, forms and foreign documents.
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript",
        "template", "textarea", "select", "option", "svg", "math", "head", "title", "canvas",
        "audio", "video", "noembed", "noframes", "xmp", "plaintext",
    }
)  # fmt: skip
GLOBAL_ATTRIBUTES = frozenset({"style", "title", "align"})
TAG_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan"}),
    "ol": frozenset({"start"}),
}
# Declarations that can load or run something, or escape the article's box.
_BAD_DECLARATION = re.compile(r"url\s*\(|expression|javascript:|behavior|binding|@import|\\", re.I)
_ZERO_WIDTH = re.compile("[\u200b-\u200d\ufeff]")

UrlPolicy = Callable[[str], "str | None"]
# On the stack, a tag that was opened without being written (a `<span>` with nothing left to
# say once its style is gone): its end tag is dropped too.
_UNWRAPPED = "-"


def clean_style(value: str) -> str:
    """Keep the declarations of a `style` attribute that cannot load or run anything."""
    kept = []
    for declaration in value.split(";"):
        name, colon, rest = declaration.partition(":")
        if not colon or not name.strip() or _BAD_DECLARATION.search(declaration):
            continue
        kept.append(f"{name.strip().lower()}:{rest.strip()}")
    return ";".join(kept)


class _Cleaner(HTMLParser):
    def __init__(
        self,
        stack: list[str],
        link: UrlPolicy,
        image: UrlPolicy,
        allowed: frozenset[str],
        *,
        dropping: int = 0,
        keep_styles: bool = True,
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed
        self.keep_styles = keep_styles
        self.saw_style = False
        self.out: list[str] = []
        self.stack = stack
        self.link = link
        self.image = image
        self.dropping = dropping

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        if tag in DROPPED_WITH_CONTENT:
            if not closed and tag not in VOID_TAGS:
                self.dropping += 1
            return
        if self.dropping or tag not in self.allowed:
            return
        rendered = self._attributes(tag, attrs)
        if rendered is None:
            return
        if not rendered and not self.keep_styles and tag == "span":
            if not closed:
                self.stack.append(_UNWRAPPED + tag)
            return
        self.out.append(f"<{tag}{rendered}>")
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> str | None:
        allowed = TAG_ATTRIBUTES.get(tag, frozenset())
        parts = []
        for raw_name, raw_value in attrs:
            name = raw_name.lower()
            value = _ZERO_WIDTH.sub("", raw_value or "")
            if name not in GLOBAL_ATTRIBUTES and name not in allowed:
                continue
            if name == "style":
                self.saw_style = True
                value = clean_style(value) if self.keep_styles else ""
                if not value:
                    continue
            elif name == "href":
                mapped = self.link(value)
                if mapped is None:
                    continue
                value = mapped
            elif name == "src":
                mapped = self.image(value)
                if mapped is None:
                    return None  # an image that cannot be shown is dropped whole
                value = mapped
            parts.append(f' {name}="{escape(value)}"')
        if tag == "img" and not any(part.startswith(" src=") for part in parts):
            return None
        return "".join(parts)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping or (tag not in self.stack and _UNWRAPPED + tag not in self.stack):
            return
        while self.stack:
            open_tag = self.stack.pop()
            self.out.append(closing(open_tag))
            if open_tag.removeprefix(_UNWRAPPED) == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(escape(_ZERO_WIDTH.sub("", data), quote=False))


def closing(open_tag: str) -> str:
    """The end tag for a stack entry (nothing for an unwrapped one)."""
    return "" if open_tag.startswith(_UNWRAPPED) else f"</{open_tag}>"


class HtmlSanitizer:
    """Cleans raw HTML; `link` and `image` map a URL to what to emit, or None to drop it.

    Inline raw HTML arrives one tag at a time (`<span style=...>`, then Markdown text, then
    `</span>`), so the sanitiser keeps the open inline tags on a stack and `close_inline()`
    closes whatever an author left open at the end of a paragraph.

    With `keep_styles` False (the fitting ladder's last step) the author's `style` attributes
    are dropped and the `<span>`s left with nothing to say are unwrapped: old blog exports
    colour code one token per `<span style>`, which alone can take an article past WeChat's
    limit.
    """

    def __init__(self, link: UrlPolicy, image: UrlPolicy, keep_styles: bool = True) -> None:
        self._link = link
        self._image = image
        self._keep_styles = keep_styles
        self.saw_styles = False  # whether the raw HTML so far had a `style` attribute
        self._inline_stack: list[str] = []
        self._inline_dropping = 0

    @property
    def suppressing(self) -> bool:
        """True between an inline `<script>` (or similar) and its end tag: hide that text."""
        return self._inline_dropping > 0

    def block(self, html: str) -> str:
        """Clean a whole HTML block; the result is balanced."""
        stack: list[str] = []
        cleaner = _Cleaner(
            stack, self._link, self._image, ALLOWED_TAGS, keep_styles=self._keep_styles
        )
        cleaner.feed(html)
        cleaner.close()
        self.saw_styles |= cleaner.saw_style
        return "".join(cleaner.out) + "".join(closing(tag) for tag in reversed(stack))

    def inline(self, html: str) -> str:
        """Clean one inline tag (or comment); open tags stay open until `close_inline()`."""
        cleaner = _Cleaner(
            self._inline_stack,
            self._link,
            self._image,
            INLINE_TAGS,
            dropping=self._inline_dropping,
            keep_styles=self._keep_styles,
        )
        cleaner.feed(html)
        cleaner.close()
        self.saw_styles |= cleaner.saw_style
        self._inline_dropping = cleaner.dropping
        return "".join(cleaner.out)

    def close_inline(self) -> str:
        """Close the inline tags still open, innermost first."""
        self._inline_dropping = 0
        if not self._inline_stack:
            return ""
        closed = "".join(closing(tag) for tag in reversed(self._inline_stack))
        self._inline_stack.clear()
        return closed
