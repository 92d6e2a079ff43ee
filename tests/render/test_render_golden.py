"""Golden tests: representative posts and the exact HTML they must render to.

Inputs are `tests/golden/<name>.md`, optional options `tests/golden/<name>.json` (RenderOptions
fields), expected output `tests/golden/<name>.html`. After an intended change of output,
regenerate the expected files and review the diff:

    WXSYNC_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/render/test_render_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from wxsync.render import Renderer, RenderOptions

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
UPDATE = os.environ.get("WXSYNC_UPDATE_GOLDEN") == "1"
CASES = sorted(path.stem for path in GOLDEN.glob("*.md"))


def readable(html: str) -> list[str]:
    """One tag boundary per line, so a failing comparison shows a readable diff."""
    return html.replace("><", ">\n<").splitlines()


@pytest.mark.parametrize("name", CASES)
def test_post_renders_to_its_golden_html(name: str) -> None:
    options_file = GOLDEN / f"{name}.json"
    options = json.loads(options_file.read_text()) if options_file.exists() else {}
    html = Renderer(RenderOptions(**options)).render((GOLDEN / f"{name}.md").read_text()).html
    expected_file = GOLDEN / f"{name}.html"
    if UPDATE:
        expected_file.write_text(html + "\n", encoding="utf-8")
    assert expected_file.exists(), f"no {expected_file.name}: run with WXSYNC_UPDATE_GOLDEN=1"
    assert readable(html) == readable(expected_file.read_text(encoding="utf-8").rstrip("\n"))


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 10
