"""The `wxsync` command line: one module per verb under `wxsync/commands/`.

Each command module exposes `register(subparsers)` and keeps its heavy imports inside its
`run` function, so that `wxsync sync` with nothing to do starts in a blink.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from wxsync import __version__
from wxsync.errors import WxsyncError
from wxsync.redact import RedactingFilter, redact

COMMANDS = (
    "init",
    "sync",
    "check",
    "render",
    "preview",
    "status",
    "new",
    "doctor",
    "emulator",
    "send-preview",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wxsync",
        description="Git-native publishing for WeChat Official Accounts.",
    )
    parser.add_argument("--version", action="version", version=f"wxsync {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"wxsync.commands.{name.replace('-', '_')}")
        except ModuleNotFoundError as exc:
            if exc.name != f"wxsync.commands.{name.replace('-', '_')}":
                raise
            continue
        module.register(subparsers)
    return parser


def setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("wxsync")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    try:
        return int(args.run(args))
    except WxsyncError as error:
        message = redact(str(error))
        print(f"wxsync: error: {message}", file=sys.stderr)
        if os.environ.get("GITHUB_ACTIONS") == "true":
            escaped = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            print(f"::error title=wxsync::{escaped}", flush=True)
        return error.exit_code
    except KeyboardInterrupt:
        print("wxsync: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
