"""`wxsync init`: set wxsync up in an existing blog repository.

It detects the site generator, writes a commented `wxsync.yml` holding what it found, and a
GitHub Actions workflow, then prints what only the user can do: the two repository secrets and
the IP whitelist. It never overwrites a file: a file that exists is left as it is and named.
"""

from __future__ import annotations

import argparse
import subprocess
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wxsync.site import Site

WORKFLOW = ".github/workflows/wxsync.yml"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "init",
        help="set up wxsync in this repository",
        description=(
            "Detect the site generator, write a commented wxsync.yml and "
            f"{WORKFLOW}, and print the next steps. Never overwrites a file."
        ),
    )
    parser.add_argument("path", nargs="?", default=".", help="the repository (default: here)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wxsync.config import CONFIG_FILE, SiteSettings
    from wxsync.site import detect

    root = _repository_root(Path(args.path))
    site = detect(root, SiteSettings())
    print(site.describe())
    files = {
        CONFIG_FILE: config_text(site),
        WORKFLOW: workflow_text(site, _default_branch(root), _minute(root)),
    }
    for name, text in files.items():
        target = root / name
        if target.exists():
            print(f"kept {name}: it exists already (wxsync init never overwrites a file)")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {name}")
    print(next_steps(site))
    return 0


def config_text(site: Site) -> str:
    """A wxsync.yml with one choice made (`mode`) and what was detected, commented out.

    Detected facts stay comments so wxsync keeps reading them from the generator's own
    configuration when that changes; uncommenting one overrides detection.
    """
    static = ", ".join(site.static) or "static"
    url = site.url or "https://example.com"
    permalink = site.permalink or "/:year/:month/:slug/"
    lines = [
        f"# wxsync configuration (README: Configuration). Detected: {site.name}"
        + (f" ({site.config})." if site.config else "."),
        "# Commented lines show what wxsync detected; uncomment one to override it.",
        "",
        "# `draft` stops at WeChat drafts; `publish` also publishes them;",
        "# `broadcast` mass-sends them to followers.",
        "mode: draft",
        "",
        f"# content: {_yaml_text(site.content)}  # where the posts are",
        "",
        "# site:",
        f"#   generator: {site.generator}",
        f"#   static: [{static}]  # folders served at the site root",
        f"#   url: {_yaml_text(url)}  # 阅读原文 links to the post's address here",
        f"#   permalink: {_yaml_text(permalink)}",
        "",
        "# theme: default  # default, warm or ink",
        "# author: ''  # when a post names none",
        "# comments: false  # open comments on new articles",
        "",
    ]
    return "\n".join(lines)


def workflow_text(site: Site, branch: str, minute: int) -> str:
    """A GitHub Actions workflow that syncs on each push of posts, and hourly for scheduled ones."""
    watched = [site.content if site.content != "." else "", *site.static]
    paths = sorted({f"{folder}/**" if folder and folder != "." else "**" for folder in watched})
    if "**" in paths:
        paths = ["**"]
    path_lines = "\n".join(f'      - "{p}"' for p in [*paths, "wxsync.yml"] if p)
    return f"""# Written by `wxsync init`. Needs the repository secrets WECHAT_APPID and WECHAT_APPSECRET
# (Settings → Secrets and variables → Actions) and, on GitHub-hosted runners, a proxy with a
# fixed IP in WECHAT_PROXY (WeChat answers only whitelisted IPs).
name: Publish to WeChat

on:
  push:
    branches: [{branch}]
    paths:
{path_lines}
  workflow_dispatch:
  schedule:
    # Scheduled posts (a `date` in the future) go out on the first run after their time.
    # Off the hour: on the hour every scheduled workflow on GitHub starts at once.
    - cron: "{minute} * * * *"

permissions:
  contents: write # to commit the state file back

concurrency:
  # One sync per repository at a time: two at once could publish the same post twice.
  group: wxsync-${{{{ github.repository }}}}
  cancel-in-progress: false

jobs:
  publish:
    # The scheduled and manual runs also stay on the default branch.
    if: github.ref == 'refs/heads/{branch}'
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v6

      - name: Publish changed posts
        uses: wxsync/wxsync@v1
        with:
          appid: ${{{{ secrets.WECHAT_APPID }}}}
          appsecret: ${{{{ secrets.WECHAT_APPSECRET }}}}
          proxy: ${{{{ secrets.WECHAT_PROXY }}}}
"""


def next_steps(site: Site) -> str:
    from wxsync.doctor import WHITELIST_PLACE

    steps = [
        "",
        "Next steps:",
        "  1. Add two repository secrets (Settings → Secrets and variables → Actions):",
        "     WECHAT_APPID and WECHAT_APPSECRET, from mp.weixin.qq.com → 设置与开发 → 基本配置.",
        "  2. Whitelist the IP wxsync calls WeChat from: " + WHITELIST_PLACE + ".",
        "     GitHub-hosted runners change IP every run: use a proxy with a fixed IP",
        "     (secret WECHAT_PROXY) or a self-hosted runner.",
        "  3. Try it locally: `wxsync check`, then `wxsync sync --dry-run` (no credentials needed).",
        "  4. Commit wxsync.yml and the workflow, and push.",
    ]
    if not site.url and site.generator != "obsidian":
        steps.append(
            "  Set `site: url:` in wxsync.yml to link each article to its post (阅读原文)."
        )
    return "\n".join(steps)


def _repository_root(start: Path) -> Path:
    from wxsync.config import find_root

    return find_root(start.resolve())


def _default_branch(root: Path) -> str:
    """The branch pushes should publish from: origin's default, else the current one, else main."""
    for command in (
        ["git", "symbolic-ref", "--short", "refs/remotes/origin/HEAD"],
        ["git", "symbolic-ref", "--short", "HEAD"],
    ):
        try:
            result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
        except OSError:
            break
        name = result.stdout.strip().removeprefix("origin/")
        if result.returncode == 0 and name:
            return name
    return "main"


def _minute(root: Path) -> int:
    """A minute past the hour that differs between repositories but not between runs of init."""
    return 7 + zlib.crc32(root.name.encode("utf-8")) % 45


def _yaml_text(value: str) -> str:
    import yaml

    return str(yaml.safe_dump(value, allow_unicode=True, default_style=None)).split("\n")[0]
