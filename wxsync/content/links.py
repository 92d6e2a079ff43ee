"""Which post of the repository a link points to. Pure: works on the list of post paths.

Authors link to their other posts the way their generator resolves them: a relative path to the
Markdown file (`../2024/other.md`), Hugo's `ref "other.md"` or `ref "/post/other"`, Jekyll's
`post_url 2024-05-01-other` and `link _posts/...`, Hexo's `post_link other`, Obsidian's
`[[Other]]`. The syntax layer turns the generator forms into `wxsync:<kind>/<target>` links;
`PostIndex.find` turns any of them (and relative `.md` links) into the target's path, so the
engine can give the link the target's WeChat or site address.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import unquote, urlsplit

from wxsync.content.syntax.scanner import POST_LINK

MARKDOWN_SUFFIXES = (".md", ".markdown")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class Target:
    path: str  # the linked post, relative to the repository root
    fragment: str = ""  # the heading it points to, without `#`


@dataclass
class PostIndex:
    """The repository's posts, looked up the ways generators look them up."""

    paths: frozenset[str]

    @classmethod
    def build(cls, paths: Iterable[str]) -> PostIndex:
        return cls(frozenset(paths))

    @cached_property
    def by_stem(self) -> dict[str, list[str]]:
        """Posts by file name without suffix; built at the first lookup, as a sync with no post
        to render looks nothing up."""
        stems: dict[str, list[str]] = defaultdict(list)
        for path in sorted(self.paths):
            stems[_stem(path).casefold()].append(path)
            if _stem(path) in ("index", "_index"):  # a Hugo page bundle is named by its folder
                stems[posixpath.basename(posixpath.dirname(path)).casefold()].append(path)
        return dict(stems)

    def find(self, url: str, source: str) -> Target | None:
        """The post `url` (as written in `source`) links to, or None if it is not one."""
        if url.startswith(POST_LINK):
            kind, _slash, written = url[len(POST_LINK) :].partition("/")
            target, _hash, fragment = unquote(written).partition("#")
            path = self._generator_target(kind, target.strip(), source)
            return Target(path, fragment) if path else None
        if _SCHEME.match(url) or url.startswith(("//", "#")):
            return None
        parts = urlsplit(url)
        relative = unquote(parts.path)
        if not relative.lower().endswith(MARKDOWN_SUFFIXES):
            return None
        path = self._relative(relative, source)
        return Target(path, unquote(parts.fragment)) if path else None

    def _generator_target(self, kind: str, target: str, source: str) -> str | None:
        if not target:
            return None
        if kind == "path":  # Jekyll `link`: from the site's root, which is the repository's
            return self._exact(target.lstrip("/"))
        if kind == "ref":
            return (
                self._relative(target, source)
                or self._under_content(target, source)
                or self._by_name(posixpath.basename(target.rstrip("/")))
            )
        if kind in ("post_url", "post_link"):
            name = target.rstrip("/")
            folder = posixpath.dirname(name.lstrip("/"))
            matches = [
                p
                for p in self.by_stem.get(posixpath.basename(name).casefold(), [])
                if not folder or f"/{folder}/" in f"/{posixpath.dirname(p)}/"
            ]
            return matches[0] if len(matches) == 1 else None
        if kind == "wiki":
            return (
                self._exact(target)
                or self._relative(target, source)
                or self._under_content(target, source)
                or self._by_name(posixpath.basename(target))
            )
        return None

    def _relative(self, target: str, source: str) -> str | None:
        if target.startswith("/"):
            return None
        folder = posixpath.dirname(source)
        return self._exact(posixpath.normpath(posixpath.join(folder, target)))

    def _under_content(self, target: str, source: str) -> str | None:
        """`/post/x.md` or `post/x` from the content folder, whichever folder that is."""
        target = target.lstrip("/")
        parts = source.split("/")
        for depth in range(len(parts) - 1, -1, -1):
            base = "/".join(parts[:depth])
            found = self._exact(posixpath.join(base, target) if base else target)
            if found:
                return found
        return None

    def _exact(self, path: str) -> str | None:
        path = path.rstrip("/")
        candidates = [path]
        if not path.lower().endswith(MARKDOWN_SUFFIXES):
            candidates += [path + suffix for suffix in MARKDOWN_SUFFIXES]
            candidates += [f"{path}/index.md", f"{path}/_index.md"]
        return next((c for c in candidates if c in self.paths), None)

    def _by_name(self, name: str) -> str | None:
        stem = name
        for suffix in MARKDOWN_SUFFIXES:
            stem = stem.removesuffix(suffix)
        matches = self.by_stem.get(stem.casefold(), [])
        return matches[0] if len(matches) == 1 else None


def _stem(path: str) -> str:
    name = posixpath.basename(path)
    for suffix in MARKDOWN_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name
