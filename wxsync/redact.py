"""Keep the AppSecret and access tokens out of everything wxsync prints, logs or raises.

WeChat puts the access token in the query string of every call, and `requests` quotes the
full URL in its exception messages, so a single careless `str(exc)` would leak it. Every
string that leaves wxsync through an error, a log record or the CLI passes through `redact`.
Secrets seen at run time (the AppSecret, each issued token) are registered here so that even
a value that turns up outside a recognisable `access_token=` pattern is masked.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"

_PATTERNS = [
    # query strings: ?access_token=...&secret=...
    re.compile(r"(?i)((?:access_token|secret|appsecret)=)[^&\s'\"<>#]+"),
    # JSON: "access_token": "...", "secret": "..."
    re.compile(r'(?i)("(?:access_token|secret|appsecret)"\s*:\s*")[^"]*'),
    # credentials in a URL: scheme://user:password@host (keep the user name, which helps)
    re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@'\"<>]*:)[^/\s@'\"<>]+(?=@)"),
    # a bare token as the user part: https://ghp_xxx@github.com
    re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@'\"<>]+(?=@)"),
]

_known: set[str] = set()
_lock = threading.Lock()

# Values shorter than this are too likely to occur in innocent text to be masked literally.
_MIN_SECRET_LENGTH = 6


def register_secret(value: str | None) -> None:
    """Remember a secret value so that `redact` masks it wherever it appears."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _known.add(value)


def known_secrets() -> list[str]:
    with _lock:
        return sorted(_known, key=len, reverse=True)


def redact(text: str) -> str:
    """Return `text` with access tokens and registered secrets replaced by `***`."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    for secret in known_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the fully formatted message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True
