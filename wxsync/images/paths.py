"""From an image reference as written in a post to a file in the repository or a URL.

Posts are untrusted input in one sense: a pull request can add `![](../../etc/passwd)` or a
symlink pointing out of the checkout, and the CI job would upload whatever it points at to a
public article. So a local image must resolve, after following symlinks, to a regular file
inside the repository.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from wxsync.images.errors import ImageError
from wxsync.images.formats import describe_unknown, image_type, open_image

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_SNIFF_BYTES = 1024


@dataclass(frozen=True)
class ImageRef:
    """One image a post uses: a checked file in the repository, or an http(s) URL."""

    src: str  # as written in the Markdown
    kind: str  # "local" | "remote"
    path: Path | None  # absolute, resolved path for local images
    url: str | None  # for remote images


@dataclass(frozen=True)
class Places:
    """Where the site's generator would look for an image besides the post's own folder.

    `static` are the folders served at the site root (Hugo's `static/`, Hexo's `source/`),
    relative to the repository; `base_path` is the site's path prefix ("/blog"), which a
    site-root path may carry. `asset_folders`: Hexo keeps `a.md`'s files in `a/`. `by_name`
    maps a file name to the repository paths that have it, for Obsidian vaults, where
    `![[x.png]]` means "the x.png somewhere in the vault" (built once per run).
    """

    static: tuple[str, ...] = ()
    base_path: str = ""
    asset_folders: bool = False
    by_name: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


NOWHERE = Places()


def resolve(src: str, post_path: Path, repo_root: Path, places: Places = NOWHERE) -> ImageRef:
    """Resolve `src` from the post at `post_path`; raise `ImageError` saying how to fix it.

    Local paths are relative to the post's folder, or to `repo_root` when they start with "/".
    They are URL-decoded ("my%20photo.png") and lose any "?query" or "#fragment", as a browser
    would. "//host/x.png" is a scheme-relative URL and is fetched over https. Local files are
    also checked with `check_local`, so a ref that comes back is ready to read.

    When the file is not there, the site's own places are tried the way its generator serves
    them (see `Places`): a site-root path in the static folders; a relative path in the post's
    asset folder, then from the site root (themes with `<base href>` or canonical URLs make
    relative paths site-root ones), then by file name in a vault.
    """
    written = src.strip()
    if written.startswith("//"):
        return _remote(src, "https:" + written)
    scheme = _SCHEME.match(written)
    # A one-letter "scheme" is a Windows drive ("C:\..."), which is as wrong as any absolute path.
    if scheme and len(scheme.group(1)) > 1:
        return _remote(src, written)
    if scheme:
        raise ImageError(src, "is a Windows path: use a path relative to the post, with '/'")

    parts = urlsplit(written)
    relative = unquote(parts.path)
    if not relative.strip("/"):
        raise ImageError(src, "is an empty image path: write the image file's path")
    if "\x00" in relative:
        raise ImageError(src, "contains a NUL character (%00), which no file name can")
    root = repo_root.resolve()
    base = root if relative.startswith("/") else post_path.resolve().parent
    candidate = Path(os.path.normpath(base / relative.lstrip("/")))
    if not candidate.is_relative_to(root):
        raise ImageError(
            src,
            "points outside the repository: keep images inside it (for example next to the post) "
            "and link them with a relative path",
        )
    try:
        resolved = candidate.resolve()
    except (RuntimeError, OSError, ValueError):  # 3.11 raises RuntimeError for a symlink loop
        raise ImageError(
            src,
            "cannot be resolved (a symlink loop or an unusable name): link the image file itself",
        ) from None
    if not resolved.is_relative_to(root):
        raise ImageError(
            src,
            "is a symlink to a file outside the repository: copy the image into the repository instead",
        )
    if not _exists(resolved):
        found = _elsewhere(relative, post_path.resolve(), root, places)
        if found is None:
            raise ImageError(
                src, _missing_message(candidate, candidate.relative_to(root).as_posix(), places)
            )
        resolved = found
    ref = ImageRef(src=src, kind="local", path=resolved, url=None)
    check_local(ref)
    return ref


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def check_local(ref: ImageRef) -> None:
    """Check offline that a local image can be used: a readable file in a format we convert.

    Containment in the repository is established by `resolve`, the only maker of local refs.
    Pillow reads just the header here (format, size, pixel count); decoding every image would
    make `wxsync check` slow, and `prepare_*` reports a corrupt image body when it decodes it.
    Remote refs are not checked: that needs the network, and `fetch_remote` does it.
    """
    if ref.kind != "local" or ref.path is None:
        return
    path, src = ref.path, ref.src
    try:
        if path.is_dir():
            raise ImageError(src, "is a folder, not an image file: link the image file inside it")
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
            kind = image_type(head)
            if kind is None:
                raise ImageError(src, f"is {describe_unknown(head)}")
            file.seek(0)
            open_image(file, kind, src).close()
    except FileNotFoundError:
        raise ImageError(src, _missing_message(path, path.name)) from None
    except PermissionError:
        raise ImageError(
            src, "cannot be read (permission denied): fix the file's permissions"
        ) from None
    except IsADirectoryError:
        raise ImageError(src, "is a folder, not an image file") from None


def _remote(src: str, url: str) -> ImageRef:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        raise ImageError(
            src[:40] + ("..." if len(src) > 40 else ""),
            "embedded data: images cannot be uploaded: save the image as a file in the repository and link to it",
        )
    if scheme not in ("http", "https"):
        raise ImageError(
            src,
            f"'{scheme}:' links are not images wxsync can fetch: use an http(s) URL or a file in the repository",
        )
    if not parts.hostname:
        raise ImageError(src, "is not a valid URL (no host name)")
    return ImageRef(src=src, kind="remote", path=None, url=url)


def _elsewhere(relative: str, post_file: Path, root: Path, places: Places) -> Path | None:
    """The file where the site's generator would find it, if it is in one of those places."""
    tried: list[Path] = []
    inside = relative.lstrip("/")
    if relative.startswith("/") and places.base_path:
        prefix = places.base_path.strip("/") + "/"
        if inside.startswith(prefix):
            tried.append(root / inside[len(prefix) :])
            inside_site = inside[len(prefix) :]
            tried.extend(root / folder / inside_site for folder in places.static)
    if not relative.startswith("/") and places.asset_folders:
        tried.append(post_file.with_suffix("") / inside)
    tried.extend(root / folder / inside for folder in places.static)
    name = PurePosixPath(inside).name
    tried.extend(root / match for match in places.by_name.get(name, ()))
    for candidate in tried:
        path = Path(os.path.normpath(candidate))
        if path.is_relative_to(root) and path.exists() and path.resolve().is_relative_to(root):
            return path.resolve()
    return None


def _missing_message(path: Path, shown: str, places: Places = NOWHERE) -> str:
    """Say the file is missing, and name a file that differs only in letter case if there is one.

    A wrong case works on macOS and Windows, and then fails in CI, which runs on Linux.
    """
    message = f"file not found ({shown})"
    try:
        siblings = [entry.name for entry in path.parent.iterdir()]
    except OSError:
        siblings = []
    same_but_case = sorted(name for name in siblings if name.lower() == path.name.lower())
    if same_but_case:
        return message + f": did you mean '{same_but_case[0]}'? File names are case-sensitive in CI"
    if places.static:
        where = ", ".join(f"{folder}/" for folder in places.static)
        return message + f": check the path (relative to the post, or from the site root {where})"
    return (
        message
        + ": check the path (it is relative to the post; start it with '/' for the repository root)"
    )
