"""Images: resolving references safely, downloading, converting for WeChat, metadata, covers.

Every converted image is uploaded to the emulator, which checks formats and sizes the way
WeChat does. Downloads go to a real HTTP server on loopback.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from PIL import ExifTags, Image, ImageCms, ImageStat

from tests.conftest import free_port, image_bytes
from wxsync.errors import ConfigError
from wxsync.images import (
    ImageError,
    ImageRef,
    Prepared,
    check_local,
    fetch_remote,
    generate_cover,
    image_type,
    parse_crop,
    prepare_body_image,
    prepare_cover,
    resolve,
    strip_metadata,
)
from wxsync.images.cover import CJK_FONT_PATHS
from wxsync.images.remote import display_url
from wxsync.wechat.client import WeChatClient

LIMIT = 1_000_000
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

# -- making test images ---------------------------------------------------------------------------


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def noise(size: tuple[int, int], mode: str = "RGB", seed: int = 1) -> Image.Image:
    """Random pixels: the worst case for every compressor, and the same every run."""
    bands = len(Image.new(mode, (1, 1)).getbands())
    data = random.Random(seed).randbytes(size[0] * size[1] * bands)
    return Image.frombytes(mode, size, data)


def photo(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Smooth colour gradients with sensor-like noise: compresses like a real photo."""
    red = Image.linear_gradient("L").resize(size)
    green = Image.radial_gradient("L").resize(size)
    blue = Image.linear_gradient("L").rotate(90).resize(size)
    grain = noise(size, "L", seed)
    bands = [Image.blend(band, grain, 0.2) for band in (red, green, blue)]
    return Image.merge("RGB", bands)


def diagram(size: tuple[int, int], colours: int = 6) -> Image.Image:
    """Flat colour stripes and blocks: a screenshot or chart with few colours."""
    rng = random.Random(7)
    palette = [tuple(rng.randrange(256) for _ in range(3)) for _ in range(colours)]
    image = Image.new("RGB", size, "white")
    for x in range(0, size[0], 3):
        for y in range(0, size[1], 50):
            image.paste(palette[(x * 7 + y) % colours], (x, y, x + 3, y + 50))
    return image


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Phone 15 serial 1234"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (39.0, 54.0, 15.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (116.0, 23.0, 30.0),
    }
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    return exif


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    image = decode(data)
    return image.mode, image.size, image.tobytes()


def png_chunks(data: bytes) -> list[bytes]:
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        chunks.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return chunks


def png_16bit_rgb(size: tuple[int, int]) -> bytes:
    """A 48-bit RGB PNG (Pillow cannot write one), with random pixels."""
    width, height = size
    rng = random.Random(3)
    rows = b"".join(b"\x00" + rng.randbytes(width * 6) for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def png_bomb(side: int = 30_000) -> bytes:
    """A tiny PNG that claims side x side pixels: 900 megapixels of zeros."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\x00" * (1 + side // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def animated_gif(colours: tuple[str, ...] = ("red", "lime", "blue"), **options: object) -> bytes:
    frames = [Image.new("RGB", (40, 30), colour) for colour in colours]
    return encoded(
        frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0, **options
    )


def upload(client: WeChatClient, prepared: Prepared) -> str:
    """Send a prepared image the way the engine will, and return the URL WeChat gives it."""
    name = f"image.{prepared.ext}"
    if prepared.route == "uploadimg":
        return client.upload_image(prepared.data, name, prepared.mime)
    return client.add_image_material(prepared.data, name, prepared.mime).url


# -- resolving references -------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "blog"
    (root / "content" / "2024" / "images").mkdir(parents=True)
    (root / "content" / "2024" / "post.md").write_text("# Post\n", encoding="utf-8")
    (root / "static").mkdir()
    return root


def post(repo: Path) -> Path:
    return repo / "content" / "2024" / "post.md"


def put(path: Path, data: bytes | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image_bytes() if data is None else data)
    return path


def test_relative_path_resolves_from_the_posts_folder(repo: Path) -> None:
    image = put(repo / "content" / "2024" / "images" / "cat.png")

    for src in ("images/cat.png", "./images/cat.png", "images/./../images/cat.png"):
        ref = resolve(src, post(repo), repo)
        assert ref == ImageRef(src=src, kind="local", path=image.resolve(), url=None)


def test_leading_slash_resolves_from_the_repository_root(repo: Path) -> None:
    image = put(repo / "static" / "logo.png")

    ref = resolve("/static/logo.png", post(repo), repo)

    assert ref.path == image.resolve()


def test_parent_folders_inside_the_repository_are_fine(repo: Path) -> None:
    image = put(repo / "static" / "shared.png")

    assert resolve("../../static/shared.png", post(repo), repo).path == image.resolve()


def test_url_encoded_names_are_decoded(repo: Path) -> None:
    spaced = put(repo / "content" / "2024" / "my photo.png")
    chinese = put(repo / "content" / "2024" / "图片 1.png")

    assert resolve("my%20photo.png", post(repo), repo).path == spaced.resolve()
    assert resolve("%E5%9B%BE%E7%89%87%201.png", post(repo), repo).path == chinese.resolve()


def test_query_and_fragment_are_ignored_for_local_files(repo: Path) -> None:
    image = put(repo / "content" / "2024" / "cat.png")

    for src in ("cat.png?v=2", "cat.png#center", "cat.png?raw=true#x"):
        assert resolve(src, post(repo), repo).path == image.resolve()


def test_dotdot_escaping_the_repository_is_refused(repo: Path) -> None:
    put(repo.parent / "secret.png")

    with pytest.raises(ImageError) as caught:
        resolve("../../../secret.png", post(repo), repo)

    assert caught.value.src == "../../../secret.png"
    assert "outside the repository" in str(caught.value)


def test_symlink_to_a_file_outside_the_repository_is_refused(repo: Path) -> None:
    outside = put(repo.parent / "private" / "id_photo.png")
    (repo / "content" / "2024" / "innocent.png").symlink_to(outside)

    with pytest.raises(ImageError, match="symlink to a file outside the repository"):
        resolve("innocent.png", post(repo), repo)


def test_symlinked_folder_pointing_outside_is_refused(repo: Path) -> None:
    put(repo.parent / "elsewhere" / "a.png")
    (repo / "content" / "2024" / "linked").symlink_to(repo.parent / "elsewhere")

    with pytest.raises(ImageError, match="outside the repository"):
        resolve("linked/a.png", post(repo), repo)


def test_symlink_within_the_repository_is_followed(repo: Path) -> None:
    target = put(repo / "static" / "real.png")
    (repo / "content" / "2024" / "alias.png").symlink_to(target)

    assert resolve("alias.png", post(repo), repo).path == target.resolve()


def test_missing_file_names_the_path_to_check(repo: Path) -> None:
    with pytest.raises(ImageError) as caught:
        resolve("images/nope.png", post(repo), repo)

    assert str(caught.value).startswith(
        "images/nope.png: file not found (content/2024/images/nope.png)"
    )


def test_missing_file_suggests_a_name_differing_only_in_case(repo: Path) -> None:
    put(repo / "content" / "2024" / "images" / "Cat.PNG")

    with pytest.raises(ImageError, match=r"did you mean 'Cat.PNG'"):
        resolve("images/cat.png", post(repo), repo)


def test_a_folder_is_not_an_image(repo: Path) -> None:
    with pytest.raises(ImageError, match="is a folder"):
        resolve("images", post(repo), repo)


def test_empty_path_or_nul_character_is_refused(repo: Path) -> None:
    with pytest.raises(ImageError, match="empty image path"):
        resolve("?x=1", post(repo), repo)
    with pytest.raises(ImageError, match="NUL character"):
        resolve("cat%00.png", post(repo), repo)


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("data:image/png;base64,iVBORw0KGgo=", "embedded data: images"),
        ("file:///etc/passwd", "'file:' links"),
        ("ftp://example.com/a.png", "'ftp:' links"),
        ("javascript:alert(1)", "'javascript:' links"),
        ("C:\\Users\\me\\a.png", "Windows path"),
        ("https:///no-host.png", "no host name"),
    ],
)
def test_schemes_other_than_http_are_refused(repo: Path, src: str, expected: str) -> None:
    with pytest.raises(ImageError, match=expected):
        resolve(src, post(repo), repo)


def test_http_urls_are_remote_and_scheme_relative_ones_use_https(repo: Path) -> None:
    url = "https://cdn.example.com/a.png?w=600"
    assert resolve(url, post(repo), repo) == ImageRef(src=url, kind="remote", path=None, url=url)
    assert resolve("HTTP://example.com/b.jpg", post(repo), repo).kind == "remote"
    ref = resolve("//cdn.example.com/c.png", post(repo), repo)
    assert ref.url == "https://cdn.example.com/c.png"


def test_format_is_decided_by_content_not_extension(repo: Path) -> None:
    put(repo / "content" / "2024" / "really-a-png.jpg", image_bytes("PNG"))
    put(repo / "content" / "2024" / "notes.png", b"these are my notes, not a picture\n" * 4)
    put(repo / "content" / "2024" / "drawing.png", b'<?xml version="1.0"?>\n<svg width="10"/>')
    heic = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic"
    put(repo / "content" / "2024" / "iphone.jpg", heic + b"\x00" * 100)

    assert resolve("really-a-png.jpg", post(repo), repo).kind == "local"
    with pytest.raises(ImageError, match="not an image wxsync can use"):
        resolve("notes.png", post(repo), repo)
    with pytest.raises(ImageError, match=r"SVG drawing.*export it as PNG"):
        resolve("drawing.png", post(repo), repo)
    with pytest.raises(ImageError, match=r"HEIC.*export it as JPEG"):
        resolve("iphone.jpg", post(repo), repo)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"])
def test_formats_we_can_convert_pass_the_check(repo: Path, fmt: str) -> None:
    path = put(repo / "content" / "2024" / f"a.{fmt.lower()}", image_bytes(fmt))

    check_local(ImageRef(src="a", kind="local", path=path, url=None))


def test_check_refuses_a_damaged_header(repo: Path) -> None:
    put(repo / "content" / "2024" / "broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)

    with pytest.raises(ImageError, match=r"broken.png: is corrupt"):
        resolve("broken.png", post(repo), repo)


def test_check_refuses_a_decompression_bomb_without_decoding_it(repo: Path) -> None:
    put(repo / "content" / "2024" / "bomb.png", png_bomb())

    started = time.perf_counter()
    with pytest.raises(ImageError, match=r"bomb.png: has too many pixels, over the 89-megapixel"):
        resolve("bomb.png", post(repo), repo)
    assert time.perf_counter() - started < 1


def test_check_refuses_an_unreadable_file(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = put(repo / "content" / "2024" / "locked.png")
    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        # chmod 0 does not stop root, who runs CI here: refuse the read the way the OS would.
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(ImageError, match="permission denied"):
        resolve("locked.png", post(repo), repo)


def test_check_of_a_file_deleted_since_resolving_says_not_found(repo: Path) -> None:
    path = put(repo / "content" / "2024" / "gone.png")
    ref = resolve("gone.png", post(repo), repo)
    path.unlink()

    with pytest.raises(ImageError, match=r"gone.png: file not found"):
        check_local(ref)


def test_check_leaves_remote_images_to_the_download() -> None:
    check_local(
        ImageRef(src="https://x.test/a.png", kind="remote", path=None, url="https://x.test/a.png")
    )


# -- metadata ---------------------------------------------------------------------------------------


def phone_jpeg() -> bytes:
    return encoded(
        photo((320, 240)),
        "JPEG",
        quality=90,
        exif=gps_exif(),
        xmp=b"<x:xmpmeta><exif:GPSLatitude>39,54.25N</exif:GPSLatitude></x:xmpmeta>",
        comment=b"taken at home",
        icc_profile=srgb_icc(),
    )


def test_stripping_a_jpeg_removes_gps_exif_xmp_and_comments_and_keeps_every_pixel() -> None:
    original = phone_jpeg()
    assert decode(original).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    stripped = strip_metadata(original)

    image = decode(stripped)
    assert not image.getexif()
    assert "xmp" not in image.info
    assert "comment" not in image.info
    for secret in (b"Exif", b"PhoneCo", b"GPSLatitude", b"taken at home"):
        assert secret not in stripped
    assert image.info["icc_profile"] == srgb_icc()
    assert pixels(stripped) == pixels(original)
    assert len(stripped) < len(original)


def test_stripping_drops_what_cameras_append_after_the_image() -> None:
    original = phone_jpeg()
    motion_photo = original + b"\x00\x00\x00\x18ftypmp42 video with GPS 39.9N 116.4E"

    stripped = strip_metadata(motion_photo)

    assert b"video with GPS" not in stripped
    assert stripped == strip_metadata(original)


def test_stripping_a_progressive_jpeg_with_restart_markers_keeps_every_pixel() -> None:
    original = encoded(
        photo((300, 200)),
        "JPEG",
        quality=80,
        progressive=True,
        restart_marker_rows=1,
        exif=gps_exif(),
    )

    stripped = strip_metadata(original)

    assert b"PhoneCo" not in stripped
    assert pixels(stripped) == pixels(original)


def test_stripping_a_png_removes_text_exif_and_time_chunks_and_keeps_every_pixel() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Jane at 39.9N 116.4E")
    info.add_itxt("Description", "在家里拍的", zip=True)
    info.add_text("Comment", "compressed " * 20, zip=True)
    info.add(b"tIME", struct.pack(">HBBBBB", 2024, 5, 1, 12, 0, 0))
    info.add(b"prVt", b"a private chunk")
    source = diagram((120, 80)).convert("RGBA")
    original = encoded(source, "PNG", pnginfo=info, exif=gps_exif(), icc_profile=srgb_icc())
    assert {b"tEXt", b"iTXt", b"zTXt", b"tIME", b"eXIf", b"prVt"} <= set(png_chunks(original))

    stripped = strip_metadata(original)

    assert set(png_chunks(stripped)) == {b"IHDR", b"iCCP", b"IDAT", b"IEND"}
    assert pixels(stripped) == pixels(original)


def test_stripping_leaves_other_formats_and_clean_files_alone() -> None:
    for fmt in ("GIF", "WEBP", "BMP", "TIFF"):
        data = image_bytes(fmt)
        assert strip_metadata(data) == data
    assert strip_metadata(b"not an image") == b"not an image"
    clean_png, clean_jpeg = image_bytes("PNG"), image_bytes("JPEG")
    assert strip_metadata(clean_png) == clean_png
    assert strip_metadata(clean_jpeg) == clean_jpeg


def test_a_jpeg_whose_structure_is_broken_cannot_be_stripped() -> None:
    data = phone_jpeg()
    cut_in_a_segment = data[:30]

    with pytest.raises(ImageError, match="damaged JPEG"):
        strip_metadata(cut_in_a_segment)


# -- body images: pass-through ----------------------------------------------------------------------


def test_small_jpeg_and_png_without_metadata_pass_through_byte_for_byte(
    client: WeChatClient,
) -> None:
    for fmt, mime, ext in (("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png")):
        data = encoded(photo((200, 150)), fmt)

        prepared = prepare_body_image(data)

        assert prepared == Prepared(
            data=data,
            mime=mime,
            ext=ext,
            sha256=hashlib.sha256(data).hexdigest(),
            route="uploadimg",
            width=200,
            height=150,
        )
        assert upload(client, prepared).startswith("http://mmbiz.qpic.cn/")


def test_pass_through_removes_gps_and_keeps_the_picture_identical() -> None:
    original = phone_jpeg()

    prepared = prepare_body_image(original)

    assert prepared.data == strip_metadata(original)
    assert b"PhoneCo" not in prepared.data
    assert pixels(prepared.data) == pixels(original)
    assert prepared.sha256 == hashlib.sha256(prepared.data).hexdigest()


def test_palette_png_with_transparency_under_the_limit_passes_through() -> None:
    image = diagram((100, 60)).quantize(8)
    data = encoded(image, "PNG", transparency=0)

    assert prepare_body_image(data).data == data


def test_rotated_phone_photo_is_re_encoded_upright_without_its_exif() -> None:
    landscape = photo((300, 200))
    data = encoded(landscape, "JPEG", quality=92, exif=gps_exif(orientation=6))

    prepared = prepare_body_image(data)

    result = decode(prepared.data)
    assert (prepared.width, prepared.height) == (200, 300) == result.size
    assert not result.getexif()
    assert b"PhoneCo" not in prepared.data


# -- body images: conversion ------------------------------------------------------------------------


def webp_with_alpha() -> bytes:
    image = photo((240, 160)).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((240, 160)))
    return encoded(image, "WEBP", quality=80)


def cmyk_jpeg() -> bytes:
    return encoded(photo((320, 240)).convert("CMYK"), "JPEG", quality=90)


def png_16bit_grey() -> bytes:
    """A 16-bit greyscale photo-like PNG over 1 MB: a gradient using the whole 16-bit range."""
    rng = random.Random(5)
    gradient = Image.linear_gradient("L").resize((900, 900))
    levels = [
        min(65535, max(0, value * 257 + rng.randrange(-1500, 1500))) for value in gradient.tobytes()
    ]
    image = Image.new("I;16", (900, 900))
    image.putdata(levels)
    return encoded(image, "PNG")


def big_palette_png_with_transparency() -> bytes:
    """Over 1 MB: random palette noise with a fully transparent block in the middle."""
    image = noise((1500, 1500), "L").convert("P")
    image.putpalette([value for index in range(256) for value in (index, 255 - index, index // 2)])
    image.paste(0, (500, 500, 1000, 1000))
    return encoded(image, "PNG", transparency=0)


# name -> (bytes, expected output format)
CONVERSIONS: dict[str, tuple[Callable[[], bytes], str]] = {
    "webp photo": (lambda: encoded(photo((640, 480)), "WEBP", quality=85), "jpeg"),
    "lossless webp diagram": (lambda: encoded(diagram((400, 300)), "WEBP", lossless=True), "png"),
    "webp with alpha": (webp_with_alpha, "png"),
    "gif": (lambda: encoded(diagram((300, 200)), "GIF"), "png"),
    "animated gif": (animated_gif, "png"),
    "bmp photo": (lambda: encoded(photo((800, 600)), "BMP"), "jpeg"),
    "bmp diagram": (lambda: encoded(diagram((800, 600)), "BMP"), "png"),
    "tiff": (lambda: encoded(photo((640, 480)), "TIFF"), "jpeg"),
    "cmyk jpeg": (cmyk_jpeg, "jpeg"),
    "16-bit grey png over 1 MB": (png_16bit_grey, "jpeg"),
    "16-bit rgb png over 1 MB": (lambda: png_16bit_rgb((700, 500)), "jpeg"),
    "palette png with transparency over 1 MB": (big_palette_png_with_transparency, "png"),
    "jpeg over 1 MB": (lambda: encoded(photo((3000, 2000)), "JPEG", quality=97), "jpeg"),
}


@pytest.mark.parametrize("name", list(CONVERSIONS))
def test_conversion_gives_an_image_wechat_accepts_for_the_body(
    client: WeChatClient, name: str
) -> None:
    make, expected = CONVERSIONS[name]
    data = make()

    prepared = prepare_body_image(data)

    assert image_type(prepared.data) == expected
    assert len(prepared.data) < LIMIT
    assert prepared.route == "uploadimg"
    assert prepared.mime == f"image/{expected}"
    assert prepared.ext == {"jpeg": "jpg", "png": "png"}[expected]
    assert decode(prepared.data).size == (prepared.width, prepared.height)
    assert prepared.sha256 == hashlib.sha256(prepared.data).hexdigest()
    assert upload(client, prepared).startswith("http://mmbiz.qpic.cn/")


@pytest.mark.parametrize("name", list(CONVERSIONS))
def test_preparing_the_same_bytes_twice_gives_the_same_bytes(name: str) -> None:
    data = CONVERSIONS[name][0]()

    assert prepare_body_image(data) == prepare_body_image(data)


def test_converted_images_carry_no_metadata() -> None:
    data = encoded(photo((300, 200)), "WEBP", exif=gps_exif(), icc_profile=srgb_icc())

    prepared = prepare_body_image(data)

    result = decode(prepared.data)
    assert not result.getexif()
    assert b"PhoneCo" not in prepared.data


def colour_key_png_over_1_mb() -> bytes:
    """An RGB PNG whose tRNS chunk makes one colour transparent (a "colour key")."""
    image = noise((1000, 1000), seed=4)
    image.paste((0, 0, 255), (300, 300, 700, 700))
    return encoded(image, "PNG", transparency=(0, 0, 255))


def test_transparency_survives_conversion() -> None:
    for data in (
        webp_with_alpha(),
        big_palette_png_with_transparency(),
        colour_key_png_over_1_mb(),
    ):
        result = decode(prepare_body_image(data).data).convert("RGBA")
        low, high = result.getchannel("A").getextrema()
        assert low < 32 and high == 255


def test_transparent_gif_becomes_a_png_with_the_same_pixels() -> None:
    image = diagram((60, 40)).quantize(4)
    data = encoded(image, "GIF", transparency=0)

    prepared = prepare_body_image(data)

    assert image_type(prepared.data) == "png"
    assert decode(prepared.data).convert("RGBA").tobytes() == decode(data).convert("RGBA").tobytes()


def test_16_bit_png_is_scaled_to_8_bits_not_clipped_to_white() -> None:
    prepared = prepare_body_image(png_16bit_grey())

    mean = ImageStat.Stat(decode(prepared.data).convert("L")).mean[0]
    assert 110 < mean < 145  # a full-range gradient averages half-scale; clipping gives ~255


def test_cmyk_jpeg_becomes_rgb_with_similar_colours() -> None:
    original = photo((320, 240))
    prepared = prepare_body_image(cmyk_jpeg())

    result = decode(prepared.data)
    assert result.mode == "RGB"
    assert (
        abs(result.resize((1, 1)).getpixel((0, 0))[0] - original.resize((1, 1)).getpixel((0, 0))[0])
        < 12
    )  # type: ignore[index]


def test_graphics_from_lossless_sources_stay_png_and_photos_become_jpeg() -> None:
    screenshot = encoded(diagram((1200, 800), colours=12), "BMP")
    holiday = encoded(photo((1200, 800)), "BMP")

    assert image_type(prepare_body_image(screenshot).data) == "png"
    assert image_type(prepare_body_image(holiday).data) == "jpeg"


def test_large_screenshot_with_few_colours_is_shrunk_as_png(client: WeChatClient) -> None:
    rng = random.Random(9)
    image = Image.new("P", (4000, 3000))
    image.putpalette([rng.randrange(256) for _ in range(48)])
    image.putdata(list(random.Random(2).choices(range(16), k=4000 * 3000)))
    data = encoded(image, "PNG")
    assert len(data) > 2 * LIMIT

    prepared = prepare_body_image(data)

    assert image_type(prepared.data) == "png"
    assert len(prepared.data) < LIMIT
    assert upload(client, prepared)


def test_large_noisy_photo_shrinks_under_the_limit(client: WeChatClient) -> None:
    data = encoded(noise((4000, 3000)), "JPEG", quality=95)
    assert len(data) > 10 * LIMIT

    prepared = prepare_body_image(data)

    assert image_type(prepared.data) == "jpeg"
    assert len(prepared.data) < LIMIT
    assert prepared.width / prepared.height == pytest.approx(4 / 3, rel=0.01)
    assert upload(client, prepared)


def test_twelve_megapixel_photo_conversion_time(client: WeChatClient) -> None:
    """Not a pass/fail test: prints how long a typical phone photo takes (run with -s)."""
    data = encoded(photo((4000, 3000)), "PNG", compress_level=1)

    started = time.perf_counter()
    prepared = prepare_body_image(data)
    elapsed = time.perf_counter() - started

    print(
        f"\n12 MP PNG photo ({len(data):,} bytes) -> {prepared.ext} {prepared.width}x{prepared.height}"
        f" ({len(prepared.data):,} bytes) in {elapsed:.2f} s"
    )
    assert len(prepared.data) < LIMIT
    assert upload(client, prepared)


# -- animated GIFs -----------------------------------------------------------------------------------


def test_animated_gif_becomes_its_first_frame_by_default() -> None:
    prepared = prepare_body_image(animated_gif(("red", "lime", "blue")))

    assert prepared.route == "uploadimg"
    assert decode(prepared.data).convert("RGB").getpixel((5, 5)) == (255, 0, 0)


def test_animated_gif_is_kept_whole_as_material_when_configured(client: WeChatClient) -> None:
    data = animated_gif()

    prepared = prepare_body_image(data, animated_gif="material")

    assert prepared.data == data
    assert (prepared.route, prepared.mime, prepared.ext) == ("material", "image/gif", "gif")
    assert upload(client, prepared).startswith("http://mmbiz.qpic.cn/")


def test_still_gif_is_converted_even_when_animations_go_to_material() -> None:
    prepared = prepare_body_image(encoded(diagram((60, 40)), "GIF"), animated_gif="material")

    assert (prepared.route, prepared.ext) == ("uploadimg", "png")


def test_animated_gif_over_10_mb_falls_back_to_its_first_frame() -> None:
    data = animated_gif(comment=b"padding " * 1_300_000)
    assert len(data) > 10_000_000

    prepared = prepare_body_image(data, animated_gif="material")

    assert (prepared.route, prepared.ext) == ("uploadimg", "png")
    assert decode(prepared.data).convert("RGB").getpixel((5, 5)) == (255, 0, 0)


def test_unknown_animated_gif_setting_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="first_frame, material"):
        prepare_body_image(animated_gif(), animated_gif="video")


# -- broken input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encoded(photo((300, 200)), "JPEG")[:2000], id="truncated jpeg"),
        pytest.param(encoded(photo((300, 200)), "PNG")[:5000], id="truncated png"),
        pytest.param(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8, id="garbage after jpeg magic"),
        pytest.param(encoded(photo((300, 200)), "WEBP")[:3000], id="truncated webp"),
    ],
)
def test_damaged_images_are_image_errors_naming_the_image(data: bytes) -> None:
    for prepare in (prepare_body_image, prepare_cover):
        with pytest.raises(ImageError) as caught:
            prepare(data, src="images/broken.jpg")
        assert str(caught.value).startswith("images/broken.jpg: ")
        assert "re-save it" in str(caught.value)


def test_a_web_page_is_not_an_image() -> None:
    with pytest.raises(ImageError, match="web page"):
        prepare_body_image(b"<!DOCTYPE html><html><body>404</body></html>")


def test_decompression_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(ImageError, match="megapixel safety limit"):
        prepare_body_image(png_bomb())


# -- covers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "BMP"])
def test_cover_formats_wechat_takes_pass_through_as_material(
    client: WeChatClient, fmt: str
) -> None:
    data = encoded(diagram((470, 200)), fmt)

    prepared = prepare_cover(data)

    assert prepared.data == data
    assert prepared.route == "material"
    assert upload(client, prepared).startswith("http://mmbiz.qpic.cn/")


def test_cover_loses_its_gps_but_not_its_pixels() -> None:
    original = phone_jpeg()

    prepared = prepare_cover(original)

    assert prepared.data == strip_metadata(original)
    assert pixels(prepared.data) == pixels(original)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encoded(photo((900, 383)), "WEBP"), id="webp"),
        pytest.param(encoded(photo((900, 383)), "TIFF"), id="tiff"),
        pytest.param(cmyk_jpeg(), id="cmyk jpeg"),
    ],
)
def test_cover_in_other_formats_is_converted_for_add_material(
    client: WeChatClient, data: bytes
) -> None:
    prepared = prepare_cover(data)

    assert image_type(prepared.data) in ("jpeg", "png")
    assert prepared.route == "material"
    assert upload(client, prepared)


def test_cover_over_10_mb_is_shrunk(client: WeChatClient) -> None:
    data = encoded(noise((2100, 1800)), "BMP")
    assert len(data) > 10_000_000

    prepared = prepare_cover(data)

    assert len(prepared.data) <= 10_000_000
    assert prepared.route == "material"
    assert upload(client, prepared)


def dark_pixels(png: bytes) -> int:
    """Pixels of the near-black title text (the design itself has no dark pixels)."""
    grey = decode(png).convert("L")
    return grey.point(lambda value: 255 if value < 60 else 0).histogram()[255]


def test_generated_cover_is_a_900_by_383_png_wechat_accepts(client: WeChatClient) -> None:
    cover = generate_cover("用 Git 管理公众号文章")

    assert image_type(cover) == "png"
    assert decode(cover).size == (900, 383)
    prepared = prepare_cover(cover)
    assert prepared.data == cover
    assert upload(client, prepared)


def test_generated_covers_differ_between_titles_and_repeat_for_the_same_title() -> None:
    first, second = generate_cover("第一篇"), generate_cover("第二篇")

    assert first != second
    assert generate_cover("第一篇") == first
    assert generate_cover("第一篇", color="#1e3a8a") != first


def test_generated_cover_without_a_cjk_font_leaves_out_what_it_cannot_draw() -> None:
    if not DEJAVU.is_file():
        pytest.skip("needs DejaVu Sans, a font without CJK characters")

    only_chinese = generate_cover("纯中文标题", font=DEJAVU)
    mixed = generate_cover("Git 入门", font=DEJAVU)
    latin = generate_cover("Git", font=DEJAVU)

    assert dark_pixels(only_chinese) == 0  # no boxes, just the design
    assert dark_pixels(mixed) == dark_pixels(latin) > 0
    assert only_chinese != generate_cover("另一个标题", font=DEJAVU)  # the design follows the title


@pytest.mark.skipif(
    not any(Path(path).is_file() for path in CJK_FONT_PATHS), reason="no CJK font installed"
)
def test_generated_cover_draws_chinese_with_a_cjk_font() -> None:
    assert dark_pixels(generate_cover("纯中文标题")) > 500


def test_long_title_wraps_inside_the_cover() -> None:
    title = "一个非常非常长的标题，用来检查换行是否正确，而且不会超出封面的边界 with some English words too"

    cover = decode(generate_cover(title, color="#f0f0f0")).convert("L")

    text = cover.point(lambda value: 255 if value < 60 else 0)
    left, top, right, bottom = text.getbbox() or (0, 0, 0, 0)
    assert right - left > 500  # the text uses the width...
    assert left > 20 and right < 880 and top > 20 and bottom < 363  # ...and stays inside


def test_bad_cover_colour_or_font_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a colour"):
        generate_cover("t", color="greenish")
    with pytest.raises(ConfigError, match="cannot be loaded"):
        generate_cover("t", font=tmp_path / "missing.ttf")
    with pytest.raises(ValueError, match="between 16 and 4096"):
        generate_cover("t", size=(0, 383))


# -- cover crop ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("0_0_1_1", "0_0_1_1"),
        ("0.1945_0_1_0.5236", "0.1945_0_1_0.5236"),
        ("0.123456_0.5_1.0_1", "0.1235_0.5_1_1"),
        (" 0.00_0.10_1_0.90 ", "0_0.1_1_0.9"),
        ("-0_0_1_1", "0_0_1_1"),
    ],
)
def test_crop_setting_is_accepted_and_normalised(value: str, normalised: str) -> None:
    assert parse_crop(value) == normalised


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0_0_1", "four numbers"),
        ("0,0,1,1", "four numbers"),
        ("a_0_1_1", "'a' is not a number"),
        ("0_0_1.5_1", "not between 0 and 1"),
        ("nan_0_1_1", "not between 0 and 1"),
        ("0.5_0_0.4_1", "X1 < X2"),
        ("0_0.7_1_0.7", "Y1 < Y2"),
        ("0.00001_0_0.00002_1", "to four decimals"),
    ],
)
def test_crop_setting_is_refused_with_a_clear_message(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_crop(value)


# -- downloads -----------------------------------------------------------------------------------------

PNG = encoded(photo((64, 48)), "PNG")
PAGE = (
    b"<!DOCTYPE html><html><head><title>Not found</title></head><body>"
    + b" " * 200
    + b"</body></html>"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _endless(self, chunked: bool) -> None:
        """Stream a PNG header and then zeros until the client gives up (or 200 MB)."""
        block = b"\x00" * 65536
        try:
            for index in range(3200):
                data = PNG[:64] + block[64:] if index == 0 else block
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/photo.png":
            self._head(200, {"Content-Type": "image/png", "Content-Length": str(len(PNG))})
            self.wfile.write(PNG)
        elif path == "/redirect":
            self._head(302, {"Location": "/photo.png", "Content-Length": "0"})
        elif path == "/redirect-to-file":
            self._head(302, {"Location": "file:///etc/passwd", "Content-Length": "0"})
        elif path == "/loop":
            self._head(302, {"Location": "/loop", "Content-Length": "0"})
        elif path == "/page":
            self._head(
                200, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(PAGE))}
            )
            self.wfile.write(PAGE)
        elif path == "/huge":
            self._head(200, {"Content-Type": "image/png", "Content-Length": "50000000"})
            self.close_connection = True
        elif path == "/endless-no-length":
            self._head(200, {"Content-Type": "image/png", "Connection": "close"})
            self._endless(chunked=False)
        elif path == "/endless-lying-length":
            headers = {
                "Content-Type": "image/png",
                "Content-Length": "1000",
                "Transfer-Encoding": "chunked",
            }
            self._head(200, headers)
            self._endless(chunked=True)
        elif path == "/slow":
            time.sleep(1.5)
            try:
                self._head(200, {"Content-Length": str(len(PNG))})
                self.wfile.write(PNG)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up, as it should
        elif path == "/drip":
            self._head(200, {"Content-Type": "image/png", "Content-Length": "100000"})
            try:
                self.wfile.write(PNG[:64])
                for _ in range(100):
                    time.sleep(0.05)
                    self.wfile.write(b"\x00")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
        else:
            self._head(404, {"Content-Length": "9"})
            self.wfile.write(b"not found")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # no proxy between us and loopback
        yield session


def test_download_returns_the_image_bytes(server: str, session: requests.Session) -> None:
    assert fetch_remote(f"{server}/photo.png", session, allow_private=True) == PNG


def test_download_follows_http_redirects(server: str, session: requests.Session) -> None:
    assert fetch_remote(f"{server}/redirect", session, allow_private=True) == PNG


def test_redirect_to_a_file_url_is_refused(server: str, session: requests.Session) -> None:
    with pytest.raises(ImageError, match=r"redirects to a non-http\(s\) URL.*'file:'"):
        fetch_remote(f"{server}/redirect-to-file", session, allow_private=True)


def test_endless_redirects_are_refused(server: str, session: requests.Session) -> None:
    with pytest.raises(ImageError, match="redirects more than 5 times"):
        fetch_remote(f"{server}/loop", session, allow_private=True)


def test_html_page_is_refused(server: str, session: requests.Session) -> None:
    with pytest.raises(ImageError, match=r"did not return an image \(text/html\).*web page"):
        fetch_remote(f"{server}/page", session, allow_private=True)


def test_urls_are_shown_without_credentials_query_or_fragment() -> None:
    assert (
        display_url("https://user:pw@cdn.test:8443/a/b.png?token=x#frag")
        == "https://cdn.test:8443/a/b.png?…"
    )
    assert display_url("http://[::1]:8080/c.png") == "http://[::1]:8080/c.png"


def test_http_error_names_the_url_but_not_its_query_string(
    server: str, session: requests.Session
) -> None:
    url = f"{server}/gone.png?access_token=SECRET_TOKEN_123&sig=s3cr3t"

    with pytest.raises(ImageError) as caught:
        fetch_remote(url, session, allow_private=True)

    message = str(caught.value)
    assert message == f"{server}/gone.png?…: the server answered HTTP 404 Not Found: check the URL"
    assert "SECRET" not in message and "s3cr3t" not in message


def test_honest_content_length_over_the_cap_is_refused_before_reading(
    server: str, session: requests.Session
) -> None:
    with pytest.raises(ImageError, match="larger than 20,000,000 bytes"):
        fetch_remote(f"{server}/huge", session, allow_private=True)


@pytest.mark.parametrize("path", ["/endless-no-length", "/endless-lying-length"])
def test_size_cap_is_enforced_while_reading(
    server: str, session: requests.Session, path: str
) -> None:
    started = time.perf_counter()

    with pytest.raises(ImageError, match="larger than 1,000,000 bytes"):
        fetch_remote(f"{server}{path}", session, allow_private=True, max_bytes=1_000_000)

    assert time.perf_counter() - started < 5


def test_server_that_does_not_answer_times_out(server: str, session: requests.Session) -> None:
    with pytest.raises(ImageError, match=r"no answer within 0.3 s"):
        fetch_remote(f"{server}/slow", session, allow_private=True, timeout=0.3)


def test_server_dripping_bytes_hits_the_overall_time_budget(
    server: str, session: requests.Session
) -> None:
    started = time.perf_counter()

    with pytest.raises(ImageError, match=r"took longer than 0.8 s"):
        fetch_remote(f"{server}/drip", session, allow_private=True, timeout=0.2)

    assert time.perf_counter() - started < 3


def test_unreachable_server_is_an_image_error(session: requests.Session) -> None:
    with pytest.raises(ImageError, match="could not connect"):
        fetch_remote(
            f"http://127.0.0.1:{free_port()}/a.png", session, allow_private=True, timeout=2
        )


def test_only_http_urls_are_downloaded(session: requests.Session) -> None:
    for url in ("ftp://example.com/a.png", "file:///etc/passwd", "http:///nohost.png"):
        with pytest.raises(ImageError, match=r"not an http\(s\) URL"):
            fetch_remote(url, session, allow_private=True)
