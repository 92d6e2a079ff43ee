"""`wxsync render`: print a post's final article HTML, or render many posts into a folder.

Images stay as written (local paths); formulas rendered as PNG are written next to the HTML
under `--out`, at their placeholder paths, so the files open correctly in a browser.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wxsync.render import Fitted, Renderer, RenderOptions


def add_render_arguments(parser: argparse.ArgumentParser) -> None:
    """The rendering flags shared by `render` and `preview`."""
    group = parser.add_argument_group("rendering")
    group.add_argument("--theme", default=None, help="built-in theme (default, warm, ink)")
    group.add_argument(
        "--code-theme", default=None, metavar="STYLE", help="Pygments style for code"
    )
    group.add_argument(
        "--links",
        choices=("references", "keep", "strip"),
        default=None,
        help="external links: numbered references (default), keep as links, or strip",
    )
    group.add_argument(
        "--css", default=None, metavar="FILE", help="your CSS, applied after the theme"
    )
    group.add_argument(
        "--math", choices=("auto", "svg", "png"), default=None, help="formula output"
    )
    group.add_argument(
        "--captions", action="store_true", default=None, help="show alt text under images"
    )
    group.add_argument(
        "--code-label",
        action="store_true",
        default=None,
        help="label code blocks with their language",
    )
    group.add_argument(
        "--code-window",
        action="store_true",
        default=None,
        help="draw code blocks as a window with the language in its bar",
    )


def options_from_args(args: argparse.Namespace, start: Path | None = None) -> RenderOptions:
    """`wxsync.yml` (found from `start`), overridden by the flags given on the command line."""
    from wxsync.config import load_settings
    from wxsync.engine.manuscript import render_options

    overrides: dict[str, Any] = {
        name: getattr(args, name, None)
        for name in (
            "theme",
            "code_theme",
            "links",
            "math",
            "captions",
            "code_label",
            "code_window",
        )
    }
    if getattr(args, "css", None):
        overrides["css"] = str(Path(args.css).resolve())
    return render_options(load_settings(start, overrides))


def generator_at(start: Path) -> str:
    """The site generator whose syntax posts under `start` use (detected, or from `wxsync.yml`)."""
    from wxsync.config import load_settings
    from wxsync.site import detect

    settings = load_settings(start, {})
    return detect(settings.root, settings.site).generator


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "render",
        help="print a post as WeChat article HTML",
        description="Render Markdown posts to the HTML wxsync would publish (images left local).",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="Markdown post(s)")
    parser.add_argument("--out", metavar="DIR", help="write DIR/<file stem>.html for each post")
    add_render_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from wxsync.errors import ConfigError
    from wxsync.render import Renderer

    files = [Path(name) for name in args.files]
    if len(files) > 1 and not args.out:
        raise ConfigError("several files need --out DIR (one HTML file per post)")
    stems: dict[str, Path] = {}
    for path in files:
        if path.stem in stems:
            raise ConfigError(f"{stems[path.stem]} and {path} would both write {path.stem}.html")
        stems[path.stem] = path
    renderer = Renderer(options_from_args(args, files[0].resolve().parent))
    generator = generator_at(files[0].resolve().parent)
    out_dir = Path(args.out) if args.out else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"--out {args.out}: cannot create the folder ({exc.strerror})"
            ) from None
    failed = 0
    for path in files:
        try:
            ok = _render_one(path, renderer, out_dir, generator, args.out)
        except ConfigError:
            raise  # --out cannot be written: no other post could be either
        except Exception as exc:  # one post's failure must not end the run
            from wxsync.errors import describe_crash

            line = _crash_line(path, renderer, generator)
            print(f"{path}:{line}: {describe_crash(exc)}", file=sys.stderr)
            ok = False
        failed += not ok
    return 1 if failed else 0


def _render_one(
    path: Path, renderer: Renderer, out_dir: Path | None, generator: str, flag: str = ""
) -> bool:
    """Render one post to stdout or into `out_dir`; False (with the reason printed) if it cannot."""
    import sys

    from wxsync.content.post import parse_post
    from wxsync.engine.manuscript import fit_article
    from wxsync.errors import ConfigError
    from wxsync.render.renderer import RenderError

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
        return False
    except UnicodeDecodeError:
        print(f"{path}: not UTF-8 text", file=sys.stderr)
        return False
    # The same reading as `wxsync sync`: a leading `# Title` becomes the title, not body.
    loaded = parse_post(str(path), text, generator=generator)
    if loaded.post is None:
        for problem in loaded.problems:
            print(problem, file=sys.stderr)
        return False
    # What `sync` would publish: the richest rung of the fitting ladder that fits.
    try:
        fitted = fit_article(renderer, loaded.post.body)
    except RenderError as exc:
        print(f"{path}:{loaded.post.body_line}: {exc}", file=sys.stderr)
        return False
    result = fitted.result
    if fitted.step or not fitted.fits:
        print(f"{path}: warning: {fit_note(fitted)}", file=sys.stderr)
    if out_dir is None:
        sys.stdout.write(result.html + "\n")
        return True
    try:
        (out_dir / f"{path.stem}.html").write_text(result.html, encoding="utf-8")
        for name, data in result.generated.items():
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    except OSError as exc:
        raise ConfigError(f"--out {flag}: cannot write there ({exc.strerror})") from None
    return True


def _crash_line(path: Path, renderer: Renderer, generator: str) -> int:
    """The line of the block that makes rendering fail on its own, else 1 (the file)."""
    from wxsync.content.post import parse_post
    from wxsync.render.locate import failing_block

    try:
        post = parse_post(str(path), path.read_text(encoding="utf-8"), generator=generator).post
        offset = failing_block(renderer.render, post.body) if post else None
    except Exception:  # finding the line is a courtesy; the error is reported either way
        return 1
    return 1 if post is None or offset is None else post.body_line + offset


def fit_note(fitted: Fitted) -> str:
    """What the fitting ladder did to a post, in words."""
    if not fitted.fits:
        return "too long for WeChat even in its plainest form"
    return f"rendered with {fitted.step} to fit WeChat's limit"
