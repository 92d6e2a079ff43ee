"""Generator syntax (Hugo shortcodes, Liquid and Hexo tags, Obsidian wikilinks) turned into Markdown.

Blogs are written for a site generator, and their posts say things only that generator
understands: `{{< highlight go >}}`, `{% asset_img a.png %}`, `[[another note]]`. Left alone,
those braces would reach WeChat readers as text. `preprocess` rewrites a post's body into plain
Markdown before it is rendered, so sync, check, render and preview all see the same article:

- code blocks, quotes, figures and images become their Markdown (or allowed HTML) equivalents;
- links to other posts become `wxsync:<kind>/<target>` links, which the engine resolves to the
  target's WeChat article URL, or its site URL, or plain text (see `wxsync.content.links`);
- anything not understood is left out of the article with a warning naming its line.

Which dialects apply depends on the generator: Hugo never reads `{% %}`, so a Hugo post keeps a
Django `{% load %}` as the text it is. With no generator known ("" or "plain"), only constructs
recognised by name are rewritten and unknown ones are left as written.

Text inside fenced and indented code blocks and inline code is never touched, and line numbers
are kept: every replacement spans as many lines as what it replaces, so `path:line` in later
messages still points into the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from wxsync.content.syntax.scanner import Scanner

GENERATORS = ("hugo", "hexo", "jekyll", "obsidian", "plain", "")


@dataclass(frozen=True)
class SyntaxNote:
    """A construct left out or changed, at a 0-based line of the body."""

    line: int
    message: str


@dataclass(frozen=True)
class Preprocessed:
    body: str
    notes: tuple[SyntaxNote, ...] = ()
    more: int | None = None  # offset in `body` of `<!-- more -->`: the digest is the text before


def preprocess(body: str, generator: str = "") -> Preprocessed:
    """`body` with the generator's syntax rewritten as Markdown; see the module docstring."""
    if not _may_contain_syntax(body):
        return Preprocessed(body)
    scanner = Scanner(body, generator if generator in GENERATORS else "")
    text = scanner.run()
    notes = tuple(SyntaxNote(line, message) for line, message in scanner.notes)
    return Preprocessed(text, notes, scanner.more)


def _may_contain_syntax(body: str) -> bool:
    # Most posts have none of it: skip the scan (it is the hot path of `render` on big blogs).
    return any(marker in body for marker in ("{{", "{%", "[[", "%%", "<!--"))
