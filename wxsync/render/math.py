"""Math formulas, offline and in pure Python: compact inline SVG, or PNG when SVG is too big.

ziamath lays out LaTeX with the STIX Two Math font and writes glyph outlines as SVG paths with
absolute, three-decimal coordinates: `E=mc^2` takes ~5,100 characters, so four formulas would
eat a quarter of WeChat's 20,000-character budget. This module reads ziamath's drawing back
and writes it again compactly: integer coordinates on a 1/4 px grid, relative commands, `h`/`v`
for straight lines, one `<path>` per colour, no `xmlns` (inline SVG in HTML does not need it)
and `currentColor`, so formulas follow the theme's text colour. Glyphs are not shared through
`<symbol>`/`<use>`: those depend on `id` references, which editors that rewrite ids (WeChat's
included, as far as anyone has reported) break, and a formula without its glyphs is worse than
a longer one.

The same outlines are rasterised with Pillow (even-odd fill, 4x supersampled) when the
article would not fit as SVG; the sync engine uploads those PNGs like any other image.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

# ziamath lays formulas out at 24 px to the em; sizes in the output are given in em so a
# formula scales with the surrounding text.
_FONT_PX = 24.0
_GRID = 4  # coordinates are written in quarter pixels
_PNG_SCALE = 3  # pixels per CSS pixel in the PNG: sharp on phone screens
_SUPERSAMPLE = 4
_NUMBER = re.compile(r"[MLHVQCZmlhvqcz]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_ARITY = {"M": 2, "L": 2, "H": 1, "V": 1, "Q": 4, "C": 6, "Z": 0}

Command = tuple[str, tuple[float, ...]]


class MathError(ValueError):
    """LaTeX that ziamath cannot lay out; the renderer shows the source instead."""


@dataclass(frozen=True)
class Shape:
    """One painted outline: absolute commands (M, L, Q, C, Z) in ziamath's pixels."""

    commands: tuple[Command, ...]
    fill: str | None  # None: the text colour
    stroke: str | None = None
    stroke_width: float = 0.0


@dataclass(frozen=True)
class Drawing:
    """A laid-out formula: its shapes and box (x, y of the top-left corner, width, height)."""

    shapes: tuple[Shape, ...]
    x: float
    y: float
    width: float
    height: float

    @property
    def depth(self) -> float:
        """How far the formula reaches below the baseline (y = 0), in pixels."""
        return max(0.0, self.y + self.height)


@dataclass(frozen=True)
class Png:
    data: bytes
    width_em: float
    height_em: float
    depth_em: float


def _em(pixels: float) -> str:
    return f"{pixels / _FONT_PX:.3f}".rstrip("0").rstrip(".") + "em"


class MathRenderer:
    """Lays out LaTeX once per distinct formula and caches SVG and PNG forms."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._drawings: dict[tuple[str, bool], Drawing] = {}
        self._svgs: dict[tuple[str, bool], str] = {}
        self._pngs: dict[tuple[str, bool, str], Png] = {}

    def drawing(self, tex: str, display: bool) -> Drawing:
        key = (tex, display)
        with self._lock:
            cached = self._drawings.get(key)
        if cached is None:
            cached = _layout(tex, display)
            with self._lock:
                self._drawings[key] = cached
        return cached

    def svg(self, tex: str, display: bool) -> str:
        """Compact inline SVG for the formula; raises `MathError` for LaTeX it cannot lay out."""
        key = (tex, display)
        if key not in self._svgs:
            self._svgs[key] = to_svg(self.drawing(tex, display), display)
        return self._svgs[key]

    def png(self, tex: str, display: bool, color: str = "#000") -> Png:
        """The formula as a transparent PNG in `color`; raises `MathError` like `svg`."""
        key = (tex, display, color)
        if key not in self._pngs:
            self._pngs[key] = to_png(self.drawing(tex, display), color)
        return self._pngs[key]


PLACEHOLDER_PREFIX = "wxsync-math/"


def placeholder(tex: str, display: bool) -> str:
    """The image source a PNG formula carries until the engine uploads it."""
    digest = hashlib.sha256(f"{int(display)}:{tex}".encode()).hexdigest()[:16]
    return f"{PLACEHOLDER_PREFIX}{digest}.png"


# Layout: ziamath's SVG tree -> shapes


def _layout(tex: str, display: bool) -> Drawing:
    import warnings

    with warnings.catch_warnings():
        # ziamath loads its font through a deprecated importlib.resources call.
        warnings.simplefilter("ignore", DeprecationWarning)
        from ziamath.config import config
        from ziamath.zmath import Math

    config.svg2 = False  # plain paths, no <symbol>/<use>
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            root = Math.fromlatex(tex, inline=not display).svgxml()
    except Exception as exc:  # ziamath and latex2mathml raise many unrelated types
        raise MathError(f"cannot lay out formula {tex!r}: {exc or type(exc).__name__}") from None
    x, y, width, height = (float(v) for v in root.attrib["viewBox"].split())
    shapes: list[Shape] = []
    _collect(root, None, shapes)
    return Drawing(tuple(shapes), x, y, width, height)


def _paint(value: str | None, inherited: str | None) -> str | None:
    if value is None:
        return inherited
    value = value.strip().lower()
    if value in ("black", "#000", "#000000", "currentcolor"):
        return None
    return value


def _collect(element: ET.Element, fill: str | None, shapes: list[Shape]) -> None:
    for child in element:
        tag = child.tag.rsplit("}", 1)[-1]
        child_fill = _paint(child.get("fill"), fill)
        if tag == "g":
            _collect(child, child_fill, shapes)
            continue
        if tag == "path":
            commands = parse_path(child.get("d", ""))
        elif tag == "rect":
            x0, y0 = float(child.get("x", 0)), float(child.get("y", 0))
            w, h = float(child.get("width", 0)), float(child.get("height", 0))
            commands = (
                ("M", (x0, y0)),
                ("L", (x0 + w, y0)),
                ("L", (x0 + w, y0 + h)),
                ("L", (x0, y0 + h)),
                ("Z", ()),
            )
        else:
            continue
        stroke = child.get("stroke")
        if stroke and stroke != "none":
            fill_value = child.get("fill")
            filled = fill_value is not None and fill_value != "none"
            shapes.append(
                Shape(
                    commands,
                    fill=_paint(fill_value, None) if filled else "none",
                    stroke=_paint(stroke, None) or "currentColor",
                    stroke_width=float(child.get("stroke-width", 1)),
                )
            )
        elif child.get("fill") != "none":
            shapes.append(Shape(commands, fill=child_fill))


def parse_path(d: str) -> tuple[Command, ...]:
    """Parse SVG path data into absolute M/L/Q/C/Z commands."""
    tokens = _NUMBER.findall(d)
    commands: list[Command] = []
    index = 0
    command = ""
    cx = cy = sx = sy = 0.0
    while index < len(tokens):
        token = tokens[index]
        if token.isalpha():
            command = token
            index += 1
            if command in "Zz":
                commands.append(("Z", ()))
                cx, cy = sx, sy
                continue
        elif not command:
            raise MathError(f"path data starts with a number: {d[:40]!r}")
        upper = command.upper()
        arity = _ARITY[upper]
        values = [float(v) for v in tokens[index : index + arity]]
        if len(values) < arity:
            break
        index += arity
        relative = command.islower()
        if upper == "H":
            values = [values[0] + (cx if relative else 0), cy]
            upper = "L"
        elif upper == "V":
            values = [cx, values[0] + (cy if relative else 0)]
            upper = "L"
        elif relative:
            values = [v + (cx if i % 2 == 0 else cy) for i, v in enumerate(values)]
        cx, cy = values[-2], values[-1]
        if upper == "M":
            sx, sy = cx, cy
            command = "l" if relative else "L"  # further pairs after M are line-tos
        commands.append((upper, tuple(values)))
    return tuple(commands)


# SVG output


def encode_path(commands: tuple[Command, ...], x0: float, y0: float) -> str:
    """Relative, integer path data on the quarter-pixel grid, origin moved to (x0, y0)."""
    out: list[str] = []
    last = ""
    cx = cy = sx = sy = 0

    def emit(letter: str, numbers: list[int]) -> None:
        nonlocal last
        if letter != last or letter in "mz":
            out.append(letter)
        elif numbers and numbers[0] >= 0:
            out.append(" ")
        for i, n in enumerate(numbers):
            if i and n >= 0:
                out.append(" ")
            out.append(str(n))
        last = letter

    for name, values in commands:
        grid = [round((v - (x0 if i % 2 == 0 else y0)) * _GRID) for i, v in enumerate(values)]
        if name == "Z":
            emit("z", [])
            cx, cy = sx, sy
            continue
        rel = [g - (cx if i % 2 == 0 else cy) for i, g in enumerate(grid)]
        if name == "M":
            emit("m", rel)
            sx, sy = grid[0], grid[1]
        elif name == "L":
            if rel == [0, 0]:
                continue
            if rel[1] == 0:
                emit("h", [rel[0]])
            elif rel[0] == 0:
                emit("v", [rel[1]])
            else:
                emit("l", rel)
        else:
            emit(name.lower(), rel)
        cx, cy = grid[-2], grid[-1]
    return "".join(out)


def to_svg(drawing: Drawing, display: bool) -> str:
    width = round(drawing.width * _GRID)
    height = round(drawing.height * _GRID)
    style = "" if display else f' style="vertical-align:-{_em(drawing.depth)}"'
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="{_em(drawing.width)}" '
        f'height="{_em(drawing.height)}" fill="currentColor"{style}>'
    ]
    # Shapes painted alike share one <path>: relative data continues from shape to shape.
    groups: dict[tuple[str | None, str | None, float], list[Command]] = {}
    for shape in drawing.shapes:
        key = (shape.fill, shape.stroke, shape.stroke_width)
        groups.setdefault(key, []).extend(shape.commands)
    for (fill, stroke, stroke_width), commands in groups.items():
        attrs = f' fill="{fill}"' if fill else ""
        if stroke:
            attrs += f' stroke="{stroke}" stroke-width="{round(stroke_width * _GRID)}"'
        parts.append(f'<path d="{encode_path(tuple(commands), drawing.x, drawing.y)}"{attrs}/>')
    parts.append("</svg>")
    return "".join(parts)


# PNG output


def _flatten(
    commands: tuple[Command, ...], scale: float, x0: float, y0: float
) -> list[list[tuple[float, float]]]:
    """Subpaths as polygons in image pixels; curves become short line segments."""
    polygons: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []

    def point(x: float, y: float) -> tuple[float, float]:
        return ((x - x0) * scale, (y - y0) * scale)

    for name, values in commands:
        if name == "M":
            if len(current) > 1:
                polygons.append(current)
            current = [point(*values)]
        elif name == "L":
            current.append(point(*values))
        elif name in ("Q", "C") and current:
            start = current[-1]
            controls = [point(values[i], values[i + 1]) for i in range(0, len(values), 2)]
            nodes = [start, *controls]
            steps = 8
            for step in range(1, steps + 1):
                t = step / steps
                pts = nodes
                while len(pts) > 1:  # de Casteljau
                    pts = [
                        (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
                        for a, b in pairwise(pts)
                    ]
                current.append(pts[0])
        elif name == "Z":
            if len(current) > 1:
                polygons.append(current)
            current = []
    if len(current) > 1:
        polygons.append(current)
    return polygons


def to_png(drawing: Drawing, color: str = "#000") -> Png:
    import io

    from PIL import Image, ImageChops, ImageColor, ImageDraw

    scale = _PNG_SCALE * _SUPERSAMPLE
    size = (max(1, round(drawing.width * scale)), max(1, round(drawing.height * scale)))
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    for shape in drawing.shapes:
        polygons = _flatten(shape.commands, scale, drawing.x, drawing.y)
        mask = Image.new("1", size, 0)
        if shape.stroke:
            draw = ImageDraw.Draw(mask)
            width = max(1, round(shape.stroke_width * scale))
            for polygon in polygons:
                draw.line(polygon, fill=1, width=width)
        else:
            for polygon in polygons:  # even-odd fill: counters of letters stay open
                layer = Image.new("1", size, 0)
                ImageDraw.Draw(layer).polygon(polygon, fill=1)
                mask = ImageChops.logical_xor(mask, layer)
        paint = shape.stroke if shape.stroke else shape.fill
        rgb = ImageColor.getrgb(color if paint in (None, "currentColor") else paint)
        solid = Image.new("RGBA", size, (*rgb[:3], 255))
        canvas.paste(solid, (0, 0), mask)
    final = canvas.resize(
        (max(1, size[0] // _SUPERSAMPLE), max(1, size[1] // _SUPERSAMPLE)),
        Image.Resampling.LANCZOS,
    )
    buffer = io.BytesIO()
    final.save(buffer, format="PNG", optimize=True)
    return Png(
        data=buffer.getvalue(),
        width_em=drawing.width / _FONT_PX,
        height_em=drawing.height / _FONT_PX,
        depth_em=drawing.depth / _FONT_PX,
    )


# mistune's inline formula ends at any `$` not followed by a digit, so prose about template
# variables — `${basedir} 表示目录；${version} 表示版本` in a Maven post — became one long formula.
# Pandoc's rule is stricter and is what writers of math expect: the closing `$` follows a
# non-space character and is followed by neither a digit nor `{` (a `${` opens a variable).
STRICT_INLINE_MATH = (
    r"\$\$(?P<display_math_text>(?:[^$\\]|\\.)*?)\$\$|"
    r"\$(?P<backtick_math_marker>`+)(?P<backtick_math_text>[\s\S]*?)(?P=backtick_math_marker)\$|"
    r"\$(?!\$)(?!\s)(?P<math_text>(?:[^$\\\n]|\\.)*?[^\s\\$])\$(?![\d{])"
)


def strict_inline_math(md: Any) -> None:
    """A mistune plugin, after mistune's `math`: the same formulas, minus `$` used as a sigil."""
    from mistune.plugins.math import parse_inline_math

    md.inline.register("inline_math", STRICT_INLINE_MATH, parse_inline_math, before="link")
