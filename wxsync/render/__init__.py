"""Markdown -> WeChat-safe, compact, inline-styled article HTML.

The sync engine needs only this: build one `Renderer(RenderOptions(...))`, call `render(body)`
to learn the images, upload them, and call `render(body, image_url=...)` again. Callers that
publish go through `render_fitting(renderer, body, limit)` instead, which steps down the
fitting ladder (lighter code colours, plain code, formulas as PNG, unstyled raw HTML) until the
article fits. `fingerprint(options)` goes into each post's content hash, so a change of theme or
setting re-publishes the posts.

The names below are imported on first use: a sync with nothing to do needs the fingerprint,
not mistune, Pygments and the CSS inliner.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wxsync.render.fingerprint import fingerprint
    from wxsync.render.fit import Fitted, render_fitting
    from wxsync.render.options import RENDERER_VERSION, RenderOptions, RenderResult
    from wxsync.render.renderer import Renderer

_HOMES = {
    "RENDERER_VERSION": "wxsync.render.options",
    "Fitted": "wxsync.render.fit",
    "RenderOptions": "wxsync.render.options",
    "RenderResult": "wxsync.render.options",
    "Renderer": "wxsync.render.renderer",
    "fingerprint": "wxsync.render.fingerprint",
    "render_fitting": "wxsync.render.fit",
}

__all__ = [
    "RENDERER_VERSION",
    "Fitted",
    "RenderOptions",
    "RenderResult",
    "Renderer",
    "fingerprint",
    "render_fitting",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
