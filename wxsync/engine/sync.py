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
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from wxsync.config import Settings
from wxsync.content.links import PostIndex
from wxsync.engine.adopt import horizon
from wxsync.engine.links import LinkResolver, SiteUrl, site_addresses
from wxsync.engine.manuscript import (
    Manuscript,
    examine,
    facts_from_record,
    fit_article,
    render_fingerprint,
    render_options,
)
from wxsync.engine.messages import MESSAGE_API_KINDS, Message, MessageAction, group, plan_message
from wxsync.engine.once import Desk
from wxsync.engine.plan import Action, Kind, PlanSettings, PostFacts, passive_status, plan, waves
from wxsync.engine.publisher import Halt, PostFailed, Publisher, Work, is_transient
from wxsync.engine.sources import SourceIndex
from wxsync.engine.state import (
    DRAFTED,
    FAILED,
    INVALID,
    NEW,
    PUBLISHED,
    PUBLISHING,
    SCHEDULED,
    SKIPPED,
    PostRecord,
    State,
    check_writable,
    load,
    save,
)
from wxsync.errors import ConfigError, WxsyncError
from wxsync.report import Outcome, SyncReport

if TYPE_CHECKING:
    import requests

    from wxsync.engine.broadcaster import Broadcaster
    from wxsync.engine.uploader import Job, Uploaded
    from wxsync.render import Renderer
    from wxsync.site import Site
    from wxsync.wechat.client import WeChatClient

log = logging.getLogger("wxsync.engine.sync")

CACHE_FILE = ".wxsync/cache/ids.json"
PREVIEW_DIR = ".wxsync/preview"
UNUSABLE_NAME = "the file name is not UTF-8 or holds a line break: rename the file"
PRIVATE_PATTERNS = (
    "# written by wxsync: local files that must not be committed\npreview/\ncache/\n*.lock\n*.tmp\n"
)


def wechat_session(settings: Settings, session: requests.Session | None = None) -> requests.Session:
    """The HTTP session for WeChat calls: `proxy` set on it alone (ahead of any proxy in the
    environment, which would otherwise win), never exported where git would see it."""
    import requests

    session = session or requests.Session()
    if settings.proxy:
        session.trust_env = False  # else HTTPS_PROXY from the environment overrides ours
        session.proxies = {"https": settings.proxy, "http": settings.proxy}
        # Without trust_env requests no longer reads these itself.
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        session.verify = bundle or True
    return session


def make_client(
    settings: Settings,
    on_token: Callable[[str], None] | None = None,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WeChatClient:
    """A client for the configured account, or a `ConfigError` naming the missing variable.

    `sleep` is how it waits between retries (the CI job passes one that a cancellation ends).
    """
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
    return WeChatClient(
        settings.appid,
        settings.secret,
        base_url=settings.api_base,
        session=wechat_session(settings, session),
        on_token=on_token,
        sleep=sleep,
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
        site_url: SiteUrl | None = None,
    ) -> None:
        self.settings = settings
        self._site_url = site_url  # None: the detected site's addresses
        self._client_factory = client_factory or (lambda: make_client(settings))
        self._client: WeChatClient | None = None
        self.progress = progress or (lambda _line: None)
        self._warned: set[str] = set()  # posts whose warnings were already printed
        self.clock, self.sleep, self.now = clock, sleep, now
        self.poll_delay = poll_delay
        self._lock = threading.RLock()
        self.state = State()
        self.report = SyncReport()
        self._renderer: Renderer | None = None
        self._fingerprint = ""
        self._index: SourceIndex | None = None
        self.halt = Halt()
        self._publisher: Publisher | None = None
        self._broadcaster: Broadcaster | None = None
        self._unsaved = False
        self._unsearched: dict[str, str] = {}  # posts not created: WeChat could not be searched
        self._adopted: dict[str, str] = {}  # posts found on WeChat: what was found
        self._unsettled: dict[str, str] = {}  # post → why its interrupted call is still open
        self._links: LinkResolver | None = None
        self._every: list[str] = []  # every post of the content folder, whatever the run's scope
        self._plan_settings = PlanSettings()
        self._site: Site | None = None

    # -- the run ---------------------------------------------------------------------------------

    def run(
        self,
        *,
        dry_run: bool = False,
        only: Iterable[str] = (),
        retry: bool = False,
        previews: bool = True,
        scope: str = "",
    ) -> SyncReport:
        """Sync (or with `dry_run`, plan and write previews, when `previews`); see the module doc.

        `scope` (a repository-relative folder) narrows the run to the posts under it, as `only`
        narrows it to single posts. A narrowed run never counts the posts it does not see as
        removed: deleting needs the whole content folder in view.
        """
        if previews or not dry_run:
            ignore_private_files(self.settings.root)
        if dry_run:
            return self._run(dry_run=True, only=only, retry=retry, previews=previews, scope=scope)
        from wxsync.engine.lock import run_lock

        check_writable(self.settings.state_path)
        with run_lock(self.settings.state_path):
            return self._run(dry_run=False, only=only, retry=retry, previews=previews, scope=scope)

    def _run(
        self, *, dry_run: bool, only: Iterable[str], retry: bool, previews: bool, scope: str
    ) -> SyncReport:
        settings = self.settings
        only = list(only)
        self.report = SyncReport(dry_run=dry_run)
        self.state = load(settings.state_path)
        known = horizon(self.state)  # before this run touches any record
        fresh = not self.state.posts and not self.state.messages  # first run, or a lost file
        self.halt, self._publisher, self._broadcaster = Halt(), None, None
        self._unsearched, self._adopted, self._unsettled = {}, {}, {}
        if dry_run:
            self.progress(self.site.describe())
        index = self._index = SourceIndex.build(settings.root, settings.root / CACHE_FILE)
        folder = scope or settings.content
        paths = self._posts(index, scope, report_unusable=not only)
        selected = self._select(paths, only)
        facts, manuscripts = self._facts(selected)
        renamed = self._carry_renames(facts, manuscripts)
        messages, _singles = group(facts, settings.mode)
        grouped = {path for message in messages for path in message.paths}
        self._detach(grouped)

        if not dry_run and (self.state.intents() or self.state.message_intents()):
            self._reconcile()
        if not dry_run and fresh and messages:
            self._adopt_messages(messages)

        whole = not only and self._whole(scope)
        plan_settings = self._plan_settings = PlanSettings(
            mode=settings.mode, delete_removed=settings.delete_removed and whole, retry=retry
        )

        def planned() -> list[Action]:
            actions = plan(facts, self.state, plan_settings, self.now())
            actions = [a for a in actions if a.path not in grouped]
            if only:
                return [a for a in actions if a.path in selected]
            return actions if whole else [a for a in actions if _under(a.path, folder)]

        actions = self._adopted_plan(planned, facts, known) if not dry_run else planned()
        message_plans = [
            (
                m,
                plan_message(
                    m, self.state.messages.get(m.key), settings.mode, self.now(), retry=retry
                ),
            )
            for m in messages
        ]

        if dry_run:
            self._dry_run(actions, manuscripts, previews=previews)
            self._dry_run_messages(message_plans)
        else:
            for path, manuscript in manuscripts.items():
                self._remember(path, manuscript)
            self._unsaved = bool(manuscripts) or bool(renamed)
            self._carry_out(actions, manuscripts)
            if message_plans or self.state.messages:
                from wxsync.engine.outbox import Outbox

                outbox = Outbox(self)
                outbox.carry_out(message_plans, manuscripts, self._examine)
                if settings.delete_removed and whole:  # a narrowed run sees only some messages
                    outbox.retire({m.key for m in messages})
            if self._unsaved:  # API work saved as it went; this is for facts and passive statuses
                self._save()
        self._note_renames(renamed)
        index.save_cache()
        self.report.api_calls = sum(self._client.calls.values()) if self._client else 0
        self.report.halted = self.halt.reason
        return self.report

    def _whole(self, scope: str) -> bool:
        """Whether a run over `scope` ("" for all) sees every post: only then may it delete."""
        if not scope:
            return True
        root = self.settings.root.resolve()
        folders = []
        for folder in self.settings.content_dirs:
            try:
                folders.append(folder.resolve().relative_to(root).as_posix())
            except ValueError:
                return False
        return all(_covers(scope, folder) for folder in folders)

    def _posts(self, index: SourceIndex, scope: str, *, report_unusable: bool) -> list[str]:
        """The posts this run looks at; links resolve against every post of the content folder."""
        every = self._every = index.posts(*self.settings.content_dirs)
        addresses = self._site_url or site_addresses(self.settings, self.site)
        self._links = LinkResolver(PostIndex.build(every), self.state, addresses)
        paths = index.posts(self.settings.path(scope)) if scope else every
        if report_unusable:
            self.report.outcomes.extend(
                Outcome(name, "", "none", INVALID, message=UNUSABLE_NAME) for name in index.unusable
            )
        return paths

    def _note_renames(self, renamed: dict[str, str]) -> None:
        for outcome in self.report.outcomes:
            if outcome.path in renamed:
                note = f"renamed from {renamed[outcome.path]}"
                outcome.message = f"{note}; {outcome.message}" if outcome.message else note

    def _carry_renames(
        self, facts: list[PostFacts], manuscripts: dict[str, Manuscript]
    ) -> dict[str, str]:
        """Give a renamed or moved post the record of the file it used to be (new path → old).

        A post with no record whose old file is gone is the same post if it has the same
        content (what Git's rename detection sees first), or else the same title as exactly one
        vanished post. Without this, `git mv` would publish the post a second time.
        """
        assert self._index is not None
        index = self._index
        orphans = {
            path: record
            for path, record in self.state.posts.items()
            if index.id_of(path) is None
            and (record.draft_media_id or record.article_id or record.publish_id or record.intent)
        }
        renamed: dict[str, str] = {}
        for post in facts:
            if not orphans or post.path in self.state.posts:
                continue
            manuscript = manuscripts.get(post.path)
            source = manuscript.source_id if manuscript else index.id_of(post.path)
            same = [p for p, r in orphans.items() if r.source and r.source == source]
            if not same:
                same = [p for p, r in orphans.items() if r.title and r.title == post.title]
            if len(same) != 1:
                continue
            old = same[0]
            self.state.posts[post.path] = self.state.posts.pop(old)
            del orphans[old]
            renamed[post.path] = old
            self.progress(f"{post.path}: renamed from {old}; its record moves with it")
        return renamed

    def _select(self, paths: list[str], only: Iterable[str]) -> list[str]:
        wanted = {self._relative(p) for p in only}
        if not wanted:
            return paths
        unknown = wanted - set(paths)
        if unknown:
            raise ConfigError(
                f"--only: not a post under {self.settings.content}: {', '.join(sorted(unknown))}"
            )
        # A message goes out whole: naming one of its posts brings the others along.
        keys = {r.message for p in wanted if (r := self.state.posts.get(p)) and r.message}
        return [
            p
            for p in paths
            if p in wanted or ((r := self.state.posts.get(p)) is not None and r.message in keys)
        ]

    def _detach(self, grouped: set[str]) -> None:
        """A post that left its message (or no longer needs one) gets a draft of its own."""
        for path, record in self.state.posts.items():
            if record.in_message and path not in grouped:
                record.in_message = ""
                if not record.article_id:
                    record.draft_media_id = record.draft_hash = ""
                    if record.status == DRAFTED:
                        record.status = NEW

    def _relative(self, path: str) -> str:
        full = Path(path)
        if not full.is_absolute():
            full = Path.cwd() / full
        try:
            return full.resolve().relative_to(self.settings.root.resolve()).as_posix()
        except ValueError:
            raise ConfigError(f"--only: {path} is outside the repository") from None

    @property
    def site(self) -> Site:
        """The repository's site generator and rules, detected once per engine."""
        if self._site is None:
            from wxsync.site import detect

            self._site = detect(self.settings.root, self.settings.site)
        return self._site

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            from wxsync.render import Renderer

            self._renderer = Renderer(render_options(self.settings))
        return self._renderer

    @property
    def fingerprint(self) -> str:
        if not self._fingerprint:
            self._fingerprint = render_fingerprint(self.settings)
        return self._fingerprint

    def _facts(self, paths: list[str]) -> tuple[list[PostFacts], dict[str, Manuscript]]:
        """Facts for every post: from the state file when unchanged, else by examining the file."""
        assert self._index is not None
        facts: list[PostFacts] = []
        manuscripts: dict[str, Manuscript] = {}
        for path in paths:
            record = self.state.posts.get(path)
            address = self._links.address if self._links else None
            cached = (
                facts_from_record(path, record, self._index, self.fingerprint, address)
                if record
                else None
            )
            if cached is None:
                manuscript = manuscripts[path] = self._examine(path)
                cached = manuscript.facts()
            facts.append(cached)
        return facts, manuscripts

    def _examine(self, path: str) -> Manuscript:
        """Examine a post; its warnings (a fitting-ladder step taken, a stray `**`) are printed
        once per run, as `check` prints them."""
        assert self._index is not None
        manuscript = examine(
            path,
            self.settings,
            self._index,
            self.renderer,
            self.fingerprint,
            site=self.site,
            links=self._links,
        )
        if path not in self._warned:
            self._warned.add(path)
            for problem in manuscript.problems:
                if problem.severity == "warning":
                    self.progress(str(problem))
        return manuscript

    def _remember(self, path: str, manuscript: Manuscript) -> None:
        record = self.state.post(path)
        manuscript.remember(record, self.fingerprint)
        record.hash = manuscript.hash

    @property
    def client(self) -> WeChatClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    @property
    def broadcaster(self) -> Broadcaster:
        if self._broadcaster is None:
            from wxsync.engine.broadcaster import Broadcaster

            self._broadcaster = Broadcaster(self._desk(), now=self.now)
        return self._broadcaster

    @property
    def publisher(self) -> Publisher:
        if self._publisher is None:
            self._publisher = Publisher(
                self._desk(),
                renderer=self.renderer,
                halt=self.halt,
                clock=self.clock,
                sleep=self.sleep,
                poll_delay=self.poll_delay,
                reupload=lambda work: self._upload_images([work]),
            )
        return self._publisher

    def _desk(self) -> Desk:
        return Desk(self.client, self.state, self._save, self._lock, self.settings, self.progress)

    def _save(self) -> None:
        with self._lock:
            save(self.state, self.settings.state_path)

    # -- reconciliation ---------------------------------------------------------------------------

    def _reconcile(self) -> None:
        from wxsync.engine.reconcile import Reconciler

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
                if self.halt.check(error):
                    return
                log.warning("%s: could not reconcile yet: %s", path, error)
                self._unsettled[path] = (
                    f"could not check an interrupted call ({error}); the next run will"
                )
                continue
            log.info("%s: %s", path, resolution.message)
        self._reconcile_messages()

    def _adopt_messages(self, messages: list[Message]) -> None:
        """With no state file, find each message's draft or published articles on WeChat."""
        from wxsync.engine import adopt_messages

        try:
            published = adopt_messages.listing(self.client.list_published, published=True)
            drafts = adopt_messages.listing(self.client.list_drafts, published=False)
        except WxsyncError as error:
            if not self.halt.check(error):
                log.warning("could not look for messages already on WeChat: %s", error)
            return
        for message in messages:
            found = adopt_messages.match(message, published) or adopt_messages.match(
                message, drafts
            )
            if found is not None and message.key not in self.state.messages:
                adopt_messages.adopt(self.state, message, found)
                self.progress(f"message {message.key}: found on WeChat; adopted")
                self._unsaved = True

    def _reconcile_messages(self) -> None:
        from wxsync.engine.messenger import Messenger

        messenger = Messenger(self.publisher)
        for key, record in self.state.message_intents():
            if record.intent is None or record.intent.op == "sendall":
                continue  # a mass send is settled by repeating it with the same clientmsgid
            self.progress(f"message {key}: checking an interrupted {record.intent.op}")
            try:
                messenger.reconcile(record, settle=self.settings.publish_settle, now=self.now())
            except WxsyncError as error:
                if self.halt.check(error):
                    return
                log.warning("message %s: could not reconcile yet: %s", key, error)

    # -- adoption ---------------------------------------------------------------------------------

    def _adopted_plan(
        self, planned: Callable[[], list[Action]], facts: list[PostFacts], known: dt.datetime | None
    ) -> list[Action]:
        """The plan, made again if posts it would create were found on WeChat and adopted."""
        actions = planned()
        return planned() if self._adopt(actions, facts, known) else actions

    def _adopt(
        self, actions: list[Action], facts: list[PostFacts], known: dt.datetime | None
    ) -> bool:
        """Look on WeChat for posts about to be created; True if any was found and recorded."""
        creating = [a.path for a in actions if a.kind == Kind.CREATE]
        if not creating:
            return False
        from wxsync.engine import adopt
        from wxsync.wechat.errors import PermissionDeniedError

        added = adopt.first_added(self.settings.root, creating)
        since = max((t for t in (known, added) if t is not None), default=None)
        hashes = {f.path: f.hash for f in facts}
        client = self.client  # no credentials is a configuration error: let it stop the run
        self.progress(f"looking on WeChat for earlier copies of {len(creating)} new posts")
        current = self._every  # a marker naming any post still here is that post's
        try:
            try:
                articles = adopt.search(
                    client.list_published, creating, since, versions=hashes, current=current
                ).found
            except PermissionDeniedError:
                articles = {}  # no publishing permission: nothing was ever published by the API
            rest = [p for p in creating if p not in articles]
            drafts = (
                adopt.search(
                    client.list_drafts, rest, since, versions=hashes, current=current
                ).found
                if rest
                else {}
            )
        except WxsyncError as error:
            if not self.halt.check(error):
                reason = (
                    f"could not look on WeChat for an earlier copy ({error}); not creating it "
                    "blind, the next run tries again"
                )
                self._unsearched = dict.fromkeys(creating, reason)
            return False
        # What a record still holds is that record's, whatever a marker says.
        claimed = {
            i for r in self.state.posts.values() for i in (r.article_id, r.draft_media_id) if i
        }
        articles = {p: f for p, f in articles.items() if f.id not in claimed}
        drafts = {p: f for p, f in drafts.items() if f.id not in claimed}
        with self._lock:
            for path, found in articles.items():
                adopt.adopt_article(self.state.post(path), found, hashes[path])
            for path, found in drafts.items():
                adopt.adopt_draft(self.state.post(path), found, hashes[path])
            if articles or drafts:
                self._save()
        for path in sorted({*articles, *drafts}):
            what = "a published article" if path in articles else "a draft"
            if (articles.get(path) or drafts[path]).renamed:
                what += " (under another file name, same content)"
            self._adopted[path] = what
            self.progress(
                f"{path}: adopted {what} an earlier run made (its state file never reached "
                "the repository); not creating it again"
            )
        return bool(articles or drafts)

    # -- dry run -------------------------------------------------------------------------------------

    def _dry_run(
        self, actions: list[Action], manuscripts: dict[str, Manuscript], *, previews: bool
    ) -> None:
        preview = self.settings.root / PREVIEW_DIR
        for action in actions:
            outcome = self._outcome(
                action, "planned" if action.calls_api else passive_status(action.kind)
            )
            if previews and action.kind in (Kind.CREATE, Kind.UPDATE, Kind.REPUBLISH, Kind.INVALID):
                manuscript = manuscripts.get(action.path) or self._examine(action.path)
                written = self._write_preview(manuscript, preview)
                if written and action.kind != Kind.INVALID:
                    outcome.message = f"{action.reason}; preview: {written.relative_to(self.settings.root).as_posix()}"
            self.report.outcomes.append(outcome)

    def _dry_run_messages(self, plans: list[tuple[Message, MessageAction]]) -> None:
        from wxsync.engine.outbox import outcomes_for

        for message, action in plans:
            status = "planned" if action.kind in MESSAGE_API_KINDS else passive_status(action.kind)
            self.report.outcomes.extend(outcomes_for(message, action, status, {}).values())

    def _write_preview(self, manuscript: Manuscript, folder: Path) -> Path | None:
        if manuscript.post is None or manuscript.render is None:
            return None
        content = (
            Path(manuscript.path).relative_to(self.settings.content)
            if manuscript.path.startswith(self.settings.content.rstrip("/") + "/")
            else Path(manuscript.path)
        )
        target = (folder / content).with_suffix(".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        urls: dict[str, str] = {}
        for src, data in manuscript.render.generated.items():  # examine rendered it already
            name = f"{target.stem}-{len(urls)}.png"
            (target.parent / name).write_bytes(data)
            urls[src] = name
        for src, ref in manuscript.images.items():
            if ref.path is not None:
                urls[src] = os.path.relpath(ref.path, target.parent)
        html = fit_article(
            self.renderer,
            manuscript.post.body,
            image_url=lambda s: urls.get(s, s),
            link_url=manuscript.link_urls.get,
        ).result.html
        target.write_text(html, encoding="utf-8")
        return target

    # -- carrying out the plan ---------------------------------------------------------------------

    def _carry_out(self, actions: list[Action], manuscripts: dict[str, Manuscript]) -> None:
        """Carry the plan out in rounds: posts linking to posts published now go after them."""
        linked = {
            a.path: tuple(record.links) if (record := self.state.posts.get(a.path)) else ()
            for a in actions
        }
        for number, batch in enumerate(waves(actions, linked)):
            self._carry_out_round(
                self._replan(batch, manuscripts) if number else batch, manuscripts
            )

    def _replan(self, group: list[Action], manuscripts: dict[str, Manuscript]) -> list[Action]:
        """Examine and plan these posts again: their linked posts now have their article URLs."""
        facts = []
        for action in group:
            manuscript = manuscripts[action.path] = self._examine(action.path)
            self._remember(action.path, manuscript)
            facts.append(manuscript.facts())
        paths = {a.path for a in group}
        actions = plan(facts, self.state, self._plan_settings, self.now())
        return [a for a in actions if a.path in paths]

    def _carry_out_round(self, actions: list[Action], manuscripts: dict[str, Manuscript]) -> None:
        writes: list[Work] = []
        submits: list[tuple[str, PostRecord, Outcome]] = []
        polls: list[tuple[str, PostRecord, Outcome]] = []
        for action in actions:
            record = self.state.post(action.path) if action.kind != Kind.REMOVED else PostRecord()
            outcome = self._outcome(action, passive_status(action.kind))
            self.report.outcomes.append(outcome)
            if action.kind in (Kind.CREATE, Kind.UPDATE, Kind.REPUBLISH):
                manuscript = manuscripts.get(action.path) or self._examine(action.path)
                writes.append(Work(action, manuscript, record, outcome))
            elif action.kind == Kind.PUBLISH:
                submits.append((action.path, record, outcome))
            elif action.kind == Kind.RESUME:
                polls.append((action.path, record, outcome))
            elif action.kind == Kind.RECONCILE:
                outcome.status, outcome.message = self._still_open(action.path)
            elif action.kind == Kind.DELETE:
                self._guard(
                    action.path,
                    outcome,
                    record,
                    partial(self.publisher.delete, action, record, outcome),
                )
            else:
                self._mark_passive(action, record)

        uploads = self._upload_images(writes)
        for work in writes:
            self._write(work, uploads)
            if work.action.publish and work.outcome.status == DRAFTED:
                submits.append((work.action.path, work.record, work.outcome))
        for path, record, outcome in submits:
            self._guard(
                path, outcome, record, partial(self.publisher.submit, path, record, outcome)
            )
            if outcome.status == PUBLISHING:
                polls.append((path, record, outcome))
        if polls:
            self.publisher.poll(polls)

    def _still_open(self, path: str) -> tuple[str, str]:
        """Status and message of a post whose interrupted call is not settled yet."""
        if path in self._unsettled:
            # Not failed for good, but not done either: the run must not look successful.
            return FAILED, self._unsettled[path]
        return PUBLISHING, "an interrupted call is still being checked; the next run continues"

    def _write(self, work: Work, uploads: dict[Job, Uploaded | WxsyncError]) -> None:
        """Write one post's draft, then send it to `preview_to`."""
        path = work.action.path
        self._guard(path, work.outcome, work.record, partial(self._write_draft, work, uploads))
        if work.outcome.status == DRAFTED:
            self._preview(path, work.record, work.outcome)

    def _preview(self, path: str, record: PostRecord, outcome: Outcome) -> None:
        """Send a new or changed draft to `preview_to`; a failure is only a warning."""
        if not self.settings.preview_to:
            return
        try:
            warnings = self.broadcaster.preview(record.draft_media_id, record.draft_hash, record)
        except WxsyncError as error:
            warnings = [f"preview failed: {error}"]
        for warning in warnings:
            self.progress(f"{path}: warning: {warning}")
        if warnings:
            outcome.message = "; ".join(filter(None, [outcome.message, *warnings]))

    def _write_draft(self, work: Work, uploads: dict[Job, Uploaded | WxsyncError]) -> None:
        unsearched = self._unsearched.get(work.action.path)
        if unsearched and work.action.kind == Kind.CREATE:
            raise PostFailed(unsearched, transient=True)
        self.publisher.write_draft(work, uploads)

    def _outcome(self, action: Action, status: str) -> Outcome:
        record = self.state.posts.get(action.path)
        adopted = self._adopted.get(action.path)
        if adopted and status == "unchanged":
            return Outcome(
                action.path,
                action.title,
                "adopt",
                "adopted",
                record.url if record else "",
                f"{adopted} made by an earlier run whose state file was lost; recorded, "
                "not created again",
            )
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
            self._unsaved = True

    def _guard(
        self, path: str, outcome: Outcome, record: PostRecord, work: Callable[[], None]
    ) -> None:
        """Run one post's API work; record its failure and carry on with the others."""
        if self.halt.reason:
            outcome.status, outcome.message = FAILED, f"not attempted: {self.halt.reason}"
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
            if self.halt.check(error):
                outcome.status, outcome.message = FAILED, self.halt.reason
                return
            self._fail(
                path,
                outcome,
                record,
                str(error),
                transient=is_transient(error),
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

    # -- images ----------------------------------------------------------------------------------

    def _upload_images(self, writes: list[Work]) -> dict[Job, Uploaded | WxsyncError]:
        if not writes:  # the uploader's imports (requests, Pillow) cost a no-op run 0.1 s
            return {}
        from wxsync.engine.uploader import Uploader, image_jobs

        jobs: list[Job] = []
        for work in writes:
            jobs.extend(image_jobs(work.manuscript))
        if not jobs or self.halt.reason:
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
            allow_private_hosts=self.settings.images.allow_private_hosts,
        )
        self.progress(f"uploading {len(set(jobs))} images")
        try:
            results = uploader.upload_all(jobs)
        except WxsyncError as error:
            if self.halt.check(error):
                return {}
            raise
        for result in results.values():
            if isinstance(result, WxsyncError) and self.halt.check(result):
                break
        return results


def ignore_private_files(root: Path) -> None:
    """Keep previews, caches and the lock out of commits: they may hold drafts not yet public."""
    ignore = root / ".wxsync" / ".gitignore"
    if ignore.is_file():
        return
    try:
        ignore.parent.mkdir(parents=True, exist_ok=True)
        ignore.write_text(PRIVATE_PATTERNS, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{ignore}: cannot write ({exc.strerror})") from None


def _covers(folder: str, content: str) -> bool:
    """Whether a run over `folder` sees every post of the content folder."""
    return _under(content.rstrip("/") + "/x", folder)


def _under(path: str, folder: str) -> bool:
    prefix = PurePosixPath(folder.strip("/") or ".")
    return prefix == PurePosixPath(".") or prefix in PurePosixPath(path).parents
