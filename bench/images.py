"""How long image preparation takes for typical and worst-case inputs.

    python bench/images.py

A 12-megapixel phone photo is the common heavy case; random noise is the worst case for
every encoder. Times are wall-clock on this machine, one run each after a warm-up.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable

from PIL import Image

from wxsync.images import Prepared, generate_cover, prepare_body_image, prepare_cover


def photo(size: tuple[int, int]) -> Image.Image:
    red = Image.linear_gradient("L").resize(size)
    green = Image.radial_gradient("L").resize(size)
    blue = Image.linear_gradient("L").rotate(90).resize(size)
    grain = Image.frombytes("L", size, random.Random(1).randbytes(size[0] * size[1]))
    return Image.merge("RGB", [Image.blend(band, grain, 0.2) for band in (red, green, blue)])


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def timed(label: str, run: Callable[[], object]) -> None:
    run()  # warm-up: plugin imports, font lookup
    started = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - started
    print(f"{label:<52} {elapsed:6.2f} s   {result}")


def describe(prepare: Callable[[bytes], Prepared], data: bytes) -> Callable[[], str]:
    def run() -> str:
        prepared = prepare(data)
        return (
            f"{len(data):>11,} -> {prepared.ext} {prepared.width}x{prepared.height}"
            f" {len(prepared.data):,} bytes"
        )

    return run


def main() -> None:
    twelve_mp = photo((4000, 3000))
    noisy = Image.frombytes("RGB", (4000, 3000), random.Random(2).randbytes(4000 * 3000 * 3))
    cases = {
        "body: 12 MP photo as JPEG q95": encoded(twelve_mp, "JPEG", quality=95),
        "body: 12 MP photo as PNG": encoded(twelve_mp, "PNG", compress_level=1),
        "body: 12 MP photo as WebP": encoded(twelve_mp, "WEBP", quality=90),
        "body: 12 MP random noise as JPEG q95 (worst case)": encoded(noisy, "JPEG", quality=95),
    }
    for label, data in cases.items():
        timed(label, describe(prepare_body_image, data))
    timed("cover: 12 MP photo as WebP", describe(prepare_cover, cases["body: 12 MP photo as WebP"]))
    timed("generated cover", lambda: f"{len(generate_cover('用 Git 管理公众号文章')):,} bytes")


if __name__ == "__main__":
    main()
