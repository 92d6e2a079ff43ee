"""Carrying out the plan for messages: drafts, previews, then publishing or mass sending.

The engine hands over every message with its planned action. Drafts are written message by
message, each failure staying with its message; previews follow each new or changed draft;
messages to mass-send go out in date order until the day's quota is spent; publish jobs and
mass sends are then polled together within `publish_timeout` (later runs resume them).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from wxsync.engine.messages import LATEST, MESSAGE_API_KINDS, Message, MessageAction
from wxsync.engine.messenger import MessageWork, Messenger
from wxsync.engine.plan import Action, Kind, passive_status
from wxsync.engine.publisher import MAX_POLL_DELAY, PostFailed, Work, is_transient
from wxsync.engine.state import (
    DRAFTED,
    FAILED,
    INVALID,
    PUBLISHING,
    SCHEDULED,
    SENDING,
    MessageRecord,
)
from wxsync.errors import WxsyncError
from wxsync.report import Outcome

if TYPE_CHECKING:
    from wxsync.engine.broadcaster import Broadcaster
    from wxsync.engine.manuscript import Manuscript
    from wxsync.engine.sync import Engine
    from wxsync.engine.uploader import Job, Uploaded

log = logging.getLogger("wxsync.engine.outbox")

WRITES = (Kind.CREATE, Kind.UPDATE)
Poll = Callable[[MessageWork], bool]


def label(action: MessageAction) -> str:
    text = str(action.kind)
    if action.kind in WRITES and action.send:
        text += " + mass-send"
    elif action.kind in WRITES and action.publish:
        text += " + publish"
    return text


def outcomes_for(
    message: Message, action: MessageAction, status: str, titles: dict[str, str]
) -> dict[str, Outcome]:
    """One report line per post of the message, each saying where in the message it is."""
    outcomes = {}
    for number, post in enumerate(message.posts, start=1):
        reason = action.reason
        if action.kind == Kind.INVALID and post.problems:
            reason = post.problems[0]
        outcomes[post.path] = Outcome(
            post.path,
            titles.get(post.path, post.title),
            label(action),
            status,
            "",
            reason,
            group=_place(message, post.path, post.parts, number),
        )
    return outcomes


def _place(message: Message, path: str, parts: int, number: int) -> str:
    """Where a post is in its message, for the report: `weekly 1/2`, `in 3 parts`."""
    split = f"in {parts} parts" if parts > 1 else ""
    if message.key == path:
        return split
    return " ".join(filter(None, [f"{message.key} {number}/{len(message.posts)}", split]))


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._messenger: Messenger | None = None

    @property
    def messenger(self) -> Messenger:
        """Made on first use: a run with nothing to send needs no client, nor credentials."""
        if self._messenger is None:
            self._messenger = Messenger(self.engine.publisher)
        return self._messenger

    @property
    def broadcaster(self) -> Broadcaster:
        return self.engine.broadcaster

    def carry_out(
        self,
        plans: list[tuple[Message, MessageAction]],
        manuscripts: dict[str, Manuscript],
        examine: Callable[[str], Manuscript],
    ) -> None:
        works = [self._prepare(m, a, manuscripts, examine) for m, a in sorted(plans, key=_order)]
        engine = self.engine
        uploads = engine._upload_images(
            [
                Work(Action(w.action.kind, path, w.action.reason), script, record, w.outcomes[path])
                for w in works
                for path, script in w.manuscripts.items()
                for record in [engine.state.post(path)]
            ]
        )
        polls = [(w, poll) for w in works if (poll := self._step(w, uploads)) is not None]
        self._poll(polls)

    def retire(self, current: set[str]) -> None:
        """With `delete_removed`, delete the unsent draft of a message that no longer exists
        (its posts were removed, or went out on their own); the others' drafts stay."""
        from wxsync.wechat.errors import InvalidMediaError

        engine = self.engine
        for key, record in sorted(engine.state.messages.items()):
            if key in current or record.intent is not None or engine.halt.reason:
                continue
            if record.media_id:
                try:
                    engine.client.delete_draft(record.media_id)
                except InvalidMediaError:
                    pass  # already gone
                except WxsyncError as error:
                    log.warning("message %s: could not delete its draft yet: %s", key, error)
                    continue
            with engine._lock:
                del engine.state.messages[key]
                engine._save()
            engine.progress(f"message {key}: gone from the repository; its draft was deleted")

    def _prepare(
        self,
        message: Message,
        action: MessageAction,
        manuscripts: dict[str, Manuscript],
        examine: Callable[[str], Manuscript],
    ) -> MessageWork:
        engine = self.engine
        record = engine.state.messages.setdefault(message.key, MessageRecord())
        status = "pending" if action.kind in MESSAGE_API_KINDS else passive_status(action.kind)
        work = MessageWork(message, action, record, outcomes_for(message, action, status, {}))
        engine.report.outcomes.extend(work.outcomes.values())
        if action.kind in WRITES:
            for path in message.paths:
                work.manuscripts[path] = manuscripts.get(path) or examine(path)
        elif action.kind == Kind.INVALID:
            self._mark(work, INVALID)
        elif action.kind == Kind.WAIT:
            self._mark(work, SCHEDULED)
        return work

    def _step(self, work: MessageWork, uploads: dict[Job, Uploaded | WxsyncError]) -> Poll | None:
        """Carry out one message's action; the poll to run afterwards, if any."""
        kind = work.action.kind
        if kind in WRITES:
            if not self._guard(work, partial(self.messenger.write_draft, work, uploads)):
                return None
            self._preview(work)
        if kind in (*WRITES, Kind.SEND) and work.action.send:
            if self._guard(work, partial(self.broadcaster.send, work)):
                return self.broadcaster.poll
        elif kind in (*WRITES, Kind.PUBLISH) and work.action.publish:
            if self._guard(work, partial(self.messenger.submit, work)):
                return self.messenger.poll_publish
        elif kind == Kind.RESUME:
            return self.broadcaster.poll if work.record.msg_id else self.messenger.poll_publish
        elif kind == Kind.RECONCILE:
            work.say(
                PUBLISHING, "an interrupted call is still being checked; the next run continues"
            )
        return None

    def _mark(self, work: MessageWork, status: str) -> None:
        """Record a message that cannot go out yet on its posts not on WeChat yet."""
        for path in work.message.paths:
            record = self.engine.state.post(path)
            if not (record.draft_media_id or record.article_id) and record.status != status:
                record.status = status
                record.touch()
                self.engine._unsaved = True

    def _guard(self, work: MessageWork, step: Callable[[], object]) -> bool:
        """Run one step for a message; a failure stays with the message. True if it went well."""
        engine = self.engine
        if engine.halt.reason:
            work.say(FAILED, f"not attempted: {engine.halt.reason}")
            return False
        try:
            return step() is not False
        except PostFailed as failure:
            self._fail(work, str(failure), transient=failure.transient, code=failure.code)
        except WxsyncError as error:
            if engine.halt.check(error):
                work.say(FAILED, engine.halt.reason)
                return False
            self._fail(
                work, str(error), transient=is_transient(error), code=getattr(error, "code", None)
            )
        return False

    def _fail(self, work: MessageWork, message: str, *, transient: bool, code: int | None) -> None:
        engine = self.engine
        with engine._lock:
            for path in work.message.paths:
                record = engine.state.post(path)
                if record.status not in (DRAFTED, PUBLISHING, SENDING):
                    record.status = FAILED
                record.fail(message, code=code, transient=transient)
            work.record.fail(message, code=code, transient=transient)
            engine._save()
        work.say(FAILED, message)
        engine.progress(f"message {work.message.key}: failed: {message}")

    def _preview(self, work: MessageWork) -> None:
        try:
            warnings = self.broadcaster.preview(
                work.record.media_id, work.message.hash, work.record
            )
        except WxsyncError as error:  # a preview never blocks publishing
            warnings = [f"preview failed: {error}"]
        for warning in warnings:
            self.engine.progress(f"message {work.message.key}: warning: {warning}")
        if warnings:
            for outcome in work.outcomes.values():
                outcome.message = "; ".join(filter(None, [outcome.message, *warnings]))

    def _poll(self, polls: list[tuple[MessageWork, Poll]]) -> None:
        engine = self.engine
        pending = list(polls)
        if not pending or engine.halt.reason:
            return
        deadline = engine.clock() + engine.settings.publish_timeout
        delay = engine.poll_delay
        while pending:
            still = []
            for work, poll in pending:
                try:
                    done = poll(work)
                except WxsyncError as error:
                    if engine.halt.check(error):
                        return
                    log.warning("%s: could not check yet: %s", work.message.key, error)
                    done = not is_transient(error)
                if not done:
                    still.append((work, poll))
            pending = still
            remaining = deadline - engine.clock()
            if not pending:
                break
            if remaining <= 0:
                for work, _poll in pending:
                    work.say(work.record.status, "still going; the next run checks again")
                break
            engine.sleep(min(delay, remaining))
            delay = min(delay * 2, MAX_POLL_DELAY)


def _order(plan: tuple[Message, MessageAction]) -> tuple[dt.datetime, str]:
    """Messages go out in date order: the daily quota goes to the oldest first."""
    message = plan[0]
    return (message.date or LATEST, message.key)
