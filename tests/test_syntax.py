"""Generator syntax becomes Markdown before rendering, never text in the article."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.render.html_tools import parse
from wxsync.content.post import parse_post
from wxsync.content.syntax import preprocess
from wxsync.render import Renderer
from wxsync.render.preview import PreviewSite


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def body(text: str, generator: str) -> str:
    result = preprocess(text, generator)
    assert result.body.count("\n") == text.count("\n"), (
        "line numbers must still point into the file"
    )
    return result.body


def notes(text: str, generator: str) -> list[tuple[int, str]]:
    return [(n.line, n.message) for n in preprocess(text, generator).notes]


# -- Hugo -------------------------------------------------------------------------------------


def test_hugo_highlight_becomes_a_fenced_code_block_with_its_language() -> None:
    text = '说明：\n\n{{< highlight go "linenos=table,hl_lines=2" >}}\nfunc main() {}\n{{< /highlight >}}\n'
    assert body(text, "hugo") == "说明：\n\n```go\nfunc main() {}\n```\n"


def test_hugo_percent_highlight_and_code_on_the_tag_line_keep_following_lines_in_place() -> None:
    text = "a\n\n{{% highlight python %}}print(1){{% /highlight %}}\n\nlast line\n"
    out = body(text, "hugo")
    assert "```python\nprint(1)\n```" in out
    assert out.splitlines()[-1] == "last line"


def test_hugo_code_inside_highlight_is_not_read_as_shortcodes() -> None:
    text = '{{< highlight html >}}\n{{< figure src="x.png" >}}\n{{< /highlight >}}\n'
    assert body(text, "hugo") == '```html\n{{< figure src="x.png" >}}\n```\n'


def test_hugo_figure_with_caption_is_an_image_with_that_caption(renderer: Renderer) -> None:
    text = '{{< figure src="/img/cat.png" caption="我的猫" alt="cat" width="300" link="https://e.com" >}}\n'
    result = renderer.render(body(text, "hugo"))
    assert result.images == ("/img/cat.png",)
    assert "<figcaption" in result.html and "我的猫" in result.html
    assert 'alt="cat"' in result.html and 'width="300"' in result.html


def test_hugo_figure_without_caption_is_a_plain_image() -> None:
    assert body('{{< figure src="a b.png" alt="Alt" >}}\n', "hugo") == "![Alt](<a b.png>)\n"


def test_hugo_ref_and_relref_become_links_to_the_other_post() -> None:
    text = '[上一篇]({{< ref "first.md" >}}) and {{< relref "/post/second#part" >}}\n'
    out = body(text, "hugo")
    assert "[上一篇](wxsync:ref/first.md)" in out
    assert "[/post/second#part](wxsync:ref//post/second#part)" in out


def test_hugo_unknown_shortcode_is_left_out_with_a_warning_naming_its_line() -> None:
    text = "第一行\n\n{{< notice warning >}}\n注意这里\n{{< /notice >}}\n"
    assert body(text, "hugo") == "第一行\n\n\n注意这里\n\n"
    assert notes(text, "hugo") == [
        (2, "Hugo shortcode `notice` has no WeChat equivalent: left out of the article")
    ]


def test_hugo_embeds_become_links_to_the_original() -> None:
    out = body("{{< youtube w7Ft2ymGmfc >}}\n{{< gist spf13 7896402 >}}\n", "hugo")
    assert "(https://www.youtube.com/watch?v=w7Ft2ymGmfc)" in out
    assert "(https://gist.github.com/spf13/7896402)" in out


def test_hugo_escaped_shortcode_is_shown_as_written() -> None:
    assert (
        body('写 {{</* figure src="x" */>}} 即可\n', "hugo") == '写 {{< figure src="x" >}} 即可\n'
    )


def test_hugo_site_leaves_liquid_and_wikilinks_as_text() -> None:
    text = "在模板开头加上{% load filters %}，然后 [[Menu.Main]]\n"
    assert body(text, "hugo") == text
    assert notes(text, "hugo") == []


def test_hugo_comment_and_details() -> None:
    text = '{{< comment >}}\n草稿\n{{< /comment >}}\n{{< details summary="展开" >}}\n内容\n{{< /details >}}\n'
    out = body(text, "hugo")
    assert "草稿" not in out and "**展开**" in out and "内容" in out


# -- Code is never touched ---------------------------------------------------------------------


@pytest.mark.parametrize("generator", ["hugo", "jekyll", "hexo", "obsidian", ""])
def test_fenced_indented_and_inline_code_are_never_rewritten(generator: str) -> None:
    text = (
        'Use `{{< ref "a.md" >}}` or ``{% raw %}`` in text.\n\n'
        "```\n{{< highlight go >}}\n{% post_url x %}\n[[note]]\n```\n\n"
        "    {% include x.html %}\n    ![[pic.png]]\n\n"
        "~~~liquid\n{{ page.title }}\n~~~\n"
    )
    assert body(text, generator) == text
    assert notes(text, generator) == []


# -- Liquid (Jekyll) -----------------------------------------------------------------------------


def test_jekyll_highlight_raw_and_post_url() -> None:
    text = (
        "{% highlight ruby linenos %}\ndef foo; end\n{% endhighlight %}\n\n"
        "{% raw %}{{ page.title }} and {% if x %}{% endraw %}\n\n"
        "[前文]({% post_url 2010-07-21-name %})\n"
    )
    out = body(text, "jekyll")
    assert out.startswith("```ruby\ndef foo; end\n```\n")
    assert "{{ page.title }} and {% if x %}" in out
    assert "[前文](wxsync:post_url/2010-07-21-name)" in out
    assert notes(text, "jekyll") == []


def test_jekyll_site_urls_become_site_root_paths(renderer: Renderer) -> None:
    text = '![a]({{ site.baseurl }}/img/a.png)\n\n![b]({{ "img/b.png" | relative_url }})\n\n![c]({{ "/c.png" | absolute_url }})\n'
    assert renderer.render(body(text, "jekyll")).images == ("/img/a.png", "/img/b.png", "/c.png")


def test_jekyll_include_and_unknown_output_are_left_out_with_warnings() -> None:
    text = "before\n{% include note.html param=1 %}\n{{ page.date }}\n{% if x %}shown{% endif %}\n"
    out = body(text, "jekyll")
    assert "{" not in out and "shown" in out
    assert [line for line, _ in notes(text, "jekyll")] == [1, 2, 3]
    assert "`{% include note.html param=1 %}` is not inlined" in notes(text, "jekyll")[0][1]


# -- Hexo -------------------------------------------------------------------------------------------


def test_hexo_codeblock_with_title_and_language(renderer: Renderer) -> None:
    text = "intro\n\n{% codeblock Array.map lang:js http://e.com/doc docs %}\narr.map(f)\n{% endcodeblock %}\nafter\n"
    out = body(text, "hexo")
    assert "**Array.map**\n```js\narr.map(f)\n```" in out
    assert "codeblock" not in renderer.render(out).html


def test_hexo_blockquote_with_author_and_source_ends_before_the_next_paragraph(
    renderer: Renderer,
) -> None:
    text = "{% blockquote David Levithan, Wide Awake %}\nDo not just seek happiness.\n{% endblockquote %}\nNext paragraph.\n"
    html = renderer.render(body(text, "hexo")).html
    quote, after = html.split("</blockquote>")
    assert "Do not just seek happiness." in quote and "David Levithan, Wide Awake" in quote
    assert "Next paragraph." in after


def test_hexo_images_become_markdown_images() -> None:
    text = '{% asset_img diagram.png 架构图 %}\n{% img /images/b.png 200 100 \'"标题" "替代文字"\' %}\n'
    out = body(text, "hexo")
    assert out == (
        "![架构图](<diagram.png>)\n"
        '<figure><img src="/images/b.png" alt="替代文字" width="200"></figure>\n'
    )


def test_hexo_post_link_and_more() -> None:
    result = preprocess(
        "摘要在这里。\n\n<!-- more -->\n\n{% post_link hello-world 你好 %}\n", "hexo"
    )
    assert "[你好](wxsync:post_link/hello-world)" in result.body
    assert result.more == result.body.index("<!-- more -->")


def test_hexo_unknown_tag_is_a_warning() -> None:
    text = "x\n{% jsfiddle abc %}\n"
    assert body(text, "hexo") == "x\n\n"
    assert notes(text, "hexo") == [
        (1, "Hexo tag `{% jsfiddle %}` is not supported: left out of the article")
    ]


def test_without_a_known_generator_only_recognised_syntax_is_rewritten() -> None:
    text = "{% highlight go %}\nx\n{% endhighlight %}\n{% load filters %} {{ y }} {{< bar >}}\n"
    assert body(text, "") == "```go\nx\n```\n{% load filters %} {{ y }} {{< bar >}}\n"


# -- Obsidian ---------------------------------------------------------------------------------------


def test_obsidian_wikilinks_and_embeds() -> None:
    text = "见 [[Other note]]、[[b|别名]]、[[c#Head]] 和 [[#本节]]。\n\n![[pic 2.png|300]]\n\n![[diagram.png|示意图]]\n"
    out = body(text, "obsidian")
    assert "[Other note](wxsync:wiki/Other%20note)" in out
    assert "[别名](wxsync:wiki/b)" in out
    assert "[c > Head](wxsync:wiki/c#Head)" in out
    assert "和 本节。" in out
    assert '<figure><img src="pic 2.png" alt="" width="300"></figure>' in out
    assert "![示意图](<diagram.png>)" in out


def test_obsidian_note_embed_is_a_link_with_a_warning_and_comments_vanish() -> None:
    text = "![[Some note]]\n%% private\nnote %% public\n"
    out = body(text, "obsidian")
    assert out == "[Some note](wxsync:wiki/Some%20note)\n\n public\n"
    assert notes(text, "obsidian")[0][0] == 0


# -- Through parse_post ------------------------------------------------------------------------------


def test_warnings_carry_the_file_line_and_the_digest_stops_at_more() -> None:
    text = (
        "---\ntitle: 标题\n---\n\n第一段。\n\n第二段也在摘要里。\n\n<!-- more -->\n\n正文。\n\n"
        '{{< tweet user="x" id="1" >}}\n{{< qr >}}\n'
    )
    loaded = parse_post("content/a.md", text, generator="hugo")
    assert loaded.post is not None
    assert [str(p) for p in loaded.problems] == [
        "content/a.md:14: warning: Hugo shortcode `qr` has no WeChat equivalent: left out of the article"
    ]
    assert loaded.post.digest == "第一段。第二段也在摘要里。"


PIECES = [
    "{{< ", "{{% ", " >}}", " %}}", "{{</* ", " */>}}", "{% ", " %}", "{{ ", " }}", "[[", "]]",
    "![[", "%%", "<!-- more -->", "`", "```", "~~~", "\n", "\n\n", "    ", "> ", "- ",
    "highlight", "/highlight", "endhighlight", "raw", "endraw", "codeblock", "endcodeblock",
    "blockquote", "endblockquote", "figure", "ref", "post_url", "asset_img", "img", "include",
    "details", "/details", "comment", "/comment", "x.png", "|", "#", '"', "'", "a", "中文",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=40),
    st.sampled_from(["hugo", "jekyll", "hexo", "obsidian", ""]),
)
def test_any_mix_of_syntax_is_rewritten_without_an_exception(
    pieces: list[str], generator: str
) -> None:
    text = "".join(pieces)
    result = preprocess(text, generator)
    assert isinstance(result.body, str)
    assert all(0 <= note.line <= text.count("\n") for note in result.notes)


def test_preview_rewrites_the_generator_syntax_of_the_site(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "---\ntitle: T\n---\n\n{{< highlight go >}}\nx := 1\n{{< /highlight >}}\n",
        encoding="utf-8",
    )
    page = PreviewSite(tmp_path, Renderer(), "hugo").post_page("a.md")
    assert page is not None and "highlight" not in page and "x" in page


def test_an_image_width_from_obsidian_or_hexo_reaches_the_article_and_its_upload() -> None:
    for text, generator in (
        ("![[qr.png|200x200]]\n", "obsidian"),
        ("{% img qr.png 200 %}\n", "hexo"),
    ):
        result = Renderer().render(body(text, generator))
        assert result.images == ("qr.png",), generator
        img = parse(result.html).find_all("img")[0]
        assert img.attrs["width"] == "200" and "height" not in img.attrs, generator
        assert img.style["max-width"] == "100%"
