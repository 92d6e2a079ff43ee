"""`wxsync check`: everything about the posts that can be checked without WeChat."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from wxsync.commands.common import settings_from


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="validate posts offline",
        description=(
            "Check front matter, title/author/digest lengths, the rendered size, images and covers. "
            "Prints `path:line: message` for each problem; exits 1 if there is any error."
        ),
    )
    parser.add_argument(
        "path", nargs="?", help="a post, or a folder of posts (default: the content folder)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wxsync.content.links import PostIndex
    from wxsync.engine.links import LinkResolver, site_addresses
    from wxsync.engine.manuscript import examine, render_fingerprint, render_options
    from wxsync.engine.messages import group, too_many
    from wxsync.engine.sources import SourceIndex
    from wxsync.engine.state import load
    from wxsync.engine.sync import CACHE_FILE, UNUSABLE_NAME
    from wxsync.render import Renderer
    from wxsync.site import detect

    settings = settings_from(args)
    site = detect(settings.root, settings.site)
    print(site.describe())
    index = SourceIndex.build(settings.root, settings.root / CACHE_FILE)
    paths = index.posts(*settings.content_dirs)
    links = LinkResolver(
        PostIndex.build(paths), load(settings.state_path), site_addresses(settings, site)
    )
    if args.path and Path(args.path).is_file():
        wanted = Path(args.path).resolve().relative_to(settings.root.resolve()).as_posix()
        paths = [p for p in paths if p == wanted] or [wanted]
    renderer = Renderer(render_options(settings))
    fingerprint = render_fingerprint(settings)
    errors = warnings = 0
    for name in index.unusable:
        print(f"{name}:1: {UNUSABLE_NAME}")
        errors += 1
    facts = []
    for path in paths:
        manuscript = examine(path, settings, index, renderer, fingerprint, site=site, links=links)
        facts.append(manuscript.facts())
        for problem in manuscript.problems:
            print(problem)
            if problem.severity == "error":
                errors += 1
            else:
                warnings += 1
    messages, _singles = group(facts, settings.mode)
    for message in messages:
        if too_many(message):
            print(f"{message.paths[0]}:1: {too_many(message)}")
            errors += 1
    index.save_cache()
    noun = "post" if len(paths) == 1 else "posts"
    print(f"checked {len(paths)} {noun}: {errors} errors, {warnings} warnings")
    return 1 if errors else 0
