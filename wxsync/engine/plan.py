"""The planner: what to do with each post, and why. Pure: no files, no network, no clock.

`plan(posts, state, settings, now)` compares each post's content hash and front-matter facts
with what the state file says was done last time, and returns one `Action` per post (and per
post that disappeared). The engine carries the actions out; `--dry-run` only prints them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from wxsync.engine.state import INVALID, PUBLISHED, PostRecord, State, blocked_by


class Kind(StrEnum):
    CREATE = "create draft"
    UPDATE = "update draft"
    PUBLISH = "publish"
    RESUME = "resume"  # a publish job is still running: poll it
    RECONCILE = "reconcile"  # a call was interrupted: check WeChat before anything else
    REPUBLISH = "republish"
    NOTHING = "nothing"
    SKIP = "skip"
    WAIT = "wait"
    WARN = "warn"
    INVALID = "invalid"
    DELETE = "delete"
    REMOVED = "removed"
    SEND = "mass-send"


# Kinds that call WeChat when carried out.
API_KINDS = frozenset(
    {
        Kind.CREATE,
        Kind.UPDATE,
        Kind.PUBLISH,
        Kind.RESUME,
        Kind.RECONCILE,
        Kind.REPUBLISH,
        Kind.DELETE,
        Kind.SEND,
    }
)


def passive_status(kind: Kind) -> str:
    """The report status of an action that makes no WeChat call ("pending" for one that does)."""
    return {
        Kind.NOTHING: "unchanged",
        Kind.SKIP: "skipped",
        Kind.WAIT: "waiting",
        Kind.WARN: "warning",
        Kind.INVALID: INVALID,
        Kind.REMOVED: "removed",
    }.get(kind, "pending")


# Writes that wait for the posts they link to (see `waves`).
DEFERRABLE = frozenset({Kind.CREATE, Kind.UPDATE, Kind.REPUBLISH, Kind.PUBLISH})


@dataclass(frozen=True)
class PostFacts:
    """What the planner needs to know about a post as it is now in the repository."""

    path: str
    hash: str
    title: str
    date: dt.datetime | None = None
    skip: bool = False  # `draft: true`
    publish: bool | None = None  # `wechat.publish`, overriding the run's mode
    republish: bool = False
    problems: tuple[str, ...] = ()  # errors that stop the post (`path:line: message`)
    message: str = ""  # `wechat.message`: posts sharing it go out as one message
    position: int | None = None  # `wechat.position`: 1 is the head article
    broadcast: bool | None = None  # `wechat.broadcast`, overriding the run's mode
    parts: int = 1  # articles the post takes; more than one when split into parts


@dataclass(frozen=True)
class PlanSettings:
    mode: str = "draft"  # "draft" | "publish" | "broadcast"
    delete_removed: bool = False
    retry: bool = False  # retry posts whose last failure was permanent, even if unchanged


@dataclass(frozen=True)
class Action:
    kind: Kind
    path: str
    reason: str
    title: str = ""
    publish: bool = False  # after creating/updating the draft, publish it

    @property
    def calls_api(self) -> bool:
        return self.kind in API_KINDS

    def describe(self) -> str:
        label = str(self.kind)
        if self.publish and self.kind in (Kind.CREATE, Kind.UPDATE):
            label += " + publish"
        return label


def plan(
    posts: Iterable[PostFacts], state: State, settings: PlanSettings, now: dt.datetime
) -> list[Action]:
    actions = []
    seen = set()
    for facts in sorted(posts, key=lambda p: p.path):
        seen.add(facts.path)
        actions.append(_plan_post(facts, state.posts.get(facts.path), settings, now))
    for path, record in sorted(state.posts.items()):
        if path not in seen:
            actions.append(_plan_removed(path, record, settings))
    return actions


def _plan_post(
    facts: PostFacts, record: PostRecord | None, settings: PlanSettings, now: dt.datetime
) -> Action:
    def act(kind: Kind, reason: str, publish: bool = False) -> Action:
        return Action(kind, facts.path, reason, facts.title, publish)

    if record is not None and record.intent is not None:
        return act(
            Kind.RECONCILE,
            f"an interrupted {record.intent.op.replace('_', '/')} must be checked first",
        )
    if facts.problems:
        return act(Kind.INVALID, facts.problems[0])
    if facts.skip:
        return act(Kind.SKIP, "`draft: true` in the front matter")
    if facts.date is not None and facts.date > now:
        return act(Kind.WAIT, f"scheduled for {facts.date.isoformat(timespec='minutes')}")
    want_publish = facts.publish if facts.publish is not None else settings.mode == "publish"
    record = record or PostRecord()
    blocked = _blocked(record, facts.hash, settings)

    if record.status == PUBLISHED or record.article_id:
        if facts.hash == record.published_hash:
            return act(Kind.NOTHING, "published, unchanged")
        if facts.republish:
            return act(
                Kind.REPUBLISH,
                "changed since publishing; `wechat.republish` publishes a new article",
                publish=want_publish,
            )
        return act(
            Kind.WARN,
            "changed since publishing, but WeChat cannot edit a published article; set "
            "`wechat: {republish: true}` to publish it again as a new article",
        )
    if record.publish_id:
        # Even if the post changed meanwhile: the running job decides what is on WeChat now.
        return act(Kind.RESUME, "publishing started earlier; checking on it")
    if blocked:
        return act(Kind.NOTHING, blocked)
    if record.draft_media_id:
        if facts.hash != record.draft_hash:
            return act(Kind.UPDATE, "changed since the draft was written", publish=want_publish)
        if want_publish:
            return act(Kind.PUBLISH, "drafted, not yet published")
        return act(Kind.NOTHING, "drafted, unchanged")
    return act(
        Kind.CREATE, "new post" if not record.hash else "not on WeChat yet", publish=want_publish
    )


def _blocked(record: PostRecord, current_hash: str, settings: PlanSettings) -> str:
    """Why an unchanged post that failed for good last time is left alone ("" if it is not)."""
    reason = blocked_by(record.error, settings.mode, settings.retry)
    if not reason or current_hash != record.hash:
        return ""
    return f"failed last time and unchanged since ({reason}); change it or run with --retry"


def _plan_removed(path: str, record: PostRecord, settings: PlanSettings) -> Action:
    on_wechat = bool(record.draft_media_id or record.article_id or record.intent)
    if settings.delete_removed and on_wechat:
        what = "article" if record.article_id else "draft"
        return Action(
            Kind.DELETE, path, f"file removed; deleting its {what} (`delete_removed`)", record.title
        )
    reason = "file removed; its draft/article stays on WeChat" if on_wechat else "file removed"
    return Action(Kind.REMOVED, path, reason, record.title)


def waves(actions: Sequence[Action], links: Mapping[str, Collection[str]]) -> list[list[Action]]:
    """The actions in rounds, so that a post goes out after the posts it links to are published.

    WeChat gives an article its URL only when its publish job ends, so a post that links to a
    post published in this run is written in a later round, once that URL is known. Everything
    else is in the first round. A cycle of links is broken at its first post, whose link then
    goes to the site (or is plain text).
    """
    publishing = {
        a.path
        for a in actions
        if a.kind in (Kind.PUBLISH, Kind.RESUME) or (a.publish and a.kind in DEFERRABLE)
    }
    rounds: list[list[Action]] = []
    done: set[str] = set()
    waiting = list(actions)
    while waiting:
        pending = publishing - done
        ready = [
            a
            for a in waiting
            if a.kind not in DEFERRABLE or not (set(links.get(a.path, ())) - {a.path}) & pending
        ]
        ready = ready or waiting[:1]
        rounds.append(ready)
        done.update(a.path for a in ready)
        waiting = [a for a in waiting if a.path not in done]
    return rounds
