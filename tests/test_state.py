"""The state file: round trips, atomic saves, clear errors, per-post merges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wxsync.engine.state import (
    ImageRecord,
    Intent,
    PostRecord,
    State,
    StateError,
    load,
    merge,
    save,
)


def test_missing_state_file_is_an_empty_state(tmp_path: Path) -> None:
    assert load(tmp_path / "state.json").posts == {}


def test_round_trip_is_sorted_indented_and_omits_empty_fields(tmp_path: Path) -> None:
    state = State()
    record = state.post("content/b.md")
    record.title, record.status, record.draft_media_id = "标题", "drafted", "m1"
    record.intent = Intent(op="draft_add", hash="h", title="标题", at="2026-01-01T00:00:00Z")
    state.post("content/a.md").status = "new"
    state.images["abc"] = ImageRecord(url="http://mmbiz.qpic.cn/x")
    path = tmp_path / ".wxsync" / "state.json"
    save(state, path)
    text = path.read_text(encoding="utf-8")
    assert "标题" in text, "UTF-8, not \\u escapes"
    assert text.index('"content/a.md"') < text.index('"content/b.md"')
    assert '\n  "images"' in text
    data = json.loads(text)
    assert data["posts"]["content/a.md"] == {"status": "new"}
    assert data["version"] == 1
    again = load(path)
    assert again.posts["content/b.md"].intent == record.intent
    assert again.dumps() == state.dumps()


def test_save_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    for i in range(3):
        state = State()
        state.post(f"p{i}.md")
        save(state, path)
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_corrupt_state_is_a_clear_error_not_a_reset(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"version": 1,\n<<<<<<< HEAD\n', encoding="utf-8")
    with pytest.raises(StateError) as caught:
        load(path)
    message = str(caught.value)
    assert f"{path}:2:" in message
    assert "git checkout" in message and "do not delete it" in message
    assert path.read_text(encoding="utf-8").startswith('{"version"'), "left untouched"


def test_state_from_a_newer_wxsync_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"version": 99, "posts": {}}', encoding="utf-8")
    with pytest.raises(StateError, match="newer wxsync"):
        load(path)


def test_wrong_shapes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(
        '{"version": 1, "posts": {"a.md": {"status": "new", "deps": 3, "title": []}}}',
        encoding="utf-8",
    )
    with pytest.raises(StateError, match=r"posts → a.md: `deps` should be an object"):
        load(path)  # a wrong type is one clear line, not a TypeError in the middle of a run
    path.write_text('{"version": 1, "posts": {"a.md": {"status": "new", "x": 1}}}', "utf-8")
    assert load(path).posts["a.md"].status == "new"  # unknown keys are dropped
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(StateError):
        load(path)


def test_merge_keeps_each_runs_newest_record_per_post() -> None:
    ours, theirs = State(), State()
    ours.posts["a.md"] = PostRecord(
        status="published", article_id="x", updated_at="2026-01-02T00:00:00Z"
    )
    theirs.posts["a.md"] = PostRecord(status="drafted", updated_at="2026-01-01T00:00:00Z")
    theirs.posts["b.md"] = PostRecord(status="published", updated_at="2026-01-03T00:00:00Z")
    ours.images["i1"] = ImageRecord(url="u1")
    theirs.images["i2"] = ImageRecord(url="u2")
    merged = merge(ours, theirs)
    assert merged.posts["a.md"].article_id == "x"
    assert merged.posts["b.md"].status == "published"
    assert set(merged.images) == {"i1", "i2"}


def test_merge_breaks_ties_by_progress() -> None:
    stamp = "2026-01-01T00:00:00Z"
    ours = State(posts={"a.md": PostRecord(draft_media_id="m", updated_at=stamp)})
    theirs = State(posts={"a.md": PostRecord(draft_media_id="m", publish_id="p", updated_at=stamp)})
    assert merge(ours, theirs).posts["a.md"].publish_id == "p"


def test_incremental_text_equals_a_full_encoding_after_changes() -> None:
    state = State()
    for index in range(5):
        record = state.post(f"content/{index}.md")
        record.title, record.status = f"标题{index}", "drafted"
        record.deps = {f"content/{index}.png": "abc"}
    state.images["sha"] = ImageRecord(url="u")
    state.remote["https://x/y.png"] = "sha"
    assert (
        state.dumps()
        == json.dumps(state.to_json(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    )
    state.posts["content/2.md"].status = "published"  # a change after the first encoding
    state.posts["content/3.md"].history = [{"article_id": "a"}]
    state.images["sha"].media_id = "m"
    state.posts["content/9.md"] = PostRecord(title="new")
    del state.posts["content/0.md"]
    text = state.dumps()
    assert text == json.dumps(state.to_json(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert '"status": "published"' in text


def test_empty_state_text() -> None:
    assert State().dumps() == json.dumps(State().to_json(), indent=2, sort_keys=True) + "\n"


def test_records_read_from_the_file_are_whole_and_their_changes_are_saved(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = State()
    state.post("a.md").title = "甲"
    state.post("b.md").title = "乙"
    state.images["sha"] = ImageRecord(url="u")
    save(state, path)
    loaded = load(path)
    assert loaded.posts["a.md"] == PostRecord(title="甲")
    assert loaded.images["sha"] == ImageRecord(url="u")
    assert loaded.posts["a.md"].deps is not loaded.posts["b.md"].deps
    assert loaded.dumps() == path.read_text(encoding="utf-8")
    loaded.posts["a.md"].status = "published"
    loaded.images["sha"].media_id = "m"
    save(loaded, path)
    again = load(path)
    assert again.posts["a.md"].status == "published"
    assert again.images["sha"].media_id == "m"


@pytest.mark.parametrize(
    ("messages", "said"),
    [
        ('{"m": "oops"}', r"messages → m: should be an object, not text"),
        ("[]", r"`messages` should be an object"),
        ('{"m": {"posts": "ab"}}', r"messages → m: `posts` should be a list of text"),
    ],
)
def test_a_message_record_of_the_wrong_shape_is_named_as_one(
    tmp_path: Path, messages: str, said: str
) -> None:
    path = tmp_path / "state.json"
    path.write_text(f'{{"version": 1, "posts": {{}}, "messages": {messages}}}', encoding="utf-8")
    with pytest.raises(StateError, match=said):
        load(path)
