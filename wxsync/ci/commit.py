"""Commit the state file back to the repository, surviving a branch that moved meanwhile.

In CI the state file is the record of what was published, so it must reach the repository.
The commit is built with git's plumbing, on top of the branch as the remote has it right now:
their tree with our state file in it, nothing else, by the Actions bot, with `[skip ci]` so the
push does not trigger another run. The work tree, its index and `.gitignore` play no part, so
an ignored `.wxsync/` or a checkout of a tag does not stop it. If someone pushed first (a race),
wxsync fetches, merges its state file into theirs post by post (each run only touched the posts
it synced), and tries again with backoff; a refusal that retrying cannot fix (a protected branch,
no permission) stops at once with the remote's reason and what to do.

With `state-branch`, the same commit goes to a branch of its own that holds only the state file
(the way actions-gh-pages keeps a site), and `pull_state` reads it back at the start of a run.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from wxsync.ci.git import Git, GitError, refusal
from wxsync.engine.state import State, StateError, merge, save
from wxsync.errors import WxsyncError

log = logging.getLogger("wxsync.ci.commit")

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
ATTEMPTS = 5
BACKOFF = 1.0  # seconds before the second attempt; doubles after each race


class CommitError(WxsyncError):
    """The state file could not be committed and pushed."""


class NoBranch(CommitError):
    """There is no branch to push the state file to."""

    exit_code = 2


@dataclass(frozen=True)
class Target:
    """Where the state file goes: the checked-out branch, or a branch of its own."""

    branch: str
    separate: bool = False


@dataclass(frozen=True)
class CommitResult:
    committed: bool
    pushed: bool
    commit: str = ""
    attempts: int = 0
    reason: str = ""


def resolve_target(
    root: Path, environ: Mapping[str, str], *, state_branch: str = "", push_to: str = ""
) -> Target:
    """The branch to push to, or `NoBranch` saying why there is none."""
    if state_branch:
        return Target(state_branch, separate=True)
    if push_to:
        return Target(push_to)
    if environ.get("GITLAB_CI") == "true":
        branch = environ.get("CI_COMMIT_BRANCH", "")
        if branch:
            return Target(branch)
        what = (
            f"the tag {environ['CI_COMMIT_TAG']}"
            if environ.get("CI_COMMIT_TAG")
            else "a merge request"
        )
        raise NoBranch(f"the pipeline runs on {what}, not on a branch")
    ref = environ.get("GITHUB_REF", "")
    if ref.startswith("refs/heads/"):
        return Target(ref[len("refs/heads/") :])
    if ref.startswith("refs/tags/"):
        raise NoBranch(f"the workflow runs on the tag {ref[len('refs/tags/') :]}, not on a branch")
    if ref:
        raise NoBranch(f"the workflow runs on {ref} (a pull request?), not on a branch")
    current = Git(root).run("symbolic-ref", "--short", "-q", "HEAD", check=False).stdout.strip()
    if not current:
        raise NoBranch("HEAD is detached, not on a branch")
    return Target(current)


def commit_state(
    root: Path,
    state_path: Path,
    message: str,
    *,
    target: Target,
    git: Git | None = None,
    push: bool = True,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> CommitResult:
    """Commit `state_path` alone onto `target` as the remote has it, and push; see the module doc."""
    git = git or Git(root)
    relative = state_path.resolve().relative_to(_toplevel(git)).as_posix()
    delay = BACKOFF
    for attempt in range(1, attempts + 1):
        tip = _fetch(git, target.branch)
        _merge_remote(git, tip, relative, state_path)
        blob = git.out("hash-object", "-w", "--", str(state_path))
        if tip and _blob_at(git, tip, relative) == blob:
            return CommitResult(
                False,
                False,
                tip,
                attempt,
                f"the state file did not change ({target.branch} on the remote already has it)",
            )
        commit = _build(git, tip, relative, blob, message)
        if not push:
            return CommitResult(True, False, commit, attempt)
        pushed = git.run("push", "origin", f"{commit}:refs/heads/{target.branch}", check=False)
        if pushed.returncode == 0:
            _follow(git, tip, commit, target)
            return CommitResult(True, True, commit, attempt)
        refused = refusal(pushed.stderr)
        if not refused.race:
            raise CommitError(
                f"the remote refused the state file's push to {target.branch}: {refused.reason}. "
                f"It is saved locally but not in the repository; {refused.advice}"
            )
        log.warning("push raced another (%s); fetching, merging and retrying", refused.reason)
        if attempt < attempts:
            sleep(delay)
            delay *= 2
    raise CommitError(
        f"could not push the state file to {target.branch} after {attempts} attempts (the branch "
        "kept moving); it is saved locally — run again"
    )


def pull_state(root: Path, state_path: Path, target: Target, git: Git | None = None) -> int | None:
    """With a separate state branch: bring its state file into `state_path` (merged with any
    local one). Returns how many posts it knows, or None when the branch has no state yet."""
    git = git or Git(root)
    tip = _fetch(git, target.branch)
    if not tip:
        return None
    relative = state_path.resolve().relative_to(_toplevel(git)).as_posix()
    theirs = _state_at(git, tip, relative)
    if theirs is None:
        return None
    if state_path.exists():
        ours = State.from_json(_json(state_path.read_text(encoding="utf-8")), str(state_path))
        theirs = merge(ours, theirs)
    save(theirs, state_path)
    return len(theirs.posts)


def _fetch(git: Git, branch: str) -> str:
    """The remote branch's tip ("" if it does not exist), fetched so its tree can be read."""
    fetched = git.run("fetch", "-q", "--no-tags", "origin", f"refs/heads/{branch}", check=False)
    if fetched.returncode != 0:
        if "couldn't find remote ref" in fetched.stderr:
            return ""
        raise CommitError(f"could not fetch {branch} from origin: {refusal(fetched.stderr).reason}")
    return git.out("rev-parse", "FETCH_HEAD")


def _merge_remote(git: Git, tip: str, relative: str, state_path: Path) -> None:
    """Merge the remote's records into our state file where theirs are newer."""
    theirs = _state_at(git, tip, relative) if tip else None
    if theirs is None:
        return
    ours = State.from_json(_json(state_path.read_text(encoding="utf-8")), str(state_path))
    merged = merge(ours, theirs)
    if merged.dumps() != ours.dumps():
        save(merged, state_path)


def _state_at(git: Git, commit: str, relative: str) -> State | None:
    shown = git.run("show", f"{commit}:{relative}", check=False)
    if shown.returncode != 0:
        return None  # no state file there yet
    try:
        return State.from_json(_json(shown.stdout), f"{relative} on the remote")
    except StateError as error:
        raise CommitError(
            f"the remote's state file is broken, not merging into it: {error}"
        ) from None


def _blob_at(git: Git, commit: str, relative: str) -> str:
    return git.run(
        "rev-parse", "-q", "--verify", f"{commit}:{relative}", check=False
    ).stdout.strip()


def _build(git: Git, parent: str, relative: str, blob: str, message: str) -> str:
    """A commit: `parent`'s tree (or nothing) with our state file at `relative`."""
    with tempfile.TemporaryDirectory(prefix="wxsync-index-") as folder:
        index = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        if parent:
            git.run("read-tree", parent, env=index)
        git.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{relative}", env=index)
        tree = git.run("write-tree", env=index).stdout.strip()
    identity = {
        "GIT_AUTHOR_NAME": BOT_NAME,
        "GIT_AUTHOR_EMAIL": BOT_EMAIL,
        "GIT_COMMITTER_NAME": BOT_NAME,
        "GIT_COMMITTER_EMAIL": BOT_EMAIL,
    }
    parents = ["-p", parent] if parent else []
    return git.run("commit-tree", tree, *parents, "-m", message, env=identity).stdout.strip()


def _follow(git: Git, tip: str, commit: str, target: Target) -> None:
    """Move the checkout along when it stood where the commit was built, so it stays clean."""
    if target.separate:
        return
    head = git.run("rev-parse", "-q", "--verify", "HEAD", check=False).stdout.strip()
    if head and head == tip:
        git.run("reset", "-q", "--mixed", commit, check=False)


def _toplevel(git: Git) -> Path:
    try:
        return Path(git.out("rev-parse", "--show-toplevel")).resolve()
    except GitError:
        raise CommitError(
            f"{git.root} is not a git repository: nothing to commit the state to"
        ) from None


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommitError(f"state file is not valid JSON: {exc}") from None
