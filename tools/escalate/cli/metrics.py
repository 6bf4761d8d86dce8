"""`escalate metrics`: time to assign, acknowledge, mitigate and resolve, SLA attainment,
escalations per 1,000 tickets, repeat, compensation and reopen rates, and load per owner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from .common import Context, echo_json, format_option, now_option

if TYPE_CHECKING:
    from ..metrics import DurationGroup, Metrics


class Day(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """A date (`2026-11-01`, midnight in the repo's default time zone) or an RFC 3339 instant."""

    name = "date"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> date | datetime:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            self.fail(
                f"{text!r} is not a date; write 2026-11-01 or 2026-11-01T00:00:00Z", param, ctx
            )
        if parsed.tzinfo is None:
            self.fail(f"{text!r} has no timezone; add an offset such as +01:00 or Z", param, ctx)
        return parsed


DAY = Day()


@click.command()
@click.option(
    "--since",
    type=DAY,
    help="Only records opened at or after this date (midnight in the default time zone).",
)
@click.option("--until", type=DAY, help="Only records opened before this date.")
@now_option()
@format_option("text", "json")
@click.pass_obj
def metrics(
    ctx: Context,
    since: date | datetime | None,
    until: date | datetime | None,
    now: datetime,
    output_format: str,
) -> None:
    """Escalation metrics over the records opened in [--since, --until), as of --now.

    Drills and records that do not validate are left out. Months are counted in the
    default time zone of policy/calendars.yaml.

    Out of hours, per owner, is measured against the person's own working time: 09:00-18:00
    in their roster time zone, on the working days and minus the holidays of the
    business-hours calendar in that zone (Monday to Friday, no holidays, when there is none).
    OOH H counts the hours they owned an active sev1/sev2 case (the two most severe levels)
    outside that time; OOH EVENTS counts the timeline events they wrote themselves outside
    it, at any severity.
    """
    from ..errors import UsageError
    from ..metrics import compute, period_bound

    repo = ctx.repo()
    zone = repo.policy.default_timezone
    start, stop = period_bound(since, zone), period_bound(until, zone)
    if start is not None and stop is not None and start >= stop:
        raise UsageError(f"--since {since} is not before --until {until}; the period is empty")
    result = compute(repo, now, since=start, until=stop)
    if output_format == "json":
        echo_json(result.as_json())
    else:
        click.echo(render_text(result))


# --- text ------------------------------------------------------------------------------------


_EXCLUDED = {
    "drill": "drill(s)",
    "outside_period": "opened outside the period",
    "invalid": "invalid",
    "not_yet_opened": "opened after --now",
}


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: int = 1) -> list[str]:
    """Columns from `right` on are right-aligned (they hold numbers)."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = []
    for row in (headers, *rows):
        cells = [
            cell.rjust(width) if index >= right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _age(seconds: float | None) -> str:
    from ..records import format_age

    return "-" if seconds is None else format_age(seconds)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f}"


def _duration_row(label: str, group: DurationGroup) -> list[str]:
    return [
        label,
        str(group.count),
        str(group.pending),
        _age(group.elapsed.median_seconds),
        _age(group.elapsed.p90_seconds),
        _age(group.business.median_seconds),
        _age(group.business.p90_seconds),
    ]


def render_text(result: Metrics) -> str:
    """The readable report: one table per metric."""
    since = result.since.isoformat(timespec="minutes") if result.since else "the beginning"
    until = result.until.isoformat(timespec="minutes") if result.until else "now"
    excluded = ", ".join(
        f"{count} {_EXCLUDED[why]}" for why, count in result.excluded.items() if count
    )
    out = [
        f"Escalation metrics as of {result.now.isoformat(timespec='minutes')}",
        f"Records opened from {since} until {until}; months in {result.timezone}.",
        f"{result.records} escalations counted" + (f"; left out: {excluded}." if excluded else "."),
    ]
    headers = ("GROUP", "N", "PENDING", "MEDIAN", "P90", "BUSINESS MEDIAN", "BUSINESS P90")
    for metric in result.durations.values():
        rows = [_duration_row("all", metric.all)]
        rows += [_duration_row(key, group) for key, group in metric.by_severity.items()]
        rows += [_duration_row(key, group) for key, group in metric.by_month.items()]
        out += [
            "",
            f"{metric.label} (real elapsed time; business = open time on the tier's calendar)",
        ]
        out += _table(headers, rows)
    out += [
        "",
        f"({result.assigned_at_opening} assigned at opening count as 0 in time to assign.)",
        "",
        "SLA attainment (met / (met + missed), stopped clocks only)",
    ]
    out += _table(
        ("CLOCK", "MET", "MISSED", "ATTAINMENT", "OVERDUE NOW", "RUNNING"),
        [
            [
                clock.clock,
                str(clock.met),
                str(clock.missed),
                _percent(clock.attainment),
                str(clock.overdue),
                str(clock.running),
            ]
            for clock in result.sla
        ],
    )
    out += ["", "Escalations per 1,000 tickets"]
    out += _table(
        ("MONTH", "ESCALATIONS", "TICKETS", "PER 1,000"),
        [
            [
                month.month,
                str(month.escalations),
                "-" if month.tickets is None else str(month.tickets),
                f"{month.per_1000:.3f}" if month.per_1000 is not None else "no volume",
            ]
            for month in result.volumes
        ],
    )
    overall = result.per_1000
    out.append(
        "Overall: "
        + (
            f"{overall:.3f} per 1,000 (months with a volume)"
            if overall is not None
            else "no volume"
        )
    )
    out += [""]
    for label, rate in (
        ("Repeat escalations (with related)", result.repeats),
        ("Resolved without compensation", result.resolved_without_compensation),
        ("Resolved, then reopened", result.reopened),
    ):
        out.append(f"{label}: {rate.count} of {rate.of} ({_percent(rate.rate)})")
    out += [
        "",
        "Load per owner (active hours owned; URGENT: while sev1/sev2; OOH: urgent hours and "
        "own events outside the owner's working time, see --help)",
    ]
    out += _table(
        (
            "OWNER",
            "TIMEZONE",
            "CASES",
            "WEIGHTED",
            "ACTIVE H",
            "URGENT H",
            "OOH H",
            "SHARE",
            "OOH EVENTS",
        ),
        [
            [
                owner.handle,
                owner.timezone,
                str(owner.cases),
                f"{owner.weighted_cases:.2f}",
                _hours(owner.active_seconds),
                _hours(owner.urgent_seconds),
                _hours(owner.out_of_hours_seconds),
                _percent(owner.out_of_hours_share),
                str(owner.out_of_hours_events),
            ]
            for owner in result.owners
        ],
        right=2,
    )
    return "\n".join(out)
