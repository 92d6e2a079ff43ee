"""`wxsync doctor`: tell the user, before they push anything, what is wrong and how to fix it.

Each check is one line: ✓ or ✗, what was found, and for ✗ the fix. The checks only read: the
stable token in normal mode (which never invalidates a token another service holds),
`draft/count`, `freepublish/batchget` with `count: 1`, `get_materialcount`. Nothing on the
account is created, changed or deleted. A check that cannot run because an earlier one failed
says so instead of guessing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from wxsync.config import DEFAULT_API_BASE, Settings
from wxsync.errors import WxsyncError

if TYPE_CHECKING:
    from wxsync.wechat.client import WeChatClient

MATERIAL_CAP = 100_000
WHITELIST_PLACE = "mp.weixin.qq.com → 设置与开发 → 基本配置 → IP白名单 (Settings and Development → Basic Configuration → IP whitelist)"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    skipped: bool = False

    def line(self) -> str:
        mark = "–" if self.skipped else ("✓" if self.ok else "✗")
        text = f"{mark} {self.name}: {self.detail}"
        return text + (f"\n    fix: {self.fix}" if self.fix else "")


class Doctor:
    """Runs the checks in order; later ones use what earlier ones found."""

    def __init__(
        self,
        settings: Settings,
        environ: Mapping[str, str],
        client_factory: Callable[[], WeChatClient] | None = None,
    ) -> None:
        self.settings = settings
        self.environ = environ
        self.client_factory = client_factory
        self.checks: list[Check] = []

    def run(self) -> list[Check]:
        self._site()
        credentials = self._credentials()
        reachable = self._reachable()
        client = self._client() if credentials and reachable else None
        if client is not None and self._token(client):
            self._drafts(client)
            self._publishing(client)
            self._materials(client)
        else:
            reason = "no credentials" if not credentials else "the API is not reachable"
            if client is None:
                self.skip("access token", reason)
                self.skip("IP whitelist", reason)
            for name in ("draft permission", "publish permission", "image materials"):
                self.skip(name, "no token")
        self._state()
        return self.checks

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str, fix: str = "", skipped: bool = False) -> bool:
        self.checks.append(Check(name, ok, detail, fix, skipped))
        return ok

    def skip(self, name: str, because: str) -> None:
        self.add(name, False, f"not checked: {because}", skipped=True)

    # -- the checks ---------------------------------------------------------------------------------

    def _site(self) -> None:
        """What kind of repository this is: informational, so it always passes."""
        from wxsync.site import detect

        site = detect(self.settings.root, self.settings.site)
        self.add("site", True, site.describe().removeprefix("site: "))

    def _credentials(self) -> bool:
        appid, secret = self.settings.appid, self.settings.secret
        missing = [
            name
            for name, value in (("WECHAT_APPID", appid), ("WECHAT_APPSECRET", secret))
            if not value
        ]
        if missing:
            return self.add(
                "credentials",
                False,
                f"{' and '.join(missing)} not set",
                "export "
                + " and ".join(missing)
                + " (the AppID may also be `appid:` in wxsync.yml; the "
                "AppSecret only ever comes from the environment — on GitHub, repository secrets passed "
                "to the action). Both are under mp.weixin.qq.com → 设置与开发 → 基本配置",
            )
        source = "environment" if self.environ.get("WECHAT_APPID") else "wxsync.yml"
        return self.add(
            "credentials",
            True,
            f"AppID {appid} (from the {source}); AppSecret set (from WECHAT_APPSECRET)",
        )

    def _reachable(self) -> bool:
        import requests

        base = self.settings.api_base
        # The environment's proxy (HTTPS_PROXY) applies when the `proxy` setting is empty.
        proxy = self.settings.proxy or requests.utils.get_environ_proxies(base).get(
            urlsplit(base).scheme, ""
        )
        via = f"through the proxy {_hide_password(proxy)}" if proxy else "directly (no proxy)"
        from wxsync.engine.sync import wechat_session

        session = wechat_session(self.settings)  # exactly as `sync` will call WeChat
        try:
            session.get(base, timeout=(5, 10))
        except requests.RequestException as exc:
            from wxsync.wechat.client import describe_failure

            return self.add(
                "API reachable",
                False,
                f"{base} {via}: {describe_failure(exc)}",
                "check the network and the proxy (`proxy` in wxsync.yml, WXSYNC_PROXY, or HTTPS_PROXY)"
                + (
                    ""
                    if base == DEFAULT_API_BASE
                    else "; is `wxsync emulator` running at that address?"
                ),
            )
        return self.add("API reachable", True, f"{base} {via}")

    def _client(self) -> WeChatClient:
        if self.client_factory is not None:
            return self.client_factory()
        from wxsync.engine.sync import make_client

        return make_client(self.settings)

    def _token(self, client: WeChatClient) -> bool:
        from wxsync.wechat.errors import CredentialError, IPNotWhitelistedError

        try:
            client.access_token()
        except IPNotWhitelistedError as error:
            self.add(
                "access token",
                False,
                f"WeChat refused this machine's IP (errcode {error.code})",
                "see the IP whitelist line",
            )
            ip = error.ip or "this machine's address"
            self.add(
                "IP whitelist",
                False,
                f"WeChat sees this machine as {ip}, which is not whitelisted",
                f"add {ip} at {WHITELIST_PLACE}; on GitHub-hosted runners the IP changes every run: use "
                "the action's `proxy` input (a fixed-egress proxy whose IP you whitelist), a "
                "self-hosted runner, or tokens from your own token service",
            )
            return False
        except CredentialError as error:
            which = "AppID" if error.code in (40013, 41002) else "AppSecret"
            self.add(
                "access token",
                False,
                f"WeChat says the {which} is wrong (errcode {error.code})",
                error.advice,
            )
            self.skip("IP whitelist", "no token")
            return False
        except WxsyncError as error:
            self.add(
                "access token",
                False,
                str(error),
                "run again later; if it persists, check the API base URL",
            )
            self.skip("IP whitelist", "no token")
            return False
        self.add(
            "access token",
            True,
            "stable_token answered (normal mode: no other service's token was touched)",
        )
        self.add("IP whitelist", True, "this machine's IP is accepted")
        return True

    def _drafts(self, client: WeChatClient) -> None:
        try:
            count = client.count_drafts()
        except WxsyncError as error:
            self.add("draft permission", False, str(error), getattr(error, "advice", ""))
            return
        self.add("draft permission", True, f"draft/count works ({count} drafts in the draft box)")

    def _publishing(self, client: WeChatClient) -> None:
        from wxsync.wechat.errors import PermissionDeniedError

        try:
            page = client.list_published(0, 1, no_content=True)
        except PermissionDeniedError as error:
            self.add(
                "publish permission",
                False,
                f"the account may not publish through the API (errcode {error.code})",
                "personal and unverified accounts lost publishing in July 2025: use `mode: draft` "
                "and publish the drafts from the WeChat editor, or verify the account",
            )
            return
        except WxsyncError as error:
            self.add("publish permission", False, str(error), getattr(error, "advice", ""))
            return
        self.add(
            "publish permission",
            True,
            f"freepublish/batchget works ({page.total_count} published articles)",
        )

    def _materials(self, client: WeChatClient) -> None:
        try:
            count = client.material_count().get("image_count", 0)
        except WxsyncError as error:
            self.add("image materials", False, str(error), getattr(error, "advice", ""))
            return
        share = count / MATERIAL_CAP
        detail = f"{count:,} of {MATERIAL_CAP:,} permanent images used ({share:.0%})"
        if share >= 0.9:
            self.add(
                "image materials",
                False,
                detail,
                "delete unused images in the material library: each post's cover is one",
            )
        else:
            self.add("image materials", True, detail)

    def _state(self) -> None:
        from wxsync.engine.sources import SourceIndex
        from wxsync.engine.state import SCHEMA_VERSION, StateError, load

        path = self.settings.state_path
        shown = (
            path.relative_to(self.settings.root)
            if path.is_relative_to(self.settings.root)
            else path
        )
        if not path.exists():
            self.add("state file", True, f"{shown} does not exist yet (the first sync creates it)")
            return
        try:
            state = load(path)
        except StateError as error:
            self.add("state file", False, str(error), "restore it from git; do not delete it")
            return
        self.add(
            "state file",
            True,
            f"{shown}: schema {SCHEMA_VERSION}, {len(state.posts)} posts, {len(state.images)} images",
        )
        index = SourceIndex.build(self.settings.root)
        existing = set(index.posts(*self.settings.content_dirs))
        gone = sorted(
            p
            for p, r in state.posts.items()
            if p not in existing and (r.draft_media_id or r.article_id)
        )
        if gone:
            self.add(
                "posts named in the state file",
                False,
                f"{len(gone)} no longer exist: {', '.join(gone[:5])}"
                + (" …" if len(gone) > 5 else ""),
                "restore them; or, if deleted on purpose, set `delete_removed: true` so the next sync "
                "deletes their drafts/articles, or leave them (their articles stay online)",
            )
        else:
            self.add("posts named in the state file", True, "every post it names exists")
        intents = state.intents()
        if intents:
            names = ", ".join(
                f"{r.intent.op.replace('_', '/')} for {p}" for p, r in intents if r.intent
            )
            self.add(
                "interrupted calls",
                False,
                f"{len(intents)} not yet reconciled ({names})",
                "run `wxsync sync`: it checks WeChat first and finishes them without duplicates",
            )
        else:
            self.add("interrupted calls", True, "none")


def report_text(checks: list[Check], base_url: str) -> str:
    lines = [f"wxsync doctor — {base_url}"] + [c.line() for c in checks]
    failed = sum(1 for c in checks if not c.ok and not c.skipped)
    skipped = sum(1 for c in checks if c.skipped)
    if not failed and not skipped:
        lines.append("all checks passed")
    else:
        lines.append(f"{failed} failed" + (f", {skipped} not checked" if skipped else ""))
    return "\n".join(lines)


def report_json(checks: list[Check]) -> str:
    return json.dumps(
        {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]},
        ensure_ascii=False,
        indent=2,
    )


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
