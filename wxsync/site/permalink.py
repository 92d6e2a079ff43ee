"""A post's address on its site, worked out the way its generator works it out.

The rules follow the generators' own code: Hugo's permalink expander and path sanitizer
(resources/page/permalinks.go, common/paths/path.go), Hexo's post_permalink filter and Jekyll's
permalink styles. Front matter wins: Hugo's `url`, Hexo's and Jekyll's `permalink`, and `slug`
in place of the name taken from the file. A pattern with a token we do not know gives no
address at all: no 阅读原文 link is better than a wrong one.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from wxsync.content.post import Post
    from wxsync.site.model import Site

_TOKEN = re.compile(r":([A-Za-z_]+)")
_JEKYLL_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
_SAFE = "/%:@!$&'()*+,;=~-._"


class _Unknown(Exception):
    """A token the pattern needs but the post cannot supply."""


def post_url(site: Site, post_path: str, post: Post) -> str:
    """The post's full URL on `site`, percent-encoded; "" when the site or the rule is unknown."""
    written = post.url or post.permalink
    if written.startswith(("http://", "https://")):
        return quote(written, safe=_SAFE)
    if not site.url:
        return ""
    try:
        path = written or _FROM_RULES.get(site.generator, _generic)(site, post_path, post)
    except _Unknown:
        return ""
    if not path:
        return ""
    path = re.sub(r"/{2,}", "/", "/" + path.lstrip("/"))
    return site.url + quote(path, safe=_SAFE)


def _hugo(site: Site, post_path: str, post: Post) -> str:
    file = _under(post_path, site.content)
    folders = list(file.parent.parts)
    bundle = file.stem == "index"
    name = folders[-1] if bundle and folders else file.stem
    if bundle and folders:
        folders = folders[:-1]
    section = folders[0] if folders else ""
    pattern = next((p for s, p in site.permalinks if s == section), "") or next(
        (p for s, p in site.permalinks if s == ""), ""
    )

    def urlize(text: str) -> str:
        clean = _hugo_sanitize(text)
        return clean.lower() if site.lower_paths else clean

    if not pattern:
        leaf = urlize(post.slug) if post.slug else urlize(name)
        path = "/".join([*(urlize(f) for f in folders), leaf])
        return f"/{path}.html" if site.ugly_urls else f"/{path}/"
    tokens: dict[str, Callable[[], str]] = {
        **_date_tokens(post),
        "section": lambda: section,
        "sections": lambda: "/".join(folders),
        "title": lambda: urlize(post.title),
        "slug": lambda: urlize(post.slug or post.title),
        "filename": lambda: urlize(name),
        "contentbasename": lambda: urlize(name),
        "slugorfilename": lambda: urlize(post.slug or name),
        "slugorcontentbasename": lambda: urlize(post.slug or name),
    }
    return _expand(pattern, tokens)


def _hexo(site: Site, post_path: str, post: Post) -> str:
    slug = post.slug or _under(post_path, site.content).with_suffix("").as_posix()
    categories = post.categories
    tokens: dict[str, Callable[[], str]] = {
        **_date_tokens(post),
        "title": lambda: slug,
        "name": lambda: PurePosixPath(slug).name,
        "post_title": lambda: _hexo_slugize(post.title),
        "category": lambda: categories[-1] if categories else "uncategorized",
    }
    path = _expand(site.permalink, tokens)
    if site.asset_folders and not path.endswith(("/", ".html")):
        path += "/"
    return path


def _jekyll(site: Site, post_path: str, post: Post) -> str:
    pure = PurePosixPath(post_path)
    collection = next(
        (
            (folder, pattern)
            for folder, pattern in site.permalinks
            if PurePosixPath(folder) in pure.parents
        ),
        None,
    )
    match = _JEKYLL_NAME.match(pure.stem)
    title = post.slug or (match.group(4) if match else pure.stem)
    tokens: dict[str, Callable[[], str]] = {
        **_date_tokens(post),
        "title": lambda: title,
        "slug": lambda: _jekyll_slugify(title),
        "output_ext": lambda: ".html",
        "categories": lambda: "/".join(c.lower() for c in _jekyll_categories(pure, post)),
        "name": lambda: pure.stem,
    }
    if collection is not None:
        folder, pattern = collection
        tokens["collection"] = lambda: PurePosixPath(folder).name.lstrip("_")
        tokens["path"] = lambda: pure.relative_to(folder).with_suffix("").as_posix()
        return _expand(pattern, tokens)
    if post.date is None and match:
        year, month, day = match.group(1), match.group(2), match.group(3)
        tokens.update(year=lambda: year, month=lambda: month, day=lambda: day)
    return _expand(site.permalink, tokens)


def _generic(site: Site, post_path: str, post: Post) -> str:
    """`site.permalink` from wxsync.yml for a plain repository or a vault: common tokens only."""
    if not site.permalink:
        return ""
    stem = _under(post_path, site.content).stem
    tokens: dict[str, Callable[[], str]] = {
        **_date_tokens(post),
        "slug": lambda: post.slug or _jekyll_slugify(stem),
        "title": lambda: post.slug or stem,
        "filename": lambda: stem,
        "name": lambda: stem,
    }
    return _expand(site.permalink, tokens)


_FROM_RULES = {"hugo": _hugo, "hexo": _hexo, "jekyll": _jekyll}


def _expand(pattern: str, tokens: dict[str, Callable[[], str]]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in tokens:
            raise _Unknown(name)
        return tokens[name]()

    return _TOKEN.sub(value, pattern)


def _date_tokens(post: Post) -> dict[str, Callable[[], str]]:
    def part(form: Callable[[dt.datetime], str]) -> Callable[[], str]:
        def get() -> str:
            if post.date is None:
                raise _Unknown("date")
            return form(post.date)

        return get

    return {
        "year": part(lambda d: f"{d.year:04d}"),
        "short_year": part(lambda d: f"{d.year % 100:02d}"),
        "month": part(lambda d: f"{d.month:02d}"),
        "i_month": part(lambda d: str(d.month)),
        "monthname": part(lambda d: d.strftime("%B")),
        "day": part(lambda d: f"{d.day:02d}"),
        "i_day": part(lambda d: str(d.day)),
        "hour": part(lambda d: f"{d.hour:02d}"),
        "minute": part(lambda d: f"{d.minute:02d}"),
        "second": part(lambda d: f"{d.second:02d}"),
        "y_day": part(lambda d: d.strftime("%j")),
        "yearday": part(lambda d: str(int(d.strftime("%j")))),
    }


def _under(post_path: str, content: str) -> PurePosixPath:
    pure = PurePosixPath(post_path)
    folder = PurePosixPath(content)
    if folder != PurePosixPath(".") and folder in pure.parents:
        return pure.relative_to(folder)
    return pure


def _hugo_sanitize(text: str) -> str:
    """Hugo's path sanitizer: letters, digits and `._~+-@#/` stay, spaces become one hyphen."""
    kept: list[str] = []
    pending_hyphen = False
    for char in text:
        allowed = (
            char.isalnum() or char in "./\\_#+~-@%" or unicodedata.category(char).startswith("M")
        )
        if allowed:
            if pending_hyphen and char != "-":
                kept.append("-")
            pending_hyphen = False
            kept.append(char)
        elif kept and kept[-1] != "-" and char.isspace():
            pending_hyphen = True
    return "".join(kept)


def _hexo_slugize(text: str) -> str:
    """hexo-util's slugize with `transform: 1`: punctuation and spaces to one hyphen, lower case."""
    slug = re.sub(r"[\s~`!@#$%^&*()\-_+=\[\]{}|\\;:\"'<>,.?/]+", "-", text)
    return slug.strip("-").lower()


def _jekyll_slugify(text: str) -> str:
    """Jekyll's default slugify: anything but letters and digits becomes one hyphen, lower case."""
    return re.sub(r"[^\w]+|_+", "-", text).strip("-").lower()


def _jekyll_categories(path: PurePosixPath, post: Post) -> list[str]:
    """Folders above `_posts` are categories too (`blog/_posts/x.md` is in `blog`)."""
    parts = path.parts
    folders = list(parts[: parts.index("_posts")]) if "_posts" in parts else []
    return [*folders, *(c for c in post.categories if c not in folders)]
