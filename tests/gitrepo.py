"""Real git repositories of posts for integration tests (no mocks: real git, real emulator)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def run_cli(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`wxsync ARGS` run as a user runs it: its own process, in `root`."""
    return subprocess.run(
        [sys.executable, "-m", "wxsync", *args],
        check=False,
        cwd=root,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def init_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "writer@example.com")
    git(root, "config", "user.name", "Writer")
    git(root, "config", "commit.gpgsign", "false")
    return root


def commit_all(root: Path, message: str = "posts") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message, "--allow-empty")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def png(path: Path, color: str = "red", size: tuple[int, int] = (64, 48)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def post(title: str, body: str = "", **front: object) -> str:
    lines = [f"title: {title}"] + [f"{k}: {v}" for k, v in front.items()]
    text = body or f"这是《{title}》的正文。\n\n第二段。\n"
    return "---\n" + "\n".join(lines) + "\n---\n\n" + text


def config(api_base: str, **settings: object) -> str:
    values: dict[str, object] = {
        "mode": "publish",
        "api_base": api_base,
        "publish_timeout": 20,
        "publish_settle": 6,
    }
    values.update(settings)
    return "".join(f"{k}: {v}\n" for k, v in values.items())
