"""Decide, per image, what bytes to send to WeChat and through which API.

Body images go to `media/uploadimg` (JPEG or PNG, under 1 MB, no quota); covers and
animated GIFs kept as GIFs go to `material/add_material` (BMP, PNG, JPEG or GIF up to 10 MB,
counted against the library). An image WeChat would take as it is goes through unchanged
except for its metadata, so the author's bytes are what readers see; anything else is decoded
once and re-encoded by `encode`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image

from wxsync.images.encode import encode, normalise
from wxsync.images.errors import ImageError
from wxsync.images.formats import (
    DECODE_ERRORS,
    EXT,
    MATERIAL_LIMIT,
    MIME,
    UPLOADIMG_LIMIT,
    describe_unknown,
    image_type,
    is_lossless,
    open_image,
)
from wxsync.images.metadata import strip_metadata

ANIMATED_GIF_CHOICES = ("first_frame", "material")
_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Prepared:
    """Bytes ready for one WeChat image API, with what the engine needs to send and record them."""

    data: bytes  # the bytes to send
    mime: str  # image/jpeg | image/png | image/gif | image/bmp
    ext: str  # "jpg" | "png" | "gif" | "bmp"
    sha256: str  # hex digest of `data`: the key of the "upload once, ever" table
    route: str  # "uploadimg" (body image) | "material" (add_material)
    width: int
    height: int


def prepare_body_image(
    data: bytes, *, animated_gif: str = "first_frame", src: str = ""
) -> Prepared:
    """Make `data` acceptable to uploadimg: a JPEG or PNG strictly under 1,000,000 bytes.

    JPEG and PNG that already fit pass through with only their metadata removed. An animated
    GIF becomes its first frame, unless `animated_gif="material"`: then it is kept whole for
    add_material, whose URL also works in the body, as long as it is at most 10 MB.
    Everything else is converted (see `encode`). `src` names the image in error messages.
    """
    if animated_gif not in ANIMATED_GIF_CHOICES:
        raise ValueError(
            f"animated_gif must be one of {', '.join(ANIMATED_GIF_CHOICES)}, not {animated_gif!r}"
        )
    kind = _kind(data, src)
    with _decoded(data, kind, src) as image:
        if (
            kind == "gif"
            and animated_gif == "material"
            and _animated(image)
            and len(data) <= MATERIAL_LIMIT
        ):
            return _prepared(data, "gif", "material", image.size)
        if kind in ("jpeg", "png") and _sendable_as_is(image, kind):
            stripped = _stripped(data, src)
            if len(stripped) < UPLOADIMG_LIMIT:
                return _prepared(stripped, kind, "uploadimg", image.size)
        return _converted(
            image, data, kind, max_bytes=UPLOADIMG_LIMIT - 1, route="uploadimg", src=src
        )


def prepare_cover(data: bytes, *, src: str = "") -> Prepared:
    """Make `data` acceptable to add_material as a cover: BMP, PNG, JPEG or GIF, at most 10 MB.

    Those formats pass through (JPEG and PNG without their metadata); WebP, TIFF and the rest
    are converted, and anything over 10 MB is shrunk. WeChat crops covers itself (2.35:1 for
    the article card, 1:1 for the share card), guided by the `pic_crop_*` settings, so the
    picture is not cropped here.
    """
    kind = _kind(data, src)
    with _decoded(data, kind, src) as image:
        if kind in ("gif", "bmp") and len(data) <= MATERIAL_LIMIT:
            return _prepared(data, kind, "material", image.size)
        if kind in ("jpeg", "png") and _sendable_as_is(image, kind):
            stripped = _stripped(data, src)
            if len(stripped) <= MATERIAL_LIMIT:
                return _prepared(stripped, kind, "material", image.size)
        return _converted(image, data, kind, max_bytes=MATERIAL_LIMIT, route="material", src=src)


def _kind(data: bytes, src: str) -> str:
    kind = image_type(data)
    if kind is None:
        raise ImageError(src, f"is {describe_unknown(data)}")
    return kind


@contextmanager
def _decoded(data: bytes, kind: str, src: str) -> Iterator[Image.Image]:
    """Open and fully decode the first frame, turning Pillow's many errors into one ImageError.

    Decoding up front catches truncated and corrupt files before anything is uploaded, also
    for images that would pass through unchanged.
    """
    image = open_image(data, kind, src)
    try:
        image.load()
        yield image
    except DECODE_ERRORS as exc:
        raise _corrupt(src, kind, exc) from None
    finally:
        image.close()


def _corrupt(src: str, kind: str, exc: BaseException) -> ImageError:
    return ImageError(src, f"is a damaged or truncated {kind.upper()} ({exc}): open and re-save it")


def _animated(image: Image.Image) -> bool:
    return bool(getattr(image, "is_animated", False))


def _sendable_as_is(image: Image.Image, kind: str) -> bool:
    """JPEG or PNG that every viewer shows correctly without the metadata we remove.

    A rotated photo relies on its EXIF orientation tag, which stripping removes (and WeChat's
    servers may too), so it is re-encoded upright. CMYK JPEGs show wrong colours in some
    viewers and are converted to RGB.
    """
    if image.getexif().get(_ORIENTATION, 1) not in (0, 1):
        return False
    return kind == "png" or image.mode in ("L", "RGB")


def _stripped(data: bytes, src: str) -> bytes:
    try:
        return strip_metadata(data)
    except ImageError as exc:
        raise ImageError(src, exc.message) from None


def _converted(
    image: Image.Image, data: bytes, kind: str, *, max_bytes: int, route: str, src: str
) -> Prepared:
    encoded = encode(
        normalise(image), lossless_source=is_lossless(data, kind), max_bytes=max_bytes, src=src
    )
    return _prepared(encoded.data, encoded.fmt, route, (encoded.width, encoded.height))


def _prepared(data: bytes, fmt: str, route: str, size: tuple[int, int]) -> Prepared:
    return Prepared(
        data=data,
        mime=MIME[fmt],
        ext=EXT[fmt],
        sha256=hashlib.sha256(data).hexdigest(),
        route=route,
        width=size[0],
        height=size[1],
    )
