"""Running git for the commit-back, and reading what a remote says when it refuses a push.

A refused push prints the remote's reason among progress lines (`remote: error: GH006:
Protected branch update failed …`, `! [remote rejected] main (pre-receive hook declined)`,
`The requested URL returned error: 403`). `refusal` picks those out, says whether it is a race
(someone pushed first: fetch, merge and try again) or permanent (retrying cannot help), and
what the user can do about it.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wxsync.errors import WxsyncError


class GitError(WxsyncError):
    """A git command the commit-back needs failed."""


# Tokens a remote uses when the branch moved under us: these are worth a fetch and a retry.
RACE = (
    "fetch first",
    "non-fast-forward",
    "stale info",
    "failed to update ref",
    "cannot lock ref",
    "incorrect old value",
)
PROTECTED = ("gh006", "protected branch", "pre-receive hook declined", "gh013", "rule violations")
DENIED = (
    "403",
    "permission to",
    "permission denied",
    "authentication failed",
    "could not read username",
    "not allowed to push",
    "write access",
)

ADVICE_PROTECTED = (
    "the branch is protected: give the action a `token` allowed to bypass the protection "
    "(a GitHub App installation token, or a fine-grained personal access token with "
    "contents: write), or set `state-branch: wxsync-state` so the state file goes to a branch "
    "of its own"
)
ADVICE_DENIED = (
    "the job may not push: add `permissions: contents: write` to the workflow (or give the "
    "action a `token` that may), or set `commit-state: false` and keep the state elsewhere"
)
ADVICE_OTHER = "fix the push (the remote's reason is above), or set `state-branch`"


@dataclass(frozen=True)
class Refusal:
    reason: str  # the remote's own words
    race: bool
    advice: str


def refusal(stderr: str) -> Refusal:
    lines = _reason_lines(stderr)
    reason = " / ".join(lines[:4]) or "no reason given"
    text = stderr.lower()
    if any(token in text for token in RACE):
        return Refusal(reason, True, "")
    if any(token in text for token in PROTECTED):
        return Refusal(reason, False, ADVICE_PROTECTED)
    if any(token in text for token in DENIED):
        return Refusal(reason, False, ADVICE_DENIED)
    return Refusal(reason, False, ADVICE_OTHER)


def _reason_lines(stderr: str) -> list[str]:
    """The remote's messages and git's verdict, without addresses and boilerplate."""
    kept: list[str] = []
    for raw in stderr.splitlines():
        line = raw.strip()
        if line.startswith("remote:"):
            line = line[len("remote:") :].strip()
        if (
            not line
            or line.startswith(("To ", "hint:", "Everything up-to-date"))
            or "failed to push some refs" in line
            or set(line) <= set("-=*")
        ):
            continue
        line = re.sub(r"'(?:https?|file|ssh)://[^']*'", "the remote", line)
        line = re.sub(r"\b([0-9a-f]{12})[0-9a-f]{28}\b", r"\1", line)
        if line not in kept:
            kept.append(line)
    return kept


def auth_environment(token: str, server_url: str = "https://github.com") -> dict[str, str]:
    """Git configuration (through the environment, never the command line) to push with `token`.

    actions/checkout stores its own token as an `http.<server>/.extraheader`; an empty value
    clears that list, so git sends only ours.
    """
    if not token:
        return {}
    key = f"http.{server_url.rstrip('/')}/.extraheader"
    basic = basic_credential(token)
    return {
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": key,
        "GIT_CONFIG_VALUE_0": "",
        "GIT_CONFIG_KEY_1": key,
        "GIT_CONFIG_VALUE_1": f"AUTHORIZATION: basic {basic}",
    }


def basic_credential(token: str) -> str:
    """What `auth_environment` puts on the wire, so it can be masked in logs too."""
    return base64.b64encode(f"x-access-token:{token}".encode()).decode()


class Git:
    """git in one repository, with optional extra environment (credentials) and a time limit."""

    def __init__(
        self, root: Path, extra_env: Mapping[str, str] | None = None, timeout: float = 120
    ) -> None:
        self.root = root
        self.env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(extra_env or {})}
        self.timeout = timeout

    def run(
        self, *args: str, check: bool = True, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        try:
            result = subprocess.run(
                ["git", *args],
                cwd=self.root,
                capture_output=True,
                text=True,
                check=False,
                env={**self.env, **(env or {})},
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} took longer than {self.timeout:.0f} s") from None
        if check and result.returncode != 0:
            raise GitError(f"git {args[0]} failed: {first_line(result.stderr)}")
        return result

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()


def first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no details"
