"""The SLA tracking issue: one GitHub issue that lists every overdue clock on `main`.

Pure functions over the `escalate sla check --format json` report: `render_issue` writes the
issue's title and Markdown body, `plan` compares it with the issue that is open (if any) and
says what to do: open, update, close or nothing. Talking to GitHub is the CLI's business
(`escalate watch`); nothing here runs a command or reads the clock.

The body carries a digest of the *stable* facts of the table (which clocks are overdue, their
deadlines, owners and severities), not of the "overdue by" amounts, which grow every hour: so
an hourly watch rewrites the issue only when the set of overdue clocks or who owns them
changes, and the issue's history stays a record of real changes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import quote

from .duration import format_duration

TITLE = "SLA watch: overdue escalation clocks"
LABEL = "escalate-sla-watch"
MARKER = "<!-- escalate:sla-watch -->"
# Bump when the table's layout changes, so open issues are rewritten in the new layout once.
_LAYOUT = "1"
_DIGEST_RE = re.compile(r"<!-- escalate:sla-watch:digest=([0-9a-f]{16}) -->")

ActionKind = Literal["open", "update", "close", "none"]


@dataclass(frozen=True)
class OverdueRow:
    """One overdue clock, joined with its escalation's facts."""

    id: str
    clock: str
    overdue_seconds: float
    deadline: str | None
    owner: str
    severity: str
    file: str
    title: str

    def stable(self) -> tuple[str, str, str, str, str, str]:
        """What identifies the row regardless of when it is looked at."""
        return (self.id, self.clock, self.deadline or "", self.owner, self.severity, self.file)


@dataclass(frozen=True)
class Action:
    """What to do with the tracking issue.

    `open`: create an issue with `title`, `body` and the label. `update`: replace the body of
    issue `number`. `close`: close issue `number` with `comment`. `none`: leave things be
    (`number` is the open issue, if there is one). Whatever the kind, every issue in
    `duplicates` is then closed with `duplicate_comment`, so exactly one stays open.
    """

    kind: ActionKind
    title: str = TITLE
    body: str = ""
    number: int | None = None
    comment: str = ""
    overdue: int = 0  # how many overdue clocks the report lists
    # Further open tracking issues, to close with `duplicate_comment` pointing at `number`.
    duplicates: tuple[int, ...] = ()
    duplicate_comment: str = ""


def overdue_rows(report: Mapping[str, Any]) -> list[OverdueRow]:
    """The report's overdue clocks, most overdue first, with owner, severity and file."""
    escalations: dict[str, Mapping[str, Any]] = {
        str(entry.get("id")): entry for entry in _mappings(report.get("escalations"))
    }
    rows = []
    for item in _mappings(report.get("overdue")):
        escalation_id = str(item.get("id", ""))
        clock = str(item.get("clock", ""))
        escalation = escalations.get(escalation_id, {})
        deadline = None
        for measured in _mappings(escalation.get("clocks")):
            if measured.get("clock") == clock:
                value = measured.get("deadline")
                deadline = str(value) if value is not None else None
                break
        rows.append(
            OverdueRow(
                id=escalation_id,
                clock=clock,
                overdue_seconds=_seconds(item.get("overdue_seconds")),
                deadline=deadline,
                owner=str(escalation.get("owner") or ""),
                severity=str(escalation.get("severity") or ""),
                file=str(escalation.get("file") or ""),
                title=str(escalation.get("title") or ""),
            )
        )
    rows.sort(key=lambda row: (-row.overdue_seconds, row.id, row.clock))
    return rows


def digest(rows: Iterable[OverdueRow]) -> str:
    """16 hex digits that change when the set of overdue clocks or their facts change."""
    stable = sorted(row.stable() for row in rows)
    payload = json.dumps([_LAYOUT, stable], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def digest_of(body: str) -> str | None:
    """The digest an issue body carries, or None when it carries none."""
    found = _DIGEST_RE.search(body)
    return found.group(1) if found else None


def render_issue(
    report_json: Mapping[str, Any], *, repo_url: str | None, ref: str = "HEAD"
) -> tuple[str, str]:
    """The tracking issue's title and Markdown body for a report.

    `repo_url` (`https://github.com/OWNER/NAME`) turns each record's path into a link to the
    file at `ref`; without it the path is shown as code.
    """
    rows = overdue_rows(report_json)
    now = _minute(str(report_json.get("now") or ""))
    escalations = len({row.id for row in rows})
    lines = [
        MARKER,
        f"<!-- escalate:sla-watch:digest={digest(rows)} -->",
        "",
    ]
    if rows:
        lines += [
            f"**{len(rows)} overdue SLA clock{'s' * (len(rows) != 1)}** in "
            f"{escalations} escalation{'s' * (escalations != 1)} as of {now}, most overdue first.",
            "",
            "| Escalation | Clock | Overdue by | Deadline (UTC) | Owner | Severity | Record |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in rows:
            name = _cell(row.id) + (f" — {_cell(_shorten(row.title))}" if row.title else "")
            lines.append(
                f"| {name} | {_cell(row.clock)} | {_overdue_by(row.overdue_seconds)} | "
                f"{_minute(row.deadline) if row.deadline else ''} | {_cell(row.owner)} | "
                f"{_cell(row.severity)} | {_record_link(row.file, repo_url, ref)} |"
            )
        lines += [
            "",
            "*Overdue by* counts the open hours of the customer's calendar, as of the time "
            "above (*past the deadline*: the deadline has passed while the calendar was "
            "closed or the case paused, so no open hour is over yet); this table is "
            "rewritten only when the set of overdue clocks, their deadlines, owners or "
            "severities change.",
        ]
    else:
        lines.append(f"No SLA clock is overdue as of {now}.")
    lines += [
        "",
        "To clear a row, record what stops its clock in a pull request: the timeline event "
        "(`escalate ack`, `update`, `mitigate`, `resolve`), the postmortem's "
        "`status: reviewed`, or the action's `done_at`.",
        "",
        "*Kept up to date by `escalate watch` in the SLA watch workflow; closed by it when "
        "nothing is overdue. Edits to this issue are overwritten.*",
    ]
    return TITLE, "\n".join(lines) + "\n"


def find_issue(issues: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The tracking issue among open issues (`number`, `title`, `body`), or None.

    An issue is ours when it carries the marker or the fixed title; when several do, the
    oldest (lowest number) is the one kept up to date (see `find_duplicates`).
    """
    ours = _ours(issues)
    return ours[0] if ours else None


def find_duplicates(issues: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Our open issues other than the one `find_issue` keeps: the ones to close."""
    return _ours(issues)[1:]


def _ours(issues: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    ours = [
        dict(issue)
        for issue in issues
        if MARKER in str(issue.get("body") or "") or issue.get("title") == TITLE
    ]
    ours.sort(key=lambda issue: _number(issue) or 0)
    return ours


def plan(
    existing: Mapping[str, Any] | None,
    report_json: Mapping[str, Any],
    *,
    repo_url: str | None = None,
    ref: str = "HEAD",
    duplicates: Sequence[Mapping[str, Any]] = (),
) -> Action:
    """What to do with the tracking issue `existing` (None when none is open) for a report.

    `duplicates` are further open tracking issues (`find_duplicates`): the action closes
    them, pointing at `existing`, which keeps the issue's history in one place.
    """
    title, body = render_issue(report_json, repo_url=repo_url, ref=ref)
    count = len(overdue_rows(report_json))
    number = _number(existing)
    if not count:
        if existing is None:
            return Action("none", title=title, body=body)
        now = _minute(str(report_json.get("now") or ""))
        action = Action(
            "close",
            title=title,
            body=body,
            number=number,
            comment=f"No SLA clock is overdue as of {now}: closing. `escalate watch` opens a "
            "new issue when one is overdue again.",
        )
    elif existing is None:
        return Action("open", title=title, body=body, overdue=count)
    elif digest_of(str(existing.get("body") or "")) == digest_of(body):
        action = Action("none", title=title, body=body, number=number, overdue=count)
    else:
        action = Action("update", title=title, body=body, number=number, overdue=count)
    extra = tuple(
        found
        for duplicate in duplicates
        if (found := _number(duplicate)) is not None and found != number
    )
    if not extra or number is None:
        return action
    return replace(
        action,
        duplicates=extra,
        duplicate_comment=f"Duplicate of #{number}: `escalate watch` keeps exactly one SLA "
        "tracking issue up to date, and that is the one. Closing this one.",
    )


# --- small pieces ------------------------------------------------------------------------------


def _mappings(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)


def _number(issue: Mapping[str, Any] | None) -> int | None:
    if issue is None:
        return None
    value = issue.get("number")
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _overdue_by(seconds: float) -> str:
    amount = format_duration(seconds)
    # Overdue by the deadline's instant with no open time over yet (a deadline on a closing
    # time): a bare "0m" would read as not overdue at all.
    return "past the deadline" if amount == "0m" else amount


def _minute(text: str) -> str:
    # 2026-11-22T08:55:00Z -> 2026-11-22 08:55Z: seconds are noise at SLA granularity.
    if len(text) >= 16 and text[10] == "T":
        return text[:16].replace("T", " ") + ("Z" if text.endswith("Z") else "")
    return text


def _cell(text: str) -> str:
    # A pipe ends a table cell, angle brackets would be read as HTML, and an @ would mention
    # someone (a zero-width space after it keeps the text and drops the notification).
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("@", "@\u200b")
        .replace("\n", " ")
    )


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _record_link(path: str, repo_url: str | None, ref: str) -> str:
    if not path:
        return ""
    if not repo_url:
        return f"`{_cell(path)}`"
    target = f"{repo_url.rstrip('/')}/blob/{quote(ref, safe='')}/{quote(path)}"
    return f"[{_cell(path.rsplit('/', 1)[-1])}]({target})"
