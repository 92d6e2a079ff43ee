"""Recognise a Hugo, Hexo, Jekyll or Obsidian repository from its own files, and read its rules.

The signs are the ones each generator itself relies on: Hugo's `hugo.*` / `config.*`, Hexo's
`_config.yml` with `source/_posts`, Jekyll's `_config.yml` with `_posts/`, an Obsidian vault's
`.obsidian/` folder. A configuration file that does not parse costs only the facts it would
have given (the run goes on with the defaults); `wxsync.yml`'s `site:` overrides any of them.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import yaml

from wxsync.bounded import load_toml, load_yaml
from wxsync.config import SiteSettings
from wxsync.site.model import Site

HUGO_CONFIGS = (
    "hugo.toml",
    "hugo.yaml",
    "hugo.yml",
    "hugo.json",
    "config.toml",
    "config.yaml",
    "config.yml",
    "config.json",
)
HEXO_PERMALINK = ":year/:month/:day/:title/"
JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
JEKYLL_COLLECTION = "/:collection/:path:output_ext"


def detect(root: Path, overrides: SiteSettings | None = None) -> Site:
    """The site in the repository at `root`, with `wxsync.yml`'s `site:` applied on top."""
    overrides = overrides or SiteSettings()
    generator = overrides.generator or _generator(root)
    site = _READERS.get(generator, _plain)(root)
    return _override(replace(site, generator=generator), overrides)


def _generator(root: Path) -> str:
    if (
        any((root / name).is_file() for name in HUGO_CONFIGS[:4])
        or (root / "config/_default").is_dir()
    ):
        return "hugo"
    if (root / "_config.yml").is_file():
        config = _read(root / "_config.yml")
        source = str(config.get("source_dir") or "source")
        if "source_dir" in config or (root / source / "_posts").is_dir():
            return "hexo"
        if (root / "_posts").is_dir() or "collections" in config or (root / "Gemfile").is_file():
            return "jekyll"
    hugo_config = _first(root, HUGO_CONFIGS[4:])
    if hugo_config is not None and (
        (root / "content").is_dir() or "baseurl" in _lower_keys(_read(hugo_config))
    ):
        return "hugo"
    if (root / ".obsidian").is_dir():
        return "obsidian"
    return "plain"


def _hugo(root: Path) -> Site:
    path = _first(root, HUGO_CONFIGS) or _first(
        root, tuple(f"config/_default/{name}" for name in HUGO_CONFIGS)
    )
    config = _lower_keys(_read(path)) if path else {}
    static = _names(config.get("staticdir")) or ("static",)
    theme = config.get("theme")
    themes = [theme] if isinstance(theme, str) else theme if isinstance(theme, list) else []
    folders = [*static, "assets", *(f"themes/{t}/static" for t in themes if isinstance(t, str))]
    return Site(
        generator="hugo",
        config=_relative(root, path),
        content=str(config.get("contentdir") or "content").strip("/"),
        static=tuple(f for f in dict.fromkeys(folders) if (root / f).is_dir()) or static,
        url=_url(config.get("baseurl")),
        permalinks=_hugo_permalinks(config.get("permalinks")),
        lower_paths=not _truthy(config.get("disablepathtolower")),
        ugly_urls=_truthy(config.get("uglyurls")),
    )


def _hugo_permalinks(value: Any) -> tuple[tuple[str, str], ...]:
    """`permalinks:` in its map form (`section: pattern`, or under `page:`) or its array form."""
    if isinstance(value, list):
        return tuple(
            ("", str(entry["pattern"]))
            for entry in value
            if isinstance(entry, dict) and "pattern" in entry and "target" not in entry
        )
    if not isinstance(value, dict):
        return ()
    page = value.get("page")
    pages: dict[str, Any] = page if isinstance(page, dict) else value
    return tuple(
        (str(section).strip("/"), pattern)
        for section, pattern in pages.items()
        if isinstance(pattern, str)
    )


def _hexo(root: Path) -> Site:
    path = root / "_config.yml"
    config = _read(path)
    source = str(config.get("source_dir") or "source").strip("/")
    url = _url(config.get("url"))
    base = str(config.get("root") or "/").strip("/")
    if url and base and not url.endswith("/" + base):
        url = f"{url}/{base}"
    pretty_urls = config.get("pretty_urls")
    pretty: dict[str, Any] = pretty_urls if isinstance(pretty_urls, dict) else {}
    permalink = str(config.get("permalink") or HEXO_PERMALINK)
    if pretty.get("trailing_html") is False and permalink.endswith(".html"):
        permalink = permalink[: -len(".html")]
    return Site(
        generator="hexo",
        config="_config.yml" if path.is_file() else "",
        content=f"{source}/_posts",
        static=(source,),
        url=url,
        permalink=permalink,
        asset_folders=_truthy(config.get("post_asset_folder")),
    )


def _jekyll(root: Path) -> Site:
    path = root / "_config.yml"
    config = _read(path)
    url = _url(config.get("url"))
    base = str(config.get("baseurl") or "").strip("/")
    if url and base:
        url = f"{url}/{base}"
    elif base:
        url = ""
    style = str(config.get("permalink") or "date")
    collections = config.get("collections")
    rules: list[tuple[str, str]] = []
    if isinstance(collections, dict):
        folder = str(config.get("collections_dir") or "").strip("/")
        for name, value in collections.items():
            options = value if isinstance(value, dict) else {}
            if name == "posts" or not options.get("output"):
                continue
            pattern = str(options.get("permalink") or JEKYLL_COLLECTION)
            rules.append(((f"{folder}/" if folder else "") + f"_{name}", pattern))
    return Site(
        generator="jekyll",
        config="_config.yml" if path.is_file() else "",
        content="_posts",
        static=(".",),
        url=url,
        permalink=JEKYLL_STYLES.get(style, style),
        permalinks=tuple(rules),
        more_content=tuple(folder for folder, _ in rules if (root / folder).is_dir()),
    )


def _obsidian(root: Path) -> Site:
    return Site(generator="obsidian", config=".obsidian/", content=".", vault=True)


def _plain(root: Path) -> Site:
    return Site(generator="plain")


_READERS = {"hugo": _hugo, "hexo": _hexo, "jekyll": _jekyll, "obsidian": _obsidian}


def _override(site: Site, overrides: SiteSettings) -> Site:
    changes: dict[str, Any] = {}
    for f in fields(SiteSettings):
        value = getattr(overrides, f.name)
        if value:
            changes[f.name] = _url(value) if f.name == "url" else value
    if "permalink" in changes:
        changes["permalinks"] = ()
    return replace(site, **changes, overridden=tuple(sorted(changes.keys() - {"permalinks"})))


def _read(path: Path | None) -> dict[str, Any]:
    """A YAML, TOML or JSON configuration file as a mapping; {} when it is missing or broken."""
    if path is None or not path.is_file():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            data: Any = load_toml(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = load_yaml(text)
    except (OSError, ValueError, RecursionError, yaml.YAMLError):  # LimitError is a ValueError
        return {}
    return data if isinstance(data, dict) else {}


def _first(root: Path, names: tuple[str, ...]) -> Path | None:
    return next((root / name for name in names if (root / name).is_file()), None)


def _lower_keys(config: dict[str, Any]) -> dict[str, Any]:
    """Hugo's configuration keys are case-insensitive (`baseURL`, `baseurl`)."""
    return {str(key).lower(): value for key, value in config.items()}


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip("/"),)
    if isinstance(value, list):
        return tuple(str(v).strip("/") for v in value if isinstance(v, str))
    return ()


def _url(value: Any) -> str:
    """An http(s) site address without its trailing slash; "" for anything else."""
    text = str(value or "").strip()
    if not text.startswith(("http://", "https://")):
        return ""
    return text.rstrip("/")


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "yes", "1")


def _relative(root: Path, path: Path | None) -> str:
    return path.relative_to(root).as_posix() if path else ""
