"""`wxsync sync --ci`: the sync as a CI job runs it, from the first mask to the state's push.

The order matters. Secrets are masked before anything is printed. The state file's way back to
the repository is checked before the first WeChat call (`preflight`), so a run that could not
record what it did never does it. Signals from the runner stop new WeChat calls and still end
in one push of the state (`cancel`). A push the remote refuses fails the job loudly with the
remote's reason, after the outputs and the summary are written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from wxsync.ci.cancel import Cancellation, Interrupted, cancellable_session
from wxsync.ci.commit import (
    ATTEMPTS,
    CommitResult,
    NoBranch,
    Target,
    commit_state,
    pull_state,
    resolve_target,
)
from wxsync.ci.git import Git, auth_environment, basic_credential
from wxsync.ci.github import Actions
from wxsync.ci.preflight import FIX_BRANCH, PreflightError, preflight
from wxsync.config import Settings
from wxsync.errors import WxsyncError
from wxsync.redact import redact
from wxsync.report import SyncReport, table

# After a cancel, one push must fit in the runner's grace period (SIGKILL 10 s after SIGINT).
CANCELLED_GIT_TIMEOUT = 3.0


@dataclass(frozen=True)
class JobOptions:
    dry_run: bool = False
    only: tuple[str, ...] = ()
    scope: str = ""  # a folder the run is narrowed to (a path argument)
    retry: bool = False
    json: bool = False
    verbose: bool = False
    commit: bool = True
    push_to: str = ""
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass
class Committed:
    result: CommitResult | None = None
    error: str = ""


def run_job(settings: Settings, options: JobOptions) -> int:
    from wxsync.engine.sync import Engine, make_client

    environ = options.environ
    actions = Actions(environ)
    # Before anything else is printed: the runner must know what to hide.
    actions.mask(settings.secret)
    token = environ.get("WXSYNC_PUSH_TOKEN", "")
    if token:
        actions.mask(token)
        actions.mask(basic_credential(token))
    credentials = auth_environment(token, environ.get("GITHUB_SERVER_URL", "https://github.com"))
    cancellation = Cancellation(announce=lambda line: actions.warning("wxsync cancelled", line))
    cancellation.install()

    commit = options.commit and not options.dry_run
    target = (
        _prepare(settings, options, actions, Git(settings.root, credentials)) if commit else None
    )

    engine = Engine(
        settings,
        progress=lambda line: print(line, flush=True),
        client_factory=lambda: make_client(
            settings,
            on_token=actions.mask,
            session=cancellable_session(cancellation),
            sleep=cancellation.sleep,
        ),
        sleep=cancellation.sleep,
    )
    committed = Committed()
    try:
        with actions.group("wxsync sync" + (" (dry run)" if options.dry_run else "")):
            engine.run(
                dry_run=options.dry_run,
                only=options.only,
                retry=options.retry,
                scope=options.scope,
            )
    except Interrupted as signal_name:
        print(f"{signal_name}: stopped at once; committing what was done", flush=True)
    finally:
        report = engine.report
        if cancellation.cancelled and not report.halted:
            report.halted = f"cancelled ({cancellation.signal})"
        if target is not None and settings.state_path.exists():
            with cancellation.committing(), actions.group("commit the state file"):
                committed = _commit(settings, target, report, credentials, cancellation.cancelled)
    text = report.to_json() if options.json else table(report, verbose=options.verbose)
    print(redact(text), flush=True)
    actions.annotate(report)
    actions.write_outputs(report, committed.result)
    actions.write_summary(report, committed.result, committed.error)
    if committed.error:
        actions.error("wxsync: state file not committed", committed.error)
        return 1
    if cancellation.cancelled:
        return 130
    return 1 if report.failed else 0


def _prepare(settings: Settings, options: JobOptions, actions: Actions, git: Git) -> Target:
    """Where the state goes, checked before any WeChat call; the state branch's file read in."""
    checking = "check that the state file can be committed"
    try:
        target = resolve_target(
            settings.root,
            options.environ,
            state_branch=settings.state_branch,
            push_to=options.push_to,
        )
    except NoBranch as no_branch:
        with actions.group(checking):
            raise PreflightError(
                f"{no_branch}: the state file would have nowhere to go; {FIX_BRANCH}"
            ) from None
    with actions.group(checking):
        checked = preflight(git, settings.state_path, target)
        for note in checked.notes:
            actions.notice("wxsync", note)
        if target.separate:
            known = pull_state(settings.root, settings.state_path, target, git)
            print(
                f"state file read from the branch {target.branch} ({known} posts)"
                if known is not None
                else f"the branch {target.branch} has no state file yet; it will be created",
                flush=True,
            )
        print(f"the state file will be pushed to {target.branch}", flush=True)
    return target


def _commit(
    settings: Settings,
    target: Target,
    report: SyncReport,
    credentials: Mapping[str, str],
    cancelled: bool,
) -> Committed:
    git = Git(settings.root, credentials, timeout=CANCELLED_GIT_TIMEOUT if cancelled else 120)
    try:
        result = commit_state(
            settings.root,
            settings.state_path,
            _message(report),
            target=target,
            git=git,
            attempts=1 if cancelled else ATTEMPTS,
        )
    except WxsyncError as error:  # CommitError, or git itself failing on the way
        print(f"not committed: {error}", flush=True)
        return Committed(None, str(error))
    print(
        f"pushed {result.commit[:12]} to {target.branch}" if result.pushed else result.reason,
        flush=True,
    )
    return Committed(result)


def _message(report: SyncReport) -> str:
    counts = report.counts()
    done = ", ".join(
        f"{counts[s]} {s}"
        for s in ("published", "sent", "drafted", "queued", "failed")
        if counts.get(s)
    )
    return f"wxsync: update state ({done or 'bookkeeping'}) [skip ci]"
