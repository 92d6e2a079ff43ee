"""Liquid tags (Jekyll) and Hexo's tag plugins: `{% name args %}` and `{{ output }}`.

Jekyll: `highlight`, `raw`, `comment`, `post_url` and `link` (links to other posts), `include`
(not inlined: left out with a warning), `{{ site.baseurl }}`/`{{ site.url }}` (empty, so
`{{ site.baseurl }}/img/a.png` is the site-root path the image resolver understands) and
`{{ "/x.png" | relative_url }}` / `absolute_url`.
Hexo: `codeblock`/`code`, `blockquote`/`quote`/`pullquote`, `asset_img`, `img`, `asset_path`,
`asset_link`, `post_link`/`post_path`, `link`, `raw`, and `youtube`/`vimeo`/`iframe` as links.
"""

from __future__ import annotations

import re

from wxsync.content.syntax.scanner import Scanner, image_markdown, link_text

_TAG = re.compile(r"\{%-?\s*([A-Za-z_]\w*)(.*?)-?%\}", re.S)
_OUTPUT = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
_LONGEST = 2000
_URL = re.compile(r"^(?:https?:)?//|^/")
_IMAGE_FILE = re.compile(r"\.(?:png|jpe?g|gif|webp|bmp|svg|tiff?)$", re.I)
_QUOTED = re.compile(r"""["']([^"']*)["']""")

JEKYLL = frozenset(
    {"highlight", "raw", "comment", "post_url", "link", "include", "include_relative"}
)
HEXO = frozenset(
    {
        "codeblock", "code", "blockquote", "quote", "pullquote", "asset_img", "img", "image",
        "asset_path", "asset_link", "asset_image", "post_link", "post_path", "link", "raw",
        "youtube", "vimeo", "iframe", "include_code",
    }
)  # fmt: skip
# Closing tags of the paired tags above: dropped quietly when they turn up alone.
ENDS = frozenset(
    f"end{name}"
    for name in (
        "highlight",
        "raw",
        "comment",
        "codeblock",
        "code",
        "blockquote",
        "quote",
        "pullquote",
    )
)


def known(scanner: Scanner) -> frozenset[str]:
    if scanner.generator == "jekyll":
        return JEKYLL
    if scanner.generator == "hexo":
        return HEXO
    return JEKYLL | HEXO


def tag(scanner: Scanner, start: int) -> int | None:
    text = scanner.text
    found = _TAG.match(text, start)
    if found is None or found.end() - start > _LONGEST:
        return None
    name, args = found.group(1), found.group(2).strip()
    end = found.end()
    if name in ENDS:
        if not scanner.strict and name[3:] not in scanner.unknown_open:
            return None
        return scanner.replace(start, end, "")
    if name not in known(scanner):
        if not scanner.strict:
            return None
        if name.startswith("end") and name[3:] in scanner.unknown_open:
            return scanner.replace(start, end, "")
        scanner.unknown_open.add(name)
        scanner.note(
            start,
            f"{_dialect(scanner)} tag `{{% {name} %}}` is not supported: left out of the article",
        )
        return scanner.replace(start, end, "")
    if name in ("highlight", "codeblock", "code"):
        return _code(scanner, name, args, start, end)
    if name in ("raw", "comment"):
        return _literal(scanner, name, start, end)
    if name in ("blockquote", "quote", "pullquote"):
        return _quote(scanner, name, args, start, end)
    return scanner.replace(start, end, _inline(scanner, name, args, start))


def output(scanner: Scanner, start: int) -> int | None:
    """`{{ expression }}`: the few expressions with a meaning outside the site's templates."""
    found = _OUTPUT.match(scanner.text, start)
    if found is None or found.end() - start > _LONGEST:
        return None
    expression = found.group(1).strip()
    value = _value(expression)
    if value is None:
        if not scanner.strict:
            return None
        scanner.note(
            start,
            f"{_dialect(scanner)} expression `{{{{ {expression} }}}}` cannot be worked out outside "
            "the site: left out of the article",
        )
        value = ""
    return scanner.replace(start, found.end(), value)


def _value(expression: str) -> str | None:
    head, *filters = (part.strip() for part in expression.split("|"))
    if head in ("site.baseurl", "site.url", "site.url | append: site.baseurl"):
        value = ""
    else:
        quoted = re.fullmatch(r"""(["'])(.*)\1""", head)
        if quoted is None:
            return None
        value = quoted.group(2)
    for name in filters:
        if name not in ("relative_url", "absolute_url"):
            return None
        if not _URL.match(value):
            value = "/" + value
    return value


def _code(scanner: Scanner, name: str, args: str, start: int, end: int) -> int | None:
    closer = re.compile(rf"\{{%-?\s*end{name}\s*-?%\}}")
    found = closer.search(scanner.text, end)
    if found is None:
        return _unclosed(scanner, name, start, end)
    words = _split(args)
    if name == "highlight":
        language, title = (words[0] if words else ""), ""
    else:
        language = next((w[5:] for w in words if w.startswith("lang:")), "")
        plain = [w for w in words if ":" not in w or _URL.match(w) or w.startswith("http")]
        url_at = next((i for i, w in enumerate(plain) if _is_url(w)), len(plain))
        title = " ".join(plain[:url_at])
    return scanner.code_block(
        start, found.end(), body=(end, found.start()), info=language, title=title
    )


def _literal(scanner: Scanner, name: str, start: int, end: int) -> int | None:
    """`raw` keeps its content as written (no tags inside are read); `comment` drops it."""
    closer = re.compile(rf"\{{%-?\s*end{name}\s*-?%\}}")
    found = closer.search(scanner.text, end)
    if found is None:
        return _unclosed(scanner, name, start, end)
    scanner.replace(start, end, "")
    if name == "raw":
        scanner.copy(end, found.start())
    else:
        scanner.replace(end, found.start(), "")
    return scanner.replace(found.start(), found.end(), "")


def _quote(scanner: Scanner, name: str, args: str, start: int, end: int) -> int | None:
    closer = re.compile(rf"\{{%-?\s*end{name}\s*-?%\}}")
    found = closer.search(scanner.text, end)
    if found is None:
        return _unclosed(scanner, name, start, end)
    content = scanner.text[end : found.start()].strip("\n")
    lines = [f"> {line}".rstrip() for line in content.split("\n")]
    credit = _credit(args) if name != "pullquote" else ""
    if credit:
        # Under the last line (a hard line break), or as its own paragraph after code or a list.
        last = lines[-1][1:].strip()
        plain = last and not last.startswith(("```", "~~~", "-", "*", "+", "|", ">", "#"))
        if plain:
            lines[-1] += "\\"
        lines += [f"> —— {credit}"] if plain else [">", f"> —— {credit}"]
    # A blank line ends the quote: the next line must not be read as a lazy continuation of it.
    return scanner.replace(start, found.end(), "\n".join(lines) + "\n")


def _unclosed(scanner: Scanner, name: str, start: int, end: int) -> int | None:
    if not scanner.strict:
        return None
    scanner.note(start, f"`{{% {name} %}}` is never closed with `{{% end{name} %}}`: left out")
    return scanner.replace(start, end, "")


def _credit(args: str) -> str:
    """Hexo's `[author[, source]] [link] [source_link_title]`, as one line of Markdown."""
    words = args.split()
    url_at = next((i for i, w in enumerate(words) if _is_url(w)), -1)
    if url_at < 0:
        return link_text(args.strip())
    who = link_text(" ".join(words[:url_at]))
    title = " ".join(words[url_at + 1 :]) or words[url_at]
    link = f"[{link_text(title)}]({words[url_at]})"
    return f"{who}, {link}" if who else link


def _inline(scanner: Scanner, name: str, args: str, start: int) -> str:
    words = _split(args)
    first = words[0] if words else ""
    if name == "post_url":
        return scanner.post_link("post_url", first)
    if name == "link" and scanner.generator != "hexo" and first and not _is_url(first):
        return scanner.post_link("path", first)
    if name == "link":
        url_at = next((i for i, w in enumerate(words) if _is_url(w)), -1)
        if url_at < 0:
            return link_text(args)
        text = " ".join(words[:url_at]) or words[url_at]
        return f"[{link_text(text)}]({words[url_at]})"
    if name in ("post_link", "post_path"):
        if name == "post_path" or scanner.in_link_target():
            return scanner.post_link("post_link", first)
        return scanner.post_link("post_link", first, " ".join(words[1:2]) or first)
    if name in ("asset_img", "img", "image", "asset_image"):
        return _image(words)
    if name == "asset_path":
        return first
    if name == "asset_link":
        return link_text(" ".join(words[1:]) or first)
    if name in ("youtube", "vimeo", "iframe"):
        url = {
            "youtube": f"https://www.youtube.com/watch?v={first}",
            "vimeo": f"https://vimeo.com/{first}",
        }.get(name, first)
        return f"[{name.capitalize()}: {link_text(first)}]({url})" if first else ""
    scanner.note(start, f"`{{% {name} {args} %}}` is not inlined into the article: left out")
    return ""


def _image(words: list[str]) -> str:
    """`[class ...] src [width [height]] [title [alt]]` (Hexo's `img` and `asset_img`)."""
    at = next(
        (i for i, w in enumerate(words) if _is_url(w) or _IMAGE_FILE.search(w) or "/" in w), 0
    )
    if not words:
        return ""
    src = words[at]
    rest = words[at + 1 :]
    width = rest[0] if rest and rest[0].isdigit() else ""
    while rest and rest[0].isdigit():  # width and height: only the width is kept
        rest.pop(0)
    title = " ".join(rest)
    quoted = _QUOTED.findall(title)
    if quoted:
        title, alt = quoted[0], (quoted[1] if len(quoted) > 1 else "")
    else:
        alt = ""
    return image_markdown(src, alt=alt or title, width=width)


_WORD = re.compile(r""""([^"]*)"|'([^']*)'|(\S+)""")


def _split(args: str) -> list[str]:
    """Words, with quotes grouping (as Hexo reads tag arguments)."""
    return ["".join(parts) for parts in _WORD.findall(args)]


def _is_url(word: str) -> bool:
    return bool(re.match(r"^(?:https?:)?//", word))


def _dialect(scanner: Scanner) -> str:
    return {"jekyll": "Liquid", "hexo": "Hexo"}.get(scanner.generator, "Liquid")
