"""The one error the images package raises for problems a user can fix."""

from __future__ import annotations

from wxsync.errors import WxsyncError
from wxsync.redact import redact


class ImageError(WxsyncError):
    """One line naming the image (as written in the post) and the fix.

    `src` is the image as the post wrote it, or the URL without its query string for
    downloads; it is empty when the caller did not say which image it was (the bytes-only
    functions), and the line is then just the message. Both parts pass through `redact`
    because image URLs can carry tokens.
    """

    def __init__(self, src: str, message: str) -> None:
        # Both values in `args` so the exception survives pickling (process pools).
        super().__init__(redact(src), redact(message))
        self.src = redact(src)
        self.message = redact(message)

    def __str__(self) -> str:
        return f"{self.src}: {self.message}" if self.src else self.message
