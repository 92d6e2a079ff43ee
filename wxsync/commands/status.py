"""`wxsync status`: where each post stands, from the state file; no network."""

from __future__ import annotations

import argparse
import json
from typing import Any

from wxsync.commands.common import add_settings_arguments, settings_from


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "status",
        help="show each post's state",
        description=(
            "Show each post: new, drafted, publishing, published (with its link), queued or "
            "sent (mass sending), or failed (with why); posts that go out together show their "
            "message and place in it."
        ),
    )
    add_settings_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wxsync.engine.state import NEW, QUEUED
    from wxsync.engine.sync import Engine
    from wxsync.report import display_width, pad

    settings = settings_from(args)
    engine = Engine(settings)
    report = engine.run(dry_run=True, previews=False)
    rows = []
    for outcome in report.outcomes:
        record = engine.state.posts.get(outcome.path)
        status = record.status if record else NEW
        note = (record.url if record and record.url else "") or (
            (record.error or {}).get("message", "") if record else ""
        )
        if status == QUEUED:
            note = note or "waits for the next mass-send quota (`broadcast.per_day`)"
        next_step = outcome.action if outcome.status == "planned" else ""
        rows.append(
            {
                "path": outcome.path,
                "title": outcome.title,
                "status": status,
                "message": outcome.group,
                "next": next_step,
                "note": note,
            }
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    header = {
        "path": "post",
        "status": "status",
        "message": "message",
        "next": "next sync",
        "note": "link / note",
    }
    columns = ["path", "status", *(["message"] if any(r["message"] for r in rows) else []), "next"]
    widths = {key: max(display_width(str(r[key])) for r in [header, *rows]) for key in columns}
    for row in [header, *rows]:
        print(
            "  ".join([pad(str(row[k]), widths[k]) for k in columns] + [str(row["note"])]).rstrip()
        )
    return 0
