"""The files that run wxsync elsewhere: publish.yml, the release workflow, the action's install
steps, the GitLab CI example and the pre-commit hook — each played or parsed as its host would."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

from tests.gitrepo import git, write
from tests.test_action import ACTION, checkout, inputs_for, origin, origin_log
from wxsync.ci.commit import BOT_NAME
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer

__all__ = ["origin"]

PROJECT = Path(__file__).resolve().parents[1]


def load(path: str) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((PROJECT / path).read_text(encoding="utf-8"))


def test_publish_workflow_is_one_sync_per_repository_on_the_default_branch_off_the_hour() -> None:
    workflow = load(".github/workflows/publish.yml")
    assert workflow["concurrency"]["group"] == "wxsync-${{ github.repository }}"
    job = workflow["jobs"]["publish"]
    assert job["if"] == (
        "github.event_name == 'schedule' || "
        "github.ref_name == github.event.repository.default_branch"
    )
    assert 0 < job["timeout-minutes"] <= 60
    minute = workflow[True]["schedule"][0]["cron"].split()[0]
    assert minute.isdigit() and int(minute) not in (0, 30), "off the busy top of the hour"


def test_the_cache_key_is_computed_with_python_and_names_the_architecture(tmp_path: Path) -> None:
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "pip-cache")
    assert "sha256sum" not in step["run"]
    assert step["env"]["WXSYNC_RUNNER_ARCH"] == "${{ runner.arch }}"
    action_path = tmp_path / "action"
    action_path.mkdir()
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(PROJECT / name, action_path / name)
    output = tmp_path / "out"
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "WXSYNC_RUNNER_ARCH": "ARM64",
        "RUNNER_OS": "macOS",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_ACTION_PATH": str(action_path),
        "GITHUB_OUTPUT": str(output),
    }
    subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], env=env, check=True)
    lines = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert re.fullmatch(rf"wxsync-pip-macOS-ARM64-py{python}-[0-9a-f]{{16}}", lines["key"])
    assert lines["dir"] == str(tmp_path / "wxsync-pip-cache")


def test_wxsync_is_installed_into_its_own_venv_with_pinned_dependencies() -> None:
    install = next(s for s in ACTION["runs"]["steps"] if s.get("name") == "Install wxsync")
    assert '-m venv "$RUNNER_TEMP/wxsync-venv"' in install["run"]
    assert '--constraint "$GITHUB_ACTION_PATH/constraints.txt"' in install["run"]
    pins = {}
    for line in (PROJECT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_normal(name)] = version
    # Every runtime dependency, and every dependency of theirs, is pinned to a version that
    # satisfies what pyproject.toml asks for.
    pending = [Requirement(r) for r in importlib.metadata.requires("wxsync") or []]
    seen = set()
    while pending:
        requirement = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = _normal(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), name
        pending += [Requirement(r) for r in importlib.metadata.requires(name) or []]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_release_takes_its_version_from_the_tag(tmp_path: Path) -> None:
    workflow = load(".github/workflows/release.yml")
    assert workflow[True]["push"]["tags"]
    steps = workflow["jobs"]["build"]["steps"]
    script = next(s for s in steps if s.get("name") == "Version from the tag")["run"]
    shutil.copytree(PROJECT / "wxsync", tmp_path / "wxsync", ignore=lambda *_: ["__pycache__"])
    env = {**os.environ, "TAG": "v2.3.4"}
    subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=tmp_path, env=env, check=True)
    init = (tmp_path / "wxsync/__init__.py").read_text(encoding="utf-8")
    assert '__version__ = "2.3.4"' in init
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"] == "wxsync.__version__"
    built = "\n".join(s.get("run", "") for s in steps)
    assert "python -m build" in built
    tagging = "\n".join(s.get("run", "") for s in workflow["jobs"]["github"]["steps"])
    assert 'major="${TAG%%.*}"' in tagging and 'git push -f origin "refs/tags/$major"' in tagging
    assert workflow["jobs"]["pypi"]["permissions"] == {"id-token": "write"}


def test_the_pre_commit_hook_runs_wxsync_check_on_posts(tmp_path: Path) -> None:
    (hook,) = load(".pre-commit-hooks.yaml")
    assert hook["id"] == "wxsync-check" and hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("content/a.md") and files.search("wxsync.yml")
    assert not files.search("README.txt") and not files.search("notwxsync.yml.bak")
    write(tmp_path / "content/bad.md", "---\ntitle: " + "长" * 70 + "\n---\n正文\n")
    command = hook["entry"].split()
    assert command[0] == "wxsync"
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1 and "content/bad.md:2:" in result.stdout + result.stderr


def test_the_gitlab_example_commits_the_state_with_the_project_token(
    origin: Path, tmp_path: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    """GitLab is played as its runner does it: a detached checkout (fetching from the project,
    as CI_REPOSITORY_URL does), the job's variables, the script lines run by one shell. The push
    URL is the project-token URL GitLab would expand; here it is the bare origin."""
    job = load("examples/gitlab-ci.yml")["wechat"]
    assert job["resource_group"] and job["timeout"]
    url = job["variables"]["WXSYNC_PUSH_URL"]
    assert url == "https://wxsync:${WXSYNC_PUSH_TOKEN}@${CI_SERVER_HOST}/${CI_PROJECT_PATH}.git"
    control.configure(publish_polls=0)
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin/wxsync").symlink_to(Path(sys.executable).parent / "wxsync")

    def pipeline(where: Path) -> subprocess.CompletedProcess[str]:
        ci = checkout(origin, where)
        git(ci, "checkout", "-q", "--detach")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "WXSYNC_"))},
            "GITLAB_CI": "true",
            "CI": "true",
            "CI_COMMIT_BRANCH": "main",
            "CI_DEFAULT_BRANCH": "main",
            "WXSYNC_VENV": str(venv),
            "WXSYNC_PUSH_URL": str(origin),
            "WECHAT_APPID": DEFAULT_APPID,
            "WECHAT_APPSECRET": DEFAULT_SECRET,
            "WXSYNC_API_BASE": inputs_for(emulator)["api-base"],
        }
        script = "\n".join(job["script"])
        return subprocess.run(
            ["bash", "-eo", "pipefail", "-c", script],
            cwd=ci,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    result = pipeline(tmp_path / "ci")
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "::" not in output, "no GitHub workflow commands on GitLab"
    assert origin_log(origin)[0].startswith(f"{BOT_NAME}|"), output
    state = json.loads(git(origin, "show", "main:.wxsync/state.json"))
    assert {p["status"] for p in state["posts"].values()} == {"published"}
