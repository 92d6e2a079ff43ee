"""From a post file to everything the planner and the engine need to know about it.

`examine` reads one post, renders it once (which also lists its images), resolves every image
and the cover without touching the network, runs the offline checks, and computes the content
hash. `wxsync check`, `wxsync sync --dry-run` and the engine all go through it, so they agree on
what is wrong with a post. Unchanged posts never get here: `facts_from_record` plans them from
the state file alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from wxsync.config import Settings
from wxsync.content.post import TITLE_LIMIT, Post, Problem, load_post
from wxsync.engine import marker
from wxsync.engine.parts import MAX_PARTS, Part, TooLong, split
from wxsync.engine.plan import PostFacts
from wxsync.engine.sources import SourceIndex
from wxsync.engine.state import PUBLISHED, PostRecord, parse_iso

if TYPE_CHECKING:
    from wxsync.engine.links import LinkResolver
    from wxsync.images import ImageRef, Places
    from wxsync.render import Fitted, Renderer, RenderOptions, RenderResult
    from wxsync.site import Site

CONTENT_CHAR_LIMIT = 20_000
CONTENT_BYTE_LIMIT = 1_000_000


@dataclass(frozen=True)
class Cover:
    """Where a post's cover comes from."""

    source: str  # "front matter" | "first image" | "default" | "generated"
    ref: ImageRef | None = None


@dataclass(frozen=True)
class Manuscript:
    """A post examined: parsed, rendered once with local image sources, checked, hashed."""

    path: str
    post: Post | None
    source_id: str
    hash: str = ""
    render: RenderResult | None = None
    images: dict[str, ImageRef] = field(default_factory=dict)  # src as written → resolved
    cover: Cover | None = None
    deps: dict[str, str | None] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # linked post → the address it got
    link_urls: dict[str, str] = field(default_factory=dict)  # link as written → address
    problems: tuple[Problem, ...] = ()
    source_url: str = ""  # the 阅读原文 link: front matter's, else the post's address on its site
    parts: tuple[Part, ...] = ()  # a post too long for one article, split (else empty)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    def facts(self) -> PostFacts:
        post = self.post
        return PostFacts(
            path=self.path,
            hash=self.hash,
            title=post.title if post else PurePosixPath(self.path).stem,
            date=post.date if post else None,
            skip=post.draft if post else False,
            publish=post.wechat.publish if post else None,
            republish=post.wechat.republish if post else False,
            problems=tuple(str(p) for p in self.errors),
            message=post.wechat.message if post else "",
            position=post.wechat.position if post else None,
            broadcast=post.wechat.broadcast if post else None,
            parts=max(1, len(self.parts)),
        )

    def remember(self, record: PostRecord, render_fingerprint: str) -> None:
        """Cache what the planner needs in the state record, so an unchanged post is not re-read."""
        facts = self.facts()
        record.source = self.source_id
        record.deps = dict(self.deps)
        record.links = dict(self.links)
        record.render = render_fingerprint
        record.title = facts.title
        record.date = facts.date.isoformat() if facts.date else ""
        record.skip = facts.skip
        record.publish = facts.publish
        record.republish = facts.republish
        record.problems = list(facts.problems)
        record.message = facts.message
        record.position = facts.position
        record.broadcast = facts.broadcast
        record.parts = facts.parts


def render_options(settings: Settings) -> RenderOptions:
    """The renderer's options from the run's settings (reading the user's CSS file)."""
    from wxsync.errors import ConfigError
    from wxsync.render import RenderOptions

    user_css = ""
    if settings.css:
        try:
            user_css = settings.path(settings.css).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"css: cannot read {settings.css} ({exc.strerror})") from None
    values: dict[str, object] = {
        "theme": settings.theme,
        "links": settings.links,
        "captions": settings.captions,
        "code_label": settings.code_label,
        "code_window": settings.code_window,
        "user_css": user_css,
        "math": settings.math,
        "alert_titles": settings.alert_titles,
    }
    if settings.code_theme:
        values["code_theme"] = settings.code_theme
    return RenderOptions(**values)  # type: ignore[arg-type]


def render_fingerprint(settings: Settings) -> str:
    """Everything besides a post's own files that changes what WeChat receives for it."""
    from wxsync.render.fingerprint import fingerprint

    output = {
        "renderer": fingerprint(render_options(settings)),
        "author": settings.author,
        "comments": settings.comments,
        "fans_only_comments": settings.fans_only_comments,
        "default_cover": settings.default_cover,
        "cover_color": settings.cover_color,
        "animated_gif": settings.animated_gif,
    }
    if settings.long_posts != "split":  # only when set, so existing posts keep their hashes
        output["long_posts"] = settings.long_posts
    return _digest(output)


def facts_from_record(
    path: str,
    record: PostRecord,
    index: SourceIndex,
    fingerprint: str,
    address: Callable[[str], str] | None = None,
) -> PostFacts | None:
    """Plan an unchanged post from its state record; None if anything it depends on changed.

    `address` gives a linked post's address now: a drafted post whose links would get a better
    one (a target got published) is examined again; a published one is left as it is.
    """
    if not record.source or record.source != index.id_of(path) or record.render != fingerprint:
        return None
    for dep, content_id in record.deps.items():
        if not _is_remote(dep) and index.id_of(dep) != content_id:
            return None
    published = record.status == PUBLISHED or bool(record.article_id)
    if address is not None and not published and _links_moved(record.links, address):
        return None
    return PostFacts(
        path=path,
        hash=record.hash,
        title=record.title,
        date=parse_iso(record.date) if record.date else None,
        skip=record.skip,
        publish=record.publish,
        republish=record.republish,
        problems=tuple(record.problems),
        message=record.message,
        position=record.position,
        broadcast=record.broadcast,
        parts=record.parts,
    )


def _links_moved(links: dict[str, str], address: Callable[[str], str]) -> bool:
    return any(address(target) != old for target, old in links.items())


def examine(
    path: str,
    settings: Settings,
    index: SourceIndex,
    renderer: Renderer,
    fingerprint: str,
    *,
    site: Site | None = None,
    links: LinkResolver | None = None,
) -> Manuscript:
    """Read, render, resolve and check one post. Touches no network.

    Whatever goes wrong with one post stays that post's problem: an unexpected exception (a
    wxsync bug some post's text provoked) becomes one `path:line` error saying what failed,
    and `check`, `sync` and `sync --dry-run` go on with the other posts. `site` is the run's
    detected site (detected here when not given). With `links`, links to other posts get their
    addresses (see `wxsync.engine.links`).
    """
    source_id = index.id_of(path) or ""
    try:
        if site is None:
            from wxsync.site import detect

            site = detect(settings.root, settings.site)
        return _examine(path, settings, index, renderer, fingerprint, site=site, links=links)
    except Exception as exc:  # one post's failure must not end the run
        generator = site.generator if site else ""
        line = crash_line(settings, path, renderer, generator)
        return crashed(path, source_id, fingerprint, exc, line)


def crash_line(settings: Settings, path: str, renderer: Renderer, generator: str) -> int:
    """The line of the block that makes rendering fail on its own, else 1 (the file)."""
    from wxsync.render.locate import failing_line

    try:
        loaded = load_post(
            settings.root,
            path,
            default_author=settings.author,
            timezone=settings.timezone,
            generator=generator,
        )
        post = loaded.post
        return failing_line(renderer.render, post.body, post.body_line) if post else 1
    except Exception:  # finding the line is a courtesy; the error is reported either way
        return 1


def crashed(
    path: str, source_id: str, fingerprint: str, exc: Exception, line: int = 1
) -> Manuscript:
    """The manuscript of a post that wxsync failed on: no post, one error, a stable hash."""
    from wxsync.errors import describe_crash

    problem = Problem(path, line, describe_crash(exc))
    content_hash = _digest({"md": source_id, "render": fingerprint, "crashed": True})
    return Manuscript(path, None, source_id, content_hash, problems=(problem,))


def _examine(
    path: str,
    settings: Settings,
    index: SourceIndex,
    renderer: Renderer,
    fingerprint: str,
    *,
    site: Site,
    links: LinkResolver | None,
) -> Manuscript:
    from wxsync.images import ImageError
    from wxsync.render.renderer import RenderError

    root = settings.root
    source_id = index.id_of(path) or ""
    places = places_of(site, index)
    loaded = load_post(
        root,
        path,
        default_author=settings.author,
        timezone=settings.timezone,
        generator=site.generator,
    )
    problems = list(loaded.problems)
    post = loaded.post
    if post is None:
        content_hash = _digest({"md": source_id, "render": fingerprint})
        return Manuscript(path, None, source_id, content_hash, problems=tuple(problems))

    link_url, linked = links.for_post(path) if links else (None, None)
    try:
        fitted = fit_article(renderer, post.body, link_url=link_url)
    except RenderError as exc:
        problems.append(Problem(path, post.body_line, str(exc)))
        content_hash = _digest({"md": source_id, "render": fingerprint})
        return Manuscript(path, post, source_id, content_hash, problems=tuple(problems))
    result = fitted.result
    problems += _missing_links(post, linked.missing if linked else [])
    images = _resolve_images(post, result, root, places, problems)

    for snippet in result.unpaired_emphasis:
        problems.append(
            Problem(
                path,
                line_of(post, snippet),
                f"`**` pairs with nothing in “{snippet.strip()}”, so it shows as two asterisks: "
                "close it, or write `\\*\\*` for literal asterisks",
                "warning",
            )
        )

    cover = None
    try:
        cover = _choose_cover(post, images, settings, places)
    except ImageError as exc:
        if post.cover:
            problems.append(Problem(path, _cover_line(post), f"cover {post.cover}: {exc.message}"))
        else:
            problems.append(
                Problem(path, 1, f"default_cover {settings.default_cover}: {exc.message}")
            )

    parts, length_problems = _fit_or_split(post, fitted, renderer, settings, link_url)
    problems.extend(length_problems)

    refs = list(images.values()) + ([cover.ref] if cover and cover.ref else [])
    deps = _dependencies(refs, root, index)
    source_url, from_site = _source_url(post, site)
    hashed: dict[str, object] = {
        "md": source_id,
        "deps": sorted(deps.items()),
        "cover": cover.source if cover else "",
        "render": fingerprint,
    }
    if linked and linked.targets:
        # The addresses links got are part of the article (absent without links, so posts
        # without any keep the hash they always had).
        hashed["links"] = sorted(linked.targets.items())
    if from_site:  # the site's configuration, not the post, changed the article
        hashed["site_url"] = source_url
    content_hash = _digest(hashed)
    return Manuscript(
        path=path,
        post=post,
        source_id=source_id,
        hash=content_hash,
        render=result,
        images=images,
        cover=cover,
        deps=deps,
        links=dict(linked.targets) if linked else {},
        link_urls=dict(linked.urls) if linked else {},
        problems=tuple(problems),
        source_url=source_url,
        parts=parts,
    )


def _resolve_images(
    post: Post, result: RenderResult, root: Path, places: Places, problems: list[Problem]
) -> dict[str, ImageRef]:
    """Every body image the post uses, resolved; each one that cannot be is a problem."""
    from wxsync.images import ImageError

    images: dict[str, ImageRef] = {}
    for src in result.images:
        if src in result.generated:
            continue
        try:
            images[src] = _resolve_checked(src, root / post.path, root, places)
        except ImageError as exc:
            problems.append(Problem(post.path, line_of(post, src), f"image {src}: {exc.message}"))
    return images


def _dependencies(refs: list[ImageRef], root: Path, index: SourceIndex) -> dict[str, str | None]:
    """The files and URLs the article is made of besides the post, with their content ids."""
    deps: dict[str, str | None] = {}
    for ref in refs:
        if ref.kind == "remote" and ref.url:
            deps[ref.url] = ""
        elif ref.path is not None:
            relative = ref.path.relative_to(root.resolve()).as_posix()
            deps[relative] = index.id_of(relative)
    return deps


def places_of(site: Site, index: SourceIndex) -> Places:
    """Where the site's generator finds images, for `resolve`."""
    from wxsync.images import Places

    return Places(
        static=site.static,
        base_path=site.base_path,
        asset_folders=site.asset_folders,
        by_name=index.by_name() if site.vault else {},
    )


def _source_url(post: Post, site: Site) -> tuple[str, bool]:
    """The 阅读原文 link, and whether it came from the site rather than the post's front matter."""
    from wxsync.content.post import SOURCE_URL_LIMIT

    if post.wechat.source_url_off:
        return "", False
    if post.wechat.source_url:
        return post.wechat.source_url, False
    url = site.post_url(post.path, post)
    if len(url.encode("utf-8")) > SOURCE_URL_LIMIT:
        return "", False
    return url, bool(url)


def _length_problems(path: str, post: Post, fitted: Fitted) -> list[Problem]:
    """For an article that fits: a warning when a rung of the ladder was taken to make it fit."""
    if not fitted.step:
        return []
    length = fitted.result.wechat_length + marker.LENGTH
    return [
        Problem(
            path,
            post.body_line,
            f"too long for WeChat as configured; rendered with {fitted.step} "
            f"({length:,} of {CONTENT_CHAR_LIMIT:,} characters of HTML)",
            severity="warning",
        )
    ]


def fit_article(
    renderer: Renderer,
    body: str,
    image_url: Callable[[str], str] | None = None,
    link_url: Callable[[str], str | None] | None = None,
) -> Fitted:
    """Render a post body on the richest rung of the fitting ladder that fits WeChat's limit.

    `examine`, the dry-run preview and the publisher all call this with the same limit, so they
    agree on the rung (it does not depend on `image_url`).
    """
    from wxsync.render import render_fitting

    return render_fitting(
        renderer, body, CONTENT_CHAR_LIMIT - marker.LENGTH, image_url=image_url, link_url=link_url
    )


def _fit_or_split(
    post: Post,
    fitted: Fitted,
    renderer: Renderer,
    settings: Settings,
    link_url: Callable[[str], str | None] | None = None,
) -> tuple[tuple[Part, ...], list[Problem]]:
    """The parts of a post too long for one article, and any length problems."""
    if fitted.fits:
        return (), _length_problems(post.path, post, fitted)
    parts, problem = _split_long(post, fitted, renderer, settings, link_url)
    return parts, [problem] if problem is not None else []


def _split_long(
    post: Post,
    fitted: Fitted,
    renderer: Renderer,
    settings: Settings,
    link_url: Callable[[str], str | None] | None = None,
) -> tuple[tuple[Part, ...], Problem | None]:
    """Parts for a post too long for one article even in its plainest rendering
    (`long_posts: split`), each fitting on its own rung of the ladder; or the problem."""
    length = fitted.result.wechat_length + marker.LENGTH
    too_long = (
        f"the article would be about {length:,} characters of HTML even in its plainest "
        f"rendering; WeChat's limit is {CONTENT_CHAR_LIMIT:,} (inline styles count)"
    )
    if settings.long_posts == "refuse":
        return (), Problem(
            post.path,
            post.body_line,
            f"{too_long}: shorten it, or set `long_posts: split` to send it in parts "
            "(`long_posts: refuse` is set)",
        )
    try:
        parts = split(
            post.title,
            post.body,
            lambda markdown: fit_article(renderer, markdown, link_url=link_url).fits,
        )
    except TooLong as exc:
        name = exc.section.heading or "the text before the first heading"
        return (), Problem(
            post.path,
            post.body_line + exc.section.line,
            f"{too_long} and cannot be split into {MAX_PARTS} parts that fit: its longest "
            f"section, {name}, {exc.reason}; shorten that section or give it `##` or `###` subheadings",
        )
    longest = max(parts, key=lambda part: len(part.title))
    if len(longest.title) > TITLE_LIMIT:
        return (), Problem(
            post.path,
            post.lines.get("title", 1),
            f"{too_long}, so it is sent in {len(parts)} parts, but a part's title "
            f"“{longest.title}” is {len(longest.title)} characters; WeChat allows {TITLE_LIMIT}: "
            "shorten the title",
        )
    return tuple(parts), None


def _resolve_checked(
    src: str, post_file: Path, root: Path, places: Places | None = None
) -> ImageRef:
    """Resolve an image reference; `resolve` also checks a local file exists and is an image."""
    from wxsync.images import NOWHERE, resolve

    return resolve(src, post_file, root, places or NOWHERE)


def _choose_cover(
    post: Post, images: dict[str, ImageRef], settings: Settings, places: Places
) -> Cover:
    """Front matter, else the first body image, else the configured default, else a generated one."""
    root = settings.root
    if post.cover:
        return Cover("front matter", _resolve_checked(post.cover, root / post.path, root, places))
    if images:
        return Cover("first image", next(iter(images.values())))
    if settings.default_cover:
        return Cover(
            "default", _resolve_checked(settings.default_cover, root / "wxsync.yml", root, places)
        )
    return Cover("generated")


def _cover_line(post: Post) -> int:
    for key in ("cover", "image", "thumbnail", "featured_image"):
        if key in post.lines:
            return post.lines[key]
    return 1


def line_of(post: Post, needle: str) -> int:
    """The file line where `needle` first appears in the body (for `path:line` messages)."""
    position = post.body.find(needle)
    if position < 0:
        return post.body_line
    return post.body_line + post.body.count("\n", 0, position)


def _missing_links(post: Post, urls: list[str]) -> list[Problem]:
    return [
        Problem(
            post.path,
            line_of(post, url),
            f"link to `{_written(url)}`: no post of this repository answers to it; "
            "it is shown as plain text",
            "warning",
        )
        for url in urls
    ]


def _written(url: str) -> str:
    """A generator link as the author wrote its target (`wxsync:wiki/My%20Note` → `My Note`)."""
    from urllib.parse import unquote

    return unquote(url.partition("/")[2]) or url


def _is_remote(dep: str) -> bool:
    return dep.startswith(("http://", "https://"))


def _digest(value: object) -> str:
    return hashlib.sha256(
        json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
