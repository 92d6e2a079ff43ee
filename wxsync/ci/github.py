"""GitHub Actions glue: masking, log groups, annotations, step outputs and the job summary.

Everything here speaks the runner's documented protocols: workflow commands on standard output
(`::add-mask::`, `::group::`, `::error file=…,line=…::`), and the files named by
`GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`. Nothing needs GitHub itself, so the tests play the
whole Action on a laptop.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from wxsync.report import Outcome, SyncReport

if TYPE_CHECKING:
    from wxsync.ci.commit import CommitResult

ANNOTATIONS_PER_LEVEL = 10
SUMMARY_LIMIT = 1024 * 1024 - 16 * 1024  # GitHub's limit is 1 MiB a step; a margin for others
RESERVED = 8 * 1024  # for the totals and the state line after the table
CELL_LIMIT = 500


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
        if self.environ.get("GITLAB_CI") == "true":
            return  # GitLab reads no workflow commands; it masks its variables itself
        print(line, file=self.out, flush=True)

    def annotation(self, kind: str, title: str, message: str) -> None:
        """`::error`, `::warning` or `::notice` with a title, escaped as the runner expects."""
        self.command(f"::{kind} title={_escape_property(title)}::{_escape_data(message)}")

    def error(self, title: str, message: str) -> None:
        self.annotation("error", title, message)

    def warning(self, title: str, message: str) -> None:
        self.annotation("warning", title, message)

    def notice(self, title: str, message: str) -> None:
        self.annotation("notice", title, message)

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
        """`::error` for posts that failed, `::warning` for those that need the writer's attention.

        GitHub shows at most 10 annotations of each level per step and drops the rest, so past
        that the last one says how many more there are; the summary lists them all.
        """
        errors = [o for o in report.outcomes if o.status in ("failed", "invalid")]
        warnings = [
            o
            for o in report.outcomes
            if o.status == "warning" or (o.status == "drafted" and o.message)
        ]
        error_room = ANNOTATIONS_PER_LEVEL - (1 if report.halted else 0)
        if report.halted:
            self.error("wxsync stopped", report.halted)
        for kind, outcomes, room in (
            ("error", errors, error_room),
            ("warning", warnings, ANNOTATIONS_PER_LEVEL),
        ):
            shown = outcomes if len(outcomes) <= room else outcomes[: room - 1]
            for outcome in shown:
                self._annotation(kind, outcome)
            if len(shown) < len(outcomes):
                more = len(outcomes) - len(shown)
                self.annotation(
                    kind,
                    "wxsync",
                    f"{more} more {kind}s in the job summary "
                    "(GitHub shows 10 annotations of each kind per step)",
                )

    def _annotation(self, kind: str, outcome: Outcome) -> None:
        properties = f"file={_escape_property(outcome.path)}"
        if outcome.line:
            properties += f",line={outcome.line}"
        title = _escape_property(f"wxsync: {outcome.title or outcome.path}")
        message = _strip_location(outcome.message, outcome.path) or outcome.status
        self.command(f"::{kind} {properties},title={title}::{_escape_data(message)}")

    def write_outputs(self, report: SyncReport, commit: CommitResult | None = None) -> None:
        """`published`, `drafted` and `failed` as JSON lists, and whether (and as which commit)
        the state file was pushed, for later steps of the job."""
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
        import secrets  # here, not at the top: `wxsync sync` imports this module on every run

        pushed = commit is not None and commit.pushed
        with Path(path).open("a", encoding="utf-8") as handle:
            for name, value in outputs.items():
                delimiter = f"wxsync_{secrets.token_hex(8)}"
                handle.write(
                    f"{name}<<{delimiter}\n{json.dumps(value, ensure_ascii=False)}\n{delimiter}\n"
                )
            handle.write(f"state-committed={'true' if pushed else 'false'}\n")
            handle.write(f"commit-sha={commit.commit if pushed and commit else ''}\n")

    def write_summary(
        self, report: SyncReport, commit: CommitResult | None = None, commit_error: str = ""
    ) -> None:
        """A Markdown table of what happened, shown on the run's page."""
        path = self.environ.get("GITHUB_STEP_SUMMARY")
        if not path:
            return
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(summary_markdown(report, commit, commit_error))


def summary_markdown(
    report: SyncReport,
    commit: CommitResult | None = None,
    commit_error: str = "",
    limit: int = SUMMARY_LIMIT,
) -> str:
    """The job summary, kept under `limit` bytes (GitHub refuses a step summary over 1 MiB)."""
    heading = "### wxsync — dry run" if report.dry_run else "### wxsync"
    rows = [o for o in report.outcomes if o.status != "unchanged"]
    lines = [heading, ""]
    if rows:
        lines += ["| Post | Action | Status | Article |", "|---|---|---|---|"]
        budget = limit - RESERVED
        used = sum(len(line.encode("utf-8")) + 1 for line in lines)
        for index, o in enumerate(rows):
            article = f"[{_cell(o.title or 'link')}]({o.url})" if o.url else _cell(o.message)
            line = f"| `{_cell(o.path)}` | {_cell(o.action)} | {_status(o.status)} | {article} |"
            used += len(line.encode("utf-8")) + 1
            if used > budget:
                lines.append(
                    f"| … | | | {len(rows) - index} more posts not listed: the summary is limited "
                    "to 1 MiB; the log lists them all |"
                )
                break
            lines.append(line)
        lines.append("")
    unchanged = len(report.outcomes) - len(rows)
    totals = ", ".join(f"{n} {s}" for s, n in sorted(report.counts().items()))
    lines.append(
        f"{totals or 'no posts'}."
        + (f" ({unchanged} unchanged not listed.)" if unchanged and rows else "")
    )
    if report.halted:
        lines += ["", f"**Stopped early:** {_cell(report.halted)}"]
    if commit_error:
        lines += ["", f"**State file not committed:** {' '.join(commit_error.split())}"]
    elif commit is not None:
        state = f"committed as `{commit.commit[:12]}`" if commit.pushed else _cell(commit.reason)
        lines += ["", f"State file: {state}."]
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
    "adopted": "🔗",
}


def _status(status: str) -> str:
    icon = _ICONS.get(status)
    return f"{icon} {status}" if icon else status


def _cell(text: str) -> str:
    text = text if len(text) <= CELL_LIMIT else text[: CELL_LIMIT - 1] + "…"
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
