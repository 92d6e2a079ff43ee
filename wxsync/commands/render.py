"""`wxsync render`: print a post's final article HTML, or render many posts into a folder.

Images stay as written (local paths); formulas rendered as PNG are written next to the HTML
under `--out`, at their placeholder paths, so the files open correctly in a browser.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
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
    parser.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="with --out, render in N processes (default: one per CPU, at most 4)",
    )
    add_render_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from wxsync.errors import ConfigError
    from wxsync.render import Renderer

    files = [Path(name) for name in args.files]
    if args.jobs < 0:
        raise ConfigError(f"--jobs {args.jobs}: give a number of processes (1 or more)")
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
    job = _Job(renderer, out_dir, generator, args.out or "")
    jobs = args.jobs or min(os.cpu_count() or 1, MAX_JOBS)
    results = (
        _render_in_processes(job, files, jobs)
        if out_dir is not None and jobs > 1 and len(files) >= MIN_FILES_PER_JOB * jobs
        else map(job.render, files)
    )
    failed = 0
    for ok, said in results:
        for line in said:
            print(line, file=sys.stderr)
        failed += not ok
    return 1 if failed else 0


# Rendering is CPU-bound and each post independent, so a folder of posts is shared among
# processes (forked: each starts with the renderer already built). Below a few posts per
# process, starting them costs more than it saves.
MAX_JOBS = 4
MIN_FILES_PER_JOB = 4


@dataclass(frozen=True)
class _Job:
    renderer: Renderer
    out_dir: Path | None
    generator: str
    flag: str

    def render(self, path: Path) -> tuple[bool, list[str]]:
        """Render one file; whether it worked, and the lines to print for it, in order."""
        from wxsync.errors import ConfigError, describe_crash

        said: list[str] = []
        try:
            ok = _render_one(path, self, said)
        except ConfigError:
            raise  # --out cannot be written: no other post could be either
        except Exception as exc:  # one post's failure must not end the run
            line = _crash_line(path, self.renderer, self.generator)
            said.append(f"{path}:{line}: {describe_crash(exc)}")
            ok = False
        return ok, said


_WORKER: dict[str, _Job] = {}  # what a forked worker renders with, under "job"


def _render_in_processes(job: _Job, files: list[Path], jobs: int) -> list[tuple[bool, list[str]]]:
    """`job.render` over `files` in `jobs` forked processes; the results in file order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return [job.render(path) for path in files]  # Windows: one process
    _WORKER["job"] = job
    chunk = max(1, len(files) // (jobs * 4))
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        return list(pool.map(_render_in_worker, files, chunksize=chunk))


def _render_in_worker(path: Path) -> tuple[bool, list[str]]:
    return _WORKER["job"].render(path)


def _render_one(path: Path, job: _Job, said: list[str]) -> bool:
    """Render one post to stdout or into `job.out_dir`; False (with the reason said) if it cannot."""
    renderer, out_dir, generator, flag = job.renderer, job.out_dir, job.generator, job.flag
    import sys

    from wxsync.content.post import parse_post
    from wxsync.engine.manuscript import fit_article
    from wxsync.errors import ConfigError
    from wxsync.render.renderer import RenderError

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        said.append(f"{path}: cannot read: {exc.strerror}")
        return False
    except UnicodeDecodeError:
        said.append(f"{path}: not UTF-8 text")
        return False
    # The same reading as `wxsync sync`: a leading `# Title` becomes the title, not body.
    loaded = parse_post(str(path), text, generator=generator)
    if loaded.post is None:
        said.extend(str(problem) for problem in loaded.problems)
        return False
    # What `sync` would publish: the richest rung of the fitting ladder that fits.
    try:
        fitted = fit_article(renderer, loaded.post.body)
    except RenderError as exc:
        said.append(f"{path}:{loaded.post.body_line}: {exc}")
        return False
    result = fitted.result
    if fitted.step or not fitted.fits:
        said.append(f"{path}: warning: {fit_note(fitted)}")
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
    from wxsync.render.locate import failing_line

    try:
        post = parse_post(str(path), path.read_text(encoding="utf-8"), generator=generator).post
        return failing_line(renderer.render, post.body, post.body_line) if post else 1
    except Exception:  # finding the line is a courtesy; the error is reported either way
        return 1


def fit_note(fitted: Fitted) -> str:
    """What the fitting ladder did to a post, in words."""
    if not fitted.fits:
        return "too long for WeChat even in its plainest form"
    return f"rendered with {fitted.step} to fit WeChat's limit"
