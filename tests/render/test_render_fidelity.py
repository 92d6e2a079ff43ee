"""What Chinese writers type comes out as they meant it: alerts, CJK emphasis, marks, details.

Each test here pins one defect of issue 10 ("Look"): before the change the output kept the
literal Markdown (`[!NOTE]`, `**`, `==`, `~`, `^`) or ran a `<details>` summary into its text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitrepo import init_repo, run_cli, write
from tests.render.html_tools import Element, parse
from wxsync.config import load_settings
from wxsync.errors import ConfigError
from wxsync.render import Renderer, RenderOptions
from wxsync.render.theme import available_themes

THEMES = available_themes()


def render(markdown: str, **options: object) -> str:
    return Renderer(RenderOptions(**options)).render(markdown).html  # type: ignore[arg-type]


def boxes(html: str) -> list[Element]:
    """Top-level blocks of the article (children of the root section)."""
    root = parse(html).children[0]
    assert isinstance(root, Element)
    return [child for child in root.children if isinstance(child, Element)]


ALERTS = "\n\n".join(
    f"> [!{kind}]\n> 第{index}种提示的正文。"
    for index, kind in enumerate(("NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"))
)


@pytest.mark.parametrize("theme", THEMES)
def test_github_alerts_are_five_coloured_boxes_titled_in_chinese(theme: str) -> None:
    html = render(ALERTS, theme=theme)
    assert "[!" not in html and "<blockquote" not in html
    found = boxes(html)
    assert [box.children[0].text() for box in found] == ["注意", "提示", "重要", "警告", "小心"]  # type: ignore[union-attr]
    assert [box.text()[2:] for box in found] == [f"第{i}种提示的正文。" for i in range(5)]
    title_colours = {box.children[0].style["color"] for box in found}  # type: ignore[union-attr]
    border_colours = {box.style["border-left"].split()[-1] for box in found}
    assert len(title_colours) == 5 and len(border_colours) == 5


def test_obsidian_callouts_map_onto_the_five_kinds_with_custom_titles() -> None:
    markdown = (
        "> [!tip]- 自定义 **标题**\n> 折叠的也展开显示。\n\n"
        "> [!Danger]\n> 危险\n\n"
        "> [!info]\n> 信息\n\n"
        "- 列表里\n\n  > [!warning]\n  > 也行\n"
    )
    html = render(markdown)
    tip, danger, info = boxes(html)[:3]
    assert tip.children[0].text() == "自定义 标题"  # type: ignore[union-attr]
    assert tip.find_all("strong"), "the custom title is Markdown"
    assert "折叠的也展开显示。" in tip.text()
    assert danger.children[0].text() == "小心"  # type: ignore[union-attr]
    assert info.children[0].text() == "注意"  # type: ignore[union-attr]
    assert danger.style == boxes(render("> [!CAUTION]\n> x"))[0].style
    assert "警告也行" in parse(html).text().replace("\n", "")
    assert "[!" not in html


def test_a_quote_with_an_unknown_marker_stays_a_quote() -> None:
    html = render("> [!unknown] 这只是引用\n")
    assert "<blockquote" in html and "[!unknown] 这只是引用" in html


def test_alert_titles_are_configurable_and_change_the_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "wxsync.yml").write_text("alert_titles:\n  NOTE: 说明\n  caution: 危险\n")
    settings = load_settings(tmp_path, environ={})
    assert settings.alert_titles == (("caution", "危险"), ("note", "说明"))
    options = RenderOptions(alert_titles=settings.alert_titles)
    html = Renderer(options).render("> [!NOTE]\n> a\n\n> [!TIP]\n> b\n\n> [!caution]\n> c").html
    assert [box.children[0].text() for box in boxes(html)] == ["说明", "提示", "危险"]  # type: ignore[union-attr]
    assert Renderer(options).fingerprint != Renderer(RenderOptions()).fingerprint


def test_an_unknown_alert_kind_in_the_settings_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "wxsync.yml").write_text("alert_titles:\n  notice: 说明\n")
    with pytest.raises(ConfigError, match="unknown kind `notice`; kinds are note, tip"):
        load_settings(tmp_path, environ={})


@pytest.mark.parametrize(
    ("markdown", "tag", "inner"),
    [
        ("朋友问我：**你到底想找什么？**我说不出来。", "strong", "你到底想找什么？"),
        ("**注意：**这一步不能跳过。", "strong", "注意："),
        ("这是*（可选）*参数。", "em", "（可选）"),
        ("他说“**好的**”就走了。", "strong", "好的"),
        ("中文**English**中文", "strong", "English"),
    ],
)
def test_emphasis_next_to_full_width_punctuation_works(markdown: str, tag: str, inner: str) -> None:
    html = render(markdown)
    assert "*" not in parse(html).text()
    assert [element.text() for element in parse(html).find_all(tag)] == [inner]


def test_ascii_emphasis_and_escaped_asterisks_keep_commonmark_rules() -> None:
    html = render(r"a **b** *c* ***d*** \*\*e\*\* 2 ** 10 foo_bar_baz __f__")
    text = parse(html).text()
    assert "**e**" in text and "2 ** 10" in text and "foo_bar_baz" in text
    assert [e.text() for e in parse(html).find_all("strong")] == ["b", "d", "f"]
    assert [e.text() for e in parse(html).find_all("em")] == ["c", "d"]


def test_check_warns_about_a_double_asterisk_that_pairs_with_nothing(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "blog")
    write(root / "wxsync.yml", "content: content\n")
    write(
        root / "content/post.md",
        "---\ntitle: 标题\nauthor: 作者\n---\n\n第一段**注意：**这一步。\n\n第二段 **没有关上。\n",
    )
    result = run_cli(root, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = [line for line in result.stdout.splitlines() if "warning:" in line]
    assert len(warnings) == 1, result.stdout
    assert warnings[0].startswith("content/post.md:8: warning: `**` pairs with nothing")
    assert "没有关上" in warnings[0]
    assert result.stdout.splitlines()[-1] == "checked 1 post: 0 errors, 1 warnings"


@pytest.mark.parametrize("theme", THEMES)
def test_mark_subscript_and_superscript_render_without_their_markers(theme: str) -> None:
    html = render("==高亮== H~2~O x^2^ ~~删除~~ $a^2$", theme=theme)
    tree = parse(html)
    assert "==" not in tree.text() and "~" not in tree.text() and "^" not in tree.text()
    (highlight,) = [e for e in tree.find_all("span") if e.text() == "高亮"]
    assert "background" in highlight.style
    assert [e.text() for e in tree.find_all("sub")] == ["2"]
    assert [e.text() for e in tree.find_all("sup")] == ["2"]
    assert [e.text() for e in tree.find_all("del")] == ["删除"]
    assert len(tree.find_all("svg")) == 1


@pytest.mark.parametrize("theme", THEMES)
def test_details_become_a_titled_block_shown_open(theme: str) -> None:
    markdown = (
        "前文\n\n<details>\n<summary>点击展开</summary>\n\n隐藏的**内容**\n\n- 一项\n\n"
        "</details>\n\n后文\n\n<details><summary>第二个</summary>一行写完</details>\n"
    )
    html = render(markdown, theme=theme)
    assert "details" not in html and "summary" not in html
    first, second = [box for box in boxes(html) if box.tag == "section" and box.style]
    title = first.children[0]
    assert isinstance(title, Element) and title.text() == "点击展开"
    assert title.style.get("font-weight") == "700"
    assert "隐藏的内容" in first.text() and "一项" in first.text()
    assert second.children[0].text() == "第二个"  # type: ignore[union-attr]
    assert "一行写完" in second.text()
    assert parse(html).text().index("后文") > parse(html).text().index("一项")


@pytest.mark.parametrize("theme", THEMES)
def test_inline_code_is_about_nine_tenths_of_the_text(theme: str) -> None:
    (code,) = parse(render("文字 `code` 文字", theme=theme)).find_all("code")
    assert code.style["font-size"] == "90%"


def test_an_inline_formula_keeps_the_punctuation_after_it_on_its_line() -> None:
    tree = parse(render("面积是 $x^2$，周长是 $4x$。没有标点 $y$ 的不包。"))
    wrapped = [e for e in tree.find_all("span") if e.style.get("white-space") == "nowrap"]
    assert [w.text() for w in wrapped] == ["，", "。"]
    assert all(w.find_all("svg") for w in wrapped)


def test_ink_colours_its_links() -> None:
    link = parse(render("[文章](https://mp.weixin.qq.com/s/abc)", theme="ink")).find_all("a")[0]
    assert link.style["color"] not in ("", "#222", "#000")


@pytest.mark.parametrize("theme", THEMES)
def test_footnote_marks_and_reference_marks_look_different(theme: str) -> None:
    html = render("正文[^1]和[链接](https://example.com)。\n\n[^1]: 脚注。", theme=theme)
    footnote, reference = parse(html).find_all("sup")[:2]
    assert footnote.text() == "1" and reference.text() == "[1]"
    assert footnote.style.get("font-weight") == "700"
    assert footnote.style.get("color") != reference.style.get("color")


def test_the_escaped_asterisk_placeholder_cannot_be_typed_into_a_post() -> None:
    html = render("a \ue010\ue010b\ue010\ue010 c \ue011x\ue011")
    assert "\ue010" not in html and "\ue011" not in html
    assert "*" not in parse(html).text() and "_" not in parse(html).text()
