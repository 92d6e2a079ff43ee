"""GitHub Actions glue: masking, log groups, annotations, step outputs and the job summary.

Everything here speaks the runner's documented protocols: workflow commands on standard output
(`::add-mask::`, `::group::`, `::error file=…,line=…::`), and the files named by
`GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`. Nothing needs GitHub itself, so the tests play the
whole Action on a laptop.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from wxsync.report import Outcome, SyncReport


def in_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class Actions:
    """Writes workflow commands to `out` and step files named in `environ`."""

    def __init__(self, environ: Mapping[str, str], out: TextIO | None = None) -> None:
        self.environ = environ
        self.out = out or sys.stdout
        self._masked: set[str] = set()

    def command(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def mask(self, value: str | None) -> None:
        """Ask the runner to hide `value` in every later log line (secrets, tokens)."""
        if value and value not in self._masked:
            self._masked.add(value)
            self.command(f"::add-mask::{_escape_data(value)}")

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.command(f"::group::{_escape_data(title)}")
        try:
            yield
        finally:
            self.command("::endgroup::")

    def annotate(self, report: SyncReport) -> None:
        """`::error` for posts that failed, `::warning` for those that need the writer's attention."""
        for outcome in report.outcomes:
            if outcome.status in ("failed", "invalid"):
                self._annotation("error", outcome)
            elif outcome.status == "warning" or (outcome.status == "drafted" and outcome.message):
                self._annotation("warning", outcome)
        if report.halted:
            self.command(f"::error title=wxsync stopped::{_escape_data(report.halted)}")

    def _annotation(self, kind: str, outcome: Outcome) -> None:
        properties = f"file={_escape_property(outcome.path)}"
        if outcome.line:
            properties += f",line={outcome.line}"
        title = _escape_property(f"wxsync: {outcome.title or outcome.path}")
        message = _strip_location(outcome.message, outcome.path) or outcome.status
        self.command(f"::{kind} {properties},title={title}::{_escape_data(message)}")

    def write_outputs(self, report: SyncReport) -> None:
        """`published`, `drafted` and `failed` as JSON lists, for later steps of the job."""
        path = self.environ.get("GITHUB_OUTPUT")
        if not path:
            return
        outputs = {
            "published": [
                {"path": o.path, "title": o.title, "url": o.url}
                for o in report.outcomes
                if o.status == "published"
            ],
            "drafted": [
                {"path": o.path, "title": o.title} for o in report.outcomes if o.status == "drafted"
            ],
            "failed": [
                {"path": o.path, "title": o.title, "message": o.message}
                for o in report.outcomes
                if o.status in ("failed", "invalid")
            ],
        }
        with Path(path).open("a", encoding="utf-8") as handle:
            for name, value in outputs.items():
                delimiter = f"wxsync_{secrets.token_hex(8)}"
                handle.write(
                    f"{name}<<{delimiter}\n{json.dumps(value, ensure_ascii=False)}\n{delimiter}\n"
                )

    def write_summary(self, report: SyncReport) -> None:
        """A Markdown table of what happened, shown on the run's page."""
        path = self.environ.get("GITHUB_STEP_SUMMARY")
        if not path:
            return
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(summary_markdown(report))


def summary_markdown(report: SyncReport) -> str:
    heading = "### wxsync — dry run" if report.dry_run else "### wxsync"
    rows = [o for o in report.outcomes if o.status != "unchanged"]
    lines = [heading, ""]
    if rows:
        lines += ["| Post | Action | Status | Article |", "|---|---|---|---|"]
        for o in rows:
            article = f"[{_cell(o.title or 'link')}]({o.url})" if o.url else _cell(o.message)
            lines.append(
                f"| `{_cell(o.path)}` | {_cell(o.action)} | {_status(o.status)} | {article} |"
            )
        lines.append("")
    unchanged = len(report.outcomes) - len(rows)
    totals = ", ".join(f"{n} {s}" for s, n in sorted(report.counts().items()))
    lines.append(
        f"{totals or 'no posts'}."
        + (f" ({unchanged} unchanged not listed.)" if unchanged and rows else "")
    )
    if report.halted:
        lines += ["", f"**Stopped early:** {_cell(report.halted)}"]
    return "\n".join(lines) + "\n"


_ICONS = {
    "published": "✅",
    "drafted": "📝",
    "publishing": "⏳",
    "sent": "📣",
    "sending": "⏳",
    "queued": "🕒",
    "failed": "❌",
    "invalid": "❌",
    "warning": "⚠️",
}


def _status(status: str) -> str:
    icon = _ICONS.get(status)
    return f"{icon} {status}" if icon else status


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _strip_location(message: str, path: str) -> str:
    """`content/a.md:2: title …` → `title …`: the annotation already points at the file and line."""
    prefix = f"{path}:"
    if message.startswith(prefix):
        rest = message[len(prefix) :]
        number, _, text = rest.partition(":")
        if number.isdigit():
            return text.strip()
    return message
