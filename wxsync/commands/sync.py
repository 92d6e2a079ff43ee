"""`wxsync sync`: make the WeChat account agree with the repository."""

from __future__ import annotations

import argparse
from typing import Any

from wxsync.commands.common import (
    add_settings_arguments,
    err,
    path_scope,
    positive_int,
    settings_from,
)
from wxsync.redact import redact


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sync",
        help="draft and publish new or changed posts",
        description="Render new or changed posts, upload their images, write drafts and publish them.",
    )
    add_settings_arguments(parser, api=True)
    parser.add_argument(
        "--dry-run", action="store_true", help="plan only; no credentials, no network"
    )
    parser.add_argument("--only", nargs="+", metavar="FILE", help="sync just these posts")
    parser.add_argument(
        "--retry", action="store_true", help="retry posts that failed for good last time"
    )
    parser.add_argument(
        "--preview-to",
        action="append",
        metavar="WECHAT_ID",
        help="send each new or changed draft to this WeChat ID as a preview (repeatable)",
    )
    parser.add_argument(
        "--jobs", type=positive_int, help="concurrent uploads and status polls (default 4)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--all", action="store_true", help="list unchanged posts in the table too")
    parser.add_argument(
        "--ci",
        action="store_true",
        help="GitHub Actions mode (automatic when GITHUB_ACTIONS=true): mask secrets, annotate, "
        "write outputs and the job summary, commit the state file back",
    )
    parser.add_argument(
        "--no-commit", action="store_true", help="with --ci: do not commit the state file"
    )
    parser.add_argument(
        "--state-branch",
        metavar="BRANCH",
        help="with --ci: push the state file to this branch of its own (setting `state_branch`)",
    )
    parser.add_argument(
        "--push-to",
        metavar="BRANCH",
        help="with --ci: the branch to push the state file to when HEAD is not on it",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import os

    from wxsync.ci.github import in_actions

    if args.ci or in_actions(os.environ):
        return run_ci(args)
    from wxsync.engine.sync import Engine
    from wxsync.report import table

    settings = settings_from(args, narrow=False)
    scope, only = path_scope(args, settings)
    engine = Engine(settings, progress=err)
    report = engine.run(
        dry_run=args.dry_run, only=[*(args.only or ()), *only], retry=args.retry, scope=scope
    )
    print(redact(report.to_json() if args.json else table(report, verbose=args.all)))
    return 1 if report.failed else 0


def run_ci(args: argparse.Namespace) -> int:
    """The Action's run: the same sync, plus masking, annotations, outputs, summary, commit back."""
    import dataclasses

    from wxsync.ci.job import JobOptions, run_job
    from wxsync.errors import ConfigError

    settings = settings_from(args, narrow=False)
    scope, only = path_scope(args, settings)
    if args.state_branch:
        settings = dataclasses.replace(settings, state_branch=args.state_branch)
    commit = not args.dry_run and not args.no_commit
    if commit and not settings.state_path.resolve().is_relative_to(settings.root.resolve()):
        raise ConfigError(
            f"--state {args.state or settings.state}: outside the repository, so --ci cannot "
            "commit it back; keep the state file inside the repository, or add --no-commit"
        )
    options = JobOptions(
        dry_run=args.dry_run,
        only=(*(args.only or ()), *only),
        scope=scope,
        retry=args.retry,
        json=args.json,
        verbose=args.all,
        commit=not args.no_commit,
        push_to=args.push_to or "",
    )
    return run_job(settings, options)
