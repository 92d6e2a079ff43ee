"""Hugo shortcodes: `{{< name args >}}` and `{{% name args %}}`, paired or not.

What Hugo's built-in shortcodes mean in an article WeChat can show: `highlight` is a code block,
`figure` an image (with its caption), `ref`/`relref` a link to another post, `details` a bold
summary over its content; embeds that cannot play on WeChat (`youtube`, `vimeo`, `gist`,
`tweet`/`x`, `instagram`) become links to the original. `{{</* x */>}}` is Hugo's way to show a
shortcode as text and stays text. Any other shortcode is left out with a warning; the Markdown
between a paired one's tags stays.
"""

from __future__ import annotations

import re

from wxsync.content.syntax.scanner import Scanner, image_markdown, link_text

_CLOSE = {"<": ">}}", "%": "%}}"}
_NAME = re.compile(r"\s*(/?)\s*([A-Za-z0-9_][\w./-]*)")
_ARG = re.compile(r"""(?:([A-Za-z_][\w-]*)\s*=\s*)?("(?:[^"\\]|\\.)*"|`[^`]*`|'[^']*'|[^\s"'`]+)""")
_LONGEST = 4000  # a shortcode's own tag is never longer; beyond this it is not one

EMBEDS = {
    "youtube": ("YouTube", "https://www.youtube.com/watch?v={0}"),
    "vimeo": ("Vimeo", "https://vimeo.com/{0}"),
    "instagram": ("Instagram", "https://www.instagram.com/p/{0}/"),
}


class Shortcode:
    """One `{{< ... >}}` tag, parsed: name, positional and named arguments."""

    def __init__(self, start: int, end: int, name: str, closing: bool, inner: str) -> None:
        self.start, self.end, self.name, self.closing = start, end, name, closing
        self.positional: list[str] = []
        self.named: dict[str, str] = {}
        for key, raw in _ARG.findall(inner):
            value = _unquote(raw)
            if key:
                self.named[key.lower()] = value
            else:
                self.positional.append(value)

    def arg(self, name: str, position: int = -1) -> str:
        if name in self.named:
            return self.named[name]
        if 0 <= position < len(self.positional):
            return self.positional[position]
        return ""


def parse(text: str, start: int) -> Shortcode | str | None:
    """The shortcode at `start`; its literal text for `{{</* */>}}`; None if there is none."""
    delimiter = text[start + 2]
    close = text.find(_CLOSE[delimiter], start + 3, start + _LONGEST)
    if close < 0:
        return None
    inner = text[start + 3 : close]
    end = close + 3
    stripped = inner.strip()
    if stripped.startswith("/*") and stripped.endswith("*/"):
        return "{{" + delimiter + stripped[2:-2] + _CLOSE[delimiter][0] + "}}"
    found = _NAME.match(inner)
    if found is None:
        return None
    rest = inner[found.end() :].rstrip()
    if rest.endswith("/"):  # self-closing form `{{< name />}}`
        rest = rest[:-1]
    return Shortcode(start, end, found.group(2), bool(found.group(1)), rest)


def shortcode(scanner: Scanner, start: int) -> int | None:
    parsed = parse(scanner.text, start)
    if parsed is None:
        return None
    if isinstance(parsed, str):
        return scanner.replace(start, _end_of_literal(scanner.text, start), parsed)
    code = parsed
    name = code.name.lower()
    if code.closing:
        if name in scanner.unknown_open or name == "details":
            return _drop(scanner, code)
        if not scanner.strict:
            return None
        scanner.note(start, f"Hugo shortcode `{{{{< /{code.name} >}}}}` closes nothing: left out")
        return _drop(scanner, code)
    if name == "highlight":
        return _highlight(scanner, code)
    if name == "comment":
        return _paired_dropped(scanner, code)
    if name == "figure":
        return scanner.replace(code.start, code.end, _figure(code))
    if name in ("ref", "relref"):
        target = code.arg("path", 0)
        return scanner.replace(code.start, code.end, scanner.post_link("ref", target))
    if name == "details":
        summary = code.arg("summary", 0) or "Details"
        return scanner.replace(code.start, code.end, f"**{link_text(summary)}**")
    embed = _embed(code)
    if embed is not None:
        return scanner.replace(code.start, code.end, embed)
    if not scanner.strict:
        return None
    scanner.unknown_open.add(name)
    scanner.note(
        start,
        f"Hugo shortcode `{code.name}` has no WeChat equivalent: left out of the article",
    )
    return _drop(scanner, code)


def _highlight(scanner: Scanner, code: Shortcode) -> int | None:
    closer = re.compile(r"\{\{[<%]\s*/\s*highlight\s*[>%]\}\}", re.I)
    found = closer.search(scanner.text, code.end)
    if found is None:
        if not scanner.strict:
            return None
        scanner.note(code.start, "Hugo `highlight` is never closed with {{< /highlight >}}")
        return _drop(scanner, code)
    language = code.arg("lang", 0)
    return scanner.code_block(
        code.start, found.end(), body=(code.end, found.start()), info=language
    )


def _paired_dropped(scanner: Scanner, code: Shortcode) -> int:
    closer = re.compile(rf"\{{\{{[<%]\s*/\s*{re.escape(code.name)}\s*[>%]\}}\}}")
    found = closer.search(scanner.text, code.end)
    end = found.end() if found else code.end
    return scanner.replace(code.start, end, "")


def _figure(code: Shortcode) -> str:
    src = code.arg("src", 0)
    caption = code.arg("caption") or code.arg("title")
    return image_markdown(
        src,
        alt=code.arg("alt"),
        caption=caption,
        width=code.arg("width"),
    )


def _embed(code: Shortcode) -> str | None:
    name = code.name.lower()
    if name in EMBEDS:
        label, pattern = EMBEDS[name]
        ident = code.arg("id", 0)
        return f"[{label}: {link_text(ident)}]({pattern.format(ident)})" if ident else ""
    if name == "gist":
        user, ident = code.arg("user", 0), code.arg("id", 1)
        return (
            f"[Gist: {link_text(user)}/{link_text(ident)}](https://gist.github.com/{user}/{ident})"
        )
    if name in ("tweet", "x", "twitter"):
        user, ident = code.arg("user", 0), code.arg("id", 1)
        if not ident:
            user, ident = "i/web", user
        return f"[X: {link_text(ident)}](https://x.com/{user}/status/{ident})"
    return None


def _drop(scanner: Scanner, code: Shortcode) -> int:
    return scanner.replace(code.start, code.end, "")


def _end_of_literal(text: str, start: int) -> int:
    return text.find(_CLOSE[text[start + 2]], start + 3) + 3


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'`":
        inner = raw[1:-1]
        return inner.replace('\\"', '"') if raw[0] == '"' else inner
    return raw
