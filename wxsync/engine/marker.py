"""The marker on every article wxsync writes: which post it came from, and which version of it.

WeChat has no field of ours on an article, but it keeps `id` attributes, so the article's root
element carries `id="wxsync-<post>-<content>"`: `<post>` is 12 hex digits of the SHA-256 of the
post's path in the repository, `<content>` the first 16 hex digits of its content hash.
Reconciling an interrupted call matches the content part (this exact version was sent);
adoption matches the post part (some version of this post is on WeChat), which is what lets a
lost state file be rebuilt from WeChat. Articles written before the post part existed carry
`id="wxsync-<content>"`; they are still read, and match on content only.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

PREFIX = "wxsync-"
POST_DIGITS = 12
CONTENT_DIGITS = 16
_PATTERN = re.compile(
    r"""\bid=["']?wxsync-(?:([0-9a-f]{12})-)?([0-9a-f]{16})(?![0-9a-f-])"""
)  # the digit counts are POST_DIGITS and CONTENT_DIGITS


@dataclass(frozen=True)
class Marker:
    post: str  # "" on articles written before markers named their post
    content: str

    @property
    def value(self) -> str:
        return f"{PREFIX}{self.post}-{self.content}" if self.post else f"{PREFIX}{self.content}"

    def is_post(self, path: str) -> bool:
        return bool(self.post) and self.post == post_key(path)

    def is_version(self, content_hash: str) -> bool:
        return self.content == content_hash[:CONTENT_DIGITS]


# What marking adds to an article's HTML, for length checks made before rendering for real.
LENGTH = len(f' id="{PREFIX}{"0" * POST_DIGITS}-{"0" * CONTENT_DIGITS}"')


def post_key(path: str) -> str:
    """The post part of the marker: stable for as long as the post keeps its path."""
    return hashlib.sha256(path.encode("utf-8")).hexdigest()[:POST_DIGITS]


def marker_for(path: str, content_hash: str) -> Marker:
    return Marker(post_key(path), content_hash[:CONTENT_DIGITS])


def mark(html: str, marker: Marker) -> str:
    """Tag the root element with `marker` (wrapping the HTML in a section if it has no root)."""
    attribute = f'id="{marker.value}"'
    if html.startswith("<section"):
        return f"<section {attribute}" + html[len("<section") :]
    return f"<section {attribute}>{html}</section>"


def markers_in(html: str) -> list[Marker]:
    """Every marker in an article's HTML as WeChat returns it, old and new forms alike."""
    return [Marker(post or "", content) for post, content in _PATTERN.findall(html)]


def has_any(html: str) -> bool:
    return bool(_PATTERN.search(html))
