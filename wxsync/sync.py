"""The engine: make the WeChat account agree with the repository, exactly once.

One run: read the state file, work out which posts changed (without reading the others),
reconcile anything an interrupted run left half-done, plan, then carry the plan out. Images of
all posts are uploaded first, a few at a time; drafts are written one post at a time, each
guarded by an intent; publish jobs are then polled together within a time budget. The state
file is saved after every successful WeChat call, so a crash at any instant costs nothing but
the work in flight, and the next run picks up where this one stopped.

One post failing never stops the others. Only account-wide failures stop the API work: wrong
credentials, an IP missing from the whitelist, a spent daily quota.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from wxsync.config import Settings
from wxsync.errors import ConfigError, WxsyncError
from wxsync.manuscript import (
    CONTENT_BYTE_LIMIT,
    CONTENT_CHAR_LIMIT,
    Manuscript,
    examine,
    facts_from_record,
    line_of,
    mark,
    render_fingerprint,
    render_options,
)
from wxsync.plan import Action, Kind, PlanSettings, PostFacts, plan
from wxsync.report import Outcome, SyncReport
from wxsync.sources import SourceIndex
from wxsync.state import (
    DRAFTED,
    FAILED,
    INVALID,
    PUBLISHED,
    PUBLISHING,
    SCHEDULED,
    SKIPPED,
    Intent,
    PostRecord,
    State,
    load,
    now_iso,
    save,
)

if TYPE_CHECKING:
    from wxsync.render import Renderer
    from wxsync.uploader import Job, Uploaded
    from wxsync.wechat.client import WeChatClient

log = logging.getLogger("wxsync.sync")

CACHE_FILE = ".wxsync/cache/ids.json"
PREVIEW_DIR = ".wxsync/preview"
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
class _Work:
    """A post the run writes to WeChat: its action, its examined manuscript, its record."""

    action: Action
    manuscript: Manuscript
    record: PostRecord
    outcome: Outcome


def make_client(settings: Settings, on_token: Callable[[str], None] | None = None) -> WeChatClient:
    """A client for the configured account, or a `ConfigError` naming the missing variable."""
    import requests

    from wxsync.wechat.client import WeChatClient

    missing = [
        name
        for name, value in (("WECHAT_APPID", settings.appid), ("WECHAT_APPSECRET", settings.secret))
        if not value
    ]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} not set: export {'them' if len(missing) > 1 else 'it'} "
            "(on GitHub, add repository secrets and pass them to the action); "
            "`wxsync sync --dry-run` works without them"
        )
    session = requests.Session()
    if settings.proxy:
        session.proxies = {"https": settings.proxy, "http": settings.proxy}
    return WeChatClient(
        settings.appid,
        settings.secret,
        base_url=settings.api_base,
        session=session,
        on_token=on_token,
    )


class Engine:
    def __init__(
        self,
        settings: Settings,
        *,
        client_factory: Callable[[], WeChatClient] | None = None,
        progress: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        poll_delay: float = 0.5,
    ) -> None:
        self.settings = settings
        self._client_factory = client_factory or (lambda: make_client(settings))
        self._client: WeChatClient | None = None
        self.progress = progress or (lambda _line: None)
        self.clock, self.sleep, self.now = clock, sleep, now
        self.poll_delay = poll_delay
        self._lock = threading.RLock()
        self.state = State()
        self.report = SyncReport()
        self._renderer: Renderer | None = None
        self._fingerprint = ""
        self._index: SourceIndex | None = None
        self._halted = ""
        self._publish_blocked = ""

    # -- the run ---------------------------------------------------------------------------------

    def run(
        self,
        *,
        dry_run: bool = False,
        only: Iterable[str] = (),
        retry: bool = False,
        previews: bool = True,
    ) -> SyncReport:
        """Sync (or with `dry_run`, plan and write previews, when `previews`); see the module doc."""
        settings = self.settings
        self.report = SyncReport(dry_run=dry_run)
        self.state = load(settings.state_path)
        index = self._index = SourceIndex.build(settings.root, settings.root / CACHE_FILE)
        paths = index.posts(settings.content_dir)
        selected = self._select(paths, only)
        facts, manuscripts = self._facts(selected)

        if not dry_run and self.state.intents():
            self._reconcile()

        plan_settings = PlanSettings(
            mode=settings.mode, delete_removed=settings.delete_removed, retry=retry
        )
        actions = plan(facts, self.state, plan_settings, self.now())
        if only:
            actions = [a for a in actions if a.path in selected]

        if dry_run:
            self._dry_run(actions, manuscripts, previews=previews)
        else:
            for path, manuscript in manuscripts.items():
                self._remember(path, manuscript)
            self._carry_out(actions, manuscripts)
            self._save()
        index.save_cache()
        self.report.api_calls = sum(self._client.calls.values()) if self._client else 0
        self.report.halted = self._halted
        return self.report

    def _select(self, paths: list[str], only: Iterable[str]) -> list[str]:
        wanted = {self._relative(p) for p in only}
        if not wanted:
            return paths
        unknown = wanted - set(paths)
        if unknown:
            raise ConfigError(
                f"--only: not a post under {self.settings.content}: {', '.join(sorted(unknown))}"
            )
        return [p for p in paths if p in wanted]

    def _relative(self, path: str) -> str:
        full = Path(path)
        if not full.is_absolute():
            full = Path.cwd() / full
        try:
            return full.resolve().relative_to(self.settings.root.resolve()).as_posix()
        except ValueError:
            raise ConfigError(f"--only: {path} is outside the repository") from None

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            from wxsync.render import Renderer

            self._renderer = Renderer(render_options(self.settings))
            self._fingerprint = render_fingerprint(self._renderer, self.settings)
        return self._renderer

    @property
    def fingerprint(self) -> str:
        _ = self.renderer
        return self._fingerprint

    def _facts(self, paths: list[str]) -> tuple[list[PostFacts], dict[str, Manuscript]]:
        """Facts for every post: from the state file when unchanged, else by examining the file."""
        assert self._index is not None
        facts: list[PostFacts] = []
        manuscripts: dict[str, Manuscript] = {}
        for path in paths:
            record = self.state.posts.get(path)
            cached = (
                facts_from_record(path, record, self._index, self.fingerprint) if record else None
            )
            if cached is None:
                manuscript = manuscripts[path] = self._examine(path)
                cached = manuscript.facts()
            facts.append(cached)
        return facts, manuscripts

    def _examine(self, path: str) -> Manuscript:
        assert self._index is not None
        return examine(path, self.settings, self._index, self.renderer, self.fingerprint)

    def _remember(self, path: str, manuscript: Manuscript) -> None:
        record = self.state.post(path)
        manuscript.remember(record, self.fingerprint)
        record.hash = manuscript.hash

    @property
    def client(self) -> WeChatClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def _save(self) -> None:
        with self._lock:
            save(self.state, self.settings.state_path)

    # -- reconciliation ---------------------------------------------------------------------------

    def _reconcile(self) -> None:
        from wxsync.reconcile import Reconciler

        reconciler = Reconciler(
            self.client,
            self._save,
            settle=self.settings.publish_settle,
            budget=self.settings.publish_timeout,
            clock=self.clock,
            sleep=self.sleep,
            now=self.now,
        )
        for path, record in self.state.intents():
            self.progress(
                f"{path}: checking an interrupted {record.intent.op if record.intent else ''}"
            )
            try:
                resolution = reconciler.resolve(record)
            except WxsyncError as error:
                if self._stop_if_account_wide(error):
                    return
                log.warning("%s: could not reconcile yet: %s", path, error)
                continue
            log.info("%s: %s", path, resolution.message)

    # -- dry run -------------------------------------------------------------------------------------

    def _dry_run(
        self, actions: list[Action], manuscripts: dict[str, Manuscript], *, previews: bool
    ) -> None:
        preview = self.settings.root / PREVIEW_DIR
        for action in actions:
            outcome = self._outcome(
                action, "planned" if action.calls_api else _passive_status(action.kind)
            )
            if previews and action.kind in (Kind.CREATE, Kind.UPDATE, Kind.REPUBLISH, Kind.INVALID):
                manuscript = manuscripts.get(action.path) or self._examine(action.path)
                written = self._write_preview(manuscript, preview)
                if written and action.kind != Kind.INVALID:
                    outcome.message = f"{action.reason}; preview: {written.relative_to(self.settings.root).as_posix()}"
            self.report.outcomes.append(outcome)

    def _write_preview(self, manuscript: Manuscript, folder: Path) -> Path | None:
        if manuscript.post is None:
            return None
        content = (
            Path(manuscript.path).relative_to(self.settings.content)
            if manuscript.path.startswith(self.settings.content.rstrip("/") + "/")
            else Path(manuscript.path)
        )
        target = (folder / content).with_suffix(".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        result = self.renderer.render(manuscript.post.body)
        urls: dict[str, str] = {}
        for src, data in result.generated.items():
            name = f"{target.stem}-{len(urls)}.png"
            (target.parent / name).write_bytes(data)
            urls[src] = name
        for src, ref in manuscript.images.items():
            if ref.path is not None:
                urls[src] = os.path.relpath(ref.path, target.parent)
        html = self.renderer.render(manuscript.post.body, image_url=lambda s: urls.get(s, s)).html
        target.write_text(html, encoding="utf-8")
        return target

    # -- carrying out the plan ---------------------------------------------------------------------

    def _carry_out(self, actions: list[Action], manuscripts: dict[str, Manuscript]) -> None:
        writes: list[_Work] = []
        submits: list[tuple[str, PostRecord, Outcome]] = []
        polls: list[tuple[str, PostRecord, Outcome]] = []
        for action in actions:
            record = self.state.post(action.path) if action.kind != Kind.REMOVED else PostRecord()
            outcome = self._outcome(action, _passive_status(action.kind))
            self.report.outcomes.append(outcome)
            if action.kind in (Kind.CREATE, Kind.UPDATE, Kind.REPUBLISH):
                manuscript = manuscripts.get(action.path) or self._examine(action.path)
                writes.append(_Work(action, manuscript, record, outcome))
            elif action.kind == Kind.PUBLISH:
                submits.append((action.path, record, outcome))
            elif action.kind == Kind.RESUME:
                polls.append((action.path, record, outcome))
            elif action.kind == Kind.RECONCILE:
                outcome.status, outcome.message = (
                    PUBLISHING,
                    "an interrupted call is still being checked; the next run continues",
                )
            elif action.kind == Kind.DELETE:
                self._guard(
                    action.path, outcome, record, partial(self._delete, action, record, outcome)
                )
            else:
                self._mark_passive(action, record)

        uploads = self._upload_images(writes)
        for work in writes:
            self._guard(
                work.action.path,
                work.outcome,
                work.record,
                partial(self._write_draft, work, uploads),
            )
            if work.action.publish and work.outcome.status == DRAFTED:
                submits.append((work.action.path, work.record, work.outcome))
        for path, record, outcome in submits:
            self._guard(path, outcome, record, partial(self._submit, path, record, outcome))
            if outcome.status == PUBLISHING:
                polls.append((path, record, outcome))
        self._poll(polls)

    def _outcome(self, action: Action, status: str) -> Outcome:
        record = self.state.posts.get(action.path)
        url = record.url if record and status in ("unchanged", "warning") else ""
        line = 0
        if action.kind == Kind.INVALID and action.reason.startswith(action.path + ":"):
            line = int(action.reason[len(action.path) + 1 :].split(":", 1)[0] or 0)
        return Outcome(
            action.path, action.title, action.describe(), status, url, action.reason, line
        )

    def _mark_passive(self, action: Action, record: PostRecord) -> None:
        """Record skipped, scheduled and invalid posts that are not on WeChat yet."""
        status = {Kind.SKIP: SKIPPED, Kind.WAIT: SCHEDULED, Kind.INVALID: INVALID}.get(action.kind)
        on_wechat = record.draft_media_id or record.article_id or record.publish_id
        if status and not on_wechat and record.status != status:
            record.status = status
            record.touch()

    def _guard(
        self, path: str, outcome: Outcome, record: PostRecord, work: Callable[[], None]
    ) -> None:
        """Run one post's API work; record its failure and carry on with the others."""
        if self._halted:
            outcome.status, outcome.message = FAILED, f"not attempted: {self._halted}"
            return
        try:
            work()
        except PostFailed as failure:
            self._fail(
                path,
                outcome,
                record,
                str(failure),
                transient=failure.transient,
                code=failure.code,
                line=failure.line,
            )
        except WxsyncError as error:
            if self._stop_if_account_wide(error):
                outcome.status, outcome.message = FAILED, self._halted
                return
            self._fail(
                path,
                outcome,
                record,
                str(error),
                transient=_is_transient(error),
                code=getattr(error, "code", None),
            )

    def _fail(
        self,
        path: str,
        outcome: Outcome,
        record: PostRecord,
        message: str,
        *,
        transient: bool,
        code: int | None,
        line: int = 0,
    ) -> None:
        with self._lock:
            if record.status not in (DRAFTED, PUBLISHING, PUBLISHED):
                record.status = FAILED
            record.fail(message, code=code, transient=transient)
            self._save()
        outcome.status, outcome.message, outcome.line = FAILED, message, line
        self.progress(f"{path}: failed: {message}")

    def _stop_if_account_wide(self, error: WxsyncError) -> bool:
        from wxsync.wechat.errors import CredentialError, IPNotWhitelistedError, QuotaExhaustedError

        if isinstance(
            error, CredentialError | IPNotWhitelistedError | QuotaExhaustedError | ConfigError
        ):
            self._halted = str(error)
            return True
        return False

    # -- images ----------------------------------------------------------------------------------

    def _upload_images(self, writes: list[_Work]) -> dict[Job, Uploaded | WxsyncError]:
        from wxsync.uploader import Uploader

        jobs: list[Job] = []
        for work in writes:
            jobs.extend(self._jobs(work.manuscript))
        if not jobs or self._halted:
            return {}
        import requests

        uploader = Uploader(
            self.client,
            self.state,
            self._save,
            session=requests.Session(),
            jobs=self.settings.jobs,
            animated_gif=self.settings.animated_gif,
            cover_color=self.settings.cover_color,
        )
        self.progress(f"uploading {len(set(jobs))} images")
        try:
            results = uploader.upload_all(jobs)
        except WxsyncError as error:
            if self._stop_if_account_wide(error):
                return {}
            raise
        for result in results.values():
            if isinstance(result, WxsyncError) and self._stop_if_account_wide(result):
                break
        return results

    def _jobs(self, manuscript: Manuscript) -> list[Job]:
        from wxsync.uploader import Job

        if manuscript.post is None or manuscript.render is None:
            return []
        jobs = [Job(src, ref=ref) for src, ref in manuscript.images.items()]
        jobs += [Job(src, data=data) for src, data in manuscript.render.generated.items()]
        cover = manuscript.cover
        if cover is not None:
            jobs.append(Job("cover", ref=cover.ref, cover=True, title=manuscript.post.title))
        return jobs

    # -- drafts and publishing --------------------------------------------------------------------

    def _write_draft(self, work: _Work, uploads: dict[Job, Uploaded | WxsyncError]) -> None:
        from wxsync.wechat.errors import AmbiguousResultError, InvalidMediaError

        action, manuscript, record, outcome = (
            work.action,
            work.manuscript,
            work.record,
            work.outcome,
        )
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
            self.renderer.render(post.body, image_url=lambda src: urls.get(src, src)).html,
            manuscript.hash,
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
        if action.kind == Kind.UPDATE and record.draft_media_id:
            try:
                self.client.update_draft(record.draft_media_id, 0, article)
            except InvalidMediaError:
                # The draft is gone (deleted, or published by hand in the editor): make a new one.
                record.draft_media_id = ""
            else:
                self._drafted(record, record.draft_media_id, manuscript.hash, outcome)
                return
        with self._lock:
            record.intent = Intent(
                op="draft_add", hash=manuscript.hash, title=post.title, at=now_iso()
            )
            self._save()
        try:
            media_id = self.client.add_draft([article])
        except AmbiguousResultError:
            if self._reconcile_now(record):
                outcome.status = DRAFTED
                return
            raise
        except WxsyncError:
            with self._lock:
                record.intent = None  # WeChat answered: nothing was created
            raise
        self._drafted(record, media_id, manuscript.hash, outcome)

    def _reconcile_now(self, record: PostRecord) -> bool:
        """Check at once whether a draft/add that got no answer landed; True if it did."""
        from wxsync.reconcile import Reconciler

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
        from wxsync.images import ImageError
        from wxsync.uploader import Uploaded

        urls: dict[str, str] = {}
        thumb = ""
        for job in self._jobs(manuscript):
            result = uploads.get(job)
            if result is None:
                raise PostFailed(
                    f"image {job.key} was not uploaded: {self._halted or 'see above'}",
                    transient=True,
                )
            if not isinstance(result, Uploaded):
                transient = not isinstance(result, ImageError) or (
                    job.ref is not None and job.ref.kind == "remote"
                )
                raise PostFailed(
                    f"image {job.key}: {result}",
                    transient=transient,
                    line=_line(manuscript, job.key),
                )
            if job.cover:
                thumb = result.media_id
            else:
                urls[job.key] = result.url
        return urls, thumb

    def _article(self, manuscript: Manuscript, html: str, thumb: str):  # type: ignore[no-untyped-def]
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
            content_source_url=options.source_url,
            need_open_comment=int(comments),
            only_fans_can_comment=int(comments and fans_only),
            pic_crop_235_1=options.cover_crop,
        )

    def _submit(self, path: str, record: PostRecord, outcome: Outcome) -> None:
        from wxsync.wechat.errors import (
            AmbiguousResultError,
            InvalidMediaError,
            PermissionDeniedError,
        )

        if self._publish_blocked:
            with self._lock:
                record.fail(self._publish_blocked, code=48001, transient=False)
                self._save()
            outcome.status, outcome.message = DRAFTED, self._publish_blocked
            return
        with self._lock:
            record.intent = Intent(
                op="submit",
                hash=record.draft_hash,
                title=record.title,
                at=now_iso(),
                media_id=record.draft_media_id,
            )
            self._save()
        self.progress(f"{path}: publishing")
        try:
            publish_id = self.client.submit_publish(record.draft_media_id)
        except AmbiguousResultError:
            outcome.status = PUBLISHING
            outcome.message = (
                "the publish request got no answer; the next run checks whether it went through"
            )
            return
        except PermissionDeniedError as error:
            with self._lock:
                record.intent = None
                record.fail(error.advice, code=error.code, transient=False)
                self._save()
            self._publish_blocked = error.advice
            outcome.status, outcome.message = DRAFTED, error.advice
            self.progress(f"{path}: kept as a draft: {error.advice}")
            return
        except InvalidMediaError:
            with self._lock:
                record.intent, record.draft_media_id, record.draft_hash = None, "", ""
                self._save()
            raise PostFailed(
                "the draft disappeared from WeChat before publishing; the next run recreates it",
                transient=True,
            ) from None
        except WxsyncError:
            with self._lock:
                record.intent = None
            raise
        with self._lock:
            record.publish_id, record.publish_hash = publish_id, record.draft_hash
            record.intent, record.error = None, None
            record.status = PUBLISHING
            record.touch()
            self._save()
        outcome.status, outcome.message = PUBLISHING, ""

    def _poll(self, polls: list[tuple[str, PostRecord, Outcome]]) -> None:
        """Poll every running publish job together, backing off, within `publish_timeout`."""
        pending = [p for p in polls if p[1].publish_id]
        if not pending or self._halted:
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
                if remaining <= 0 or self._halted:
                    for path, _record, outcome in pending:
                        outcome.status = PUBLISHING
                        outcome.message = "still publishing; the next run checks again"
                        self.progress(f"{path}: still publishing")
                    break
                self.sleep(min(delay, remaining))
                delay = min(delay * 2, MAX_POLL_DELAY)

    def _poll_once(self, path: str, record: PostRecord, outcome: Outcome) -> bool:
        """One `freepublish/get`; True when the job is finished (or cannot be checked now)."""
        try:
            status = self.client.get_publish(record.publish_id)
        except WxsyncError as error:
            if self._stop_if_account_wide(error):
                return True
            outcome.status, outcome.message = (
                PUBLISHING,
                f"could not check on publishing ({error}); the next run will",
            )
            return not _is_transient(error)
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

    def _delete(self, action: Action, record: PostRecord, outcome: Outcome) -> None:
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


def _passive_status(kind: Kind) -> str:
    return {
        Kind.NOTHING: "unchanged",
        Kind.SKIP: "skipped",
        Kind.WAIT: "waiting",
        Kind.WARN: "warning",
        Kind.INVALID: INVALID,
        Kind.REMOVED: "removed",
    }.get(kind, "pending")


def _is_transient(error: WxsyncError) -> bool:
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


def _line(manuscript: Manuscript, needle: str) -> int:
    return line_of(manuscript.post, needle) if manuscript.post else 0
