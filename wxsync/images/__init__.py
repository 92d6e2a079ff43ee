"""Images for WeChat: find them, fetch them, make them acceptable, and name them by content.

The sync engine's path through this package, per image a post uses:

    ref = resolve(src, post_path, repo_root)          # a checked local file, or a URL
    data = ref.path.read_bytes() or fetch_remote(...)  # bytes, capped and sniffed
    prepared = prepare_body_image(data)               # or prepare_cover(data)
    prepared.sha256                                   # seen before? reuse its URL; else upload

Modules: `paths` (references and repository containment), `remote` (downloads), `prepare`
(what to send where), `encode` (conversion and shrinking), `metadata` (lossless EXIF
removal), `cover` (generated covers), `crop` (the cover crop setting), `formats` (magic bytes).
"""

from wxsync.images.cover import generate_cover
from wxsync.images.crop import parse_crop
from wxsync.images.errors import ImageError
from wxsync.images.formats import MATERIAL_LIMIT, UPLOADIMG_LIMIT, image_type
from wxsync.images.metadata import strip_metadata
from wxsync.images.paths import NOWHERE, ImageRef, Places, check_local, resolve
from wxsync.images.prepare import Prepared, prepare_body_image, prepare_cover
from wxsync.images.remote import fetch_remote

__all__ = [
    "MATERIAL_LIMIT",
    "NOWHERE",
    "UPLOADIMG_LIMIT",
    "ImageError",
    "ImageRef",
    "Places",
    "Prepared",
    "check_local",
    "fetch_remote",
    "generate_cover",
    "image_type",
    "parse_crop",
    "prepare_body_image",
    "prepare_cover",
    "resolve",
    "strip_metadata",
]
