"""`escalate standup`: the agenda for the escalation owners' standup, as text or Markdown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from .common import Context, format_option, now_option

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ..standup import Agenda


@click.command()
@now_option()
@click.option(
    "--within",
    default="4h",
    show_default=True,
    metavar="DURATION",
    help="How far ahead a customer update counts as due (e.g. 2h, 1h30m).",
)
@format_option("text", "markdown")
@click.pass_obj
def standup(ctx: Context, now: datetime, within: str, output_format: str) -> None:
    """The standup agenda: raises the triggers require, clocks overdue or at risk, customer
    updates due soon, open cases by owner, and actions due this week (drills left out)."""
    from datetime import timedelta

    from ..duration import parse_duration
    from ..errors import UsageError
    from ..sla import REPORT
    from ..standup import agenda

    try:
        window = timedelta(seconds=parse_duration(within))
    except ValueError as exc:
        raise UsageError(f"--within {within!r}: {exc}") from None
    repo = ctx.repo(derive=REPORT)
    found = agenda(repo, now, window)
    zone = repo.policy.default_timezone
    names = {handle: person.name for handle, person in repo.policy.people.items()}
    lines = (
        _markdown(found, zone, names) if output_format == "markdown" else _text(found, zone, names)
    )
    click.echo("\n".join(lines))


def _when(at: datetime | None, zone: ZoneInfo) -> str:
    if at is None:
        return "-"
    local = at.astimezone(zone)
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def _span(seconds: float) -> str:
    from ..duration import format_duration

    return format_duration(abs(seconds))


def _sections(
    found: Agenda, zone: ZoneInfo, names: dict[str, str]
) -> list[tuple[str, list[list[str]]]]:
    """Each section's heading and rows of cells, shared by both formats."""
    from ..records import format_age

    now = found.now
    raises = [
        [
            item.escalation.id,
            item.state.severity,
            f"at {item.level}, needs {item.required}",
            "; ".join(f"{hit.trigger}: {hit.reason}" for hit in item.hits),
        ]
        for item in found.raises
    ]
    flagged = []
    for case, clock in found.flagged:
        action = _action(case.escalation.data, clock.clock)
        owner = str(action["owner"]) if action is not None else case.state.owner
        flagged.append(
            [
                case.id,
                clock.clock,
                clock.state.replace("_", " "),
                f"{_span(clock.overdue_seconds)} over"
                if clock.state == "overdue"
                else f"{_span(clock.remaining_seconds or 0)} left",
                # An action is due on a date; the clock's deadline is the end of that day.
                f"due {action['due']}" if action else f"deadline {_when(clock.deadline, zone)}",
                names.get(owner, owner),
            ]
        )
    updates = []
    for case, clock in found.updates_due:
        deadline = clock.deadline or now
        delta = (deadline - now).total_seconds()
        updates.append(
            [
                case.id,
                _when(deadline, zone),
                f"in {_span(delta)}" if delta >= 0 else f"{_span(delta)} late",
                names.get(case.state.owner, case.state.owner),
                str(case.escalation.data["customer"]["name"]),
            ]
        )
    owners = []
    for owner, cases in found.by_owner.items():
        for case in cases:
            owners.append(
                [
                    f"{names.get(owner, owner)} ({owner})",
                    case.id,
                    case.state.severity,
                    case.state.status.replace("_", " "),
                    case.state.level,
                    format_age((now - case.escalation.opened_at).total_seconds()),
                    case.escalation.title,
                ]
            )
    actions = [
        [
            item.escalation.id,
            str(item.action["id"]),
            str(item.action["title"]),
            names.get(str(item.action["owner"]), str(item.action["owner"])),
            f"due {item.action['due']}" + (" (overdue)" if item.overdue else ""),
        ]
        for item in found.actions_due
    ]
    week = f"{found.week_ends.astimezone(zone):%a %d %b}"
    return [
        ("Raise now: triggers require a higher level", raises),
        ("Clocks overdue or at risk", flagged),
        (f"Customer updates due by {_when(now + found.window, zone)}", updates),
        ("Open cases by owner", owners),
        (f"Actions due this week (before {week})", actions),
    ]


def _action(data: Mapping[str, Any], clock: str) -> Mapping[str, Any] | None:
    if not clock.startswith("action:"):
        return None
    wanted = clock.removeprefix("action:")
    return next((a for a in data.get("actions") or [] if str(a.get("id")) == wanted), None)


def _title(found: Agenda, zone: ZoneInfo) -> str:
    return f"Escalation standup, {_when(found.now, zone)}"


def _text(found: Agenda, zone: ZoneInfo, names: dict[str, str]) -> list[str]:
    lines = [_title(found, zone), ""]
    for number, (heading, rows) in enumerate(_sections(found, zone, names), start=1):
        lines.append(f"{number}. {heading}")
        if not rows:
            lines.append("   none")
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
            lines.append("   " + "  ".join([*cells, row[-1]]).rstrip())
        lines.append("")
    return lines[:-1]


_HEADERS = [
    ["Case", "Severity", "Level", "Why"],
    ["Case", "Clock", "State", "How far", "Deadline", "Owner"],
    ["Case", "Due", "When", "Owner", "Customer"],
    ["Owner", "Case", "Severity", "Status", "Level", "Age", "Title"],
    ["Case", "Action", "Title", "Owner", "Due"],
]


def _markdown(found: Agenda, zone: ZoneInfo, names: dict[str, str]) -> list[str]:
    lines = [f"# {_title(found, zone)}", ""]
    sections = _sections(found, zone, names)
    for (heading, rows), header in zip(sections, _HEADERS, strict=True):
        lines += [f"## {heading}", ""]
        if not rows:
            lines += ["None.", ""]
            continue
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in rows:
            lines.append("| " + " | ".join(_cell(cell) for cell in row) + " |")
        lines.append("")
    return lines[:-1]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or " "
