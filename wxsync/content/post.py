"""Posts: Markdown files with front matter, read the way Hugo, Jekyll and Hexo users write them.

`load_post` turns one file into a `Post` plus the problems found in it. Problems carry the line
they concern so `wxsync check` can print `path:line: message`. Nothing here touches the
network or WeChat; images and the rendered length are checked by the engine's preparation step.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from wxsync.bounded import strip_control
from wxsync.content import frontmatter
from wxsync.content.syntax import preprocess

TITLE_LIMIT = 64
AUTHOR_LIMIT = 16
DIGEST_LIMIT = 128
SOURCE_URL_LIMIT = 1024

# Accepted spellings, first one canonical. Order matters: the first key present wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "author": ("author", "authors"),
    "digest": ("digest", "description", "summary", "excerpt"),
    "cover": ("cover", "image", "thumbnail", "featured_image"),
    "date": ("date",),
    "draft": ("draft", "published"),
}
WECHAT_KEYS = (
    "publish",
    "comments",
    "fans_only_comments",
    "source_url",
    "cover_crop",
    "republish",
    "message",
    "position",
    "broadcast",
)
MESSAGE_LIMIT = 8  # articles in one WeChat message


@dataclass(frozen=True)
class Problem:
    """Something wrong with a post, located at `path:line`."""

    path: str
    line: int
    message: str
    severity: str = "error"  # "error" stops the post; "warning" is reported only

    def __str__(self) -> str:
        label = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}: {label}{self.message}"


@dataclass(frozen=True)
class WeChatOptions:
    """The `wechat:` table of a post's front matter."""

    publish: bool | None = None  # overrides the run's mode for this post
    comments: bool | None = None
    fans_only_comments: bool | None = None
    source_url: str = ""
    cover_crop: str = ""
    republish: bool = False
    message: str = ""  # posts with the same key go out together as one multi-article message
    position: int | None = None  # place in the message; 1 is the head article
    broadcast: bool | None = None  # overrides whether the message is mass-sent
    source_url_off: bool = False  # `source_url: false`: no 阅读原文 link, not even the site's


@dataclass(frozen=True)
class Post:
    path: str  # relative to the repository root, POSIX separators
    title: str
    body: str  # Markdown after the front matter (and the title heading, if it gave the title)
    body_line: int  # line in the file where `body` starts
    author: str = ""
    summary: str = ""  # the digest as the front matter gives it ("" when it gives none)
    cover: str = ""  # image reference as written; "" when the front matter names none
    date: dt.datetime | None = None
    draft: bool = False
    wechat: WeChatOptions = field(default_factory=WeChatOptions)
    lines: Mapping[str, int] = field(default_factory=dict)  # front-matter key → line
    more: int | None = None  # where `<!-- more -->` is in `body`: the digest is what comes before
    # Where the post lives on its site (see wxsync.site): Hugo's `url`, Hexo's and Jekyll's
    # `permalink`, the `slug` that replaces the file name, and the categories some patterns use.
    slug: str = ""
    url: str = ""
    permalink: str = ""
    categories: tuple[str, ...] = ()

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1)

    @cached_property
    def digest(self) -> str:
        """The front matter's digest, else the first paragraph cut at a sentence.

        Worked out on first use: `render` and `preview` never need it, and finding the first
        paragraph means parsing Markdown. Above a `<!-- more -->` the author chose the excerpt
        (Hexo, Hugo and Jekyll all stop their summaries there), so all of it counts.
        """
        if self.summary:
            return self.summary
        if self.more is not None:
            excerpt = paragraphs_text(self.body[: self.more])
            if excerpt:
                return cut_at_sentence(excerpt, DIGEST_LIMIT)
        return cut_at_sentence(first_paragraph_text(self.body), DIGEST_LIMIT)


@dataclass(frozen=True)
class LoadResult:
    post: Post | None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.post is not None and not any(p.severity == "error" for p in self.problems)


def load_post(
    root: Path,
    path: str,
    *,
    default_author: str = "",
    timezone: str = "Asia/Shanghai",
    generator: str = "",
) -> LoadResult:
    """Read and validate one post; `path` is relative to `root`.

    `generator` (hugo, hexo, jekyll, obsidian; "" when unknown) decides which generator syntax
    is rewritten into Markdown; see `wxsync.content.syntax`.
    """
    refused = not_a_regular_file(root, path)
    if refused:
        return LoadResult(None, (Problem(path, 1, refused),))
    try:
        raw = (root / path).read_bytes()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return LoadResult(None, (Problem(path, 1, f"cannot read the file: {reason}"),))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return LoadResult(None, (Problem(path, line, "not UTF-8 text: save the file as UTF-8"),))
    return parse_post(
        path, text, default_author=default_author, timezone=timezone, generator=generator
    )


def not_a_regular_file(root: Path, path: str) -> str:
    """Why `path` must not be read as a post ("" if it may be).

    A post is published, so reading one through a symlink could publish whatever it points
    at: `.git/config` with the checkout token in it, or `/proc/self/environ` with the secrets.
    Only regular files inside the repository, outside `.git/`, are posts.
    """
    parts = PurePosixPath(path).parts
    if ".git" in parts:
        return "is inside .git/: posts live in the content folder, never in git's own files"
    current = root
    for part in parts:
        current = current / part
        try:
            if current.is_symlink():
                return (
                    f"{current.relative_to(root).as_posix()} is a symlink: posts must be regular "
                    "files inside the repository (copy the file instead of linking it)"
                )
        except (OSError, ValueError):
            return "cannot be read (an unusable file name): rename it"
    try:
        odd = (root / path).exists() and not (root / path).is_file()
    except (OSError, ValueError):
        odd = True
    return "is not a regular file: posts must be Markdown files" if odd else ""


def parse_post(
    path: str,
    text: str,
    *,
    default_author: str = "",
    timezone: str = "Asia/Shanghai",
    generator: str = "",
) -> LoadResult:
    text, control_line = strip_control(text)
    try:
        document = frontmatter.split(text)
    except frontmatter.FrontMatterError as exc:
        return LoadResult(
            None, (Problem(path, exc.line, f"{exc.message}; fix the front matter syntax"),)
        )
    reader = _Reader(path, document, timezone)
    post = reader.read(default_author)
    rewritten = preprocess(post.body, generator)
    if rewritten.body != post.body or rewritten.more is not None:
        post = replace(post, body=rewritten.body, more=rewritten.more)
    notes = [
        Problem(path, post.body_line + note.line, note.message, "warning")
        for note in rewritten.notes
    ]
    if control_line:
        notes.append(
            Problem(
                path,
                control_line,
                "control characters removed (WeChat would show them as text such as \\u0001)",
                "warning",
            )
        )
    return LoadResult(post, (*reader.problems, *notes))


class _Reader:
    """Reads the front matter keys one by one, collecting problems instead of stopping at the first."""

    def __init__(self, path: str, document: frontmatter.Document, timezone: str) -> None:
        self.path = path
        self.document = document
        self.meta = document.meta
        self.timezone = ZoneInfo(timezone)
        self.problems: list[Problem] = []
        self.lines = _key_lines(document)

    def problem(self, key: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.path, self.lines.get(key, 1), message, severity))

    def pick(self, name: str) -> tuple[str, Any]:
        for key in ALIASES[name]:
            if key in self.meta and self.meta[key] is not None:
                return key, self.meta[key]
        return ALIASES[name][0], None

    def read(self, default_author: str) -> Post:
        body, body_line = self.document.body, self.document.body_line
        title_key, title_value = self.pick("title")
        title = _text(title_value)
        heading = _leading_heading(body)
        if heading is not None and (not title or heading[0] == title):
            # A leading `# Title` is the title; WeChat shows the title above the article, so keep it once.
            title = title or heading[0]
            body = heading[1]
            if title_key not in self.lines:
                self.lines[title_key] = body_line + heading[2]
        if not title:
            title = Path(self.path).stem
        if len(title) > TITLE_LIMIT:
            self.problem(
                title_key,
                f"title is {len(title)} characters; WeChat allows {TITLE_LIMIT}: shorten it",
            )
        author = self.author() or default_author
        summary = self.summary()
        cover = self.cover()
        date = self.date()
        draft = self.draft()
        wechat = self.wechat()
        lines = dict(self.lines)
        lines.setdefault("body", body_line)
        return Post(
            path=self.path,
            title=title,
            body=body,
            body_line=body_line,
            author=author,
            summary=summary,
            cover=cover,
            date=date,
            draft=draft,
            wechat=wechat,
            lines=lines,
            slug=self.address("slug"),
            url=self.address("url"),
            permalink=self.address("permalink"),
            categories=self.categories(),
        )

    def address(self, key: str) -> str:
        value = self.meta.get(key)
        return value.strip() if isinstance(value, str) else ""

    def categories(self) -> tuple[str, ...]:
        """`categories` (or `category`) as a flat list; Jekyll also takes a space-separated string."""
        value = self.meta.get("categories", self.meta.get("category"))
        if isinstance(value, str):
            return tuple(value.split())
        if not isinstance(value, list):
            return ()
        flat: list[str] = []
        for item in value:  # Hexo: `- [Parent, Child]` is one category path
            flat.extend(str(v) for v in (item if isinstance(item, list) else [item]) if v)
        return tuple(flat)

    def author(self) -> str:
        key, value = self.pick("author")
        if isinstance(value, list):
            names = [_text(v.get("name") if isinstance(v, dict) else v) for v in value]
            value = ", ".join(n for n in names if n)
        elif isinstance(value, dict):
            value = value.get("name")
        author = _text(value)
        if len(author) > AUTHOR_LIMIT:
            self.problem(
                key, f"author is {len(author)} characters; WeChat allows {AUTHOR_LIMIT}: shorten it"
            )
        return author

    def summary(self) -> str:
        key, value = self.pick("digest")
        summary = " ".join(_text(value).split())
        if len(summary) > DIGEST_LIMIT:
            self.problem(
                key, f"{key} is {len(summary)} characters; WeChat allows {DIGEST_LIMIT}: shorten it"
            )
        return summary

    def cover(self) -> str:
        key, value = self.pick("cover")
        if isinstance(value, dict):  # Hugo themes: cover: {image: ..., alt: ...}
            value = value.get("image") or value.get("src") or value.get("url")
        if value is not None and not isinstance(value, str):
            self.problem(key, f"`{key}` should be an image path or URL")
            return ""
        return (value or "").strip()

    def date(self) -> dt.datetime | None:
        key, value = self.pick("date")
        if value is None or value == "":
            return None
        try:
            return to_datetime(value, self.timezone)
        except ValueError:
            self.problem(
                key,
                f"`{key}` {value!r} is not a date; write it like 2024-05-01 or 2024-05-01T08:00:00+08:00",
            )
            return None

    def draft(self) -> bool:
        key, value = self.pick("draft")
        if value is None:
            return False
        if not isinstance(value, bool):
            self.problem(key, f"`{key}` should be true or false")
            return False
        # Jekyll says `published: false` where Hugo says `draft: true`.
        return value if key == "draft" else not value

    def wechat(self) -> WeChatOptions:
        table = self.meta.get("wechat")
        if table is None:
            return WeChatOptions()
        if not isinstance(table, dict):
            self.problem(
                "wechat", "`wechat` should be a table of settings (publish, comments, ...)"
            )
            return WeChatOptions()
        for name in table:
            if name not in WECHAT_KEYS:
                close = difflib.get_close_matches(str(name), WECHAT_KEYS, n=1)
                hint = (
                    f"did you mean `{close[0]}`?"
                    if close
                    else f"known keys: {', '.join(WECHAT_KEYS)}"
                )
                self.problem("wechat", f"unknown key `wechat.{name}`: {hint}", "warning")
        flags: dict[str, bool | None] = {}
        for name in ("publish", "comments", "fans_only_comments", "republish", "broadcast"):
            value = table.get(name)
            if value is not None and not isinstance(value, bool):
                self.problem("wechat", f"`wechat.{name}` should be true or false")
                value = None
            flags[name] = value
        source_url, source_url_off = self.source_url(table.get("source_url"))
        crop = _text(table.get("cover_crop"))
        if crop:
            try:
                crop = parse_crop(crop)
            except ValueError as exc:
                self.problem("wechat", f"`wechat.cover_crop`: {exc}")
                crop = ""
        message = table.get("message")
        if message is not None and (
            isinstance(message, bool) or not isinstance(message, str | int)
        ):
            self.problem(
                "wechat", "`wechat.message` should be a name shared by the posts sent together"
            )
            message = None
        position = table.get("position")
        if position is not None and (
            isinstance(position, bool)
            or not isinstance(position, int)
            or not 1 <= position <= MESSAGE_LIMIT
        ):
            self.problem(
                "wechat",
                f"`wechat.position` should be a whole number from 1 (the head article) to {MESSAGE_LIMIT}",
            )
            position = None
        return WeChatOptions(
            publish=flags["publish"],
            comments=flags["comments"],
            fans_only_comments=flags["fans_only_comments"],
            source_url=source_url,
            cover_crop=crop,
            republish=bool(flags["republish"]),
            message=_text(message),
            position=position,
            broadcast=flags["broadcast"],
            source_url_off=source_url_off,
        )

    def source_url(self, value: Any) -> tuple[str, bool]:
        """`wechat.source_url`: a link, or `false` for none at all (not even the site's)."""
        if value is False:
            return "", True
        if value is True:
            self.problem(
                "wechat", "`wechat.source_url` should be an http(s) link, or false to turn it off"
            )
            return "", False
        source_url = _text(value)
        if source_url and not re.match(r"^https?://", source_url):
            self.problem("wechat", "`wechat.source_url` should be an http(s) link")
        if len(source_url.encode("utf-8")) > SOURCE_URL_LIMIT:
            self.problem("wechat", "`wechat.source_url` is longer than WeChat's 1 KB")
        return source_url, False


def parse_crop(value: str) -> str:
    """Validate `X1_Y1_X2_Y2` (fractions of the cover, as WeChat's `pic_crop_235_1` takes)."""
    parts = value.split("_")
    try:
        x1, y1, x2, y2 = (float(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"{value!r} should be four fractions X1_Y1_X2_Y2 like 0.1_0_0.9_0.8"
        ) from None
    if not all(0 <= v <= 1 for v in (x1, y1, x2, y2)) or x1 >= x2 or y1 >= y2:
        raise ValueError(f"{value!r}: need 0 <= X1 < X2 <= 1 and 0 <= Y1 < Y2 <= 1")
    return "_".join(f"{v:.4f}".rstrip("0").rstrip(".") if v else "0" for v in (x1, y1, x2, y2))


def to_datetime(value: Any, zone: dt.tzinfo) -> dt.datetime:
    """A front-matter date as an aware datetime; dates without a zone are in `zone`."""
    if isinstance(value, dt.datetime):
        result = value
    elif isinstance(value, dt.date):
        result = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        result = dt.datetime.fromisoformat(_padded(value.strip()).replace("Z", "+00:00"))
    else:
        raise ValueError(value)
    return result if result.tzinfo is not None else result.replace(tzinfo=zone)


# Hexo and Jekyll accept `2024-8-21 9:05` (moment.js, Ruby's Time.parse); ISO wants zero padding.
_LOOSE_DATE = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:(?:[ T]+)(\d{1,2}):(\d\d)(?::(\d\d))?)?(.*)$"
)


def _padded(text: str) -> str:
    """`2024-8-21 9:05` as `2024-08-21T09:05:00`; anything else unchanged."""
    match = _LOOSE_DATE.match(text)
    if not match:
        return text
    year, month, day, hour, minute, second, rest = match.groups()
    result = f"{year}-{int(month):02d}-{int(day):02d}"
    if hour is not None:
        result += f"T{int(hour):02d}:{minute}:{second or '00'}"
    return result + rest.strip()


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


_ATX_H1 = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")


def _leading_heading(body: str) -> tuple[str, str, int] | None:
    """`(title, body without it, line offset)` when the body opens with a level-1 heading."""
    lines = body.splitlines(keepends=True)
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines):
        return None
    match = _ATX_H1.match(lines[index].rstrip("\r\n"))
    if match:
        # Blank the heading rather than drop it, so body line numbers still match the file.
        return (
            _strip_inline(match.group(1)),
            "".join([*lines[:index], "\n", *lines[index + 1 :]]),
            index,
        )
    if (
        index + 1 < len(lines)
        and _SETEXT_H1.match(lines[index + 1].rstrip("\r\n"))
        and lines[index].strip()
    ):
        return (
            _strip_inline(lines[index].strip()),
            "".join(lines[:index] + lines[index + 2 :]),
            index,
        )
    return None


def _strip_inline(text: str) -> str:
    """Plain text of a one-line Markdown heading: `**Go** \\`1.22\\`` → `Go 1.22`."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|_|~~|`)(.+?)\1", r"\2", text)
    return text.strip()


def first_paragraph_text(body: str) -> str:
    """The text of the first paragraph that has any, images and markup removed.

    Only the opening of the post is parsed when the paragraph is found there: the digest is
    needed for every changed post, and parsing a whole long post for it doubled `render`'s time.
    """
    lines = body.splitlines()
    cut = _prefix_end(lines, _PREFIX_LINES)
    text = _first_paragraph(_parse_blocks("\n".join(lines[:cut])))
    if text or cut >= len(lines):
        return text
    return _first_paragraph(_parse_blocks(body))


_PREFIX_LINES = 40
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_parser: Any = None


def _prefix_end(lines: list[str], at_least: int) -> int:
    """The first blank line at or after `at_least` that is not inside a fenced code block."""
    fence = ""
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)[0] * 3
            fence = "" if fence and marker == fence else (fence or marker)
        elif index >= at_least and not fence and not line.strip():
            return index
    return len(lines)


def _parse_blocks(text: str) -> list[dict[str, Any]]:
    global _parser  # noqa: PLW0603 - one parser for the process; building it costs more than parsing
    if _parser is None:
        import mistune

        _parser = mistune.create_markdown(renderer=None, plugins=["strikethrough", "url"])
    tokens = _parser(text)
    return tokens if isinstance(tokens, list) else []


def paragraphs_text(body: str) -> str:
    """The text of every paragraph in `body`, one after another (for an excerpt's digest)."""
    texts = []
    for token in _parse_blocks(body):
        if token.get("type") == "paragraph":
            text = " ".join(_inline_text(token.get("children", [])).split())
            if text:
                texts.append(text)
    joined = ""
    for text in texts:
        joined += ("" if _is_cjk(joined[-1:]) else " ") + text if joined else text
    return joined


def _first_paragraph(tokens: list[dict[str, Any]]) -> str:
    for token in tokens:
        if token.get("type") == "paragraph":
            text = " ".join(_inline_text(token.get("children", [])).split())
            if text:
                return text
    return ""


def _inline_text(children: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for child in children:
        kind = child.get("type")
        if kind == "image":
            continue
        if kind in ("softbreak", "linebreak"):
            # CJK lines join without a space; Latin lines with one.
            previous = parts[-1][-1:] if parts and parts[-1] else ""
            parts.append("" if _is_cjk(previous) else " ")
        elif "children" in child:
            parts.append(_inline_text(child["children"]))
        else:
            parts.append(str(child.get("raw", "")))
    return "".join(parts)


def _is_cjk(char: str) -> bool:
    return bool(char) and (
        "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"
    )


_SENTENCE_END = "。！？；!?;…"


def cut_at_sentence(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at the last sentence end when one is near."""
    if len(text) <= limit:
        return text
    window = text[:limit]
    ends = [
        i
        for i, char in enumerate(window)
        if char in _SENTENCE_END or (char == "." and (i + 1 == len(window) or window[i + 1] == " "))
    ]
    if ends and ends[-1] >= limit // 2:
        return window[: ends[-1] + 1]
    return window[: limit - 1].rstrip() + "…"


def _key_lines(document: frontmatter.Document) -> dict[str, int]:
    """Line numbers of the top-level front-matter keys, for `path:line` messages."""
    lines: dict[str, int] = {}
    pattern = re.compile(r"^([A-Za-z_][\w-]*)\s*[:=]")
    # The header starts on line 2 of the file, right after the opening fence.
    for number, line in enumerate(document.header.splitlines(), start=2):
        match = pattern.match(line)
        if match and match.group(1) not in lines:
            lines[match.group(1)] = number
    return lines
