"""`Site`: the facts about a repository's site generator that wxsync acts on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from wxsync.content.post import Post

GENERATORS = ("hugo", "hexo", "jekyll", "obsidian", "plain")
NAMES = {
    "hugo": "Hugo",
    "hexo": "Hexo",
    "jekyll": "Jekyll",
    "obsidian": "Obsidian vault",
    "plain": "plain Markdown",
}


@dataclass(frozen=True)
class Site:
    """A repository as its generator sees it. Folders are relative to the repository root."""

    generator: str = "plain"
    config: str = ""  # the configuration file the facts came from ("" when none)
    content: str = "content"  # where the posts are
    more_content: tuple[str, ...] = ()  # more folders of posts (Jekyll collections with output)
    static: tuple[str, ...] = ()  # folders served at the site root "/"
    url: str = ""  # the site's address with its base path, no trailing slash ("" unknown)
    permalink: str = ""  # the pattern for posts not matched by `permalinks`
    permalinks: tuple[tuple[str, str], ...] = ()  # (section or collection folder, pattern)
    asset_folders: bool = False  # Hexo post_asset_folder: `a.md` keeps its files in `a/`
    vault: bool = False  # Obsidian: an attachment is found by its file name anywhere
    lower_paths: bool = True  # Hugo lower-cases the paths it makes (disablePathToLower)
    ugly_urls: bool = False  # Hugo uglyURLs: `/a.html` instead of `/a/`
    overridden: tuple[str, ...] = ()  # the `site:` keys of wxsync.yml that replaced a fact

    @property
    def name(self) -> str:
        return NAMES.get(self.generator, self.generator)

    @property
    def base_path(self) -> str:
        """The path part of the site URL ("/blog" for https://example.com/blog/, else "")."""
        return urlsplit(self.url).path.rstrip("/") if self.url else ""

    def post_url(self, post_path: str, post: Post) -> str:
        """The post's address on the site, as its generator makes it; "" when it is unknown."""
        from wxsync.site.permalink import post_url

        return post_url(self, post_path, post)

    def describe(self) -> str:
        """One line saying what was detected, for `check`, `sync --dry-run` and `doctor`."""
        parts = [f"site: {self.name}" + (f" ({self.config})" if self.config else "")]
        folders = [self.content, *self.more_content]
        parts.append(
            "posts in " + ", ".join(f"{f.rstrip('/')}/" if f != "." else "./" for f in folders)
        )
        if self.static:
            parts.append("site root " + ", ".join(f"{s}/" for s in self.static))
        if self.asset_folders:
            parts.append("post asset folders")
        if self.vault:
            parts.append("attachments found by name")
        parts.append(f"阅读原文 from {self.url}" if self.url else "no site URL (阅读原文 off)")
        if self.overridden:
            parts.append("wxsync.yml sets " + ", ".join(self.overridden))
        return " · ".join(parts)
