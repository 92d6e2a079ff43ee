"""Benchmarks of `wxsync sync`, each against a baseline measured in the same run.

(a) a sync with nothing to do over 2,000 posts, against the interpreter's own start-up;
(b) the API calls of a full sync, against the lower bound
    (1 token + unique images + 1 draft write per post + 1 submit per post + the polls WeChat needs
    + 2 searches: one page of published articles and one of drafts, which prove that no earlier
    run made these posts before its state file was lost); then the same sync after losing the
    state file, which must adopt everything and create nothing (its bound: 1 token + the pages
    of published articles it has to read);
(c) wall time of a 20-post, 100-image sync with 100 ms of API latency, sequential (jobs=1)
    against concurrent uploads and polls (jobs=8);
(d) the API calls of a broadcast sync (24 posts in 3 messages of 8), against the lower bound
    (1 token + 2 listings to adopt what a lost state file knew + unique images + 1 draft/add
    + 1 sendall per message + the mass/get polls WeChat needs), and a second run with nothing
    to do, against 0.

Run: `python bench/sync.py` (add `--posts N` to change (a)'s size). Machines here are noisy:
read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import compileall
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET, EmulatorConfig
from wxsync.wechat.emulator import EmulatorControl, start

ENV = {**os.environ, "WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET}
CREATING = (
    "/cgi-bin/draft/add",
    "/cgi-bin/freepublish/submit",
    "/cgi-bin/media/uploadimg",
    "/cgi-bin/material/add_material",
)
PARAGRAPH = "微信公众号的文章由仓库里的 Markdown 生成，每次推送只处理改动过的文章。" * 6


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def make_repo(
    root: Path,
    posts: int,
    images_per_post: int,
    api_base: str,
    *,
    shared: bool = False,
    **settings: object,
) -> None:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "bench@example.com")
    git(root, "config", "user.name", "bench")
    config = {"mode": "publish", "api_base": api_base, "publish_timeout": 120, **settings}
    (root / "wxsync.yml").write_text(
        "".join(f"{k}: {v}\n" for k, v in config.items()), encoding="utf-8"
    )
    content = root / "content"
    content.mkdir(parents=True)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, "PNG")
    (content / "shared.png").write_bytes(buffer.getvalue())
    for index in range(posts):
        folder = content / f"{index // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        images = []
        for number in range(images_per_post):
            name = f"p{index}-{number}.png"
            buffer = io.BytesIO()
            Image.new("RGB", (32, 24), (index % 256, number * 40 % 256, 99)).save(buffer, "PNG")
            (folder / name).write_bytes(buffer.getvalue())
            images.append(f"![图{number}]({name})")
        if shared:
            images.append("![每篇都有的图](../shared.png)")
        body = "\n\n".join([PARAGRAPH, *images, PARAGRAPH])
        (folder / f"post-{index}.md").write_text(
            f"---\ntitle: 第 {index} 篇\n---\n\n{body}\n", encoding="utf-8"
        )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "posts")


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env or ENV, check=True, capture_output=True)
    return time.perf_counter() - started


def best_of(runs: int, command: list[str], cwd: Path) -> float:
    return statistics.median(timed(command, cwd) for _ in range(runs))


def bench_noop(workdir: Path, posts: int) -> None:
    server = start(config=EmulatorConfig(publish_polls=0))
    control = EmulatorControl(server.base_url)
    root = workdir / "noop"
    make_repo(root, posts, 0, server.base_url, mode="draft")
    subprocess.run(
        [sys.executable, "-m", "wxsync", "sync"], cwd=root, env=ENV, check=True, capture_output=True
    )
    calls_before = sum(control.state()["calls"].values())
    startup = best_of(5, [sys.executable, "-c", "pass"], root)
    noop = best_of(5, [sys.executable, "-m", "wxsync", "sync"], root)
    calls = sum(control.state()["calls"].values()) - calls_before
    server.shutdown()
    print(
        f"(a) no-op sync of {posts} posts: {noop:.2f} s; interpreter start-up {startup:.2f} s; "
        f"over start-up {noop - startup:.2f} s (target <= 1 s); API calls {calls} (target 0)"
    )


def bench_calls(workdir: Path) -> None:
    polls = 1
    server = start(config=EmulatorConfig(publish_polls=polls))
    control = EmulatorControl(server.base_url)
    root = workdir / "calls"
    posts, images = 30, 3
    # Every post also shows one image shared by all: it must be uploaded once, not 30 times.
    make_repo(root, posts, images, server.base_url, shared=True)
    subprocess.run(
        [sys.executable, "-m", "wxsync", "sync"], cwd=root, env=ENV, check=True, capture_output=True
    )
    state = control.state()
    calls = sum(state["calls"].values())
    unique_images = len({u["sha256"] for u in state["uploads"]}) + len(state["materials"])
    searches = 2
    bound = 1 + unique_images + posts + posts + posts * (polls + 1) + searches
    print(
        f"(b) full sync of {posts} posts: {calls} API calls; lower bound {bound} "
        f"(1 token + {unique_images} unique images incl. covers + {posts} drafts + {posts} submits "
        f"+ {posts * (polls + 1)} polls + {searches} searches for earlier copies); "
        f"ratio {calls / bound:.2f} (target 1.00)"
    )
    for path, count in sorted(state["calls"].items()):
        print(f"      {path}: {count}")

    (root / ".wxsync/state.json").unlink()
    subprocess.run(
        [sys.executable, "-m", "wxsync", "sync"], cwd=root, env=ENV, check=True, capture_output=True
    )
    after = control.state()
    again = sum(after["calls"].values()) - calls
    created = sum(after["calls"].get(p, 0) - state["calls"].get(p, 0) for p in CREATING)
    pages = -(-posts // 20)
    server.shutdown()
    print(
        f"    same sync after losing the state file: {again} API calls, {created} created; "
        f"lower bound {1 + pages} (1 token + {pages} pages of published articles); "
        f"ratio {again / (1 + pages):.2f} (target 1.00, 0 created)"
    )


def bench_concurrency(workdir: Path) -> None:
    results = {}
    for jobs in (1, 8):
        server = start(config=EmulatorConfig(publish_polls=1))
        control = EmulatorControl(server.base_url)
        root = workdir / f"latency-{jobs}"
        make_repo(root, 20, 5, server.base_url, jobs=jobs)
        control.faults({"path": "*", "delay_ms": 100})
        results[jobs] = timed([sys.executable, "-m", "wxsync", "sync"], root)
        uploads = len(control.state()["uploads"])
        server.shutdown()
        assert uploads == 100, uploads
    ratio = results[8] / results[1]
    print(
        f"(c) 20 posts, 100 images, 100 ms latency: sequential {results[1]:.2f} s, "
        f"concurrent (jobs=8) {results[8]:.2f} s; ratio {ratio:.2f} (target <= 0.50)"
    )


def bench_broadcast(workdir: Path) -> None:
    polls = 1
    server = start(config=EmulatorConfig(broadcast_polls=polls, broadcasts_per_day=3))
    control = EmulatorControl(server.base_url)
    root = workdir / "broadcast"
    posts, messages = 24, 3
    make_repo(root, posts, 1, server.base_url, mode="broadcast", broadcast="{per_day: 3}")
    for index in range(posts):
        path = root / "content" / f"{index // 100:02d}" / f"post-{index}.md"
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("---\n\n", f"wechat:\n  message: m{index % messages}\n---\n\n", 1),
            encoding="utf-8",
        )
    git(root, "commit", "-qam", "messages")
    command = [sys.executable, "-m", "wxsync", "sync"]
    subprocess.run(command, cwd=root, env=ENV, check=True, capture_output=True)
    state = control.state()
    calls = sum(state["calls"].values())
    unique_images = len({u["sha256"] for u in state["uploads"]}) + len(state["materials"])
    # A first run (like a run that lost its state file) lists drafts and published articles
    # once, to adopt messages already on WeChat.
    bound = 1 + 2 + unique_images + messages + messages + messages * (polls + 1)
    subprocess.run(command, cwd=root, env=ENV, check=True, capture_output=True)
    again = sum(control.state()["calls"].values()) - calls
    sent = [len(b["titles"]) for b in control.state()["broadcasts"]]
    server.shutdown()
    assert sent == [8, 8, 8], sent
    print(
        f"(d) broadcast sync of {posts} posts in {messages} messages: {calls} API calls; lower "
        f"bound {bound} (1 token + 2 listings + {unique_images} unique images incl. covers + {messages} "
        f"drafts + {messages} sendall + {messages * (polls + 1)} polls); ratio "
        f"{calls / bound:.2f} (target 1.00); second run {again} calls (target 0)"
    )
    for path, count in sorted(state["calls"].items()):
        print(f"      {path}: {count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=2000, help="posts for the no-op benchmark")
    parser.add_argument("--only", choices=("a", "b", "c", "d"), help="run one benchmark")
    args = parser.parse_args()
    # Time wxsync as installed: pip compiles a wheel's bytecode, while an editable install under
    # PYTHONDONTWRITEBYTECODE would compile its modules from source in every timed process.
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "wxsync", quiet=1)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        if args.only in (None, "a"):
            bench_noop(workdir, args.posts)
        if args.only in (None, "b"):
            bench_calls(workdir)
        if args.only in (None, "c"):
            bench_concurrency(workdir)
        if args.only in (None, "d"):
            bench_broadcast(workdir)


if __name__ == "__main__":
    main()
