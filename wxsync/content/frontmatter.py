"""Split a Markdown file into its front matter and its body.

Hugo, Jekyll and Hexo users write YAML between `---` fences or TOML between `+++` fences.
Errors carry the line number in the file, so `wxsync check` can print `path:line: message`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml

from wxsync.bounded import LimitError, load_toml, load_yaml


class FrontMatterError(ValueError):
    """Front matter that does not parse; `line` is 1-based in the whole file."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Document:
    meta: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    # 1-based line number in the file where `body` starts.
    body_line: int = 1
    format: str = ""  # "yaml", "toml" or "" when there is no front matter
    header: str = ""  # the raw front matter between the fences


_FENCES = {"---": "yaml", "+++": "toml"}


def split(text: str) -> Document:
    """Parse `text` into front matter and body; raise `FrontMatterError` if the header is broken."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() not in _FENCES:
        return Document(body=text)
    fence = lines[0].rstrip()
    kind = _FENCES[fence]
    for index in range(1, len(lines)):
        if lines[index].rstrip() == fence or (kind == "yaml" and lines[index].rstrip() == "..."):
            header = "".join(lines[1:index])
            body = "".join(lines[index + 1 :])
            meta = _parse(header, kind)
            return Document(meta=meta, body=body, body_line=index + 2, format=kind, header=header)
    raise FrontMatterError(f"front matter opened with `{fence}` is never closed", 1)


def _parse(header: str, kind: str) -> dict[str, Any]:
    if kind == "toml":
        try:
            return load_toml(header)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
            raise FrontMatterError(
                f"TOML front matter: {_first_line(str(exc))}", line + 1
            ) from None
        except LimitError as exc:
            raise FrontMatterError(f"TOML front matter: {exc.message}", exc.line + 1) from None
    try:
        data = load_yaml(header)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 1) if mark is not None else 1
        problem = getattr(exc, "problem", None) or _first_line(str(exc))
        raise FrontMatterError(f"YAML front matter: {problem}", line + 1) from None
    except LimitError as exc:
        raise FrontMatterError(f"YAML front matter: {exc.message}", (exc.line or 1) + 1) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError("front matter must be a mapping of keys to values", 2)
    return {str(key): value for key, value in data.items()}


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "invalid"


def _line_from_message(message: str) -> int:
    # tomllib: "Expected '=' after a key in a key/value pair (at line 3, column 7)"
    marker = "at line "
    if marker in message:
        digits = message.split(marker, 1)[1].split(",", 1)[0].split(")", 1)[0]
        if digits.strip().isdigit():
            return int(digits)
    return 1
