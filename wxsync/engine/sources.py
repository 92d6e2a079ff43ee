"""Content ids for the repository's files, without reading the ones that did not change.

Change detection decides which posts to render and upload, so it runs on every sync, most of
which change nothing. Hashing every post and image from a cold disk is slow (10–25 s for 5,000
posts, measured) and modification times are useless in CI, where every checkout resets them.
Git already knows each tracked file's blob id: `git ls-files -s` reads it from the index, and
`git status` names the few files whose working copy differs; only those get hashed, by
`git hash-object` so line-ending filters apply exactly as git applies them. Outside a
repository a cache keyed by (size, mtime, inode) stands in for the index, with hashing as the
fallback.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


@dataclass
class SourceIndex:
    """Maps repository-relative POSIX paths to content ids (git blob ids or their equivalent)."""

    root: Path
    ids: dict[str, str] = field(default_factory=dict)
    in_git: bool = False
    _cache_path: Path | None = None
    _cache: dict[str, list[object]] = field(default_factory=dict)
    _cache_dirty: bool = False
    _toplevel: Path | None = None
    _prefix: str = ""  # `root` relative to the git top level, with a trailing slash
    unusable: list[str] = field(default_factory=list)  # post names `posts` had to leave out
    _by_name: dict[str, tuple[str, ...]] | None = None
    _unhashed: set[str] = field(default_factory=set)  # changed files, hashed when first needed

    @classmethod
    def build(cls, root: Path, cache_path: Path | None = None) -> SourceIndex:
        index = cls(root=root.resolve(), _cache_path=cache_path)
        toplevel = _git_toplevel(index.root)
        if toplevel is not None:
            index._load_git(toplevel)
        else:
            index._load_cache()
        return index

    def posts(self, *content_dirs: Path) -> list[str]:
        """Markdown posts under the `content_dirs`, skipping names that start with `_` or `.`.

        Names that are not UTF-8 (or hold a line break) cannot be keys of the state file; they
        are left out and listed, printably, in `unusable`, for the caller to report.
        """
        self.unusable = []
        found: set[str] = set()
        for content_dir in content_dirs:
            found.update(self._posts_in(content_dir))
        return sorted(found)

    def _posts_in(self, content_dir: Path) -> list[str]:
        try:
            prefix = content_dir.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return []
        if not self.in_git:
            self._walk(content_dir)
        # Plain string work, not PurePosixPath: this runs over every file of the repository on
        # every sync, and the ids' keys are already normalised POSIX paths.
        head = "" if prefix == "." else prefix + "/"
        if any(path.startswith(head) and _is_markdown(path) for path in self._unhashed):
            self._hash_changed()
        found = []
        for path in self.ids:
            if not (path.startswith(head) and _is_markdown(path)):
                continue
            if not _usable_name(path):
                self.unusable.append(printable(path))
                continue
            relative = path[len(head) :]
            if any(part.startswith(("_", ".")) for part in relative.split("/")):
                continue
            found.append(path)
        return found

    def by_name(self) -> dict[str, tuple[str, ...]]:
        """The repository's files by file name, built once (Obsidian finds `![[x.png]]` so)."""
        if self._by_name is None:
            self._hash_changed()
            names: dict[str, list[str]] = {}
            for path in sorted(self.ids):
                names.setdefault(PurePosixPath(path).name, []).append(path)
            self._by_name = {name: tuple(paths) for name, paths in names.items()}
        return self._by_name

    def id_of(self, path: str) -> str | None:
        """The content id of a repository-relative file, or None if it does not exist."""
        if path in self._unhashed:
            self._hash_changed()
        if path in self.ids:
            return self.ids[path]
        if self.in_git:
            # Not tracked and not reported by `git status`: ignored or absent.
            full = self.root / path
            if not full.is_file():
                return None
            found = self._hash_with_git([path]).get(path)
        else:
            found = self._stat_id(path)
        if found is not None:
            self.ids[path] = found
        return found

    def save_cache(self) -> None:
        """Persist the stat cache (outside git only); it is a cache, so failures are harmless."""
        if self.in_git or not self._cache_dirty or self._cache_path is None:
            return
        try:
            self._cache_path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self._cache_path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self._cache, sort_keys=True), encoding="utf-8")
            os.replace(temporary, self._cache_path)
        except OSError:
            return

    # -- inside a git work tree -------------------------------------------------------------------

    def _load_git(self, toplevel: Path) -> None:
        """Read ids from the index, and note what `git status` says differs from it.

        The files that differ are hashed the first time one of them is needed, all at once: a
        sync with nothing to do needs none of them (the state file itself is usually one).

        Git runs at the top level (its paths are relative to it); a `root` below the top level,
        where `wxsync.yml` lives in a subfolder, sees only its own part, re-rooted.
        """
        self.in_git = True
        self._toplevel = toplevel
        prefix = self.root.relative_to(toplevel).as_posix()
        prefix = self._prefix = "" if prefix == "." else prefix + "/"

        def local(path: str) -> str | None:
            return path[len(prefix) :] if path.startswith(prefix) else None

        listing = _git(toplevel, "ls-files", "-s", "-z")
        for record in listing.split("\0"):
            meta, _, path = record.partition("\t")
            parts = meta.split()
            name = local(path)
            # stage 0, or "ours" (2) while a merge is in progress
            if name is not None and len(parts) >= 3 and parts[2] in ("0", "2"):
                self.ids[name] = parts[1]
        status = _git(
            toplevel, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"
        )
        for record in status.split("\0"):
            name = local(record[3:]) if len(record) > 3 else None
            if name is None:
                continue
            code = record[:2]
            if "D" in code:
                self.ids.pop(name, None)
            else:
                self._unhashed.add(name)

    def _hash_changed(self) -> None:
        if self._unhashed:
            self.ids.update(self._hash_with_git(sorted(self._unhashed)))
            self._unhashed.clear()

    def _hash_with_git(self, paths: Iterable[str]) -> dict[str, str]:
        existing = [p for p in paths if (self.root / p).is_file()]
        if not existing or self._toplevel is None:
            return {}
        # --stdin-paths takes one name a line: a name with a line break is hashed here instead.
        odd = {p for p in existing if "\n" in p}
        if odd:
            existing = [p for p in existing if p not in odd]
            hashed = {p: _blob_of(self.root / p) for p in odd}
            return hashed | self._hash_with_git(existing)
        # hash-object reads paths relative to the top level, whatever the working directory.
        names = "".join(f"{self._prefix}{p}\n" for p in existing)
        output = _git(self._toplevel, "hash-object", "--stdin-paths", stdin=names)
        return dict(zip(existing, output.split(), strict=True))

    # -- outside git: a stat-keyed cache ---------------------------------------------------------

    def _load_cache(self) -> None:
        if self._cache_path is None or not self._cache_path.is_file():
            return
        try:
            data = json.loads(self._cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict):
            self._cache = data

    def _walk(self, content_dir: Path) -> None:
        for folder, dirs, files in os.walk(content_dir):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            for name in files:
                if name.lower().endswith(".md"):
                    path = Path(folder, name).relative_to(self.root).as_posix()
                    self.id_of(path)

    def _stat_id(self, path: str) -> str | None:
        full = self.root / path
        try:
            info = full.lstat()
        except (OSError, ValueError):
            return None
        key = [info.st_size, info.st_mtime_ns, info.st_ino]
        cached = self._cache.get(path)
        if cached is not None and cached[:3] == key:
            return str(cached[3])
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
            return None  # a fifo or a device: reading it could block forever
        try:
            # A symlink is hashed as git hashes it, by its target's name: never read through it.
            data = os.readlink(full).encode() if full.is_symlink() else full.read_bytes()
        except OSError:
            return None
        digest = blob_id(data)
        self._cache[path] = [*key, digest]
        self._cache_dirty = True
        return digest


def _is_markdown(path: str) -> bool:
    """Whether the file's suffix is `.md`, in any case, as `PurePosixPath.suffix` sees it."""
    name = path.rpartition("/")[2]
    return len(name) > 3 and name[-3:].lower() == ".md"


def _usable_name(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\n" not in path and "\r" not in path


def printable(path: str) -> str:
    """A file name as it can be shown: undecodable bytes and line breaks replaced."""
    text = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text.replace("\n", "\\n").replace("\r", "\\r")


def _blob_of(full: Path) -> str:
    """A file's id as git would compute it; a symlink by its target's name, never read through."""
    return blob_id(os.readlink(full).encode() if full.is_symlink() else full.read_bytes())


def blob_id(data: bytes) -> str:
    """Git's id for a blob with this content (SHA-1 object format)."""
    header = f"blob {len(data)}\0".encode()
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()


def _git_toplevel(root: Path) -> Path | None:
    if "GIT_DIR" not in os.environ and not any(
        (folder / ".git").exists() for folder in (root, *root.parents)
    ):
        return None  # not in a repository: no need to start git to hear it say so
    try:
        top = _git(root, "rev-parse", "--show-toplevel").strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(top).resolve() if top else None


def _git(root: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["git", "-c", "core.quotepath=off", *args],
        cwd=root,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        encoding="utf-8",
        errors="surrogateescape",  # a file name that is not UTF-8 must not stop the run
    )
    return result.stdout
