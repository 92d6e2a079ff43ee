"""`Renderer`: Markdown body -> one WeChat-ready `<section>` with inline styles only.

Pipeline: mistune (with `WeChatHTMLRenderer`) -> css-inline's `inline_fragment` with the theme,
the code style's colours and the user's CSS -> class names dropped -> stashed code blocks and
formulas put back. Everything costly (mistune, lexers, styles, CSS text) is built once in
`__init__` and reused for every post.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from html import escape, unescape
from types import MappingProxyType

import css_inline
import mistune
from mistune.plugins.footnotes import footnotes
from mistune.plugins.formatting import mark, strikethrough, subscript, superscript
from mistune.plugins.math import math, math_in_list, math_in_quote
from mistune.plugins.table import table, table_in_list, table_in_quote
from mistune.plugins.task_lists import task_lists
from mistune.plugins.url import url

from wxsync.bounded import MAX_HTML_DEPTH, too_deep
from wxsync.errors import ConfigError, WxsyncError
from wxsync.render.alerts import KINDS, alert_titles, rewrite_alerts
from wxsync.render.code import NBSP, CodeHighlighter
from wxsync.render.compact import compact_styles
from wxsync.render.details import rewrite_details
from wxsync.render.emphasis import CJKInlineParser
from wxsync.render.fingerprint import fingerprint
from wxsync.render.markdown import (
    MATH_CLOSE,
    MATH_OPEN,
    STASH_CLOSE,
    STASH_OPEN,
    Session,
    WeChatHTMLRenderer,
)
from wxsync.render.math import MathError, MathRenderer, placeholder, strict_inline_math
from wxsync.render.options import (
    CODE_HIGHLIGHTS,
    LINK_MODES,
    MATH_MODES,
    RenderOptions,
    RenderResult,
)
from wxsync.render.theme import code_style, load_theme, minify_css

# Removed from the input: zero-width characters make WeChat break lines where none were
# written, and the private-use code points U+E000-U+E01F are the renderer's own placeholders.
# (A regex, not str.translate: translate walks CJK text ~20x slower than a search that finds
# nothing, which is the usual case.)
_INPUT_CLEANUP = re.compile("[\u200b-\u200d\ufeff\ue000-\ue01f]")
_CLASS = re.compile(r' class="[^"]*"')
_STASH = re.compile(f"{STASH_OPEN}(\\d+){STASH_CLOSE}")
_MATH = re.compile(f"{MATH_OPEN}(\\d+){MATH_CLOSE}")
# Tags that end a line or a block read as a space; inline tags (<strong>, <span>) as nothing.
_BREAKING_TAG = re.compile(
    r"<(?:br|/?(?:p|h[1-6]|section|blockquote|pre|figure|figcaption|table|tr|td|th|li|div))\b[^>]*>"
)
_TAG = re.compile(r"<[^>]*>")
# An inline formula and the punctuation right after it: kept on one line, or a `，` could
# start the next line (a formula is an image to the line breaker, and it may break after one).
_FORMULA_PUNCTUATION = re.compile(
    f"({MATH_OPEN}\\d+{MATH_CLOSE})([，。、；：！？）》」』”’,.;:!?)\\]]+)"
)
_ROOT_COLOR = re.compile(r'^<section style="(?:[^"]*;)?color:([^;"]+)')
# A typical mmbiz.qpic.cn URL is ~120 characters; see `_math_html` for why this matters.
UPLOADED_URL_CHARS = 128
_PRE = re.compile(r"<pre\b[^>]*>(.*?)</pre>", re.S | re.I)


class RenderError(WxsyncError):
    """A body that cannot be rendered safely; the post's error, never the run's."""


def _wechat_length(html: str, session: Session) -> int:
    """`len(html)` with every image URL counted as a typical uploaded one, whatever `image_url`
    mapped it to: the fitting decision and the formula budget both count this way."""
    return len(html) - session.image_src_chars + session.image_count * UPLOADED_URL_CHARS


def visible_length(html: str) -> int:
    """Characters of text as a browser lays it out: what the characters-per-text metric divides by.

    Outside `<pre>`, runs of white space collapse to one space, as browsers collapse them;
    inside `<pre>` every character but the line breaks is laid out, indentation included.
    """
    total = 0
    position = 0
    for match in _PRE.finditer(html):
        total += _flow_length(html[position : match.start()])
        code = unescape(_TAG.sub("", _BREAKING_TAG.sub("\n", match.group(1))))
        total += len(code) - code.count("\n")
        position = match.end()
    return total + _flow_length(html[position:])


def code_length(html: str) -> int:
    """The part of `visible_length` that is inside code blocks."""
    total = 0
    for match in _PRE.finditer(html):
        code = unescape(_TAG.sub("", _BREAKING_TAG.sub("\n", match.group(1))))
        total += len(code) - code.count("\n")
    return total


def _flow_length(html: str) -> int:
    text = _TAG.sub("", _BREAKING_TAG.sub(" ", html))
    return len(" ".join(unescape(text).split()))


class Renderer:
    """Renders post bodies with one set of options; reuse one instance for many posts.

    `render` is safe to call from several threads (calls are serialised).
    """

    def __init__(self, options: RenderOptions = RenderOptions()) -> None:  # noqa: B008 - frozen
        if options.links not in LINK_MODES:
            raise ConfigError(
                f"links must be one of {', '.join(LINK_MODES)}, not {options.links!r}"
            )
        if options.math not in MATH_MODES:
            raise ConfigError(f"math must be one of {', '.join(MATH_MODES)}, not {options.math!r}")
        if options.code_highlight not in CODE_HIGHLIGHTS:
            raise ConfigError(
                f"code_highlight must be one of {', '.join(CODE_HIGHLIGHTS)}, "
                f"not {options.code_highlight!r}"
            )
        unknown = [kind for kind, _ in options.alert_titles if kind not in KINDS]
        if unknown:
            raise ConfigError(
                f"alert_titles: unknown kind {unknown[0]!r}; kinds are {', '.join(KINDS)}"
            )
        if options.tab_size < 1:
            raise ConfigError("tab_size must be at least 1")
        self.options = options
        self._theme_css = load_theme(options.theme)
        self._highlighter = CodeHighlighter(
            code_style(options.theme, options.code_theme), options.tab_size, options.code_highlight
        )
        self._css = minify_css(
            "\n".join((self._theme_css, self._highlighter.css(), options.user_css))
        )
        self._html = WeChatHTMLRenderer(options, self._highlighter)
        self._inline = CJKInlineParser()
        self._markdown = mistune.Markdown(
            renderer=self._html,
            inline=self._inline,
            plugins=[
                strikethrough,
                mark,
                superscript,
                subscript,
                table,
                table_in_quote,
                table_in_list,
                task_lists,
                footnotes,
                url,
                math,
                strict_inline_math,
                math_in_quote,
                math_in_list,
            ],
        )
        titles = alert_titles(options.alert_titles)
        self._markdown.before_render_hooks.append(
            lambda _md, state: rewrite_alerts(state.tokens, titles)
        )
        self._markdown.before_render_hooks.append(lambda _md, state: rewrite_details(state.tokens))
        self._math = MathRenderer()
        self._lock = threading.Lock()
        self._variants: dict[tuple[tuple[str, object], ...], Renderer] = {}
        self._inliner = css_inline.CSSInliner(minify_css=True)
        root = self._inliner.inline_fragment('<section class="wx"></section>', self._css)
        found = _ROOT_COLOR.search(_CLASS.sub("", root))
        self._text_color = found.group(1).strip() if found else "#333"

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever the same Markdown could render differently (version, CSS, options)."""
        return fingerprint(self.options)

    def variant(self, **changes: object) -> Renderer:
        """A renderer with some options changed, built once and kept (the fitting ladder's rungs)."""
        key = tuple(sorted(changes.items()))
        if not key:
            return self
        with self._lock:
            found = self._variants.get(key)
        if found is None:
            found = Renderer(replace(self.options, **changes))  # type: ignore[arg-type]
            with self._lock:
                found = self._variants.setdefault(key, found)
        return found

    def render(
        self,
        markdown: str,
        image_url: Callable[[str], str] | None = None,
        link_url: Callable[[str], str | None] | None = None,
    ) -> RenderResult:
        """Render a post body (front matter already removed).

        `image_url` maps each image source as written (and each generated placeholder) to the
        URL to emit; without it sources stay as written. `link_url` maps a link target as
        written to the address to link to ("" for plain text, None to leave it as written):
        the engine gives links to other posts their WeChat or site address this way.
        """
        with self._lock:
            session = self._html.start(image_url, link_url)
            self._inline.strays = []
            if _INPUT_CLEANUP.search(markdown):
                markdown = _INPUT_CLEANUP.sub("", markdown)
            body, _state = self._markdown.parse(markdown)
            assert isinstance(body, str)
            body += self._html.references_html()
            if too_deep(body):
                raise RenderError(
                    f"HTML nested more than {MAX_HTML_DEPTH} levels deep: WeChat could not show "
                    "it either; remove the nesting"
                )
            if session.formulas:
                body = _FORMULA_PUNCTUATION.sub(r'<span class="nw">\1\2</span>', body)
            html = self._inliner.inline_fragment(f'<section class="wx">{body}</section>', self._css)
            # Class names selected theme rules; WeChat applies no stylesheet, so they are dead
            # weight now. Literal no-break spaces cost one character instead of six.
            html = compact_styles(_CLASS.sub("", html).replace("&nbsp;", NBSP))
            html = _STASH.sub(lambda m: session.stash[int(m.group(1))], html)
            html, generated = self._math_html(html, session)
            images = tuple(session.images) + tuple(
                key for key in generated if key not in session.images
            )
            return RenderResult(
                html=html,
                images=images,
                generated=MappingProxyType(generated),
                wechat_length=_wechat_length(html, session),
                unpaired_emphasis=tuple(self._inline.strays),
                sensitive_to=frozenset(
                    name
                    for name, present in (
                        ("code_highlight", session.code_blocks),
                        ("math", session.formulas),
                        ("html_styles", self._html.sanitizer.saw_styles),
                    )
                    if present
                ),
            )

    def _math_html(self, html: str, session: Session) -> tuple[str, dict[str, bytes]]:
        """Put formulas in: SVG, or PNG where `math` says so or the SVG would not fit.

        The choice must not depend on `image_url`, or the engine's two calls (one to learn the
        images, one with their uploaded URLs) could disagree about which PNGs exist. So the
        length that decides counts every image URL as a typical uploaded URL.
        """
        formulas = session.formulas
        if not formulas:
            return html, {}
        svgs: list[str | None] = []
        for formula in formulas:
            try:
                svgs.append(self._math.svg(formula.tex, formula.display))
            except MathError:
                svgs.append(None)
        as_png = [svg is not None and self.options.math == "png" for svg in svgs]
        if self.options.math == "auto":
            estimate = _wechat_length(html, session) + sum(len(svg or "") for svg in svgs)
            png_tag = 60 + UPLOADED_URL_CHARS
            biggest_first = sorted(range(len(svgs)), key=lambda i: -len(svgs[i] or ""))
            for index in biggest_first:
                if estimate < self.options.content_limit or svgs[index] is None:
                    break
                as_png[index] = True
                estimate -= len(svgs[index] or "") - png_tag
        generated: dict[str, bytes] = {}
        pieces: list[str] = []
        for formula, svg, png in zip(formulas, svgs, as_png, strict=True):
            if svg is None:
                pieces.append(f"<code>{escape(formula.tex, quote=False)}</code>")
            elif png:
                pieces.append(self._png_tag(formula.tex, formula.display, session, generated))
            else:
                pieces.append(svg)
        return _MATH.sub(lambda m: pieces[int(m.group(1))], html), generated

    def _png_tag(
        self, tex: str, display: bool, session: Session, generated: dict[str, bytes]
    ) -> str:
        image = self._math.png(tex, display, self._text_color)
        src = placeholder(tex, display)
        generated[src] = image.data
        if session.image_url is not None:
            src = session.image_url(src)
        session.image_src_chars += len(escape(src))
        session.image_count += 1
        size = f"width:{image.width_em:.3f}em"
        align = "max-width:100%" if display else f"vertical-align:-{image.depth_em:.3f}em"
        return f'<img src="{escape(src)}" style="{size};{align}">'
