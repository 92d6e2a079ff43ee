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


# The package a crashing frame belongs to says what wxsync was doing with the post.
_STAGES = (
    ("wxsync.content", "reading"),
    ("wxsync.render", "rendering"),
    ("wxsync.images", "checking the images of"),
    ("wxsync.site", "working out the site address of"),
)


def describe_crash(exc: BaseException) -> str:
    """One line for an unexpected exception while handling one post: what failed, and what to do.

    It is a wxsync bug, not the author's, so the line says so; it names the step (from the
    innermost wxsync frame of the traceback) and the exception, never the traceback itself.
    """
    from wxsync.redact import redact

    stage = "checking"
    traceback = exc.__traceback__
    while traceback is not None:
        module = str(traceback.tb_frame.f_globals.get("__name__", ""))
        for prefix, name in _STAGES:
            if module == prefix or module.startswith(prefix + "."):
                stage = name
        traceback = traceback.tb_next
    detail = " ".join(str(exc).split())[:200]
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return redact(
        f"wxsync failed while {stage} this post ({what}); the other posts go on. "
        "This is a wxsync bug, not yours: please report it with this line"
    )


class Cancelled(WxsyncError):
    """The run was cancelled (SIGINT/SIGTERM): no new WeChat call is started."""
