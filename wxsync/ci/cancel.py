"""Cancellation on a CI runner: stop calling WeChat, keep what was done, push the state once.

When a job is cancelled or times out, GitHub's runner sends the step's process SIGINT, then
SIGTERM 7.5 s later, then SIGKILL 2.5 s after that (the action's step `exec`s wxsync, so that
process is wxsync). GitLab sends SIGTERM and kills after its own grace period. On the first
signal no new WeChat call is started: the call in flight finishes, every later one raises
`Cancelled`, which stops the run like any account-wide failure, so the engine saves the state
and the CLI commits and pushes it, once, inside the grace period. A second signal (or a SIGTERM
first) does not wait for the call in flight: it unwinds at once with `Interrupted`. While the
state file is being committed, signals are noted and otherwise ignored: the push is what the
grace period is for.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from wxsync.errors import Cancelled


class Interrupted(KeyboardInterrupt):
    """Unwinds the run at once (a BaseException, so no `except Exception` swallows it; where
    nothing catches it, the CLI reports an interrupted run)."""


class Cancellation:
    def __init__(self, announce: Callable[[str], None] | None = None) -> None:
        self.event = threading.Event()
        self.signal = ""
        self._committing = False
        self._announce = announce or (lambda line: print(line, file=sys.stderr, flush=True))

    @property
    def cancelled(self) -> bool:
        return self.event.is_set()

    def install(self) -> None:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, self._on_signal)

    def check(self) -> None:
        """Raise `Cancelled` once a signal came: called before every WeChat request."""
        if self.event.is_set():
            raise Cancelled(f"cancelled ({self.signal}): no new WeChat call was started")

    def sleep(self, seconds: float) -> None:
        """A sleep that a cancellation cuts short."""
        self.event.wait(max(0.0, seconds))

    @contextmanager
    def committing(self) -> Iterator[None]:
        """While the state is being pushed, a signal must not cut the push short."""
        self._committing = True
        try:
            yield
        finally:
            self._committing = False

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        first = not self.event.is_set()
        self.signal = signal.Signals(number).name
        self.event.set()
        if self._committing:
            return
        if first and number == signal.SIGINT:
            self._announce(
                f"{self.signal}: cancelling; no new WeChat call will be started, "
                "then the state file is saved and committed"
            )
            return
        raise Interrupted(self.signal)


def cancellable_session(cancellation: Cancellation) -> Any:
    """A `requests.Session` that refuses to start a request once the run is cancelled."""
    import requests

    class Session(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> requests.Response:
            cancellation.check()
            return super().request(*args, **kwargs)

    return Session()
