"""Which posts go out together, and what to do with each message. Pure: no files, no network.

A WeChat push is a message of up to eight articles. Posts sharing `wechat.message` form one,
ordered by `wechat.position` (1 is the head article), then date, then path. A post split into
parts is a message of its own parts, and so is a post that is mass-sent on its own. Every
other post stays on the one-post path of `plan.py`; `group` says which is which.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from wxsync.engine.parts import MAX_PARTS
from wxsync.engine.plan import Kind, PostFacts
from wxsync.engine.state import SENDING, MessageRecord, blocked_by

MAX_ARTICLES = MAX_PARTS  # a message holds 1 to 8 articles
LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)  # the date of an undated message, for ordering
# What a message's actions call WeChat for (`plan_message` returns no other API kind).
MESSAGE_API_KINDS = frozenset(
    {Kind.CREATE, Kind.UPDATE, Kind.PUBLISH, Kind.SEND, Kind.RESUME, Kind.RECONCILE}
)


@dataclass(frozen=True)
class Message:
    key: str  # `wechat.message`, or the post's path for a post on its own
    posts: tuple[PostFacts, ...]  # head article's post first
    broadcast: bool

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.posts]

    @property
    def parts(self) -> list[int]:
        return [p.parts for p in self.posts]

    @property
    def articles(self) -> int:
        return sum(self.parts)

    @property
    def hash(self) -> str:
        """The message's content version: its posts, their order and their content."""
        text = "\n".join(f"{p.path} {p.hash}" for p in self.posts)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def date(self) -> dt.datetime | None:
        dates = [p.date for p in self.posts if p.date is not None]
        return max(dates) if dates else None

    def index_of(self, path: str) -> int:
        """The 0-based index of the post's first article in the draft."""
        index = 0
        for post in self.posts:
            if post.path == path:
                return index
            index += post.parts
        raise KeyError(path)

    def clientmsgid(self) -> str:
        """WeChat's idempotency key for mass-sending this version of the message (≤ 64 chars).

        Derived from what is sent, so a rerun after a lost answer repeats the same key and
        WeChat answers 45065 instead of sending twice, while an edited message gets a new one.
        """
        digest = hashlib.sha256(f"{self.key}\n{self.hash}".encode()).hexdigest()
        return f"wxsync-{digest[:48]}"


@dataclass(frozen=True)
class MessageAction:
    kind: Kind
    key: str
    reason: str
    updates: tuple[str, ...] = ()  # for UPDATE: the posts whose articles change
    publish: bool = False  # after writing the draft, publish it
    send: bool = False  # after writing the draft, mass-send it


def order_key(post: PostFacts) -> tuple[int, dt.datetime, str]:
    return (
        post.position if post.position is not None else MAX_ARTICLES + 1,
        post.date or LATEST,
        post.path,
    )


def group(posts: Iterable[PostFacts], mode: str) -> tuple[list[Message], list[PostFacts]]:
    """Messages that need the message path, and the posts that stay on the one-post path."""
    keyed: dict[str, list[PostFacts]] = {}
    singles: list[PostFacts] = []
    for post in posts:
        if post.skip:
            singles.append(post)
        elif post.message:
            keyed.setdefault(post.message, []).append(post)
        elif post.parts > 1 or _broadcast([post], mode):
            keyed.setdefault(post.path, []).append(post)
        else:
            singles.append(post)
    messages = [
        Message(key, tuple(sorted(members, key=order_key)), _broadcast(members, mode))
        for key, members in sorted(keyed.items())
    ]
    return messages, singles


def _broadcast(posts: list[PostFacts], mode: str) -> bool:
    """`wechat.broadcast` of the first post that sets it, else whether the run mass-sends."""
    for post in sorted(posts, key=order_key):
        if post.broadcast is not None:
            return post.broadcast
    return mode == "broadcast"


def too_many(message: Message) -> str:
    """Why a message cannot be one WeChat message ("" if it can)."""
    if message.articles <= MAX_ARTICLES:
        return ""
    names = ", ".join(message.paths)
    return (
        f"message `{message.key}` has {message.articles} articles ({names}); a WeChat message "
        f"holds at most {MAX_ARTICLES}: move some posts to another `wechat.message`"
    )


def plan_message(
    message: Message,
    record: MessageRecord | None,
    mode: str,
    now: dt.datetime,
    *,
    retry: bool = False,
) -> MessageAction:
    """What to do with one message, given what its record says was done last time."""
    key = message.key

    head = message.posts[0]
    send = message.broadcast
    publish = not send and (head.publish if head.publish is not None else mode == "publish")

    def act(kind: Kind, reason: str, updates: tuple[str, ...] = ()) -> MessageAction:
        return MessageAction(kind, key, reason, updates, publish, send)

    record = record or MessageRecord()
    if record.intent is not None:
        if record.intent.op == "sendall":
            return act(Kind.SEND, "an interrupted mass send is repeated with its clientmsgid")
        return act(Kind.RECONCILE, f"an interrupted {record.intent.op} must be checked first")
    bad = [p for p in message.posts if p.problems]
    if bad:
        return act(Kind.INVALID, bad[0].problems[0])
    crowded = too_many(message)
    if crowded:
        return act(Kind.INVALID, crowded)
    date = message.date
    if date is not None and date > now:
        return act(Kind.WAIT, f"scheduled for {date.isoformat(timespec='minutes')}")
    finished = _finished(message, record)
    if finished is not None:
        return act(*finished)
    if record.publish_id:
        return act(Kind.RESUME, "publishing started earlier; checking on it")
    same_layout = record.posts == message.paths and record.parts == message.parts
    blocked = _blocked(message, record, mode, retry)
    if blocked:
        return act(Kind.NOTHING, blocked)
    if record.media_id and same_layout:
        changed = tuple(
            p.path
            for p, drafted in zip(message.posts, record.hashes, strict=False)
            if p.hash != drafted
        )
        if changed:
            return act(Kind.UPDATE, "changed since the draft was written", changed)
        if send:
            return act(Kind.SEND, "drafted, not yet mass-sent")
        if publish:
            return act(Kind.PUBLISH, "drafted, not yet published")
        return act(Kind.NOTHING, "drafted, unchanged")
    reason = (
        "its posts or their order changed; the draft is replaced"
        if record.media_id
        else "new message"
    )
    return act(Kind.CREATE, reason)


def _finished(message: Message, record: MessageRecord) -> tuple[Kind, str] | None:
    """For a message already sent or published: what is left to do (None if it is neither)."""
    if record.msg_id:
        if record.sent_hash != message.hash:
            return (
                Kind.WARN,
                "changed since it was mass-sent; a sent message cannot be edited — give the "
                "changes a new `wechat.message` to send them again",
            )
        if record.status == SENDING:
            return Kind.RESUME, "mass send handed to WeChat; checking on it"
        return Kind.NOTHING, "mass-sent, unchanged"
    if record.article_id:
        if record.hashes == [p.hash for p in message.posts] and record.posts == message.paths:
            return Kind.NOTHING, "published, unchanged"
        return Kind.WARN, "changed since publishing, but WeChat cannot edit a published article"
    return None


def _blocked(message: Message, record: MessageRecord, mode: str, retry: bool) -> str:
    """Why an unchanged message that failed for good last time is left alone ("" if it is not).

    Like a post: a permanent failure (WeChat refused the content, no permission to publish or
    mass-send) is not repeated on every run, only when the message changes, the mode a refused
    permission was asked for changes, or with --retry.
    """
    reason = blocked_by(record.error, mode, retry)
    unchanged = record.posts == message.paths and record.hashes == [p.hash for p in message.posts]
    if not reason or not unchanged:
        return ""
    return f"failed last time and unchanged since ({reason}); change it or run with --retry"
