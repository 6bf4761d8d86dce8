"""`escalate sla check`: every SLA clock as of an instant, as a table, JSON, a job summary or
GitHub annotations, and an exit code CI can act on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import click

from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Context,
    echo_json,
    format_option,
    now_option,
    stdout_is_terminal,
)

if TYPE_CHECKING:
    from ..records import Escalation
    from ..repo import Repo
    from ..sla import Clock, SlaReport

# --fail-on -> the clock states that make the command exit 1
FAIL_STATES = {"overdue": ("overdue",), "at_risk": ("overdue", "at_risk"), "never": ()}


@click.group()
def sla() -> None:
    """SLA clocks: acknowledge, customer update, mitigate, resolve, postmortem, actions."""


@sla.command("check")
@now_option()
@format_option("text", "json", "github", "markdown")
@click.option(
    "--fail-on",
    type=click.Choice(tuple(FAIL_STATES)),
    default="overdue",
    show_default=True,
    help="Exit 1 when a clock is in this state (at_risk includes overdue).",
)
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Every escalation and every clock, not only those still counting.",
)
@click.pass_obj
def check(ctx: Context, now: datetime, output_format: str, fail_on: str, show_all: bool) -> int:
    """Measure every SLA clock as of --now; exit 1 if one is overdue (see --fail-on).

    By default only active escalations and those with a postmortem or action clock still
    counting are shown; drills are shown but never fail the check. Records that do not
    validate are skipped with a warning.
    """
    from ..sla import REPORT
    from ..sla import check as measure

    repo = ctx.repo(derive=REPORT)
    report = measure(repo, now, live_only=not show_all)
    for finding in report.skipped:
        click.echo(f"warning: {finding.file}: {finding.message}", err=True)

    if output_format == "json":
        # Indented for a person at a terminal; compact for a pipe (a fifth of the bytes).
        echo_json(report.as_json(), indent=stdout_is_terminal())
    elif output_format == "markdown":
        click.echo(_markdown(report))
    elif output_format == "github":
        for line in _annotations(repo, report):
            click.echo(line)
        click.echo(_summary(report), err=True)
    else:
        click.echo(_table(report, show_all))
        click.echo(_summary(report), err=True)

    failing = FAIL_STATES[fail_on]
    return EXIT_FINDINGS if failing and report.flagged(*failing) else EXIT_OK


# --- shared wording --------------------------------------------------------------------------


def _minute(at: datetime | None) -> str:
    from ..sla import rfc3339

    text = rfc3339(at)
    # 2026-11-22T08:55:00Z -> 2026-11-22 08:55Z: seconds are noise at SLA granularity.
    return "" if text is None else text[:16].replace("T", " ") + "Z"


def _how_far(clock: Clock) -> str:
    """`2h15m over`, `45m left`, `met`: how the clock stands against its target."""
    from ..duration import format_duration

    if clock.state in ("overdue", "missed"):
        over = format_duration(clock.overdue_seconds)
        # Late by the deadline's real instant with no open time over yet: the deadline fell
        # on a closing time (or just before a pause), and a bare "0m over" would read as fine.
        return "past the deadline" if over == "0m" else f"{over} over"
    if clock.state == "met":
        return "met"
    if clock.remaining_seconds is None:
        return ""
    return f"{format_duration(clock.remaining_seconds)} left"


def _summary(report: SlaReport) -> str:
    counts: dict[str, int] = {}
    for _, clocks in report.escalations:
        for clock in clocks:
            counts[clock.state] = counts.get(clock.state, 0) + 1
    parts = [
        f"{counts[state]} {state.replace('_', ' ')}"
        for state in ("overdue", "at_risk", "paused", "running")
        if counts.get(state)
    ]
    measured = len(report.escalations)
    return (
        f"{', '.join(parts) or 'no clocks counting'} in {measured} "
        f"escalation{'s' * (measured != 1)} as of {_minute(report.now)}"
    )


def _rows(report: SlaReport, show_all: bool) -> list[tuple[Escalation, Clock]]:
    from ..sla import STATES

    rows = [
        (escalation, clock)
        for escalation, clocks in report.escalations
        for clock in clocks
        if show_all or clock.live
    ]
    rows.sort(
        key=lambda row: (
            STATES.index(row[1].state),
            -row[1].overdue_seconds,
            row[1].remaining_seconds if row[1].remaining_seconds is not None else float("inf"),
            row[0].id,
        )
    )
    return rows


# --- text ------------------------------------------------------------------------------------


def _table(report: SlaReport, show_all: bool) -> str:
    rows = _rows(report, show_all)
    if not rows:
        return "No SLA clocks counting." if not show_all else "No SLA clocks."
    headers = ("ID", "CLOCK", "STATE", "DEADLINE", "LEFT/OVER", "OWNER", "SEVERITY")
    table = []
    for escalation, clock in rows:
        state = report.state_of(escalation)
        table.append(
            (
                escalation.id + (" (drill)" if escalation.drill else ""),
                clock.clock,
                clock.state.replace("_", " "),
                _minute(clock.deadline),
                _how_far(clock),
                state.owner,
                state.severity,
            )
        )
    widths = [max(len(cell) for cell in column) for column in zip(headers, *table, strict=True)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (headers, *table)
    )


# --- markdown (GitHub job summary) -------------------------------------------------------------


def _cell(text: str) -> str:
    # A pipe ends a table cell; angle brackets would be read as HTML.
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _markdown(report: SlaReport) -> str:
    flagged = report.flagged("overdue", "at_risk")
    overdue = sum(1 for _, clock in flagged if clock.state == "overdue")
    measured = len(report.escalations)
    lines = [
        "## SLA check",
        "",
        f"As of {_minute(report.now)}: {measured} escalation{'s' * (measured != 1)} measured, "
        f"**{overdue} overdue**, {len(flagged) - overdue} at risk.",
        "",
    ]
    if flagged:
        lines += [
            "| Escalation | Clock | State | Deadline (UTC) | Against target | Owner | Severity |",
            "|---|---|---|---|---|---|---|",
        ]
        for escalation, clock in flagged:
            state = report.state_of(escalation)
            shown = "**overdue**" if clock.state == "overdue" else "at risk"
            lines.append(
                f"| {_cell(escalation.id)} | {_cell(clock.clock)} | {shown} | "
                f"{_minute(clock.deadline)} | {_how_far(clock)} | {_cell(state.owner)} | "
                f"{_cell(state.severity)} |"
            )
    else:
        lines.append("No clock is overdue or at risk.")
    if report.skipped:
        lines += [
            "",
            f"Not measured: {len(report.skipped)} file{'s' * (len(report.skipped) != 1)} "
            "that do not validate (run `escalate validate`): "
            + ", ".join(f"`{_cell(finding.file)}`" for finding in report.skipped),
        ]
    return "\n".join(lines)


# --- GitHub annotations ----------------------------------------------------------------------


def _annotations(repo: Repo, report: SlaReport) -> list[str]:
    from ..duration import format_duration
    from .validate import _escape_data, _escape_property

    lines = []
    places: dict[str, tuple[int, int]] = {}
    for escalation, clock in report.flagged("overdue", "at_risk"):
        if escalation.id not in places:
            places[escalation.id] = _last_event(repo, escalation)
        line, column = places[escalation.id]
        owner = report.state_of(escalation).owner
        if clock.state == "overdue":
            level, title = "error", "SLA overdue"
            late = format_duration(clock.overdue_seconds)
            message = f"{escalation.id} {clock.clock} overdue by {late}"
            if late == "0m":  # see _how_far
                message = f"{escalation.id} {clock.clock} overdue: past its deadline of " + (
                    _minute(clock.deadline)
                )
        else:
            level, title = "warning", "SLA at risk"
            message = f"{escalation.id} {clock.clock} at risk: {_how_far(clock)}"
        lines.append(
            f"::{level} file={_escape_property(escalation.path)},line={line},col={column},"
            f"title={_escape_property(title)}::{_escape_data(f'{message} (owner {owner})')}"
        )
    return lines


def _last_event(repo: Repo, escalation: Escalation) -> tuple[int, int]:
    """Where the record's last timeline event is written: where the next one goes."""
    from ..yamlio import locate

    timeline: Sequence[object] = escalation.data.get("timeline") or []
    pointer = f"/timeline/{len(timeline) - 1}" if timeline else "/opened_at"
    try:
        text = (repo.root / escalation.path).read_text(encoding="utf-8")
    except OSError:
        return 1, 1
    line, column = locate(text, pointer)
    return max(line, 1), max(column, 1)
