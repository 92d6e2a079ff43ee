"""Hostile input in raw HTML and link targets comes out clean."""

from __future__ import annotations

import pytest

from tests.render.html_tools import parse
from wxsync.bounded import too_deep
from wxsync.render import Renderer, RenderOptions
from wxsync.render.renderer import RenderError

FORBIDDEN_TAGS = {"script", "style", "iframe", "link", "object", "embed", "frame", "svg", "math"}
HOSTILE = [
    "<script>alert(1)</script>",
    "before <script>alert(1)</script> after",
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example/"></iframe>',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<img src="x.png" onerror="alert(1)">',
    '<span onclick="alert(1)" onmouseover="alert(2)">hover</span>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="jav&#x61;script:alert(1)">click</a>',
    '<a href="java\tscript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html,<script>alert(1)</script>">click</a>',
    '<img src="data:image/png;base64,AAAA">',
    '<img src="javascript:alert(1)">',
    '<div style="background:url(javascript:alert(1))">styled</div>',
    '<div style="width:expression(alert(1))">styled</div>',
    '<svg onload="alert(1)"><circle r="5"/></svg>',
    "<object data='x.swf'></object><embed src='x.swf'>",
    '<form action="https://evil.example"><input name="x"></form>',
    "<!-- <script>alert(1)</script> -->",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "![img](javascript:alert(1))",
    "![img](data:image/png;base64,AAAA)",
    "<javascript:alert(1)>",
    "<div><p>unclosed <b>bold",
    "</section></section><section>",
]


def assert_clean(html: str) -> None:
    root = parse(html)
    top = [c for c in root.children if not isinstance(c, str)]
    assert len(top) == 1 and top[0].tag == "section", "one root <section>"
    for element in root.iter()[1:]:
        assert element.tag not in FORBIDDEN_TAGS, element.tag
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), name
            lowered = "".join(value.split()).lower()
            for scheme in ("javascript:", "vbscript:", "data:"):
                assert scheme not in lowered, (name, value)
            assert "expression(" not in lowered
            assert "url(" not in lowered


@pytest.mark.parametrize("markdown", HOSTILE)
@pytest.mark.parametrize("links", ["references", "keep", "strip"])
def test_hostile_input_comes_out_clean(markdown: str, links: str) -> None:
    assert_clean(Renderer(RenderOptions(links=links)).render(markdown + "\n").html)


def test_script_content_is_not_shown_as_text() -> None:
    html = (
        Renderer()
        .render("<script>alert(1)</script>\n\nbefore <script>evil()</script> after\n")
        .html
    )
    assert "alert" not in html
    assert "evil" not in html
    assert "before" in html and "after" in html


def test_harmless_raw_html_keeps_its_look() -> None:
    html = Renderer().render('<span style="color:red" onclick="x()">红色</span> text\n').html
    span = next(e for e in parse(html).iter() if e.tag == "span")
    assert span.attrs == {"style": "color:red"}


def test_unknown_tags_are_unwrapped_not_lost() -> None:
    html = (
        Renderer()
        .render("<custom-tag>kept text</custom-tag>\n\n<marquee>also kept</marquee>\n")
        .html
    )
    assert "kept text" in html and "also kept" in html
    assert "custom-tag" not in html and "marquee" not in html


def test_unbalanced_raw_html_cannot_break_the_root_section() -> None:
    html = Renderer().render("</section></section>\n\n<div><section>open\n\nafter\n").html
    assert_clean(html)
    assert html.endswith("</section>")


def test_raw_html_images_are_collected_and_mapped() -> None:
    result = Renderer().render(
        '<img src="pics/a.png" onerror="x()"> ![b](pics/b.png)\n',
        image_url=lambda src: "https://mmbiz.qpic.cn/" + src,
    )
    assert result.images == ("pics/a.png", "pics/b.png")
    assert 'src="https://mmbiz.qpic.cn/pics/a.png"' in result.html


def test_zero_width_characters_never_reach_the_output() -> None:
    html = Renderer().render("a\u200bb\u200cc\u200dd\ufeff <span>x\u200by</span>\n").html
    assert not any(ch in html for ch in "\u200b\u200c\u200d")


def test_placeholder_code_points_in_the_input_cannot_inject_stashed_html() -> None:
    html = Renderer().render("\ue0000\ue001 and \ue0020\ue003\n\n```\ncode\n```\n").html
    assert html.count("<pre") == 1
    assert "\ue000" not in html and "\ue002" not in html


@pytest.mark.parametrize(
    ("html", "deep"),
    [
        ("<div>" * 150 + "x", False),  # fewer start tags than the limit: no walk needed
        ("<p>x</p>" * 500, False),  # many tags, all shallow
        ("<br>" * 300 + "<b>" * 150, False),  # void tags do not nest
        ("<div>" * 201 + "x", True),
        ("<p>x</p>" * 300 + "<i>" * 201, True),
    ],
)
def test_nesting_deeper_than_wechat_shows_is_found_however_many_tags(html: str, deep: bool) -> None:
    assert too_deep(html) is deep
    if deep:
        with pytest.raises(RenderError, match="nested more than 200 levels"):
            Renderer().render(html + "\n")
