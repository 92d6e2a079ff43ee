"""The fitting ladder: when an article would not fit WeChat's limit, render it plainer.

WeChat refuses `content` of 20,000 characters or more, inline styles included, and code
highlighting is most of a technical article's markup. Rather than refuse such a post, the
renderer tries the richest form that fits, one rung at a time:

1. as configured;
2. "lighter code style": only comments, strings and keywords keep a colour;
3. "plain code": code blocks without colours;
4. "formulas as PNG": plain code, and formulas that would not fit as SVG become images
   (only when `math` is `auto`, the default; `svg` means the writer asked for no images);
5. "unstyled raw HTML": all of the above, and the `style` attributes of HTML written
   in the post are dropped (old blog exports colour code with one `<span style>` per token,
   which alone can be three times the text).

While math is `auto`, rungs 1-3 keep every formula as SVG: images are the last resort.

The rung is chosen from `RenderResult.wechat_length`, which counts every image URL as a
typical uploaded one, so the engine's two renders of a post (before and after its images
are uploaded) land on the same rung. Only when the last rung does not fit is the post too
long; the caller decides what that means (`check` reports it, the message issue splits it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wxsync.render.options import CONTENT_LIMIT, RenderOptions, RenderResult
from wxsync.render.renderer import Renderer

# (name, option changes). The first rung is the renderer as configured.
_LADDER: tuple[tuple[str, dict[str, object]], ...] = (
    ("lighter code style", {"code_highlight": "light"}),
    ("plain code", {"code_highlight": "plain"}),
    ("formulas as PNG", {"code_highlight": "plain", "math": "auto"}),
    (
        "unstyled raw HTML",
        {"code_highlight": "plain", "math": "auto", "html_styles": False},
    ),
)
STEPS: tuple[str, ...] = tuple(name for name, _changes in _LADDER)


@dataclass(frozen=True)
class Fitted:
    """A rendered article and how it was made to fit.

    `step` is None when the article fits as configured, else the name of the rung taken
    (one of `STEPS`). `fits` is False only when even the plainest rung is too long; `result`
    is then that plainest rendering.
    """

    result: RenderResult
    step: str | None
    fits: bool


def rungs(renderer: Renderer) -> list[tuple[str | None, Renderer]]:
    """The renderers to try, richest first, each with the step name it stands for.

    Without `math: auto` formulas stay as the writer chose, so a step that only differs in
    its formulas is the same as the one before it and is left out.
    """
    options = renderer.options
    auto_math = options.math == "auto"
    found: list[tuple[str | None, Renderer]] = [(None, renderer)]
    seen = {options}
    for name, changes in _LADDER:
        wanted = dict(changes)
        if not auto_math:
            wanted.pop("math", None)
        elif "math" not in wanted:
            wanted["math"] = "svg"
        rung = renderer.variant(**_differing(options, wanted))
        if rung.options not in seen:
            seen.add(rung.options)
            found.append((name, rung))
    return found


def render_fitting(
    renderer: Renderer,
    markdown: str,
    limit: int = CONTENT_LIMIT,
    *,
    image_url: Callable[[str], str] | None = None,
    link_url: Callable[[str], str | None] | None = None,
) -> Fitted:
    """Render `markdown` with the richest rung whose `wechat_length` is below `limit`.

    Pass a `limit` a little below WeChat's when the caller adds markup of its own (the engine
    adds a marker to the root element).
    """
    result = renderer.render(markdown, image_url, link_url)
    auto_math = renderer.options.math == "auto"
    # With `math: auto` the first rung is "as configured, formulas as SVG": the same output
    # as `renderer` whenever it made no formula images, which is almost always.
    made_images = auto_math and bool(result.generated)
    if result.wechat_length < limit and not made_images:
        return Fitted(result, None, True)
    rest = rungs(renderer)[1:]  # built only for an article that needs them
    if made_images:
        rest = [(None, renderer.variant(math="svg")), *rest]
    step: str | None = None
    sensitive, last = result.sensitive_to, renderer.options
    for step, rung in rest:
        if not _differing(last, _changed(rung.options, sensitive)):
            continue  # changes nothing this article has: the same output again
        result, last = rung.render(markdown, image_url, link_url), rung.options
        if result.wechat_length < limit:
            return Fitted(result, step, True)
    return Fitted(result, step, False)


def _changed(options: RenderOptions, names: frozenset[str]) -> dict[str, object]:
    return {name: getattr(options, name) for name in names}


def _differing(options: RenderOptions, wanted: dict[str, object]) -> dict[str, object]:
    return {name: value for name, value in wanted.items() if getattr(options, name) != value}
