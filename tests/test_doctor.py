"""`wxsync doctor` against the emulator: each failure mode with its fix, and a clean bill of health."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitrepo import commit_all, init_repo, post, write
from wxsync.engine.state import Intent, PostRecord, State, save
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.client import WeChatClient
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "blog")
    write(root / "wxsync.yml", "mode: publish\n")
    write(root / "content/a.md", post("一"))
    commit_all(root)
    return root


def doctor(root: Path, api_base: str, **env: str) -> tuple[int, dict[str, dict[str, object]], str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WECHAT_", "WXSYNC_", "HTTPS_PROXY", "https_proxy"))
    }
    environ.update({"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET, **env})
    environ = {k: v for k, v in environ.items() if v}
    command = [sys.executable, "-m", "wxsync", "doctor", "--api-base", api_base]
    text = subprocess.run(
        command, cwd=root, env=environ, capture_output=True, text=True, check=False, timeout=60
    )
    data = subprocess.run(
        [*command, "--json"],
        cwd=root,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    checks = {c["name"]: c for c in json.loads(data.stdout)["checks"]}
    assert text.returncode == data.returncode
    return text.returncode, checks, text.stdout


def test_healthy_setup_passes_every_check(blog: Path, emulator: EmulatorServer) -> None:
    code, checks, text = doctor(blog, emulator.base_url)
    assert code == 0, text
    assert all(c["ok"] for c in checks.values())
    assert text.count("✓") == len(checks) and text.rstrip().endswith("all checks passed")
    assert DEFAULT_SECRET not in text
    assert text.count("site: plain Markdown · posts in content/") == 1


def test_doctor_changes_nothing_on_the_account(
    blog: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    client = WeChatClient(DEFAULT_APPID, DEFAULT_SECRET, base_url=emulator.base_url)
    token = client.access_token()
    before = control.state()
    doctor(blog, emulator.base_url)
    after = control.state()
    for key in ("materials", "uploads", "drafts", "published", "jobs"):
        assert after[key] == before[key], key
    assert set(after["calls"]) <= {
        "/cgi-bin/stable_token",
        "/cgi-bin/draft/count",
        "/cgi-bin/freepublish/batchget",
        "/cgi-bin/material/get_materialcount",
    }
    assert client.access_token() == token and client.count_drafts() == 0, "no forced refresh"


def test_missing_credentials_name_the_variable(blog: Path, emulator: EmulatorServer) -> None:
    code, checks, _ = doctor(blog, emulator.base_url, WECHAT_APPSECRET="")
    assert code == 1
    assert checks["credentials"]["detail"] == "WECHAT_APPSECRET not set"
    assert "repository secrets" in str(checks["credentials"]["fix"])
    assert checks["access token"]["skipped"]


def test_wrong_secret_and_wrong_appid_are_told_apart(blog: Path, emulator: EmulatorServer) -> None:
    _, secret, _ = doctor(blog, emulator.base_url, WECHAT_APPSECRET="not-the-secret")
    assert "AppSecret is wrong" in str(secret["access token"]["detail"])
    assert "WECHAT_APPSECRET" in str(secret["access token"]["fix"])
    _, appid, _ = doctor(blog, emulator.base_url, WECHAT_APPID="wx_someone_else")
    assert "AppID is wrong" in str(appid["access token"]["detail"])
    assert "WECHAT_APPID" in str(appid["access token"]["fix"])


def test_ip_not_whitelisted_shows_the_ip_and_where_to_add_it(
    blog: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    control.configure(ip_allowlist=["203.0.113.9"])
    code, checks, text = doctor(blog, emulator.base_url)
    assert code == 1
    whitelist = checks["IP whitelist"]
    assert not whitelist["ok"] and "127.0.0.1" in str(whitelist["detail"])
    assert "IP白名单" in str(whitelist["fix"]) and "proxy" in str(whitelist["fix"])
    assert "✗ IP whitelist: WeChat sees this machine as 127.0.0.1" in text


def test_account_without_publish_permission_is_drafts_only(
    blog: Path, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    control.configure(can_publish=False)
    code, checks, _ = doctor(blog, emulator.base_url)
    assert code == 1
    assert checks["draft permission"]["ok"]
    publish = checks["publish permission"]
    assert not publish["ok"] and "48001" in str(publish["detail"])
    assert "mode: draft" in str(publish["fix"])


def test_unreachable_api_says_where_it_looked(blog: Path) -> None:
    code, checks, _ = doctor(blog, "http://127.0.0.1:9")
    assert code == 1
    assert "http://127.0.0.1:9 directly (no proxy)" in str(checks["API reachable"]["detail"])
    assert "emulator" in str(checks["API reachable"]["fix"])


def test_material_library_near_its_cap_is_flagged(
    blog: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import image_bytes
    from wxsync import doctor as module
    from wxsync.config import load_settings
    from wxsync.doctor import Doctor

    client = WeChatClient(DEFAULT_APPID, DEFAULT_SECRET, base_url=emulator.base_url)
    for name in ("a.png", "b.png"):
        client.add_image_material(image_bytes(), name, "image/png")
    monkeypatch.setattr(module, "MATERIAL_CAP", 2)
    settings = load_settings(
        blog,
        {"api_base": emulator.base_url},
        environ={"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET},
    )
    checks = {c.name: c for c in Doctor(settings, {}).run()}
    assert not checks["image materials"].ok and "2 of 2" in checks["image materials"].detail


def test_state_file_problems_are_reported(blog: Path, emulator: EmulatorServer) -> None:
    state = State()
    state.posts["content/a.md"] = PostRecord(status="drafted", draft_media_id="m")
    state.posts["content/gone.md"] = PostRecord(status="published", article_id="x")
    state.posts["content/a.md"].intent = Intent(
        op="draft_add", hash="h", title="一", at="2026-01-01T00:00:00Z"
    )
    save(state, blog / ".wxsync/state.json")
    code, checks, _ = doctor(blog, emulator.base_url)
    assert code == 1
    assert checks["state file"]["ok"]
    assert "content/gone.md" in str(checks["posts named in the state file"]["detail"])
    assert "draft/add for content/a.md" in str(checks["interrupted calls"]["detail"])
    (blog / ".wxsync/state.json").write_text("{oops", encoding="utf-8")
    _, broken, _ = doctor(blog, emulator.base_url)
    assert not broken["state file"]["ok"] and "not valid JSON" in str(
        broken["state file"]["detail"]
    )


def test_doctor_and_sync_reach_wechat_through_one_session_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wxsync.config import load_settings
    from wxsync.engine.sync import wechat_session

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/company-ca.pem")
    settings = load_settings(tmp_path, {}, environ={"WXSYNC_PROXY": "http://proxy.example:3128"})
    session = wechat_session(settings)
    assert session.proxies == {
        "https": "http://proxy.example:3128",
        "http": "http://proxy.example:3128",
    }
    assert not session.trust_env and session.verify == "/etc/company-ca.pem"
