"""The planner's decisions, one behaviour per test. Pure: no files, no network."""

from __future__ import annotations

import datetime as dt

from wxsync.engine.plan import Kind, PlanSettings, PostFacts, plan
from wxsync.engine.state import PUBLISHED, Intent, PostRecord, State

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DRAFT = PlanSettings(mode="draft")
PUBLISH = PlanSettings(mode="publish")


def facts(path: str = "content/a.md", hash: str = "h1", **extra: object) -> PostFacts:
    return PostFacts(path=path, hash=hash, title="A", **extra)  # type: ignore[arg-type]


def one(post: PostFacts, record: PostRecord | None = None, settings: PlanSettings = PUBLISH):
    state = State(posts={post.path: record} if record else {})
    [action] = plan([post], state, settings, NOW)
    return action


def test_new_post_is_drafted_and_published_in_publish_mode() -> None:
    action = one(facts())
    assert action.kind == Kind.CREATE and action.publish
    assert action.describe() == "create draft + publish"


def test_new_post_is_only_drafted_in_draft_mode() -> None:
    action = one(facts(), settings=DRAFT)
    assert action.kind == Kind.CREATE and not action.publish


def test_post_level_publish_flag_overrides_the_mode() -> None:
    assert one(facts(publish=True), settings=DRAFT).publish
    assert not one(facts(publish=False), settings=PUBLISH).publish


def test_unchanged_draft_is_left_alone_in_draft_mode() -> None:
    record = PostRecord(hash="h1", draft_media_id="m", draft_hash="h1", status="drafted")
    action = one(facts(), record, DRAFT)
    assert action.kind == Kind.NOTHING
    assert not action.calls_api


def test_changed_draft_is_updated_not_recreated() -> None:
    record = PostRecord(hash="h0", draft_media_id="m", draft_hash="h0", status="drafted")
    action = one(facts(hash="h1"), record, DRAFT)
    assert action.kind == Kind.UPDATE and not action.publish


def test_unchanged_draft_is_published_when_the_mode_becomes_publish() -> None:
    record = PostRecord(hash="h1", draft_media_id="m", draft_hash="h1", status="drafted")
    assert one(facts(), record, PUBLISH).kind == Kind.PUBLISH


def test_published_and_unchanged_means_nothing_to_do() -> None:
    record = PostRecord(hash="h1", status=PUBLISHED, article_id="a", published_hash="h1")
    assert one(facts(), record).kind == Kind.NOTHING


def test_changed_published_post_is_a_warning_without_republish() -> None:
    record = PostRecord(hash="h0", status=PUBLISHED, article_id="a", published_hash="h0")
    action = one(facts(hash="h1"), record)
    assert action.kind == Kind.WARN
    assert "republish" in action.reason
    assert not action.calls_api


def test_changed_published_post_with_republish_publishes_a_new_article() -> None:
    record = PostRecord(hash="h0", status=PUBLISHED, article_id="a", published_hash="h0")
    assert one(facts(hash="h1", republish=True), record).kind == Kind.REPUBLISH


def test_running_publish_job_is_resumed() -> None:
    record = PostRecord(
        hash="h1", draft_media_id="m", draft_hash="h1", publish_id="p", publish_hash="h1"
    )
    assert one(facts(), record).kind == Kind.RESUME


def test_interrupted_call_is_reconciled_before_anything_else() -> None:
    record = PostRecord(
        intent=Intent(op="draft_add", hash="h1", title="A", at="2026-06-01T11:00:00Z")
    )
    action = one(facts(skip=True), record)
    assert action.kind == Kind.RECONCILE
    assert "draft/add" in action.reason


def test_draft_true_is_skipped() -> None:
    action = one(facts(skip=True))
    assert action.kind == Kind.SKIP and not action.calls_api


def test_future_date_waits_and_past_date_goes_ahead() -> None:
    later = NOW + dt.timedelta(hours=1)
    waiting = one(facts(date=later))
    assert waiting.kind == Kind.WAIT
    assert "scheduled for 2026-06-01T13:00" in waiting.reason
    assert one(facts(date=NOW - dt.timedelta(days=1))).kind == Kind.CREATE


def test_invalid_post_reports_its_first_problem() -> None:
    action = one(facts(problems=("content/a.md:2: title is 40 characters",)))
    assert action.kind == Kind.INVALID
    assert action.reason.startswith("content/a.md:2:")


def test_permanent_failure_is_not_retried_until_the_post_changes() -> None:
    record = PostRecord(hash="h1", error={"kind": "permanent", "message": "45002"})
    assert one(facts(), record).kind == Kind.NOTHING
    assert one(facts(hash="h2"), record).kind == Kind.CREATE
    assert one(facts(), record, PlanSettings(mode="publish", retry=True)).kind == Kind.CREATE


def test_transient_failure_is_retried_on_the_next_run() -> None:
    record = PostRecord(hash="h1", error={"kind": "transient", "message": "timeout"})
    assert one(facts(), record).kind == Kind.CREATE


def test_missing_publish_permission_keeps_the_draft_and_does_not_retry() -> None:
    record = PostRecord(
        hash="h1",
        draft_media_id="m",
        draft_hash="h1",
        status="drafted",
        error={"kind": "permanent", "code": 48001, "message": "no publish permission"},
    )
    action = one(facts(), record)
    assert action.kind == Kind.NOTHING
    assert "no publish permission" in action.reason


def test_removed_post_is_reported_and_deleted_only_when_enabled() -> None:
    state = State(posts={"content/gone.md": PostRecord(draft_media_id="m", title="Gone")})
    [kept] = plan([], state, PUBLISH, NOW)
    assert kept.kind == Kind.REMOVED and not kept.calls_api
    [deleted] = plan([], state, PlanSettings(mode="publish", delete_removed=True), NOW)
    assert deleted.kind == Kind.DELETE and deleted.title == "Gone"


def test_actions_come_in_path_order() -> None:
    posts = [facts("content/b.md"), facts("content/a.md")]
    assert [a.path for a in plan(posts, State(), PUBLISH, NOW)] == ["content/a.md", "content/b.md"]
