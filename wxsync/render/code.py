"""Code blocks as WeChat will show them: Pygments colours inline, indentation that survives.

WeChat's editor collapses runs of white space and may drop `white-space` from a block, so the
renderer does not rely on either. Every space in a code block is written as U+00A0 (a literal
no-break space: one character, where `&nbsp;` costs six), tabs are expanded to spaces first, and
each line ends with `<br>` instead of a newline. The result reads the same with or without
`white-space:pre`; the block keeps `white-space:pre` only so that long lines scroll sideways
instead of wrapping.

Highlighting walks Pygments' token stream directly instead of running `HtmlFormatter`: that
lets adjacent tokens of the same colour share one `<span>`, white space join any neighbour, and
colours use their short form (`#fff`). A style's bold is dropped (italic is kept): it adds
little inside a coloured block and would keep same-coloured neighbours in separate spans. Lexers and per-token styles are computed once per
`CodeHighlighter` and reused for every post.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from wxsync.errors import ConfigError

if TYPE_CHECKING:
    from pygments.lexer import Lexer
    from pygments.token import _TokenType

NBSP = "\u00a0"


def short_color(value: str) -> str:
    """`#aabbcc` -> `#abc` when each pair repeats; other values unchanged (lower-cased)."""
    value = value.strip().lower()
    if not value.startswith("#"):
        value = "#" + value
    if len(value) == 7 and value[1] == value[2] and value[3] == value[4] and value[5] == value[6]:
        return "#" + value[1] + value[3] + value[5]
    return value


def code_color(value: str) -> str:
    """A token colour rounded to the nearest `#rgb` form (each channel off by at most 8/255).

    Code blocks carry a `<span>` per coloured run, ~100 in a typical article, so three
    characters each add up; a shift of at most 3% per channel is not visible on a phone.
    """
    exact = short_color(value)
    if len(exact) != 7:
        return exact
    channels = (int(exact[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c / 17):x}" for c in channels)


def escape_code(text: str) -> str:
    """Escape code text for HTML: every space a no-break space, every newline a `<br>`.

    (Chained `str.replace` calls: much faster than `str.translate` on non-ASCII text.)
    """
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace(" ", NBSP)
        .replace("\n", "<br>")
    )


class CodeHighlighter:
    """Turns a code block into inline-styled HTML for one Pygments style.

    Build one per renderer: looking up a lexer by name and resolving a style's token table
    are the expensive parts, and both are cached here.
    """

    def __init__(self, style_name: str, tab_size: int = 4, highlight: str = "full") -> None:
        from pygments.styles import get_style_by_name
        from pygments.util import ClassNotFound

        try:
            self._style = get_style_by_name(style_name)
        except ClassNotFound:
            from pygments.styles import get_all_styles

            known = ", ".join(sorted(get_all_styles()))
            raise ConfigError(
                f"unknown code-highlight style {style_name!r}; choose one of: {known}"
            ) from None
        from pygments.token import Token

        self.style_name = style_name
        self.tab_size = tab_size
        self.mode = highlight
        self.background = short_color(self._style.background_color or "#ffffff")
        text_color = self._style.style_for_token(Token.Text)["color"]
        self.foreground = short_color(text_color) if text_color else "#333"
        self._token_css: dict[_TokenType, str] = {}
        self._lexers: dict[str, Lexer | None] = {}

    def css(self) -> str:
        """CSS that gives code blocks the style's own background and text colour.

        It is placed between the theme and the user's CSS, so a user can still override it.
        """
        return f"pre.cb{{background:{self.background};color:{self.foreground}}}"

    def highlight(self, code: str, language: str | None) -> str:
        """Return the inner HTML of a code block: spans, no-break spaces and `<br>` per line."""
        code = code.expandtabs(self.tab_size)
        if code.endswith("\n"):
            code = code[:-1]
        lexer = self._lexer(language) if language and self.mode != "plain" else None
        if lexer is None:
            return escape_code(code)
        return self._spans(lexer.get_tokens_unprocessed(code))

    def _lexer(self, language: str) -> Lexer | None:
        key = language.lower()
        if key not in self._lexers:
            from pygments.lexers import get_lexer_by_name
            from pygments.util import ClassNotFound

            try:
                # Keep leading/trailing blank lines: they are part of what the author wrote.
                self._lexers[key] = get_lexer_by_name(key, stripnl=False, ensurenl=False)
            except ClassNotFound:
                self._lexers[key] = None
        return self._lexers[key]

    def _css_for(self, ttype: _TokenType) -> str:
        css = self._token_css.get(ttype)
        if css is None:
            style = self._style.style_for_token(self._styled_type(ttype))
            parts = []
            if style["color"] and code_color(style["color"]) != code_color(self.foreground):
                parts.append("color:" + code_color(style["color"]))
            # Bold is left out on purpose: in a coloured block it adds little, and without it
            # same-coloured neighbours (`=` next to `await`) share one span.
            if style["italic"]:
                parts.append("font-style:italic")
            if style["underline"]:
                parts.append("text-decoration:underline")
            css = ";".join(parts)
            self._token_css[ttype] = css
        return css

    def _styled_type(self, ttype: _TokenType) -> _TokenType:
        """The nearest type the style knows: `ttype` itself or one of its parents.

        Lexers make up token types of their own (`Token.Literal.Scalar.Plain` in YAML) that no
        style lists; Pygments' formatters fall back to the parent types, and so does this.
        In "light" mode only comments, strings and keywords keep a colour of their own.
        """
        from pygments.token import Comment, Keyword, String, Text, is_token_subtype

        if self.mode == "light":
            for kept in (Comment, String, Keyword):
                if is_token_subtype(ttype, kept):
                    return kept
            return Text
        while not self._style.styles_token(ttype) and ttype.parent is not None:
            ttype = ttype.parent
        return ttype

    def _spans(self, tokens: Iterable[tuple[int, _TokenType, str]]) -> str:
        out: list[str] = []
        run: list[str] = []
        run_css = ""
        cache = self._token_css
        wrap = self._wrap
        for _index, ttype, value in tokens:
            css = cache.get(ttype)
            if css is None:
                css = self._css_for(ttype)
            # White space has no colour of its own: it joins whatever run is open.
            if css != run_css and not value.isspace():
                if run:
                    out.append(wrap(run_css, "".join(run)))
                    run = []
                run_css = css
            run.append(value)
        if run:
            out.append(wrap(run_css, "".join(run)))
        return "".join(out)

    @staticmethod
    def _wrap(css: str, text: str) -> str:
        html = escape_code(text)
        return f'<span style="{css}">{html}</span>' if css else html
