"""The state file's way back to the repository, on a runner, when things go wrong.

Each test plays action.yml's own step against a bare "GitHub" origin (with pre-receive hooks
where GitHub would refuse) and the emulator, then checks what a user would check: what the log
and the summary say, what origin received, and that the next run adds nothing on WeChat.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from tests.gitrepo import git, post, write
from tests.test_action import (
    BOT_NAME,
    assert_secrets_only_in_mask_lines,
    checkout,
    finished,
    inputs_for,
    origin,
    origin_log,
    play_action,
    step_environment,
    sync_step,
)
from wxsync.ci.commit import Target, commit_state
from wxsync.ci.git import ADVICE_DENIED, auth_environment, refusal
from wxsync.ci.github import Actions, summary_markdown
from wxsync.engine.state import PostRecord, State, save
from wxsync.report import Outcome, SyncReport
from wxsync.wechat.account import DEFAULT_SECRET
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer

__all__ = ["origin"]  # the bare origin fixture, shared with test_action

GH006 = (
    "error: GH006: Protected branch update failed for refs/heads/main.\n"
    "error: Changes must be made through a pull request.\n"
)


@pytest.fixture(autouse=True)
def _publish_without_waiting(request: pytest.FixtureRequest) -> None:
    """Publish jobs finish at the first poll: these tests are about git, not about waiting."""
    if "emulator" in request.fixturenames:
        request.getfixturevalue("control").configure(publish_polls=0)


def hook(origin: Path, script: str) -> Path:
    """Install a pre-receive hook in origin; it counts its runs in `pushes`."""
    path = origin / "hooks/pre-receive"
    path.write_text(f'#!/bin/sh\necho x >> "{origin}/pushes"\n{script}\n', encoding="utf-8")
    path.chmod(0o755)
    return origin / "pushes"


def protect(origin: Path) -> Path:
    return hook(origin, f"cat >&2 <<'EOF'\n{GH006}EOF\nexit 1")


def published_titles(control: EmulatorControl) -> Counter[str]:
    return Counter(t for article in control.state()["published"] for t in article["titles"])


def test_a_protected_branch_fails_loudly_with_the_reason_and_the_next_run_adds_nothing(
    origin: Path, tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    pushes = protect(origin)
    inputs = inputs_for(emulator, token="ghs_app_token_1")  # a token the rules do not allow
    run = play_action(checkout(origin, tmp_path / "ci"), tmp_path, inputs)
    assert run.returncode == 1, run.stdout
    assert "::add-mask::ghs_app_token_1" in run.stdout.splitlines()[:3]
    assert_secrets_only_in_mask_lines(run.stdout, [DEFAULT_SECRET, "ghs_app_token_1"])
    assert published_titles(control) == Counter(["第一篇", "第二篇"])
    # The remote's own reason, and what to do, in one error annotation; no retries.
    error = next(
        line for line in run.stdout.splitlines() if line.startswith("::error title=wxsync%3A state")
    )
    assert "GH006: Protected branch update failed for refs/heads/main." in error
    assert "`token`" in error and "`state-branch" in error and "file://" not in error
    assert pushes.read_text(encoding="utf-8").count("x") == 1, "a refusal is not a race"
    assert run.outputs["state-committed"] == "false" and run.outputs["commit-sha"] == ""
    assert "**State file not committed:** the remote refused" in run.summary
    assert len(origin_log(origin)) == 1

    # The next run starts from a fresh checkout without the state, and creates nothing.
    calls = control.state()["calls"]
    again = play_action(checkout(origin, tmp_path / "ci2"), tmp_path, inputs)
    assert again.returncode == 1
    assert "🔗 adopted" in again.summary
    after = control.state()["calls"]
    for path in ("/cgi-bin/draft/add", "/cgi-bin/freepublish/submit", "/cgi-bin/media/uploadimg"):
        assert after.get(path) == calls.get(path), path
    assert published_titles(control) == Counter(["第一篇", "第二篇"])


def test_an_ignored_state_folder_is_committed_anyway_and_the_run_says_so(
    origin: Path, tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    writer = tmp_path / "writer"
    write(writer / ".gitignore", "node_modules/\n.wxsync/\n")
    git(writer, "add", "-A")
    git(writer, "commit", "-qm", "ignore wxsync's folder")
    git(writer, "push", "-q", "origin", "main")

    run = play_action(checkout(origin, tmp_path / "ci"), tmp_path, inputs_for(emulator))
    assert run.returncode == 0, run.stdout
    assert (
        "::notice title=wxsync::.gitignore:2 ignores .wxsync/state.json (pattern `.wxsync/`)"
        in run.stdout
    )
    assert git(origin, "show", "--name-only", "--format=", "main").split() == [".wxsync/state.json"]
    assert run.outputs["state-committed"] == "true"
    assert run.outputs["commit-sha"] == git(origin, "rev-parse", "main").strip()

    fresh = checkout(origin, tmp_path / "ci2")
    committed = git(origin, "show", "main:.wxsync/state.json")
    assert (fresh / ".wxsync/state.json").read_text(encoding="utf-8") == committed, (
        "a committed file is checked out, ignored or not"
    )


def tag_checkout(origin: Path, folder: Path) -> Path:
    """A checkout of the tag v1 (made on main), as a workflow triggered by a tag has."""
    git(origin, "tag", "v1", "main")
    ci = checkout(origin, folder)
    git(ci, "checkout", "-q", "v1")
    return ci


def test_a_tag_checkout_stops_before_any_wechat_call(
    origin: Path, tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    ci = tag_checkout(origin, tmp_path / "ci")
    run = play_action(ci, tmp_path, inputs_for(emulator), {"GITHUB_REF": "refs/tags/v1"})
    assert run.returncode == 2, run.stdout
    error = next(line for line in run.stdout.splitlines() if line.startswith("::error"))
    assert "the workflow runs on the tag v1, not on a branch" in error
    assert "`state-branch`" in error
    assert control.state()["calls"] == {}


def test_a_state_branch_keeps_the_state_apart_and_is_read_back_by_the_next_run(
    origin: Path, tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    ci = tag_checkout(origin, tmp_path / "ci")
    inputs = inputs_for(emulator, **{"state-branch": "wxsync-state"})
    run = play_action(ci, tmp_path, inputs, {"GITHUB_REF": "refs/tags/v1"})
    assert run.returncode == 0, run.stdout
    assert published_titles(control) == Counter(["第一篇", "第二篇"])
    assert len(origin_log(origin)) == 1, "the default branch is untouched"
    tree = git(origin, "ls-tree", "-r", "--name-only", "wxsync-state").split()
    assert tree == [".wxsync/state.json"]
    assert run.outputs["commit-sha"] == git(origin, "rev-parse", "wxsync-state").strip()

    calls = control.state()["calls"]
    again = play_action(checkout(origin, tmp_path / "ci2"), tmp_path, inputs)
    assert again.returncode == 0, again.stdout
    assert "state file read from the branch wxsync-state (2 posts)" in again.stdout
    assert control.state()["calls"] == calls, "known posts: not even a search"


def test_a_push_refused_at_the_dry_run_stops_before_any_wechat_call(
    origin: Path, tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    ci = checkout(origin, tmp_path / "ci")
    git(ci, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    run = play_action(ci, tmp_path, inputs_for(emulator))
    assert run.returncode == 2, run.stdout
    assert "nothing was sent to WeChat: `git push --dry-run` to main was refused" in run.stdout
    assert control.state()["calls"] == {}


def test_a_race_is_retried_after_a_backoff_on_top_of_the_other_push(tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    repo = checkout(bare, tmp_path / "repo")
    for key, value in (("user.email", "w@example.com"), ("user.name", "W")):
        git(repo, "config", key, value)
    write(repo / "content/a.md", post("甲"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    git(repo, "push", "-q", "origin", "main")
    write(repo / "README.md", "someone else's push\n")
    git(repo, "commit", "-qam", "x", "--allow-empty")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "README")
    git(repo, "push", "-q", "origin", "HEAD:refs/heads/other")
    git(repo, "reset", "-q", "--hard", "HEAD~2")
    # While our first push is being received, someone else's lands first.
    other = git(bare, "rev-parse", "other").strip()
    hook(
        bare,
        f'[ -f "{bare}/raced" ] || {{ touch "{bare}/raced"; env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES git update-ref refs/heads/main {other}; }}',
    )

    save(State(posts={"content/a.md": PostRecord(status="published")}), repo / ".wxsync/state.json")
    waits: list[float] = []
    result = commit_state(
        repo, repo / ".wxsync/state.json", "s [skip ci]", target=Target("main"), sleep=waits.append
    )
    assert result.pushed and result.attempts == 2 and waits == [1.0]
    assert git(bare, "log", "--format=%s", "-2", "main").splitlines() == ["s [skip ci]", "README"]


def test_the_token_is_the_only_credential_git_sends(tmp_path: Path) -> None:
    """actions/checkout's stored header is replaced, not added to (GitHub rejects two)."""
    seen: list[list[str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get_all("Authorization") or [])
            self.send_response(403)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        repo = tmp_path / "repo"
        git(tmp_path, "init", "-q", str(repo))
        git(repo, "config", f"http.{base}/.extraheader", "AUTHORIZATION: basic Y2hlY2tvdXQ=")
        env = {**auth_environment("app-token", base), "GIT_TERMINAL_PROMPT": "0"}
        subprocess.run(
            ["git", "ls-remote", f"{base}/owner/blog.git"],
            cwd=repo,
            env={**dict(__import__("os").environ), **env},
            capture_output=True,
            check=False,
            timeout=30,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert seen and seen[0] == [
        "basic eC1hY2Nlc3MtdG9rZW46YXBwLXRva2Vu"
    ]  # x-access-token:app-token


# -- cancellation ---------------------------------------------------------------------------------


def start_step(checkout_dir: Path, tmp_path: Path, inputs: dict[str, str]) -> subprocess.Popen[str]:
    """The sync step as the runner starts it: its own script, run by bash, which execs wxsync."""
    return subprocess.Popen(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", sync_step()["run"]],
        cwd=checkout_dir,
        env=step_environment(tmp_path, inputs),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def cancel_like_the_runner(process: subprocess.Popen[str], sequence: str) -> list[str]:
    """GitHub's runner on cancel: SIGINT, 7.5 s, SIGTERM, 2.5 s, SIGKILL (only while it lives).
    `sigterm` is how GitLab and a job timeout on other systems start: SIGTERM first."""
    steps = (
        [(signal.SIGINT, 7.5), (signal.SIGTERM, 2.5)]
        if sequence == "runner"
        else [(signal.SIGTERM, 2.5)]
    )
    sent = []
    for number, grace in steps:
        if process.poll() is not None:
            break
        process.send_signal(number)
        sent.append(number.name)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    if process.poll() is None:
        process.kill()
        sent.append("SIGKILL")
    return sent


@pytest.mark.parametrize("sequence", ["runner", "sigterm"])
def test_a_cancelled_run_pushes_its_state_and_the_next_run_publishes_each_post_once(
    origin: Path,
    tmp_path: Path,
    emulator: EmulatorServer,
    control: EmulatorControl,
    sequence: str,
) -> None:
    writer = tmp_path / "writer"
    for index in range(3, 5):
        write(writer / f"content/p{index}.md", post(f"第{index}篇"))
    git(writer, "add", "-A")
    git(writer, "commit", "-qm", "more posts")
    git(writer, "push", "-q", "origin", "main")
    titles = Counter(["第一篇", "第二篇", "第3篇", "第4篇"])
    control.faults({"path": "*", "delay_ms": 200})  # slow enough to cancel mid-run
    process = start_step(checkout(origin, tmp_path / "ci"), tmp_path, inputs_for(emulator))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not control.state()["calls"].get("/cgi-bin/draft/add"):
        time.sleep(0.1)
    time.sleep(0.3)
    sent = cancel_like_the_runner(process, sequence)
    output, _ = process.communicate(timeout=30)
    assert sent == (["SIGINT"] if sequence == "runner" else ["SIGTERM"]), output
    assert process.returncode == 130, output

    # Origin received the state of what was done before the cancel.
    assert origin_log(origin)[0].startswith(f"{BOT_NAME}|"), output
    state = json.loads(git(origin, "show", "main:.wxsync/state.json"))
    assert any(r.get("draft_media_id") or r.get("article_id") for r in state["posts"].values())
    done = control.state()
    assert len(done["drafts"]) + len(done["published"]) < len(titles), "cancelled mid-run"

    if sequence != "runner":
        return  # the runner's own sequence is the one replayed to the end below
    control.faults()
    fresh = play_action(checkout(origin, tmp_path / "ci2"), tmp_path, inputs_for(emulator))
    assert fresh.returncode == 0, fresh.stdout
    assert published_titles(control) == titles
    assert control.state()["drafts"] == []


# -- what GitHub shows ---------------------------------------------------------------------------


def test_annotations_stop_at_ten_per_level_and_point_to_the_summary() -> None:
    report = SyncReport(
        outcomes=[
            Outcome(f"content/{n}.md", f"第{n}篇", "publish", "failed", message="48001")
            for n in range(25)
        ],
        halted="no publish permission",
    )
    lines: list[str] = []
    actions = Actions({"GITHUB_ACTIONS": "true"}, out=_Lines(lines))
    actions.annotate(report)
    errors = [line for line in lines if line.startswith("::error")]
    assert len(errors) == 10
    assert errors[-1].startswith("::error title=wxsync::17 more errors in the job summary")


def test_the_summary_stays_under_one_mebibyte_however_many_posts_failed() -> None:
    report = SyncReport(
        outcomes=[
            Outcome(f"content/{n:05}.md", "题" * 60, "create draft", "failed", message="错" * 900)
            for n in range(20_000)
        ]
    )
    text = summary_markdown(report)
    assert len(text.encode("utf-8")) < 1024 * 1024
    assert "more posts not listed" in text and "20000 failed." in text


class _Lines:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def write(self, text: str) -> int:
        self.lines.extend(line for line in text.splitlines() if line)
        return len(text)

    def flush(self) -> None:
        pass


# -- the proxy ------------------------------------------------------------------------------------


@pytest.fixture
def forward_proxy() -> Iterator[tuple[str, list[str]]]:
    """An HTTP forward proxy on loopback that records the paths it carried."""
    carried: list[str] = []
    session = requests.Session()
    session.trust_env = False

    class Proxy(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            carried.append(requests.utils.urlparse(self.path).path)
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in ("host", "proxy-connection")
            }
            answer = session.request(
                self.command, self.path, data=body, headers=headers, timeout=30
            )
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = _forward

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", carried
    server.shutdown()
    server.server_close()


def test_the_proxy_input_carries_the_wechat_calls_and_nothing_else(
    origin: Path,
    tmp_path: Path,
    emulator: EmulatorServer,
    forward_proxy: tuple[str, list[str]],
) -> None:
    url, carried = forward_proxy
    inputs = inputs_for(emulator, proxy=url, mode="draft")
    run = play_action(checkout(origin, tmp_path / "ci"), tmp_path, inputs)
    assert run.returncode == 0, run.stdout
    assert "/cgi-bin/draft/add" in carried and "/cgi-bin/stable_token" in carried
    assert all(path.startswith("/cgi-bin/") for path in carried), "git never went through it"


def test_an_empty_proxy_input_leaves_the_runners_own_proxy_in_charge(
    origin: Path,
    tmp_path: Path,
    emulator: EmulatorServer,
    forward_proxy: tuple[str, list[str]],
) -> None:
    url, carried = forward_proxy
    runner_proxy = {"HTTP_PROXY": url, "http_proxy": url, "NO_PROXY": "", "no_proxy": ""}
    inputs = inputs_for(emulator, mode="draft", **{"commit-state": "false"})
    run = play_action(checkout(origin, tmp_path / "ci"), tmp_path, inputs, runner_proxy)
    assert run.returncode == 0, run.stdout
    assert "/cgi-bin/draft/add" in carried


def test_finished_reads_plain_outputs(tmp_path: Path) -> None:
    (tmp_path / "github_output").write_text(
        "state-committed=true\ncommit-sha=abc\n", encoding="utf-8"
    )
    (tmp_path / "step_summary").write_text("", encoding="utf-8")
    assert finished(0, "", tmp_path).outputs == {"state-committed": "true", "commit-sha": "abc"}


def test_a_403_is_a_permission_problem_with_its_own_advice_and_no_retry() -> None:
    refused = refusal(
        "remote: Permission to owner/blog.git denied to github-actions[bot].\n"
        "fatal: unable to access 'https://github.com/owner/blog.git/': "
        "The requested URL returned error: 403\n"
    )
    assert not refused.race and refused.advice == ADVICE_DENIED
    assert refused.reason == (
        "Permission to owner/blog.git denied to github-actions[bot]. / fatal: unable to access "
        "the remote: The requested URL returned error: 403"
    )


def test_a_moved_branch_is_a_race() -> None:
    refused = refusal(" ! [rejected]        main -> main (fetch first)\nerror: failed to push\n")
    assert refused.race
