"""An emulated WeChat Official Account: the API's behaviour, in memory, with no HTTP.

`emulator.py` puts this behind a real HTTP server. Every rule here comes from
`wechat-api.md`: the token semantics of `/cgi-bin/token` and `/cgi-bin/stable_token`, the image
formats and sizes, the draft field limits, publishing as an asynchronous job, and quotas. When
in doubt the emulator is stricter than WeChat, never more lenient: a test that passes here
should pass against the real API.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from wxsync.images.formats import image_type
from wxsync.wechat.filtering import filter_content, visible_text

DEFAULT_APPID = "wx_emulator"
DEFAULT_SECRET = "emulator-secret"  # noqa: S105 - the documented public test credential

TITLE_LIMIT = 64
AUTHOR_LIMIT = 16
DIGEST_LIMIT = 128
DEFAULT_DIGEST_LENGTH = 54
CONTENT_CHAR_LIMIT = 20_000
CONTENT_BYTE_LIMIT = 1_000_000
SOURCE_URL_LIMIT = 1024
UPLOADIMG_LIMIT = 1_000_000
MATERIAL_LIMIT = 10_000_000
MAX_ARTICLES = 8
MAX_PAGE = 20
BEIJING_OFFSET = 8 * 3600


class ApiError(Exception):
    """An errcode answer. `errmsg` gets WeChat's ` rid: ...` suffix when it is sent.

    `extra` holds fields some errors carry besides the code (45065 answers the earlier msg_id).
    """

    def __init__(self, code: int, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra or {}


@dataclass
class EmulatorConfig:
    """Knobs for tests and demos; change them at run time with `POST /__emulator__/config`."""

    appid: str = DEFAULT_APPID
    secret: str = DEFAULT_SECRET
    token_ttl: int = 7200
    # After /cgi-bin/token issues a new token, the previous one keeps working this long.
    token_overlap: int = 300
    force_refresh_per_day: int = 20
    # None: any caller; a list: only these IPs (others get 40164 naming their IP).
    ip_allowlist: list[str] | None = None
    can_publish: bool = True
    # freepublish/get answers "publishing" this many times before the final status...
    publish_polls: int = 1
    # ...and a job finishes by itself this many seconds after submit even if nobody polls.
    publish_seconds: float = 3.0
    # Final status of publish jobs: 0 success, 2 originality check, 3 failure, 4 review.
    publish_outcome: int = 0
    title_limit: int = TITLE_LIMIT
    # Per API path: calls allowed per day (45009) and per minute (45011).
    daily_quota: dict[str, int] = field(
        default_factory=lambda: {"/cgi-bin/token": 2000, "/cgi-bin/stable_token": 500_000}
    )
    minute_quota: dict[str, int] = field(default_factory=lambda: {"/cgi-bin/stable_token": 10_000})
    material_cap: int = 100_000
    # Mass sending: False plays an account without the API (48001 on every message/mass call).
    can_broadcast: bool = True
    # Successful mass sends per day, counted in the account's day (Beijing time); 45028 beyond.
    broadcasts_per_day: int = 1
    # message/mass/get answers SENDING this many times before the final status.
    broadcast_polls: int = 1

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown emulator settings: {', '.join(sorted(unknown))}")
        for name, value in changes.items():
            setattr(self, name, value)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("secret")
        return data


@dataclass
class _Token:
    value: str
    expires_at: float
    invalid_after: float | None = None


@dataclass
class _Job:
    publish_id: int
    media_id: str
    submitted_at: float
    polls_left: int
    outcome: int
    status: int = 1
    article_id: str = ""
    fail_idx: list[int] = field(default_factory=list)


def _rid() -> str:
    return f"{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"


_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{20,512}$")
_CROP = re.compile(r"^(0(\.\d+)?|1(\.0+)?)(_(0(\.\d+)?|1(\.0+)?)){3}$")


class EmulatedAccount:
    """The state of one emulated account and the behaviour of every API call on it.

    Methods named after API paths take the parsed request and return the JSON answer or raise
    `ApiError`. All of them run under one lock: the HTTP server is threaded.
    """

    def __init__(
        self, config: EmulatorConfig | None = None, clock: Callable[[], float] = time.time
    ):
        self.config = config or EmulatorConfig()
        self._clock = clock
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.offset = 0.0
            self.tokens: dict[str, _Token] = {}
            self.stable: _Token | None = None
            self.classic: _Token | None = None
            self.uploads: list[dict[str, Any]] = []
            self.issued_urls: set[str] = set()
            self.materials: dict[str, dict[str, Any]] = {}
            self.drafts: dict[str, dict[str, Any]] = {}
            self.jobs: dict[int, _Job] = {}
            self.published: dict[str, dict[str, Any]] = {}
            self.calls: Counter[str] = Counter()
            self.usage: Counter[tuple[str, str]] = Counter()
            self._next_publish_id = 2247483647
            self.broadcasts: list[dict[str, Any]] = []
            self.previews: list[dict[str, Any]] = []
            self._next_msg_id = 1000000001

    # -- time, quotas, tokens ---------------------------------------------------------------------

    def now(self) -> float:
        return self._clock() + self.offset

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.offset += seconds

    def count_call(self, path: str) -> None:
        """Count a call and enforce the per-day and per-minute quotas of its path."""
        now = self.now()
        day, minute = f"d{int(now // 86400)}", f"m{int(now // 60)}"
        self.calls[path] += 1
        self.usage[(path, day)] += 1
        self.usage[(path, minute)] += 1
        daily = self.config.daily_quota.get(path)
        if daily is not None and self.usage[(path, day)] > daily:
            raise ApiError(45009, "reach max api daily quota limit")
        per_minute = self.config.minute_quota.get(path)
        if per_minute is not None and self.usage[(path, minute)] > per_minute:
            raise ApiError(45011, "api minute-quota reach limit  mustslower  retry next minute")

    def check_ip(self, ip: str) -> None:
        allowed = self.config.ip_allowlist
        if allowed is not None and ip not in allowed:
            raise ApiError(40164, f"invalid ip {ip} ipv6 ::ffff:{ip}, not in whitelist")

    def check_token(self, token: str | None) -> None:
        if not token:
            raise ApiError(41001, "access_token missing")
        if not _TOKEN_SHAPE.match(token):
            raise ApiError(40014, "invalid access_token")
        found = self.tokens.get(token)
        now = self.now()
        if found is None or (found.invalid_after is not None and now >= found.invalid_after):
            raise ApiError(40001, "invalid credential, access_token is invalid or not latest")
        if now >= found.expires_at:
            raise ApiError(42001, "access_token expired")

    def _issue_token(self) -> _Token:
        token = _Token(secrets.token_urlsafe(96), self.now() + self.config.token_ttl)
        self.tokens[token.value] = token
        return token

    def _check_credentials(self, appid: Any, secret: Any, wrong_secret: int) -> None:
        if not appid:
            raise ApiError(41002, "appid missing")
        if not secret:
            raise ApiError(41004, "appsecret missing")
        if appid != self.config.appid:
            raise ApiError(40013, "invalid appid")
        if secret != self.config.secret:
            message = (
                "invalid appsecret"
                if wrong_secret == 40125
                else "invalid credential, access_token is invalid or not latest"
            )
            raise ApiError(wrong_secret, message)

    def token(self, query: dict[str, str]) -> dict[str, Any]:
        """GET /cgi-bin/token: every call issues a new token; the previous one dies after an overlap."""
        if query.get("grant_type") != "client_credential":
            raise ApiError(40002, "invalid grant_type")
        self._check_credentials(query.get("appid"), query.get("secret"), wrong_secret=40001)
        if self.classic is not None:
            self.classic.invalid_after = self.now() + self.config.token_overlap
        self.classic = self._issue_token()
        return {"access_token": self.classic.value, "expires_in": self.config.token_ttl}

    def stable_token(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /cgi-bin/stable_token: the same token while valid; `force_refresh` rotates it."""
        if body.get("grant_type") != "client_credential":
            raise ApiError(40002, "invalid grant_type")
        self._check_credentials(body.get("appid"), body.get("secret"), wrong_secret=40125)
        force = body.get("force_refresh", False)
        if not isinstance(force, bool):
            raise ApiError(40097, "invalid args: force_refresh must be a boolean")
        now = self.now()
        if force:
            day = f"force{int(now // 86400)}"
            self.usage[("/cgi-bin/stable_token", day)] += 1
            if self.usage[("/cgi-bin/stable_token", day)] > self.config.force_refresh_per_day:
                raise ApiError(45009, "reach max api daily quota limit (force_refresh)")
        current = self.stable
        if force or current is None or now >= current.expires_at:
            if current is not None:
                current.invalid_after = now
            current = self.stable = self._issue_token()
        return {"access_token": current.value, "expires_in": int(current.expires_at - now)}

    # -- images ---------------------------------------------------------------------------------

    def _issue_url(self, kind: str, fmt: str) -> str:
        url = f"http://mmbiz.qpic.cn/{kind}_{fmt}/{secrets.token_urlsafe(40)}/0?wx_fmt={fmt}"
        self.issued_urls.add(url)
        return url

    def uploadimg(self, files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        """POST /cgi-bin/media/uploadimg: an image for the article body, JPEG/PNG under 1 MB."""
        if "media" not in files:
            raise ApiError(41005, "media data missing")
        _name, data = files["media"]
        fmt = image_type(data)
        if fmt not in ("jpeg", "png"):
            raise ApiError(40005, "invalid file type")
        if len(data) >= UPLOADIMG_LIMIT:
            raise ApiError(40009, "invalid image size")
        url = self._issue_url("mmbiz", "jpg" if fmt == "jpeg" else "png")
        self.uploads.append(
            {"url": url, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "type": fmt}
        )
        return {"url": url}

    def add_material(
        self, query: dict[str, str], files: dict[str, tuple[str, bytes]]
    ) -> dict[str, Any]:
        """POST /cgi-bin/material/add_material?type=image: a permanent image (used for covers)."""
        if query.get("type") != "image":
            raise ApiError(40004, "invalid media type (the emulator keeps images only)")
        if "media" not in files:
            raise ApiError(41005, "media data missing")
        name, data = files["media"]
        fmt = image_type(data)
        if fmt not in ("jpeg", "png", "gif", "bmp"):
            raise ApiError(40005, "invalid file type")
        if len(data) > MATERIAL_LIMIT:
            raise ApiError(40009, "invalid image size")
        if len(self.materials) >= self.config.material_cap:
            raise ApiError(45009, "reach max material limit")
        media_id = secrets.token_urlsafe(32)
        url = self._issue_url("mmbiz", "jpg" if fmt == "jpeg" else fmt)
        self.materials[media_id] = {
            "media_id": media_id,
            "name": name,
            "url": url,
            "sha256": hashlib.sha256(data).hexdigest(),
            "update_time": int(self.now()),
        }
        return {"media_id": media_id, "url": url}

    def del_material(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.materials.pop(str(body.get("media_id", "")), None) is None:
            raise ApiError(40007, "invalid media_id")
        return {"errcode": 0, "errmsg": "ok"}

    def get_materialcount(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "voice_count": 0,
            "video_count": 0,
            "image_count": len(self.materials),
            "news_count": 0,
        }

    def batchget_material(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("type") != "image":
            raise ApiError(40004, "invalid media type (the emulator keeps images only)")
        offset, count = _page_args(body)
        items = sorted(self.materials.values(), key=lambda m: m["update_time"], reverse=True)
        page = [
            {key: m[key] for key in ("media_id", "name", "update_time", "url")}
            for m in items[offset : offset + count]
        ]
        return {"total_count": len(items), "item_count": len(page), "item": page}

    # -- drafts -------------------------------------------------------------------------------------

    def _image_allowed(self, url: str) -> bool:
        return url in self.issued_urls

    def _validate_article(self, raw: Any, count: int) -> dict[str, Any]:
        """Check one article the way draft/add does, then store it as WeChat would."""
        if not isinstance(raw, dict):
            raise ApiError(47001, "data format error")
        if raw.get("article_type", "news") != "news":
            raise ApiError(40097, "invalid args: the emulator supports news articles only")
        text = {
            name: raw.get(name, "") or ""
            for name in ("title", "author", "digest", "content", "content_source_url")
        }
        if not all(isinstance(value, str) for value in text.values()):
            raise ApiError(47001, "data format error")
        title, author, digest, content = (
            text["title"],
            text["author"],
            text["digest"],
            text["content"],
        )
        checks = [
            (not title, 44003, "empty news data: title missing"),
            (len(title) > self.config.title_limit, 45003, "title size out of limit"),
            (len(author) > AUTHOR_LIMIT, 45110, "author size out of limit"),
            (len(digest) > DIGEST_LIMIT, 45004, "description size out of limit"),
            (not content.strip(), 44004, "empty content"),
            (
                len(content) >= CONTENT_CHAR_LIMIT
                or len(content.encode("utf-8")) >= CONTENT_BYTE_LIMIT,
                45002,
                "content size out of limit",
            ),
            (
                len(text["content_source_url"].encode("utf-8")) > SOURCE_URL_LIMIT,
                45005,
                "content_source_url size out of limit",
            ),
        ]
        checks += [
            (raw.get(flag, 0) not in (0, 1), 40097, f"invalid args: {flag} must be 0 or 1")
            for flag in ("need_open_comment", "only_fans_can_comment")
        ]
        checks += [
            (
                not _valid_crop(raw.get(crop, "")),
                40097,
                f"invalid args: {crop} must look like X1_Y1_X2_Y2",
            )
            for crop in ("pic_crop_235_1", "pic_crop_1_1")
        ]
        checks.append((raw.get("thumb_media_id") not in self.materials, 40007, "invalid media_id"))
        for failed, code, message in checks:
            if failed:
                raise ApiError(code, message)
        thumb = str(raw["thumb_media_id"])
        source_url = text["content_source_url"]
        stored = filter_content(content, self._image_allowed)
        if count > 1:
            digest = ""  # WeChat keeps digests for single-article drafts only
        elif not digest:
            digest = visible_text(stored)[:DEFAULT_DIGEST_LENGTH]
        return {
            "article_type": "news",
            "title": title,
            "author": author,
            "digest": digest,
            "content": stored,
            "content_source_url": source_url,
            "thumb_media_id": thumb,
            "thumb_url": self.materials[thumb]["url"],
            "need_open_comment": raw.get("need_open_comment", 0),
            "only_fans_can_comment": raw.get("only_fans_can_comment", 0),
            "pic_crop_235_1": raw.get("pic_crop_235_1", ""),
            "pic_crop_1_1": raw.get("pic_crop_1_1", ""),
        }

    def draft_add(self, body: dict[str, Any]) -> dict[str, Any]:
        articles = body.get("articles")
        if not isinstance(articles, list) or not articles:
            raise ApiError(44003, "empty news data")
        if len(articles) > MAX_ARTICLES:
            raise ApiError(45008, "article size out of limit")
        stored = [self._validate_article(a, len(articles)) for a in articles]
        media_id = secrets.token_urlsafe(32)
        now = int(self.now())
        for index, article in enumerate(stored):
            article["url"] = _draft_url(media_id, index)
        self.drafts[media_id] = {
            "media_id": media_id,
            "articles": stored,
            "create_time": now,
            "update_time": now,
        }
        return {"media_id": media_id}

    def _draft(self, body: dict[str, Any]) -> dict[str, Any]:
        draft = self.drafts.get(str(body.get("media_id", "")))
        if draft is None:
            raise ApiError(40007, "invalid media_id")
        return draft

    def draft_get(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"news_item": [dict(a) for a in self._draft(body)["articles"]]}

    def draft_update(self, body: dict[str, Any]) -> dict[str, Any]:
        draft = self._draft(body)
        index = body.get("index")
        if not isinstance(index, int) or not 0 <= index < len(draft["articles"]):
            raise ApiError(40097, "invalid args: index")
        article = self._validate_article(body.get("articles"), len(draft["articles"]))
        article["url"] = _draft_url(draft["media_id"], index)
        draft["articles"][index] = article
        draft["update_time"] = int(self.now())
        return {"errcode": 0, "errmsg": "ok"}

    def draft_delete(self, body: dict[str, Any]) -> dict[str, Any]:
        self.drafts.pop(self._draft(body)["media_id"])
        return {"errcode": 0, "errmsg": "ok"}

    def draft_count(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"total_count": len(self.drafts)}

    def draft_batchget(self, body: dict[str, Any]) -> dict[str, Any]:
        offset, count = _page_args(body)
        no_content = bool(body.get("no_content", 0))
        drafts = sorted(self.drafts.values(), key=lambda d: d["update_time"], reverse=True)
        page = [
            {
                "media_id": d["media_id"],
                "content": {"news_item": [_listed(a, no_content) for a in d["articles"]]},
                "update_time": d["update_time"],
            }
            for d in drafts[offset : offset + count]
        ]
        return {"total_count": len(drafts), "item_count": len(page), "item": page}

    # -- publishing ---------------------------------------------------------------------------------

    def freepublish_submit(self, body: dict[str, Any]) -> dict[str, Any]:
        draft = self._draft(body)
        publish_id = self._next_publish_id
        self._next_publish_id += 1
        self.jobs[publish_id] = _Job(
            publish_id=publish_id,
            media_id=draft["media_id"],
            submitted_at=self.now(),
            polls_left=max(0, self.config.publish_polls),
            outcome=self.config.publish_outcome,
        )
        # WeChat answers publish_id and msg_data_id as numbers, not strings.
        return {"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": publish_id}

    def settle_jobs(self) -> None:
        """Finish jobs whose time has come even if nobody polls (a client that died mid-way)."""
        now = self.now()
        for job in self.jobs.values():
            if job.status == 1 and now >= job.submitted_at + self.config.publish_seconds:
                self._finish(job)

    def _finish(self, job: _Job) -> None:
        draft = self.drafts.get(job.media_id)
        if draft is None:  # deleted while publishing
            job.status, job.fail_idx = 3, []
            return
        job.status = job.outcome
        if job.outcome != 0:
            job.fail_idx = (
                list(range(1, len(draft["articles"]) + 1)) if job.outcome in (2, 4) else []
            )
            return
        article_id = secrets.token_urlsafe(32)
        articles = []
        for article in draft["articles"]:
            published = dict(article)
            published["url"] = f"https://mp.weixin.qq.com/s/{secrets.token_urlsafe(16)}"
            published["is_deleted"] = False
            articles.append(published)
        job.article_id = article_id
        self.published[article_id] = {
            "article_id": article_id,
            "publish_id": job.publish_id,
            "articles": articles,
            "update_time": int(self.now()),
        }
        del self.drafts[job.media_id]  # a published draft leaves the draft box

    def freepublish_get(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            job = self.jobs[int(body.get("publish_id", -1))]
        except (TypeError, ValueError, KeyError):
            raise ApiError(40097, "invalid args: publish_id") from None
        if job.status == 1:
            if job.polls_left > 0:
                job.polls_left -= 1
            else:
                self._finish(job)
        answer: dict[str, Any] = {"publish_id": job.publish_id, "publish_status": job.status}
        if job.status in (0, 5, 6):
            article = self.published.get(job.article_id)
            if job.status == 0 and article is None:
                job.status = answer["publish_status"] = 5
            items = article["articles"] if article else []
            answer["article_id"] = job.article_id
            answer["article_detail"] = {
                "count": len(items),
                "item": [{"idx": i + 1, "article_url": a["url"]} for i, a in enumerate(items)],
            }
        if job.status != 1:
            answer["fail_idx"] = job.fail_idx
        return answer

    def _article(self, body: dict[str, Any]) -> dict[str, Any]:
        article = self.published.get(str(body.get("article_id", "")))
        if article is None:
            raise ApiError(53600, "Article ID invalid")
        return article

    def freepublish_getarticle(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"news_item": [dict(a) for a in self._article(body)["articles"]]}

    def freepublish_delete(self, body: dict[str, Any]) -> dict[str, Any]:
        article = self._article(body)
        index = body.get("index", 0)
        if not isinstance(index, int) or not 0 <= index <= len(article["articles"]):
            raise ApiError(40097, "invalid args: index")
        if index:
            article["articles"][index - 1]["is_deleted"] = True
        if index == 0 or all(a["is_deleted"] for a in article["articles"]):
            del self.published[article["article_id"]]
        return {"errcode": 0, "errmsg": "ok"}

    def freepublish_batchget(self, body: dict[str, Any]) -> dict[str, Any]:
        offset, count = _page_args(body)
        no_content = bool(body.get("no_content", 0))
        items = sorted(self.published.values(), key=lambda a: a["update_time"], reverse=True)
        page = [
            {
                "article_id": a["article_id"],
                "content": {"news_item": [_listed(x, no_content) for x in a["articles"]]},
                "update_time": a["update_time"],
            }
            for a in items[offset : offset + count]
        ]
        return {"total_count": len(items), "item_count": len(page), "item": page}

    # -- mass sending and previews ----------------------------------------------------------------

    def _account_day(self) -> int:
        """The account's calendar day: WeChat counts the mass-send quota in Beijing time."""
        return int((self.now() + BEIJING_OFFSET) // 86400)

    def _mpnews_draft(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("msgtype") != "mpnews":
            raise ApiError(40097, "invalid args: msgtype must be mpnews")
        mpnews = body.get("mpnews")
        if not isinstance(mpnews, dict):
            raise ApiError(40097, "invalid args: mpnews")
        return self._draft(mpnews)

    def mass_sendall(self, body: dict[str, Any]) -> dict[str, Any]:
        """message/mass/sendall: mass-send a draft; `clientmsgid` makes a repeat harmless."""
        clientmsgid = body.get("clientmsgid")
        if clientmsgid is not None and (not isinstance(clientmsgid, str) or len(clientmsgid) > 64):
            raise ApiError(40097, "invalid args: clientmsgid must be a string of at most 64 chars")
        earlier = next(
            (b for b in self.broadcasts if clientmsgid and b["clientmsgid"] == clientmsgid), None
        )
        if earlier is not None:
            if self.now() - earlier["sent_at"] < 60:
                raise ApiError(45066, "same clientmsgid retry too fast")
            raise ApiError(45065, "clientmsgid exist", {"msg_id": earlier["msg_id"]})
        target = body.get("filter")
        if not isinstance(target, dict) or not isinstance(target.get("is_to_all"), bool):
            raise ApiError(40097, "invalid args: filter.is_to_all")
        if not target["is_to_all"] and not isinstance(target.get("tag_id"), int):
            raise ApiError(40097, "invalid args: filter.tag_id")
        if body.get("send_ignore_reprint", 0) not in (0, 1):
            raise ApiError(40097, "invalid args: send_ignore_reprint must be 0 or 1")
        draft = self._mpnews_draft(body)
        day = self._account_day()
        sent_today = sum(1 for b in self.broadcasts if b["day"] == day)
        if sent_today >= self.config.broadcasts_per_day:
            raise ApiError(45028, "has no masssend quota")
        msg_id = self._next_msg_id
        self._next_msg_id += 1
        self.broadcasts.append(
            {
                "msg_id": msg_id,
                "media_id": draft["media_id"],
                "clientmsgid": clientmsgid or "",
                "titles": [a["title"] for a in draft["articles"]],
                "status": "SENDING",
                "tag_id": None if target["is_to_all"] else target["tag_id"],
                "send_ignore_reprint": body.get("send_ignore_reprint", 0),
                "sent_at": self.now(),
                "day": day,
                "polls_left": max(0, self.config.broadcast_polls),
            }
        )
        del self.drafts[draft["media_id"]]  # a mass-sent draft leaves the draft box
        return {
            "errcode": 0,
            "errmsg": "send job submission success",
            "msg_id": msg_id,
            "msg_data_id": msg_id,
        }

    def _broadcast(self, body: dict[str, Any]) -> dict[str, Any]:
        msg_id = body.get("msg_id")
        found = next((b for b in self.broadcasts if b["msg_id"] == msg_id), None)
        if found is None:
            raise ApiError(40097, "invalid args: msg_id")
        return found

    def mass_get(self, body: dict[str, Any]) -> dict[str, Any]:
        sent = self._broadcast(body)
        if sent["status"] == "SENDING":
            if sent["polls_left"] > 0:
                sent["polls_left"] -= 1
            else:
                sent["status"] = "SEND_SUCCESS"
        return {"msg_id": sent["msg_id"], "msg_status": sent["status"]}

    def mass_delete(self, body: dict[str, Any]) -> dict[str, Any]:
        sent = self._broadcast(body)
        index = body.get("article_idx", 0)
        if not isinstance(index, int) or not 0 <= index <= len(sent["titles"]):
            raise ApiError(40097, "invalid args: article_idx")
        if index == 0:
            sent["status"] = "DELETE"
        return {"errcode": 0, "errmsg": "ok"}

    def mass_preview(self, body: dict[str, Any]) -> dict[str, Any]:
        """message/mass/preview: one draft to one person's WeChat (towxname or touser)."""
        towxname, touser = body.get("towxname"), body.get("touser")
        if not (isinstance(towxname, str) and towxname) and not (
            isinstance(touser, str) and touser
        ):
            raise ApiError(40003, "invalid openid")
        draft = self._mpnews_draft(body)
        msg_id = self._next_msg_id
        self._next_msg_id += 1
        who = {"towxname": towxname} if towxname else {"touser": touser}
        self.previews.append(
            {
                **who,
                "media_id": draft["media_id"],
                "titles": [a["title"] for a in draft["articles"]],
            }
        )
        return {"errcode": 0, "errmsg": "preview success", "msg_id": msg_id}

    # -- inspection ----------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What `GET /__emulator__/state` shows: the account's library, boxes and call counts."""
        return {
            "materials": [
                {key: m[key] for key in ("media_id", "name", "url", "sha256", "update_time")}
                for m in self.materials.values()
            ],
            "uploads": list(self.uploads),
            "drafts": [
                {
                    "media_id": d["media_id"],
                    "titles": [a["title"] for a in d["articles"]],
                    "articles": [dict(a) for a in d["articles"]],
                    "update_time": d["update_time"],
                }
                for d in self.drafts.values()
            ],
            "published": [
                {
                    "article_id": a["article_id"],
                    "publish_id": a["publish_id"],
                    "titles": [x["title"] for x in a["articles"]],
                    "urls": [x["url"] for x in a["articles"]],
                    "update_time": a["update_time"],
                }
                for a in self.published.values()
            ],
            "jobs": [
                {"publish_id": j.publish_id, "media_id": j.media_id, "status": j.status}
                for j in self.jobs.values()
            ],
            "broadcasts": [
                {key: b[key] for key in ("msg_id", "media_id", "clientmsgid", "titles", "status")}
                for b in self.broadcasts
            ],
            "previews": [dict(p) for p in self.previews],
            "calls": dict(self.calls),
            "config": self.config.public(),
            "time": self.now(),
        }


def _valid_crop(value: Any) -> bool:
    return not value or (isinstance(value, str) and _CROP.match(value) is not None)


def _page_args(body: dict[str, Any]) -> tuple[int, int]:
    offset, count = body.get("offset", 0), body.get("count")
    if not isinstance(offset, int) or offset < 0:
        raise ApiError(40097, "invalid args: offset")
    if not isinstance(count, int) or not 1 <= count <= MAX_PAGE:
        raise ApiError(40097, "invalid args: count must be 1 to 20")
    return offset, count


def _listed(article: dict[str, Any], no_content: bool) -> dict[str, Any]:
    item = dict(article)
    if no_content:
        item.pop("content", None)
    return item


def _draft_url(media_id: str, index: int) -> str:
    digest = hashlib.sha1(f"{media_id}/{index}".encode(), usedforsecurity=False).hexdigest()
    return f"https://mp.weixin.qq.com/s?__biz=MzEmulator==&mid={media_id[:10]}&idx={index + 1}&sn={digest}#rd"
