"""Change detection: git blob ids from the index, hashing only what git says changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitrepo import git, write
from tests.gitrepo import init_repo as make_repo
from wxsync.engine.sources import SourceIndex, blob_id


def test_blob_id_matches_git(tmp_path: Path) -> None:
    make_repo(tmp_path)
    write(tmp_path / "a.md", "hello\n")
    assert git(tmp_path, "hash-object", "a.md").strip() == blob_id(b"hello\n")


def committed(root: Path, *names: str) -> Path:
    """A repository at `root` with `names` committed, each file holding its own name."""
    make_repo(root)
    for name in names:
        write(root / name, name)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "x")
    return root


def test_posts_are_found_and_underscore_or_dot_names_skipped(tmp_path: Path) -> None:
    committed(
        tmp_path,
        "content/a.md",
        "content/sub/b.md",
        "content/_drafts/c.md",
        "content/.hidden/d.md",
        "content/_index.md",
        "content/img/x.png",
        "other/e.md",
    )
    index = SourceIndex.build(tmp_path)
    assert index.in_git
    assert index.posts(tmp_path / "content") == ["content/a.md", "content/sub/b.md"]


def test_posts_match_md_in_any_case_and_only_inside_the_content_folder(tmp_path: Path) -> None:
    committed(
        tmp_path,
        "content/UPPER.MD",
        "content/.md",
        "content/notes.md.txt",
        "content/sub/_partial.md",
        "contents/sibling.md",
        "content.md",
    )
    write(tmp_path / "content/untracked.Md", "new")
    index = SourceIndex.build(tmp_path)
    assert index.posts(tmp_path / "content") == ["content/UPPER.MD", "content/untracked.Md"]
    assert index.posts(tmp_path) == [
        "content.md",
        "content/UPPER.MD",
        "content/untracked.Md",
        "contents/sibling.md",
    ]


def test_ids_of_committed_modified_and_untracked_files(tmp_path: Path) -> None:
    committed(tmp_path, "content/a.md", "content/b.md")
    write(tmp_path / "content/b.md", "two, edited\n")
    write(tmp_path / "content/c.md", "new\n")
    (tmp_path / "content/a.md").unlink()
    index = SourceIndex.build(tmp_path)
    assert index.posts(tmp_path / "content") == ["content/b.md", "content/c.md"]
    assert index.id_of("content/b.md") == blob_id(b"two, edited\n")
    assert index.id_of("content/c.md") == blob_id(b"new\n")
    assert index.id_of("content/a.md") is None


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths SourceIndex asks git to hash, in order."""
    seen: list[str] = []
    original = SourceIndex._hash_with_git

    def spy(self: SourceIndex, paths):  # type: ignore[no-untyped-def]
        paths = list(paths)
        seen.extend(paths)
        return original(self, paths)

    monkeypatch.setattr(SourceIndex, "_hash_with_git", spy)
    return seen


def test_committed_unchanged_files_are_not_hashed(tmp_path: Path, hashed: list[str]) -> None:
    committed(tmp_path, "content/a.md", "content/b.md")
    write(tmp_path / "content/b.md", "two, edited\n")
    index = SourceIndex.build(tmp_path)
    assert index.id_of("content/a.md") == blob_id(b"content/a.md")
    assert index.id_of("content/b.md") == blob_id(b"two, edited\n")
    assert hashed == ["content/b.md"], "only what git status reports as changed is read"


def test_changed_files_no_post_needs_are_never_hashed(tmp_path: Path, hashed: list[str]) -> None:
    committed(tmp_path, "content/a.md")
    write(tmp_path / ".wxsync/state.json", "{}\n")  # untracked, as after a first sync
    index = SourceIndex.build(tmp_path)
    assert index.posts(tmp_path / "content") == ["content/a.md"]
    assert index.id_of("content/a.md") == blob_id(b"content/a.md")
    assert hashed == []
    assert index.id_of(".wxsync/state.json") == blob_id(b"{}\n")
    assert hashed == [".wxsync/state.json"]


def test_wxsync_root_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    make_repo(tmp_path)
    write(tmp_path / "blog/content/a.md", "one\n")
    write(tmp_path / "blog/content/img/x.png", "png\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "x")
    write(tmp_path / "blog/content/b.md", "two\n")
    index = SourceIndex.build(tmp_path / "blog")
    assert index.posts(tmp_path / "blog/content") == ["content/a.md", "content/b.md"]
    assert index.id_of("content/img/x.png") == blob_id(b"png\n")


def test_ignored_files_are_hashed_on_demand(tmp_path: Path) -> None:
    make_repo(tmp_path)
    write(tmp_path / ".gitignore", "*.tmp.png\n")
    write(tmp_path / "img/a.tmp.png", "data")
    index = SourceIndex.build(tmp_path)
    assert index.id_of("img/a.tmp.png") == blob_id(b"data")
    assert index.id_of("img/nope.png") is None


def test_outside_git_a_stat_cache_avoids_rehashing(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from wxsync.engine import sources

    hashed: list[int] = []

    def counting_blob_id(data: bytes) -> str:
        hashed.append(len(data))
        return blob_id(data)

    monkeypatch.setattr(sources, "blob_id", counting_blob_id)
    write(tmp_path / "content/a.md", "one\n")
    cache = tmp_path / ".wxsync/cache/ids.json"
    first = SourceIndex.build(tmp_path, cache)
    assert not first.in_git
    assert first.posts(tmp_path / "content") == ["content/a.md"]
    first.save_cache()
    assert cache.is_file() and len(hashed) == 1
    second = SourceIndex.build(tmp_path, cache)
    assert second.posts(tmp_path / "content") == ["content/a.md"]
    assert second.id_of("content/a.md") == blob_id(b"one\n")
    assert len(hashed) == 1, "unchanged (size, mtime, inode): not read again"
    write(tmp_path / "content/a.md", "changed!\n")
    third = SourceIndex.build(tmp_path, cache)
    assert third.id_of("content/a.md") == blob_id(b"changed!\n")
    assert len(hashed) == 2
