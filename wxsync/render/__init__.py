"""Markdown -> WeChat-safe, compact, inline-styled article HTML.

The sync engine needs only this: build one `Renderer(RenderOptions(...))`, call `render(body)`
to learn the images, upload them, and call `render(body, image_url=...)` again. Callers that
publish go through `render_fitting(renderer, body, limit)` instead, which steps down the
fitting ladder (lighter code colours, plain code, formulas as PNG, unstyled raw HTML) until the
article fits. `fingerprint` goes into each post's content hash, so a change of theme or setting re-publishes the posts.
"""

from wxsync.render.fit import Fitted, render_fitting
from wxsync.render.options import RENDERER_VERSION, RenderOptions, RenderResult
from wxsync.render.renderer import Renderer

__all__ = [
    "RENDERER_VERSION",
    "Fitted",
    "RenderOptions",
    "RenderResult",
    "Renderer",
    "render_fitting",
]
