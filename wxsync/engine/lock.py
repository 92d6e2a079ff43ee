"""One sync per repository at a time: a lock file next to the state file.

Two `wxsync sync` runs at once (a cron job and a push, two terminals) would each see the same
posts as new and publish every one of them twice. The lock is an advisory `flock` on
`<state file>.lock`: the kernel drops it when its holder exits, however it exits, so a lock
left behind by a killed run is recovered by simply taking it again. The file itself stays
(removing a locked file races with the next run); it only says who holds the lock.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wxsync.errors import WxsyncError


class LockedError(WxsyncError):
    """Another run holds the lock."""


def lock_path(state_path: Path) -> Path:
    return state_path.with_name(state_path.name + ".lock")


@contextmanager
def run_lock(state_path: Path) -> Iterator[None]:
    """Hold the repository's sync lock for the duration of the block."""
    path = lock_path(state_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LockedError(
            f"{path}: cannot create the lock file ({exc.strerror}); the state file's folder must "
            "be writable"
        ) from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 200, 0).decode("utf-8", "replace").strip()
            raise LockedError(
                f"another `wxsync sync` is running on this repository ({holder or 'see ' + path.name}); "
                "wait for it to finish and run again — two at once would publish posts twice"
            ) from None
        stamp = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        os.ftruncate(descriptor, 0)
        os.pwrite(
            descriptor, f"pid {os.getpid()} on {socket.gethostname()} since {stamp}\n".encode(), 0
        )
        yield
    finally:
        os.close(descriptor)  # closing releases the flock
