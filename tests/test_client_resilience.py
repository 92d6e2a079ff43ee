"""Tokens, retries and the exactly-once guard of the client, with faults injected into the emulator."""

from __future__ import annotations

import random

import pytest
import requests

from tests.conftest import FAST_RETRY, free_port, image_bytes
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.client import Article, RetryPolicy, WeChatClient
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer
from wxsync.wechat.errors import (
    AmbiguousResultError,
    CredentialError,
    IPNotWhitelistedError,
    RateLimitedError,
    SystemBusyError,
    TokenRejectedError,
    TransportError,
)


def calls(control: EmulatorControl, path: str) -> int:
    return int(control.state()["calls"].get(path, 0))


def new_draft(client: WeChatClient) -> str:
    thumb = client.add_image_material(image_bytes(), "c.png", "image/png").media_id
    return client.add_draft([Article(title="t", content="<p>x</p>", thumb_media_id=thumb)])


# -- tokens -----------------------------------------------------------------------------------------


def test_token_is_fetched_once_and_reused(client: WeChatClient, control: EmulatorControl) -> None:
    for _ in range(3):
        client.count_drafts()
    assert calls(control, "/cgi-bin/stable_token") == 1
    assert calls(control, "/cgi-bin/token") == 0


def test_no_token_is_fetched_before_the_first_call(
    client: WeChatClient, control: EmulatorControl
) -> None:
    assert control.state()["calls"] == {}


def test_token_is_renewed_shortly_before_it_expires(
    emulator: EmulatorServer, control: EmulatorControl
) -> None:
    now = [0.0]
    client = WeChatClient(
        DEFAULT_APPID,
        DEFAULT_SECRET,
        base_url=emulator.base_url,
        retry=FAST_RETRY,
        clock=lambda: now[0],
    )
    client.count_drafts()
    now[0] = 7200 - 301  # still outside the renewal margin
    client.count_drafts()
    assert calls(control, "/cgi-bin/stable_token") == 1
    now[0] = 7200 - 299
    client.count_drafts()
    assert calls(control, "/cgi-bin/stable_token") == 2


def test_expired_token_42001_is_refreshed_and_the_call_retried_once(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.configure(token_ttl=60)
    client.count_drafts()
    # The emulator's clock moves past expiry; the client's cache still believes the token is fine.
    control.advance(61)
    assert client.count_drafts() == 0
    assert calls(control, "/cgi-bin/stable_token") == 2
    assert calls(control, "/cgi-bin/draft/count") == 3, "first call, the rejected one, its retry"


def test_token_invalidated_by_another_service_is_replaced(
    client: WeChatClient, emulator: EmulatorServer, control: EmulatorControl
) -> None:
    client.count_drafts()
    other = WeChatClient(
        DEFAULT_APPID, DEFAULT_SECRET, base_url=emulator.base_url, retry=FAST_RETRY
    )
    other._fetch_token(force=True)  # another service force-refreshes the account's token
    assert client.count_drafts() == 0
    assert calls(control, "/cgi-bin/draft/count") == 3


def test_force_refresh_only_when_normal_mode_returns_the_rejected_token(
    client: WeChatClient, control: EmulatorControl
) -> None:
    client.count_drafts()
    rejected = client.access_token()
    control.faults({"path": "/cgi-bin/draft/count", "errcode": 40001, "times": 1})
    client.count_drafts()
    # initial, normal refresh (same token handed back), forced refresh
    assert calls(control, "/cgi-bin/stable_token") == 3
    assert client.access_token() != rejected


def test_token_rejection_is_retried_only_once(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.faults({"path": "/cgi-bin/draft/count", "errcode": 42001})
    with pytest.raises(TokenRejectedError):
        client.count_drafts()
    assert calls(control, "/cgi-bin/draft/count") == 2


def test_token_rejection_on_a_non_idempotent_call_is_safe_to_retry(
    client: WeChatClient, control: EmulatorControl
) -> None:
    client.count_drafts()
    control.faults({"path": "/cgi-bin/draft/add", "errcode": 40014, "times": 1})
    new_draft(client)
    assert client.count_drafts() == 1


def test_classic_token_endpoint_rotates_and_stable_token_does_not(emulator: EmulatorServer) -> None:
    base = emulator.base_url
    params = {"grant_type": "client_credential", "appid": DEFAULT_APPID, "secret": DEFAULT_SECRET}
    first = requests.get(f"{base}/cgi-bin/token", params=params, timeout=5).json()["access_token"]
    second = requests.get(f"{base}/cgi-bin/token", params=params, timeout=5).json()["access_token"]
    assert first != second
    body = {"grant_type": "client_credential", "appid": DEFAULT_APPID, "secret": DEFAULT_SECRET}
    stable = [
        requests.post(f"{base}/cgi-bin/stable_token", json=body, timeout=5).json() for _ in range(2)
    ]
    assert stable[0]["access_token"] == stable[1]["access_token"]
    assert stable[0]["access_token"] not in (first, second), "isolated from /cgi-bin/token"
    forced = requests.post(
        f"{base}/cgi-bin/stable_token", json={**body, "force_refresh": True}, timeout=5
    ).json()
    assert forced["access_token"] != stable[0]["access_token"]
    old = requests.post(
        f"{base}/cgi-bin/draft/count",
        params={"access_token": stable[0]["access_token"]},
        json={},
        timeout=5,
    ).json()
    assert old["errcode"] == 40001
    # The previous /cgi-bin/token token survives for the overlap window.
    ok = requests.post(
        f"{base}/cgi-bin/draft/count", params={"access_token": first}, json={}, timeout=5
    ).json()
    assert ok == {"total_count": 0}


def test_wrong_secret_is_a_credential_error_saying_so(emulator: EmulatorServer) -> None:
    client = WeChatClient(
        DEFAULT_APPID, "wrong-secret-value", base_url=emulator.base_url, retry=FAST_RETRY
    )
    with pytest.raises(CredentialError) as caught:
        client.count_drafts()
    assert caught.value.code == 40125
    assert "WECHAT_APPSECRET" in caught.value.advice


def test_wrong_appid_is_told_apart_from_a_wrong_secret(emulator: EmulatorServer) -> None:
    client = WeChatClient(
        "wx_not_mine", DEFAULT_SECRET, base_url=emulator.base_url, retry=FAST_RETRY
    )
    with pytest.raises(CredentialError) as caught:
        client.count_drafts()
    assert caught.value.code == 40013
    assert "WECHAT_APPID" in caught.value.advice


def test_40001_from_the_token_endpoint_says_the_secret_is_wrong() -> None:
    from wxsync.wechat.errors import error_for

    error = error_for(40001, "invalid credential", "/cgi-bin/token")
    assert isinstance(error, CredentialError)
    assert "AppSecret is wrong" in error.advice


def test_ip_not_whitelisted_names_the_ip_and_three_remedies(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.configure(ip_allowlist=["203.0.113.7"])
    with pytest.raises(IPNotWhitelistedError) as caught:
        client.count_drafts()
    error = caught.value
    assert error.code == 40164
    assert error.ip == "127.0.0.1"
    assert "127.0.0.1" in error.advice
    for remedy in ("HTTPS_PROXY", "self-hosted runner", "token service"):
        assert remedy in error.advice


# -- retries ------------------------------------------------------------------------------------------


def test_system_busy_twice_then_success_is_retried(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.faults({"path": "/cgi-bin/draft/count", "errcode": -1, "times": 2})
    assert client.count_drafts() == 0
    assert calls(control, "/cgi-bin/draft/count") == 3


def test_system_busy_on_draft_add_is_retried_because_wechat_did_nothing(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.faults({"path": "/cgi-bin/draft/add", "errcode": -1, "times": 2})
    new_draft(client)
    assert client.count_drafts() == 1


def test_persistent_system_busy_gives_up_after_the_allowed_attempts(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.faults({"path": "/cgi-bin/draft/count", "errcode": -1})
    with pytest.raises(SystemBusyError):
        client.count_drafts()
    assert calls(control, "/cgi-bin/draft/count") == FAST_RETRY.attempts


def test_minute_quota_45011_is_waited_out(client: WeChatClient, control: EmulatorControl) -> None:
    control.faults({"path": "/cgi-bin/draft/count", "errcode": 45011, "times": 1})
    assert client.count_drafts() == 0
    control.faults({"path": "/cgi-bin/draft/count", "errcode": 45011})
    with pytest.raises(RateLimitedError):
        client.count_drafts()


def test_emulator_minute_quota_answers_45011(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.configure(minute_quota={"/cgi-bin/draft/count": 1})
    client.count_drafts()
    with pytest.raises(RateLimitedError) as caught:
        client.count_drafts()
    assert caught.value.code == 45011


@pytest.mark.parametrize(
    "fault",
    [
        {"http_status": 502},
        {"drop": True},
        {"body": "<html>gateway says hello</html>"},
    ],
    ids=["502", "dropped-connection", "non-json"],
)
def test_transient_faults_on_idempotent_calls_are_retried(
    client: WeChatClient, control: EmulatorControl, fault: dict[str, object]
) -> None:
    control.faults({"path": "/cgi-bin/draft/count", "times": 2, **fault})
    assert client.count_drafts() == 0
    assert calls(control, "/cgi-bin/draft/count") == 3


@pytest.mark.parametrize(
    "fault",
    [
        {"http_status": 502},
        {"drop": True},
        {"body": "not json"},
        {"drop": True, "after_success": True},
    ],
    ids=["502", "dropped", "non-json", "dropped-after-success"],
)
@pytest.mark.parametrize(
    "path", ["/cgi-bin/draft/add", "/cgi-bin/freepublish/submit", "/cgi-bin/media/uploadimg"]
)
def test_ambiguous_failures_of_non_idempotent_calls_are_not_repeated(
    client: WeChatClient, control: EmulatorControl, fault: dict[str, object], path: str
) -> None:
    media_id = new_draft(client) if path == "/cgi-bin/freepublish/submit" else ""
    before = calls(control, path)
    control.faults({"path": path, "times": 1, **fault})
    with pytest.raises(AmbiguousResultError) as caught:
        if path == "/cgi-bin/draft/add":
            new_draft(client)
        elif path == "/cgi-bin/freepublish/submit":
            client.submit_publish(media_id)
        else:
            client.upload_image(image_bytes(), "a.png", "image/png")
    assert calls(control, path) == before + 1, "sent exactly once"
    assert "may have succeeded" in str(caught.value)


def test_draft_dropped_after_success_exists_on_the_account(
    client: WeChatClient, control: EmulatorControl
) -> None:
    thumb = client.add_image_material(image_bytes(), "c.png", "image/png").media_id
    control.faults({"path": "/cgi-bin/draft/add", "after_success": True, "drop": True, "times": 1})
    with pytest.raises(AmbiguousResultError):
        client.add_draft([Article(title="t", content="<p>x</p>", thumb_media_id=thumb)])
    assert client.count_drafts() == 1, "the work was done; only the answer was lost"


def test_read_timeout_is_retried_when_idempotent_and_ambiguous_otherwise(
    emulator: EmulatorServer, control: EmulatorControl
) -> None:
    client = WeChatClient(
        DEFAULT_APPID,
        DEFAULT_SECRET,
        base_url=emulator.base_url,
        retry=FAST_RETRY,
        timeout=(2.0, 0.3),
    )
    thumb = client.add_image_material(image_bytes(), "c.png", "image/png").media_id
    control.faults({"path": "/cgi-bin/draft/count", "delay_ms": 600, "times": 1})
    assert client.count_drafts() == 0
    control.faults({"path": "/cgi-bin/draft/add", "delay_ms": 600, "times": 1})
    with pytest.raises(AmbiguousResultError):
        client.add_draft([Article(title="t", content="<p>x</p>", thumb_media_id=thumb)])


def test_connection_refused_is_retried_even_for_draft_add_because_nothing_was_sent() -> None:
    port = free_port()
    sleeps: list[float] = []
    client = WeChatClient(
        DEFAULT_APPID,
        DEFAULT_SECRET,
        base_url=f"http://127.0.0.1:{port}",
        retry=FAST_RETRY,
        sleep=sleeps.append,
    )
    with pytest.raises(TransportError) as caught:
        client.add_draft([Article(title="t", content="x", thumb_media_id="m")])
    assert not isinstance(caught.value, AmbiguousResultError)
    assert "gave up after 4 attempts" in str(caught.value)
    assert len(sleeps) == FAST_RETRY.attempts - 1


def test_backoff_grows_exponentially_with_jitter_and_is_bounded(
    emulator: EmulatorServer, control: EmulatorControl
) -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=6, base_delay=1.0, max_delay=4.0, total_time=1000.0)
    client = WeChatClient(
        DEFAULT_APPID,
        DEFAULT_SECRET,
        base_url=emulator.base_url,
        retry=policy,
        sleep=sleeps.append,
        rng=random.Random(7),
    )
    control.faults({"path": "/cgi-bin/draft/count", "errcode": -1})
    with pytest.raises(SystemBusyError):
        client.count_drafts()
    assert len(sleeps) == 5
    ceilings = [1.0, 2.0, 4.0, 4.0, 4.0]
    for delay, ceiling in zip(sleeps, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(sleeps)) == len(sleeps), "jittered"


def test_retries_stop_when_the_total_time_budget_would_be_exceeded(
    emulator: EmulatorServer, control: EmulatorControl
) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    policy = RetryPolicy(attempts=100, base_delay=1.0, max_delay=8.0, total_time=20.0)
    client = WeChatClient(
        DEFAULT_APPID,
        DEFAULT_SECRET,
        base_url=emulator.base_url,
        retry=policy,
        sleep=sleep,
        clock=lambda: now[0],
    )
    control.faults({"path": "/cgi-bin/draft/count", "errcode": -1})
    with pytest.raises(SystemBusyError):
        client.count_drafts()
    assert now[0] <= 20.0
    assert calls(control, "/cgi-bin/draft/count") < 10


def test_http_404_points_at_the_base_url(emulator: EmulatorServer) -> None:
    client = WeChatClient(
        DEFAULT_APPID, DEFAULT_SECRET, base_url=emulator.base_url + "/wrong", retry=FAST_RETRY
    )
    with pytest.raises(TransportError) as caught:
        client.count_drafts()
    assert "API base URL" in str(caught.value)
