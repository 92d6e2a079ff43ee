"""Obsidian: `[[wikilinks]]`, `![[embeds]]` and `%% comments %%`.

`[[name]]`, `[[name|alias]]` and `[[name#heading]]` are links to other notes (resolved by the
engine like any link between posts); `[[#heading]]` is a link within the note and reads as its
text. `![[image.png]]` is an image, `![[image.png|300]]` (or `|300x200`) one of that size, still
fitted to the screen; embedding a whole note cannot be done on WeChat and becomes a link, with a
warning. Callouts (`> [!note]`) are Markdown quotes and are left to the renderer.
"""

from __future__ import annotations

import re

from wxsync.content.syntax.scanner import Scanner, image_markdown, link_text

_WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
_SIZE = re.compile(r"^(\d+)(?:x(\d+))?$")
_IMAGE_FILE = re.compile(r"\.(?:png|jpe?g|gif|webp|bmp|svg|avif|tiff?)$", re.I)


def wikilink(scanner: Scanner, match: re.Match[str]) -> int | None:
    found = _WIKILINK.match(scanner.text, match.start())
    if found is None:
        return None
    embed = bool(found.group(1))
    # In a table the pipe is escaped: `[[name\|alias]]`.
    target, _bar, alias = found.group(2).replace("\\|", "|").partition("|")
    target, alias = target.strip(), alias.strip()
    if embed and _IMAGE_FILE.search(target.split("#", 1)[0]):
        size = _SIZE.match(alias)
        if size is None:
            return scanner.replace(found.start(), found.end(), image_markdown(target, alt=alias))
        image = image_markdown(target, width=size.group(1))  # `300x200`: the width only
        return scanner.replace(found.start(), found.end(), image)
    if embed:
        scanner.note(
            found.start(),
            f"embedding `{target}` in the article is not possible on WeChat: shown as a link",
        )
    name, _hash, heading = target.partition("#")
    heading = heading.lstrip("^")
    if not name:
        return scanner.replace(found.start(), found.end(), link_text(alias or heading))
    text = alias or (f"{name} > {heading}" if heading else name)
    return scanner.replace(found.start(), found.end(), scanner.post_link("wiki", target, text))


def comment(scanner: Scanner, match: re.Match[str]) -> int | None:
    end = scanner.text.find("%%", match.end())
    if end < 0:
        return None
    return scanner.replace(match.start(), end + 2, "")
