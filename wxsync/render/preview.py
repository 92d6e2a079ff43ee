"""A local preview server: every post rendered as WeChat would show it, in a phone-width frame.

Each request renders the post again, so editing the Markdown and reloading the page is the
whole loop. Local images (relative to the post) and generated formula PNGs are served by the
same server; nothing is uploaded and nothing leaves the machine. It listens on 127.0.0.1 by
default and serves only files inside the folder it was started on.
"""

from __future__ import annotations

import html
import mimetypes
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from wxsync.content.post import parse_post
from wxsync.render.fit import Fitted, render_fitting
from wxsync.render.math import PLACEHOLDER_PREFIX
from wxsync.render.options import CONTENT_LIMIT
from wxsync.render.renderer import Renderer, RenderError
from wxsync.render.urls import scheme

# How a post body becomes the article `sync` would publish: the fitting ladder, with the
# limit the engine uses (the CLI passes the engine's own `fit_article`).
Fit = Callable[[Renderer, str, Callable[[str], str]], Fitted]

SKIPPED_DIRS = frozenset({"node_modules", "venv", "__pycache__", "site-packages"})
PHONE_WIDTH = 375

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ margin: 0; background: #ededed; font-family: -apple-system, "PingFang SC", sans-serif; }}
.bar {{ max-width: 720px; margin: 0 auto; padding: 12px 16px; font-size: 13px; color: #555; }}
.bar a {{ color: #576b95; }}
.over {{ color: #c00; font-weight: 600; }}
.step {{ color: #b26b00; }}
.phone {{ width: {width}px; margin: 8px auto 40px; background: #fff; border-radius: 28px;
  box-shadow: 0 2px 24px rgba(0,0,0,.15); overflow: hidden; }}
.notch {{ height: 28px; background: #f7f7f7; border-bottom: 1px solid #eee; }}
.screen {{ padding: 20px 16px 32px; }}
.title {{ margin: 0 0 14px; font-size: 22px; line-height: 1.4; font-weight: 500; color: #111; }}
.meta {{ margin-bottom: 22px; font-size: 15px; color: #576b95; }}
ul.posts {{ list-style: none; padding: 0; }}
ul.posts li {{ padding: 8px 0; border-bottom: 1px solid #eee; }}
</style></head><body>{body}</body></html>
"""


@dataclass(frozen=True)
class Post:
    """A post found under the preview root: its file and the path used in URLs."""

    path: Path
    key: str  # POSIX path relative to the root


def find_posts(root: Path) -> list[Post]:
    """Markdown files under `root` (or `root` itself), skipping hidden and tool folders."""
    if root.is_file():
        return [Post(root, root.name)]
    posts = []
    for folder, dirs, files in os.walk(root):
        # Prune while walking: a repository's .venv alone holds thousands of files.
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        for name in sorted(files):
            if name.endswith(".md"):
                path = Path(folder) / name
                posts.append(Post(path, path.relative_to(root).as_posix()))
    return sorted(posts, key=lambda post: post.key)


class PreviewSite:
    """Renders pages for the preview server; independent of HTTP so it is easy to test."""

    def __init__(
        self, root: Path, renderer: Renderer, generator: str = "", fit: Fit | None = None
    ) -> None:
        self.root = root.resolve()
        self.generator = generator  # whose syntax to rewrite (see wxsync.content.syntax)
        self.fit: Fit = fit or (lambda r, body, url: render_fitting(r, body, image_url=url))
        self.base = self.root if self.root.is_dir() else self.root.parent
        self.renderer = renderer
        self._generated: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def index(self) -> str:
        posts = find_posts(self.root)
        items = "".join(
            f'<li><a href="/post/{quote(post.key)}">{html.escape(post.key)}</a></li>'
            for post in posts
        )
        body = (
            '<div class="bar"><b>wxsync preview</b> — '
            f"{len(posts)} post(s) under {html.escape(str(self.root))}. "
            "Pages render again on every reload.</div>"
            f'<div class="bar"><ul class="posts">{items or "<li>No Markdown files found.</li>"}'
            "</ul></div>"
        )
        return _PAGE.format(title="wxsync preview", width=PHONE_WIDTH, body=body)

    def post_page(self, key: str) -> str | None:
        """The phone-frame page for one post, or None when there is no such post."""
        post = next((p for p in find_posts(self.root) if p.key == key), None)
        if post is None:
            return None
        # Read the post exactly as `wxsync sync` does: title fallbacks, aliases, heading removal.
        loaded = parse_post(
            post.key,
            post.path.read_text(encoding="utf-8", errors="replace"),
            generator=self.generator,
        )
        if loaded.post is None:
            return _error_page(post.key, "; ".join(str(p) for p in loaded.problems))
        document = loaded.post
        try:
            fitted = self.fit(self.renderer, document.body, lambda src: self._image_url(post, src))
        except RenderError as exc:
            return _error_page(post.key, f"{post.key}:{document.body_line}: {exc}")
        except Exception as exc:  # a wxsync bug this post provokes: one line, as `check` says it
            from wxsync.errors import describe_crash
            from wxsync.render.locate import failing_line

            line = failing_line(self.renderer.render, document.body, document.body_line)
            return _error_page(post.key, f"{post.key}:{line}: {describe_crash(exc)}")
        result = fitted.result
        with self._lock:
            self._generated.update(result.generated)
        title, author = document.title, document.author
        body = (
            f'<div class="bar"><a href="/">all posts</a> · {html.escape(post.key)} · '
            f"{fit_status(fitted)} · {result.text_length:,} text characters · "
            f"{len(result.images)} image(s)</div>"
            f'<div class="phone"><div class="notch"></div><div class="screen">'
            f'<h1 class="title">{html.escape(title)}</h1>'
            f'<div class="meta">{html.escape(author)}</div>'
            f'<div id="article">{result.html}</div></div></div>'
        )
        return _PAGE.format(title=html.escape(title), width=PHONE_WIDTH, body=body)

    def generated(self, name: str) -> bytes | None:
        with self._lock:
            return self._generated.get(name)

    def asset(self, relative: str) -> Path | None:
        """A file inside the preview root, or None (missing, or outside the root)."""
        candidate = (self.base / relative).resolve()
        if not candidate.is_relative_to(self.base) or not candidate.is_file():
            return None
        return candidate

    def _image_url(self, post: Post, src: str) -> str:
        if scheme(src) is not None or src.startswith("//"):
            return src
        if src.startswith(PLACEHOLDER_PREFIX):
            return "/generated/" + quote(src)
        target = (post.path.parent / src).resolve()
        if not target.is_relative_to(self.base):
            return src
        return "/asset/" + quote(target.relative_to(self.base).as_posix())


def _error_page(key: str, message: str) -> str:
    """The page for a post that cannot be shown: its one-line error in the bar."""
    body = f'<div class="bar over">{html.escape(message)}</div>'
    return _PAGE.format(title=html.escape(key), width=PHONE_WIDTH, body=body)


def fit_status(fitted: Fitted) -> str:
    """The preview bar's length note: the size, and the ladder's step when one was taken."""
    length = f"{fitted.result.wechat_length:,} characters of {CONTENT_LIMIT:,}"
    if not fitted.fits:
        return (
            f'<span class="over">{length}: too long even in its plainest form; sync splits it '
            "into a multi-article message (long_posts: split)</span>"
        )
    if fitted.step:
        return (
            f'{length} · <span class="step">rendered with {html.escape(fitted.step)} to fit</span>'
        )
    return length


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer

    def do_GET(self) -> None:
        site = self.server.site
        path = unquote(urlsplit(self.path).path)
        if path == "/":
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", site.index().encode())
        elif path.startswith("/post/"):
            page = site.post_page(path.removeprefix("/post/"))
            if page is None:
                self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"no such post")
            else:
                self._send(HTTPStatus.OK, "text/html; charset=utf-8", page.encode())
        elif path.startswith("/generated/"):
            data = site.generated(path.removeprefix("/generated/"))
            if data is None:
                self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not rendered yet")
            else:
                self._send(HTTPStatus.OK, "image/png", data)
        elif path.startswith("/asset/"):
            file = site.asset(path.removeprefix("/asset/"))
            if file is None:
                self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"no such file")
            else:
                kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                self._send(HTTPStatus.OK, kind, file.read_bytes())
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found")

    def _send(self, status: HTTPStatus, kind: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return  # quiet: the terminal shows the URL, not every request


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: PreviewSite) -> None:
        super().__init__(address, _Handler)
        self.site = site

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"
