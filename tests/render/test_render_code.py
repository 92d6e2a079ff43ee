"""Code blocks: indentation survives WeChat exactly; colours are inline, compact and merged."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.render.html_tools import code_blocks_as_displayed, parse
from wxsync.render import Renderer, RenderOptions
from wxsync.render.code import code_color, short_color

RENDERER = Renderer()


def displayed(markdown: str, renderer: Renderer = RENDERER) -> list[str]:
    return code_blocks_as_displayed(renderer.render(markdown).html)


def fence(code: str, language: str = "") -> str:
    return f"```{language}\n{code}\n```\n"


PYTHON = "def f(x):\n        if x:\n\t\treturn [\n\t\t    1,  2,   3,\n\t\t]\n\n    return None"


def test_eight_space_and_tab_indentation_round_trips() -> None:
    assert displayed(fence(PYTHON, "python")) == [PYTHON.expandtabs(4)]


def test_indentation_round_trips_without_highlighting() -> None:
    assert displayed(fence(PYTHON)) == [PYTHON.expandtabs(4)]
    assert displayed(fence(PYTHON, "no-such-language")) == [PYTHON.expandtabs(4)]


def test_tabs_expand_to_the_configured_tab_stops() -> None:
    code = "a\tb\n\tc\n12345\td"
    renderer = Renderer(RenderOptions(tab_size=8))
    assert displayed(fence(code), renderer) == [code.expandtabs(8)]


def test_blank_lines_and_leading_blank_lines_survive() -> None:
    code = "\n\nfirst\n\n\nlast"
    assert displayed(fence(code, "text")) == [code]


def test_html_characters_in_code_are_escaped_and_shown() -> None:
    code = '<script>alert("x")</script> && a < b > c'
    assert displayed(fence(code, "html")) == [code]
    assert "<script>" not in RENDERER.render(fence(code, "html")).html


def test_indented_code_blocks_round_trip_too() -> None:
    markdown = "Text.\n\n        deeper\n    base\n"
    assert displayed(markdown) == ["    deeper\nbase"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from(list(" \tabcxyz019_=()[]{}<>&\"'#;:.,+-*/中文")), max_size=30
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["", "python", "javascript", "go", "c", "text"]),
)
def test_any_code_round_trips(lines: list[str], language: str) -> None:
    code = "\n".join(line.rstrip() for line in lines).strip("\n")
    if not code.strip() or "```" in code:
        return
    assert displayed(fence(code, language)) == [code.expandtabs(4)]


def test_long_lines_scroll_instead_of_wrapping() -> None:
    pre = parse(RENDERER.render(fence("x = 1", "python")).html).find_all("pre")[0]
    assert pre.style["overflow"] == "auto"
    assert pre.style["white-space"] == "pre"


def test_block_takes_the_code_styles_background_and_colour() -> None:
    html = Renderer(RenderOptions(code_theme="monokai")).render(fence("x = 1", "python")).html
    pre = parse(html).find_all("pre")[0]
    assert pre.style["background"] == "#272822"
    assert pre.style["color"] == "#f8f8f2"


def test_adjacent_tokens_of_one_colour_share_a_span_and_colours_are_short() -> None:
    renderer = Renderer(RenderOptions(code_theme="github-dark"))
    html = renderer.render(fence("import os\nfrom a import b\nx = not y", "python")).html
    pre = parse(html).find_all("pre")[0]
    spans = [c for c in pre.children if not isinstance(c, str) and c.tag == "span"]
    styles = [s.attrs["style"] for s in spans]
    runs = [c if isinstance(c, str) else c.text() for c in pre.children]
    # Keywords `from` and `import` with only a space between them share a span (or, when
    # their colour is the block's own, a run of bare text).
    assert any("from" in run and "import" in run for run in runs)
    # No two neighbouring spans (with nothing visible between) carry the same style.
    raw = re.findall(r'<span style="([^"]*)">[^<]*</span>(?=<span style="\1")', html)
    assert raw == []
    assert all(re.fullmatch(r"color:#[0-9a-f]{3}(;font-style:italic)?", s) for s in styles)


def test_language_label_is_optional() -> None:
    plain = RENDERER.render(fence("x = 1", "python")).html
    labelled = Renderer(RenderOptions(code_label=True)).render(fence("x = 1", "python")).html
    assert ">python<" not in plain
    assert ">python<" in labelled


def test_colour_forms_are_short() -> None:
    assert short_color("#FFFFFF") == "#fff"
    assert short_color("ff7b72") == "#ff7b72"
    assert code_color("#ff7b72") == "#f77"
    assert code_color("#000000") == "#000"


def test_yaml_token_types_no_style_lists_fall_back_to_their_parents() -> None:
    code = "key: plain value\nlist:\n  - item: [1, 2]\n  - ? complex\n    : mapping\n"
    for style in ("github-dark", "monokai", "friendly"):
        renderer = Renderer(RenderOptions(code_theme=style))
        assert displayed(fence(code.rstrip("\n"), "yaml"), renderer) == [code.rstrip("\n")]
