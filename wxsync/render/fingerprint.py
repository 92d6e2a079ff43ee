"""What could make the same Markdown render differently, as one hash.

It goes into every post's content hash. It is computed from the options alone (the renderer's
version, the theme's CSS, the code style, every option), without building a renderer, so a sync
that finds nothing changed never imports the Markdown parser, Pygments or the CSS inliner.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from wxsync.render.options import RENDERER_VERSION, RenderOptions
from wxsync.render.theme import code_style, load_theme


def fingerprint(options: RenderOptions) -> str:
    """Changes whenever the same Markdown could render differently (version, CSS, options)."""
    return hashlib.sha256(
        json.dumps(
            {
                "version": RENDERER_VERSION,
                "theme_css": load_theme(options.theme),
                "code_style": code_style(options.theme, options.code_theme),
                "options": asdict(options),
            },
            sort_keys=True,
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
