"""`wxsync sync`: make the WeChat account agree with the repository."""

from __future__ import annotations

import argparse
from typing import Any

from wxsync.commands.common import add_settings_arguments, err, settings_from


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
    parser.add_argument("--jobs", type=int, help="concurrent uploads and status polls (default 4)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--all", action="store_true", help="list unchanged posts in the table too")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wxsync.report import table
    from wxsync.sync import Engine

    settings = settings_from(args)
    engine = Engine(settings, progress=err)
    report = engine.run(dry_run=args.dry_run, only=args.only or (), retry=args.retry)
    print(report.to_json() if args.json else table(report, verbose=args.all))
    return 1 if report.failed else 0
