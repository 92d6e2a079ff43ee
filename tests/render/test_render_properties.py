"""Property tests: arbitrary Markdown never crashes the renderer and never yields anything
WeChat forbids (or a browser would run)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.render.html_tools import Element, parse
from wxsync.render import Renderer, RenderOptions

RENDERERS = {
    mode: Renderer(RenderOptions(links=mode, math="svg"))
    for mode in ("references", "keep", "strip")
}
FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "link",
    "object",
    "embed",
    "frame",
    "frameset",
    "meta",
    "base",
    "form",
    "input",
    "ul",
    "ol",
    "li",
}
SCHEMES = re.compile(r"^(javascript|vbscript|data|file):", re.I)

# Pieces that exercise every construct, hostile ones included; hypothesis glues them together.
PIECES = [
    "# ", "## ", "> ", "- ", "* ", "1. ", "3) ", "- [ ] ", "- [x] ", "    ", "\t", "\n", "\n\n",
    "**", "*", "_", "~~", "`", "```", "```python\n", "~~~", "$", "$$", "\\", "|", "|---|:-:|\n",
    "[", "]", "(", ")", "<", ">", "!", "[^1]", "[^1]: ", "---\n", "&amp;", "&#x6a;", "&nbsp;",
    "[x](javascript:alert(1))", "![i](data:image/png;base64,AA)", "[y](https://example.com)",
    "<https://mp.weixin.qq.com/s/x>", "https://example.org/", "<script>alert(1)</script>",
    "<style>p{}</style>", '<img src=x onerror="a()">', '<a href="jav&#x61;script:1">', "</a>",
    '<span onclick="x" style="color:red;background:url(javascript:1)">', "</span>", "<div>",
    "</div>", "<iframe src=//x>", "<!--", "-->", "<svg onload=1>", "</section>", "\u200b",
    "\ue000", "\ue0010\ue001", "中文", "文字", "E=mc^2", "\\frac{a}{b}", "x_1", " ", "  ", "a", "b",
]  # fmt: skip
markdown_text = st.lists(st.sampled_from(PIECES) | st.text(max_size=5), max_size=40).map("".join)


def assert_wechat_safe(html: str) -> None:
    root = parse(html)
    top = [c for c in root.children if isinstance(c, Element)]
    assert len(top) == 1 and top[0].tag == "section"
    for element in root.iter()[1:]:
        assert element.tag not in FORBIDDEN_TAGS, element.tag
        for name, value in element.attrs.items():
            assert not name.startswith("on"), name
            assert name not in ("class", "id"), name
            if name in ("href", "src"):
                assert not SCHEMES.match("".join(value.split())), value
            if name == "style":
                assert "url(" not in value and "expression" not in value, value
    assert not re.search("[\u200b-\u200d\ue000-\ue003]", html)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_text, st.sampled_from(sorted(RENDERERS)))
def test_arbitrary_markdown_renders_safely(markdown: str, mode: str) -> None:
    result = RENDERERS[mode].render(markdown)
    assert_wechat_safe(result.html)
    assert result.text_length >= 0
    assert len(set(result.images)) == len(result.images)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_at_all_renders_safely(text: str) -> None:
    assert_wechat_safe(RENDERERS["references"].render(text).html)


@settings(max_examples=100, deadline=None)
@given(markdown_text)
def test_mapping_images_changes_only_their_sources(markdown: str) -> None:
    renderer = RENDERERS["references"]
    first = renderer.render(markdown)
    mapped = renderer.render(markdown, image_url=lambda src: "https://mmbiz.qpic.cn/x")
    assert mapped.images == first.images
    assert mapped.text_length == first.text_length
