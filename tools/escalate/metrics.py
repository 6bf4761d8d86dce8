"""Escalation metrics: how fast cases move, how often clocks are met, and who carries the load.

Everything is computed from the same derived model as the status board, *as of* `now`: an
event after `now` has not happened yet, and a record opened after `now` does not exist yet.
Which records count:

* drills (`drill: true`) never count, for anything;
* only records opened in the period `[since, until)` count (either end may be open);
* records that do not validate are left out: the `Repo` only models schema-valid files, and
  records with any other validation error (an impossible timeline, an unknown person) are
  dropped here too, so a metric never rests on a record `escalate validate` rejects.

Definitions (where DESIGN.md leaves room, the choice is ours and stated here):

* **Time to assign**: opened → the first `assigned` event. A record names its owner when it
  is opened (routing fills it), so a record without an `assigned` event was assigned at
  opening and counts as **0**, not as pending.
* **Time to acknowledge**: opened → the first `acknowledged` event.
* **Time to mitigate**: opened → the first `mitigated` event, or the first `resolved` when the
  case was resolved before any mitigation (as the SLA `mitigate` clock stops).
* **Time to resolve**: opened → the *first* `resolved` event; a later reopening does not
  change it (the reopen rate reports those).
* Each is reported twice: `elapsed` is real time, `business` is open time on the calendar of
  the customer's tier (and region), as SLA clocks count it. Pauses are not subtracted: these
  are what the customer lived through; SLA attainment applies the pause rules.
* A record that has not reached a milestone yet is `pending` in that metric's group, not a
  value: `count + pending` is the size of the group.
* Groups: all records, by **current** severity (as of `now`), and by **month of opening** in
  the repository's `default_timezone` (policy/calendars.yaml, UTC when absent), so a case
  opened at 00:30 Berlin time on 1 November belongs to November even though it is still
  October in UTC. Ticket volumes (policy/volumes.yaml) are keyed by the same months.
* **Percentiles** use linear interpolation between closest ranks (Hyndman-Fan type 7, the
  default of numpy and of spreadsheet `PERCENTILE.INC`): sort the n values, take the
  position h = (n - 1) * p, and interpolate between the values at floor(h) and ceil(h).
  The median is p = 0.5, so for an even count it is the mean of the two middle values.
* **SLA attainment** per clock: met / (met + missed), counting only stopped clocks; `overdue`
  is the number of clocks overdue at `now`. `action:<id>` clocks are pooled as `action`.
  States are those of `sla check`: a clock stopped after its deadline is missed even when
  no open time was over the target (a deadline on a closing time, a stop the next morning).
* **Escalations per 1,000 tickets** per month: escalations opened that month × 1000 / tickets
  created that month. A month without a volume says so and has no rate (never a division
  by zero); the overall rate counts only months that have a volume.
* **Repeat rate**: records with `related` / all records.
* **Resolved without compensation**: of the records resolved at least once, the share with
  no `remedies` granted by `now`. **Reopen rate**: of the same records, the share ever
  reopened.
* **Load per owner**: every person who owned a record at some point (the owner at opening,
  then each `assigned` or `escalated` … `to`) counts it once in `cases`. `active_seconds`
  is the time they owned it while it was active (opened or reopened, not yet resolved;
  waiting on the customer counts), summed over cases, so two cases at once count twice.
  `weighted_cases` splits each case between its owners by that time.
* **Out of hours** (the burnout indicator) is measured against the person's own working
  time: 09:00-18:00 on the wall clock of their `timezone` (policy/roster.yaml), on the
  weekdays their *home calendar* is open and not on its holidays. The home calendar is the
  first business-hours calendar of policy/calendars.yaml in the same time zone (a Berlin
  person gets emea-business: German public holidays and the company closures); a person
  whose zone has no such calendar works Monday to Friday, with no holidays taken out.
  Two numbers, because owning a case is not the same as working on it:
  - `out_of_hours_seconds`: ownership outside working time, counted only while the case was
    active *and* urgent, that is of one of the two most severe levels of
    policy/severity.yaml (sev1 and sev2) at that moment: owning a sev3 overnight wakes
    nobody, owning a sev1 does. `urgent_seconds` is all of that urgent ownership, and
    `out_of_hours_share` is `out_of_hours_seconds / active_seconds`.
  - `out_of_hours_events`: timeline events the owner wrote themselves (`by` is who owned
    the case just before the event, so a hand-over counts for the one handing over) outside
    their working time, in any case and at any severity: evidence of work done out of hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .calendar import Calendar
from .errors import PolicyError
from .records import RESOLVED, Escalation, Event, State, derive, format_age, parse_instant

if TYPE_CHECKING:
    from .policy import Policy
    from .repo import Repo

__all__ = [
    "DURATIONS",
    "URGENT_LEVELS",
    "WORKING_HOURS",
    "ClockAttainment",
    "Distribution",
    "DurationGroup",
    "DurationMetric",
    "Metrics",
    "MonthVolume",
    "OwnerLoad",
    "Rate",
    "compute",
    "month_of",
    "percentile",
    "period_bound",
]

# name -> label, in the order reports show them
DURATIONS: dict[str, str] = {
    "time_to_assign": "Time to assign",
    "time_to_acknowledge": "Time to acknowledge",
    "time_to_mitigate": "Time to mitigate",
    "time_to_resolve": "Time to resolve",
}
# A person's own working hours, for out-of-hours time: (start, end) minutes of a working day.
WORKING_HOURS = (9 * 60, 18 * 60)
# Ownership counts as out-of-hours load only while the case is at one of this many of the
# most severe levels of policy/severity.yaml (sev1 and sev2).
URGENT_LEVELS = 2

_EPSILON = timedelta(microseconds=1)
_CLOCK_ORDER = ("acknowledge", "customer_update", "mitigate", "resolve", "postmortem", "action")


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-quantile (0 <= p <= 1) by linear interpolation between closest ranks.

    Hyndman-Fan type 7: h = (n - 1) * p on the sorted values, interpolated between
    floor(h) and ceil(h). None for no values.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"p must be within [0, 1], not {p!r}")
    if not values:
        return None
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    low = math.floor(h)
    high = math.ceil(h)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


def month_of(at: datetime, zone: ZoneInfo) -> str:
    """The "YYYY-MM" an instant falls in on the wall calendar of a zone."""
    return at.astimezone(zone).strftime("%Y-%m")


def _human(seconds: float | None) -> str | None:
    return None if seconds is None else format_age(seconds)


def _rounded(seconds: float | None) -> float | None:
    # Interpolation leaves float noise (2399.999999999999); milliseconds are plenty.
    return None if seconds is None else round(seconds, 3)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


# --- result types ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """Median and 90th percentile of some durations, in seconds."""

    count: int
    median_seconds: float | None
    p90_seconds: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        return cls(
            len(values), _rounded(percentile(values, 0.5)), _rounded(percentile(values, 0.9))
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "median_seconds": self.median_seconds,
            "p90_seconds": self.p90_seconds,
            "median": _human(self.median_seconds),
            "p90": _human(self.p90_seconds),
        }


@dataclass(frozen=True)
class DurationGroup:
    """One duration metric over one group of records."""

    records: int  # in the group
    elapsed: Distribution  # real time
    business: Distribution  # open time on the tier's calendar

    @property
    def count(self) -> int:
        """Records that reached the milestone."""
        return self.elapsed.count

    @property
    def pending(self) -> int:
        return self.records - self.count

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "pending": self.pending,
            "elapsed": self.elapsed.as_json(),
            "business": self.business.as_json(),
        }


@dataclass(frozen=True)
class DurationMetric:
    name: str  # time_to_assign | time_to_acknowledge | time_to_mitigate | time_to_resolve
    label: str
    all: DurationGroup
    by_severity: dict[str, DurationGroup]
    by_month: dict[str, DurationGroup]

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "all": self.all.as_json(),
            "by_severity": {key: group.as_json() for key, group in self.by_severity.items()},
            "by_month": {key: group.as_json() for key, group in self.by_month.items()},
        }


@dataclass(frozen=True)
class ClockAttainment:
    clock: str  # acknowledge | customer_update | mitigate | resolve | postmortem | action
    met: int
    missed: int
    overdue: int  # overdue as of now
    running: int  # still counting and not overdue (running, at risk or paused)

    @property
    def attainment(self) -> float | None:
        """met / (met + missed); None when no clock has stopped."""
        return _ratio(self.met, self.met + self.missed)

    def as_json(self) -> dict[str, Any]:
        return {
            "clock": self.clock,
            "met": self.met,
            "missed": self.missed,
            "attainment": self.attainment,
            "overdue": self.overdue,
            "running": self.running,
        }


@dataclass(frozen=True)
class MonthVolume:
    month: str  # YYYY-MM in the default timezone
    escalations: int
    tickets: int | None  # None: policy/volumes.yaml has no count for the month

    @property
    def per_1000(self) -> float | None:
        if self.tickets is None or self.tickets == 0:
            return None
        return self.escalations * 1000 / self.tickets

    @property
    def note(self) -> str | None:
        if self.tickets is None:
            return f"no ticket volume for {self.month} in policy/volumes.yaml"
        if self.tickets == 0:
            return f"policy/volumes.yaml records 0 tickets for {self.month}"
        return None

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "escalations": self.escalations,
            "tickets": self.tickets,
            "per_1000": self.per_1000,
            "note": self.note,
        }


@dataclass(frozen=True)
class Rate:
    count: int
    of: int

    @property
    def rate(self) -> float | None:
        return _ratio(self.count, self.of)

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "of": self.of, "rate": self.rate}


@dataclass(frozen=True)
class OwnerLoad:
    handle: str
    timezone: str
    cases: int
    weighted_cases: float
    active_seconds: float
    out_of_hours_seconds: float  # urgent, active ownership outside their working time
    urgent_seconds: float = 0.0  # active ownership while the case was sev1/sev2
    out_of_hours_events: int = 0  # events they wrote outside their working time
    working_calendar: str | None = None  # the home calendar their holidays come from

    @property
    def out_of_hours_share(self) -> float | None:
        return _ratio(self.out_of_hours_seconds, self.active_seconds)

    def as_json(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "timezone": self.timezone,
            "cases": self.cases,
            "weighted_cases": self.weighted_cases,
            "active_seconds": self.active_seconds,
            "out_of_hours_seconds": self.out_of_hours_seconds,
            "out_of_hours_share": self.out_of_hours_share,
            "urgent_seconds": self.urgent_seconds,
            "out_of_hours_events": self.out_of_hours_events,
            "working_calendar": self.working_calendar,
            "active": _human(self.active_seconds),
            "out_of_hours": _human(self.out_of_hours_seconds),
        }


@dataclass
class Metrics:
    """Every metric of one period as of one instant; plain data for the CLI and the site."""

    now: datetime
    since: datetime | None
    until: datetime | None
    timezone: str  # months are counted in this zone
    records: int  # counted
    excluded: dict[str, int]  # drill | outside_period | invalid | not_yet_opened
    records_by_severity: dict[str, int] = field(default_factory=dict)
    records_by_month: dict[str, int] = field(default_factory=dict)
    assigned_at_opening: int = 0
    durations: dict[str, DurationMetric] = field(default_factory=dict)
    sla: list[ClockAttainment] = field(default_factory=list)
    volumes: list[MonthVolume] = field(default_factory=list)
    repeats: Rate = field(default_factory=lambda: Rate(0, 0))
    resolved_without_compensation: Rate = field(default_factory=lambda: Rate(0, 0))
    reopened: Rate = field(default_factory=lambda: Rate(0, 0))
    owners: list[OwnerLoad] = field(default_factory=list)

    @property
    def per_1000(self) -> float | None:
        """Escalations per 1,000 tickets over the months that have a ticket volume."""
        counted = [month for month in self.volumes if month.tickets]
        tickets = sum(month.tickets or 0 for month in counted)
        if not tickets:
            return None
        return sum(month.escalations for month in counted) * 1000 / tickets

    def as_json(self) -> dict[str, Any]:
        return {
            "now": _rfc3339(self.now),
            "period": {
                "since": _rfc3339(self.since),
                "until": _rfc3339(self.until),
                "timezone": self.timezone,
            },
            "records": {
                "counted": self.records,
                "excluded": dict(self.excluded),
                "by_severity": dict(self.records_by_severity),
                "by_month": dict(self.records_by_month),
                "assigned_at_opening": self.assigned_at_opening,
            },
            "durations": {name: metric.as_json() for name, metric in self.durations.items()},
            "sla": [clock.as_json() for clock in self.sla],
            "volume": {
                "per_1000": self.per_1000,
                "months": [month.as_json() for month in self.volumes],
            },
            "repeats": self.repeats.as_json(),
            "resolved_without_compensation": self.resolved_without_compensation.as_json(),
            "reopened": self.reopened.as_json(),
            "owners": [owner.as_json() for owner in self.owners],
        }


def _rfc3339(at: datetime | None) -> str | None:
    if at is None:
        return None
    return at.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


# --- one record --------------------------------------------------------------------------------

_Span = tuple[datetime, datetime]


@dataclass
class _Facts:
    """What the metrics need of one record, as of now."""

    escalation: Escalation
    state: State
    month: str
    calendar: Calendar | None
    milestones: dict[str, datetime | None]  # duration name -> when it was reached
    resolved_once: bool
    reopened: bool
    compensated: bool
    active: list[_Span]  # real-time stretches during which the case was active
    events: list[Event]  # the timeline as of now
    # duration name -> (real seconds, open seconds on the tier's calendar), None if pending
    durations: dict[str, tuple[float, float | None] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        opened = self.escalation.opened_at
        for name, reached in self.milestones.items():
            if reached is None:
                self.durations[name] = None
                continue
            business = self.calendar.open_seconds(opened, reached) if self.calendar else None
            self.durations[name] = ((reached - opened).total_seconds(), business)


def _facts(escalation: Escalation, policy: Policy, now: datetime) -> _Facts:
    events = [event for event in escalation.events if event.at <= now]
    state = escalation.state
    if len(events) != len(escalation.data.get("timeline") or []):
        # Measured as of an earlier instant than its last event: replay what had happened.
        state, _ = derive({**escalation.data, "timeline": [event.raw for event in events]})
    opened = escalation.opened_at
    first = _first_events(events)
    mitigated = first.get("mitigated")
    resolved = first.get("resolved")
    if resolved is not None and (mitigated is None or resolved < mitigated):
        mitigated = resolved
    remedies = escalation.data.get("remedies") or []
    return _Facts(
        escalation=escalation,
        state=state,
        month=month_of(opened, policy.default_timezone),
        calendar=policy.calendar_for(escalation.tier, escalation.region),
        milestones={
            "time_to_assign": first.get("assigned", opened),
            "time_to_acknowledge": first.get("acknowledged"),
            "time_to_mitigate": mitigated,
            "time_to_resolve": resolved,
        },
        resolved_once=resolved is not None,
        reopened="reopened" in first,
        compensated=any(parse_instant(remedy["at"]) <= now for remedy in remedies),
        active=_active_spans(opened, events, now),
        events=events,
    )


def _first_events(events: Iterable[Event]) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for event in events:
        first.setdefault(event.kind, event.at)
    return first


def _active_spans(opened: datetime, events: Iterable[Event], now: datetime) -> list[_Span]:
    """When the case was active: from opening or a reopening until the next resolution."""
    spans: list[_Span] = []
    since: datetime | None = opened
    for event in events:
        if event.kind == RESOLVED and since is not None:
            spans.append((since, event.at))
            since = None
        elif event.kind == "reopened" and since is None:
            since = event.at
    if since is not None and since < now:
        spans.append((since, now))
    return [(start, end) for start, end in spans if end > start]


def _overlap(spans: Iterable[_Span], start: datetime, end: datetime) -> list[_Span]:
    found = []
    for a, b in spans:
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            found.append((lo, hi))
    return found


# --- the whole repository ----------------------------------------------------------------------


def period_bound(value: date | datetime | None, zone: ZoneInfo) -> datetime | None:
    """A period bound as an instant: a date is midnight at its start in `zone`."""
    if value is None or isinstance(value, datetime):
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{value.isoformat()} is a naive datetime: give it a timezone")
        return value
    return datetime.combine(value, time(0), tzinfo=zone)


def _invalid_files(repo: Repo) -> set[str]:
    from .validation import check_records

    return {finding.file for finding in check_records(repo) if finding.severity == "error"}


def compute(
    repo: Repo,
    now: datetime,
    *,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
) -> Metrics:
    """Every metric over the records opened in [since, until), as of now.

    A date bound is midnight at the start of that day in the repository's default time zone.
    Raises PolicyError when the severity, matrix or calendar policy cannot be used.
    """
    if now.utcoffset() is None:
        raise ValueError(f"now={now.isoformat()} is a naive datetime: give it a timezone")
    policy = repo.policy
    broken = [kind for kind in ("severity", "matrix", "calendars") if not policy.usable(kind)]
    if broken:
        raise PolicyError(
            f"cannot compute metrics: policy/{broken[0]}.yaml has errors; "
            "run `escalate validate` and fix them first",
            path=policy.file(broken[0]),
            rule="metrics/policy",
        )
    zone = policy.default_timezone
    start, stop = period_bound(since, zone), period_bound(until, zone)
    excluded = {"outside_period": 0, "drill": 0, "invalid": 0, "not_yet_opened": 0}
    excluded["invalid"] = sum(
        1 for source in repo.sources if source.kind == "escalation" and not source.valid
    )
    invalid = _invalid_files(repo)
    facts: list[_Facts] = []
    for escalation in sorted(repo.escalations.values(), key=lambda item: item.id):
        opened = escalation.opened_at
        # Each record is left out for the first reason that applies, in this order.
        if (start is not None and opened < start) or (stop is not None and opened >= stop):
            excluded["outside_period"] += 1
        elif escalation.drill:
            excluded["drill"] += 1
        elif escalation.path in invalid or escalation.problems:
            excluded["invalid"] += 1
        elif opened > now:
            excluded["not_yet_opened"] += 1
        else:
            facts.append(_facts(escalation, policy, now))

    metrics = Metrics(
        now=now,
        since=start,
        until=stop,
        timezone=zone.key,
        records=len(facts),
        excluded=excluded,
    )
    severities = _severity_order(policy, facts)
    months = sorted({fact.month for fact in facts})
    metrics.records_by_severity = {
        severity: sum(1 for fact in facts if fact.state.severity == severity)
        for severity in severities
    }
    metrics.records_by_month = {
        month: sum(1 for fact in facts if fact.month == month) for month in months
    }
    metrics.assigned_at_opening = sum(
        1 for fact in facts if fact.milestones["time_to_assign"] == fact.escalation.opened_at
    )
    for name, label in DURATIONS.items():
        metrics.durations[name] = DurationMetric(
            name=name,
            label=label,
            all=_group(facts, name),
            by_severity={
                severity: _group([f for f in facts if f.state.severity == severity], name)
                for severity in severities
            },
            by_month={
                month: _group([f for f in facts if f.month == month], name) for month in months
            },
        )
    metrics.sla = _attainment(repo, facts, now)
    metrics.volumes = _volumes(policy, facts, start, stop, now)
    resolved = [fact for fact in facts if fact.resolved_once]
    metrics.repeats = Rate(
        sum(1 for fact in facts if fact.escalation.data.get("related")), len(facts)
    )
    metrics.resolved_without_compensation = Rate(
        sum(1 for fact in resolved if not fact.compensated), len(resolved)
    )
    metrics.reopened = Rate(sum(1 for fact in resolved if fact.reopened), len(resolved))
    metrics.owners = _owners(policy, facts, now)
    return metrics


def _severity_order(policy: Policy, facts: Sequence[_Facts]) -> list[str]:
    present = {fact.state.severity for fact in facts}
    ordered = [severity for severity in policy.severities if severity in present]
    return ordered + sorted(present - set(ordered))


def _group(facts: Sequence[_Facts], name: str) -> DurationGroup:
    elapsed: list[float] = []
    business: list[float] = []
    for fact in facts:
        measured = fact.durations[name]
        if measured is None:
            continue
        elapsed.append(measured[0])
        if measured[1] is not None:
            business.append(measured[1])
    return DurationGroup(len(facts), Distribution.of(elapsed), Distribution.of(business))


def _attainment(repo: Repo, facts: Sequence[_Facts], now: datetime) -> list[ClockAttainment]:
    from .sla import MET, MISSED, OVERDUE, clocks_for

    tally: dict[str, dict[str, int]] = {}
    for fact in facts:
        postmortem = repo.postmortems.get(fact.escalation.id)
        clocks = clocks_for(
            fact.escalation,
            repo.policy,
            now,
            postmortem=postmortem.data if postmortem is not None else None,
        )
        for clock in clocks:
            name = "action" if clock.clock.startswith("action:") else clock.clock
            counts = tally.setdefault(name, {"met": 0, "missed": 0, "overdue": 0, "running": 0})
            if clock.state == MET:
                counts["met"] += 1
            elif clock.state == MISSED:
                counts["missed"] += 1
            elif clock.state == OVERDUE:
                counts["overdue"] += 1
            else:
                counts["running"] += 1
    names = [name for name in _CLOCK_ORDER if name in tally]
    names += sorted(set(tally) - set(names))
    return [ClockAttainment(name, **tally[name]) for name in names]


def _volumes(
    policy: Policy,
    facts: Sequence[_Facts],
    start: datetime | None,
    stop: datetime | None,
    now: datetime,
) -> list[MonthVolume]:
    """Every month with an escalation, and every month with a volume that the period covers."""
    zone = policy.default_timezone
    counts: dict[str, int] = {}
    for fact in facts:
        counts[fact.month] = counts.get(fact.month, 0) + 1
    first = month_of(start, zone) if start is not None else None
    # The month holding the last instant before `until` (and not after now) is the last one.
    end = min(stop, now) if stop is not None else now
    last = month_of(end - _EPSILON, zone) if stop is not None or start is not None else None
    months = set(counts)
    for month in policy.volumes:
        if (first is None or month >= first) and (last is None or month <= last):
            months.add(month)
    return [
        MonthVolume(month, counts.get(month, 0), policy.volumes.get(month))
        for month in sorted(months)
    ]


def _owners(policy: Policy, facts: Sequence[_Facts], now: datetime) -> list[OwnerLoad]:
    hours: dict[str, Calendar] = {}
    urgent_levels = set(list(policy.severities)[:URGENT_LEVELS])
    cases: dict[str, set[str]] = {}
    weighted: dict[str, float] = {}
    active: dict[str, float] = {}
    urgent: dict[str, float] = {}
    outside: dict[str, float] = {}
    events: dict[str, int] = {}
    for fact in facts:
        owners = fact.state.owners
        total = sum((end - start).total_seconds() for start, end in fact.active)
        urgent_active = _urgent_spans(fact, urgent_levels, now)
        owned: dict[str, float] = {}
        for index, (since, handle) in enumerate(owners):
            until = owners[index + 1][0] if index + 1 < len(owners) else now
            cases.setdefault(handle, set()).add(fact.escalation.id)
            for start, end in _overlap(fact.active, since, until):
                owned[handle] = owned.get(handle, 0.0) + (end - start).total_seconds()
            working = _working_hours(policy, handle, hours)
            for start, end in _overlap(urgent_active, since, until):
                seconds = (end - start).total_seconds()
                urgent[handle] = urgent.get(handle, 0.0) + seconds
                outside[handle] = outside.get(handle, 0.0) + (
                    seconds - working.open_seconds(start, end)
                )
        for handle, seconds in owned.items():
            active[handle] = active.get(handle, 0.0) + seconds
            weighted[handle] = weighted.get(handle, 0.0) + seconds / total
        if not total:  # resolved the instant it opened: all of it is the opening owner's
            handle = owners[0][1]
            weighted[handle] = weighted.get(handle, 0.0) + 1.0
        for event in fact.events:
            if event.by != _owner_before(owners, event.at):
                continue
            if not _working_hours(policy, event.by, hours).is_open(event.at):
                events[event.by] = events.get(event.by, 0) + 1
    loads = [
        OwnerLoad(
            handle=handle,
            timezone=_timezone_of(policy, handle),
            cases=len(ids),
            weighted_cases=round(weighted.get(handle, 0.0), 6),
            active_seconds=active.get(handle, 0.0),
            out_of_hours_seconds=outside.get(handle, 0.0),
            urgent_seconds=urgent.get(handle, 0.0),
            out_of_hours_events=events.get(handle, 0),
            working_calendar=_home_calendar_id(policy, handle),
        )
        for handle, ids in cases.items()
    ]
    loads.sort(key=lambda load: (-load.active_seconds, -load.cases, load.handle))
    return loads


def _urgent_spans(fact: _Facts, urgent_levels: set[str], now: datetime) -> list[_Span]:
    """The active stretches during which the case was at an urgent severity."""
    severities = fact.state.severities or [(fact.escalation.opened_at, fact.state.severity)]
    spans: list[_Span] = []
    for index, (since, severity) in enumerate(severities):
        if severity not in urgent_levels:
            continue
        until = severities[index + 1][0] if index + 1 < len(severities) else now
        spans += _overlap(fact.active, since, until)
    return spans


def _owner_before(owners: Sequence[tuple[datetime, str]], at: datetime) -> str:
    """Who owned the case just before `at` (the opener for an event at the opening)."""
    current = owners[0][1]
    for since, handle in owners[1:]:
        if since >= at:
            break
        current = handle
    return current


def _timezone_of(policy: Policy, handle: str) -> str:
    person = policy.people.get(handle)
    return person.timezone if person is not None else "UTC"


def _home_calendar(policy: Policy, zone: str) -> Calendar | None:
    """The first business-hours calendar in the person's time zone: their weekends and
    holidays."""
    for calendar in policy.calendars.values():
        if not calendar.always_open and calendar.timezone.key == zone:
            return calendar
    return None


def _home_calendar_id(policy: Policy, handle: str) -> str | None:
    home = _home_calendar(policy, _timezone_of(policy, handle))
    return home.id if home is not None else None


def _working_hours(policy: Policy, handle: str, cache: dict[str, Calendar]) -> Calendar:
    zone = _timezone_of(policy, handle)
    found = cache.get(zone)
    if found is None:
        try:
            tz = ZoneInfo(zone)
        except (ValueError, KeyError):  # validation names the bad zone; count it as UTC here
            tz = ZoneInfo("UTC")
        day = (WORKING_HOURS,)
        home = _home_calendar(policy, zone)
        if home is None:
            found = Calendar(
                id=f"working-hours:{zone}", timezone=tz, hours=dict.fromkeys(range(5), day)
            )
        else:
            found = Calendar(
                id=f"working-hours:{home.id}",
                timezone=tz,
                hours=dict.fromkeys(home.hours, day),
                holidays=home.holidays,
                holiday_country=home.holiday_country,
                holiday_subdiv=home.holiday_subdiv,
            )
        cache[zone] = found
    return found
