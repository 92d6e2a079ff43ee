"""Finish what an interrupted run started, without doing anything twice.

Before `draft/add` and `freepublish/submit` the engine records an intent in the state file. If
the process dies, or the answer is lost, the intent is still there on the next start. WeChat has
no idempotency keys, so we look: list the drafts (or published articles) updated since the
intent, and adopt the one carrying our marker with the intent's content hash (see
`engine/marker.py`) and title. Only when nothing matches is the call made again.

A submit is the delicate case: publishing is asynchronous, so an accepted job may not be listed
yet. The intent is kept, and the listing checked again, until it is older than
`publish_settle`; only then is the job taken not to exist and the draft submitted again. A
draft/add whose answer timed out may likewise still land: its intent is kept (checked once per
run) until it is older than `publish_settle`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wxsync.engine import marker
from wxsync.engine.state import DRAFTED, FAILED, PUBLISHED, Intent, PostRecord, now_iso, parse_iso
from wxsync.wechat.client import Page, WeChatClient
from wxsync.wechat.errors import InvalidMediaError

log = logging.getLogger("wxsync.engine.reconcile")

Lister = Callable[[int, int], Page]

# How far before the intent's time a listing's update_time may be (clock skew between us and WeChat).
SKEW = dt.timedelta(minutes=5)
PAGE = 20
MAX_PAGES = 10


@dataclass(frozen=True)
class Match:
    id: str  # media_id of a draft, or article_id of a published article
    url: str


@dataclass(frozen=True)
class Resolution:
    """What reconciling one intent found out, in words for the report."""

    resolved: bool
    message: str


def find(list_page: Lister, intent: Intent) -> Match | None:
    """The listed item that is the result of `intent`: our marker and title, updated after it."""
    since = (parse_iso(intent.at) - SKEW).timestamp()
    fallback: Match | None = None
    any_marker = False
    for page in range(MAX_PAGES):
        listing: Page = list_page(page * PAGE, PAGE)
        for item in listing.items:
            articles: list[dict[str, Any]] = item.get("content", {}).get("news_item", [])
            key = str(item.get("media_id") or item.get("article_id") or "")
            for article in articles:
                content = str(article.get("content", ""))
                markers = marker.markers_in(content)
                any_marker = any_marker or bool(markers)
                if article.get("title") != intent.title:
                    continue
                match = Match(key, str(article.get("url", "")))
                if any(m.is_version(intent.hash) for m in markers):
                    return match
                if fallback is None and int(item.get("update_time", 0)) >= since:
                    fallback = match
        items = listing.items
        if not items or (page + 1) * PAGE >= listing.total_count:
            break
        if int(items[-1].get("update_time", 0)) < since:
            break  # newest first: everything further is older than the intent
    # WeChat keeps `id` attributes, so markers are normally there; if it ever strips them all,
    # a same-titled item updated after the intent is the best evidence left.
    return None if any_marker else fallback


class Reconciler:
    def __init__(
        self,
        client: WeChatClient,
        save: Callable[[], None],
        *,
        settle: float,
        budget: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.client = client
        self.save = save
        self.settle = settle
        self.budget = budget
        self.clock = clock
        self.sleep = sleep
        self.now = now

    def resolve(self, record: PostRecord) -> Resolution:
        intent = record.intent
        assert intent is not None
        if intent.op == "draft_add":
            return self._draft(record, intent)
        return self._submit(record, intent)

    def _draft(self, record: PostRecord, intent: Intent) -> Resolution:
        match = find(self.client.list_drafts, intent)
        if match is None:
            # A draft/add that timed out may still be running on WeChat's side and land later:
            # only after the settle time does "not listed" prove it never happened.
            age = (self.now() - parse_iso(intent.at)).total_seconds()
            if age < self.settle:
                return Resolution(
                    False,
                    f"a draft/add got no answer {age:.0f} s ago and is not listed yet; the post is "
                    f"drafted again only once {self.settle:.0f} s (publish_settle) have passed",
                )
            record.intent = None
            self.save()
            return Resolution(True, "the interrupted draft/add never landed; it will be made now")
        record.draft_media_id, record.draft_hash = match.id, intent.hash
        record.status, record.intent, record.error = DRAFTED, None, None
        record.touch()
        self.save()
        return Resolution(True, "found the draft an interrupted run created; adopted it")

    def _submit(self, record: PostRecord, intent: Intent) -> Resolution:
        deadline = self.clock() + self.budget
        delay = 1.0
        while True:
            match = find(self.client.list_published, intent)
            if match is not None:
                self._adopt_article(record, intent, match)
                return Resolution(
                    True, "found the article an interrupted run published; adopted it"
                )
            age = (self.now() - parse_iso(intent.at)).total_seconds()
            if age >= self.settle:
                return self._never_published(record)
            wait = min(delay, self.settle - age, deadline - self.clock())
            if wait <= 0:
                return Resolution(
                    False,
                    "an interrupted publish may still be running; the next run checks again "
                    "before submitting anything",
                )
            self.sleep(wait)
            delay = min(delay * 2, 15.0)

    def lost_job(self, record: PostRecord) -> Resolution:
        """A publish job WeChat does not know: adopt its article if listed, else forget the job."""
        at = record.updated_at or now_iso()
        intent = Intent(op="submit", hash=record.publish_hash, title=record.title, at=at)
        match = find(self.client.list_published, intent)
        if match is not None:
            self._adopt_article(record, intent, match)
            return Resolution(True, "found the article of a publish job WeChat forgot; adopted it")
        record.publish_id = record.publish_hash = ""
        try:
            self.client.get_draft(record.draft_media_id)
        except InvalidMediaError:
            record.draft_media_id = record.draft_hash = ""
        message = (
            "WeChat no longer knows this publish job (was the account reset?) and no article "
            "came of it; the next run publishes the post again"
        )
        record.status = FAILED
        record.fail(message, transient=True)
        self.save()
        return Resolution(False, message)

    def _adopt_article(self, record: PostRecord, intent: Intent, match: Match) -> None:
        record.article_id, record.url = match.id, match.url
        record.published_hash = intent.hash
        record.status, record.intent, record.error = PUBLISHED, None, None
        record.publish_id, record.draft_media_id = "", ""
        record.published_at = now_iso()
        record.touch()
        self.save()

    def _never_published(self, record: PostRecord) -> Resolution:
        """Long enough has passed: the submit never produced an article. Check the draft is there."""
        record.intent = None
        try:
            self.client.get_draft(record.draft_media_id)
        except InvalidMediaError:
            record.draft_media_id, record.draft_hash = "", ""
        self.save()
        return Resolution(
            True, "the interrupted publish produced no article; it will be submitted again"
        )
