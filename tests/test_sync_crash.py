"""Exactly once: kill the process anywhere, lose answers, run again — each post exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.gitrepo import commit_all, config, init_repo, png, post, write
from wxsync.engine.state import load
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer

TITLES = ["甲", "乙", "丙", "丁"]


def make_blog(root: Path, api_base: str) -> Path:
    init_repo(root)
    write(root / "wxsync.yml", config(api_base, publish_timeout=30, publish_settle=6))
    for index, title in enumerate(TITLES):
        png(root / f"content/img/{index}.png", ("red", "green", "blue", "gray")[index])
        write(
            root / f"content/p{index}.md",
            post(title, f"正文{title}。\n\n![图](img/{index}.png)\n\n![共用](img/0.png)\n"),
        )
    commit_all(root)
    return root


def wxsync_sync(root: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET}
    return subprocess.Popen(
        [sys.executable, "-m", "wxsync", "sync"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(root: Path) -> str:
    process = wxsync_sync(root)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    return output


def assert_exactly_once(control: EmulatorControl, root: Path) -> None:
    state = control.state()
    published = Counter(title for article in state["published"] for title in article["titles"])
    assert published == Counter(TITLES), f"published: {published}"
    assert state["drafts"] == [], "no leftover drafts"
    saved = load(root / ".wxsync/state.json")
    assert {r.status for r in saved.posts.values()} == {"published"}
    assert not saved.intents()


def kill_during_syncs(root: Path, instants: list[float]) -> int:
    """Start `wxsync sync` once per instant and SIGKILL it that many seconds in; how many died."""
    killed = 0
    for instant in instants:
        process = wxsync_sync(root)
        time.sleep(instant)
        if process.poll() is None:
            process.kill()
            killed += 1
        process.communicate(timeout=30)
    assert killed >= 3, "the kills must land while work is going on"
    return killed


@pytest.mark.parametrize("seed", [1, 2])
def test_killed_at_any_instant_then_rerun_publishes_each_post_exactly_once(
    tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl, seed: int
) -> None:
    root = make_blog(tmp_path / "blog", emulator.base_url)
    control.faults({"path": "*", "delay_ms": 120})
    instants = [0.4, 0.9, 1.5, 2.2, 3.0, 3.9] if seed == 1 else [0.7, 1.2, 1.8, 2.6, 3.5, 4.4]
    killed = kill_during_syncs(root, instants)
    control.faults()
    finish(root)
    assert_exactly_once(control, root)
    body_uploads = Counter(u["sha256"] for u in control.state()["uploads"])
    assert len(body_uploads) == 4
    # uploadimg cannot be listed, so an upload whose answer died with the process is repeated.
    assert sum(body_uploads.values()) <= 4 + killed


@pytest.mark.parametrize("path", ["/cgi-bin/draft/add", "/cgi-bin/freepublish/submit"])
def test_answer_lost_after_success_is_reconciled_not_repeated(
    tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl, path: str
) -> None:
    root = make_blog(tmp_path / "blog", emulator.base_url)
    control.faults({"path": path, "after_success": True, "drop": True, "times": 2})
    first = wxsync_sync(root)
    first.communicate(timeout=120)
    finish(root)
    assert_exactly_once(control, root)


def test_crash_between_intent_and_submit_resubmits_after_the_settle_time(
    tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    """A submit that never reached WeChat: the draft is submitted again, once, after `publish_settle`."""
    root = make_blog(tmp_path / "blog", emulator.base_url)
    # Every submit fails at the gateway (502): the client treats it as "may have happened".
    control.faults({"path": "/cgi-bin/freepublish/submit", "http_status": 502})
    wxsync_sync(root).communicate(timeout=120)
    saved = load(root / ".wxsync/state.json")
    assert len(saved.intents()) == 4
    control.faults()
    started = time.monotonic()
    finish(root)
    assert time.monotonic() - started >= 3, "waited for a possibly running job before resubmitting"
    assert_exactly_once(control, root)


def make_broadcast_blog(root: Path, api_base: str) -> Path:
    init_repo(root)
    write(
        root / "wxsync.yml",
        config(api_base, mode="broadcast", publish_timeout=30, broadcast="{per_day: 5}"),
    )
    for index, title in enumerate(TITLES):
        message = "\nwechat:\n  message: weekly" if index < 2 else ""
        png(root / f"content/img/{index}.png", ("red", "green", "blue", "gray")[index])
        write(
            root / f"content/p{index}.md",
            f"---\ntitle: {title}\ndate: 2026-01-0{index + 1}{message}\n---\n\n"
            f"正文{title}。\n\n![图](img/{index}.png)\n",
        )
    commit_all(root)
    return root


def test_killed_at_any_instant_then_rerun_mass_sends_each_message_exactly_once(
    tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    root = make_broadcast_blog(tmp_path / "blog", emulator.base_url)
    control.configure(broadcasts_per_day=5)
    control.faults({"path": "*", "delay_ms": 120})
    kill_during_syncs(root, [0.6, 1.2, 1.9, 2.7])
    time.sleep(0.5)  # a request the killed process left in flight (delayed 120 ms) lands first
    control.faults()
    control.advance(61)  # past the minute in which WeChat answers 45066 to a repeated clientmsgid
    output = finish(root)
    state = control.state()
    sent = Counter(tuple(b["titles"]) for b in state["broadcasts"])
    assert sent == Counter({("甲", "乙"): 1, ("丙",): 1, ("丁",): 1}), sent
    assert state["drafts"] == [], "no leftover drafts"
    saved = load(root / ".wxsync/state.json")
    assert {r.status for r in saved.posts.values()} == {"sent"}, output
    assert not saved.message_intents()
