"""WeChat as the second source of truth: a lost state file never means a second copy."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.gitrepo import commit_all, config, init_repo, post, write
from wxsync.config import load_settings
from wxsync.engine import adopt, marker
from wxsync.engine.state import State, load
from wxsync.engine.sync import Engine
from wxsync.report import SyncReport
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.client import Page
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer

ENV = {"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET}
TITLES = {"content/one.md": "第一篇", "content/two.md": "第二篇", "content/three.md": "第三篇"}


@pytest.fixture
def blog(tmp_path: Path, emulator: EmulatorServer) -> Path:
    root = init_repo(tmp_path / "blog")
    write(root / "wxsync.yml", config(emulator.base_url))
    for path, title in TITLES.items():
        write(root / path, post(title))
    commit_all(root)
    return root


def sync(root: Path, mode: str | None = None) -> SyncReport:
    settings = load_settings(root, {"mode": mode}, environ=ENV)
    return Engine(settings, poll_delay=0.05).run()


def lose_state(root: Path) -> None:
    (root / ".wxsync/state.json").unlink()


def published_titles(control: EmulatorControl) -> Counter[str]:
    return Counter(t for article in control.state()["published"] for t in article["titles"])


def test_state_lost_after_a_publish_run_the_next_run_adds_nothing(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog)
    urls = {p: r.url for p, r in load(blog / ".wxsync/state.json").posts.items()}
    lose_state(blog)

    report = sync(blog)
    state = control.state()
    assert published_titles(control) == Counter(TITLES.values())
    assert state["drafts"] == []
    assert state["calls"]["/cgi-bin/draft/add"] == 3
    assert state["calls"]["/cgi-bin/freepublish/submit"] == 3
    saved = load(blog / ".wxsync/state.json")
    assert {p: r.url for p, r in saved.posts.items()} == urls
    assert {r.status for r in saved.posts.values()} == {"published"}
    assert not report.failed
    assert {o.status for o in report.outcomes} == {"adopted"}
    assert all(o.url and "earlier run" in o.message for o in report.outcomes)
    # And the adopted records make the run after it a no-op.
    calls = control.state()["calls"]
    sync(blog)
    assert control.state()["calls"] == calls


def test_state_lost_after_a_draft_run_the_next_run_adds_nothing(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog, mode="draft")
    drafts = {p: r.draft_media_id for p, r in load(blog / ".wxsync/state.json").posts.items()}
    lose_state(blog)

    sync(blog, mode="draft")
    state = control.state()
    assert len(state["drafts"]) == 3 and state["calls"]["/cgi-bin/draft/add"] == 3
    saved = load(blog / ".wxsync/state.json")
    assert {p: r.draft_media_id for p, r in saved.posts.items()} == drafts
    assert {r.status for r in saved.posts.values()} == {"drafted"}

    # Switching to publish mode publishes the adopted drafts; it writes none.
    sync(blog, mode="publish")
    assert published_titles(control) == Counter(TITLES.values())
    assert control.state()["calls"]["/cgi-bin/draft/add"] == 3


def test_adoption_works_without_publish_permission(blog: Path, control: EmulatorControl) -> None:
    control.configure(can_publish=False)
    sync(blog, mode="draft")
    lose_state(blog)
    report = sync(blog, mode="draft")
    assert control.state()["calls"]["/cgi-bin/draft/add"] == 3
    assert not report.failed


def test_a_post_changed_after_its_lost_publish_is_adopted_and_reported_changed(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog)
    lose_state(blog)
    write(blog / "content/one.md", post("第一篇", "改过的正文。\n"))
    commit_all(blog, "edit")

    report = sync(blog)
    assert published_titles(control) == Counter(TITLES.values())
    outcome = next(o for o in report.outcomes if o.path == "content/one.md")
    assert outcome.status == "warning" and "republish" in outcome.message


def test_a_post_whose_search_failed_is_not_created_blind_and_goes_out_next_time(
    blog: Path, control: EmulatorControl
) -> None:
    control.faults({"path": "/cgi-bin/draft/batchget", "errcode": 40097})
    report = sync(blog)
    assert {o.status for o in report.outcomes} == {"failed"}
    assert all("earlier copy" in o.message for o in report.outcomes)
    assert "/cgi-bin/draft/add" not in control.state()["calls"]
    control.faults()
    sync(blog)
    assert published_titles(control) == Counter(TITLES.values())


def test_the_draft_of_a_renamed_post_is_not_adopted_by_another(
    blog: Path, control: EmulatorControl
) -> None:
    """Markers name the post by its path: same title or same text elsewhere is not a match."""
    sync(blog, mode="draft")
    lose_state(blog)
    write(blog / "content/four.md", post("第一篇"))  # same title and body as one.md
    commit_all(blog, "a look-alike")
    sync(blog, mode="draft")
    assert control.state()["calls"]["/cgi-bin/draft/add"] == 4


# -- the bounded search ------------------------------------------------------------------------


def listing(items: list[dict[str, Any]]) -> tuple[list[int], adopt.Lister]:
    offsets: list[int] = []

    def list_page(offset: int, count: int) -> Page:
        offsets.append(offset)
        return Page(len(items), items[offset : offset + count])

    return offsets, list_page


def article(path: str, stamp: int, content_hash: str = "a" * 64) -> dict[str, Any]:
    html = marker.mark("<p>x</p>", marker.marker_for(path, content_hash))
    return {
        "article_id": f"id-{path}-{stamp}",
        "update_time": stamp,
        "content": {"news_item": [{"content": html, "url": f"https://mp/{stamp}"}]},
    }


NOW = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())


def test_search_stops_at_what_the_state_file_already_knew() -> None:
    # 200 articles a day apart, newest first; the state file was last written 30 days ago.
    items = [article(f"content/{n}.md", NOW - n * 86400) for n in range(200)]
    offsets, list_page = listing(items)
    since = dt.datetime.fromtimestamp(NOW - 30 * 86400, dt.UTC)
    result = adopt.search(list_page, ["content/new.md"], since)
    assert result.found == {} and offsets == [0, 20]  # 31 items read, not 200


def test_search_stops_once_every_post_is_found_and_keeps_the_newest_copy() -> None:
    items = [article(f"content/{n}.md", NOW - n * 60) for n in range(100)]
    items.insert(50, article("content/3.md", NOW - 3 * 60 - 1, "b" * 64))  # an older copy
    offsets, list_page = listing(items)
    result = adopt.search(list_page, ["content/3.md", "content/30.md"], None)
    assert offsets == [0, 20]
    assert result.found["content/3.md"].content == "a" * 16
    assert result.found["content/30.md"].url == f"https://mp/{NOW - 30 * 60}"


def test_an_article_inside_a_multi_article_message_is_not_taken_for_a_post_of_its_own() -> None:
    message = article("content/a.md", NOW)
    message["content"]["news_item"].append(article("content/b.md", NOW)["content"]["news_item"][0])
    _, list_page = listing([message])
    assert adopt.search(list_page, ["content/a.md", "content/b.md"], None).found == {}


def test_search_without_any_bound_reads_at_most_max_pages() -> None:
    items = [article(f"content/{n}.md", NOW - n) for n in range(adopt.PAGE * adopt.MAX_PAGES + 40)]
    offsets, list_page = listing(items)
    adopt.search(list_page, ["content/missing.md"], None)
    assert len(offsets) == adopt.MAX_PAGES


def test_the_horizon_is_the_newest_record_in_the_state_file() -> None:
    state = State()
    state.post("a.md").updated_at = "2026-01-01T00:00:00Z"
    state.post("b.md").updated_at = "2026-03-01T00:00:00Z"
    assert adopt.horizon(state) == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert adopt.horizon(State()) is None


def test_the_oldest_post_bound_comes_from_git_and_not_from_a_shallow_clone(
    blog: Path, tmp_path: Path
) -> None:
    added = adopt.first_added(blog, TITLES)
    assert added is not None and abs(dt.datetime.now(dt.UTC) - added) < dt.timedelta(minutes=5)
    shallow = tmp_path / "shallow"
    from tests.gitrepo import git

    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{blog}", str(shallow))
    assert adopt.first_added(shallow, TITLES) is None


def test_a_post_renamed_while_its_state_was_lost_adopts_its_article_by_content(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog)
    url = load(blog / ".wxsync/state.json").posts["content/one.md"].url
    lose_state(blog)
    subprocess.run(["git", "mv", "content/one.md", "content/first.md"], cwd=blog, check=True)
    commit_all(blog, "rename")

    report = sync(blog)
    assert control.state()["calls"]["/cgi-bin/draft/add"] == 3  # none added
    assert load(blog / ".wxsync/state.json").posts["content/first.md"].url == url
    outcome = next(o for o in report.outcomes if o.path == "content/first.md")
    assert outcome.status == "adopted" and "another file name" in outcome.message


def test_content_alone_never_takes_the_article_of_a_post_still_in_the_repository() -> None:
    items = [
        article("content/old.md", NOW, "c" * 64),
        article("content/kept.md", NOW - 1, "d" * 64),
    ]
    _, list_page = listing(items)
    versions = {"content/new.md": "c" * 64, "content/copy.md": "d" * 64}
    current = ["content/new.md", "content/copy.md", "content/kept.md"]
    found = adopt.search(
        list_page, ["content/new.md", "content/copy.md"], None, versions=versions, current=current
    ).found
    assert list(found) == ["content/new.md"] and found["content/new.md"].renamed


def test_content_shared_by_two_new_posts_matches_neither() -> None:
    _, list_page = listing([article("content/old.md", NOW, "c" * 64)])
    versions = {"content/a.md": "c" * 64, "content/b.md": "c" * 64}
    found = adopt.search(list_page, list(versions), None, versions=versions, current=list(versions))
    assert found.found == {}


def test_a_narrowed_run_never_takes_the_article_of_a_post_outside_its_scope(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog)
    lose_state(blog)
    write(blog / "content/copy.md", post("第一篇"))  # the same text as one.md, which stays
    commit_all(blog, "a copy")
    settings = load_settings(blog, {}, environ=ENV)
    Engine(settings, poll_delay=0.05).run(only=[str(blog / "content/copy.md")])
    assert control.state()["calls"]["/cgi-bin/draft/add"] == 4, "copy.md is a post of its own"
