"""Pure parts of messages: grouping and ordering, the message plan, and splitting long posts."""

from __future__ import annotations

import datetime as dt

import pytest

from wxsync.engine.messages import group, plan_message
from wxsync.engine.parts import TooLong, sections, split
from wxsync.engine.plan import Kind, PostFacts
from wxsync.engine.state import Intent, MessageRecord

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def facts(path: str, **values: object) -> PostFacts:
    return PostFacts(path=path, hash=f"h-{path}", title=path, **values)  # type: ignore[arg-type]


def test_posts_sharing_a_message_are_ordered_by_position_then_date_then_path() -> None:
    day = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    posts = [
        facts("c.md", message="m"),
        facts("b.md", message="m", date=day),
        facts("a.md", message="m"),
        facts("z.md", message="m", position=1),
        facts("alone.md"),
    ]
    messages, singles = group(posts, "draft")
    assert [m.paths for m in messages] == [["z.md", "b.md", "a.md", "c.md"]]
    assert [p.path for p in singles] == ["alone.md"]


def test_in_broadcast_mode_every_post_is_a_message_unless_it_opts_out() -> None:
    messages, singles = group([facts("a.md"), facts("b.md", broadcast=False)], "broadcast")
    assert [(m.key, m.broadcast) for m in messages] == [("a.md", True)]
    assert [p.path for p in singles] == ["b.md"]


def test_the_clientmsgid_is_short_stable_and_changes_with_the_content() -> None:
    (first,), _ = group([facts("a.md", message="m")], "broadcast")
    (again,), _ = group([facts("a.md", message="m")], "broadcast")
    (edited,), _ = group([PostFacts("a.md", "other", "a", message="m")], "broadcast")
    assert first.clientmsgid() == again.clientmsgid() != edited.clientmsgid()
    assert len(first.clientmsgid()) <= 64


def test_an_edited_article_is_updated_in_place_and_a_reordered_message_replaced() -> None:
    (message,), _ = group([facts("a.md", message="m"), facts("b.md", message="m")], "draft")
    drafted = MessageRecord(
        posts=["a.md", "b.md"], parts=[1, 1], hashes=["h-a.md", "old"], media_id="M"
    )
    action = plan_message(message, drafted, "draft", NOW)
    assert (action.kind, action.updates) == (Kind.UPDATE, ("b.md",))
    reordered = MessageRecord(posts=["b.md", "a.md"], parts=[1, 1], hashes=[], media_id="M")
    assert plan_message(message, reordered, "draft", NOW).kind == Kind.CREATE


def test_an_interrupted_sendall_is_repeated_before_anything_else() -> None:
    (message,), _ = group([facts("a.md")], "broadcast")
    intent = Intent(op="sendall", hash="x", title="a", at="2026-01-01T00:00:00Z", clientmsgid="k")
    record = MessageRecord(posts=["a.md"], parts=[1], hashes=["h-a.md"], intent=intent)
    assert plan_message(message, record, "broadcast", NOW).kind == Kind.SEND


def test_sections_are_cut_at_level_two_headings_outside_code_blocks() -> None:
    body = "intro\n\n## One\n\ntext\n\n```\n## not a heading\n```\n\n## Two\n\nmore\n"
    assert [s.heading for s in sections(body)] == ["", "## One", "## Two"]


def test_split_packs_sections_greedily_and_names_the_one_that_cannot_fit() -> None:
    body = "".join(f"## S{n}\n\n{'x' * 40}\n\n" for n in range(6))
    parts = split("T", body, lambda markdown: len(markdown) < 130)
    assert [p.title for p in parts] == ["T（一）", "T（二）", "T（三）"]
    assert parts[1].body.startswith("**第二部分，共三部分**")
    with pytest.raises(TooLong) as failure:
        split("T", body + "## Huge\n\n" + "y" * 500, lambda markdown: len(markdown) < 130)
    assert failure.value.section.heading == "## Huge"
