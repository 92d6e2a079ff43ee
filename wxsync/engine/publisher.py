"""Writing posts to WeChat: drafts, publishing and polling, deleting — each call recorded.

The engine decides what to do; the `Publisher` does it for one post at a time and records every
result in the state file as soon as WeChat confirms it. Calls that create something (draft/add,
freepublish/submit) are guarded by an intent saved beforehand, so an interruption at any point is
found and finished by `reconcile.py` instead of being repeated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from wxsync.engine.manuscript import (
    CONTENT_BYTE_LIMIT,
    CONTENT_CHAR_LIMIT,
    Manuscript,
    fit_article,
    line_of,
)
from wxsync.engine.marker import mark, marker_for
from wxsync.engine.once import Desk, Record, Writer
from wxsync.engine.plan import Action, Kind
from wxsync.engine.state import (
    DRAFTED,
    FAILED,
    PUBLISHED,
    PUBLISHING,
    Intent,
    PostRecord,
    now_iso,
)
from wxsync.errors import ConfigError, WxsyncError
from wxsync.report import Outcome

if TYPE_CHECKING:
    from wxsync.engine.uploader import Job, Uploaded
    from wxsync.render import Renderer
    from wxsync.wechat.client import Article

log = logging.getLogger("wxsync.engine.publisher")

MAX_POLL_DELAY = 15.0


class PostFailed(WxsyncError):
    """A post-level failure with its classification; the engine records it and moves on."""

    def __init__(
        self, message: str, *, transient: bool, code: int | None = None, line: int = 0
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code
        self.line = line


@dataclass
class Halt:
    """Why API work stopped for the whole run (wrong credentials, IP, quota); "" while it goes on."""

    reason: str = ""

    def check(self, error: WxsyncError) -> bool:
        """Stop the run if `error` concerns the whole account; True if it did."""
        from wxsync.engine.state import StateError
        from wxsync.errors import Cancelled
        from wxsync.wechat.errors import (
            CredentialError,
            IPNotWhitelistedError,
            QuotaExhaustedError,
            TokenUnavailableError,
        )

        if isinstance(
            error,
            CredentialError
            | IPNotWhitelistedError
            | QuotaExhaustedError
            | TokenUnavailableError
            | ConfigError
            | StateError
            | Cancelled,
        ):
            self.reason = str(error)
            return True
        return False


@dataclass
class Work:
    """A post the run writes to WeChat: its action, its examined manuscript, its record."""

    action: Action
    manuscript: Manuscript
    record: PostRecord
    outcome: Outcome


def is_transient(error: WxsyncError) -> bool:
    """Whether a failure may go away by itself, so the next run should simply try again."""
    from wxsync.wechat.errors import (
        QuotaExhaustedError,
        RateLimitedError,
        SystemBusyError,
        TokenRejectedError,
        TransportError,
    )

    return isinstance(
        error,
        TransportError
        | SystemBusyError
        | RateLimitedError
        | TokenRejectedError
        | QuotaExhaustedError,
    )


class Publisher(Writer):
    def __init__(
        self,
        desk: Desk,
        *,
        renderer: Renderer,
        halt: Halt,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        poll_delay: float = 0.5,
        reupload: Callable[[Work], dict[Job, Uploaded | WxsyncError]] | None = None,
    ) -> None:
        super().__init__(desk)
        self._reupload = reupload
        self.renderer = renderer
        self.halt = halt
        self.clock, self.sleep, self.poll_delay = clock, sleep, poll_delay
        self._publish_blocked = ""

    def write_draft(self, work: Work, uploads: dict[Job, Uploaded | WxsyncError]) -> None:
        from wxsync.wechat.errors import InvalidMediaError

        action, manuscript, record = work.action, work.manuscript, work.record
        post = manuscript.post
        if post is None or manuscript.errors:
            problem = manuscript.errors[0] if manuscript.errors else None
            raise PostFailed(
                problem.message if problem else "cannot read the post",
                transient=False,
                line=problem.line if problem else 0,
            )
        urls, thumb = self._urls_for(manuscript, uploads)
        html = mark(
            fit_article(
                self.renderer,
                post.body,
                image_url=lambda src: urls.get(src, src),
                link_url=manuscript.link_urls.get,
            ).result.html,
            marker_for(action.path, manuscript.hash),
        )
        if len(html) >= CONTENT_CHAR_LIMIT or len(html.encode("utf-8")) >= CONTENT_BYTE_LIMIT:
            raise PostFailed(
                f"the article is {len(html):,} characters of HTML; WeChat's limit is {CONTENT_CHAR_LIMIT:,}: "
                "split the post or shorten long code blocks",
                transient=False,
                line=post.body_line,
            )
        article = self._article(manuscript, html, thumb)
        self.progress(f"{action.path}: {action.describe()}")
        if action.kind == Kind.REPUBLISH:
            self._retire_article(record)
        try:
            self._write(work, article)
        except InvalidMediaError:
            # Only the cover travels as a media_id: it is gone from the material library
            # (deleted by hand, or the account was reset). Upload it again and retry once.
            self._write(
                work, replace(article, thumb_media_id=self._upload_cover_again(work, thumb))
            )

    def _write(self, work: Work, article: Article) -> None:
        from wxsync.wechat.errors import AmbiguousResultError, InvalidMediaError

        action, manuscript, record, outcome = (
            work.action,
            work.manuscript,
            work.record,
            work.outcome,
        )
        if action.kind == Kind.UPDATE and record.draft_media_id:
            try:
                self.client.update_draft(record.draft_media_id, 0, article)
            except InvalidMediaError:
                if self._draft_exists(record.draft_media_id):
                    raise  # the draft is there: its new cover is what WeChat does not know
                # The draft is gone (deleted, or published by hand in the editor): make a new one.
                record.draft_media_id = ""
            else:
                self._drafted(record, record.draft_media_id, manuscript.hash, outcome)
                return
        intent = Intent(op="draft_add", hash=manuscript.hash, title=article.title, at=now_iso())
        try:
            media_id = self.call_once(record, intent, partial(self.client.add_draft, [article]))
        except AmbiguousResultError:
            if self._reconcile_now(record):
                outcome.status = DRAFTED
                return
            raise
        self._drafted(record, media_id, manuscript.hash, outcome)

    def _draft_exists(self, media_id: str) -> bool:
        from wxsync.wechat.errors import InvalidMediaError

        try:
            self.client.get_draft(media_id)
        except InvalidMediaError:
            return False
        return True

    def _upload_cover_again(self, work: Work, dead: str) -> str:
        """Forget the cover material WeChat no longer has, upload it again; its new media_id."""
        if self._reupload is None or not dead:
            raise PostFailed("WeChat does not know the cover image's media_id", transient=False)
        with self._lock:
            for image in self.state.images.values():
                if image.media_id == dead:
                    image.media_id = image.material_url = ""
            self._save()
        self.progress(f"{work.action.path}: the cover is gone from WeChat; uploading it again")
        _urls, thumb = self._urls_for(work.manuscript, self._reupload(work))
        if not thumb or thumb == dead:
            raise PostFailed(
                "the cover is gone from WeChat and could not be uploaded again", transient=True
            )
        return thumb

    def _reconcile_now(self, record: PostRecord) -> bool:
        """Check at once whether a draft/add that got no answer landed; True if it did."""
        from wxsync.engine.reconcile import Reconciler

        reconciler = Reconciler(
            self.client, self._save, settle=self.settings.publish_settle, budget=0
        )
        try:
            reconciler.resolve(record)
        except WxsyncError as error:
            log.info("could not check at once (%s); the next run will", error)
            return False
        return bool(record.draft_media_id)

    def _drafted(
        self, record: PostRecord, media_id: str, content_hash: str, outcome: Outcome
    ) -> None:
        with self._lock:
            record.draft_media_id, record.draft_hash = media_id, content_hash
            record.intent, record.error = None, None
            record.status = DRAFTED
            record.touch()
            self._save()
        outcome.status, outcome.message = DRAFTED, ""

    def _retire_article(self, record: PostRecord) -> None:
        """Republishing: the old article stays on WeChat; remember it, then start afresh."""
        with self._lock:
            if record.article_id:
                retired = {
                    "article_id": record.article_id,
                    "url": record.url,
                    "published_at": record.published_at,
                }
                record.history = [*record.history, retired]  # assigned, not appended: see state.py
            record.article_id = record.url = record.published_hash = record.publish_id = ""
            record.draft_media_id = record.draft_hash = ""
            record.status = DRAFTED
            self._save()

    def _urls_for(
        self, manuscript: Manuscript, uploads: dict[Job, Uploaded | WxsyncError]
    ) -> tuple[dict[str, str], str]:
        from wxsync.engine.uploader import Uploaded, image_jobs
        from wxsync.images import ImageError

        urls: dict[str, str] = {}
        thumb = ""
        for job in image_jobs(manuscript):
            result = uploads.get(job)
            if result is None:
                raise PostFailed(
                    f"image {job.key} was not uploaded: {self.halt.reason or 'see above'}",
                    transient=True,
                )
            if not isinstance(result, Uploaded):
                transient = not isinstance(result, ImageError) or (
                    job.ref is not None and job.ref.kind == "remote"
                )
                raise PostFailed(
                    f"image {job.key}: {result}",
                    transient=transient,
                    line=line_of(manuscript.post, job.key) if manuscript.post else 0,
                )
            if job.cover:
                thumb = result.media_id
            else:
                urls[job.key] = result.url
        return urls, thumb

    def _article(self, manuscript: Manuscript, html: str, thumb: str) -> Article:
        from wxsync.wechat.client import Article

        post = manuscript.post
        assert post is not None
        options = post.wechat
        comments = options.comments if options.comments is not None else self.settings.comments
        fans_only = (
            options.fans_only_comments
            if options.fans_only_comments is not None
            else self.settings.fans_only_comments
        )
        return Article(
            title=post.title,
            content=html,
            thumb_media_id=thumb,
            author=post.author,
            digest=post.digest,
            content_source_url=manuscript.source_url,
            need_open_comment=int(comments),
            only_fans_can_comment=int(comments and fans_only),
            pic_crop_235_1=options.cover_crop,
        )

    def publishing_refused(self, record: Record) -> str:
        """Why this account may not publish (48001 earlier in this run), recorded on `record`;
        "" while it may."""
        if self._publish_blocked:
            self.fail_for_good(record, self._publish_blocked, code=48001)
        return self._publish_blocked

    def submit_draft(self, record: Record, *, content_hash: str, media_id: str, label: str) -> str:
        """Submit a draft for publishing, recording the intent first; the publish job's id.

        Raises what WeChat answered. A lost answer (AmbiguousResultError) leaves the intent for
        the next run to check. An account that may not publish (PermissionDeniedError, 48001)
        is recorded on `record` for good, and the rest of the run is refused without asking
        (`publishing_refused`): the drafts stay.
        """
        from wxsync.wechat.errors import PermissionDeniedError

        intent = Intent(
            op="submit", hash=content_hash, title=record.title, at=now_iso(), media_id=media_id
        )
        try:
            return self.call_once(
                record,
                intent,
                partial(self.client.submit_publish, media_id),
                announce=f"{label}: publishing",
            )
        except PermissionDeniedError as error:
            self.fail_for_good(record, error.advice, code=error.code)
            self._publish_blocked = error.advice
            raise

    def submit(self, path: str, record: PostRecord, outcome: Outcome) -> None:
        from wxsync.wechat.errors import (
            AmbiguousResultError,
            InvalidMediaError,
            PermissionDeniedError,
        )

        if refused := self.publishing_refused(record):
            outcome.status, outcome.message = DRAFTED, refused
            return
        try:
            publish_id = self.submit_draft(
                record, content_hash=record.draft_hash, media_id=record.draft_media_id, label=path
            )
        except AmbiguousResultError:
            outcome.status = PUBLISHING
            outcome.message = (
                "the publish request got no answer; the next run checks whether it went through"
            )
            return
        except PermissionDeniedError as error:
            outcome.status, outcome.message = DRAFTED, error.advice
            self.progress(f"{path}: kept as a draft: {error.advice}")
            return
        except InvalidMediaError:
            with self._lock:
                record.draft_media_id, record.draft_hash = "", ""
                self._save()
            raise PostFailed(
                "the draft disappeared from WeChat before publishing; the next run recreates it",
                transient=True,
            ) from None
        with self._lock:
            record.publish_id, record.publish_hash = publish_id, record.draft_hash
            record.intent, record.error = None, None
            record.status = PUBLISHING
            record.touch()
            self._save()
        outcome.status, outcome.message = PUBLISHING, ""

    def poll(self, polls: list[tuple[str, PostRecord, Outcome]]) -> None:
        """Poll every running publish job together, backing off, within `publish_timeout`."""
        pending = [p for p in polls if p[1].publish_id]
        if not pending or self.halt.reason:
            return
        deadline = self.clock() + self.settings.publish_timeout
        delay = self.poll_delay
        with ThreadPoolExecutor(max_workers=self.settings.jobs) as pool:
            while pending:
                answers = list(pool.map(lambda p: self._poll_once(*p), pending))
                pending = [p for p, done in zip(pending, answers, strict=True) if not done]
                if not pending:
                    break
                remaining = deadline - self.clock()
                if remaining <= 0 or self.halt.reason:
                    for path, _record, outcome in pending:
                        outcome.status = PUBLISHING
                        outcome.message = "still publishing; the next run checks again"
                        self.progress(f"{path}: still publishing")
                    break
                self.sleep(min(delay, remaining))
                delay = min(delay * 2, MAX_POLL_DELAY)

    def _poll_once(self, path: str, record: PostRecord, outcome: Outcome) -> bool:
        """One `freepublish/get`; True when the job is finished (or cannot be checked now)."""
        from wxsync.wechat.errors import InvalidRequestError, NotFoundError

        try:
            status = self.client.get_publish(record.publish_id)
        except (InvalidRequestError, NotFoundError):
            self._lost_job(path, record, outcome)
            return True
        except WxsyncError as error:
            if self.halt.check(error):
                return True
            outcome.status, outcome.message = (
                PUBLISHING,
                f"could not check on publishing ({error}); the next run will",
            )
            return not is_transient(error)
        if not status.finished:
            return False
        with self._lock:
            if status.succeeded:
                record.article_id = status.article_id
                record.url = status.article_urls[0] if status.article_urls else ""
                record.published_hash = record.publish_hash
                record.status, record.error = PUBLISHED, None
                record.draft_media_id = record.draft_hash = ""
                record.published_at = now_iso()
                record.touch()
                outcome.status, outcome.url, outcome.message = PUBLISHED, record.url, ""
                self.progress(f"{path}: published {record.url}")
            else:
                detail = status.name + (
                    f" (articles {list(status.fail_idx)})" if status.fail_idx else ""
                )
                record.publish_id = record.publish_hash = ""
                if status.status in (5, 6):
                    record.article_id = status.article_id
                record.status = FAILED
                record.fail(f"publishing ended: {detail}", code=status.status, transient=False)
                outcome.status, outcome.message = FAILED, f"publishing ended: {detail}"
                self.progress(f"{path}: {outcome.message}")
            self._save()
        return True

    def _lost_job(self, path: str, record: PostRecord, outcome: Outcome) -> None:
        """WeChat no longer knows the publish job (the account was reset, or the job expired).

        Asking again would get the same answer forever. The article is looked for among the
        published ones; if it is not there, the job is forgotten so the next run publishes anew.
        """
        from wxsync.engine.reconcile import Reconciler

        reconciler = Reconciler(self.client, self._save, settle=0, budget=0)
        try:
            with self._lock:
                resolution = reconciler.lost_job(record)
        except WxsyncError as error:
            outcome.status = FAILED
            outcome.message = (
                f"WeChat no longer knows the publish job, and checking failed ({error})"
            )
            return
        if record.status == PUBLISHED:
            outcome.status, outcome.url, outcome.message = PUBLISHED, record.url, ""
        else:
            outcome.status, outcome.message = FAILED, resolution.message
        self.progress(f"{path}: {resolution.message}")

    def delete(self, action: Action, record: PostRecord, outcome: Outcome) -> None:
        from wxsync.wechat.errors import InvalidMediaError, NotFoundError

        try:
            if record.article_id:
                self.client.delete_published(record.article_id)
            elif record.draft_media_id:
                self.client.delete_draft(record.draft_media_id)
        except (InvalidMediaError, NotFoundError):
            pass  # already gone
        with self._lock:
            self.state.posts.pop(action.path, None)
            self._save()
        outcome.status, outcome.message = "deleted", action.reason
