"""What a run did, for people (a terminal table) and for programs (JSON)."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field

# Outcome statuses that make the run exit with 1.
FAILING = frozenset({"failed", "invalid"})


@dataclass
class Outcome:
    """One post's line in the report."""

    path: str
    title: str
    action: str
    status: str  # published, drafted, publishing, failed, invalid, skipped, waiting, unchanged, ...
    url: str = ""
    message: str = ""
    line: int = 0  # where the problem is, for annotations (0: the file as a whole)
    group: str = ""  # the message it goes out in, e.g. `weekly 1/2` (empty: on its own)


@dataclass
class SyncReport:
    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: bool = False
    api_calls: int = 0
    halted: str = ""  # why API work stopped early (credentials, IP whitelist, quota)

    @property
    def failed(self) -> bool:
        return bool(self.halted) or any(o.status in FAILING for o in self.outcomes)

    def counts(self) -> Counter[str]:
        return Counter(o.status for o in self.outcomes)

    def to_json(self) -> str:
        data = {
            "dry_run": self.dry_run,
            "api_calls": self.api_calls,
            "halted": self.halted,
            "failed": self.failed,
            "posts": [asdict(o) for o in self.outcomes],
        }
        return json.dumps(data, ensure_ascii=False, indent=2)


def table(report: SyncReport, *, verbose: bool = False) -> str:
    """A plain-text table of the posts that something happened to, plus a one-line summary."""
    rows = [o for o in report.outcomes if verbose or o.status not in ("unchanged",)]
    lines = []
    if rows:
        header = ("post", "action", "status", "link / note")
        body = [(o.path, o.action, o.status, _note(o)) for o in rows]
        widths = [max(display_width(r[i]) for r in [header, *body]) for i in range(3)]
        for row in [header, *body]:
            cells = [pad(row[i], widths[i]) for i in range(3)]
            lines.append("  ".join([*cells, row[3]]).rstrip())
    summary = ", ".join(f"{count} {status}" for status, count in sorted(report.counts().items()))
    prefix = "dry run — nothing was sent to WeChat: " if report.dry_run else ""
    lines.append(f"{prefix}{summary or 'no posts'}")
    if report.halted:
        lines.append(f"stopped early: {report.halted}")
    return "\n".join(lines)


def _note(outcome: Outcome) -> str:
    note = outcome.url or outcome.message
    if outcome.group:
        return f"[message {outcome.group}] {note}".rstrip()
    return note


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: CJK characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))
