"""Mass sending (群发) and previews: the follower-notifying path, exactly once.

`message/mass/sendall` has a real idempotency key, `clientmsgid`. It is derived from the
message's identity and content and recorded as an intent before the call; a rerun after a lost
answer sends the same key, and WeChat answers 45065 with the earlier `msg_id`, which is adopted.
A subscription account may mass-send once a day: `broadcast.per_day` is counted from the state
file in the account's time zone, and messages beyond it wait, queued, for the next run (45028
from WeChat means the same). An account without the API (48001) keeps its drafts; the run says
so once. Previews go to the `preview_to` WeChat IDs once per draft version; a failed preview is
a warning, never a reason not to publish.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial
from zoneinfo import ZoneInfo

from wxsync.engine.messenger import MessageWork
from wxsync.engine.once import Desk, Writer
from wxsync.engine.publisher import PostFailed
from wxsync.engine.state import (
    DRAFTED,
    FAILED,
    QUEUED,
    SENDING,
    SENT,
    Intent,
    MessageRecord,
    PostRecord,
    State,
    now_iso,
    parse_iso,
)
from wxsync.errors import WxsyncError
from wxsync.wechat.client import WeChatClient

log = logging.getLogger("wxsync.engine.broadcaster")


def sends_on(state: State, day: dt.date, zone: ZoneInfo) -> int:
    """How many mass sends the state file records on `day` in the account's time zone."""
    return sum(
        1
        for m in state.messages.values()
        if m.sent_at and m.status != FAILED and parse_iso(m.sent_at).astimezone(zone).date() == day
    )


class Broadcaster(Writer):
    def __init__(self, desk: Desk, *, now: Callable[[], dt.datetime]) -> None:
        super().__init__(desk)
        self.now = now
        self.zone = ZoneInfo(desk.settings.timezone)
        self.blocked = ""  # why this account cannot mass-send (48001), once known
        self.quota_spent = False  # WeChat said 45028 during this run

    # -- sending ---------------------------------------------------------------------------------

    def send(self, work: MessageWork) -> bool:
        """Mass-send the message's draft, or queue it; True if WeChat took it (then poll)."""
        from wxsync.wechat.errors import (
            AmbiguousResultError,
            BroadcastQuotaError,
            InvalidMediaError,
            PermissionDeniedError,
            RateLimitedError,
        )

        record = work.record
        resuming = record.intent is not None and record.intent.op == "sendall"
        if self.blocked:
            self.fail_for_good(record, self.blocked, code=48001)
            work.say(DRAFTED, self.blocked)
            return False
        if not resuming and self._quota_left() <= 0:
            self._queue(work)
            return False
        clientmsgid = (
            record.intent.clientmsgid if resuming and record.intent else work.message.clientmsgid()
        )
        intent = Intent(
            op="sendall",
            hash=work.message.hash,
            title=record.title,
            at=record.intent.at if resuming and record.intent else now_iso(),
            media_id=record.media_id,
            clientmsgid=clientmsgid,
        )
        broadcast = self.settings.broadcast
        try:
            sent = self.call_once(
                record,
                intent,
                partial(
                    self.client.send_all,
                    record.media_id,
                    clientmsgid=clientmsgid,
                    tag_id=broadcast.tag_id,
                    ignore_reprint=broadcast.ignore_reprint,
                ),
                announce=f"message {work.message.key}: mass-sending",
                # 45066 (the same clientmsgid too soon): it may have gone out, as with no answer.
                keep=(RateLimitedError,),
            )
        except (AmbiguousResultError, RateLimitedError):
            # The intent stays; the next run repeats the same clientmsgid, which cannot send twice.
            work.say(SENDING, "the mass send got no clear answer; the next run checks it")
            return False
        except BroadcastQuotaError:
            self.quota_spent = True
            self._queue(work)
            return False
        except PermissionDeniedError as error:
            self.fail_for_good(record, error.advice, code=error.code)
            if not self.blocked:
                self.progress(f"mass sending is not possible: {error.advice}")
            self.blocked = error.advice
            work.say(DRAFTED, error.advice)
            return False
        except InvalidMediaError:
            with self._lock:
                record.media_id, record.posts = "", []
                self._save()
            raise PostFailed(
                "the draft disappeared from WeChat before it was sent; the next run recreates it",
                transient=True,
            ) from None
        self._sent(work, sent.msg_id, clientmsgid)
        if sent.repeated:
            log.info("%s: WeChat had already sent it (45065); adopted", work.message.key)
        return True

    def _quota_left(self) -> int:
        if self.quota_spent:
            return 0
        today = self.now().astimezone(self.zone).date()
        return self.settings.broadcast.per_day - sends_on(self.state, today, self.zone)

    def _queue(self, work: MessageWork) -> None:
        with self._lock:
            work.record.status = QUEUED
            for path in work.message.paths:
                self.state.post(path).status = QUEUED
            self._save()
        per_day = self.settings.broadcast.per_day
        work.say(
            QUEUED,
            f"waits for the next mass-send quota ({per_day} a day, `broadcast.per_day`); "
            "the next run sends it",
        )

    def _sent(self, work: MessageWork, msg_id: str, clientmsgid: str) -> None:
        record = work.record
        with self._lock:
            record.msg_id, record.clientmsgid = msg_id, clientmsgid
            sent_at = self.now().astimezone(dt.UTC).replace(microsecond=0)
            record.sent_hash = work.message.hash
            record.sent_at = sent_at.isoformat().replace("+00:00", "Z")
            record.status, record.intent, record.error = SENDING, None, None
            record.media_id = ""  # a mass-sent draft leaves the draft box
            record.touch()
            for path in work.message.paths:
                posted = self.state.post(path)
                posted.status, posted.draft_media_id, posted.draft_hash = SENDING, "", ""
                posted.error = None
                posted.touch()
            self._save()
        work.say(SENDING)

    def poll(self, work: MessageWork) -> bool:
        """One `message/mass/get`; True when the send has finished."""
        record = work.record
        status = self.client.get_mass(record.msg_id)
        if status == "SENDING":
            return False
        final = SENT if status == "SEND_SUCCESS" else FAILED
        note = "" if final == SENT else f"mass send ended: {status}"
        with self._lock:
            record.status = final
            record.touch()
            for path in work.message.paths:
                posted = self.state.post(path)
                posted.status = final
                if final == FAILED:
                    posted.fail(note, transient=False)
            self._save()
        work.say(final, note)
        return True

    # -- previews --------------------------------------------------------------------------------

    def preview(self, media_id: str, version: str, record: MessageRecord | PostRecord) -> list[str]:
        """Send a draft to each `preview_to` ID once per version; the warnings, if any.

        The version is recorded even when a preview fails: a failing WeChat ID would otherwise
        be retried on every run. `wxsync send-preview` sends one again on demand.
        """
        targets = self.settings.preview_to
        if not targets or not media_id or record.previewed == version:
            return []
        warnings = send_previews(self.client, media_id, targets)
        with self._lock:
            record.previewed = version
            self._save()
        return warnings


def send_previews(client: WeChatClient, media_id: str, targets: tuple[str, ...]) -> list[str]:
    """`message/mass/preview` to each WeChat ID; failures come back as warnings."""
    warnings = []
    for wechat_id in targets:
        try:
            client.preview(media_id, towxname=wechat_id)
        except WxsyncError as error:
            warnings.append(f"preview to {wechat_id} failed: {error}")
    return warnings
