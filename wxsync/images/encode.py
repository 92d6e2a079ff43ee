"""Decoded image in, JPEG or PNG bytes under a size limit out: the same bytes every time.

Determinism matters more than the last per cent of quality: the bytes' SHA-256 is the key of
the "upload once, ever" table, so every choice below depends only on the pixels (no clocks,
no randomness, no thread timing) and each encoder runs with fixed settings.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageCms, ImageOps, ImageStat

from wxsync.images.errors import ImageError

# WeChat shows body images at most a phone-screen wide: about 1080-1290 device pixels on a 3x
# phone. Above that, resolution is the cheapest thing to give up; below it, quality is.
MIN_LONG_SIDE = 1280
# Tried from the bottom up at sizes above MIN_LONG_SIDE; at or below it the low ones join.
GOOD_QUALITIES = (90, 85, 80, 75, 70)
LOW_QUALITIES = (60, 50, 40)
# Resizing aims this far under the limit, so that one estimate usually lands.
_HEADROOM = 0.9
# Drawn or photographed? A screenshot's PNG is about as small as a good JPEG of it (often
# smaller), a photo's is four to ten times bigger. Between the two lies this ratio.
_DRAWN_RATIO = 2
_SMALLEST_SIDE = 16
# A 256-colour palette "loses nothing worth keeping" when no channel is off by more than this
# RMS value (out of 255): invisible, and it makes graphics with alpha several times smaller.
_PALETTE_RMS = 2.0
_GREY_16BIT = ("I;16", "I;16B", "I;16L", "I;16N")


@dataclass(frozen=True)
class Encoded:
    data: bytes
    fmt: str  # "jpeg" | "png"
    width: int
    height: int


def normalise(image: Image.Image) -> Image.Image:
    """The loaded first frame, upright, in sRGB, as L, LA, RGB, RGBA or P, with no metadata.

    EXIF orientation is applied because the orientation tag does not survive re-encoding.
    Colour profiles are converted to sRGB rather than carried along: WeChat's image servers
    may drop them, and a Display P3 photo without its profile looks dull.
    """
    upright = ImageOps.exif_transpose(image)
    icc = upright.info.get("icc_profile")
    transparency = upright.info.get("transparency")
    if transparency is not None and upright.mode in ("L", "RGB"):  # a tRNS colour key
        upright = upright.convert("LA" if upright.mode == "L" else "RGBA")
    mode = upright.mode
    if mode in (*_GREY_16BIT, "I", "F"):
        result = _grey_8bit(upright)
    elif mode == "P":
        result = upright  # a palette stays one: exact, and it keeps its transparent index
    elif mode in ("CMYK", "RGB", "RGBA"):
        result = _to_srgb(upright, icc) if icc else upright
        if mode == "CMYK" and result.mode == "CMYK":
            result = result.convert("RGB")
    elif mode in ("L", "LA"):
        result = upright
    elif mode in ("1", "La", "PA", "RGBa", "RGBX", "YCbCr", "LAB", "HSV"):
        result = upright.convert({"1": "L", "La": "LA"}.get(mode, "RGBA" if "A" in mode else "RGB"))
    else:  # any mode a future Pillow adds
        result = upright.convert("RGBA" if "A" in mode else "RGB")
    if result.mode in ("LA", "RGBA") and result.getchannel("A").getextrema()[0] == 255:
        result = result.convert(result.mode[:-1])  # an alpha channel nobody uses
    # `upright` is already a copy, so clearing the metadata here touches nothing of the caller's.
    keep = result.mode == "P" and transparency is not None
    result.info = {"transparency": transparency} if keep else {}
    return result


def encode(image: Image.Image, *, lossless_source: bool, max_bytes: int, src: str = "") -> Encoded:
    """Choose PNG or JPEG for a normalised image and make it at most `max_bytes` long.

    PNG when the picture has transparency (JPEG has none); when it came from a lossless
    format and has 256 colours or fewer (a chart, a logo: it stays PNG even if it must be
    resized); or when it came from a lossless format, looks drawn rather than photographed
    (see `_DRAWN_RATIO`) and fits as PNG (screenshots stay sharp: JPEG smears text).
    Everything else is a photo and becomes JPEG, several times smaller than PNG for photos.
    """
    graphic = image.mode == "P" or (image.mode != "L" and image.getcolors(256) is not None)
    if image.mode in ("LA", "RGBA") or "transparency" in image.info:
        return _fit_png(image, max_bytes, src, graphic=graphic)
    if lossless_source and graphic:
        return _fit_png(image, max_bytes, src, graphic=True)
    if lossless_source:
        quick = _png_bytes(image, quick=True)
        if len(quick) <= _DRAWN_RATIO * len(_jpeg_bytes(image, 90)):
            data = min(quick, _png_bytes(image), key=len)
            if len(data) <= max_bytes:
                return Encoded(data, "png", image.width, image.height)
    return _fit_jpeg(image, max_bytes, src)


def _fit_jpeg(image: Image.Image, max_bytes: int, src: str) -> Encoded:
    """The best quality that fits at full size, else smaller sizes (see MIN_LONG_SIDE)."""
    image = image if image.mode in ("L", "RGB") else image.convert("RGB")
    floor = MIN_LONG_SIDE / max(image.size)  # the scale that makes the long side MIN_LONG_SIDE
    scale = 1.0
    while True:
        candidate = _resized(image, scale)
        at_floor = scale <= floor
        qualities = GOOD_QUALITIES + LOW_QUALITIES if at_floor else GOOD_QUALITIES
        data, smallest = _highest_quality(candidate, qualities, max_bytes)
        if data is not None:
            return Encoded(data, "jpeg", candidate.width, candidate.height)
        scale = _next_scale(image, scale, smallest, max_bytes, src)
        if not at_floor:
            scale = max(scale, floor)  # stop at the floor once, to try the low qualities there


def _highest_quality(
    image: Image.Image, qualities: tuple[int, ...], max_bytes: int
) -> tuple[bytes | None, int]:
    """Binary search for the highest quality that fits; sizes grow with quality.

    Returns the bytes, or None and the size at the lowest quality (to estimate a new scale).
    """
    ordered = sorted(qualities)
    lowest = _jpeg_bytes(image, ordered[0])
    if len(lowest) > max_bytes:
        return None, len(lowest)
    best, low, high = lowest, 1, len(ordered) - 1
    while low <= high:
        middle = (low + high) // 2
        data = _jpeg_bytes(image, ordered[middle])
        if len(data) <= max_bytes:
            best, low = data, middle + 1
        else:
            high = middle - 1
    return best, len(best)


def _fit_png(image: Image.Image, max_bytes: int, src: str, *, graphic: bool) -> Encoded:
    """Full size; then a 256-colour palette if that loses nothing visible; then smaller sizes.

    Graphics (256 colours or fewer) are re-quantised after each resize, since smoothing adds
    in-between colours nobody drew; other images only once resizing reached MIN_LONG_SIDE.
    """
    data = _png_bytes(image)
    if len(data) <= max_bytes:
        return Encoded(data, "png", image.width, image.height)
    palette_ok = graphic
    if not graphic:
        quantised = _close_palette(image)
        if quantised is not None:
            palette_ok = True
            data = _png_bytes(quantised)
            if len(data) <= max_bytes:
                return Encoded(data, "png", image.width, image.height)
    working = (
        image.convert("RGBA" if "transparency" in image.info else "RGB")
        if image.mode == "P"
        else image
    )
    long_side = max(image.size)
    scale = 1.0
    while True:
        scale = _next_scale(image, scale, len(data), max_bytes, src)
        candidate = _resized(working, scale)
        if palette_ok or long_side * scale <= MIN_LONG_SIDE:
            candidate = _quantise(candidate)
        data = _png_bytes(candidate)
        if len(data) <= max_bytes:
            return Encoded(data, "png", candidate.width, candidate.height)


def _next_scale(image: Image.Image, scale: float, size: int, max_bytes: int, src: str) -> float:
    """Scale down by the area the bytes must shrink by (both grow with the pixel count)."""
    factor = min(0.9, math.sqrt(_HEADROOM * max_bytes / size))
    scale *= factor
    if min(image.size) * scale < _SMALLEST_SIDE:
        raise ImageError(
            src, f"cannot be made smaller than {max_bytes:,} bytes: use a simpler image"
        )
    return scale


def _resized(image: Image.Image, scale: float) -> Image.Image:
    if scale >= 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # reducing_gap: shrink by whole factors first, then Lanczos; fast and still sharp.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _jpeg_bytes(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(
        buffer, "JPEG", quality=quality, optimize=True, progressive=True, subsampling="4:2:0"
    )
    return buffer.getvalue()


def _png_bytes(image: Image.Image, *, quick: bool = False) -> bytes:
    """PNG at maximum compression, as an exact palette image when 256 colours are enough.

    `quick`: the fastest zlib level, as a cheap estimate (and on noisy pictures the fastest
    level is sometimes even the smallest).
    """
    buffer = io.BytesIO()
    if quick:
        image.save(buffer, "PNG", compress_level=1)
    else:
        _exact_palette(image).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _exact_palette(image: Image.Image) -> Image.Image:
    if image.mode not in ("RGB", "RGBA") or image.getcolors(256) is None:
        return image
    method = Image.Quantize.FASTOCTREE if image.mode == "RGBA" else Image.Quantize.MEDIANCUT
    palette = image.quantize(256, method=method)
    # Pillow's quantisers keep ≤256 colours exactly as a rule; checking costs little.
    return palette if palette.convert(image.mode).tobytes() == image.tobytes() else image


def _quantise(image: Image.Image) -> Image.Image:
    if image.mode not in ("RGB", "RGBA"):
        return image
    method = Image.Quantize.FASTOCTREE if image.mode == "RGBA" else Image.Quantize.MEDIANCUT
    return image.quantize(256, method=method)


def _close_palette(image: Image.Image) -> Image.Image | None:
    """A 256-colour version of `image` if no channel moves by more than `_PALETTE_RMS`."""
    palette = _quantise(image)
    if palette is image:
        return None
    difference = ImageChops.difference(palette.convert(image.mode), image)
    return palette if max(ImageStat.Stat(difference).rms) <= _PALETTE_RMS else None


def _grey_8bit(image: Image.Image) -> Image.Image:
    """16-bit and float greyscale to 8 bits by scaling; Pillow's plain convert("L") clips."""
    wide = image if image.mode in ("I", "F") else image.convert("I")
    if image.mode in _GREY_16BIT:
        low, high = 0.0, 65535.0
    else:
        extrema = wide.getextrema()
        low, high = float(extrema[0]), float(extrema[1])  # type: ignore[arg-type]
        if low >= 0 and high <= 255:
            low, high = 0.0, 255.0
    span = (high - low) or 1.0
    scale, offset = 255.0 / span, -low * 255.0 / span
    return wide.point(lambda value: value * scale + offset).convert("L")


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    """Convert from the embedded profile to sRGB; keep the pixels as they are if it is sRGB
    already or the profile is unusable (a broken profile must not stop a post)."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower().replace(" ", ""):
            return image
        srgb = ImageCms.createProfile("sRGB")
        if image.mode == "RGBA":
            alpha = image.getchannel("A")
            converted = ImageCms.profileToProfile(
                image.convert("RGB"), profile, srgb, outputMode="RGB"
            )
            assert converted is not None
            converted.putalpha(alpha)
            return converted
        converted = ImageCms.profileToProfile(image, profile, srgb, outputMode="RGB")
        assert converted is not None
        return converted
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
