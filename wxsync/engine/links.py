"""Links between posts: each gets the best address its target has now.

A target already published on WeChat: its article URL, which WeChat keeps clickable. A target
not on WeChat yet: its address on the site (the renderer shows it as a numbered reference), or
plain text when the site's address is unknown. The addresses a post's links got are part of its
content hash and of its state record, so a post that is only drafted is updated once its
targets are published; a published article is never rewritten for that (WeChat cannot edit it,
and publishing it again would notify followers twice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wxsync.content.links import PostIndex
from wxsync.content.post import load_post
from wxsync.content.syntax.scanner import POST_LINK
from wxsync.engine.state import PUBLISHED, PostRecord, State

if TYPE_CHECKING:
    from wxsync.config import Settings
    from wxsync.site import Site

SiteUrl = Callable[[str], str]  # a post's path → its address on the site ("" if unknown)


def no_site_url(path: str) -> str:
    return ""


def site_addresses(settings: Settings, site: Site) -> SiteUrl:
    """Posts' addresses on the detected site, each worked out once (reading its front matter)."""
    known: dict[str, str] = {}

    def address(path: str) -> str:
        if path not in known:
            loaded = load_post(
                settings.root, path, timezone=settings.timezone, generator=site.generator
            )
            known[path] = site.post_url(path, loaded.post) if loaded.post else ""
        return known[path]

    return address


@dataclass
class PostLinks:
    """What one render of one post linked to."""

    urls: dict[str, str] = field(default_factory=dict)  # link as written → address ("" text)
    targets: dict[str, str] = field(default_factory=dict)  # linked post → the address it got
    missing: list[str] = field(default_factory=list)  # generator links to no post of ours


class LinkResolver:
    def __init__(self, posts: PostIndex, state: State, site_url: SiteUrl = no_site_url) -> None:
        self.posts = posts
        self.state = state
        self.site_url = site_url

    def address(self, target: str) -> str:
        """Where a link to `target` goes now: WeChat article, else site page, else ""."""
        record = self.state.posts.get(target)
        if record is not None and is_published(record) and record.url:
            return record.url
        return self.site_url(target)

    def for_post(self, source: str) -> tuple[Callable[[str], str | None], PostLinks]:
        """A `link_url` mapping for rendering `source`, and what it found as it was used."""
        found = PostLinks()

        def link_url(url: str) -> str | None:
            if url in found.urls:
                return found.urls[url]
            target = self.posts.find(url, source)
            if target is None:
                if not url.startswith(POST_LINK):
                    return None  # an ordinary link: the renderer's link policy applies
                found.missing.append(url)
                address = ""
            elif target.path == source:
                address = ""  # a link into the post itself: WeChat has no anchors to jump to
            else:
                address = self.address(target.path)
                found.targets[target.path] = address
                if address and target.fragment and not is_wechat_url(address):
                    address += "#" + target.fragment
            found.urls[url] = address
            return address

        return link_url, found


def is_published(record: PostRecord) -> bool:
    return record.status == PUBLISHED or bool(record.article_id)


def is_wechat_url(url: str) -> bool:
    from wxsync.render.urls import is_wechat_article

    return is_wechat_article(url)
