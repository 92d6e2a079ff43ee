"""Settings: `wxsync.yml`, then the environment, then command-line flags, into one frozen value.

Every key `wxsync.yml` accepts is a field of `Settings` with its documentation in the field's
metadata, so the README's configuration reference can be checked against the code. Unknown
keys are errors (a typo should not silently do nothing), and the AppSecret may come only from
the environment: a secret in a committed file is a leaked secret.
"""

from __future__ import annotations

import difflib
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from wxsync.errors import ConfigError

CONFIG_FILE = "wxsync.yml"
DEFAULT_API_BASE = "https://api.weixin.qq.com"


def _doc(text: str, env: str | None = None) -> dict[str, Any]:
    return {"doc": text, "env": env}


@dataclass(frozen=True)
class SiteSettings:
    """`site:` in `wxsync.yml`: overrides what site detection finds (empty: detect)."""

    generator: str = ""  # hugo | hexo | jekyll | obsidian | plain
    static: tuple[str, ...] = ()  # folders served at the site root, e.g. ("static",)
    url: str = ""  # the site's address, e.g. https://example.com/blog/
    permalink: str = ""  # the generator's permalink pattern for posts


@dataclass(frozen=True)
class BroadcastSettings:
    """`broadcast:` in `wxsync.yml`: how mass sending (`mode: broadcast`) reaches followers."""

    tag_id: int | None = None  # None: all followers
    ignore_reprint: bool = False  # `send_ignore_reprint`
    per_day: int = 1  # mass sends per day, counted in `timezone`


@dataclass(frozen=True)
class ImageSettings:
    """`images:` in `wxsync.yml`."""

    allow_private_hosts: bool = False  # fetch remote images from loopback/private addresses


NESTED: dict[str, type[Any]] = {
    "SiteSettings": SiteSettings,
    "BroadcastSettings": BroadcastSettings,
    "ImageSettings": ImageSettings,
}


@dataclass(frozen=True)
class Settings:
    """Everything that steers a run. Paths are relative to `root` unless absolute."""

    root: Path = field(default_factory=Path.cwd, metadata={"internal": True})
    # Folders of posts besides `content`, detected (Jekyll collections); empty when `content` is set.
    more_content: tuple[str, ...] = field(default=(), metadata={"internal": True})
    content: str = field(
        default="content", metadata=_doc("folder holding the posts (`**/*.md`)", "WXSYNC_CONTENT")
    )
    mode: str = field(
        default="draft",
        metadata=_doc(
            "`draft` stops at drafts; `publish` also publishes them; `broadcast` mass-sends them "
            "to followers",
            "WXSYNC_MODE",
        ),
    )
    site: SiteSettings = field(
        default_factory=SiteSettings,
        metadata=_doc(
            "override site detection: `generator`, `static` (folders served at the site root), "
            "`url`, `permalink`"
        ),
    )
    theme: str = field(default="default", metadata=_doc("built-in theme name", "WXSYNC_THEME"))
    code_theme: str = field(
        default="", metadata=_doc("Pygments style for code blocks (empty: the theme's choice)")
    )
    links: str = field(
        default="references",
        metadata=_doc("external links: `references` (numbered list at the end), `keep` or `strip`"),
    )
    captions: bool = field(default=False, metadata=_doc("show image alt text as a caption"))
    code_label: bool = field(default=False, metadata=_doc("show the language name on code blocks"))
    alert_titles: tuple[tuple[str, str], ...] = field(
        default=(),
        metadata=_doc(
            "titles of alert boxes by kind, e.g. `{note: 说明}`; kinds are `note`, `tip`, "
            "`important`, `warning`, `caution` (defaults 注意, 提示, 重要, 警告, 小心)"
        ),
    )
    css: str = field(default="", metadata=_doc("a CSS file whose rules override the theme"))
    math: str = field(
        default="auto", metadata=_doc("formulas as `svg`, `png` (uploaded images) or `auto`")
    )
    state: str = field(
        default=".wxsync/state.json",
        metadata=_doc("the state file, committed to the repository", "WXSYNC_STATE"),
    )
    author: str = field(default="", metadata=_doc("default author when a post names none"))
    default_cover: str = field(
        default="", metadata=_doc("cover image for posts that have no image at all")
    )
    cover_color: str = field(
        default="#07c160", metadata=_doc("background of generated covers (posts with no image)")
    )
    comments: bool = field(default=False, metadata=_doc("open comments on new articles"))
    fans_only_comments: bool = field(
        default=False, metadata=_doc("only followers may comment (with `comments`)")
    )
    animated_gif: str = field(
        default="first_frame",
        metadata=_doc(
            "animated GIFs: `first_frame` (a still PNG) or `material` (kept animated, uses the "
            "material library)"
        ),
    )
    timezone: str = field(
        default="Asia/Shanghai",
        metadata=_doc("time zone for front-matter dates without one (scheduled posts)"),
    )
    delete_removed: bool = field(
        default=False,
        metadata=_doc("when a post file is deleted, delete its draft or published article too"),
    )
    publish_timeout: float = field(
        default=300.0,
        metadata=_doc("seconds to wait for publishing to finish before leaving it to the next run"),
    )
    publish_settle: float = field(
        default=900.0,
        metadata=_doc(
            "seconds an interrupted publish request is given to show up before it is sent again"
        ),
    )
    jobs: int = field(default=4, metadata=_doc("concurrent uploads and status polls"))
    broadcast: BroadcastSettings = field(
        default_factory=BroadcastSettings,
        metadata=_doc(
            "mass sending: `tag_id` (default: all followers), `ignore_reprint`, `per_day` (1)"
        ),
    )
    preview_to: tuple[str, ...] = field(
        default=(), metadata=_doc("WeChat IDs that receive a preview of each new or changed draft")
    )
    long_posts: str = field(
        default="split",
        metadata=_doc("a post too long for one article: `split` into parts, or `refuse`"),
    )
    code_window: bool = field(
        default=False, metadata=_doc("draw code blocks as a window with the language in its bar")
    )
    images: ImageSettings = field(
        default_factory=ImageSettings,
        metadata=_doc("`allow_private_hosts`: fetch remote images from private addresses too"),
    )
    state_branch: str = field(
        default="",
        metadata=_doc("commit the state file to this branch instead of the checked-out one"),
    )
    api_base: str = field(
        default=DEFAULT_API_BASE,
        metadata=_doc("WeChat API base URL (point it at `wxsync emulator`)", "WXSYNC_API_BASE"),
    )
    proxy: str = field(
        default="",
        metadata=_doc(
            "HTTPS proxy for the WeChat calls only, not git (fixed egress IP)", "WXSYNC_PROXY"
        ),
    )
    appid: str = field(default="", metadata=_doc("the account's AppID", "WECHAT_APPID"))
    secret: str = field(
        default="", repr=False, metadata={"internal": True, "env": "WECHAT_APPSECRET"}
    )

    def __repr__(self) -> str:
        return f"Settings(root={str(self.root)!r}, content={self.content!r}, mode={self.mode!r})"

    def path(self, relative: str) -> Path:
        """A configured path resolved against the repository root."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.root / candidate

    @property
    def content_dir(self) -> Path:
        return self.path(self.content)

    @property
    def content_dirs(self) -> tuple[Path, ...]:
        """Every folder of posts: `content`, and any detected collections."""
        return (self.content_dir, *(self.path(folder) for folder in self.more_content))

    @property
    def state_path(self) -> Path:
        return self.path(self.state)


CHOICES = {
    "mode": ("draft", "publish", "broadcast"),
    "long_posts": ("split", "refuse"),
    "links": ("references", "keep", "strip"),
    "math": ("auto", "svg", "png"),
    "animated_gif": ("first_frame", "material"),
}


def config_keys() -> list[str]:
    """The keys `wxsync.yml` accepts, in documentation order."""
    return [f.name for f in fields(Settings) if not f.metadata.get("internal")]


def find_root(start: Path) -> Path:
    """The repository root: the nearest folder with `wxsync.yml`, else git's top level, else `start`."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=start,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return start
    return Path(top) if top else start


def load_settings(
    start: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Defaults < `wxsync.yml` < environment < `overrides` (command-line flags; None means unset)."""
    environ = os.environ if environ is None else environ
    root = find_root(start or Path.cwd())
    values: dict[str, Any] = {}
    values.update(_read_file(root / CONFIG_FILE))
    values.update(_from_environment(environ))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    settings = replace(Settings(root=root), **_coerce(values, root / CONFIG_FILE))
    if "content" not in values:
        settings = _detected_content(settings)
    return _validate(settings, root / CONFIG_FILE)


def _detected_content(settings: Settings) -> Settings:
    """With no `content` set anywhere, the posts are where the site generator keeps them."""
    from wxsync.site import detect

    site = detect(settings.root, settings.site)
    return replace(settings, content=site.content, more_content=site.more_content)


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    import yaml

    from wxsync.bounded import LimitError, load_yaml

    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    except LimitError as exc:
        raise ConfigError(f"{path}{f':{exc.line}' if exc.line else ''}: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    for secret_key in ("secret", "appsecret", "app_secret"):
        if secret_key in data:
            raise ConfigError(
                f"{path}: remove `{secret_key}` — never commit the AppSecret; set WECHAT_APPSECRET "
                "(a repository secret on GitHub) instead"
            )
    known = config_keys()
    result: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = (
                f" (did you mean `{close[0]}`?)" if close else f"; known keys: {', '.join(known)}"
            )
            raise ConfigError(f"{path}: unknown setting `{key}`{hint}")
        result[name] = value
    return result


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for f in fields(Settings):
        variable = f.metadata.get("env")
        if variable and environ.get(variable):
            result[f.name] = environ[variable]
    return result


def _coerce(values: dict[str, Any], source: Path) -> dict[str, Any]:
    types = {f.name: f.type for f in fields(Settings)}
    result: dict[str, Any] = {}
    for name, value in values.items():
        kind = types[name]
        try:
            result[name] = _convert(value, str(kind))
        except _UnknownKey as exc:
            raise ConfigError(f"{source}: `{name}`: {exc}") from None
        except (TypeError, ValueError):
            raise ConfigError(
                f"{source}: `{name}` should be {_describe(str(kind))}, not {value!r}"
            ) from None
    return result


def _convert(value: Any, kind: str) -> Any:
    if kind in NESTED:
        return _nested(value, NESTED[kind])
    if kind == "tuple[str, ...]":
        return _text_list(value)
    if kind == "tuple[tuple[str, str], ...]":
        return _text_mapping(value)
    if kind == "int | None":
        return None if value is None else _convert(value, "int")
    if kind == "bool":
        return _flag(value)
    if kind == "int":
        if isinstance(value, bool):
            raise TypeError(value)
        return int(value)
    if kind == "float":
        if isinstance(value, bool):
            raise TypeError(value)
        return float(value)
    if kind == "str":
        if isinstance(value, dict | list):
            raise TypeError(value)
        return "" if value is None else str(value)
    return value


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(value)


def _text_list(value: Any) -> tuple[str, ...]:
    """A YAML list of names, or a comma-separated string (as an environment variable gives it)."""
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value
    ):
        raise TypeError(value)
    return tuple(str(v) for v in value)


def _text_mapping(value: Any) -> tuple[tuple[str, str], ...]:
    """A YAML mapping of names to text, as sorted pairs (hashable, with a stable order)."""
    if isinstance(value, list | tuple) and all(
        isinstance(pair, list | tuple) and len(pair) == 2 for pair in value
    ):
        value = dict(value)
    if not isinstance(value, dict) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value.values()
    ):
        raise TypeError(value)
    return tuple(sorted((str(k).strip().lower(), str(v)) for k, v in value.items()))


class _UnknownKey(ValueError):
    pass


def _nested(value: Any, cls: type[Any]) -> Any:
    """A `key:` mapping of `wxsync.yml` into its frozen dataclass; unknown keys are errors."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        raise TypeError(value)
    types = {f.name: str(f.type) for f in fields(cls)}
    converted: dict[str, Any] = {}
    for key, item in value.items():
        name = str(key).replace("-", "_")
        if name not in types:
            raise _UnknownKey(f"unknown key `{key}` (known: {', '.join(types)})")
        converted[name] = _convert(item, types[name])
    return cls(**converted)


def _describe(kind: str) -> str:
    if kind in NESTED:
        names = ", ".join(f"`{f.name}`" for f in fields(NESTED[kind]))
        return f"a mapping with {names}"
    return {
        "tuple[str, ...]": "a list of text",
        "tuple[tuple[str, str], ...]": "a mapping of names to text",
        "bool": "true or false",
        "int": "a whole number",
        "float": "a number",
        "str": "text",
    }.get(kind, kind)


def url_problem(value: str) -> str:
    """What is wrong with an API base URL ("" if nothing): the scheme is easy to forget."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        example = value if "://" in value else f"http://{value}"
        return f"not an http(s) URL; write the scheme too, e.g. {example}"
    return ""


def _validate(settings: Settings, source: Path) -> Settings:
    problem = url_problem(settings.api_base)
    if problem:
        from wxsync.redact import redact

        raise ConfigError(
            f"{source}: `api_base` {redact(settings.api_base)} (or WXSYNC_API_BASE): {problem}"
        )
    for name, allowed in CHOICES.items():
        value = getattr(settings, name)
        if value not in allowed:
            raise ConfigError(
                f"{source}: `{name}` must be one of {', '.join(allowed)}, not {value!r}"
            )
    for kind, _title in settings.alert_titles:
        from wxsync.render.alerts import KINDS  # only when set: the renderer is a heavy import

        if kind not in KINDS:
            raise ConfigError(
                f"{source}: `alert_titles`: unknown kind `{kind}`; kinds are {', '.join(KINDS)}"
            )
    if settings.jobs < 1:
        raise ConfigError(f"{source}: `jobs` must be at least 1")
    for name in ("publish_timeout", "publish_settle"):
        if getattr(settings, name) < 0:
            raise ConfigError(f"{source}: `{name}` must not be negative")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(settings.timezone)
    except (ValueError, KeyError, OSError):
        raise ConfigError(f"{source}: unknown `timezone` {settings.timezone!r}") from None
    return settings
