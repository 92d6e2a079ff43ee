"""WeChat errcodes as typed exceptions, each with one line of advice.

WeChat answers failures with HTTP 200 and `{"errcode": N, "errmsg": "..."}`. `error_for` turns
that into the exception class the engine branches on (credentials, IP whitelist, quota,
permission, limits, media) and attaches advice a user can act on. Network-level failures are
`TransportError`; for calls that must not be repeated blindly, a request that was sent but
got no usable answer is `AmbiguousResultError`, so the engine reconciles instead of
duplicating a draft or an article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wxsync.errors import WxsyncError
from wxsync.redact import redact

TOKEN_PATHS = frozenset({"/cgi-bin/token", "/cgi-bin/stable_token"})


class WeChatError(WxsyncError):
    """WeChat refused a call with an errcode."""

    def __init__(self, code: int, message: str, api: str, advice: str, meaning: str) -> None:
        self.code = code
        self.message = redact(message)
        self.api = api
        self.advice = advice
        self.meaning = meaning
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"WeChat error {self.code} ({self.meaning}) on {self.api}"
        if self.message:
            text += f": {self.message}"
        if self.advice:
            text += f" — {self.advice}"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, api={self.api!r})"

    def __reduce__(self) -> tuple[type[WeChatError], tuple[int, str, str, str, str]]:
        return (type(self), (self.code, self.message, self.api, self.advice, self.meaning))


class CredentialError(WeChatError):
    """The appid or AppSecret is wrong, missing or frozen."""


class IPNotWhitelistedError(WeChatError):
    """The caller's IP address is not in the account's API IP whitelist."""

    @property
    def ip(self) -> str | None:
        return ip_from_message(self.message)


class TokenRejectedError(WeChatError):
    """A business call rejected the access token (invalid, expired, missing)."""


class SystemBusyError(WeChatError):
    """WeChat is busy (-1): a transient failure worth retrying."""


class RateLimitedError(WeChatError):
    """A per-minute or frequency limit was hit: wait and retry."""


class QuotaExhaustedError(WeChatError):
    """The daily quota of an API is spent: nothing helps until tomorrow."""


class BroadcastQuotaError(WeChatError):
    """The mass-send quota is spent (45028): the message waits for the next day, not a failure."""


class PermissionDeniedError(WeChatError):
    """The account may not call this API (48001), or the API is banned for it."""


class LimitExceededError(WeChatError):
    """A field or file is over a documented WeChat limit."""


class InvalidMediaError(WeChatError):
    """A media_id (draft, material) does not exist or is not of the right kind."""


class NotFoundError(WeChatError):
    """A publish job or article id is unknown."""


class ContentRejectedError(WeChatError):
    """WeChat refused the article itself (content check, draft not publishable)."""


class InvalidRequestError(WeChatError):
    """The request was malformed: a bug in wxsync rather than in the post."""


class TransportError(WxsyncError):
    """No usable answer from the API after the allowed retries (network, 5xx, non-JSON)."""

    def __init__(self, api: str, detail: str) -> None:
        self.api = api
        self.detail = redact(detail)
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.api}: {self.detail}"

    def __reduce__(self) -> tuple[type[TransportError], tuple[str, str]]:
        return (type(self), (self.api, self.detail))


class TokenUnavailableError(TransportError):
    """The token endpoint gave no usable answer: nothing on the account can work this run."""

    def __str__(self) -> str:
        return (
            f"{self.api}: no access token ({self.detail}); check the network, the proxy and "
            "--api-base, then run again"
        )


class AmbiguousResultError(TransportError):
    """A non-idempotent call was sent but no answer came back: it may or may not have happened.

    Retrying blindly could create a second draft or article, so the client stops here and the
    engine reconciles against WeChat's lists before trying again.
    """

    def __str__(self) -> str:
        return (
            f"{self.api}: sent, but no answer came back ({self.detail}); "
            "it may have succeeded — wxsync will check before repeating it"
        )


_IP_RE = re.compile(r"invalid ip ([0-9A-Fa-f.:]+)")


def ip_from_message(message: str) -> str | None:
    """The caller IP WeChat quotes in a 40164 message: `invalid ip 1.2.3.4 ipv6 ..., not in whitelist`."""
    match = _IP_RE.search(message)
    return match.group(1) if match else None


@dataclass(frozen=True)
class ErrorCode:
    code: int
    cls: type[WeChatError]
    meaning: str
    advice: str


_WHITELIST_ADVICE = (
    "add this IP under 设置与开发 → 基本配置 → IP白名单 (mp.weixin.qq.com), or, since GitHub-hosted "
    "runners change IP every run: route WeChat calls through a fixed-egress proxy (HTTPS_PROXY / "
    "the action's `proxy` input), use a self-hosted runner, or get tokens from your own token service"
)

CODES: dict[int, ErrorCode] = {
    e.code: e
    for e in [
        ErrorCode(-1, SystemBusyError, "system busy", "transient; wxsync retries with backoff"),
        ErrorCode(
            40001,
            TokenRejectedError,
            "invalid credential or access_token",
            "the token was refreshed and the call retried; if this persists, another service may be "
            "force-refreshing the account's token",
        ),
        ErrorCode(40002, InvalidRequestError, "invalid grant_type", "report this as a wxsync bug"),
        ErrorCode(
            40003,
            InvalidRequestError,
            "invalid openid or WeChat ID",
            "check the WeChat IDs in `preview_to` / `--to`: each must follow the account",
        ),
        ErrorCode(40004, InvalidRequestError, "invalid media type", "report this as a wxsync bug"),
        ErrorCode(
            40005,
            LimitExceededError,
            "invalid file type",
            "body images must be JPEG or PNG; covers BMP, PNG, JPEG or GIF",
        ),
        ErrorCode(
            40007,
            InvalidMediaError,
            "invalid media_id",
            "the draft or image material no longer exists (deleted in the WeChat editor?); "
            "wxsync recreates it on the next run",
        ),
        ErrorCode(
            40009,
            LimitExceededError,
            "invalid image size",
            "body images must be under 1 MB; wxsync shrinks them — report the file if you see this",
        ),
        ErrorCode(
            40013,
            CredentialError,
            "invalid appid",
            "check WECHAT_APPID: copy the AppID from 设置与开发 → 基本配置",
        ),
        ErrorCode(
            40014,
            TokenRejectedError,
            "invalid access_token",
            "the token was refreshed and the call retried",
        ),
        ErrorCode(40097, InvalidRequestError, "invalid args", "report this as a wxsync bug"),
        ErrorCode(
            40125,
            CredentialError,
            "invalid appsecret",
            "check WECHAT_APPSECRET: reset or copy the AppSecret under 设置与开发 → 基本配置",
        ),
        ErrorCode(
            40164, IPNotWhitelistedError, "caller IP not in the whitelist", _WHITELIST_ADVICE
        ),
        ErrorCode(
            40243,
            CredentialError,
            "AppSecret frozen",
            "unfreeze the AppSecret under 设置与开发 → 基本配置, then run again",
        ),
        ErrorCode(41001, TokenRejectedError, "access_token missing", "report this as a wxsync bug"),
        ErrorCode(41002, CredentialError, "appid missing", "set WECHAT_APPID"),
        ErrorCode(41004, CredentialError, "appsecret missing", "set WECHAT_APPSECRET"),
        ErrorCode(41005, InvalidRequestError, "media data missing", "report this as a wxsync bug"),
        ErrorCode(
            42001,
            TokenRejectedError,
            "access_token expired",
            "the token was refreshed and the call retried",
        ),
        ErrorCode(44002, InvalidRequestError, "empty POST data", "report this as a wxsync bug"),
        ErrorCode(
            44003, InvalidRequestError, "empty news data", "the draft needs a title and content"
        ),
        ErrorCode(
            44004,
            InvalidRequestError,
            "empty content",
            "the post renders to nothing; add some text",
        ),
        ErrorCode(
            45001,
            LimitExceededError,
            "media file too large",
            "cover images must be at most 10 MB; use a smaller file",
        ),
        ErrorCode(
            45002,
            LimitExceededError,
            "content too long",
            "the article HTML must stay under 20,000 characters and 1 MB: split the post, or use a "
            "lighter theme (`wxsync check` shows the rendered size)",
        ),
        ErrorCode(
            45003,
            LimitExceededError,
            "title too long",
            "shorten the title to 64 characters or fewer",
        ),
        ErrorCode(
            45004,
            LimitExceededError,
            "digest too long",
            "shorten `digest` (or description/summary) to 128 characters or fewer",
        ),
        ErrorCode(
            45005,
            LimitExceededError,
            "field too long",
            "shorten `wechat.source_url` (the read-the-original link) to under 1 KB",
        ),
        ErrorCode(45008, LimitExceededError, "too many articles", "a draft holds 1 to 8 articles"),
        ErrorCode(
            45009,
            QuotaExhaustedError,
            "daily API quota reached",
            "the daily quota for this API is spent; run again tomorrow (the state file keeps your place)",
        ),
        ErrorCode(
            45011,
            RateLimitedError,
            "API minute quota reached",
            "too many calls in a minute; wxsync waits and retries — run again later if it persists",
        ),
        ErrorCode(45047, RateLimitedError, "call frequency limit", "wait a moment and run again"),
        ErrorCode(
            45028,
            BroadcastQuotaError,
            "no mass-send quota left",
            "the account's mass sends for today (or this month) are spent; the message is queued "
            "and the next run sends it",
        ),
        ErrorCode(
            45065,
            InvalidRequestError,
            "clientmsgid already used",
            "this message was already mass-sent; wxsync adopts the earlier send instead of sending "
            "it again",
        ),
        ErrorCode(
            45066,
            RateLimitedError,
            "same clientmsgid retried within a minute",
            "a mass send was repeated too fast; the next run checks whether it went out",
        ),
        ErrorCode(
            45110,
            LimitExceededError,
            "author too long",
            "shorten `author` to 16 characters or fewer",
        ),
        ErrorCode(
            45166,
            ContentRejectedError,
            "invalid content",
            "WeChat rejected the article HTML; run `wxsync check` and report the post if it passes",
        ),
        ErrorCode(47001, InvalidRequestError, "data format error", "report this as a wxsync bug"),
        ErrorCode(
            48001,
            PermissionDeniedError,
            "API unauthorized",
            "the account is not allowed to call this API; check its type and verification status",
        ),
        ErrorCode(
            48004,
            PermissionDeniedError,
            "API banned",
            "the API is banned for this account; see the notice at mp.weixin.qq.com",
        ),
        ErrorCode(
            53503,
            ContentRejectedError,
            "draft failed the publish check",
            "open the draft in the WeChat editor to see what it objects to, fix the post, run again",
        ),
        ErrorCode(
            53504,
            ContentRejectedError,
            "draft must be used on the WeChat website",
            "open the draft once at mp.weixin.qq.com, then run again",
        ),
        ErrorCode(
            53505,
            ContentRejectedError,
            "draft must be saved manually",
            "open the draft at mp.weixin.qq.com and save it, then run again",
        ),
        ErrorCode(53600, NotFoundError, "invalid article_id", "the article no longer exists"),
        ErrorCode(
            89501,
            IPNotWhitelistedError,
            "IP awaiting administrator confirmation",
            "an administrator must confirm this IP in the WeChat notice, then run again",
        ),
        ErrorCode(
            89503,
            IPNotWhitelistedError,
            "IP needs administrator confirmation",
            "an administrator must confirm this IP in the WeChat notice, then run again",
        ),
    ]
}

# Advice that depends on where the code came from, not only on the code.
_CONTEXT_ADVICE: dict[tuple[int, str], tuple[type[WeChatError], str]] = {
    (40001, "/cgi-bin/stable_token"): (
        CredentialError,
        "the AppSecret is wrong: check WECHAT_APPSECRET (reset it under 设置与开发 → 基本配置 if unsure)",
    ),
    (40001, "/cgi-bin/token"): (
        CredentialError,
        "the AppSecret is wrong: check WECHAT_APPSECRET (reset it under 设置与开发 → 基本配置 if unsure)",
    ),
    (48001, "/cgi-bin/message/mass/sendall"): (
        PermissionDeniedError,
        "this account cannot mass-send through the API (only verified accounts can); the drafts "
        "are kept — send them from the WeChat editor, or use `--mode draft`/`publish`",
    ),
    (48001, "/cgi-bin/message/mass/preview"): (
        PermissionDeniedError,
        "this account cannot send previews through the API (only verified accounts can); "
        "preview drafts in the WeChat editor instead",
    ),
    (48001, "/cgi-bin/freepublish/submit"): (
        PermissionDeniedError,
        "this account has no publish permission (personal and unverified accounts lost it in July "
        "2025); drafts still work — the draft is kept, publish it from the WeChat editor or use "
        "`--mode draft`",
    ),
}


def error_for(code: int, message: str, api: str) -> WeChatError:
    """The exception for WeChat's `errcode` on `api`, with advice a user can act on."""
    known = CODES.get(code)
    cls: type[WeChatError] = known.cls if known else WeChatError
    meaning = known.meaning if known else "unknown error"
    advice = known.advice if known else "see WeChat's global return codes for this errcode"
    if (code, api) in _CONTEXT_ADVICE:
        cls, advice = _CONTEXT_ADVICE[(code, api)]
    if cls is IPNotWhitelistedError and code == 40164:
        ip = ip_from_message(message)
        if ip:
            advice = f"WeChat sees this machine as {ip}: {advice}"
    return cls(code, message, api, advice, meaning)
