"""Writing multi-article messages to WeChat: one draft per message, published as a whole.

A message's draft holds its posts' articles in order (a split post contributes one article per
part). Editing a post updates just its articles in place (`draft/update` at their index);
changing who is in the message, or their order, writes a new draft and deletes the old one.
Every `draft/add` and `freepublish/submit` is guarded by an intent on the message's record,
as the one-post path does on a post's record, so an interrupted run is reconciled, not
repeated. Mass sending lives in `broadcaster.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from wxsync.engine.manuscript import CONTENT_CHAR_LIMIT, Manuscript, fit_article
from wxsync.engine.marker import mark, marker_for
from wxsync.engine.messages import Message, MessageAction
from wxsync.engine.once import Writer
from wxsync.engine.publisher import PostFailed, Publisher
from wxsync.engine.state import (
    DRAFTED,
    FAILED,
    PUBLISHED,
    PUBLISHING,
    Intent,
    MessageRecord,
    mark_published,
    now_iso,
    parse_iso,
)
from wxsync.errors import WxsyncError
from wxsync.report import Outcome

if TYPE_CHECKING:
    from wxsync.engine.uploader import Job, Uploaded
    from wxsync.wechat.client import Article

log = logging.getLogger("wxsync.engine.messenger")


@dataclass
class MessageWork:
    """A message the run writes: its plan, its posts' outcomes, and the record to update."""

    message: Message
    action: MessageAction
    record: MessageRecord
    outcomes: dict[str, Outcome]
    manuscripts: dict[str, Manuscript] = field(default_factory=dict)

    def say(self, status: str, note: str = "", url: str = "") -> None:
        for outcome in self.outcomes.values():
            outcome.status, outcome.message = status, note
            if url:
                outcome.url = url


class Messenger(Writer):
    def __init__(self, publisher: Publisher) -> None:
        """Messages are written like posts: with the publisher's desk, renderer and publishing."""
        super().__init__(publisher.desk)
        self.publisher = publisher

    # -- drafts ----------------------------------------------------------------------------------

    def write_draft(self, work: MessageWork, uploads: dict[Job, Uploaded | WxsyncError]) -> None:
        """Create, update or replace the message's draft; the posts' records follow."""
        from wxsync.engine.plan import Kind
        from wxsync.wechat.errors import InvalidMediaError

        message, record = work.message, work.record
        articles = {path: self._articles(work, path, uploads) for path in self._needed(work)}
        self.progress(f"message {message.key}: {work.action.kind}")
        if work.action.kind == Kind.UPDATE and record.media_id:
            try:
                for path in work.action.updates:
                    start = message.index_of(path)
                    for offset, article in enumerate(articles[path]):
                        self.client.update_draft(record.media_id, start + offset, article)
            except InvalidMediaError:
                record.media_id = ""  # deleted or sent by hand in the editor: write a new one
                articles = {path: self._articles(work, path, uploads) for path in message.paths}
            else:
                self._drafted(work, record.media_id)
                return
        self._add_draft(work, [a for path in message.paths for a in articles[path]])

    def _needed(self, work: MessageWork) -> list[str]:
        from wxsync.engine.plan import Kind

        if work.action.kind == Kind.UPDATE and work.record.media_id:
            return list(work.action.updates)
        return work.message.paths

    def _add_draft(self, work: MessageWork, articles: list[Article]) -> None:
        from wxsync.wechat.errors import AmbiguousResultError

        message, record = work.message, work.record
        head = message.posts[0]
        with self._lock:  # saved with the intent
            if record.media_id:
                record.stale = [*record.stale, record.media_id]
            record.media_id = ""
            record.posts, record.parts = message.paths, message.parts
            record.hashes = [p.hash for p in message.posts]
            record.touch()
        intent = Intent(op="draft_add", hash=head.hash, title=articles[0].title, at=now_iso())
        try:
            media_id = self.call_once(record, intent, partial(self.client.add_draft, articles))
        except AmbiguousResultError:
            if self.reconcile(record, settle=self.settings.publish_settle):
                self._drafted(work, record.media_id)
                return
            raise
        with self._lock:
            record.media_id, record.intent = media_id, None
        self._drafted(work, media_id)
        self._delete_stale(record)

    def _drafted(self, work: MessageWork, media_id: str) -> None:
        message, record = work.message, work.record
        with self._lock:
            record.media_id = media_id
            record.posts, record.parts = message.paths, message.parts
            record.hashes = [p.hash for p in message.posts]
            record.title, record.status, record.error = message.posts[0].title, DRAFTED, None
            record.date = message.date.isoformat() if message.date else ""
            record.touch()
            for post in message.posts:
                posted = self.state.post(post.path)
                posted.draft_media_id, posted.draft_hash = media_id, post.hash
                posted.in_message, posted.status, posted.error = message.key, DRAFTED, None
                posted.touch()
            self._save()
        work.say(DRAFTED)

    def _delete_stale(self, record: MessageRecord) -> None:
        from wxsync.wechat.errors import InvalidMediaError

        for media_id in record.stale:
            try:
                self.client.delete_draft(media_id)
            except InvalidMediaError:
                pass  # already gone (sent, published or deleted by hand)
            except WxsyncError as error:
                log.warning(
                    "could not delete the replaced draft yet (%s); the next run will", error
                )
                return
            with self._lock:
                record.stale = [m for m in record.stale if m != media_id]
                self._save()

    def _articles(
        self, work: MessageWork, path: str, uploads: dict[Job, Uploaded | WxsyncError]
    ) -> list[Article]:
        """The articles one post contributes: itself, or each of its parts."""
        manuscript = work.manuscripts[path]
        post = manuscript.post
        if post is None or manuscript.errors:
            problem = manuscript.errors[0] if manuscript.errors else None
            raise PostFailed(
                f"{path}: {problem.message if problem else 'cannot read the post'}",
                transient=False,
                line=problem.line if problem else 0,
            )
        urls, thumb = self.publisher._urls_for(manuscript, uploads)
        renderer = self.publisher.renderer
        bodies = [(p.title, p.body) for p in manuscript.parts] or [(post.title, post.body)]
        articles = []
        for title, body in bodies:
            html = mark(
                fit_article(
                    renderer,
                    body,
                    image_url=lambda src: urls.get(src, src),
                    link_url=manuscript.link_urls.get,
                ).result.html,
                marker_for(path, manuscript.hash),
            )
            if len(html) >= CONTENT_CHAR_LIMIT:
                raise PostFailed(
                    f"{path}: an article is {len(html):,} characters of HTML; WeChat's limit is "
                    f"{CONTENT_CHAR_LIMIT:,}",
                    transient=False,
                    line=post.body_line,
                )
            article = self.publisher._article(manuscript, html, thumb)
            articles.append(_retitled(article, title, several=work.message.articles > 1))
        return articles

    # -- publishing ------------------------------------------------------------------------------

    def submit(self, work: MessageWork) -> bool:
        """Publish the message's draft; True if a job was started (then `poll` it)."""
        from wxsync.wechat.errors import AmbiguousResultError, PermissionDeniedError

        record = work.record
        if refused := self.publisher.publishing_refused(record):
            work.say(DRAFTED, refused)
            return False
        try:
            publish_id = self.publisher.submit_draft(
                record,
                content_hash=work.message.posts[0].hash,
                media_id=record.media_id,
                label=f"message {work.message.key}",
            )
        except AmbiguousResultError:
            work.say(PUBLISHING, "the publish request got no answer; the next run checks")
            return False
        except PermissionDeniedError as error:
            # The first refusal of the run: later submits are refused above, without a call.
            self.progress(f"kept as drafts: {error.advice}")
            work.say(DRAFTED, error.advice)
            return False
        with self._lock:
            record.publish_id, record.intent, record.status = publish_id, None, PUBLISHING
            record.touch()
            for path in work.message.paths:
                self.state.post(path).status = PUBLISHING
            self._save()
        work.say(PUBLISHING)
        return True

    def poll_publish(self, work: MessageWork) -> bool:
        """One `freepublish/get`; True when the job is finished (or WeChat forgot it)."""
        from wxsync.wechat.errors import InvalidRequestError, NotFoundError

        record = work.record
        try:
            status = self.client.get_publish(record.publish_id)
        except (InvalidRequestError, NotFoundError):
            self._lost_job(work)
            return True
        if not status.finished:
            return False
        with self._lock:
            if status.succeeded:
                self._published(work, status.article_id, list(status.article_urls))
            else:
                record.publish_id, record.status = "", FAILED
                record.fail(f"publishing ended: {status.name}", code=status.status, transient=False)
                for path in work.message.paths:
                    self.state.post(path).fail(
                        f"publishing ended: {status.name}", code=status.status, transient=False
                    )
                work.say(FAILED, f"publishing ended: {status.name}")
            self._save()
        return True

    def _lost_job(self, work: MessageWork) -> None:
        """A publish job WeChat does not know (an account reset): adopt its article if listed,
        else forget the job so the next run publishes the message again, as for a post."""
        from wxsync.engine.reconcile import find

        record = work.record
        at = record.updated_at or now_iso()
        intent = Intent(op="submit", hash=work.message.posts[0].hash, title=record.title, at=at)
        match = find(self.client.list_published, intent)
        with self._lock:
            if match is not None:
                urls = [str(a.get("url", "")) for a in self.client.get_article(match.id)]
                self._published(work, match.id, urls)
            else:
                message = (
                    "WeChat no longer knows this publish job (was the account reset?) and no "
                    "article came of it; the next run publishes the message again"
                )
                if record.media_id and not self._draft_exists(record.media_id):
                    record.media_id = ""
                record.publish_id, record.status = "", FAILED
                record.fail(message, transient=True)
                work.say(FAILED, message)
            self._save()

    def _draft_exists(self, media_id: str) -> bool:
        from wxsync.wechat.errors import InvalidMediaError, NotFoundError

        try:
            self.client.get_draft(media_id)
        except (InvalidMediaError, NotFoundError):
            return False
        return True

    def _published(self, work: MessageWork, article_id: str, urls: list[str]) -> None:
        message, record = work.message, work.record
        record.article_id, record.urls, record.publish_id = article_id, urls, ""
        record.status, record.media_id, record.error = PUBLISHED, "", None
        record.touch()
        placed = [(p.path, message.index_of(p.path), p.hash) for p in message.posts]
        mark_published(self.state, placed, article_id, urls, at=now_iso())
        for post in message.posts:
            outcome = work.outcomes.get(post.path)
            if outcome is not None:
                url = self.state.post(post.path).url
                outcome.status, outcome.url, outcome.message = PUBLISHED, url, ""

    # -- reconciling -----------------------------------------------------------------------------

    def reconcile(
        self, record: MessageRecord, *, settle: float = 0.0, now: dt.datetime | None = None
    ) -> bool:
        """Settle an interrupted draft/add or submit of a message; True if WeChat had done it.

        A call not found yet may still be running on WeChat's side and land later: its intent
        stays until it is older than `settle` seconds, and only then is the call made again.
        """
        from wxsync.engine.reconcile import find

        intent = record.intent
        assert intent is not None
        if intent.op not in ("draft_add", "submit"):
            return False
        listing = (
            self.client.list_drafts if intent.op == "draft_add" else self.client.list_published
        )
        match = find(listing, intent)
        if match is None:
            age = ((now or dt.datetime.now(dt.UTC)) - parse_iso(intent.at)).total_seconds()
            if age >= settle:
                with self._lock:
                    record.intent = None
                    self._save()
            return False
        if intent.op == "draft_add":
            with self._lock:
                record.intent = None
                record.media_id, record.status = match.id, DRAFTED
                self._save()
            return True
        urls = [str(a.get("url", "")) for a in self.client.get_article(match.id)]
        with self._lock:
            record.intent = None
            record.article_id, record.urls = match.id, urls
            record.status, record.media_id = PUBLISHED, ""
            placed = [
                (path, sum(record.parts[:i]), record.hashes[i] if i < len(record.hashes) else "")
                for i, path in enumerate(record.posts)
            ]
            mark_published(self.state, placed, match.id, urls, at=now_iso())
            self._save()
        return True


def _retitled(article: Article, title: str, *, several: bool) -> Article:
    """A part's own title; WeChat keeps a digest for single-article drafts only."""
    from dataclasses import replace

    return replace(article, title=title, digest="" if several else article.digest)
