"""A lost state file, rebuilt for messages from what WeChat holds.

When a run starts with an empty state file (a fresh clone, a push that was refused), anything
wxsync wrote earlier is still on WeChat, each article marked with its post (see `marker.py`).
Before a message is drafted from scratch, the drafts and published articles are listed once,
newest first and bounded, and a message whose head post is found there is adopted: its draft
is then updated in place (or replaced if its articles no longer match), its published articles
are not published again. Mass sends cannot be listed, but need no adoption: the `clientmsgid`
of an unchanged message is the same, and WeChat answers 45065 instead of sending twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wxsync.engine import marker
from wxsync.engine.messages import Message
from wxsync.engine.state import DRAFTED, PUBLISHED, MessageRecord, State, mark_published

if TYPE_CHECKING:
    from wxsync.wechat.client import Page

PAGE = 20
MAX_PAGES = 5


@dataclass(frozen=True)
class Found:
    """One draft or published message on WeChat: its id and each article's marker and URL."""

    id: str
    published: bool
    markers: tuple[marker.Marker | None, ...]
    urls: tuple[str, ...]


def listing(list_page: Callable[[int, int], Page], *, published: bool) -> list[Found]:
    """Every item of a draft or published listing, newest first, up to `MAX_PAGES` pages."""
    found = []
    for page in range(MAX_PAGES):
        answer = list_page(page * PAGE, PAGE)
        for item in answer.items:
            articles: list[dict[str, Any]] = item.get("content", {}).get("news_item", [])
            markers = tuple(
                next(iter(marker.markers_in(str(a.get("content", "")))), None) for a in articles
            )
            key = str(item.get("article_id" if published else "media_id") or "")
            found.append(
                Found(key, published, markers, tuple(str(a.get("url", "")) for a in articles))
            )
        if not answer.items or (page + 1) * PAGE >= answer.total_count:
            break
    return found


def match(message: Message, found: list[Found]) -> Found | None:
    """The newest item whose first article is the message's head post."""
    head = message.posts[0].path
    for item in found:
        first = item.markers[0] if item.markers else None
        if first is not None and first.is_post(head):
            return item
    return None


def adopt(state: State, message: Message, item: Found) -> MessageRecord:
    """A message record for what was found; the articles that match keep their content hash."""
    expected = [post for post in message.posts for _part in range(post.parts)]
    same_layout = len(item.markers) == len(expected) and all(
        m is not None and m.is_post(post.path)
        for m, post in zip(item.markers, expected, strict=True)
    )
    record = state.messages.setdefault(message.key, MessageRecord())
    record.title = message.posts[0].title
    if not same_layout:
        # Not the message as it is now: replace it (a draft) or leave it alone (published).
        if item.published:
            record.article_id, record.status = item.id, PUBLISHED
        else:
            record.stale, record.status = [item.id], DRAFTED
        record.touch()
        return record
    hashes = []
    for post in message.posts:
        index = message.index_of(post.path)
        found = item.markers[index]
        hashes.append(post.hash if found is not None and found.is_version(post.hash) else "")
    record.posts, record.parts, record.hashes = message.paths, message.parts, hashes
    if item.published:
        record.article_id, record.urls, record.status = item.id, list(item.urls), PUBLISHED
        placed = [
            (p.path, message.index_of(p.path), hashes[i]) for i, p in enumerate(message.posts)
        ]
        mark_published(state, placed, item.id, list(item.urls), at=None)
        for post in message.posts:
            state.post(post.path).in_message = message.key
    else:
        record.media_id, record.status = item.id, DRAFTED
        for post in message.posts:
            posted = state.post(post.path)
            posted.draft_media_id, posted.status = item.id, DRAFTED
            posted.draft_hash = hashes[message.paths.index(post.path)]
            posted.in_message = message.key
    record.touch()
    return record
