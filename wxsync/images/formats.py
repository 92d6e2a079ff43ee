"""What an image is, decided by its bytes, and opening it with Pillow safely.

File names and Content-Type headers lie (a `.png` that is really a JPEG, an HTML error page
served as `image/png`); WeChat checks magic bytes and so do we. Pillow is only ever asked to
open the formats listed here: some of its other plugins (EPS, for one) run external programs.
"""

from __future__ import annotations

import io
import struct
from typing import BinaryIO

from PIL import Image

from wxsync.images.errors import ImageError

# WeChat's limits: uploadimg wants strictly less than 1 MB, add_material at most 10 MB.
UPLOADIMG_LIMIT = 1_000_000
MATERIAL_LIMIT = 10_000_000

MIME = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "bmp": "image/bmp"}
EXT = {"jpeg": "jpg", "png": "png", "gif": "gif", "bmp": "bmp"}

# Our name for a format -> the Pillow plugins allowed to open it. Cameras write JPEGs with an
# MPF segment (extra images after the first), which Pillow opens as "MPO".
_PILLOW_FORMATS = {
    "jpeg": ("JPEG", "MPO"),
    "png": ("PNG",),
    "gif": ("GIF",),
    "bmp": ("BMP",),
    "webp": ("WEBP",),
    "tiff": ("TIFF",),
    "avif": ("AVIF",),
}

# What Pillow raises for damaged files, depending on the plugin and where the damage is.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)

_PREFIXES = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)
# Sizes of the BMP info headers Pillow understands; a file starting "BM" with anything else
# is text that happens to start with those letters.
_BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1"}


def image_type(data: bytes) -> str | None:
    """The image format from its magic bytes; WeChat does not trust file names, neither do we.

    One of "jpeg", "png", "gif", "bmp", "webp", "tiff", "avif", or None.
    """
    for prefix, kind in _PREFIXES:
        if data.startswith(prefix):
            return kind
    if data.startswith(b"BM") and len(data) >= 18:
        (header_size,) = struct.unpack_from("<I", data, 14)
        return "bmp" if header_size in _BMP_HEADER_SIZES else None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "avif" if _ftyp_brands(data) & {b"avif", b"avis"} else None


def describe_unknown(data: bytes) -> str:
    """Name what a non-image probably is, for an error message that helps."""
    head = data[:1024].lstrip().lower()
    if not data:
        return "an empty file"
    if _ftyp_brands(data) & _HEIF_BRANDS:
        return "a HEIC/HEIF photo, which neither WeChat nor wxsync can read: export it as JPEG"
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "an SVG drawing, which WeChat does not accept: export it as PNG"
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "a web page (HTML), not an image"
    if data.startswith(b"%PDF"):
        return "a PDF, not an image: export the page as PNG"
    return "not an image wxsync can use (it goes by content, not the file name): use JPEG, PNG, GIF, WebP, BMP or TIFF"


def is_lossless(data: bytes, kind: str) -> bool:
    """Whether the source format stores exact pixels (so a PNG keeps what the author made).

    WebP is either: its first image chunk says which ("VP8L" lossless, "VP8 " lossy).
    """
    if kind in ("png", "gif", "bmp", "tiff"):
        return True
    if kind != "webp":
        return False
    offset = 12
    while offset + 8 <= len(data):
        fourcc = data[offset : offset + 4]
        if fourcc in (b"VP8L", b"VP8 ", b"ANMF"):
            return fourcc == b"VP8L"
        (size,) = struct.unpack_from("<I", data, offset + 4)
        offset += 8 + size + (size & 1)
    return False


def open_image(source: bytes | BinaryIO, kind: str, src: str) -> Image.Image:
    """Open (header only) with just the Pillow plugins for `kind`, refusing decompression bombs.

    The pixel limit is Pillow's own `Image.MAX_IMAGE_PIXELS` (about 89 megapixels unless an
    application changed it): above it an image would need gigabytes of memory to decode.
    """
    Image.init()
    allowed = [name for name in _PILLOW_FORMATS.get(kind, ()) if name in Image.OPEN]
    if not allowed:
        raise ImageError(
            src, f"this Pillow cannot read {kind.upper()} images: convert it to PNG or JPEG"
        )
    fp = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        image = Image.open(fp, formats=allowed)
    except Image.DecompressionBombError:
        raise ImageError(src, _too_many_pixels_message()) from None
    except DECODE_ERRORS as exc:
        raise ImageError(
            src, f"is corrupt or not really {kind.upper()} ({exc}): open and re-save it"
        ) from None
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and image.width * image.height > limit:
        image.close()
        raise ImageError(src, _too_many_pixels_message(image.width, image.height))
    return image


def _too_many_pixels_message(width: int = 0, height: int = 0) -> str:
    limit = (Image.MAX_IMAGE_PIXELS or 0) / 1e6
    size = f"is {width}x{height} pixels" if width else "has too many pixels"
    return (
        f"{size}, over the {limit:.0f}-megapixel safety limit "
        "(it would take gigabytes of memory to decode): resize it"
    )


def _ftyp_brands(data: bytes) -> set[bytes]:
    """The brands of an ISO media file (AVIF, HEIC): the major brand and the compatible ones."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return set()
    (box_size,) = struct.unpack_from(">I", data, 0)
    end = min(max(box_size, 16), len(data), 256)
    return {data[8:12]} | {data[i : i + 4] for i in range(16, end - 3, 4)}
