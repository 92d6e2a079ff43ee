"""A local WeChat API server: real HTTP on loopback, for tests, dry runs and demos.

The account's behaviour lives in `account.py`; this module is the HTTP side: routing, request
parsing (JSON as WeChat reads it, multipart uploads), the IP whitelist, token checks, quotas,
and, under `/__emulator__/`, inspection and fault injection:

- `GET  /__emulator__/state`   materials, uploads, drafts, published articles, broadcasts,
                               previews, call counts
- `POST /__emulator__/faults`  replace the fault rules (`[]` clears them)
- `POST /__emulator__/config`  change `EmulatorConfig` fields (token TTL, allowlist, ...)
- `POST /__emulator__/advance` move the emulator's clock forward `{"seconds": N}`
- `POST /__emulator__/reset`   forget everything (rules and config included)
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from wxsync.redact import redact
from wxsync.wechat.account import ApiError, EmulatedAccount, EmulatorConfig

log = logging.getLogger("wxsync.emulator")

CONTROL_PREFIX = "/__emulator__/"
MAX_BODY = 64 * 1024 * 1024

_FAULT_KEYS = {
    "path",
    "errcode",
    "errmsg",
    "http_status",
    "delay_ms",
    "drop",
    "after_success",
    "times",
    "body",
}


@dataclass
class FaultRule:
    """One rule of `POST /__emulator__/faults`; see the module docstring of `emulator.py`."""

    path: str
    errcode: int | None = None
    errmsg: str | None = None
    http_status: int | None = None
    delay_ms: int = 0
    drop: bool = False
    after_success: bool = False
    times: int | None = None
    body: str | None = None

    @classmethod
    def parse(cls, raw: Any) -> FaultRule:
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            raise ValueError("each fault rule is an object with a string `path`")
        unknown = set(raw) - _FAULT_KEYS
        if unknown:
            raise ValueError(f"unknown fault rule keys: {', '.join(sorted(unknown))}")
        return cls(**raw)

    def matches(self, path: str) -> bool:
        return self.path in ("*", path)

    @property
    def answers(self) -> bool:
        """Whether the rule replaces the answer (as opposed to only delaying it)."""
        return (
            self.drop
            or self.errcode is not None
            or self.http_status is not None
            or self.body is not None
        )


class Emulator:
    """The account plus the fault rules, shared by every request thread."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self._initial = config or EmulatorConfig()
        self.account = EmulatedAccount(_copy_config(self._initial))
        self.faults: list[FaultRule] = []
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.faults = []
        self.account.config = _copy_config(self._initial)
        self.account.reset()

    def set_faults(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self.faults = rules

    def take_fault(self, path: str) -> FaultRule | None:
        """The first rule matching `path` that has not used up its `times`; counts its use."""
        with self._lock:
            for rule in self.faults:
                if rule.matches(path) and (rule.times is None or rule.times > 0):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None


def _copy_config(config: EmulatorConfig) -> EmulatorConfig:
    return EmulatorConfig(**json.loads(json.dumps(config.__dict__)))


@dataclass(frozen=True)
class _Route:
    handler: Callable[
        [EmulatedAccount, dict[str, str], Any, dict[str, tuple[str, bytes]]], dict[str, Any]
    ]
    method: str = "POST"
    auth: bool = True
    body: str = "json"  # json | multipart | none


ROUTES: dict[str, _Route] = {
    "/cgi-bin/token": _Route(lambda a, q, b, f: a.token(q), method="GET", auth=False, body="none"),
    "/cgi-bin/stable_token": _Route(lambda a, q, b, f: a.stable_token(b), auth=False),
    "/cgi-bin/media/uploadimg": _Route(lambda a, q, b, f: a.uploadimg(f), body="multipart"),
    "/cgi-bin/material/add_material": _Route(
        lambda a, q, b, f: a.add_material(q, f), body="multipart"
    ),
    "/cgi-bin/material/del_material": _Route(lambda a, q, b, f: a.del_material(b)),
    "/cgi-bin/material/get_materialcount": _Route(lambda a, q, b, f: a.get_materialcount(b)),
    "/cgi-bin/material/batchget_material": _Route(lambda a, q, b, f: a.batchget_material(b)),
    "/cgi-bin/draft/add": _Route(lambda a, q, b, f: a.draft_add(b)),
    "/cgi-bin/draft/get": _Route(lambda a, q, b, f: a.draft_get(b)),
    "/cgi-bin/draft/update": _Route(lambda a, q, b, f: a.draft_update(b)),
    "/cgi-bin/draft/delete": _Route(lambda a, q, b, f: a.draft_delete(b)),
    "/cgi-bin/draft/count": _Route(lambda a, q, b, f: a.draft_count(b)),
    "/cgi-bin/draft/batchget": _Route(lambda a, q, b, f: a.draft_batchget(b)),
    "/cgi-bin/freepublish/submit": _Route(lambda a, q, b, f: a.freepublish_submit(b)),
    "/cgi-bin/freepublish/get": _Route(lambda a, q, b, f: a.freepublish_get(b)),
    "/cgi-bin/freepublish/getarticle": _Route(lambda a, q, b, f: a.freepublish_getarticle(b)),
    "/cgi-bin/freepublish/delete": _Route(lambda a, q, b, f: a.freepublish_delete(b)),
    "/cgi-bin/freepublish/batchget": _Route(lambda a, q, b, f: a.freepublish_batchget(b)),
    "/cgi-bin/message/mass/sendall": _Route(lambda a, q, b, f: a.mass_sendall(b)),
    "/cgi-bin/message/mass/get": _Route(lambda a, q, b, f: a.mass_get(b)),
    "/cgi-bin/message/mass/delete": _Route(lambda a, q, b, f: a.mass_delete(b)),
    "/cgi-bin/message/mass/preview": _Route(lambda a, q, b, f: a.mass_preview(b)),
}

# WeChat keeps `\uXXXX` escapes in JSON bodies as literal text (garbled titles), so we do too.
_UNICODE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u")


def parse_wechat_json(raw: bytes) -> Any:
    """Parse a request body the way WeChat does; `ApiError(47001)` if it is not JSON."""
    if not raw.strip():
        raise ApiError(44002, "empty post data")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(47001, "data format error: body is not UTF-8") from None
    try:
        return json.loads(_UNICODE_ESCAPE.sub(r"\1\\\\u", text))
    except json.JSONDecodeError:
        raise ApiError(47001, "data format error") from None


def parse_multipart(content_type: str, raw: bytes) -> dict[str, tuple[str, bytes]]:
    """The parts of a multipart/form-data body: field name → (file name, bytes)."""
    if not content_type.lower().startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    parts: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts[name] = (part.get_filename() or "", payload)
    return parts


class _Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    server_version = "wxsync-emulator"

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), redact(format % args))

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        raw = self._read_body()
        if url.path.startswith(CONTROL_PREFIX):
            self._control(url.path[len(CONTROL_PREFIX) :], method, raw)
        elif url.path in ROUTES:
            self._wechat(url.path, dict(parse_qsl(url.query)), method, raw)
        elif url.path == "/":
            self._send_json(200, {"emulator": "wxsync", "paths": sorted(ROUTES)})
        else:
            self._send_text(404, "not found")

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            return b""
        return self.rfile.read(length) if length else b""

    # -- the WeChat API -------------------------------------------------------------------------

    def _wechat(self, path: str, query: dict[str, str], method: str, raw: bytes) -> None:
        emulator = self.server.emulator
        account = emulator.account
        rule = emulator.take_fault(path)
        if rule is not None and rule.delay_ms:
            time.sleep(rule.delay_ms / 1000)
        if rule is not None and rule.answers and not rule.after_success:
            with account.lock:
                account.calls[path] += 1
            self._fault(rule)
            return
        answer = self._call_api(path, query, method, raw)
        if rule is not None and rule.answers and rule.after_success:
            self._fault(rule)
            return
        self._send_json(200, answer)

    def _call_api(
        self, path: str, query: dict[str, str], method: str, raw: bytes
    ) -> dict[str, Any]:
        route = ROUTES[path]
        account = self.server.emulator.account
        try:
            with account.lock:
                account.settle_jobs()
                account.count_call(path)
                account.check_ip(self._client_ip())
                if route.method != method:
                    raise ApiError(
                        44002 if method == "GET" else 40097, f"use {route.method} for {path}"
                    )
                if route.auth:
                    account.check_token(query.get("access_token"))
                if path.startswith("/cgi-bin/freepublish/") and not account.config.can_publish:
                    # Accounts without the publishing permission get 48001 from every freepublish API.
                    raise ApiError(48001, "api unauthorized")
                if path.startswith("/cgi-bin/message/mass/") and not account.config.can_broadcast:
                    raise ApiError(48001, "api unauthorized")
                body: Any = {}
                files: dict[str, tuple[str, bytes]] = {}
                if route.body == "json":
                    body = parse_wechat_json(raw)
                    if not isinstance(body, dict):
                        raise ApiError(47001, "data format error")
                elif route.body == "multipart":
                    files = parse_multipart(self.headers.get("Content-Type", ""), raw)
                return route.handler(account, query, body, files)
        except ApiError as error:
            return {
                **error.extra,
                "errcode": error.code,
                "errmsg": f"{error.message} rid: {secrets.token_hex(4)}-{secrets.token_hex(4)}",
            }

    def _client_ip(self) -> str:
        return str(self.client_address[0])

    def _fault(self, rule: FaultRule) -> None:
        if rule.drop:
            self.close_connection = True  # no answer at all: the client sees the connection close
            return
        if rule.http_status is not None:
            self._send_text(
                rule.http_status, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"
            )
        elif rule.body is not None:
            self._send_text(200, rule.body, "text/html")
        else:
            message = rule.errmsg or _DEFAULT_FAULT_MESSAGES.get(
                rule.errcode or 0, "injected fault"
            )
            self._send_json(
                200, {"errcode": rule.errcode, "errmsg": f"{message} rid: {secrets.token_hex(4)}"}
            )

    # -- inspection and fault injection -------------------------------------------------------------

    def _control(self, name: str, method: str, raw: bytes) -> None:
        emulator = self.server.emulator
        account = emulator.account
        try:
            payload = json.loads(raw or b"null")
            if (name, method) == ("state", "GET"):
                with account.lock:
                    account.settle_jobs()
                    self._send_json(200, account.snapshot())
                return
            if (name, method) == ("faults", "POST"):
                if not isinstance(payload, list):
                    raise ValueError("POST a JSON list of fault rules")
                emulator.set_faults([FaultRule.parse(r) for r in payload])
            elif (name, method) == ("config", "POST"):
                if not isinstance(payload, dict):
                    raise ValueError("POST a JSON object of settings")
                with account.lock:
                    account.config.update(payload)
            elif (name, method) == ("advance", "POST"):
                account.advance(float(payload["seconds"]))
            elif (name, method) == ("reset", "POST"):
                emulator.reset()
            else:
                self._send_text(404, f"unknown control {method} {name}")
                return
        except (ValueError, KeyError, TypeError) as exc:
            self._send_json(400, {"error": str(exc)})
            return
        self._send_json(200, {"ok": True})

    # -- answers ------------------------------------------------------------------------------------

    def _send_json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; encoding=utf-8")

    def _send_text(self, status: int, text: str, content_type: str = "text/plain") -> None:
        self._send(status, text.encode("utf-8"), f"{content_type}; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


_DEFAULT_FAULT_MESSAGES = {
    -1: "system error",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    48001: "api unauthorized",
}


class EmulatorServer(ThreadingHTTPServer):
    """`ThreadingHTTPServer` carrying the shared `Emulator`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def start(
    host: str = "127.0.0.1", port: int = 0, config: EmulatorConfig | None = None
) -> EmulatorServer:
    """Start an emulator in a background thread; `server.shutdown()` stops it."""
    server = EmulatorServer((host, port), Emulator(config))
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="wxsync-emulator",
        daemon=True,
    )
    thread.start()
    return server


class EmulatorControl:
    """Drive `/__emulator__/` from tests, benchmarks and scripts."""

    def __init__(self, base_url: str) -> None:
        import requests

        self.base_url = base_url.rstrip("/")
        self._session = requests.Session()

    def _post(self, name: str, payload: Any) -> None:
        response = self._session.post(
            f"{self.base_url}{CONTROL_PREFIX}{name}", json=payload, timeout=10
        )
        if response.status_code != 200:
            raise ValueError(f"emulator refused {name}: {response.text}")

    def state(self) -> dict[str, Any]:
        response = self._session.get(f"{self.base_url}{CONTROL_PREFIX}state", timeout=10)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def faults(self, *rules: dict[str, Any]) -> None:
        self._post("faults", list(rules))

    def configure(self, **settings: Any) -> None:
        self._post("config", settings)

    def advance(self, seconds: float) -> None:
        self._post("advance", {"seconds": seconds})

    def reset(self) -> None:
        self._post("reset", None)
