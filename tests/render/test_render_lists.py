"""Lists come out as <section> rows with text markers, so WeChat's editor cannot mangle them."""

from __future__ import annotations

import pytest

from tests.render.html_tools import Element, left_margin, list_rows, parse
from wxsync.render import Renderer
from wxsync.render.compact import compact_styles

NESTED = """\
1. first
2. second
   - bullet a
   - bullet b
     1. deep one
     2. deep two
   - bullet c
3. third
"""


def rows_of(html: str) -> list[Element]:
    """The list rows of an article: flex sections of marker and content."""
    return [e for e in parse(html).iter() if e.style.get("display") == "flex"]


def rows(markdown: str) -> list[tuple[str, str, float]]:
    return list_rows(Renderer().render(markdown).html)


def test_nested_ol_ul_ol_keeps_markers_order_and_depth() -> None:
    assert rows(NESTED) == [
        ("1.", "first", 0),
        ("2.", "second", 0),
        ("◦", "bullet a", 1.5),
        ("◦", "bullet b", 1.5),
        ("1.", "deep one", 3.0),
        ("2.", "deep two", 3.0),
        ("◦", "bullet c", 1.5),
        ("3.", "third", 0),
    ]


def test_no_real_list_elements_reach_wechat() -> None:
    tags = {element.tag for element in parse(Renderer().render(NESTED).html).iter()}
    assert not tags & {"ul", "ol", "li"}


def test_ordered_list_honours_its_start_number() -> None:
    assert [marker for marker, _, _ in rows("7. seven\n8. eight\n9. nine\n")] == ["7.", "8.", "9."]


def test_unordered_markers_change_with_depth_to_any_depth() -> None:
    markdown = "".join("  " * depth + f"- level {depth}\n" for depth in range(7))
    found = rows(markdown)
    assert [marker for marker, _, _ in found] == ["•", "◦", "▪", "•", "◦", "▪", "•"]
    assert [indent for _, _, indent in found] == [0, 1.5, 3.0, 4.5, 6.0, 7.5, 9.0]


def test_task_list_items_show_visible_boxes() -> None:
    found = rows("- [x] done\n- [ ] to do\n")
    assert found == [("☑", "done", 0), ("☐", "to do", 0)]


def test_ordered_task_list_keeps_numbers_and_shows_boxes() -> None:
    found = rows("1. [x] done\n2. [ ] to do\n")
    assert found == [("1.", "☑ done", 0), ("2.", "☐ to do", 0)]


def test_item_with_several_inline_pieces_stays_in_one_block() -> None:
    html = Renderer().render("- **Label**: text with `code` and *more*\n").html
    row = next(e for e in parse(html).iter() if e.style.get("display") == "flex")
    marker, content = (c for c in row.children if not isinstance(c, str))
    assert marker.text() == "•"
    assert content.text() == "Label: text with code and more"
    assert [c.tag for c in content.children if not isinstance(c, str)] == ["strong", "code", "em"]


def test_block_after_a_nested_list_continues_without_a_marker() -> None:
    markdown = "- parent\n\n  - child\n\n  after the child\n"
    assert rows(markdown) == [("•", "parent", 0), ("◦", "child", 1.5), ("", "after the child", 0)]


def test_loose_list_items_keep_their_paragraphs() -> None:
    html = Renderer().render("1. one\n\n   more of one\n\n2. two\n").html
    assert rows("1. one\n\n   more of one\n\n2. two\n") == [
        ("1.", "one" + "more of one", 0),
        ("2.", "two", 0),
    ]
    assert html.count("<p") == 3


def test_code_block_inside_a_list_item_stays_in_the_item() -> None:
    html = Renderer().render("1. run this:\n\n   ```sh\n   make test\n   ```\n").html
    row = next(e for e in parse(html).iter() if e.style.get("display") == "flex")
    assert row.find_all("pre")


def test_a_nested_row_carries_one_margin_shorthand_not_two_declarations() -> None:
    html = Renderer().render("- a\n  - b\n    - c\n").html
    assert "margin-left" not in html
    assert [left_margin(row.style) for row in rows_of(html)] == ["0", "1.5em", "3em"]


@pytest.mark.parametrize(
    ("styles", "merged"),
    [
        ("margin:.3em 0;margin-left:1.5em", "margin:.3em 0 .3em 1.5em"),
        ("margin:1em;margin-left:2em", "margin:1em 1em 1em 2em"),
        ("margin:1em 0 2em;margin-left:0", "margin:1em 0 2em"),
        ("margin:0 1em 0 2em;margin-left:1em", "margin:0 1em"),
        ("margin:0;margin-left:0", "margin:0"),
    ],
)
def test_margin_then_margin_left_is_written_as_the_shorthand_a_browser_would_apply(
    styles: str, merged: str
) -> None:
    assert compact_styles(f'<p style="color:red;{styles}">x</p>') == (
        f'<p style="color:red;{merged}">x</p>'
    )


def test_only_list_content_that_can_be_wider_than_the_screen_pays_for_min_width() -> None:
    plain = Renderer().render("- 短的一项\n- **加粗**的一项\n").html
    assert "min-width:0" not in plain
    for wide in (
        "- 代码：\n\n  ```\n  x = 1\n  ```\n",
        "- https://example.com/a/long/path/without/spaces\n",
        "- ![图](a.png)\n",
        "- 表格：\n\n  | a | b |\n  |---|---|\n  | 1 | 2 |\n",
    ):
        assert "min-width:0" in Renderer().render(wide).html, wide


def test_only_markers_wider_than_their_column_are_kept_from_shrinking() -> None:
    html = Renderer().render("9. 九\n10. 十\n").html
    markers = [row.children[0] for row in rows_of(html)]
    assert [isinstance(m, Element) and "flex" in m.style for m in markers] == [False, True]


def test_text_and_code_about_margins_are_never_rewritten() -> None:
    html = (
        Renderer()
        .render("写 margin:0;margin-left:1em 就行，或 `margin:0;margin-left:1em`。\n")
        .html
    )
    assert html.count("margin:0;margin-left:1em") == 2
