"""A cover for a post that has no image: its title on the theme colour, 2.35:1.

Chinese titles need a CJK font, and a cover with tofu boxes (□□□) looks broken in every
subscriber's feed. So characters the chosen font cannot draw are left out, never drawn as
boxes, and a geometric design (derived from the title, so covers differ even with no
drawable text) carries the cover. The installed fonts are an input: the same title gives the
same PNG on the same machine, but a machine with other fonts gives other bytes.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont

from wxsync.errors import ConfigError

# Common places of CJK fonts: Debian/Ubuntu (fonts-noto-cjk, fonts-wqy-*, fonts-droid),
# Fedora/Arch, Homebrew-less macOS and Windows. The first one that exists wins.
CJK_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-sans-cjk-vf-fonts/NotoSansCJK-VF.ttc",
    "/usr/share/fonts/adobe-source-han-sans/SourceHanSansCN-Bold.otf",
    "/usr/share/fonts/adobe-source-han-sans/SourceHanSans.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/google-droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyhbd.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
# Searched (sorted, so the choice is stable) when none of the paths above exists.
_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
_CJK_NAME_HINTS = (
    "notosanscjk",
    "notoserifcjk",
    "sourcehan",
    "wqy",
    "droidsansfallback",
    "notosanssc",
)
# Latin fonts for machines without CJK ones; Pillow's own font is the last resort.
LATIN_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/System/Library/Fonts/Helvetica.ttc",
    "C:/Windows/Fonts/arialbd.ttf",
)

_MAX_LINES = 3
# A noncharacter: no font has it, so it renders as the font's "missing glyph" box.
_NOT_A_CHARACTER = "\U0010ffff"
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_TOKENS = re.compile(rf"\s+|[^\s{_CJK}]+|.")
_CLOSING = set("，。、！？；：）》」』”’…,.!?;:)]}%")
_OPENING = set("（《「『“‘([{")

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class _FontSource:
    """A font file (and face in a collection) that can be opened at any size; None: Pillow's."""

    path: str | None
    index: int = 0

    def at(self, size: int) -> Font:
        if self.path is None:
            return ImageFont.load_default(size)
        return ImageFont.truetype(self.path, size, index=self.index)


def generate_cover(
    title: str,
    color: str = "#07c160",
    size: tuple[int, int] = (900, 383),
    *,
    font: str | Path | None = None,
) -> bytes:
    """A PNG cover: `title` wrapped to at most three lines on `color`, with a quiet design.

    `font` is a font file to use instead of searching the usual places for a CJK font.
    """
    width, height = size
    if not (16 <= width <= 4096 and 16 <= height <= 4096):
        raise ValueError(f"cover size must be between 16 and 4096 pixels each way, not {size}")
    background = _rgb(color)
    seed = hashlib.sha256(title.encode("utf-8")).digest()
    image = _background(size, background, seed)
    source = _explicit_font(font) if font is not None else find_font()
    text = _drawable(" ".join(title.split()), source)
    if text:
        _draw_title(image, text, source, _text_colour(background))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@functools.cache
def find_font() -> _FontSource:
    """The first CJK font installed, else a Latin one, else Pillow's built-in font."""
    for path in CJK_FONT_PATHS:
        if Path(path).is_file():
            return _FontSource(path, _chinese_face(path))
    for directory in _FONT_DIRS:
        root = Path(directory).expanduser()
        if not root.is_dir():
            continue
        for found in sorted(root.rglob("*")):
            name = found.name.lower().replace("-", "").replace("_", "")
            if found.suffix.lower() in (".ttf", ".ttc", ".otf") and any(
                h in name for h in _CJK_NAME_HINTS
            ):
                return _FontSource(str(found), _chinese_face(str(found)))
    for path in LATIN_FONT_PATHS:
        if Path(path).is_file():
            return _FontSource(path)
    return _FontSource(None)


def _explicit_font(font: str | Path) -> _FontSource:
    path = str(Path(font).expanduser())
    try:
        ImageFont.truetype(path, 12)
    except OSError:
        raise ConfigError(
            f"cover font {str(font)!r} cannot be loaded: give the path of a .ttf, .otf or .ttc file"
        ) from None
    return _FontSource(path, _chinese_face(path))


def _chinese_face(path: str) -> int:
    """In a font collection, the Simplified Chinese face ("... SC"); Noto's first face is Japanese."""
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(12):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:
            break
        if family.endswith((" SC", " CN")) or " SC " in family:
            return index
    return 0


def _rgb(color: str) -> tuple[int, int, int]:
    try:
        red, green, blue = ImageColor.getrgb(color)[:3]
    except ValueError:
        raise ConfigError(
            f"cover colour {color!r} is not a colour: use a hex value such as #07c160"
        ) from None
    return red, green, blue


def _background(size: tuple[int, int], colour: tuple[int, int, int], seed: bytes) -> Image.Image:
    """The theme colour with two large soft circles and a band, placed by the title's hash.

    Drawn at twice the size and scaled down: Pillow draws shapes without anti-aliasing.
    """
    width, height = size[0] * 2, size[1] * 2
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    # On a pale colour, lighter shapes would vanish: shade them instead.
    pale = _luminance(colour) > 0.6
    light = _mix(colour, (0, 0, 0) if pale else (255, 255, 255), 0.07 if pale else 0.14)
    dark = _mix(colour, (0, 0, 0), 0.12 if pale else 0.08)
    radius = height * (0.55 + seed[0] / 255 * 0.35)
    cx, cy = width * (0.78 + seed[1] / 255 * 0.2), height * (0.75 + seed[2] / 255 * 0.4)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=light)
    radius = height * (0.35 + seed[3] / 255 * 0.3)
    cx, cy = width * (0.02 + seed[4] / 255 * 0.16), height * (-0.1 + seed[5] / 255 * 0.25)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=dark)
    band = height * 0.06
    top = height * (0.86 + seed[6] / 255 * 0.06)
    draw.polygon(
        [
            (0, top),
            (width, top - height * 0.12),
            (width, top - height * 0.12 + band),
            (0, top + band),
        ],
        fill=_mix(colour, (0, 0, 0) if pale else (255, 255, 255), 0.04 if pale else 0.08),
    )
    return image.resize(size, Image.Resampling.LANCZOS)


def _draw_title(
    image: Image.Image, text: str, source: _FontSource, colour: tuple[int, int, int]
) -> None:
    width, height = image.size
    box_width, box_height = width * 0.84, height * 0.62
    largest, smallest = max(12, round(height * 0.19)), max(10, round(height * 0.075))
    font, lines = source.at(smallest), [text]
    for size in range(largest, smallest - 1, -2):
        font = source.at(size)
        lines = _wrap(text, font, box_width)
        if len(lines) <= _MAX_LINES and len(lines) * _line_height(font) <= box_height:
            break
    else:
        lines = _truncate(lines, font, box_width)
    draw = ImageDraw.Draw(image)
    line_height = _line_height(font)
    # Centre each line's ink (from cap height to descender) in its slot.
    ink_top, ink_bottom = font.getbbox("Hg中")[1::2]
    offset = (line_height - (ink_bottom - ink_top)) / 2 - ink_top
    top = (height - line_height * len(lines)) / 2
    for number, line in enumerate(lines):
        left = (width - draw.textlength(line, font=font)) / 2
        draw.text((left, top + number * line_height + offset), line, font=font, fill=colour)


def _wrap(text: str, font: Font, max_width: float) -> list[str]:
    """Greedy line breaking: between words of Latin text, between any two CJK characters, but
    never before closing or after opening punctuation; a word too long for a line is split."""
    lines: list[str] = []
    current = ""
    for token in _tokens(text):
        if token.isspace():
            current += " " if current else ""
            continue
        pieces = [token] if font.getlength(token) <= max_width else list(token)
        for piece in pieces:
            if not current.strip() or font.getlength(current + piece) <= max_width:
                current += piece
            else:
                lines.append(current.rstrip())
                current = piece
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    glue = False
    for token in _TOKENS.findall(text):
        if tokens and not token.isspace() and (glue or token[0] in _CLOSING):
            tokens[-1] += token
        else:
            tokens.append(token)
        glue = not token.isspace() and token[-1] in _OPENING
    return tokens


def _truncate(lines: list[str], font: Font, max_width: float) -> list[str]:
    kept = lines[:_MAX_LINES]
    ellipsis = "…" if _renders(font, "…") else "..."
    last = kept[-1]
    while last and font.getlength(last + ellipsis) > max_width:
        last = last[:-1]
    kept[-1] = last.rstrip() + ellipsis
    return kept


def _line_height(font: Font) -> float:
    top, bottom = font.getbbox("Hg中")[1::2]
    return (bottom - top) * 1.45


def _drawable(text: str, source: _FontSource) -> str:
    """`text` without the characters the font would draw as boxes, spaces tidied."""
    font = source.at(32)
    missing = _mask(font, _NOT_A_CHARACTER)
    kept = "".join(ch if ch.isspace() or _renders(font, ch, missing) else " " for ch in text)
    return " ".join(kept.split())


def _renders(font: Font, ch: str, missing: tuple[tuple[int, int], bytes] | None = None) -> bool:
    """Whether `font` has a glyph for `ch`: its rendering differs from the missing-glyph box."""
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return False
    return _mask(font, ch) != (missing or _mask(font, _NOT_A_CHARACTER))


def _mask(font: Font, ch: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(ch)
    return mask.size, bytes(mask)


def _mix(
    colour: tuple[int, int, int], other: tuple[int, int, int], amount: float
) -> tuple[int, int, int]:
    red, green, blue = (round(a + (b - a) * amount) for a, b in zip(colour, other, strict=True))
    return red, green, blue


def _text_colour(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """White or near-black, whichever contrasts more with the background (WCAG formula)."""
    luminance = _luminance(background)
    white_contrast = 1.05 / (luminance + 0.05)
    dark_contrast = (luminance + 0.05) / (0.0116 + 0.05)
    return (255, 255, 255) if white_contrast >= dark_contrast else (28, 28, 28)


def _luminance(colour: tuple[int, int, int]) -> float:
    """WCAG relative luminance: 0 for black, 1 for white."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue
