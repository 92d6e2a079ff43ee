"""Flags shared by the commands that read posts, and turning them into `Settings`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

from wxsync.config import Settings, find_root, load_settings, url_problem
from wxsync.errors import ConfigError
from wxsync.redact import redact


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


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (argparse names the flag in its error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def check_url(flag: str, value: str | None) -> None:
    """A URL given on the command line: http(s) with a host, or a ConfigError naming the flag."""
    if value is None:
        return
    problem = url_problem(value)
    if problem:
        raise ConfigError(f"{flag} {redact(value)}: {problem}")


def settings_from(args: argparse.Namespace, *, narrow: bool = True) -> Settings:
    """Settings for a command; a path argument becomes the content folder when `narrow`."""
    check_url("--api-base", getattr(args, "api_base", None))
    if getattr(args, "path", None) and not Path(args.path).exists():
        raise ConfigError(f"{args.path}: no such file or folder")
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
    if getattr(args, "path", None) and narrow:
        root = find_root(start)
        target = Path(args.path).resolve()
        folder = target.parent if target.is_file() else target
        try:
            overrides["content"] = folder.relative_to(root).as_posix() or "."
        except ValueError:
            overrides["content"] = str(folder)
    return load_settings(start, overrides)


def path_scope(args: argparse.Namespace, settings: Settings) -> tuple[str, list[str]]:
    """The folder a path argument narrows a run to, and the single post when it names a file.

    The folder is relative to the repository root; ("", []) without a path argument.
    """
    if not getattr(args, "path", None):
        return "", []
    target = Path(args.path).resolve()
    try:
        relative = target.relative_to(settings.root.resolve()).as_posix()
    except ValueError:
        raise ConfigError(f"{args.path}: outside the repository {settings.root}") from None
    if target.is_file():
        return PurePosixPath(relative).parent.as_posix(), [str(target)]
    return relative, []


def err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
