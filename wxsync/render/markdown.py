"""The mistune renderer: Markdown tokens -> semantic HTML already shaped for WeChat.

WeChat's adaptations happen here, while the tokens are still at hand, instead of in a second
pass over the HTML: lists become `<section>` rows with a text marker, external links become
numbered references, images are recorded and their sources mapped, raw HTML is sanitised and
code blocks are highlighted. Code blocks and formulas are left as private-use placeholders
(`stash`) that `renderer.py` fills in after CSS inlining, so the CSS inliner never has to parse
(or re-escape) thousands of colour spans.

Class names here only select theme rules; they are removed once the CSS is inlined.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape, unescape
from typing import Any
from urllib.parse import unquote

from mistune.core import BlockState
from mistune.renderers.html import HTMLRenderer
from mistune.util import striptags
from mistune.util import unescape as unescape_entities

from wxsync.render.alerts import CLASSES
from wxsync.render.code import NBSP, CodeHighlighter, code_head
from wxsync.render.options import RenderOptions
from wxsync.render.sanitize import HtmlSanitizer
from wxsync.render.urls import (
    is_external,
    is_safe_image,
    is_safe_link,
    is_wechat_article,
    scheme,
)

# Placeholders: U+E000 n U+E001 for stashed HTML, U+E002 n U+E003 for formulas. The input is
# cleaned of these code points first, so they cannot be forged.
STASH_OPEN, STASH_CLOSE = "\ue000", "\ue001"
MATH_OPEN, MATH_CLOSE = "\ue002", "\ue003"

BULLETS = ("•", "◦", "▪")
CHECKED, UNCHECKED = "☑", "☐"
# What can make a list item's content wider than the screen: blocks that scroll, images,
# formulas, and runs of 20+ non-space ASCII characters (a URL, a long identifier).
_WIDE_CONTENT = re.compile(f"<pre|<table|<img|<svg|<figure|{MATH_OPEN}|[!-;=?-~]{{20,}}")
# Tokens whose children are inline: while they render, display math must stay inline too.
_INLINE_PARENTS = frozenset(
    {"paragraph", "heading", "block_text", "table_cell", "link", "alert_title"}
)


@dataclass
class Formula:
    tex: str
    display: bool
    inline_context: bool


@dataclass
class Session:
    """What one render collects: images, references, stashed HTML and formulas."""

    image_url: Callable[[str], str] | None = None
    link_url: Callable[[str], str | None] | None = None
    images: dict[str, None] = field(default_factory=dict)  # an ordered set
    image_src_chars: int = 0  # characters of emitted image URLs (see Renderer's math budget)
    image_count: int = 0
    references: dict[str, int] = field(default_factory=dict)
    reference_rows: list[tuple[int, str, str]] = field(default_factory=list)
    stash: list[str] = field(default_factory=list)
    formulas: list[Formula] = field(default_factory=list)
    code_blocks: int = 0


def _space_runs(text: str) -> str:
    """Keep runs of spaces in inline code visible: WeChat collapses ordinary ones."""
    if "  " not in text:
        return text
    return text.replace("  ", NBSP + NBSP)


class WeChatHTMLRenderer(HTMLRenderer):
    """mistune's HTML renderer with WeChat's rules built in. One instance serves many posts."""

    def __init__(self, options: RenderOptions, highlighter: CodeHighlighter) -> None:
        super().__init__(escape=True)
        self.options = options
        self.highlighter = highlighter
        self.session = Session()
        self.sanitizer = HtmlSanitizer(self._raw_link, self._raw_image, options.html_styles)
        self._list_depth = 0
        self._inline_context = 0

    def start(
        self,
        image_url: Callable[[str], str] | None,
        link_url: Callable[[str], str | None] | None = None,
    ) -> Session:
        """Begin a new post: forget everything collected for the previous one."""
        self.session = Session(image_url=image_url, link_url=link_url)
        self.sanitizer.close_inline()
        self.sanitizer.saw_styles = False
        self._list_depth = 0
        self._inline_context = 0
        return self.session

    # Dispatch

    def render_token(self, token: dict[str, Any], state: BlockState) -> str:
        kind = token["type"]
        if kind == "list":
            return self._list(token, state)
        if kind == "paragraph" and self._only_images(token):
            return self._figures(token, state)
        if kind in _INLINE_PARENTS:
            self._inline_context += 1
            try:
                return super().render_token(token, state)
            finally:
                self._inline_context -= 1
        return super().render_token(token, state)

    # Inline

    def text(self, text: str) -> str:
        if self.sanitizer.suppressing:
            return ""
        return escape(unescape_entities(text), quote=False)

    def codespan(self, text: str) -> str:
        return '<code class="ic">' + _space_runs(escape(text, quote=False)) + "</code>"

    def linebreak(self) -> str:
        return "<br>"

    def softbreak(self) -> str:
        return "\n"

    def inline_html(self, html: str) -> str:
        return self.sanitizer.inline(html)

    def strikethrough(self, text: str) -> str:
        return "<del>" + text + "</del>"

    def mark(self, text: str) -> str:
        # A span, not <mark>: WeChat's editor is not known to keep <mark>, and its yellow
        # default clashes with every theme.
        return '<span class="mk">' + text + "</span>"

    def superscript(self, text: str) -> str:
        return "<sup>" + text + "</sup>"

    def subscript(self, text: str) -> str:
        return "<sub>" + text + "</sub>"

    def link(self, text: str, url: str, title: str | None = None) -> str:
        url = self._map_link(url)
        if not url or not is_safe_link(url):
            return text
        if is_wechat_article(url) or self.options.links == "keep":
            return f'<a href="{escape(url)}">{text}</a>'
        if self.options.links == "strip" or not is_external(url):
            return text
        label = unescape(striptags(text)).strip()
        if label in (url, unescape(url), url.removeprefix("mailto:")):
            return text  # an autolink already shows its address
        return f'{text}<sup class="rf">[{self._reference(url, label)}]</sup>'

    def image(self, text: str, url: str, title: str | None = None) -> str:
        alt = unescape(striptags(text)).strip()
        src = self._image_src(url)
        if src is None:
            return escape(alt, quote=False)
        alt_attr = f' alt="{escape(alt)}"' if alt else ""
        return f'<img src="{escape(src)}"{alt_attr}>'

    def inline_math(self, text: str) -> str:
        return self._formula(text, display=False)

    def block_math(self, text: str) -> str:
        placeholder = self._formula(text, display=True)
        if self._inline_context:
            return f'<span class="mi">{placeholder}</span>'
        return f'<section class="mb">{placeholder}</section>'

    def footnote_ref(self, key: str, index: int) -> str:
        return f'<sup class="fr">{index}</sup>'

    # Blocks

    def paragraph(self, text: str) -> str:
        return "<p>" + text + self.sanitizer.close_inline() + "</p>"

    def block_text(self, text: str) -> str:
        return text + self.sanitizer.close_inline()

    def heading(self, text: str, level: int, **attrs: Any) -> str:
        return f"<h{level}>{text}{self.sanitizer.close_inline()}</h{level}>"

    def thematic_break(self) -> str:
        return "<hr>"

    def block_quote(self, text: str) -> str:
        return "<blockquote>" + text + "</blockquote>"

    def alert(self, text: str, kind: str) -> str:
        return f'<section class="al {CLASSES[kind]}">{text}</section>'

    def alert_title(self, text: str) -> str:
        return f'<p class="at">{text}{self.sanitizer.close_inline()}</p>'

    def details(self, text: str, title: str) -> str:
        return f'<section class="dt"><p class="ds">{title}</p>{text}</section>'

    def block_html(self, html: str) -> str:
        return self.sanitizer.block(html.strip())

    def block_error(self, text: str) -> str:
        return "<p>" + escape(text, quote=False) + "</p>"

    def block_code(self, code: str, info: str | None = None) -> str:
        language = unescape(info).split(None, 1)[0] if info and info.strip() else None
        self.session.code_blocks += 1
        inner, color = self.highlighter.highlight_block(code, language)
        style = f' style="color:{color}"' if color else ""
        head = code_head(language, label=self.options.code_label, window=self.options.code_window)
        return f'<pre class="cb"{style}>{head}{self.stash(inner)}</pre>'

    def table(self, text: str) -> str:
        # The wrapper scrolls sideways: a wide table must not squeeze a phone screen.
        return f'<section class="tw"><table>{text}</table></section>'

    def table_head(self, text: str) -> str:
        return f"<thead><tr>{text}</tr></thead>"

    def table_body(self, text: str) -> str:
        return f"<tbody>{text}</tbody>"

    def table_row(self, text: str) -> str:
        return f"<tr>{text}</tr>"

    def table_cell(self, text: str, align: str | None = None, head: bool = False) -> str:
        tag = "th" if head else "td"
        # Left is every theme's default for cells, so only centre and right are spelled out.
        style = f' style="text-align:{align}"' if align in ("center", "right") else ""
        return f"<{tag}{style}>{text}{self.sanitizer.close_inline()}</{tag}>"

    def footnotes(self, text: str) -> str:
        title = escape(self.options.footnotes_title, quote=False)
        return f'<h4 class="rh">{title}</h4><section class="fn">{text}</section>'

    def footnote_item(self, text: str, key: str, index: int) -> str:
        return self._row(f"{index}.", text, 0)

    # Helpers

    def stash(self, html: str) -> str:
        """Keep `html` out of the CSS inliner; it is put back in its place afterwards."""
        self.session.stash.append(html)
        return f"{STASH_OPEN}{len(self.session.stash) - 1}{STASH_CLOSE}"

    def references_html(self) -> str:
        """The numbered list of external links that closes the article (empty if none).

        One paragraph with a line per link, as doocs/md does: a reference needs no hanging
        indent, and a row per link would cost ~150 characters of markup each.
        """
        rows = self.session.reference_rows
        if not rows:
            return ""
        title = escape(self.options.references_title, quote=False)
        lines = []
        for number, label, url in rows:
            shown = escape(unescape(url), quote=False)
            text = f"{escape(label, quote=False)}: <i>{shown}</i>" if label else f"<i>{shown}</i>"
            lines.append(f"[{number}] {text}")
        return f'<h4 class="rh">{title}</h4><p class="rl">{"<br>".join(lines)}</p>'

    def _reference(self, url: str, label: str) -> int:
        refs = self.session.references
        if url not in refs:
            refs[url] = len(refs) + 1
            self.session.reference_rows.append((refs[url], label, url))
        return refs[url]

    def _formula(self, tex: str, display: bool) -> str:
        formulas = self.session.formulas
        formulas.append(Formula(tex.strip(), display, bool(self._inline_context)))
        return f"{MATH_OPEN}{len(formulas) - 1}{MATH_CLOSE}"

    def _image_src(self, url: str) -> str | None:
        """Record an image and return the source to emit, or None if it cannot be shown."""
        if not is_safe_image(url):
            return None
        written = url if scheme(url) else unquote(url)
        self.session.images.setdefault(written, None)
        mapper = self.session.image_url
        src = mapper(written) if mapper else url
        self.session.image_src_chars += len(src)
        self.session.image_count += 1
        return src

    def _map_link(self, url: str) -> str:
        """The address a link to another post gets (see `Renderer.render`); others unchanged."""
        mapper = self.session.link_url
        mapped = mapper(url) if mapper else None
        return url if mapped is None else mapped

    def _raw_link(self, href: str) -> str | None:
        href = self._map_link(href)
        if not href or not is_safe_link(href):
            return None
        if is_wechat_article(href) or self.options.links == "keep":
            return href
        return None

    def _raw_image(self, src: str) -> str | None:
        return self._image_src(src)

    def _only_images(self, token: dict[str, Any]) -> bool:
        children = token.get("children") or ()
        found = False
        for child in children:
            kind = child["type"]
            if kind == "image":
                found = True
            elif kind not in ("softbreak", "linebreak") and not (
                kind == "text" and not child.get("raw", "").strip()
            ):
                return False
        return found

    def _figures(self, token: dict[str, Any], state: BlockState) -> str:
        out = []
        for child in token["children"]:
            if child["type"] != "image":
                continue
            attrs = child.get("attrs", {})
            alt_html = self.render_tokens(child.get("children", []), state)
            img = self.image(alt_html, attrs.get("url", ""), attrs.get("title"))
            if not img.startswith("<img"):
                out.append(f"<p>{img}</p>" if img else "")
                continue
            caption = ""
            alt = unescape(striptags(alt_html)).strip()
            if self.options.captions and alt:
                caption = f"<figcaption>{escape(alt, quote=False)}</figcaption>"
            out.append(f"<figure>{img}{caption}</figure>")
        return "".join(out)

    # Lists: rows of <section>, marker as text, depth as margin (see wechat-api.md, "Lists")

    def _list(self, token: dict[str, Any], state: BlockState) -> str:
        attrs = token.get("attrs", {})
        ordered = bool(attrs.get("ordered"))
        start = int(attrs.get("start", 1) or 1) if ordered else 1
        depth = self._list_depth
        self._list_depth += 1
        try:
            rows = []
            for index, item in enumerate(token.get("children", [])):
                marker = f"{start + index}." if ordered else BULLETS[depth % len(BULLETS)]
                task = item["type"] == "task_list_item"
                prefix = ""
                if task:
                    box = CHECKED if item.get("attrs", {}).get("checked") else UNCHECKED
                    if ordered:
                        prefix = box + " "
                    else:
                        marker = box
                rows.append(self._item(item, marker, prefix, depth, state))
            return "".join(rows)
        finally:
            self._list_depth -= 1

    def _item(
        self, item: dict[str, Any], marker: str, prefix: str, depth: int, state: BlockState
    ) -> str:
        """One item: its own row, then nested lists as rows one level deeper, in order.

        Blocks that follow a nested list inside the same item continue in a marker-less row,
        so nothing is reordered.
        """
        out: list[str] = []
        pending: list[str] = [prefix] if prefix else []
        first = True
        for child in item.get("children", []):
            if child["type"] == "list":
                if pending or first:
                    out.append(self._row(marker if first else "", "".join(pending), depth))
                    pending, first = [], False
                out.append(self.render_token(child, state))
            else:
                pending.append(self.render_token(child, state))
        if pending or first:
            out.append(self._row(marker if first else "", "".join(pending), depth))
        return "".join(out)

    def _row(self, marker: str, content: str, depth: int) -> str:
        """One list row: a flex line of marker column and content.

        Two declarations are paid for only where they do something: a content column wider
        than the screen needs `min-width:0` (class `lw`) to shrink and let its code or table
        scroll; a marker wider than its column (`10.`) needs `flex:none` (class `lx`) so the
        text cannot squeeze it.
        """
        indent = f' style="margin-left:{depth * 1.5:g}em"' if depth else ""
        wide_marker = " lx" if len(marker) > 2 else ""
        wide_content = " lw" if _WIDE_CONTENT.search(content) else ""
        return (
            f'<section class="li"{indent}><span class="lm{wide_marker}">{marker}</span>'
            f'<section class="lc{wide_content}">{content}</section></section>'
        )
