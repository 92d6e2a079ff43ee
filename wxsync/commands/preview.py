"""`wxsync preview [PATH]`: serve the rendered posts on localhost in a phone-width frame."""

from __future__ import annotations

import argparse
from typing import Any

from wxsync.commands.render import add_render_arguments


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "preview",
        help="preview rendered posts in a browser",
        description="Serve every post under PATH as WeChat would show it, re-rendered on reload.",
    )
    parser.add_argument(
        "path", nargs="?", default=".", help="a post or a folder of posts (default .)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8731, help="port (default 8731; 0 picks a free one)"
    )
    add_render_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from wxsync.commands.render import generator_at, options_from_args
    from wxsync.engine.manuscript import fit_article
    from wxsync.errors import ConfigError
    from wxsync.render import Renderer
    from wxsync.render.preview import PreviewServer, PreviewSite, find_posts

    root = Path(args.path)
    if not root.exists():
        raise ConfigError(f"{root}: no such file or folder")
    start = root.resolve() if root.is_dir() else root.resolve().parent
    renderer = Renderer(options_from_args(args, start))
    site = PreviewSite(root, renderer, generator_at(start), fit_article)
    try:
        server = PreviewServer((args.host, args.port), site)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    print(f"wxsync preview: {len(find_posts(site.root))} post(s) at {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
