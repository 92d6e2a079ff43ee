"""External links become numbered references; WeChat article links stay links."""

from __future__ import annotations

from tests.render.html_tools import parse
from wxsync.render import Renderer, RenderOptions

TEXT = (
    "See [the docs](https://example.com/docs), [again](https://example.com/docs), "
    "[a repo](https://github.com/x/y) and [our last post](https://mp.weixin.qq.com/s/abc).\n"
)


def render(markdown: str, **options: object) -> str:
    return Renderer(RenderOptions(**options)).render(markdown).html  # type: ignore[arg-type]


def test_external_links_become_numbered_references_listed_at_the_end() -> None:
    html = render(TEXT)
    root = parse(html)
    assert [a.attrs["href"] for a in root.find_all("a")] == ["https://mp.weixin.qq.com/s/abc"]
    assert [sup.text() for sup in root.find_all("sup")] == ["[1]", "[1]", "[2]"]
    assert "参考链接" in html
    tail = html[html.index("参考链接") :]
    assert "[1] the docs: <i>https://example.com/docs</i>" in tail
    assert "[2] a repo: <i>https://github.com/x/y</i>" in tail
    assert "mp.weixin.qq.com" not in tail


def test_reference_heading_is_configurable() -> None:
    assert "References" in render(TEXT, references_title="References")


def test_keep_mode_leaves_every_safe_link_clickable() -> None:
    hrefs = [a.attrs["href"] for a in parse(render(TEXT, links="keep")).find_all("a")]
    assert hrefs == [
        "https://example.com/docs",
        "https://example.com/docs",
        "https://github.com/x/y",
        "https://mp.weixin.qq.com/s/abc",
    ]


def test_strip_mode_keeps_the_text_and_only_wechat_links() -> None:
    html = render(TEXT, links="strip")
    root = parse(html)
    assert [a.attrs["href"] for a in root.find_all("a")] == ["https://mp.weixin.qq.com/s/abc"]
    assert "the docs" in html
    assert "参考链接" not in html
    assert not root.find_all("sup")


def test_autolinks_show_their_address_without_a_reference() -> None:
    html = render("Visit <https://example.org/x> or https://example.net/y today.\n")
    assert "https://example.org/x" in html
    assert "https://example.net/y" in html
    assert "<a" not in html
    assert "参考链接" not in html


def test_wechat_autolink_stays_a_link() -> None:
    html = render("<https://mp.weixin.qq.com/s/xyz>\n")
    assert '<a href="https://mp.weixin.qq.com/s/xyz"' in html


def test_relative_and_anchor_links_keep_only_their_text() -> None:
    html = render("[next post](next.md) and [a section](#part-2)\n")
    assert "<a" not in html
    assert "next post" in html
    assert "参考链接" not in html


def test_footnotes_are_listed_at_the_end_before_references() -> None:
    html = render("Claim[^1] with [a link](https://example.com).\n\n[^1]: The source.\n")
    assert html.index("脚注") < html.index("The source.") < html.index("参考链接")
    sups = [sup.text() for sup in parse(html).find_all("sup")]
    assert sups == ["1", "[1]"]
    assert "#fn" not in html
