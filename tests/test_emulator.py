"""The emulator's own surface: tokens on the wire, control endpoints, fault rules, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import free_port, image_bytes
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET, ApiError
from wxsync.wechat.client import WeChatClient
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer, parse_wechat_json


def post(
    emulator: EmulatorServer, path: str, body: object, token: str | None = None
) -> dict[str, object]:
    params = {"access_token": token} if token is not None else {}
    answer: dict[str, object] = requests.post(
        f"{emulator.base_url}{path}", params=params, json=body, timeout=5
    ).json()
    return answer


def test_business_calls_check_the_token(emulator: EmulatorServer, client: WeChatClient) -> None:
    assert post(emulator, "/cgi-bin/draft/count", {})["errcode"] == 41001
    assert post(emulator, "/cgi-bin/draft/count", {}, token="bad token!")["errcode"] == 40014
    assert post(emulator, "/cgi-bin/draft/count", {}, token="A" * 40)["errcode"] == 40001
    assert post(emulator, "/cgi-bin/draft/count", {}, token=client.access_token()) == {
        "total_count": 0
    }


def test_errmsg_carries_a_rid_suffix_like_wechat(emulator: EmulatorServer) -> None:
    answer = post(emulator, "/cgi-bin/draft/count", {})
    assert " rid: " in str(answer["errmsg"])


def test_token_endpoint_validates_its_parameters(emulator: EmulatorServer) -> None:
    def get(**params: str) -> int:
        answer = requests.get(f"{emulator.base_url}/cgi-bin/token", params=params, timeout=5).json()
        return int(answer.get("errcode", 0))

    assert get(grant_type="nope", appid=DEFAULT_APPID, secret=DEFAULT_SECRET) == 40002
    assert get(grant_type="client_credential", secret=DEFAULT_SECRET) == 41002
    assert get(grant_type="client_credential", appid=DEFAULT_APPID) == 41004
    assert get(grant_type="client_credential", appid="wx_other", secret=DEFAULT_SECRET) == 40013
    assert get(grant_type="client_credential", appid=DEFAULT_APPID, secret="wrong") == 40001
    assert get(grant_type="client_credential", appid=DEFAULT_APPID, secret=DEFAULT_SECRET) == 0


def test_classic_token_dies_after_the_overlap(
    emulator: EmulatorServer, control: EmulatorControl
) -> None:
    params = {"grant_type": "client_credential", "appid": DEFAULT_APPID, "secret": DEFAULT_SECRET}
    first = requests.get(f"{emulator.base_url}/cgi-bin/token", params=params, timeout=5).json()[
        "access_token"
    ]
    requests.get(f"{emulator.base_url}/cgi-bin/token", params=params, timeout=5)
    control.advance(301)
    assert post(emulator, "/cgi-bin/draft/count", {}, token=first)["errcode"] == 40001


def test_force_refresh_is_limited_per_day(
    emulator: EmulatorServer, control: EmulatorControl
) -> None:
    control.configure(force_refresh_per_day=2)
    body = {
        "grant_type": "client_credential",
        "appid": DEFAULT_APPID,
        "secret": DEFAULT_SECRET,
        "force_refresh": True,
    }
    answers = [post(emulator, "/cgi-bin/stable_token", body) for _ in range(3)]
    assert "access_token" in answers[1]
    assert answers[2]["errcode"] == 45009


def test_stable_token_reports_remaining_lifetime(
    emulator: EmulatorServer, control: EmulatorControl
) -> None:
    body = {"grant_type": "client_credential", "appid": DEFAULT_APPID, "secret": DEFAULT_SECRET}
    first = post(emulator, "/cgi-bin/stable_token", body)
    control.advance(1000)
    second = post(emulator, "/cgi-bin/stable_token", body)
    assert first["access_token"] == second["access_token"]
    assert int(str(second["expires_in"])) <= 6200


def test_non_json_bodies_are_47001_and_empty_ones_44002(
    emulator: EmulatorServer, client: WeChatClient
) -> None:
    token = client.access_token()
    url = f"{emulator.base_url}/cgi-bin/draft/count"
    assert (
        requests.post(url, params={"access_token": token}, data=b"{oops", timeout=5).json()[
            "errcode"
        ]
        == 47001
    )
    assert (
        requests.post(url, params={"access_token": token}, data=b"", timeout=5).json()["errcode"]
        == 44002
    )


def test_json_unicode_escapes_are_kept_literally() -> None:
    assert parse_wechat_json(b'{"t": "\\u4e2d"}') == {"t": "\\u4e2d"}
    assert parse_wechat_json('{"t": "中"}'.encode()) == {"t": "中"}
    # an escaped backslash before "u" is an ordinary backslash, not an escape
    assert parse_wechat_json(b'{"t": "a\\\\u4e2d"}') == {"t": "a\\u4e2d"}
    with pytest.raises(ApiError):
        parse_wechat_json(b"\xff\xfe")


def test_state_shows_uploads_repeats_included(
    client: WeChatClient, control: EmulatorControl
) -> None:
    png = image_bytes()
    client.upload_image(png, "a.png", "image/png")
    client.upload_image(png, "a.png", "image/png")
    state = control.state()
    assert len(state["uploads"]) == 2
    assert state["uploads"][0]["sha256"] == state["uploads"][1]["sha256"]
    assert state["calls"]["/cgi-bin/media/uploadimg"] == 2
    assert "secret" not in json.dumps(state["config"])


def test_fault_rules_match_star_and_stop_after_times(
    client: WeChatClient, control: EmulatorControl
) -> None:
    client.count_drafts()
    control.faults({"path": "*", "errcode": 45009, "times": 1})
    with pytest.raises(Exception, match="45009"):
        client.count_drafts()
    assert client.count_drafts() == 0


def test_fault_rules_without_times_last_until_replaced(
    client: WeChatClient, control: EmulatorControl
) -> None:
    client.count_drafts()
    control.faults({"path": "/cgi-bin/draft/count", "errcode": 45009})
    for _ in range(2):
        with pytest.raises(Exception, match="45009"):
            client.count_drafts()
    control.faults()
    assert client.count_drafts() == 0


def test_delay_rule_slows_the_answer(client: WeChatClient, control: EmulatorControl) -> None:
    client.count_drafts()
    control.faults({"path": "/cgi-bin/draft/count", "delay_ms": 300})
    started = time.monotonic()
    client.count_drafts()
    assert time.monotonic() - started >= 0.3


def test_bad_fault_rules_are_refused(control: EmulatorControl) -> None:
    with pytest.raises(ValueError, match="unknown fault rule keys"):
        control.faults({"path": "*", "explode": True})
    with pytest.raises(ValueError):
        control.configure(no_such_setting=1)


def test_reset_forgets_everything(client: WeChatClient, control: EmulatorControl) -> None:
    client.upload_image(image_bytes(), "a.png", "image/png")
    control.configure(can_publish=False)
    control.faults({"path": "*", "delay_ms": 1})
    control.reset()
    state = control.state()
    assert state["uploads"] == [] and state["calls"] == {}
    assert state["config"]["can_publish"] is True


def test_emulator_command_serves_the_api_on_the_given_port() -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wxsync",
            "emulator",
            "--port",
            str(port),
            "--no-publish-permission",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        assert f"http://127.0.0.1:{port}" in process.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        client = WeChatClient(DEFAULT_APPID, DEFAULT_SECRET, base_url=base)
        assert client.count_drafts() == 0
        state = EmulatorControl(base).state()
        assert state["config"]["can_publish"] is False
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_concurrent_calls_are_all_served_and_counted(
    client: WeChatClient, control: EmulatorControl
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    png = image_bytes()
    with ThreadPoolExecutor(max_workers=8) as pool:
        urls = list(
            pool.map(lambda i: client.upload_image(png, f"{i}.png", "image/png"), range(40))
        )
    assert len(set(urls)) == 40
    state = control.state()
    assert len(state["uploads"]) == 40
    assert state["calls"]["/cgi-bin/media/uploadimg"] == 40
    assert state["calls"]["/cgi-bin/stable_token"] == 1, "one token shared by every thread"
