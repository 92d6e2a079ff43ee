"""Remove private metadata from JPEG and PNG files without touching a single pixel.

Phones write the GPS position, the phone's serial number and the time into every photo, and
a published article is public forever. Re-encoding would remove that too, but it costs
quality and makes the bytes (and so the upload-once hash) depend on the encoder. Instead we
walk the file's structure and copy only what the picture needs.
"""

from __future__ import annotations

import struct

from wxsync.images.errors import ImageError
from wxsync.images.formats import image_type

# JPEG segments kept, by marker and payload prefix; every other APPn and every COM goes.
# JFIF says how to read the colours, ICC_PROFILE is the colour space and the Adobe segment
# says whether the data is YCbCr or RGB/CMYK: dropping any of them changes the colours.
_JPEG_KEEP = {0xE0: b"JFIF\x00", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}
_APP0, _APP15, _COM, _SOS, _EOI = 0xE0, 0xEF, 0xFE, 0xDA, 0xD9
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RST0-7 carry no length

# PNG ancillary chunks that affect how the picture looks (or moves: APNG). Other ancillary
# chunks are dropped: eXIf, tEXt, iTXt, zTXt and tIME hold metadata, and unknown private
# chunks may too. Apple's iDOT stores file offsets that dropping other chunks would make wrong.
_PNG_KEEP = {
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"cICP", b"mDCV", b"cLLI", b"sBIT",
    b"pHYs", b"bKGD", b"hIST", b"sPLT", b"acTL", b"fcTL", b"fdAT",
}  # fmt: skip
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def strip_metadata(data: bytes) -> bytes:
    """Return `data` without EXIF, XMP, IPTC and comments; other formats come back unchanged.

    JPEG: drops every APPn segment but JFIF, ICC profile and Adobe, drops comments, copies the
    image data byte for byte and stops at the end-of-image marker (cameras append extra images,
    "motion photos" a whole video with its own location, after it). PNG: drops ancillary chunks
    except those listed in `_PNG_KEEP`, and anything after IEND.
    The EXIF orientation goes too: `prepare_*` rotate such photos before they get here.
    """
    kind = image_type(data)
    if kind == "jpeg":
        return _strip_jpeg(data)
    if kind == "png":
        return _strip_png(data)
    return data


def _strip_jpeg(data: bytes) -> bytes:
    out = [data[:2]]
    pos, end = 2, len(data)
    while True:
        if pos >= end:
            raise _broken("JPEG", "it ends before the end-of-image marker")
        # Decoders skip stray bytes before a marker (libjpeg warns and goes on), so we drop
        # them too; any number of 0xFF fill bytes may precede the marker itself.
        next_marker = data.find(b"\xff", pos)
        if next_marker < 0:
            raise _broken("JPEG", "it ends before the end-of-image marker")
        pos = next_marker
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            raise _broken("JPEG", "it ends inside a marker")
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker in _STANDALONE:
            out.append(bytes((0xFF, marker)))
            continue
        if pos + 2 > end:
            raise _broken("JPEG", "a segment header is cut off")
        (length,) = struct.unpack_from(">H", data, pos)
        segment_end = pos + length
        if length < 2 or segment_end > end:
            raise _broken("JPEG", f"a segment at byte {pos} runs past the end of the file")
        if _keep_jpeg_segment(marker, data[pos + 2 : segment_end]):
            out.append(bytes((0xFF, marker)) + data[pos:segment_end])
        pos = segment_end
        if marker == _SOS:
            scan_end = _scan_end(data, pos)
            out.append(data[pos:scan_end])
            if scan_end == end:  # no EOI after the last scan: decoders accept that, and so do we
                out.append(b"\xff\xd9")
                return b"".join(out)
            pos = scan_end


def _keep_jpeg_segment(marker: int, payload: bytes) -> bool:
    if marker == _COM:
        return False
    if _APP0 <= marker <= _APP15:
        prefix = _JPEG_KEEP.get(marker)
        return prefix is not None and payload.startswith(prefix)
    return True


def _scan_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data after SOS ends: at the first marker that is not a restart.

    Inside the data a 0xFF byte is followed by 0x00 (stuffing) or is a restart marker.
    """
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            return len(data)
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos += 2
        elif following == 0xFF:
            pos += 1
        else:
            return pos


def _strip_png(data: bytes) -> bytes:
    out = [_PNG_SIGNATURE]
    pos, end = len(_PNG_SIGNATURE), len(data)
    while pos < end:
        if pos + 12 > end:
            raise _broken("PNG", f"a chunk header at byte {pos} is cut off")
        (length,) = struct.unpack_from(">I", data, pos)
        chunk_type = data[pos + 4 : pos + 8]
        chunk_end = pos + 12 + length
        if chunk_end > end:
            raise _broken("PNG", f"the {chunk_type!r} chunk runs past the end of the file")
        # Bit 5 of the first letter: lower case means ancillary (safe to drop), upper critical.
        critical = not chunk_type[0] & 0x20
        if critical or chunk_type in _PNG_KEEP:
            out.append(data[pos:chunk_end])
        pos = chunk_end
        if chunk_type == b"IEND":
            break
    return b"".join(out)


def _broken(kind: str, detail: str) -> ImageError:
    return ImageError("", f"is a damaged {kind} ({detail}): open and re-save it")
