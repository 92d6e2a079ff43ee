"""The values that cross the renderer's boundary: what to render with, and what came out.

The sync engine hashes `RenderOptions` (through `Renderer.fingerprint`) into each post's content
hash, so every field must be a plain, hashable value with a stable `repr`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

# Bump when a change to the renderer changes its output for the same input: every post is then
# re-published once, which is exactly what a visible change of look should cause.
RENDERER_VERSION = "4"

LINK_MODES = ("references", "keep", "strip")
MATH_MODES = ("auto", "svg", "png")
# How much colour code blocks carry: every token type the style colours, only comments,
# strings and keywords ("light", fewer and shorter spans), or none. The fitting ladder
# (`wxsync.render.fit`) steps down this list when an article would not fit.
CODE_HIGHLIGHTS = ("full", "light", "plain")

# WeChat rejects `content` of 20,000 characters or more (errcode 45002); "auto" math switches
# formulas to PNG images when inline SVG would push an article past this.
CONTENT_LIMIT = 20_000


@dataclass(frozen=True)
class RenderOptions:
    """How to render: theme, code style, link policy and the optional touches.

    Defaults give the look most WeChat readers know (doocs/md-like) and the link policy that
    works for every account (external links become numbered references).
    """

    theme: str = "default"
    code_theme: str = ""  # empty: the theme's own code style (`theme.CODE_STYLES`)
    links: str = "references"
    captions: bool = False
    code_label: bool = False
    code_window: bool = False
    user_css: str = ""
    math: str = "auto"
    references_title: str = "参考链接"
    footnotes_title: str = "脚注"
    # Titles of alert boxes by kind (note, tip, important, warning, caution), over the
    # Chinese defaults in `alerts.DEFAULT_TITLES`. Pairs, not a dict, to stay hashable.
    alert_titles: tuple[tuple[str, str], ...] = ()
    tab_size: int = 4
    content_limit: int = CONTENT_LIMIT
    code_highlight: str = "full"
    # False drops the `style` attributes of raw HTML written in the post (the ladder's last step).
    html_styles: bool = True


@dataclass(frozen=True)
class RenderResult:
    """One rendered article.

    `images` lists every image source as written in the Markdown (in order, without repeats),
    then the placeholder sources of images the renderer made itself (math as PNG), whose bytes
    are in `generated`. The engine uploads them and renders again with an `image_url` mapping.
    """

    html: str
    images: tuple[str, ...] = ()
    generated: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    # `len(html)` with every image URL counted as a typical uploaded one: the same number
    # whether or not `image_url` mapped the sources, so decisions based on it are stable.
    wechat_length: int = 0
    # Text around each `**` that pairs with nothing, even by the CJK-friendly rule: it would
    # show as two literal asterisks, which is almost never what the writer meant.
    unpaired_emphasis: tuple[str, ...] = ()
    # The options of the fitting ladder this article has something for: "code_highlight" (it
    # has code blocks), "math" (formulas), "html_styles" (raw HTML with styles). A rung that
    # changes none of them renders the same article again, so the ladder skips it.
    sensitive_to: frozenset[str] = frozenset()

    @cached_property
    def text_length(self) -> int:
        """Characters of text a reader sees (worked out when asked: publishing never needs it)."""
        from wxsync.render.renderer import visible_length

        return visible_length(self.html)
