"""The root of wxsync's error tree.

Everything a user can cause or fix surfaces as a `WxsyncError` whose `str()` is one line that
says what went wrong and what to do. The CLI prints that line and exits non-zero; it never
shows a traceback for these.
"""

from __future__ import annotations


class WxsyncError(Exception):
    """Base class for errors wxsync reports to the user as one line."""

    exit_code = 1


class ConfigError(WxsyncError):
    """Bad configuration or command-line usage: fix the setting, then run again."""

    exit_code = 2
