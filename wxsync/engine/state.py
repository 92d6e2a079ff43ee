"""The state file: what wxsync has done on the account, committed next to the posts.

It is what makes the next run incremental and what lets a run that died half-way finish without
duplicates, so it is written atomically (temporary file, fsync, rename) after every successful
WeChat call, and a file that does not parse is an error to fix, never silently replaced by an
empty one (that would publish everything again). The JSON is sorted, indented and omits empty
fields so that its diffs in pull requests stay readable. No token or secret is ever stored.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

from wxsync import __version__
from wxsync.errors import WxsyncError

SCHEMA_VERSION = 1

# Post statuses, in the order a post normally moves through them.
NEW, SKIPPED, SCHEDULED, INVALID, DRAFTED, PUBLISHING, PUBLISHED, FAILED = (
    "new",
    "skipped",
    "scheduled",
    "invalid",
    "drafted",
    "publishing",
    "published",
    "failed",
)
# Mass sending: waiting for the daily quota, handed to WeChat, delivered.
QUEUED, SENDING, SENT = "queued", "sending", "sent"


class StateError(WxsyncError):
    """The state file cannot be used as it is."""

    exit_code = 2


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Intent:
    """A non-idempotent call about to be made; resolved when its answer is recorded."""

    op: str  # "draft_add" | "submit" | "sendall"
    hash: str  # content hash of the post being drafted or published
    title: str
    at: str  # when the call was about to be made (UTC, ISO 8601)
    media_id: str = ""  # the draft being submitted, for "submit" and "sendall"
    clientmsgid: str = ""  # WeChat's idempotency key, for "sendall"


class _Versioned:
    """Counts assignments to its fields, so `State.dumps` re-encodes only records that changed.

    The state file is rewritten after every WeChat call; with thousands of posts, encoding every
    record each time made a first sync quadratic (45 ms a save at 2,000 posts). Fields are only
    ever assigned, never mutated in place, which is what makes counting assignments enough.
    """

    _version = 0

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        object.__setattr__(self, "_version", self._version + 1)


class _Record(_Versioned):
    """What post and message records share: their JSON form, and how a failure is kept."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]  # both subclasses are dataclasses
    error: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return _record_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """A record as the state file holds it, each field checked against its declared type."""
        values = _checked(cls, data)
        if isinstance(values.get("intent"), dict):
            values["intent"] = Intent(**_checked(Intent, values["intent"], "intent."))
        return _restored(cls, values)

    def fail(
        self, message: str, *, code: int | None = None, transient: bool, mode: str = ""
    ) -> None:
        self.error = _failure(message, code=code, transient=transient, mode=mode)
        self.touch()

    def touch(self) -> None:
        raise NotImplementedError


@dataclass
class PostRecord(_Record):
    """Everything wxsync knows about one post; keyed by its path in `State.posts`."""

    # What the post was made of when last seen: enough to tell "unchanged" without reading it.
    source: str = ""  # content id of the Markdown file
    deps: dict[str, str | None] = field(default_factory=dict)  # image → content id (None: missing)
    links: dict[str, str] = field(default_factory=dict)  # linked post → address its link got
    render: str = ""  # fingerprint of renderer, theme and output settings
    hash: str = ""  # all of the above, combined
    # Facts from the front matter, so an unchanged post is planned without being parsed.
    title: str = ""
    date: str = ""
    skip: bool = False
    publish: bool | None = None
    republish: bool = False
    problems: list[str] = field(default_factory=list)
    message: str = ""  # `wechat.message`
    position: int | None = None
    broadcast: bool | None = None
    parts: int = 1  # articles the post takes (more than one: a long post split into parts)
    # Where the post stands on WeChat.
    status: str = NEW
    draft_media_id: str = ""
    draft_hash: str = ""
    publish_id: str = ""
    publish_hash: str = ""
    article_id: str = ""
    url: str = ""
    published_hash: str = ""
    intent: Intent | None = None
    history: list[dict[str, str]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    created_at: str = ""
    updated_at: str = ""
    published_at: str = ""
    in_message: str = ""  # key of the multi-article message whose draft holds this post
    previewed: str = ""  # the draft version last sent to `preview_to`

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        if self.parts == 1:
            del data["parts"]
        return data

    def touch(self) -> None:
        stamp = now_iso()
        self.created_at = self.created_at or stamp
        self.updated_at = stamp


@dataclass
class MessageRecord(_Record):
    """One message (a draft of up to 8 articles) sent together; keyed by its message key.

    A post without `wechat.message` that is mass-sent or split into parts is a message of its
    own, keyed by its path. The posts' own records say where each one stands; this one says
    what the draft holds and what was done with it as a whole.
    """

    posts: list[str] = field(default_factory=list)  # in order: the head article's post first
    parts: list[int] = field(default_factory=list)  # articles each post takes
    hashes: list[str] = field(default_factory=list)  # each post's content hash, as drafted
    title: str = ""  # the head article's title
    date: str = ""
    status: str = NEW
    media_id: str = ""
    stale: list[str] = field(default_factory=list)  # replaced drafts still to delete
    previewed: str = ""  # the draft version last sent as a preview
    publish_id: str = ""
    article_id: str = ""
    urls: list[str] = field(default_factory=list)
    clientmsgid: str = ""
    msg_id: str = ""
    sent_hash: str = ""
    sent_at: str = ""
    intent: Intent | None = None
    error: dict[str, Any] | None = None
    updated_at: str = ""

    def touch(self) -> None:
        self.updated_at = now_iso()


PERMISSION_DENIED = 48001  # WeChat's "api unauthorized": this account may not do what was asked


def _record_json(record: _Record) -> dict[str, Any]:
    """A post's or message's record as the state file holds it: empty fields left out (the
    status always kept), the intent as a plain object."""
    data: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if f.name == "status" or value not in (None, "", [], {}, False):
            data[f.name] = value.__dict__ if isinstance(value, Intent) else value
    return data


def _failure(message: str, *, code: int | None, transient: bool, mode: str) -> dict[str, Any]:
    """The `error` a failed record keeps; `transient` ones are simply tried again next run.

    `mode` is the configured mode the failure happened in: a refusal of permission (48001) is
    about what that mode asked for, so it no longer holds once the mode is changed.
    """
    return {
        "message": message,
        "kind": "transient" if transient else "permanent",
        "at": now_iso(),
        **({"code": code} if code is not None else {}),
        **({"mode": mode} if mode else {}),
    }


def mark_published(
    state: State,
    placed: list[tuple[str, int, str]],
    article_id: str,
    urls: list[str],
    *,
    at: str | None,
) -> None:
    """Record posts as published in one message: `placed` is (path, index of its first article
    in the message, content hash as published); `at` the publish time (None: leave as it was)."""
    for path, index, content_hash in placed:
        posted = state.post(path)
        posted.article_id = article_id
        posted.url = urls[index] if index < len(urls) else ""
        posted.published_hash, posted.status = content_hash, PUBLISHED
        posted.draft_media_id = posted.draft_hash = posted.publish_id = ""
        if at is not None:
            posted.published_at = at
        posted.touch()


def blocked_by(error: dict[str, Any] | None, mode: str, retry: bool) -> str:
    """The message of a permanent failure that still holds in `mode` ("" if none does)."""
    if not error or error.get("kind") != "permanent" or retry:
        return ""
    if error.get("code") == PERMISSION_DENIED and error.get("mode", mode) != mode:
        return ""  # refused what another mode asked for
    return str(error.get("message", ""))


@dataclass
class ImageRecord(_Versioned):
    """One uploaded image, keyed by the SHA-256 of the bytes sent."""

    url: str = ""  # from media/uploadimg (body images)
    media_id: str = ""  # from material/add_material (covers, animated GIFs)
    material_url: str = ""
    pending: str = ""  # add_material was sent at this time and its answer not yet recorded
    at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageRecord:
        return _restored(cls, _checked(cls, data))


@dataclass
class State:
    posts: dict[str, PostRecord] = field(default_factory=dict)
    images: dict[str, ImageRecord] = field(default_factory=dict)
    # Remote image URL → SHA-256 of the bytes sent for it, so it is not downloaded again.
    remote: dict[str, str] = field(default_factory=dict)
    messages: dict[str, MessageRecord] = field(default_factory=dict)
    version: int = SCHEMA_VERSION
    _fragments: dict[str, tuple[PostRecord | ImageRecord | MessageRecord, int, str]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def post(self, path: str) -> PostRecord:
        """The record for `path`, created empty if there is none yet."""
        record = self.posts.get(path)
        if record is None:
            record = self.posts[path] = PostRecord()
        return record

    def intents(self) -> list[tuple[str, PostRecord]]:
        return [
            (path, record)
            for path, record in sorted(self.posts.items())
            if record.intent is not None
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "generator": f"wxsync {__version__}",
            "posts": {path: record.to_json() for path, record in self.posts.items()},
            "images": {key: image.to_json() for key, image in self.images.items()},
            "remote": dict(self.remote),
            **(
                {"messages": {key: m.to_json() for key, m in self.messages.items()}}
                if self.messages
                else {}
            ),
        }

    def message_intents(self) -> list[tuple[str, MessageRecord]]:
        return [(key, m) for key, m in sorted(self.messages.items()) if m.intent is not None]

    def dumps(self) -> str:
        """The file's text: what `json.dumps(indent=2, sort_keys=True)` gives, built incrementally."""
        posts = [self._member("p", path, record) for path, record in sorted(self.posts.items())]
        images = [self._member("i", key, record) for key, record in sorted(self.images.items())]
        remote = [f"    {_encode(url)}: {_encode(sha)}" for url, sha in sorted(self.remote.items())]
        messages = [self._member("m", key, m) for key, m in sorted(self.messages.items())]
        top = [
            f'  "generator": {_encode(f"wxsync {__version__}")}',
            f'  "images": {_block(images)}',
            *([f'  "messages": {_block(messages)}'] if messages else []),
            f'  "posts": {_block(posts)}',
            f'  "remote": {_block(remote)}',
            f'  "version": {_encode(self.version)}',
        ]
        return "{\n" + ",\n".join(top) + "\n}\n"

    def _member(self, kind: str, key: str, record: PostRecord | ImageRecord | MessageRecord) -> str:
        """`    "key": {...}` for one record, re-encoded only if the record changed since last time."""
        cached = self._fragments.get(kind + key)
        if cached is not None and cached[0] is record and cached[1] == record._version:
            return cached[2]
        text = json.dumps(record.to_json(), ensure_ascii=False, indent=2, sort_keys=True)
        line = f"    {_encode(key)}: " + text.replace("\n", "\n    ")
        self._fragments[kind + key] = (record, record._version, line)
        return line

    @classmethod
    def from_json(cls, data: Any, source: str = "state file") -> State:
        if not isinstance(data, dict) or not isinstance(data.get("posts", {}), dict):
            raise StateError(f"{source}: not a wxsync state file (expected an object with `posts`)")
        version = data.get("version")
        if not isinstance(version, int) or version < 1:
            raise StateError(f"{source}: missing or invalid `version`")
        if version > SCHEMA_VERSION:
            raise StateError(
                f"{source}: written by a newer wxsync (schema {version}, this one reads "
                f"{SCHEMA_VERSION}); upgrade wxsync"
            )
        for table in ("images", "remote", "messages"):
            if not isinstance(data.get(table, {}), dict):
                raise StateError(f"{source}: `{table}` should be an object; {_RESTORE}")
        where = ""
        try:
            posts: dict[str, PostRecord] = {}
            for key, value in data.get("posts", {}).items():
                where = f"posts → {key}"
                posts[str(key)] = PostRecord.from_json(_object(value))
            images: dict[str, ImageRecord] = {}
            for key, value in data.get("images", {}).items():
                where = f"images → {key}"
                images[str(key)] = ImageRecord.from_json(_object(value))
            messages: dict[str, MessageRecord] = {}
            for key, value in data.get("messages", {}).items():
                where = f"messages → {key}"
                messages[str(key)] = MessageRecord.from_json(_object(value))
            return cls(
                posts=posts,
                images=images,
                remote={str(k): str(v) for k, v in data.get("remote", {}).items()},
                messages=messages,
                version=SCHEMA_VERSION,
            )
        except _Shape as exc:
            raise StateError(f"{source}: {where}: {exc}; {_RESTORE}") from None
        except (TypeError, AttributeError) as exc:
            raise StateError(f"{source}: {where}: unexpected shape ({exc}); {_RESTORE}") from None


_RESTORE = "restore the file from git (`git log -p` shows its last good version)"


class _Shape(ValueError):
    pass


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Shape(f"should be an object, not {_kind(value)}")
    return value


# What each field's annotation allows, checked on load: a hand-edited or corrupted state file
# must be one clear line, not a TypeError deep inside a run.
_ALLOWED: dict[str, Any] = {
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "bool | None": lambda v: v is None or isinstance(v, bool),
    "list[str]": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "list[dict[str, str]]": lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v),
    "dict[str, str | None]": lambda v: (
        isinstance(v, dict) and all(i is None or isinstance(i, str) for i in v.values())
    ),
    "dict[str, Any] | None": lambda v: v is None or isinstance(v, dict),
    "Intent | None": lambda v: v is None or isinstance(v, dict),
}


def _checked(cls: type[Any], data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The known fields of `data`, each of the type `cls` declares, or `_Shape` naming one."""
    spec = _fields_of(cls)
    values: dict[str, Any] = {}
    for name, kind, allowed in spec.known:
        if name not in data:
            continue
        value = data[name]
        if allowed is not None and not allowed(value):
            raise _Shape(f"`{prefix}{name}` should be {_describe(kind)}, not {_kind(value)}")
        values[name] = value
    missing = [name for name in spec.required if name not in values]
    if missing:
        raise _Shape(f"`{prefix}{missing[0]}` is missing")
    return values


_R = TypeVar("_R", bound=_Versioned)


def _restored(cls: type[_R], values: dict[str, Any]) -> _R:
    """What `cls(**values)` builds, without `_Versioned` counting each field set by `__init__`
    as a change: that was 36 calls a record, 70,000 for a state file of 2,000 posts."""
    record = cls.__new__(cls)
    attributes = record.__dict__
    for name, default, factory in _fields_of(cls).defaults:
        if name not in values:
            attributes[name] = default if factory is MISSING else factory()
    attributes.update(values)
    return record


@dataclass(frozen=True)
class _Fields:
    """A record class's fields as loading needs them, worked out once per class, not once per
    record (a state file holds thousands)."""

    known: tuple[tuple[str, str, Any], ...]  # public fields: name, type, its check
    required: tuple[str, ...]
    defaults: tuple[tuple[str, Any, Any], ...]  # name, default, default factory


_FIELDS: dict[type[Any], _Fields] = {}


def _fields_of(cls: type[Any]) -> _Fields:
    found = _FIELDS.get(cls)
    if found is None:
        every = fields(cls)
        found = _FIELDS[cls] = _Fields(
            known=tuple(
                (f.name, str(f.type), _ALLOWED.get(str(f.type)))
                for f in every
                if not f.name.startswith("_")
            ),
            required=tuple(
                f.name for f in every if f.default is MISSING and f.default_factory is MISSING
            ),
            defaults=tuple((f.name, f.default, f.default_factory) for f in every),
        )
    return found


def _describe(kind: str) -> str:
    return {
        "str": "text",
        "bool": "true or false",
        "int": "a whole number",
        "bool | None": "true, false or null",
        "list[str]": "a list of text",
        "list[dict[str, str]]": "a list of objects",
        "dict[str, str | None]": "an object of text values",
        "dict[str, Any] | None": "an object or null",
        "Intent | None": "an object or null",
    }.get(kind, kind)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: f"text {value!r}"[:40],
    }.get(type(value), "a list" if isinstance(value, list) else "an object")


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _block(members: list[str]) -> str:
    """A second-level JSON object from its encoded, sorted member lines."""
    return "{\n" + ",\n".join(members) + "\n  }" if members else "{}"


def load(path: Path) -> State:
    """Read the state file; a missing file is an empty state, a broken one is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return State()
    except OSError as exc:
        raise StateError(f"{path}: cannot read the state file ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(
            f"{path}:{exc.lineno}: the state file is not valid JSON ({exc.msg}); restore it from git "
            f"(`git checkout -- {path.name}` in its folder) or resolve the merge conflict in it — do "
            "not delete it, or every post would be published again"
        ) from None
    return State.from_json(data, str(path))


def check_writable(path: Path) -> None:
    """Fail before any WeChat call if the state file could not be saved after one.

    Work done on WeChat but not recorded would be done again by the next run.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise StateError(
            f"{path}: cannot write the state file there ({exc.strerror}); make its folder "
            "writable or choose another place with --state"
        ) from None
    os.close(descriptor)
    os.unlink(temporary)


def save(state: State, path: Path) -> None:
    """Write atomically: a reader or a crash sees the old file or the new one, never half of one."""
    try:
        _save(state, path)
    except OSError as exc:
        raise StateError(
            f"{path}: could not save the state file ({exc.strerror}); stopping so that nothing "
            "is done on WeChat without a record — free the disk or fix the folder, then run again"
        ) from None


def _save(state: State, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = state.dumps().encode("utf-8")
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def merge(ours: State, theirs: State) -> State:
    """Combine two runs' state files post by post: the more recently updated record wins.

    Used when the Action's push of the state file races another run: each run only touched the
    posts it synced, so taking the newer record per post loses nothing either run did.
    """
    merged = State(
        posts=dict(theirs.posts),
        images={**theirs.images, **ours.images},
        remote={**theirs.remote, **ours.remote},
        messages=dict(theirs.messages),
    )
    for key, message in ours.messages.items():
        other_message = merged.messages.get(key)
        if other_message is None or message.updated_at >= other_message.updated_at:
            merged.messages[key] = message
    for path, record in ours.posts.items():
        other = merged.posts.get(path)
        if other is None or (record.updated_at, _progress(record)) >= (
            other.updated_at,
            _progress(other),
        ):
            merged.posts[path] = record
    return merged


def _progress(record: PostRecord) -> int:
    """How far a record has come; breaks ties between records updated in the same second."""
    return (bool(record.draft_media_id), bool(record.publish_id), bool(record.article_id)).count(
        True
    )
