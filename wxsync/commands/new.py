"""`wxsync new "Title"`: start a post with front matter filled in."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from wxsync.content.post import TITLE_LIMIT
from wxsync.errors import ConfigError


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "new", help="create a new post", description="Create a Markdown post with front matter."
    )
    parser.add_argument("title", help=f"the post's title (at most {TITLE_LIMIT} characters)")
    parser.add_argument("--slug", help="file name without .md (default: from the date and title)")
    parser.add_argument(
        "--draft", action="store_true", help="mark it `draft: true` until it is ready"
    )
    parser.set_defaults(run=run)


def slugify(title: str, today: dt.date) -> str:
    """ASCII words of the title, lower case; the date alone for titles with none (Chinese titles)."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    tail = "-".join(w.lower() for w in words)[:60].strip("-")
    return f"{today.isoformat()}-{tail}" if tail else today.isoformat()


def run(args: argparse.Namespace) -> int:
    import yaml

    from wxsync.config import load_settings

    settings = load_settings()
    title = args.title.strip()
    if not title:
        raise ConfigError("the title is empty")
    if len(title) > TITLE_LIMIT:
        raise ConfigError(f"the title is {len(title)} characters; WeChat allows {TITLE_LIMIT}")
    now = dt.datetime.now(ZoneInfo(settings.timezone)).replace(microsecond=0)
    folder = settings.content_dir
    stem = args.slug or slugify(title, now.date())
    target = folder / f"{stem}.md"
    counter = 2
    while target.exists() and not args.slug:
        target = folder / f"{stem}-{counter}.md"
        counter += 1
    if target.exists():
        raise ConfigError(f"{target} already exists")
    meta: dict[str, object] = {"title": title, "date": now.isoformat()}
    if args.draft:
        meta["draft"] = True
    header = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(f"---\n{header}---\n\n写点什么。Write something.\n", encoding="utf-8")
    print(Path(target).relative_to(settings.root))
    return 0
