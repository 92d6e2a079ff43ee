"""The AppSecret and access tokens never reach exception text, reprs, logs or CLI output."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import FAST_RETRY, free_port, image_bytes
from wxsync.errors import WxsyncError
from wxsync.redact import redact, register_secret
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.client import Article, WeChatClient
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer
from wxsync.wechat.errors import WeChatError


def provoke_every_failure(
    emulator: EmulatorServer, control: EmulatorControl
) -> tuple[list[BaseException], list[str]]:
    """Run the client through every failure path; return the exceptions and the tokens it held."""
    errors: list[BaseException] = []
    tokens: list[str] = []
    client = WeChatClient(
        DEFAULT_APPID,
        DEFAULT_SECRET,
        base_url=emulator.base_url,
        retry=FAST_RETRY,
        timeout=(2.0, 0.3),
    )
    tokens.append(client.access_token())
    thumb = client.add_image_material(image_bytes(), "c.png", "image/png").media_id

    def attempt(call: object) -> None:
        try:
            call()  # type: ignore[operator]
        except WxsyncError as exc:
            errors.append(exc)

    faults = [
        {"errcode": -1},
        {"errcode": 40001},
        {"errcode": 45009},
        {"errcode": 48001},
        {"http_status": 502},
        {"drop": True},
        {"body": "<html>oops</html>"},
        {"delay_ms": 500},
        {"drop": True, "after_success": True},
    ]
    for fault in faults:
        for path in ("/cgi-bin/draft/count", "/cgi-bin/draft/add"):
            control.faults({"path": path, **fault})
            attempt(client.count_drafts)
            attempt(
                lambda: client.add_draft([Article(title="t", content="x", thumb_media_id=thumb)])
            )
        tokens.append(client.access_token())
    control.faults()
    attempt(lambda: client.add_draft([Article(title="字" * 70, content="x", thumb_media_id=thumb)]))
    control.configure(ip_allowlist=["198.51.100.1"])
    attempt(
        WeChatClient(
            DEFAULT_APPID, DEFAULT_SECRET, base_url=emulator.base_url, retry=FAST_RETRY
        ).count_drafts
    )
    control.configure(ip_allowlist=None)
    wrong = WeChatClient(
        DEFAULT_APPID, "wrong-secret-value", base_url=emulator.base_url, retry=FAST_RETRY
    )
    attempt(wrong.count_drafts)
    attempt(
        WeChatClient(
            DEFAULT_APPID, DEFAULT_SECRET, base_url=emulator.base_url + "/x", retry=FAST_RETRY
        ).count_drafts
    )
    port = free_port()
    refused = WeChatClient(
        DEFAULT_APPID, DEFAULT_SECRET, base_url=f"http://127.0.0.1:{port}", retry=FAST_RETRY
    )
    refused._token, refused._token_expires_at = tokens[-1], float("inf")
    attempt(refused.count_drafts)
    return errors, tokens


def test_secrets_and_tokens_never_appear_in_errors_or_logs(
    emulator: EmulatorServer, control: EmulatorControl, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors, tokens = provoke_every_failure(emulator, control)
    assert len(errors) >= 15
    kinds = {type(e).__name__ for e in errors}
    assert {
        "AmbiguousResultError",
        "TransportError",
        "CredentialError",
        "IPNotWhitelistedError",
    } <= kinds
    texts = [str(e) for e in errors] + [repr(e) for e in errors]
    texts += [str(e.__cause__) for e in errors if e.__cause__] + [
        str(e.__context__) for e in errors if e.__context__
    ]
    texts += [record.getMessage() for record in caplog.records]
    assert any("access_token=***" in t for t in texts), "URLs were logged, redacted"
    for secret in [DEFAULT_SECRET, "wrong-secret-value", *tokens]:
        leaks = [t for t in texts if secret in t]
        assert not leaks, f"secret leaked in: {leaks[:3]}"


def test_wechat_errors_survive_pickling_without_gaining_secrets() -> None:
    import pickle

    from wxsync.wechat.errors import error_for

    register_secret("a-secret-token-value")
    error = error_for(40164, "invalid ip 1.2.3.4 for a-secret-token-value", "/cgi-bin/draft/add")
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, WeChatError)
    assert "a-secret-token-value" not in str(copy)
    assert copy.code == 40164


def test_redact_masks_query_strings_json_and_registered_values() -> None:
    register_secret("s3cr3t-value-xyz")
    text = redact(
        "GET /cgi-bin/token?grant_type=x&appid=wx1&secret=abc123&access_token=TOKEN-1 "
        '{"access_token": "TOKEN-2", "secret": "s"} and s3cr3t-value-xyz'
    )
    assert "abc123" not in text and "TOKEN-1" not in text and "TOKEN-2" not in text
    assert "s3cr3t-value-xyz" not in text
    assert "appid=wx1" in text


def test_client_repr_shows_no_secret() -> None:
    client = WeChatClient("wx1", "super-secret-value", base_url="http://127.0.0.1:9")
    assert "super-secret-value" not in repr(client)
    assert "super-secret-value" not in repr(vars(client).get("calls"))


def test_emulator_cli_output_shows_no_secret_or_token() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "wxsync", "emulator", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in banner
        base = f"http://127.0.0.1:{port}"
        client = WeChatClient(DEFAULT_APPID, DEFAULT_SECRET, base_url=base, retry=FAST_RETRY)
        client.count_drafts()
        token = client.access_token()
        requests.get(
            f"{base}/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": DEFAULT_APPID,
                "secret": DEFAULT_SECRET,
            },
            timeout=5,
        )
        time.sleep(0.2)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    output = banner + output
    assert "/cgi-bin/draft/count?access_token=***" in output
    assert token not in output
    assert DEFAULT_SECRET not in output
