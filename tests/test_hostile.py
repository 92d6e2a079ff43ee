"""Hostile or unlucky repositories, odd files and broken answers (issue 13).

Each test reproduces one way a user lost data, got a duplicate, leaked a secret or saw a
traceback, against real git, real files and the emulator over real HTTP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gitrepo import commit_all, config, git, init_repo, post, write
from wxsync.cli import main
from wxsync.config import load_settings
from wxsync.engine.lock import LockedError, lock_path, run_lock
from wxsync.engine.state import load
from wxsync.engine.sync import Engine
from wxsync.report import SyncReport
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.client import WeChatClient
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer

ENV = {"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET}


@pytest.fixture
def blog(tmp_path: Path, emulator: EmulatorServer) -> Iterator[Path]:
    root = init_repo(tmp_path / "blog")
    write(root / "wxsync.yml", config(emulator.base_url, mode="draft"))
    write(root / "content/2023/old.md", post("旧文"))
    write(root / "content/2024/new.md", post("新文"))
    write(root / "content/2024/other.md", post("另一篇"))
    commit_all(root)
    yield root


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("WXSYNC_API_BASE", raising=False)


def sync(root: Path, **run: object) -> SyncReport:
    settings = load_settings(root, {}, environ=ENV)
    return Engine(settings, poll_delay=0.05).run(**run)  # type: ignore[arg-type]


def statuses(report: SyncReport) -> dict[str, str]:
    return {o.path: o.status for o in report.outcomes}


def titles(control: EmulatorControl) -> list[str]:
    return sorted(t for d in control.state()["drafts"] for t in d["titles"])


# -- 1. a path argument narrows a run, never widens deletion ---------------------------------


def test_sync_of_one_folder_with_delete_removed_deletes_nothing_outside_it(
    blog: Path, control: EmulatorControl, cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(blog / "wxsync.yml", config(control.base_url, mode="draft", delete_removed="true"))
    sync(blog)
    assert len(titles(control)) == 3
    monkeypatch.chdir(blog)
    (blog / "content/2024/new.md").write_text(post("新文", "改过了。\n"), encoding="utf-8")
    assert main(["sync", "content/2024"]) == 0
    assert main(["sync", "content/2024/other.md"]) == 0
    assert titles(control) == ["另一篇", "新文", "旧文"], "nothing outside the path is removed"
    assert control.state()["calls"].get("/cgi-bin/draft/delete", 0) == 0
    assert set(load(blog / ".wxsync/state.json").posts) == {
        "content/2023/old.md",
        "content/2024/new.md",
        "content/2024/other.md",
    }


def test_sync_of_one_file_touches_only_that_file(
    blog: Path,
    control: EmulatorControl,
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(blog)
    assert main(["sync", "content/2024/new.md"]) == 0
    assert titles(control) == ["新文"]


def test_sync_of_a_folder_that_does_not_exist_is_a_usage_error(
    blog: Path, cli_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(blog)
    assert main(["sync", "nonexistent-dir", "--dry-run"]) == 2
    assert "nonexistent-dir: no such file or folder" in capsys.readouterr().err


# -- 2. duplicates -----------------------------------------------------------------------------


def test_git_mv_of_a_published_post_keeps_its_record_and_publishes_nothing(
    blog: Path, control: EmulatorControl
) -> None:
    write(blog / "wxsync.yml", config(control.base_url, mode="publish"))
    sync(blog)
    published = len(control.state()["published"])
    git(blog, "mv", "content/2023/old.md", "content/2024/old-renamed.md")
    commit_all(blog, "move")
    report = sync(blog)
    outcome = {o.path: o for o in report.outcomes}["content/2024/old-renamed.md"]
    assert outcome.status == "unchanged"
    assert "renamed from content/2023/old.md" in outcome.message
    assert len(control.state()["published"]) == published, "not published a second time"
    state = load(blog / ".wxsync/state.json")
    assert "content/2023/old.md" not in state.posts
    assert state.posts["content/2024/old-renamed.md"].article_id


def test_a_renamed_and_edited_draft_is_updated_not_created_again(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog)
    (blog / "content/2023/old.md").rename(blog / "content/2023/older.md")
    write(blog / "content/2023/older.md", post("旧文", "改了一点。\n"))
    sync(blog)
    calls = control.state()["calls"]
    assert calls["/cgi-bin/draft/add"] == 3 and calls["/cgi-bin/draft/update"] == 1
    assert titles(control) == ["另一篇", "新文", "旧文"]


def test_a_second_sync_while_one_runs_is_refused_with_a_clear_message(
    blog: Path, control: EmulatorControl
) -> None:
    settings = load_settings(blog, {}, environ=ENV)
    with (
        run_lock(settings.state_path),
        pytest.raises(LockedError, match="another `wxsync sync` is running on this repository"),
    ):
        sync(blog)
    assert control.state()["calls"] == {} or not control.state()["drafts"]
    assert len(sync(blog).outcomes) == 3, "the lock is released after the first run"


def test_a_lock_file_left_by_a_killed_run_does_not_block_the_next(
    blog: Path, control: EmulatorControl
) -> None:
    code = (
        "import os, sys; from pathlib import Path; from wxsync.engine.lock import run_lock\n"
        "with run_lock(Path(sys.argv[1])): os.kill(os.getpid(), 9)\n"
    )
    state = blog / ".wxsync/state.json"
    killed = subprocess.run([sys.executable, "-c", code, str(state)], check=False)
    assert killed.returncode == -9 and lock_path(state).is_file()
    assert set(statuses(sync(blog)).values()) == {"drafted"}


def test_two_sync_processes_at_once_draft_each_post_once(
    blog: Path, control: EmulatorControl
) -> None:
    control.faults({"path": "/cgi-bin/draft/add", "delay_ms": 300})
    env = {**os.environ, **ENV}
    env.pop("GITHUB_ACTIONS", None)
    command = [sys.executable, "-m", "wxsync.cli", "sync"]
    first = subprocess.Popen(command, cwd=blog, env=env, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, cwd=blog, env=env, stderr=subprocess.PIPE, text=True)
    outputs = [p.communicate(timeout=60)[1] for p in (first, second)]
    assert sorted([first.returncode, second.returncode]) == [0, 1], outputs
    assert any("another `wxsync sync` is running" in o for o in outputs)
    assert titles(control) == ["另一篇", "新文", "旧文"]


# -- 3. leaks ------------------------------------------------------------------------------------


def test_previews_and_caches_are_git_ignored_by_wxsync_itself(blog: Path) -> None:
    sync(blog, dry_run=True)
    assert (blog / ".wxsync/preview").is_dir()
    write(blog / ".wxsync/cache/ids.json", "{}")
    untracked = git(blog, "status", "--porcelain", "--untracked-files=all")
    assert ".wxsync/preview" not in untracked and ".wxsync/cache" not in untracked
    assert ".wxsync/.gitignore" in untracked


def test_a_symlinked_post_is_a_check_error_and_never_read(
    blog: Path, cli_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    git(blog, "config", "http.extraheader", "AUTHORIZATION: basic c2VjcmV0LXRva2Vu")
    (blog / "content/cfg.md").symlink_to("../.git/config")
    (blog / "content/env.md").symlink_to("/proc/self/environ")
    monkeypatch.setenv("WECHAT_APPSECRET", "leaky-secret-value")
    monkeypatch.chdir(blog)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "content/cfg.md:1: content/cfg.md is a symlink: posts must be regular files" in out
    assert "content/env.md:1: content/env.md is a symlink" in out
    assert main(["sync", "--dry-run"]) == 1
    previews = blog / ".wxsync/preview"
    leaked = [p for p in previews.rglob("*") if p.is_file() and b"c2VjcmV0" in p.read_bytes()]
    assert (
        not leaked and not (previews / "cfg.html").exists() and not (previews / "env.html").exists()
    )
    assert "leaky-secret-value" not in capsys.readouterr().out


def test_a_symlinked_post_outside_git_is_not_read_either(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    write(root / "content/ok.md", post("好的"))
    write(tmp_path / "secret.txt", "TOKEN=abc123\n")
    (root / "content/link.md").symlink_to(tmp_path / "secret.txt")
    report = sync(root, dry_run=True)
    assert statuses(report) == {"content/link.md": "invalid", "content/ok.md": "planned"}
    assert "is a symlink" in {o.path: o for o in report.outcomes}["content/link.md"].message


def test_doctor_never_prints_a_password_in_the_api_base(
    blog: Path, cli_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(blog)
    main(["doctor", "--api-base", "http://user:hunter2-password@127.0.0.1:9"])
    captured = capsys.readouterr()
    assert "hunter2-password" not in captured.out + captured.err
    assert "user:***@127.0.0.1" in captured.out + captured.err


def test_credentials_in_any_url_are_masked() -> None:
    from wxsync.redact import redact

    assert (
        redact("GET https://bot:s3cret@example.com/x failed")
        == "GET https://bot:***@example.com/x failed"
    )
    assert redact("proxy http://user:pa%40ss@proxy:3128") == "proxy http://user:***@proxy:3128"
    assert redact("https://ghp_abcdefgh@github.com/o/r") == "https://***@github.com/o/r"


# -- 4. tracebacks and crashes -----------------------------------------------------------------

ALIAS_BOMB = "l0: &l0 [lol]\n" + "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)
)


def check_lines(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.chdir(root)
    code = main(["check"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("title: 日期\ndate: 2024-02-30\n", "content/bad.md:3: `date` '2024-02-30' is not a date"),
        (ALIAS_BOMB + "title: *l9\n", "content/bad.md:8: YAML front matter: more than 50 aliases"),
        ("+++", ""),
    ],
    ids=["impossible-date", "yaml-alias-bomb", "toml-3000-deep"],
)
def test_hostile_front_matter_is_that_posts_error_and_the_others_go_on(
    blog: Path,
    header: str,
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if header == "+++":
        text = "+++\ntitle = 'x'\nv = " + "[" * 3000 + "]" * 3000 + "\n+++\nbody\n"
        expected = "content/bad.md:3: TOML front matter: nested too deeply"
    else:
        text = "---\n" + header + "---\nbody\n"
    write(blog / "content/bad.md", text)
    code, out = check_lines(blog, monkeypatch, capsys)
    assert code == 1 and expected in out, out
    report = sync(blog, dry_run=True)
    assert statuses(report)["content/bad.md"] == "invalid"
    assert statuses(report)["content/2024/new.md"] == "planned"


def test_an_impossible_date_in_wxsync_yml_is_one_clear_line(
    blog: Path, cli_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(blog / "wxsync.yml", "mode: draft\ndate: 2024-02-30\n")
    monkeypatch.chdir(blog)
    assert main(["check"]) == 2
    assert "unknown setting `date`" in capsys.readouterr().err
    write(blog / "wxsync.yml", "mode: draft\n" + ALIAS_BOMB)
    assert main(["check"]) == 2
    assert "wxsync.yml:8: more than 50 aliases" in capsys.readouterr().err


def test_html_nested_20000_deep_is_that_posts_error_not_a_segfault(
    blog: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(blog / "content/deep.md", post("深", "<b>" * 20000 + "x" + "</b>" * 20000 + "\n"))
    code, out = check_lines(blog, monkeypatch, capsys)
    assert code == 1
    assert "content/deep.md:4: HTML nested more than 200 levels deep" in out
    result = subprocess.run(
        [sys.executable, "-m", "wxsync.cli", "render", "content/deep.md"],
        check=False,
        cwd=blog,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "HTML nested more than 200 levels deep" in result.stderr


def test_control_characters_are_stripped_with_a_warning(
    blog: Path,
    control: EmulatorControl,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(blog / "content/ctl.md", post("标题\x01", "第一行\n\n坏\x01字符\x7f。\n"))
    code, out = check_lines(blog, monkeypatch, capsys)
    assert code == 0
    assert "content/ctl.md:2: warning: control characters removed" in out
    sync(blog)
    draft = next(d for d in control.state()["drafts"] if d["titles"] == ["标题"])
    content = draft["articles"][0]["content"]
    assert "坏字符。" in content and "\\u0001" not in content and "\x01" not in content


def test_a_symlink_loop_image_is_that_posts_error(
    blog: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (blog / "content/loop.png").symlink_to("loop.png")
    write(blog / "content/img.md", post("图", "![x](loop.png)\n"))
    code, out = check_lines(blog, monkeypatch, capsys)
    assert code == 1 and "content/img.md:5: image loop.png: cannot be resolved" in out


def test_render_out_to_an_unwritable_place_names_the_flag(
    blog: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(blog)
    assert main(["render", "content/2024/new.md", "--out", "/proc/x"]) == 2
    assert "wxsync: error: --out /proc/x: cannot create the folder" in capsys.readouterr().err


def test_odd_file_names_anywhere_in_the_repository_do_not_stop_a_run(
    blog: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (blog / os.fsdecode(b"content/latin1-\xe9t\xe9.md")).write_bytes(post("坏名").encode())
    (blog / os.fsdecode(b"assets-\xff.png")).write_bytes(b"x")
    commit_all(blog, "odd names")
    write(blog / "content/line\nbreak.md", post("换行"))  # untracked
    write(blog / "notes\nuntracked.txt", "x")
    code, out = check_lines(blog, monkeypatch, capsys)
    assert code == 1
    assert "content/latin1-\ufffdt\ufffd.md:1: the file name is not UTF-8" in out
    assert "content/line\\nbreak.md:1: the file name is not UTF-8 or holds a line break" in out
    report = sync(blog, dry_run=True)
    assert statuses(report)["content/2024/new.md"] == "planned"
    assert statuses(report)["content/latin1-\ufffdt\ufffd.md"] == "invalid" and report.failed


def test_an_unwritable_state_folder_stops_before_any_wechat_call(
    blog: Path,
    control: EmulatorControl,
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Tests run as root, where chmod does not stop writes: a folder under a regular file does.
    write(blog / "blocker", "a file, not a folder\n")
    monkeypatch.chdir(blog)
    assert main(["sync", "--state", "blocker/state.json"]) == 2
    err = capsys.readouterr().err
    assert "blocker/state.json: cannot write the state file there (" in err
    assert "--state" in err and "Traceback" not in err
    assert control.state()["calls"] == {}


def test_a_state_file_that_cannot_be_saved_mid_run_stops_the_run_with_one_line(
    blog: Path, control: EmulatorControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wxsync.engine.state as state_module

    real = state_module._save

    def disk_full_once_a_draft_exists(state: state_module.State, path: Path) -> None:
        if any(r.draft_media_id for r in state.posts.values()):
            raise OSError(28, "No space left on device")
        real(state, path)

    monkeypatch.setattr(state_module, "_save", disk_full_once_a_draft_exists)
    with pytest.raises(state_module.StateError, match="could not save the state file"):
        sync(blog)
    assert len(control.state()["drafts"]) == 1, "no WeChat work after the save failed"
    assert len(load(blog / ".wxsync/state.json").intents()) == 1, "the intent is on disk"
    monkeypatch.setattr(state_module, "_save", real)
    sync(blog)
    assert titles(control) == ["另一篇", "新文", "旧文"], "adopted, not drafted twice"


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"title": 5}, "posts → content/2024/new.md: `title` should be text, not a number"),
        ({"deps": "x"}, "posts → content/2024/new.md: `deps` should be an object of text values"),
        ({"intent": {"op": "draft_add"}}, "`intent.hash` is missing"),
        ({"intent": "x"}, "`intent` should be an object or null, not text 'x'"),
        ([], "posts → content/2024/new.md: should be an object, not a list"),
    ],
    ids=["title-number", "deps-text", "intent-incomplete", "intent-text", "record-list"],
)
def test_every_state_file_oddity_is_one_clear_line(
    blog: Path,
    record: object,
    expected: str,
    *,
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state = {"version": 1, "posts": {"content/2024/new.md": record}}
    write(blog / ".wxsync/state.json", json.dumps(state))
    monkeypatch.chdir(blog)
    assert main(["sync", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err, err
    assert "restore the file from git" in err


def fast_sync(root: Path, read_timeout: float = 60.0, **run: object) -> SyncReport:
    """A sync whose client retries quickly (the default waits seconds between attempts)."""
    from tests.conftest import FAST_RETRY
    from wxsync.engine.sync import make_client

    settings = load_settings(root, {}, environ=ENV)

    def factory() -> WeChatClient:
        client = make_client(settings)
        client.retry, client.timeout = FAST_RETRY, (5.0, read_timeout)
        return client

    return Engine(settings, client_factory=factory, poll_delay=0.05).run(**run)  # type: ignore[arg-type]


def test_a_malformed_draft_add_answer_is_settled_not_a_key_error(
    blog: Path, control: EmulatorControl
) -> None:
    control.faults({"path": "/cgi-bin/draft/add", "errcode": 0, "after_success": True, "times": 1})
    report = fast_sync(blog)
    assert set(statuses(report).values()) == {"drafted"}
    assert titles(control) == ["另一篇", "新文", "旧文"], "the draft behind the odd answer adopted"


def test_a_malformed_answer_to_a_read_is_a_clear_error(
    client: WeChatClient, control: EmulatorControl
) -> None:
    from wxsync.wechat.errors import TransportError

    control.faults(
        {"path": "/cgi-bin/draft/count", "body": '{"errcode": 0, "total_count": "many"}'}
    )
    with pytest.raises(TransportError, match="the answer was malformed"):
        client.count_drafts()


# -- 5. hangs and wrong exits ------------------------------------------------------------------


def test_a_token_endpoint_that_never_answers_stops_the_run_at_once(
    blog: Path, control: EmulatorControl
) -> None:
    for name in ("a", "b", "c"):
        write(blog / f"content/more-{name}.md", post(f"更多{name}"))
    control.faults({"path": "/cgi-bin/stable_token", "drop": True})
    report = fast_sync(blog)
    assert report.failed and "no access token" in report.halted
    assert control.state()["calls"]["/cgi-bin/stable_token"] <= 4, (
        "one token attempt, not one per post"
    )
    assert all(o.status == "failed" for o in report.outcomes)


def test_a_draft_add_that_lands_after_the_timeout_is_adopted_not_made_twice(
    blog: Path, control: EmulatorControl
) -> None:
    # WeChat works on the request for longer than the client waits: the immediate check finds
    # nothing, and the draft appears afterwards.
    control.faults({"path": "/cgi-bin/draft/add", "delay_ms": 1500, "times": 1})
    first = fast_sync(blog, read_timeout=0.5)
    late = [o for o in first.outcomes if o.status == "failed"]
    assert len(late) == 1 and "may have succeeded" in late[0].message
    assert load(blog / ".wxsync/state.json").posts[late[0].path].intent is not None
    import time

    time.sleep(1.5)  # the late draft lands
    second = fast_sync(blog)
    assert statuses(second)[late[0].path] == "unchanged", "adopted: drafted already"
    assert load(blog / ".wxsync/state.json").posts[late[0].path].draft_media_id
    assert titles(control) == ["另一篇", "新文", "旧文"], "no second draft"
    assert control.state()["calls"]["/cgi-bin/draft/add"] == 3


def test_a_pending_intent_with_the_api_unreachable_exits_1(
    blog: Path,
    control: EmulatorControl,
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.conftest import free_port

    control.faults({"path": "/cgi-bin/draft/add", "drop": True, "times": 1})
    fast_sync(blog)
    assert load(blog / ".wxsync/state.json").intents()
    monkeypatch.chdir(blog)
    assert main(["sync", "--api-base", f"http://127.0.0.1:{free_port()}"]) == 1
    assert "no access token" in capsys.readouterr().out


def edit(root: Path, name: str, title: str) -> None:
    write(root / name, post(title, f"{title}，改过的正文。\n"))


def test_a_cover_deleted_on_wechat_is_uploaded_again_and_the_draft_updated(
    blog: Path, control: EmulatorControl, client: WeChatClient
) -> None:
    sync(blog)
    state = load(blog / ".wxsync/state.json")
    draft = state.posts["content/2024/new.md"].draft_media_id
    cover = client.get_draft(draft)[0]["thumb_media_id"]
    client.delete_material(cover)
    edit(blog, "content/2024/new.md", "新文")
    report = sync(blog)
    assert statuses(report)["content/2024/new.md"] == "drafted"
    assert client.get_draft(draft)[0]["thumb_media_id"] != cover, "same draft, new cover"
    assert len(control.state()["drafts"]) == 3


def test_a_reset_account_heals_instead_of_failing_forever(
    blog: Path, control: EmulatorControl
) -> None:
    sync(blog)
    control.reset()  # every material and draft gone
    edit(blog, "content/2024/new.md", "新文")
    report = sync(blog)
    assert statuses(report)["content/2024/new.md"] == "drafted", report.outcomes
    assert not report.failed
    assert titles(control) == ["新文"]


def test_a_publish_job_lost_in_an_account_reset_fails_once_then_publishes_again(
    blog: Path, control: EmulatorControl
) -> None:
    write(blog / "wxsync.yml", config(control.base_url, mode="publish", publish_timeout=0))
    control.configure(publish_polls=1000)
    first = sync(blog)
    assert set(statuses(first).values()) == {"publishing"}
    control.reset()
    second = sync(blog)
    assert set(statuses(second).values()) == {"failed"} and second.failed
    assert all("no longer knows this publish job" in o.message for o in second.outcomes)
    write(blog / "wxsync.yml", config(control.base_url, mode="publish"))
    third = sync(blog)
    assert set(statuses(third).values()) == {"published"}, third.outcomes
    assert len(control.state()["published"]) == 3


# -- 7. server-side requests -------------------------------------------------------------------


@pytest.fixture
def image_server() -> Iterator[tuple[str, list[str]]]:
    import http.server
    import threading

    from tests.conftest import image_bytes

    hits: list[str] = []
    body = image_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header(
                    "Location", f"http://127.0.0.1:{self.server.server_address[1]}/a.png"
                )
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x.png",
        "http://0.0.0.0:{port}/a.png",
        "http://localhost:{port}/a.png",
    ],
    ids=["loopback", "metadata", "private", "unspecified", "localhost"],
)
def test_remote_images_on_private_addresses_are_refused_by_default(
    blog: Path, control: EmulatorControl, image_server: tuple[str, list[str]], url: str
) -> None:
    base, hits = image_server
    url = url.format(port=base.rsplit(":", 1)[1])
    write(blog / "content/ssrf.md", post("内网图", f"![x]({url})\n"))
    report = fast_sync(blog)
    outcome = {o.path: o for o in report.outcomes}["content/ssrf.md"]
    assert outcome.status == "failed"
    assert "loopback, private or link-local address" in outcome.message
    assert "allow_private_hosts" in outcome.message
    assert hits == [], "nothing was fetched"
    assert statuses(report)["content/2024/new.md"] == "drafted"


def test_the_metadata_endpoint_is_refused_before_any_connection_and_allowed_redirects_work(
    image_server: tuple[str, list[str]],
) -> None:
    import requests

    from wxsync.images import ImageError, fetch_remote

    base, hits = image_server
    session = requests.Session()
    session.trust_env = False
    with pytest.raises(ImageError, match="link-local"):
        fetch_remote("http://169.254.169.254/", session)
    assert fetch_remote(f"{base}/redirect", session, allow_private=True)
    assert hits == ["/redirect", "/a.png"]


def test_allow_private_hosts_lets_your_own_server_through(
    blog: Path, control: EmulatorControl, image_server: tuple[str, list[str]]
) -> None:
    base, hits = image_server
    write(
        blog / "wxsync.yml",
        config(control.base_url, mode="draft", images="{allow_private_hosts: true}"),
    )
    write(blog / "content/own.md", post("自家图", f"![x]({base}/a.png)\n"))
    assert statuses(fast_sync(blog))["content/own.md"] == "drafted"
    assert hits and set(hits) == {"/a.png"}


# -- 6. unclear messages -------------------------------------------------------------------------


def test_an_api_base_without_a_scheme_is_blamed_on_the_flag_before_any_work(
    blog: Path, cli_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(blog)
    assert main(["sync", "--api-base", "127.0.0.1:8810"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "wxsync: error: --api-base 127.0.0.1:8810: not an http(s) URL; write the scheme too, "
        "e.g. http://127.0.0.1:8810\n"
    )
    assert not (blog / ".wxsync/state.json").exists()
    monkeypatch.setenv("WXSYNC_API_BASE", "ftp://example.com")
    assert main(["doctor"]) == 2
    assert (
        "`api_base` ftp://example.com (or WXSYNC_API_BASE): not an http(s) URL"
        in capsys.readouterr().err
    )


def test_jobs_zero_is_blamed_on_the_flag(
    blog: Path, cli_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(blog)
    with pytest.raises(SystemExit) as exit_info:
        main(["sync", "--jobs", "0"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --jobs: must be at least 1, not 0" in err and "wxsync.yml" not in err


def test_ci_with_a_state_file_outside_the_repository_names_the_flag(
    blog: Path,
    control: EmulatorControl,
    *,
    tmp_path: Path,
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(blog)
    outside = tmp_path / "x.json"
    assert main(["sync", "--ci", "--state", str(outside)]) == 2
    assert (
        f"--state {outside}: outside the repository, so --ci cannot commit it back"
        in capsys.readouterr().err
    )
    assert control.state()["calls"] == {}


def test_an_interrupted_call_that_cannot_be_checked_is_not_a_success(
    blog: Path, control: EmulatorControl
) -> None:
    control.faults({"path": "/cgi-bin/draft/add", "drop": True, "times": 1})
    fast_sync(blog)
    control.faults({"path": "/cgi-bin/draft/batchget", "http_status": 502})
    report = fast_sync(blog)
    [open_call] = [o for o in report.outcomes if o.status == "failed"]
    assert "could not check an interrupted call" in open_call.message and report.failed


def test_a_message_draft_add_that_lands_after_the_timeout_is_adopted_not_made_twice(
    blog: Path, control: EmulatorControl
) -> None:
    write(blog / "content/a.md", post("甲", wechat={"message": "weekly"}))
    write(blog / "content/b.md", post("乙", wechat={"message": "weekly"}))
    commit_all(blog)
    control.faults({"path": "/cgi-bin/draft/add", "delay_ms": 1500, "times": 1})
    fast_sync(blog, read_timeout=0.5, only=[str(blog / "content/a.md"), str(blog / "content/b.md")])
    assert load(blog / ".wxsync/state.json").messages["weekly"].intent is not None
    import time

    time.sleep(1.5)  # the late draft lands
    fast_sync(blog, only=[str(blog / "content/a.md"), str(blog / "content/b.md")])
    assert load(blog / ".wxsync/state.json").messages["weekly"].media_id
    assert [d["titles"] for d in control.state()["drafts"]].count(["甲", "乙"]) == 1
    assert control.state()["calls"]["/cgi-bin/draft/add"] == 1
