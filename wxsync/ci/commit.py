"""Commit the state file back to the branch, surviving a branch that moved meanwhile.

In CI the state file is the only record of what was published, so it must land in the
repository. Only that file is committed, by the Actions bot, with `[skip ci]` so the push does
not trigger another run. If the push is refused because someone (another run, another person)
pushed first, wxsync fetches, merges its state file into theirs post by post (each run only
touched the posts it synced), commits on top of theirs and tries again, a bounded number of times.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wxsync.engine.state import State, StateError, merge, save
from wxsync.errors import WxsyncError

log = logging.getLogger("wxsync.ci.commit")

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
ATTEMPTS = 5


class CommitError(WxsyncError):
    """The state file could not be committed and pushed."""


@dataclass(frozen=True)
class CommitResult:
    committed: bool
    pushed: bool
    commit: str = ""
    attempts: int = 0
    reason: str = ""


def commit_state(
    root: Path,
    state_path: Path,
    message: str,
    *,
    environ: Mapping[str, str],
    push: bool = True,
    attempts: int = ATTEMPTS,
) -> CommitResult:
    """Commit `state_path` alone on the current branch and push it; see the module docstring."""
    # `git show REV:path` wants a path from the top level; pathspecs take the absolute path.
    relative = state_path.resolve().relative_to(_toplevel(root)).as_posix()
    absolute = str(state_path.resolve())
    if not _changed(root, absolute):
        return CommitResult(False, False, reason="the state file did not change")
    branch = _branch(root, environ)
    if branch is None:
        return CommitResult(
            False, False, reason="not on a branch (a pull request?): nothing committed"
        )
    commit = _commit(root, absolute, message)
    if not push:
        return CommitResult(True, False, commit)
    for attempt in range(1, attempts + 1):
        pushed = _git(root, "push", "origin", f"HEAD:refs/heads/{branch}", check=False)
        if pushed.returncode == 0:
            return CommitResult(True, True, _head(root), attempt)
        log.warning(
            "push refused (%s); fetching and merging the state file", _first_line(pushed.stderr)
        )
        fetched = _git(root, "fetch", "origin", branch, check=False)
        if fetched.returncode != 0:
            raise CommitError(
                f"could not fetch {branch} to retry the push: {_first_line(fetched.stderr)}"
            )
        ours = State.from_json(_json(state_path.read_text(encoding="utf-8")), str(state_path))
        theirs = _their_state(root, relative)
        # Start again from their tip: their tree, plus our state file merged into theirs.
        _git(root, "reset", "--mixed", "-q", "FETCH_HEAD")
        save(merge(ours, theirs) if theirs is not None else ours, state_path)
        if not _changed(root, absolute):
            return CommitResult(
                False, False, attempts=attempt, reason="their state file already had ours"
            )
        _commit(root, absolute, message)
    raise CommitError(
        f"could not push the state file to {branch} after {attempts} attempts; it is saved locally — "
        "run again, or commit it by hand"
    )


def _their_state(root: Path, relative: str) -> State | None:
    shown = _git(root, "show", f"FETCH_HEAD:{relative}", check=False)
    if shown.returncode != 0:
        return None  # they have no state file yet
    try:
        return State.from_json(_json(shown.stdout), f"{relative} on the remote")
    except StateError as error:
        raise CommitError(
            f"the remote's state file is broken, not merging into it: {error}"
        ) from None


def _json(text: str) -> object:
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommitError(f"state file is not valid JSON: {exc}") from None


def _commit(root: Path, pathspec: str, message: str) -> str:
    _git(root, "add", "--", pathspec)
    _git(
        root,
        "-c",
        f"user.name={BOT_NAME}",
        "-c",
        f"user.email={BOT_EMAIL}",
        "commit",
        "-q",
        "--no-verify",
        "-m",
        message,
        "--",
        pathspec,
    )
    return _head(root)


def _changed(root: Path, pathspec: str) -> bool:
    status = _git(root, "status", "--porcelain", "--", pathspec).stdout
    return bool(status.strip())


def _branch(root: Path, environ: Mapping[str, str]) -> str | None:
    ref = environ.get("GITHUB_REF", "")
    if ref.startswith("refs/heads/"):
        return ref[len("refs/heads/") :]
    if ref:  # refs/pull/…, refs/tags/…: no branch to push to
        return None
    current = _git(root, "symbolic-ref", "--short", "-q", "HEAD", check=False)
    return current.stdout.strip() or None


def _head(root: Path) -> str:
    return _git(root, "rev-parse", "HEAD").stdout.strip()


def _toplevel(root: Path) -> Path:
    return Path(_git(root, "rev-parse", "--show-toplevel").stdout.strip()).resolve()


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no details"


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise CommitError(f"git {args[0]} failed: {_first_line(result.stderr)}")
    return result
