"""The theme gallery has a picture of every theme, and both READMEs show them.

Regenerate the pictures with `.venv/bin/python bench/gallery.py` after changing a theme.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from wxsync.render.theme import available_themes

PROJECT = Path(__file__).resolve().parents[1]
GALLERY = PROJECT / "docs" / "gallery"


@pytest.mark.parametrize("theme", available_themes())
def test_every_theme_has_a_phone_width_picture_in_the_gallery(theme: str) -> None:
    picture = GALLERY / f"{theme}.png"
    assert picture.is_file(), f"no {picture.name}: run .venv/bin/python bench/gallery.py"
    with Image.open(picture) as image:
        assert image.format == "PNG"
        assert image.width == 375 and image.height > 600


@pytest.mark.parametrize("readme", ["README.md", "README.zh-CN.md"])
def test_both_readmes_show_every_gallery_picture(readme: str) -> None:
    text = (PROJECT / readme).read_text(encoding="utf-8")
    for picture in sorted(GALLERY.glob("*.png")):
        assert f"docs/gallery/{picture.name}" in text, f"{readme} does not show {picture.name}"
