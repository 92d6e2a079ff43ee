"""Flags shared by the commands that read posts, and turning them into `Settings`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wxsync.config import Settings, find_root, load_settings


def add_settings_arguments(parser: argparse.ArgumentParser, *, api: bool = False) -> None:
    parser.add_argument(
        "path", nargs="?", help="content folder (default: `content` from wxsync.yml)"
    )
    parser.add_argument(
        "--mode",
        choices=("draft", "publish", "broadcast"),
        help="stop at drafts, publish them, or mass-send them to followers",
    )
    parser.add_argument("--state", metavar="FILE", help="state file (default .wxsync/state.json)")
    parser.add_argument("--theme", help="theme name")
    if api:
        parser.add_argument(
            "--api-base", metavar="URL", help="WeChat API base URL (env WXSYNC_API_BASE)"
        )


def settings_from(args: argparse.Namespace) -> Settings:
    start = Path(args.path) if getattr(args, "path", None) else Path.cwd()
    if start.is_file():
        start = start.parent
    overrides: dict[str, object] = {
        "mode": getattr(args, "mode", None),
        "state": getattr(args, "state", None),
        "theme": getattr(args, "theme", None),
        "api_base": getattr(args, "api_base", None),
        "jobs": getattr(args, "jobs", None),
        "preview_to": tuple(args.preview_to) if getattr(args, "preview_to", None) else None,
    }
    if getattr(args, "path", None):
        root = find_root(start)
        target = Path(args.path).resolve()
        folder = target.parent if target.is_file() else target
        try:
            overrides["content"] = folder.relative_to(root).as_posix() or "."
        except ValueError:
            overrides["content"] = str(folder)
    return load_settings(start, overrides)


def err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
