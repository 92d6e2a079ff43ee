"""`wxsync doctor`: check credentials, network, IP whitelist, permissions and the state file."""

from __future__ import annotations

import argparse
from typing import Any

from wxsync.commands.common import settings_from


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor",
        help="diagnose the setup (read-only)",
        description=(
            "Check credentials, API reachability, the access token, the IP whitelist, draft and "
            "publish permission, material usage and the state file. Changes nothing on the account."
        ),
    )
    parser.add_argument(
        "--api-base", metavar="URL", help="WeChat API base URL (env WXSYNC_API_BASE)"
    )
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.set_defaults(run=run, path=None)


def run(args: argparse.Namespace) -> int:
    import os

    from wxsync.doctor import Doctor, report_json, report_text
    from wxsync.redact import redact

    settings = settings_from(args)
    doctor = Doctor(settings, os.environ)
    checks = doctor.run()
    print(redact(report_json(checks) if args.json else report_text(checks, settings.api_base)))
    return 0 if doctor.ok else 1
