"""The WeChat Official Account API client.

One class where state (the cached token) meets I/O (HTTP). It takes a base URL and a
`requests.Session`, so tests and `wxsync emulator` replace WeChat without mocking anything.

Three rules shape it:
- Tokens come from `/cgi-bin/stable_token` in normal mode, which returns the same token while it
  is valid and so never knocks out another service sharing the account. They live in memory
  only. A business call that rejects the token triggers one refresh and one retry.
- Transient failures (-1, 45011, 5xx, non-JSON, timeouts, dropped connections) are retried with
  exponential backoff and jitter, bounded in attempts and in total time, but only where a
  repeat is harmless. A non-idempotent call (draft/add, freepublish/submit, uploads) whose
  request went out without a usable answer raises `AmbiguousResultError` instead.
- Nothing secret leaves: URLs are redacted before they reach a log line or an exception, and the
  `requests` exception (which quotes the full URL) is never chained.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests

from wxsync.redact import RedactingFilter, redact, register_secret
from wxsync.wechat.errors import (
    AmbiguousResultError,
    TokenUnavailableError,
    TransportError,
    error_for,
)

log = logging.getLogger("wxsync.client")
# urllib3 logs every request URL, access token included, at DEBUG: mask it at the source.
logging.getLogger("urllib3.connectionpool").addFilter(RedactingFilter())

DEFAULT_BASE_URL = "https://api.weixin.qq.com"

# Business calls answer these when the token is no good: refresh once, retry once.
TOKEN_REJECTED = frozenset({40001, 40014, 42001})
# sendall with a clientmsgid already used: the earlier send's msg_id comes with it.
CLIENTMSGID_EXISTS = 45065
# WeChat said "not now" without doing the work: safe to repeat even for non-idempotent calls.
RETRYABLE_CODES = frozenset({-1, 45011})

PUBLISH_STATUS = {
    0: "published",
    1: "publishing",
    2: "originality check failed",
    3: "publish failed",
    4: "rejected by platform review",
    5: "deleted by the user",
    6: "banned by the system",
}


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded both in attempts and in total time."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    total_time: float = 60.0

    def delay(self, retry: int, rng: random.Random) -> float:
        """Delay before retry number `retry` (0-based): half fixed, half random ("equal jitter")."""
        ceiling: float = min(self.max_delay, self.base_delay * (2**retry))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class Article:
    """One article of a draft, as `draft/add` and `draft/update` take it."""

    title: str
    content: str
    thumb_media_id: str
    author: str = ""
    digest: str = ""
    content_source_url: str = ""
    need_open_comment: int = 0
    only_fans_can_comment: int = 0
    pic_crop_235_1: str = ""
    pic_crop_1_1: str = ""

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "article_type": "news",
            "title": self.title,
            "content": self.content,
            "thumb_media_id": self.thumb_media_id,
            "need_open_comment": self.need_open_comment,
            "only_fans_can_comment": self.only_fans_can_comment,
        }
        for name in ("author", "digest", "content_source_url", "pic_crop_235_1", "pic_crop_1_1"):
            value = getattr(self, name)
            if value:
                body[name] = value
        return body


@dataclass(frozen=True)
class Material:
    media_id: str
    url: str


@dataclass(frozen=True)
class PublishStatus:
    """The answer of `freepublish/get`."""

    publish_id: str
    status: int
    article_id: str = ""
    article_urls: tuple[str, ...] = ()
    fail_idx: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return PUBLISH_STATUS.get(self.status, f"unknown status {self.status}")

    @property
    def finished(self) -> bool:
        return self.status != 1

    @property
    def succeeded(self) -> bool:
        return self.status == 0


@dataclass(frozen=True)
class MassSend:
    """The answer of `message/mass/sendall`; `repeated` when WeChat had already sent it (45065)."""

    msg_id: str
    repeated: bool = False


@dataclass(frozen=True)
class Page:
    """One page of a `batchget` listing."""

    total_count: int
    items: list[dict[str, Any]] = field(default_factory=list)


class _NoAnswer(Exception):
    """A transient transport failure. `sent` says whether the request may have been processed."""

    def __init__(self, detail: str, *, sent: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.sent = sent


class WeChatClient:
    """A client for the parts of the WeChat API that wxsync uses."""

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (10.0, 60.0),
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_token: Callable[[str], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        register_secret(secret)
        self.appid = appid
        self._secret = secret
        self.base_url = base_url.rstrip("/")
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._on_token = on_token
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._token: str | None = None
        self._token_failure: TokenUnavailableError | None = None
        self._token_expires_at = 0.0
        self._token_lock = threading.RLock()
        self.calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WeChatClient(appid={self.appid!r}, base_url={self.base_url!r})"

    # -- tokens -----------------------------------------------------------------------------

    def access_token(self) -> str:
        """A valid access token, fetched from `stable_token` when the cached one is near expiry."""
        with self._token_lock:
            if self._token is None or self._clock() >= self._token_expires_at:
                return self._fetch_token(force=False)
            return self._token

    def _fetch_token(self, *, force: bool) -> str:
        """A new token; when the token endpoint cannot be reached, every later call fails at once.

        Without a token nothing else can work, and each call would otherwise wait out its own
        retries (a token endpoint that never answers cost 60 s per post).
        """
        if self._token_failure is not None:
            raise self._token_failure
        body = {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self._secret,
            "force_refresh": force,
        }
        try:
            payload = self._call(
                "/cgi-bin/stable_token", json_body=body, auth=False, idempotent=True
            )
        except TransportError as exc:
            self._token_failure = TokenUnavailableError(exc.api, exc.detail)
            raise self._token_failure from None
        token = str(payload.get("access_token", ""))
        if not token:
            raise TransportError("/cgi-bin/stable_token", "answer had no access_token")
        register_secret(token)
        if self._on_token is not None:
            self._on_token(token)
        with _reading("/cgi-bin/stable_token"):
            expires_in = float(payload.get("expires_in", 7200))
        # Renew a little early so a token never expires between fetch and use.
        margin = min(300.0, expires_in / 10)
        self._token = token
        self._token_expires_at = self._clock() + expires_in - margin
        return token

    def _refresh_rejected(self, rejected: str | None) -> None:
        """Replace a token a business call rejected; force only if normal mode hands it back."""
        with self._token_lock:
            if self._token != rejected:
                return  # another thread already replaced it
            token = self._fetch_token(force=False)
            if token == rejected:
                self._fetch_token(force=True)

    # -- the one place HTTP happens -----------------------------------------------------------

    def _call(
        self,
        api: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        params: Mapping[str, str] | None = None,
        auth: bool = True,
        idempotent: bool,
        accept: frozenset[int] = frozenset(),
    ) -> dict[str, Any]:
        """One API call with retries; errcodes in `accept` are answers, not exceptions."""
        deadline = self._clock() + self.retry.total_time
        retries = 0
        token_refreshed = False
        while True:
            token = self.access_token() if auth else None
            try:
                payload = self._send(api, token, json_body, files, params)
            except _NoAnswer as failure:
                if failure.sent and not idempotent:
                    raise AmbiguousResultError(api, failure.detail) from None
                retries = self._backoff_or_raise(api, retries, deadline, failure.detail)
                continue
            code = _errcode(payload)
            if code == 0 or code in accept:
                return payload
            message = str(payload.get("errmsg", ""))
            if auth and code in TOKEN_REJECTED and not token_refreshed:
                log.info("%s: token rejected (%s), refreshing once", api, code)
                token_refreshed = True
                self._refresh_rejected(token)
                continue
            if code in RETRYABLE_CODES:
                error = error_for(code, message, api)
                retries = self._backoff_or_raise(api, retries, deadline, str(error), error)
                continue
            raise error_for(code, message, api)

    def _backoff_or_raise(
        self,
        api: str,
        retries: int,
        deadline: float,
        detail: str,
        error: Exception | None = None,
    ) -> int:
        delay = self.retry.delay(retries, self._rng)
        if retries + 1 >= self.retry.attempts or self._clock() + delay > deadline:
            if error is not None:
                raise error
            raise TransportError(api, f"{detail} (gave up after {retries + 1} attempts)")
        log.warning("%s: %s; retrying in %.1fs", api, redact(detail), delay)
        self._sleep(delay)
        return retries + 1

    def _send(
        self,
        api: str,
        token: str | None,
        json_body: Mapping[str, Any] | None,
        files: Mapping[str, tuple[str, bytes, str]] | None,
        params: Mapping[str, str] | None,
    ) -> dict[str, Any]:
        query = dict(params or {})
        if token is not None:
            query["access_token"] = token
        data: bytes | None = None
        headers: dict[str, str] = {}
        if json_body is not None:
            # WeChat stores \uXXXX escapes literally: send real UTF-8.
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        with self._calls_lock:
            self.calls[api] += 1
        log.debug("POST %s", api)
        try:
            response = self.session.post(
                self.base_url + api,
                params=query,
                data=data,
                files=files,
                headers=headers,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise _NoAnswer(describe_failure(exc), sent=_may_have_been_sent(exc)) from None
        if response.status_code >= 500:
            raise _NoAnswer(f"HTTP {response.status_code} from the API gateway", sent=True)
        if response.status_code != 200:
            raise TransportError(
                api,
                f"HTTP {response.status_code} from {self.base_url}: is the API base URL right?",
            )
        try:
            # WeChat often omits the charset; its JSON is UTF-8 regardless.
            payload = json.loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _NoAnswer("the answer was not JSON", sent=True) from None
        if not isinstance(payload, dict):
            raise _NoAnswer("the answer was not a JSON object", sent=True)
        return payload

    # -- images ---------------------------------------------------------------------------------

    def upload_image(self, data: bytes, filename: str, mime: str) -> str:
        """Upload a body image (JPEG/PNG, < 1 MB) with `media/uploadimg`; returns its URL."""
        payload = self._call(
            "/cgi-bin/media/uploadimg", files={"media": (filename, data, mime)}, idempotent=False
        )
        with _reading("/cgi-bin/media/uploadimg", created=True):
            return _text(payload["url"])

    def add_image_material(self, data: bytes, filename: str, mime: str) -> Material:
        """Add a permanent image material (used as a cover); returns its media_id and URL."""
        payload = self._call(
            "/cgi-bin/material/add_material",
            files={"media": (filename, data, mime)},
            params={"type": "image"},
            idempotent=False,
        )
        with _reading("/cgi-bin/material/add_material", created=True):
            return Material(media_id=_text(payload["media_id"]), url=str(payload.get("url", "")))

    def delete_material(self, media_id: str) -> None:
        self._call(
            "/cgi-bin/material/del_material", json_body={"media_id": media_id}, idempotent=True
        )

    def material_count(self) -> dict[str, int]:
        payload = self._call("/cgi-bin/material/get_materialcount", json_body={}, idempotent=True)
        with _reading("/cgi-bin/material/get_materialcount"):
            return {key: int(value) for key, value in payload.items() if key.endswith("_count")}

    def list_materials(self, offset: int = 0, count: int = 20) -> Page:
        payload = self._call(
            "/cgi-bin/material/batchget_material",
            json_body={"type": "image", "offset": offset, "count": count},
            idempotent=True,
        )
        return _page("/cgi-bin/material/batchget_material", payload)

    # -- drafts ----------------------------------------------------------------------------------

    def add_draft(self, articles: list[Article]) -> str:
        """Create a draft; returns its media_id. Not idempotent: see `AmbiguousResultError`."""
        payload = self._call(
            "/cgi-bin/draft/add",
            json_body={"articles": [a.to_api() for a in articles]},
            idempotent=False,
        )
        with _reading("/cgi-bin/draft/add", created=True):
            return _text(payload["media_id"])

    def get_draft(self, media_id: str) -> list[dict[str, Any]]:
        payload = self._call(
            "/cgi-bin/draft/get", json_body={"media_id": media_id}, idempotent=True
        )
        with _reading("/cgi-bin/draft/get"):
            return _items(payload.get("news_item", []))

    def update_draft(self, media_id: str, index: int, article: Article) -> None:
        self._call(
            "/cgi-bin/draft/update",
            json_body={"media_id": media_id, "index": index, "articles": article.to_api()},
            idempotent=True,
        )

    def delete_draft(self, media_id: str) -> None:
        self._call("/cgi-bin/draft/delete", json_body={"media_id": media_id}, idempotent=True)

    def count_drafts(self) -> int:
        payload = self._call("/cgi-bin/draft/count", json_body={}, idempotent=True)
        with _reading("/cgi-bin/draft/count"):
            return int(payload.get("total_count", 0))

    def list_drafts(self, offset: int = 0, count: int = 20, *, no_content: bool = False) -> Page:
        payload = self._call(
            "/cgi-bin/draft/batchget",
            json_body={"offset": offset, "count": count, "no_content": int(no_content)},
            idempotent=True,
        )
        return _page("/cgi-bin/draft/batchget", payload)

    # -- publishing ------------------------------------------------------------------------------

    def submit_publish(self, media_id: str) -> str:
        """Ask WeChat to publish a draft; returns the publish_id of the (asynchronous) job."""
        payload = self._call(
            "/cgi-bin/freepublish/submit", json_body={"media_id": media_id}, idempotent=False
        )
        with _reading("/cgi-bin/freepublish/submit", created=True):
            return _text(payload["publish_id"])

    def get_publish(self, publish_id: str) -> PublishStatus:
        payload = self._call(
            "/cgi-bin/freepublish/get", json_body={"publish_id": publish_id}, idempotent=True
        )
        with _reading("/cgi-bin/freepublish/get"):
            detail = payload.get("article_detail") or {}
            items = sorted(_items(detail.get("item", [])), key=lambda item: int(item.get("idx", 0)))
            return PublishStatus(
                publish_id=str(payload.get("publish_id", publish_id)),
                status=int(payload.get("publish_status", 1)),
                article_id=str(payload.get("article_id", "") or ""),
                article_urls=tuple(str(item.get("article_url", "")) for item in items),
                fail_idx=tuple(int(i) for i in payload.get("fail_idx", []) or []),
            )

    def get_article(self, article_id: str) -> list[dict[str, Any]]:
        payload = self._call(
            "/cgi-bin/freepublish/getarticle", json_body={"article_id": article_id}, idempotent=True
        )
        with _reading("/cgi-bin/freepublish/getarticle"):
            return _items(payload.get("news_item", []))

    def list_published(self, offset: int = 0, count: int = 20, *, no_content: bool = False) -> Page:
        payload = self._call(
            "/cgi-bin/freepublish/batchget",
            json_body={"offset": offset, "count": count, "no_content": int(no_content)},
            idempotent=True,
        )
        return _page("/cgi-bin/freepublish/batchget", payload)

    def delete_published(self, article_id: str, index: int = 0) -> None:
        self._call(
            "/cgi-bin/freepublish/delete",
            json_body={"article_id": article_id, "index": index},
            idempotent=True,
        )

    # -- mass sending and previews ------------------------------------------------------------------

    def send_all(
        self,
        media_id: str,
        *,
        clientmsgid: str,
        tag_id: int | None = None,
        ignore_reprint: bool = False,
    ) -> MassSend:
        """Mass-send a draft to followers (or to one tag). Not idempotent except through
        `clientmsgid`: repeating one that WeChat already used answers 45065 with the earlier
        msg_id, which this returns as a `MassSend` with `repeated=True`."""
        target: dict[str, Any] = (
            {"is_to_all": True} if tag_id is None else {"is_to_all": False, "tag_id": tag_id}
        )
        payload = self._call(
            "/cgi-bin/message/mass/sendall",
            json_body={
                "filter": target,
                "mpnews": {"media_id": media_id},
                "msgtype": "mpnews",
                "send_ignore_reprint": int(ignore_reprint),
                "clientmsgid": clientmsgid,
            },
            idempotent=False,
            accept=frozenset({CLIENTMSGID_EXISTS}),
        )
        repeated = _errcode(payload) == CLIENTMSGID_EXISTS
        msg_id = str(payload.get("msg_id", "") or "")
        if repeated and not msg_id:
            raise error_for(
                CLIENTMSGID_EXISTS, str(payload.get("errmsg", "")), "/cgi-bin/message/mass/sendall"
            )
        return MassSend(msg_id, repeated)

    def get_mass(self, msg_id: str) -> str:
        """The status of a mass send: SEND_SUCCESS, SENDING, SEND_FAIL or DELETE."""
        payload = self._call(
            "/cgi-bin/message/mass/get", json_body={"msg_id": _number(msg_id)}, idempotent=True
        )
        return str(payload.get("msg_status", ""))

    def delete_mass(self, msg_id: str, article_idx: int = 0) -> None:
        self._call(
            "/cgi-bin/message/mass/delete",
            json_body={"msg_id": _number(msg_id), "article_idx": article_idx},
            idempotent=True,
        )

    def preview(self, media_id: str, *, towxname: str = "", touser: str = "") -> str:
        """Send a draft to one person's WeChat (by WeChat ID, or by openid); returns the msg_id.
        Treated as idempotent: a repeat costs one more preview, never a mass send."""
        who = {"towxname": towxname} if towxname else {"touser": touser}
        payload = self._call(
            "/cgi-bin/message/mass/preview",
            json_body={**who, "mpnews": {"media_id": media_id}, "msgtype": "mpnews"},
            idempotent=True,
        )
        return str(payload.get("msg_id", ""))


def _number(text: str) -> int | str:
    """WeChat's msg_id is a number; send it back as one."""
    return int(text) if text.isdigit() else text


@contextmanager
def _reading(api: str, *, created: bool = False) -> Iterator[None]:
    """Turn an answer missing a field, or holding one of the wrong type, into a clear error.

    For a call that creates something, such an answer leaves open whether it did: that is an
    ambiguous result, which the engine settles against WeChat's lists before trying again.
    """
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        detail = f"the answer was malformed ({type(exc).__name__}: {exc})"
        if created:
            raise AmbiguousResultError(api, detail) from None
        raise TransportError(api, detail) from None


def _text(value: Any) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise TypeError(f"expected an id, got {value!r}")
    return str(value)


def _items(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise TypeError("expected a list of objects")
    return value


def _page(api: str, payload: dict[str, Any]) -> Page:
    with _reading(api):
        return Page(int(payload.get("total_count", 0)), _items(payload.get("item", [])))


def _errcode(payload: Mapping[str, Any]) -> int:
    try:
        return int(payload.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        return -1


def _may_have_been_sent(exc: requests.RequestException) -> bool:
    """False only when the request certainly never reached the server (connect failed)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.ReadTimeout):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)
        name = type(reason).__name__
        return name not in {"NewConnectionError", "ConnectTimeoutError", "NameResolutionError"}
    return True


def describe_failure(exc: requests.RequestException) -> str:
    """A short, URL-free description of a `requests` failure."""
    kind = {
        requests.ConnectTimeout: "connection timed out",
        requests.ReadTimeout: "timed out waiting for the answer",
        requests.exceptions.ProxyError: "the proxy refused or failed",
        requests.exceptions.SSLError: "TLS handshake failed",
    }
    for cls, text in kind.items():
        if isinstance(exc, cls):
            return text
    if isinstance(exc, requests.ConnectionError):
        return "connection failed" if not _may_have_been_sent(exc) else "connection dropped"
    return redact(type(exc).__name__)
