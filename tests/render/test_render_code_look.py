"""How code blocks look in each theme: their own code style, no letter-spacing, the language
label and the optional window bar inside the block."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.render.html_tools import Element, code_blocks_as_displayed, parse
from wxsync.config import load_settings
from wxsync.engine.manuscript import render_fingerprint, render_options
from wxsync.render import Renderer, RenderOptions
from wxsync.render.theme import available_themes

THEMES = available_themes()
GO = '```go\nfunc main() {\n\tfmt.Println("hi") // greet\n}\n```\n\n正文 `inline()` 代码。\n'


def effective(element: Element, name: str, inherited: str = "normal") -> dict[int, str]:
    """The inherited property `name` as it applies to each element (by id)."""
    value = element.style.get(name, inherited)
    found = {id(element): value}
    for child in element.children:
        if isinstance(child, Element):
            found.update(effective(child, name, value))
    return found


def luminance(color: str) -> float:
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    r, g, b = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_each_theme_has_its_own_light_code_style() -> None:
    backgrounds = {}
    for theme in THEMES:
        renderer = Renderer(RenderOptions(theme=theme))
        pre = parse(renderer.render(GO).html).find_all("pre")[0]
        backgrounds[theme] = pre.style.get("background", "#fff")
        assert luminance(backgrounds[theme]) > 0.85, (theme, backgrounds[theme])
        assert "#e6edf3" not in renderer.render(GO).html  # github-dark's text colour
    styles = {Renderer(RenderOptions(theme=t)).fingerprint for t in THEMES}
    assert len(styles) == len(THEMES)


def test_a_chosen_code_style_overrides_the_themes_own() -> None:
    pre = parse(Renderer(RenderOptions(theme="warm", code_theme="github-dark")).render(GO).html)
    assert pre.find_all("pre")[0].style["background"] == "#0d1117"


@pytest.mark.parametrize("theme", THEMES)
def test_code_does_not_inherit_the_body_letter_spacing(theme: str) -> None:
    root = parse(Renderer(RenderOptions(theme=theme)).render(GO).html)
    spacing = effective(root, "letter-spacing")
    (pre,) = root.find_all("pre")
    assert spacing[id(pre)] in ("0", "normal"), theme


@pytest.mark.parametrize("theme", THEMES)
def test_the_language_label_sits_inside_the_block(theme: str) -> None:
    html = Renderer(RenderOptions(theme=theme, code_label=True)).render(GO).html
    pre = parse(html).find_all("pre")[0]
    label = pre.children[0]
    assert isinstance(label, Element) and label.text() == "go"
    assert label.style["display"] == "block"
    assert html.count(">go<") == 1


@pytest.mark.parametrize("theme", THEMES)
def test_code_window_draws_a_bar_with_the_language_inside_the_block(theme: str) -> None:
    plain = Renderer(RenderOptions(theme=theme)).render(GO).html
    html = Renderer(RenderOptions(theme=theme, code_window=True)).render(GO).html
    pre = parse(html).find_all("pre")[0]
    bar = pre.children[0]
    assert isinstance(bar, Element) and bar.style["display"] == "block"
    dots = [c for c in bar.children if isinstance(c, Element)]
    assert [d.text() for d in dots] == ["●", "●", "●"]
    assert len({d.style["color"] for d in dots}) == 3
    assert bar.text().endswith("go")
    # The code itself reads the same, one line below the bar.
    (shown,) = code_blocks_as_displayed(html)
    assert shown.split("\n", 1)[1:] == code_blocks_as_displayed(plain)[0].split("\n", 1)[1:]


def test_code_window_setting_reaches_the_renderer_and_its_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "window").mkdir()
    (tmp_path / "plain").mkdir()
    (tmp_path / "window/wxsync.yml").write_text("code_window: true\n", encoding="utf-8")
    (tmp_path / "plain/wxsync.yml").write_text("theme: default\n", encoding="utf-8")
    settings = load_settings(tmp_path / "window", environ={})
    options = render_options(settings)
    assert options.code_window
    plain = load_settings(tmp_path / "plain", environ={})
    with_window = render_fingerprint(settings)
    without = render_fingerprint(plain)
    assert with_window != without
