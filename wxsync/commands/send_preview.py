"""`wxsync send-preview PATH --to ID`: put a post's draft on one phone, now."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from wxsync.config import load_settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "send-preview",
        help="send a post's draft to a WeChat ID as a preview",
        description=(
            "Send the WeChat draft that holds PATH (its whole message) to the given WeChat IDs "
            "with message/mass/preview. The receivers must follow the account. Run "
            "`wxsync sync` first so the draft exists."
        ),
    )
    parser.add_argument("path", help="the post")
    parser.add_argument(
        "--to",
        action="append",
        required=True,
        metavar="WECHAT_ID",
        help="receiver's WeChat ID (repeatable)",
    )
    parser.add_argument("--state", metavar="FILE", help="state file (default .wxsync/state.json)")
    parser.add_argument(
        "--api-base", metavar="URL", help="WeChat API base URL (env WXSYNC_API_BASE)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wxsync.engine.broadcaster import send_previews
    from wxsync.engine.state import load
    from wxsync.engine.sync import make_client
    from wxsync.errors import ConfigError

    settings = load_settings(
        Path(args.path).resolve().parent, {"state": args.state, "api_base": args.api_base}
    )
    try:
        relative = Path(args.path).resolve().relative_to(settings.root.resolve()).as_posix()
    except ValueError:
        raise ConfigError(f"{args.path}: not inside the repository {settings.root}") from None
    record = load(settings.state_path).posts.get(relative)
    if record is None or not record.draft_media_id:
        raise ConfigError(
            f"{relative}: no draft of this post on WeChat (published, sent, or never synced); "
            "run `wxsync sync --mode draft` first"
        )
    warnings = send_previews(make_client(settings), record.draft_media_id, tuple(args.to))
    for warning in warnings:
        print(f"wxsync: {relative}: {warning}")
    for wechat_id in args.to:
        if not any(w.startswith(f"preview to {wechat_id} ") for w in warnings):
            print(f"{relative}: preview sent to {wechat_id}")
    return 1 if warnings else 0
