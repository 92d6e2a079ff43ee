"""Upload images once, ever: keyed by the SHA-256 of the bytes sent, recorded in the state file.

The engine hands over every image of every post it is about to draft. They are read (or
downloaded) and converted first, deduplicated by hash, and only hashes the state file does not
know are uploaded, a few at a time. Each upload is saved to the state file as soon as it
succeeds, so a crash loses at most the uploads in flight.

Covers go to the permanent material library, which can be listed: before `add_material` the
state records a pending entry, and a later run finds an upload whose answer was lost by the
file name it was sent with (`wxsync-<hash>.<ext>`) instead of adding it again. Body images
(`uploadimg`) cannot be listed, so an upload whose answer is lost is repeated once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from wxsync.engine.manuscript import Manuscript
from wxsync.engine.state import ImageRecord, State, now_iso
from wxsync.errors import WxsyncError
from wxsync.images import (
    ImageRef,
    Prepared,
    fetch_remote,
    generate_cover,
    prepare_body_image,
    prepare_cover,
)
from wxsync.wechat.client import WeChatClient


@dataclass(frozen=True)
class Job:
    """One image to make available on WeChat: a reference, or bytes the renderer generated."""

    key: str  # how the caller refers to it (the src as written, or a placeholder)
    ref: ImageRef | None = None
    data: bytes | None = None
    cover: bool = False
    title: str = ""  # for generated covers


@dataclass(frozen=True)
class Uploaded:
    url: str
    media_id: str = ""


class Uploader:
    def __init__(
        self,
        client: WeChatClient,
        state: State,
        save: Callable[[], None],
        *,
        session: requests.Session,
        jobs: int = 4,
        animated_gif: str = "first_frame",
        cover_color: str = "#07c160",
        allow_private_hosts: bool = False,
    ) -> None:
        self.allow_private_hosts = allow_private_hosts
        self.client = client
        self.state = state
        self.save = save
        self.session = session
        self.jobs = jobs
        self.animated_gif = animated_gif
        self.cover_color = cover_color
        self._lock = threading.Lock()  # guards `state` and the save

    def upload_all(self, jobs: Iterable[Job]) -> dict[Job, Uploaded | WxsyncError]:
        """Prepare and upload every job; each gets its URL (and media_id) or the error it hit."""
        results: dict[Job, Uploaded | WxsyncError] = {}
        unique = []
        for job in dict.fromkeys(jobs):
            known = self._known_remote(job)
            if known is not None:
                results[job] = known
            else:
                unique.append(job)
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            prepared = dict(zip(unique, pool.map(self._prepare, unique), strict=True))
            by_hash: dict[tuple[str, str], Prepared] = {}
            for item in prepared.values():
                if isinstance(item, Prepared):
                    by_hash.setdefault((item.sha256, item.route), item)
            sent = dict(zip(by_hash, pool.map(self._send, by_hash.values()), strict=True))
        for job, item in prepared.items():
            if isinstance(item, WxsyncError):
                results[job] = item
                continue
            results[job] = sent[(item.sha256, item.route)]
            if job.ref is not None and job.ref.kind == "remote" and job.ref.url:
                with self._lock:
                    self.state.remote[_remote_key(job)] = item.sha256
        return results

    def _known_remote(self, job: Job) -> Uploaded | None:
        """A remote image uploaded by an earlier run: no need to download it again."""
        if job.ref is None or job.ref.kind != "remote" or not job.ref.url:
            return None
        record = self.state.images.get(self.state.remote.get(_remote_key(job), ""))
        if record is None:
            return None
        if record.media_id and (job.cover or not record.url):
            return Uploaded(record.material_url, record.media_id)
        if record.url and not job.cover:
            return Uploaded(record.url)
        return None

    # -- preparing ------------------------------------------------------------------------------

    def _prepare(self, job: Job) -> Prepared | WxsyncError:
        try:
            data = self._bytes(job)
            if job.cover:
                return prepare_cover(data)
            return prepare_body_image(data, animated_gif=self.animated_gif)
        except WxsyncError as error:
            return error

    def _bytes(self, job: Job) -> bytes:
        if job.data is not None:
            return job.data
        ref = job.ref
        if ref is None:
            return generate_cover(job.title, self.cover_color)
        if ref.kind == "remote" and ref.url:
            return fetch_remote(ref.url, self.session, allow_private=self.allow_private_hosts)
        assert ref.path is not None
        return ref.path.read_bytes()

    # -- sending ---------------------------------------------------------------------------------

    def _send(self, item: Prepared) -> Uploaded | WxsyncError:
        try:
            if item.route == "material":
                return self._material(item)
            return self._body(item)
        except WxsyncError as error:
            return error

    def _body(self, item: Prepared) -> Uploaded:
        with self._lock:
            record = self.state.images.get(item.sha256)
            if record is not None and record.url:
                return Uploaded(record.url)
        url = self.client.upload_image(item.data, f"{item.sha256[:16]}.{item.ext}", item.mime)
        with self._lock:
            record = self.state.images.setdefault(item.sha256, ImageRecord())
            record.url, record.at = url, now_iso()
            self.save()
        return Uploaded(url)

    def _material(self, item: Prepared) -> Uploaded:
        name = material_name(item.sha256, item.ext)
        with self._lock:
            record = self.state.images.setdefault(item.sha256, ImageRecord())
            if record.media_id:
                return Uploaded(record.material_url, record.media_id)
            pending = record.pending
        if pending:
            found = self._find_material(name)
            if found is not None:
                return self._record_material(item.sha256, found)
        with self._lock:
            record.pending = now_iso()
            self.save()
        material = self.client.add_image_material(item.data, name, item.mime)
        return self._record_material(item.sha256, Uploaded(material.url, material.media_id))

    def _record_material(self, sha256: str, uploaded: Uploaded) -> Uploaded:
        with self._lock:
            record = self.state.images.setdefault(sha256, ImageRecord())
            record.media_id, record.material_url = uploaded.media_id, uploaded.url
            record.pending, record.at = "", now_iso()
            self.save()
        return uploaded

    def _find_material(self, name: str, pages: int = 5) -> Uploaded | None:
        """Look for a material we sent earlier whose answer was lost (newest first)."""
        for page in range(pages):
            listing = self.client.list_materials(page * 20, 20)
            for item in listing.items:
                if item.get("name") == name:
                    return Uploaded(str(item.get("url", "")), str(item.get("media_id", "")))
            if (page + 1) * 20 >= listing.total_count:
                break
        return None


def image_jobs(manuscript: Manuscript) -> list[Job]:
    """Every image a post needs on WeChat: its body images, generated formulas, and its cover."""
    if manuscript.post is None or manuscript.render is None:
        return []
    jobs = [Job(src, ref=ref) for src, ref in manuscript.images.items()]
    jobs += [Job(src, data=data) for src, data in manuscript.render.generated.items()]
    if manuscript.cover is not None:
        jobs.append(Job("cover", ref=manuscript.cover.ref, cover=True, title=manuscript.post.title))
    return jobs


def material_name(sha256: str, ext: str) -> str:
    return f"wxsync-{sha256[:16]}.{ext}"


def _remote_key(job: Job) -> str:
    assert job.ref is not None and job.ref.url
    return f"cover:{job.ref.url}" if job.cover else job.ref.url
