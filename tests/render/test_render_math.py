"""Formulas: compact inline SVG, or PNG images when an article would not fit as SVG."""

from __future__ import annotations

import io

from PIL import Image

from tests.render.html_tools import parse
from wxsync.render import Renderer, RenderOptions
from wxsync.render.math import MathRenderer


def test_inline_formula_is_a_compact_svg_in_the_text_colour() -> None:
    html = Renderer().render("Energy $E=mc^2$ rules.\n").html
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    assert len(svg) < 1_600  # ziamath's own SVG for this is ~5,100 characters
    assert 'fill="currentColor"' in svg
    assert "vertical-align:-" in svg
    assert "<use" not in svg and "<symbol" not in svg


def test_display_formula_is_centred_in_its_own_block() -> None:
    html = Renderer().render("$$\n\\frac{a}{b}\n$$\n").html
    block = next(
        e
        for e in parse(html).iter()
        if e.find_all("svg") and e.tag == "section" and e.style.get("text-align") == "center"
    )
    assert block.style["overflow"] == "auto"


def test_png_mode_lists_generated_images_with_placeholders() -> None:
    result = Renderer(RenderOptions(math="png")).render("Inline $x^2$ and\n\n$$\ny=\\sqrt{x}\n$$\n")
    assert len(result.generated) == 2
    assert result.images == tuple(result.generated)
    for src, data in result.generated.items():
        assert src.startswith("wxsync-math/") and src.endswith(".png")
        assert Image.open(io.BytesIO(data)).format == "PNG"
        assert f'src="{src}"' in result.html
    assert "<svg" not in result.html


def test_png_sources_are_mapped_like_any_image() -> None:
    renderer = Renderer(RenderOptions(math="png"))
    first = renderer.render("$x$ ![p](p.png)\n")
    mapped = renderer.render("$x$ ![p](p.png)\n", image_url=lambda src: f"https://cdn/{src}")
    assert first.images == mapped.images
    assert all(f'src="https://cdn/{src}"' in mapped.html for src in first.images)


def test_auto_switches_to_png_when_svg_would_not_fit_and_both_calls_agree() -> None:
    formulas = "\n\n".join(
        f"$$\n\\sum_{{i=1}}^{{{n}}} \\frac{{i^2}}{{\\sqrt{{{n}+i}}}}\n$$" for n in range(40)
    )
    renderer = Renderer()
    first = renderer.render(formulas)
    assert first.generated, "some formulas became PNG"
    assert len(first.html) < 20_000
    second = renderer.render(
        formulas, image_url=lambda src: "https://mmbiz.qpic.cn/mmbiz_png/" + "x" * 90 + src
    )
    assert second.images == first.images
    assert len(second.html) < 20_000


def test_auto_keeps_svg_when_the_article_fits() -> None:
    result = Renderer().render("$a+b$ and $c$\n")
    assert not result.generated
    assert result.html.count("<svg") == 2


def test_formula_that_cannot_be_laid_out_is_shown_as_source() -> None:
    html = Renderer().render("Broken $\\frac{a}{$ here\n").html
    assert "<svg" not in html
    assert "\\frac{a}{" in html


def test_png_rasteriser_fills_letter_counters_and_uses_the_colour() -> None:
    png = MathRenderer().png("o", display=False, color="#ff0000")
    image = Image.open(io.BytesIO(png.data)).convert("RGBA")
    width, height = image.size
    pixels = [image.getpixel((x, y)) for x in range(width) for y in range(height)]
    opaque = [p for p in pixels if p[3] > 200]
    assert opaque and all(p[0] > 200 and p[1] < 60 for p in opaque)
    left, top, right, bottom = image.getbbox() or (0, 0, width, height)
    centre = image.getpixel(((left + right) // 2, (top + bottom) // 2))
    assert centre[3] < 100, "the hole of the 'o' stays transparent"


def test_png_formulas_take_the_themes_text_colour() -> None:
    result = Renderer(RenderOptions(math="png", user_css=".wx { color: #00ff00 }")).render("$x$\n")
    (data,) = result.generated.values()
    image = Image.open(io.BytesIO(data)).convert("RGBA")
    width, height = image.size
    pixels = [image.getpixel((x, y)) for x in range(width) for y in range(height)]
    opaque = [p for p in pixels if p[3] > 200]
    assert opaque and all(p[1] > 200 and p[0] < 60 and p[2] < 60 for p in opaque)


def test_dollar_signs_of_template_variables_are_not_a_formula() -> None:
    html = Renderer().render("内置属性 ${basedir} 表示项目目录；${version} 表示项目版本。\n").html
    assert "<svg" not in html
    assert "${basedir} 表示项目目录；${version}" in html


def test_a_closing_dollar_after_a_space_or_before_a_digit_ends_no_formula() -> None:
    for text in ("costs $5 and $10 today", "variables $HOME and $PATH here"):
        assert "<svg" not in Renderer().render(text + "\n").html, text


def test_ordinary_inline_formulas_still_render() -> None:
    for text in ("质能方程 $E=mc^2$，对吧", "单个 $x$ 变量", "希腊字母 $\\alpha$。"):
        assert "<svg" in Renderer().render(text + "\n").html, text
