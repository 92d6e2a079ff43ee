"""What happens when wxsync meets real blogs, as a new user would point it at them.

    python bench/realworld.py [BLOG ...]

Builds each blog of ../shared/realworld/ (their Markdown and configuration; placeholder images
at the real paths) into a temporary Git repository with its build.py, then examines every post
the way `wxsync check` does, with no wxsync.yml. Prints per blog: posts, crashes (an exception
escaping a post, or a post failed by one), images that exist in the repository but were not
resolved, posts that go through, and the refusals grouped by reason.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"
if not REALWORLD.is_dir():
    REALWORLD = Path("/work/shared/realworld")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg"}
# Where the posts are, for a wxsync that does not detect it (the baseline run).
KNOWN_CONTENT = {"coderzh-hugo": "content", "wangwen135-hexo": "source/_posts"}
CRASH_MARK = "wxsync failed"


def build(name: str, dest: Path) -> Path:
    subprocess.run(
        [sys.executable, str(REALWORLD / "build.py"), name, str(dest)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return dest


def reason(message: str) -> str:
    """A refusal's message without the particulars, so equal causes group together."""
    text = re.sub(r"^(image|cover|default_cover) \S.*?: ", r"\1: ", message)
    text = re.sub(r"\(.*?\)", "(…)", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "…", text)
    text = re.sub(r"\d[\d,.]*", "N", text)
    return text.split("; ")[0]


def _site(root: Path) -> object:
    """The detected site, for a wxsync that detects sites (None for the baseline)."""
    try:
        from wxsync.site import detect
    except ImportError:
        return None
    from wxsync.config import load_settings

    return detect(root, load_settings(root, environ={}).site)


def _exists_somewhere(src: str, files: list[str]) -> bool:
    """Whether some repository file's path ends with the path as written (`..` and `/` aside)."""
    written = unquote(urlsplit(src.strip()).path)
    parts = [p for p in PurePosixPath(written).parts if p not in ("/", ".", "..")]
    if not parts or written.startswith(("http:", "https:", "//")):
        return False
    tail = "/".join(parts)
    return any(f == tail or f.endswith("/" + tail) for f in files)


def measure(name: str, root: Path) -> dict[str, object]:
    from wxsync.config import load_settings
    from wxsync.engine.manuscript import examine, render_fingerprint, render_options
    from wxsync.engine.sources import SourceIndex
    from wxsync.render import Renderer

    settings = load_settings(root, environ={})
    content = settings.content_dir
    found = content.is_dir() and content != root
    if not found:
        content = root / KNOWN_CONTENT[name]
    index = SourceIndex.build(root)
    paths = index.posts(content)
    files = [p for p in index.ids if PurePosixPath(p).suffix.lower() in IMAGE_SUFFIXES]
    site = _site(root)
    renderer = Renderer(render_options(settings))
    fingerprint = render_fingerprint(settings)
    crashes: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    unresolved: list[str] = []
    through = 0
    started = time.perf_counter()
    for path in paths:
        try:
            manuscript = (
                examine(path, settings, index, renderer, fingerprint, site=site)
                if site is not None
                else examine(path, settings, index, renderer, fingerprint)
            )
        except Exception as exc:  # counting crashes is the point
            crashes[f"{type(exc).__name__}: {str(exc)[:60]}"] += 1
            continue
        errors = manuscript.errors
        for problem in errors:
            if CRASH_MARK in problem.message:
                crashes[problem.message[:80]] += 1
            else:
                refusals[reason(problem.message)] += 1
        if manuscript.render is not None:
            for src in manuscript.render.images:
                if src in manuscript.images or src in manuscript.render.generated:
                    continue
                if _exists_somewhere(src, files):
                    unresolved.append(f"{path}: {src}")
        if not errors:
            through += 1
    return {
        "content": content.relative_to(root).as_posix() + ("" if found else ", given: not found"),
        "posts": len(paths),
        "crashes": crashes,
        "unresolved": unresolved,
        "through": through,
        "refusals": refusals,
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    names = sys.argv[1:] or sorted(KNOWN_CONTENT)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            result = measure(name, build(name, Path(tmp) / name))
            posts = int(result["posts"])  # type: ignore[call-overload]
            through = int(result["through"])  # type: ignore[call-overload]
            crashes: Counter[str] = result["crashes"]  # type: ignore[assignment]
            unresolved: list[str] = result["unresolved"]  # type: ignore[assignment]
            refusals: Counter[str] = result["refusals"]  # type: ignore[assignment]
            share = through / posts if posts else 0.0
            print(
                f"{name}: posts {posts} (in {result['content']}), crashes {sum(crashes.values())}, "
                f"unresolved images that exist {len(unresolved)}, through {through} "
                f"({share:.0%}), refused {posts - through} [{result['seconds']:.1f} s]"
            )
            for text, count in crashes.most_common():
                print(f"  crash {count:>4}  {text}")
            for text, count in refusals.most_common():
                print(f"  refusal {count:>4}  {text}")
            for line in unresolved[:5]:
                print(f"  unresolved  {line}")


if __name__ == "__main__":
    main()
