"""The `cover_crop` setting: which part of the cover WeChat shows in its 2.35:1 card."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal

_FOUR_PLACES = Decimal("0.0001")


def parse_crop(value: str) -> str:
    """Validate "X1_Y1_X2_Y2" (fractions of the width and height, top-left to bottom-right)
    and return it as WeChat's `pic_crop_235_1` takes it: at most four decimals, no trailing
    zeros ("0.5_0_1_0.8"). Raises ValueError saying what is wrong.
    """
    example = "for example 0_0.1_1_0.6 (left, top, right, bottom as fractions from 0 to 1)"
    parts = value.strip().split("_")
    if len(parts) != 4:
        raise ValueError(f"cover_crop {value!r} must be four numbers joined by '_', {example}")
    numbers: list[Decimal] = []
    for part in parts:
        try:
            number = float(part)
        except ValueError:
            raise ValueError(f"cover_crop {value!r}: {part!r} is not a number; {example}") from None
        if not math.isfinite(number) or not 0 <= number <= 1:
            raise ValueError(f"cover_crop {value!r}: {part!r} is not between 0 and 1; {example}")
        # abs(): "-0" is a valid zero, and WeChat wants it written "0".
        numbers.append(abs(Decimal(part.strip()).quantize(_FOUR_PLACES, rounding=ROUND_HALF_EVEN)))
    x1, y1, x2, y2 = numbers
    if not (x1 < x2 and y1 < y2):
        raise ValueError(
            f"cover_crop {value!r}: the first corner must be left of and above the second "
            f"(X1 < X2 and Y1 < Y2, to four decimals); {example}"
        )
    return "_".join(_plain(number) for number in numbers)


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
