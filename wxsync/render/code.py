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
little inside a coloured block and would keep same-coloured neighbours in separate spans.
The colour that saves the most spans becomes the block's own (`<pre style="color:…">`).
Lexers are found once per process, per-token styles once per `CodeHighlighter`, and both
are reused for every post.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from wxsync.errors import ConfigError

if TYPE_CHECKING:
    from pygments.lexer import Lexer
    from pygments.token import _TokenType

NBSP = "\u00a0"
# The three buttons of a macOS window bar: close, minimise, zoom.
_WINDOW_DOTS = "".join(f'<span style="color:{c}">●</span>' for c in ("#f56", "#fb3", "#2c4"))


def code_head(language: str | None, *, label: bool, window: bool) -> str:
    """What sits at the top of a code block, inside it: a window bar and/or the language.

    Both are block-level spans inside the `<pre>`, so they stay inside the block's
    background and border in every theme (`cw` and `cl` in the theme CSS style them).
    """
    name = escape_code(language) if language else ""
    if window:
        title = f"{NBSP}{NBSP}{name}" if name else ""
        return f'<span class="cw">{_WINDOW_DOTS}{title}</span>'
    if label and name:
        return f'<span class="cl">{name}</span>'
    return ""


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

    `>` stays as it is: in text it is plain HTML (only `<` and `&` start markup), and code
    is full of it (`->`, `=>`, `>=`, generics), three characters saved each time.
    (Chained `str.replace` calls: much faster than `str.translate` on non-ASCII text.)
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(" ", NBSP).replace("\n", "<br>")


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
        # A style without a text colour leaves code in the theme's own text colour.
        self._inherit_color = not text_color
        self._token_css: dict[_TokenType, str] = {}

    def css(self) -> str:
        """CSS that gives code blocks the style's own background (unless white) and text colour.

        It is placed between the theme and the user's CSS, so a user can still override it.
        """
        # A white background is no opinion: the theme's light block colour applies.
        background = "" if self.background in ("#fff", "#ffffff") else self.background
        rules = [f"background:{background}"] if background else []
        if not self._inherit_color:
            rules.append(f"color:{self.foreground}")
        return f"pre.cb{{{';'.join(rules)}}}" if rules else ""

    def highlight_block(self, code: str, language: str | None) -> tuple[str, str | None]:
        """The inner HTML of a code block, and the colour its `<pre>` must have (None: the
        style's text colour, as `css()` gives every block).
        """
        code = code.expandtabs(self.tab_size)
        if code.endswith("\n"):
            code = code[:-1]
        tokens = lex(language, code) if language and self.mode != "plain" else None
        if tokens is None:
            return escape_code(code), None
        return self.highlight_tokens(tokens)

    def _css_for(self, ttype: _TokenType) -> str:
        css = self._token_css.get(ttype)
        if css is None:
            style = self._style.style_for_token(self._styled_type(ttype))
            parts = []
            if style["color"] and code_color(style["color"]) != code_color(self.foreground):
                parts.append("color:" + code_color(style["color"]))
            # Bold is left out where there is a colour: it adds little, and without it
            # same-coloured neighbours (`=` next to `await`) share one span. Where bold is
            # all that marks a token (keywords in `trac`), it stays.
            if style["bold"] and not parts:
                parts.append("font-weight:bold")
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

    def _runs(self, tokens: Iterable[tuple[int, _TokenType, str]]) -> list[tuple[str, str]]:
        """(css, text) runs: neighbours of the same style joined, white space joining any run."""
        runs: list[tuple[str, str]] = []
        run: list[str] = []
        run_css = ""
        cache = self._token_css
        for _index, ttype, value in tokens:
            css = cache.get(ttype)
            if css is None:
                css = self._css_for(ttype)
            # White space has no colour of its own: it joins whatever run is open.
            if css != run_css and not value.isspace():
                if run:
                    runs.append((run_css, "".join(run)))
                    run = []
                run_css = css
            run.append(value)
        if run:
            runs.append((run_css, "".join(run)))
        return runs

    def _block_color(self, runs: list[tuple[str, str]]) -> str | None:
        """The colour that, made the block's own, saves the most characters (None: keep the
        style's text colour).

        Runs of that colour lose their `<span>`; runs in the text colour gain one. In most
        styles keywords or names outnumber plain text, so this pays on almost every block.
        """
        plain = "color:" + self.foreground
        saving: dict[str, int] = {}
        for css, _text in runs:
            if not css.startswith("color:"):
                # Text colour: made explicit if another colour becomes the block's.
                cost = len(plain) + (1 if css else _SPAN)
                for color in saving:
                    saving[color] -= cost
                continue
            color, _, rest = css.partition(";")
            if color not in saving:
                saving[color] = -sum(
                    len(plain) + (1 if c else _SPAN) for c, _t in runs if not c.startswith("color:")
                )
            saving[color] += len(css) - len(rest) + (0 if rest else _SPAN)
        best = max(saving.items(), key=lambda item: item[1], default=None)
        if best is None or best[1] <= 0:
            return None
        return best[0][len("color:") :]

    def highlight_tokens(
        self, tokens: Iterable[tuple[int, _TokenType, str]]
    ) -> tuple[str, str | None]:
        """`highlight_block` for a token stream already lexed (text with tabs expanded)."""
        runs = self._runs(tokens)
        block = self._block_color(runs)
        if block is not None:
            runs = _recolor(runs, "color:" + block, "color:" + self.foreground)
        wrap = self._wrap
        return "".join(wrap(css, text) for css, text in runs), block

    @staticmethod
    def _wrap(css: str, text: str) -> str:
        html = escape_code(text)
        return f'<span style="{css}">{html}</span>' if css else html


def lex(language: str, code: str) -> list[tuple[int, _TokenType, str]] | None:
    """`code` as Pygments tokens for a fence's language; None if the language is unknown or
    its lexer does not give back exactly the text it was given.

    Some lexers drop a last line that has no newline (`console`), so one is added and taken
    off again.
    """
    lexer = _lexer(language)
    if lexer is None:
        return None
    tokens = list(lexer.get_tokens_unprocessed(code + "\n"))
    if "".join(value for _index, _ttype, value in tokens) != code + "\n":
        return None
    while tokens and not tokens[-1][2]:
        tokens.pop()
    index, ttype, value = tokens[-1]
    tokens[-1] = (index, ttype, value[:-1])
    return tokens


@functools.cache
def _lexer(language: str) -> Lexer | None:
    """The lexer for a fence's language name, shared by every highlighter (None if unknown).

    Finding a lexer by name imports its module, the slow part; lexers keep no state between
    calls, so one instance serves every renderer and every rung of the fitting ladder.
    """
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        # Keep leading/trailing blank lines: they are part of what the author wrote.
        return get_lexer_by_name(language.lower(), stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


# `<span style="">` and `</span>`: what a run pays besides its declarations.
_SPAN = len('<span style="">') + len("</span>")


def _recolor(runs: list[tuple[str, str]], block: str, plain: str) -> list[tuple[str, str]]:
    """Restyle runs for a block whose own colour is `block`, joining neighbours that now match."""
    out: list[tuple[str, str]] = []
    for css, text in runs:
        color, _, rest = css.partition(";")
        if not css.startswith("color:"):
            restyled = f"{plain};{css}" if css else plain
        else:
            restyled = rest if color == block else css
        if out and out[-1][0] == restyled:
            out[-1] = (restyled, out[-1][1] + text)
        else:
            out.append((restyled, text))
    return out
