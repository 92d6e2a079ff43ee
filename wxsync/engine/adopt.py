"""WeChat as the second source of truth: adopt what a lost state file forgot.

The state file can fail to reach the repository (a refused push, a cancelled job, a fresh
clone), and the next run would then create every post again. So before creating anything for a
post that has no draft or article on record, the engine lists the draft box and the published
articles, newest first, looking for the marker that names the post (`engine/marker.py`), and
records what it finds instead of creating it again.

A post renamed while its state file was lost carries its old path in the marker. Its article is
still found by the marker's content part, but only when that is safe: the old path names no post
in the repository now (else the article is that post's), and no other post being looked for has
the same content.

The search is bounded. Whatever a lost run made, it made after the state file it started from
was saved, and after the post was added to the repository; so the listing stops at the first
item older than the later of those two times (less a few minutes of clock skew), or as soon as
every post looked for is found, and never reads more than `MAX_PAGES` pages. In the common case
(a new post, nothing lost) that is one page of drafts and one of published articles per run.
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wxsync.engine import marker
from wxsync.engine.state import DRAFTED, PUBLISHED, PostRecord, State, parse_iso

if TYPE_CHECKING:  # the client pulls in requests, which a sync with nothing to do never needs
    from wxsync.wechat.client import Page

log = logging.getLogger("wxsync.engine.adopt")

Lister = Callable[[int, int], "Page"]

PAGE = 20
MAX_PAGES = 25
SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Found:
    """One article on WeChat carrying a post's marker."""

    id: str  # a draft's media_id, or a published article_id
    index: int  # the article's place in its draft or message
    url: str
    content: str  # the marker's content part: which version of the post it is
    update_time: int
    renamed: bool = False  # found by content: the marker names a path no post has any more


@dataclass(frozen=True)
class Search:
    found: dict[str, Found]  # post path -> newest article carrying its marker
    pages: int


def horizon(state: State) -> dt.datetime | None:
    """When the state file was last written to: anything a lost run made is newer."""
    stamps = [r.updated_at for r in state.posts.values() if r.updated_at]
    return max(map(parse_iso, stamps)) if stamps else None


def first_added(root: Path, paths: Iterable[str]) -> dt.datetime | None:
    """When the oldest of `paths` entered the repository's history; None when git cannot say.

    A shallow clone (what CI checks out) shows every file as added by its one commit, which
    would make the search stop far too early, so it gives no answer there.
    """
    wanted = list(paths)

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    if not wanted or git("rev-parse", "--is-shallow-repository") != "false":
        return None
    if git("ls-files", "--others", "--", *wanted):
        return None  # an untracked post may have been synced before it was ever committed
    times = git("log", "--format=%ct", "--diff-filter=A", "--", *wanted).split()
    return dt.datetime.fromtimestamp(min(map(int, times)), dt.UTC) if times else None


def search(
    list_page: Lister,
    paths: Iterable[str],
    since: dt.datetime | None,
    *,
    versions: Mapping[str, str] | None = None,
    current: Collection[str] = (),
) -> Search:
    """The newest article carrying each post's marker, reading newest first down to `since`.

    With `versions` (path -> content hash) and `current` (every post path in the repository),
    an article whose marker names a path that is no post any more is matched to the one post
    looked for with the same content: a post renamed while the state file was lost.
    """
    wanted = list(paths)
    match = _Matcher(wanted, versions or {}, current)
    oldest = (since - SKEW).timestamp() if since else None
    found: dict[str, Found] = {}
    pages = 0
    while pages < MAX_PAGES and len(found) < len(wanted):
        listing = list_page(pages * PAGE, PAGE)
        pages += 1
        for item in listing.items:
            if oldest is not None and int(item.get("update_time", 0)) < oldest:
                return Search(found, pages)
            _collect(item, match, found)
        if not listing.items or pages * PAGE >= listing.total_count:
            break
    return Search(found, pages)


class _Matcher:
    """Which post looked for, if any, an article's marker stands for (and whether by content)."""

    def __init__(self, paths: list[str], versions: Mapping[str, str], current: Collection[str]):
        self.by_post = {marker.post_key(p): p for p in paths}
        self.taken = {marker.post_key(p) for p in current} | set(self.by_post)
        contents: dict[str, list[str]] = {}
        for path in paths:
            if path in versions:
                contents.setdefault(versions[path][: marker.CONTENT_DIGITS], []).append(path)
        self.by_content = {c: found[0] for c, found in contents.items() if len(found) == 1}

    def __call__(self, mark: marker.Marker) -> tuple[str | None, bool]:
        path = self.by_post.get(mark.post)
        if path is not None:
            return path, False
        if mark.post and mark.post not in self.taken:
            return self.by_content.get(mark.content), True
        return None, False


def _collect(item: Mapping[str, Any], match: _Matcher, found: dict[str, Found]) -> None:
    articles: list[dict[str, Any]] = item.get("content", {}).get("news_item", [])
    if len(articles) != 1:
        # A post of its own is always a one-article draft; an article inside a multi-article
        # message belongs to that message, whose records say what becomes of it.
        return
    key = str(item.get("media_id") or item.get("article_id") or "")
    for index, article in enumerate(articles):
        for mark in marker.markers_in(str(article.get("content", ""))):
            path, renamed = match(mark)
            if path is not None and path not in found:  # newest first: keep the first seen
                found[path] = Found(
                    key,
                    index,
                    str(article.get("url", "")),
                    mark.content,
                    int(item.get("update_time", 0)),
                    renamed,
                )


def adopt_article(record: PostRecord, found: Found, current_hash: str) -> None:
    """Record a published article found on WeChat as this post's article."""
    record.article_id, record.url = found.id, found.url
    record.published_hash = _version(found, current_hash)
    record.status, record.error, record.intent = PUBLISHED, None, None
    record.publish_id = ""
    record.published_at = _iso(found.update_time)
    record.touch()


def adopt_draft(record: PostRecord, found: Found, current_hash: str) -> None:
    """Record a draft found on WeChat as this post's draft."""
    record.draft_media_id = found.id
    record.draft_hash = _version(found, current_hash)
    record.status, record.error, record.intent = DRAFTED, None, None
    record.touch()


def _version(found: Found, current_hash: str) -> str:
    """The post's full hash if WeChat has this version; else the marker's part, which then
    never equals a full hash, so the planner sees the post as changed since."""
    return current_hash if found.content == current_hash[: marker.CONTENT_DIGITS] else found.content


def _iso(timestamp: int) -> str:
    return (
        dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat().replace("+00:00", "Z")
        if timestamp
        else ""
    )
