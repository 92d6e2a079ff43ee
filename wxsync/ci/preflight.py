"""Before the first WeChat call in CI: make sure the state file will be able to land.

Publishing first and finding out afterwards that the state cannot be committed is how a
repository ends up with every post published twice. So with commit-back on, the run stops
before touching WeChat when there is no branch to push to (a tag or a pull request checked
out), when there is no `origin`, or when `git push --dry-run` is refused (no permission). An
ignored state path does not stop it: the commit is built without the index, and a committed
file is checked out whatever `.gitignore` says; the run says so. A protected branch cannot be
seen from here (a dry run does not reach the server's hooks); its refusal comes at the push,
loudly, and the next run adopts what this one made instead of making it again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wxsync.ci.commit import NoBranch, Target
from wxsync.ci.git import Git, refusal


class PreflightError(NoBranch):
    """The state file could not be committed: stop before publishing anything."""


@dataclass(frozen=True)
class Preflight:
    notes: tuple[str, ...]


FIX_BRANCH = (
    "run the workflow on a branch, or set `state-branch` (the action input, or `--state-branch`) "
    "to keep the state file on a branch of its own; `commit-state: false` turns committing off"
)


def preflight(git: Git, state_path: Path, target: Target) -> Preflight:
    """Check that the state file can be committed to `target`; `PreflightError` if not."""
    if git.run("remote", "get-url", "origin", check=False).returncode != 0:
        raise PreflightError(
            "the repository has no `origin` remote to push the state file to; add one, or "
            "run with --no-commit"
        )
    notes = []
    ignored = _ignored(git, state_path)
    if ignored:
        notes.append(
            f"{ignored}; wxsync commits the state file anyway (a committed file is checked out "
            "whatever .gitignore says)"
        )
    dry = git.run(
        "push",
        "--dry-run",
        "origin",
        f"HEAD:refs/heads/{target.branch}",
        check=False,
    )
    if dry.returncode != 0:
        refused = refusal(dry.stderr)
        if not refused.race:  # a branch that moved is fine: the commit is built on its tip
            raise PreflightError(
                f"nothing was sent to WeChat: `git push --dry-run` to {target.branch} was "
                f"refused ({refused.reason}), so the state file could not be committed; "
                f"{refused.advice}"
            )
    return Preflight(tuple(notes))


def _ignored(git: Git, state_path: Path) -> str:
    """`.gitignore:3 ignores .wxsync/state.json` when it is ignored, else ""."""
    relative = os.path.relpath(state_path, git.root)
    checked = git.run("check-ignore", "-v", "--no-index", "--", relative, check=False)
    if checked.returncode != 0 or not checked.stdout.strip():
        return ""
    source = checked.stdout.strip().partition("\t")[0]
    where, _, pattern = source.rpartition(":")
    return f"{where} ignores {Path(relative).as_posix()} (pattern `{pattern}`)"
