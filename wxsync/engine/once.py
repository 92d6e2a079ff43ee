"""Calls that create something on WeChat, made exactly once; what every writer shares.

`draft/add`, `freepublish/submit` and `message/mass/sendall` create something each time, and
WeChat may act on a call whose answer never arrives. So each is preceded by an intent saved in
the state file (design.md, "Exactly once"): a run that dies during the call leaves the intent for
the next run to reconcile instead of repeating the call. The publisher, the messenger and the
broadcaster make these calls through one `Writer.call_once`, so the order of the writes around
them is settled in one place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from wxsync.config import Settings
from wxsync.engine.state import Intent, MessageRecord, PostRecord, State
from wxsync.errors import WxsyncError

if TYPE_CHECKING:
    from wxsync.wechat.client import WeChatClient

T = TypeVar("T")
Record: TypeAlias = PostRecord | MessageRecord  # what an intent is recorded on


@dataclass(frozen=True)
class Desk:
    """What every writer to WeChat works with: the client, the state file with the function that
    saves it and the lock guarding both, the settings, and where progress lines go."""

    client: WeChatClient
    state: State
    save: Callable[[], None]
    lock: threading.RLock
    settings: Settings
    progress: Callable[[str], None]


class Writer:
    """Base of the publisher, the messenger and the broadcaster."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.client, self.state, self.settings = desk.client, desk.state, desk.settings
        self._save, self._lock, self.progress = desk.save, desk.lock, desk.progress

    def call_once(
        self,
        record: Record,
        intent: Intent,
        call: Callable[[], T],
        *,
        announce: str = "",
        keep: tuple[type[WxsyncError], ...] = (),
    ) -> T:
        """Save `intent` on `record`, then make the non-idempotent `call`; its answer.

        A lost answer (AmbiguousResultError, or an error in `keep`) leaves the intent for the
        next run to check; any other error means WeChat answered and created nothing, so the
        intent is dropped. `announce` is printed once the intent is saved, as the call goes out.
        """
        from wxsync.wechat.errors import AmbiguousResultError

        unknown: tuple[type[WxsyncError], ...] = (AmbiguousResultError, *keep)
        with self._lock:
            record.intent = intent
            self._save()
        if announce:
            self.progress(announce)
        try:
            return call()
        except unknown:
            raise
        except WxsyncError:
            with self._lock:
                record.intent = None
            raise

    def fail_for_good(self, record: Record, reason: str, *, code: int | None) -> None:
        """Record a failure that trying again will not cure (48001: the account may not)."""
        with self._lock:
            record.fail(reason, code=code, transient=False, mode=self.settings.mode)
            self._save()
