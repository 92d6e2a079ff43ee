"""Reading posts: front matter dialects, aliases, fallbacks, and problems located at path:line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from wxsync.content.post import cut_at_sentence, load_post, parse_crop, parse_post


def parse(text: str, **options: str):
    result = parse_post("content/post.md", text, **options)
    assert result.post is not None
    return result.post, [str(p) for p in result.problems]


def test_yaml_front_matter_with_hugo_jekyll_hexo_aliases() -> None:
    post, problems = parse(
        "---\ntitle: 你好\nauthors: [张三, 李四]\ndescription: 一句话\nfeatured_image: img/c.png\n"
        "date: 2024-05-01 08:30:00\n---\n正文\n"
    )
    assert problems == []
    assert (post.title, post.author, post.digest, post.cover) == (
        "你好",
        "张三, 李四",
        "一句话",
        "img/c.png",
    )
    assert post.date == dt.datetime(2024, 5, 1, 8, 30, tzinfo=post.date.tzinfo)
    assert str(post.date.tzinfo) == "Asia/Shanghai"


def test_toml_front_matter() -> None:
    post, problems = parse(
        '+++\ntitle = "TOML"\nsummary = "s"\ndate = 2024-05-01T08:00:00+00:00\n+++\nbody\n'
    )
    assert problems == []
    assert post.title == "TOML" and post.digest == "s"
    assert post.date == dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC)


@pytest.mark.parametrize("key", ["digest", "description", "summary", "excerpt"])
def test_every_digest_alias_is_accepted(key: str) -> None:
    post, _ = parse(f"---\n{key}: 摘要\n---\nx\n")
    assert post.digest == "摘要"


@pytest.mark.parametrize("key", ["cover", "image", "thumbnail", "featured_image"])
def test_every_cover_alias_is_accepted(key: str) -> None:
    post, _ = parse(f"---\n{key}: c.png\n---\nx\n")
    assert post.cover == "c.png"


def test_hugo_cover_table_is_understood() -> None:
    post, _ = parse("---\ncover:\n  image: c.png\n  alt: x\n---\nx\n")
    assert post.cover == "c.png"


def test_title_falls_back_to_the_leading_heading_which_leaves_the_body() -> None:
    post, _ = parse("\n# 标题 **加粗**\n\n正文第一段。\n")
    assert post.title == "标题 加粗"
    assert "标题" not in post.body
    assert post.body.count("\n") == 4, "line numbers in the body still match the file"


def test_heading_equal_to_the_title_is_not_repeated_in_the_body() -> None:
    post, _ = parse("---\ntitle: Same\n---\n# Same\n\ntext\n")
    assert "# Same" not in post.body


def test_a_different_heading_stays_when_the_front_matter_has_a_title() -> None:
    post, _ = parse("---\ntitle: One\n---\n# Two\n\ntext\n")
    assert post.title == "One" and "# Two" in post.body


def test_title_falls_back_to_the_file_name() -> None:
    post, _ = parse("just text\n")
    assert post.title == "post"


def test_digest_falls_back_to_the_first_paragraph_cut_at_a_sentence() -> None:
    sentence = "这是一个句子，用来测试摘要的截断行为。"
    post, _ = parse("![pic](a.png)\n\n" + sentence * 12 + "\n")
    assert len(post.digest) <= 128
    assert post.digest.endswith("。")
    assert post.digest.startswith("这是一个句子")


def test_digest_joins_cjk_lines_without_spaces_and_drops_markup() -> None:
    post, _ = parse("第一行**重点**\n第二行 [链接](https://x.com)。\n")
    assert post.digest == "第一行重点第二行 链接。"


def test_cut_at_sentence_falls_back_to_an_ellipsis() -> None:
    assert cut_at_sentence("a" * 200, 128) == "a" * 127 + "…"
    assert cut_at_sentence("short", 128) == "short"


def test_draft_true_and_jekyll_published_false_both_skip() -> None:
    assert parse("---\ndraft: true\n---\nx")[0].draft
    assert parse("---\npublished: false\n---\nx")[0].draft
    assert not parse("---\npublished: true\n---\nx")[0].draft


def test_wechat_table_settings() -> None:
    post, problems = parse(
        "---\nwechat:\n  publish: false\n  comments: true\n  fans_only_comments: true\n"
        "  source_url: https://blog.example.com/p\n  cover_crop: 0.1_0_0.9_0.8\n  republish: true\n---\nx"
    )
    assert problems == []
    options = post.wechat
    assert (options.publish, options.comments, options.fans_only_comments, options.republish) == (
        False,
        True,
        True,
        True,
    )
    assert options.source_url == "https://blog.example.com/p"
    assert options.cover_crop == "0.1_0_0.9_0.8"


def test_problems_name_the_line_of_the_key() -> None:
    _, problems = parse(
        "---\ndate: 2024-01-01\ntitle: " + "长" * 65 + "\nauthor: " + "作" * 17 + "\n---\nx"
    )
    assert problems == [
        "content/post.md:3: title is 65 characters; WeChat allows 64: shorten it",
        "content/post.md:4: author is 17 characters; WeChat allows 16: shorten it",
    ]


def test_unknown_wechat_key_is_a_warning_with_a_suggestion() -> None:
    result = parse_post("p.md", "---\nwechat:\n  comment: true\n---\nx")
    assert result.ok
    assert (
        str(result.problems[0])
        == "p.md:2: warning: unknown key `wechat.comment`: did you mean `comments`?"
    )


def test_broken_yaml_is_one_problem_with_a_line() -> None:
    result = parse_post("p.md", "---\ntitle: ok\ntags: [a, b\n---\nx")
    assert not result.ok and result.post is None
    [problem] = result.problems
    assert problem.path == "p.md" and problem.line >= 3
    assert "fix the front matter" in problem.message


def test_unclosed_front_matter_is_reported() -> None:
    result = parse_post("p.md", "---\ntitle: x\nno end\n")
    assert not result.ok
    assert "never closed" in result.problems[0].message


def test_bad_date_and_crop_are_errors() -> None:
    _, problems = parse("---\ndate: next tuesday\nwechat:\n  cover_crop: left\n---\nx")
    assert problems[0].startswith("content/post.md:2: `date` 'next tuesday' is not a date")
    assert "cover_crop" in problems[1]


def test_an_impossible_yaml_date_is_an_error_on_its_line_not_a_crash() -> None:
    _, problems = parse("---\ntitle: t\ndate: 2017-16-26\n---\nx")
    assert problems == [
        "content/post.md:3: `date` '2017-16-26' is not a date; write it like 2024-05-01 or "
        "2024-05-01T08:00:00+08:00"
    ]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2024-8-21 23:54", dt.datetime(2024, 8, 21, 23, 54)),
        ("2019-02-10 9:28", dt.datetime(2019, 2, 10, 9, 28)),
        ("2021-6-4", dt.datetime(2021, 6, 4)),
        ("2021/06/04 10:00:00", dt.datetime(2021, 6, 4, 10)),
    ],
)
def test_dates_without_zero_padding_are_read_as_hexo_and_jekyll_read_them(
    written: str, expected: dt.datetime
) -> None:
    result = parse_post("p.md", f"---\ntitle: t\ndate: '{written}'\n---\nx")
    assert result.post is not None and result.post.date is not None
    assert result.post.date.replace(tzinfo=None) == expected


def test_non_utf8_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "p.md").write_bytes("标题".encode("gbk"))
    result = load_post(tmp_path, "p.md")
    assert not result.ok and "UTF-8" in result.problems[0].message


def test_parse_crop_normalises_and_validates() -> None:
    assert parse_crop("0.19451_0_1_0.5236") == "0.1945_0_1_0.5236"
    for bad in ("1_0_0_1", "0_0_1", "a_b_c_d", "0_0_1.5_1"):
        with pytest.raises(ValueError):
            parse_crop(bad)


def test_digest_skips_a_long_code_block_with_blank_lines() -> None:
    code = "```python\n" + "\n".join(f"x = {i}\n" for i in range(60)) + "```\n"
    post, _ = parse("# 标题\n\n" + code + "\n真正的第一段。\n")
    assert post.digest == "真正的第一段。"


def test_digest_is_not_taken_from_inside_a_fence() -> None:
    fence = "~~~\n" + "\n\n".join(f"line {i}" for i in range(45)) + "\n~~~\n"
    post, _ = parse(fence + "\nAfter the fence.\n")
    assert post.digest == "After the fence."
