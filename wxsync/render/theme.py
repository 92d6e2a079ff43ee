"""Built-in themes: CSS files under `wxsync/render/themes/`, inlined into every article.

A theme sets the inherited properties (font, size, colour, line height) once, on the root
`section.wx`; rules for inner elements only say what differs. That keeps each inlined `style`
attribute short, which is what lets long articles fit WeChat's 20,000-character limit.

Class names used by the renderer, for theme and user CSS authors:
`wx` root; `li` list row, `lm` its marker (`lx` when wider than its column), `lc` its content
(`lw` when it holds something that may be wider than the screen); `cb` code block (`pre`), `cl` its
language label (inside the block), `cw` its window bar (`code_window`); `ic` inline code; `tw` table wrapper; `mb` display formula; `mi` display formula
inside a paragraph; `rh` heading of the references and footnotes; `rl` references list; `fn`
footnotes; `rf` reference mark; `fr` footnote mark; `al` alert box, `an`/`ap`/`ai`/`aw`/`ac`
its kind (note, tip, important, warning, caution), `at` its title; `dt` details block, `ds` its
title; `mk` highlighted text; `nw` an inline formula glued to the punctuation after it.
"""

from __future__ import annotations

import re
from pathlib import Path

from wxsync.errors import ConfigError

THEMES_DIR = Path(__file__).with_name("themes")
# Each theme's own Pygments style, chosen to suit it: light blocks with a blue accent for
# `default`, warm cream for `warm`, restrained greys for `ink`. All three are also among the
# styles with the fewest colour changes per line, which keeps articles short.
CODE_STYLES = {"default": "vs", "warm": "gruvbox-light", "ink": "trac"}
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_SPACE_AFTER = re.compile(r"([,:;{}>(])\s+")
_SPACE_BEFORE = re.compile(r"\s+([,;{}>)])")


def available_themes() -> tuple[str, ...]:
    """Names of the built-in themes, sorted."""
    return tuple(sorted(path.stem for path in THEMES_DIR.glob("*.css")))


def code_style(theme: str, chosen: str = "") -> str:
    """The Pygments style for a theme's code blocks: the one chosen, else the theme's own."""
    return chosen or CODE_STYLES.get(theme, "default")


def load_theme(name: str) -> str:
    """The CSS text of a built-in theme; unknown names are a configuration error."""
    if name not in available_themes():
        known = ", ".join(available_themes())
        raise ConfigError(f"unknown theme {name!r}; built-in themes: {known}")
    return (THEMES_DIR / f"{name}.css").read_text(encoding="utf-8")


def minify_css(css: str) -> str:
    """Drop comments and the spaces css-inline would otherwise copy into every `style`.

    css-inline keeps declaration values as written (`rgba(0, 0, 0, .1)`, `Menlo, monospace`),
    so each space in the theme would be paid for again on every element it styles.
    """
    css = _COMMENT.sub("", css)
    css = _SPACE_AFTER.sub(r"\1", css)
    css = _SPACE_BEFORE.sub(r"\1", css)
    return " ".join(css.split())
