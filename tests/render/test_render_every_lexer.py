"""Every lexer Pygments ships, in every built-in theme and every code style: no crash, and the
code reads back exactly as written.

Real blogs hit lexers whose token types no style lists (YAML's `Token.Literal.Scalar.Plain`);
a style lookup that does not fall back to the parent types stopped `wxsync check` with a
traceback. Each lexer gets one tiny sample, lexed once; every style then colours each
lexer's tokens (lexing is the same whatever the style), and every theme renders each lexer's
block through the whole renderer.
"""

from __future__ import annotations

from pygments.lexers import get_all_lexers
from pygments.styles import get_all_styles

from tests.render.html_tools import code_blocks_as_displayed
from wxsync.render import Renderer, RenderOptions
from wxsync.render.code import CodeHighlighter, escape_code, lex
from wxsync.render.theme import available_themes

SAMPLE = 'key: "value" # note\n<a b=1>{x} [y, 2.5]</a>\n    def f(): return @z; $v\n%% end'
ALIASES = sorted({aliases[0] for _name, aliases, _files, _mimes in get_all_lexers() if aliases})


def test_pygments_ships_hundreds_of_lexers_and_dozens_of_styles() -> None:
    assert len(ALIASES) > 400
    assert len(list(get_all_styles())) > 30


def test_every_lexer_renders_in_every_theme() -> None:
    for theme in available_themes():
        renderer = Renderer(RenderOptions(theme=theme))
        for alias in ALIASES:
            html = renderer.render(f"```{alias}\n{SAMPLE}\n```\n").html
            assert code_blocks_as_displayed(html) == [SAMPLE], (theme, alias)


def test_every_lexer_is_coloured_by_every_code_style() -> None:
    streams = {}
    for alias in ALIASES:
        tokens = lex(alias, SAMPLE)
        if tokens is not None:  # None: a lexer that changes its text is not used
            streams[alias] = tokens
    assert len(streams) > 0.95 * len(ALIASES)
    plain = escape_code(SAMPLE)
    for style in sorted(get_all_styles()):
        highlighter = CodeHighlighter(style)
        for alias, tokens in streams.items():
            inner, _color = highlighter.highlight_tokens(tokens)
            shown = code_blocks_as_displayed(f"<pre>{inner}</pre>")
            assert shown == [SAMPLE], (style, alias)
            assert len(inner) >= len(plain)
