"""SLA clocks: how much of each target an escalation has used, and the state that puts it in.

Every clock is measured the same way. Its *runs* are the real-time stretches during which it
counts (start to stop; a `reopened` starts another run of the resolve and mitigate clocks, so
the time between resolution and reopening does not count). The clocks that pause lose the
paused stretches. What remains is counted in open time on the calendar of the customer's tier,
and the deadline is the instant at which that open time reaches the target. A pause still in
progress therefore pushes the deadline later for as long as it lasts.

Everything is measured *as of* `now`: events after `now` have not happened yet, so the same
record answers "what did the board say last Tuesday?" as well as "what does it say now?".

Lateness is decided on real instants, as DESIGN.md defines the states: a clock still counting
(or paused) is `overdue` once `now` is past its deadline, and a stopped clock is `missed` when
it stopped after its deadline; reaching the deadline exactly is not late. `elapsed_seconds`,
`remaining_seconds` and `overdue_seconds` count open time only. So a deadline on a closing
time (Friday 17:00) makes the clock `overdue` from 17:00 on, with `overdue_seconds` 0 until
the calendar opens again, and a stop at 18:00 is `missed` though no open time was over the
target. (JSM differs here: the remaining time of such an SLA stays at zero outside the
calendar's hours, and it breaches only once the calendar opens again.)

Where DESIGN.md is silent, the rules follow Jira Service Management (JSM):

* The target comes from the current severity and counts from the clock's start (JSM
  re-evaluates the goal of an ongoing cycle when the issue changes), so a reclassification
  can make a running clock overdue at once. A *finished* `customer_update` cycle keeps the
  target it finished under, as a completed JSM cycle keeps its goal.
* A clock paused at or after its deadline is `overdue`, not `paused` (JSM shows a breached
  SLA as breached, paused or not); a pause only ever stops the count.
* `acknowledge` also stops at a resolution that came first: resolving answers the customer,
  as JSM's "Time to first response" stops on "Resolution: set".
* `customer_update` also starts a new cycle at `reopened`: the customer is owed an update
  within the cadence once the case is open again. `missed_cycles` counts finished cycles
  that ended after their deadline, the last one included once the resolution has ended it.

Choices of our own:

* A postmortem marked reviewed or published without `reviewed_at` is met at an unknown time:
  its clock is `met` with `stopped_at` null, no elapsed time and no remaining time.
* An action (`action:<id>`) is due at the end of its due date in the policy's default time
  zone and counts real time, not open hours: a due date is a date on the wall calendar. It has
  no target duration (`target_seconds` null) and no start; `calendar` names the time zone.
  It is `at_risk` during the last 24 hours before it is due.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from .calendar import Calendar
from .errors import Finding, PolicyError
from .records import CLOSED, RESOLVED, Escalation, State, derive, parse_instant

if TYPE_CHECKING:
    from .policy import Policy
    from .repo import Repo

__all__ = [
    "AT_RISK",
    "CLOCK_ORDER",
    "LIVE_STATES",
    "MET",
    "MISSED",
    "OVERDUE",
    "PAUSED",
    "RUNNING",
    "STATES",
    "Clock",
    "SlaReport",
    "check",
    "clocks_for",
    "rfc3339",
]

RUNNING = "running"
AT_RISK = "at_risk"
OVERDUE = "overdue"
PAUSED = "paused"
MET = "met"
MISSED = "missed"
STATES = (OVERDUE, AT_RISK, PAUSED, RUNNING, MISSED, MET)  # most urgent first
LIVE_STATES = frozenset({RUNNING, AT_RISK, OVERDUE, PAUSED})

CLOCK_ORDER = ("acknowledge", "customer_update", "mitigate", "resolve", "postmortem")
PAUSING_CLOCKS = frozenset({"customer_update", "mitigate", "resolve"})
POSTMORTEM_DONE = frozenset({"reviewed", "published"})
ACTION_AT_RISK_SECONDS = 24 * 3600

# Only these events move a clock; the others need not even have their time parsed.
_CLOCK_EVENTS = frozenset({"acknowledged", "customer_update", "mitigated", "resolved", "reopened"})

_Run = tuple[datetime, datetime | None]  # [start, stop); None: still running
_Span = tuple[datetime, datetime]


def rfc3339(at: datetime | None) -> str | None:
    """An instant as RFC 3339 UTC with a `Z` (`2026-11-20T08:12:00Z`), or None."""
    if at is None:
        return None
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    # Spelled out: several times faster than isoformat() on an aware datetime, and a report
    # formats four instants per clock.
    text = (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d}T{at.hour:02d}:{at.minute:02d}:{at.second:02d}"
    )
    return f"{text}.{at.microsecond:06d}Z" if at.microsecond else f"{text}Z"


@dataclass(frozen=True)
class Clock:
    """One SLA clock of one escalation as of an instant."""

    clock: str  # acknowledge | customer_update | mitigate | resolve | postmortem | action:<id>
    state: str  # running | at_risk | overdue | paused | met | missed
    target_seconds: int | None
    deadline: datetime | None  # the real instant (UTC) the target is used up
    started_at: datetime | None
    stopped_at: datetime | None
    elapsed_seconds: float  # calendar (open) time only, pauses excluded
    remaining_seconds: float | None
    overdue_seconds: float
    calendar: str
    missed_cycles: int = 0  # customer_update only

    @property
    def live(self) -> bool:
        """Still counting (running, at risk, overdue or paused), as opposed to met or missed."""
        return self.state in LIVE_STATES

    def as_json(self) -> dict[str, Any]:
        """The contract keys of `sla check --format json`, then a few extras."""
        return {
            "clock": self.clock,
            "state": self.state,
            "target_seconds": self.target_seconds,
            "deadline": rfc3339(self.deadline),
            "stopped_at": rfc3339(self.stopped_at),
            "elapsed_seconds": self.elapsed_seconds,
            "remaining_seconds": self.remaining_seconds,
            "overdue_seconds": self.overdue_seconds,
            "started_at": rfc3339(self.started_at),
            "missed_cycles": self.missed_cycles,
            "calendar": self.calendar,
        }


# --- measuring ---------------------------------------------------------------------------
# Instants are normalised to UTC once per record: comparing and subtracting datetimes that
# share one tzinfo is many times faster than across offsets, and this is the hot path of a
# report over thousands of records.

_Pauses = Sequence[tuple[datetime, datetime | None]]


def _utc(text: str) -> datetime:
    return parse_instant(text).astimezone(UTC)


def _spans(runs: Iterable[_Run], pauses: _Pauses, now: datetime) -> list[_Span]:
    """The runs up to now with the paused stretches cut out (pauses are sorted, disjoint)."""
    if not pauses:
        return [
            (start, end)
            for start, stop in runs
            if (end := now if stop is None or stop > now else stop) > start
        ]
    spans: list[_Span] = []
    for start, stop in runs:
        end = now if stop is None or stop > now else stop
        if end <= start:
            continue
        cursor = start
        for pause_start, pause_end in pauses:
            if pause_start >= end:
                break
            until = now if pause_end is None else pause_end
            if until <= cursor:
                continue
            if pause_start > cursor:
                spans.append((cursor, pause_start))
            cursor = until
            if cursor >= end:
                break
        if cursor < end:
            spans.append((cursor, end))
    return spans


def _measure(
    calendar: Calendar, spans: Sequence[_Span], target: int, resume_at: datetime
) -> tuple[float, datetime]:
    """Open time used, and the instant the target is (or would be) used up.

    If the spans already hold the target, the deadline lies inside them; otherwise the clock
    is taken to go on counting from `resume_at` (now, or the stop of a stopped clock) with no
    further pause, which is the deadline JSM shows for a running or paused SLA.
    """
    used = 0.0
    deadline: datetime | None = None
    if calendar.always_open:
        # Plain datetime arithmetic is what an always-open calendar does, without the
        # conversions of its general API: most clocks run on 24x7.
        for start, end in spans:
            span = (end - start).total_seconds()
            if deadline is None and used + span >= target:
                deadline = start + timedelta(seconds=target - used)
            used += span
        if deadline is None:
            deadline = resume_at + timedelta(seconds=target - used)
        return used, deadline
    for start, end in spans:
        span = calendar.open_seconds(start, end)
        if deadline is None and used + span >= target:
            deadline = calendar.add(start, target - used)
        used += span
    if deadline is None:
        deadline = calendar.add(resume_at, target - used)
    return used, deadline


def _state(
    elapsed: float,
    target: float,
    deadline: datetime,
    now: datetime,
    *,
    stopped_at: datetime | None,
    paused: bool,
    ratio: float,
) -> str:
    # Lateness is decided on real instants, not on open time: past the deadline is late even
    # while the calendar is closed or the clock is paused (open time over the target always
    # puts the deadline in the past, so that case is included).
    if stopped_at is not None:
        return MISSED if stopped_at > deadline else MET
    if now > deadline:
        return OVERDUE
    if paused:
        return PAUSED
    # The small tolerance keeps "exactly 75 %" at risk whatever the float rounding of ratio.
    if elapsed >= ratio * target - 1e-6:
        return AT_RISK
    return RUNNING


# --- what the timeline says about each clock ----------------------------------------------


@dataclass
class _Runs:
    """The runs of every event-driven clock, read from the timeline up to now (UTC)."""

    acknowledge: list[_Run]
    mitigate: list[_Run]
    resolve: list[_Run]
    cycles: list[_Run]  # customer_update cycles; only the last may still be running


def _runs(opened: datetime, timeline: Sequence[Mapping[str, Any]], now: datetime) -> _Runs:
    ack_stop: datetime | None = None
    mitigate: list[_Run] = []
    resolve: list[_Run] = []
    cycles: list[_Run] = []
    mitigating: datetime | None = opened
    resolving: datetime | None = opened
    cycle: datetime | None = opened
    updated = False
    for raw in timeline:
        kind = raw["event"]
        if kind not in _CLOCK_EVENTS:
            continue
        at = _utc(raw["at"])
        if at > now:
            break
        if kind == "acknowledged":
            ack_stop = ack_stop or at
            # "last customer_update, else acknowledged": an ack starts a cycle only while no
            # update has.
            if not updated and cycle is not None:
                cycles.append((cycle, at))
                cycle = at
        elif kind == "customer_update":
            updated = True
            if cycle is not None:
                cycles.append((cycle, at))
                cycle = at
        elif kind == "mitigated":
            if mitigating is not None:
                mitigate.append((mitigating, at))
                mitigating = None
        elif kind == "resolved":
            ack_stop = ack_stop or at
            if mitigating is not None:
                mitigate.append((mitigating, at))
                mitigating = None
            if resolving is not None:
                resolve.append((resolving, at))
                resolving = None
            if cycle is not None:
                cycles.append((cycle, at))
                cycle = None
        else:  # reopened: the case needs mitigating, resolving and updating again
            mitigating = mitigating or at
            resolving = resolving or at
            cycle = cycle or at
    if mitigating is not None:
        mitigate.append((mitigating, None))
    if resolving is not None:
        resolve.append((resolving, None))
    if cycle is not None:
        cycles.append((cycle, None))
    return _Runs([(opened, ack_stop)], mitigate, resolve, cycles)


def _as_of(escalation: Escalation, now: datetime) -> tuple[State, Sequence[Mapping[str, Any]]]:
    """The derived state and the timeline as of now (replayed again only when time-travelling)."""
    state = escalation.state
    timeline: Sequence[Mapping[str, Any]] = escalation.data.get("timeline") or []
    if state.last_event_at is None or state.last_event_at <= now:
        return state, timeline
    earlier = [raw for raw in timeline if parse_instant(raw["at"]) <= now]
    state, _ = derive({**escalation.data, "timeline": earlier})
    return state, earlier


class _Rules:
    """Targets, calendars and due dates, each looked up once however many records share it."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.ratio = policy.at_risk_ratio
        self.zone = policy.default_timezone
        self._targets: dict[tuple[str, str, str], int | None] = {}
        self._due: dict[str, datetime] = {}
        self._calendars: dict[tuple[str, str | None], Calendar | None] = {}

    def target(self, clock: str, severity: str, tier: str) -> int | None:
        key = (clock, severity, tier)
        try:
            return self._targets[key]
        except KeyError:
            found = self._targets[key] = self.policy.target(clock, severity, tier)
            return found

    def calendar(self, tier: str, region: str | None) -> Calendar | None:
        key = (tier, region)
        if key not in self._calendars:
            self._calendars[key] = self.policy.calendar_for(tier, region)
        return self._calendars[key]

    def due(self, day: object) -> datetime:
        """The end of a due date in the default time zone, as UTC."""
        key = str(day)
        found = self._due.get(key)
        if found is None:
            when = day if isinstance(day, date) else date.fromisoformat(key)
            # The end of the due date is the first instant of the next day in the zone.
            midnight = datetime.combine(when + timedelta(days=1), time(0), tzinfo=self.zone)
            found = self._due[key] = midnight.astimezone(UTC)
        return found


class _Measure:
    """One record as of now: its calendar, its pauses (in UTC) and the clocks they give."""

    def __init__(
        self, escalation: Escalation, state: State, calendar: Calendar, rules: _Rules, now: datetime
    ) -> None:
        self.rules = rules
        self.calendar = calendar
        self.now = now
        self.tier = escalation.tier
        self.state = state
        self.pauses: list[tuple[datetime, datetime | None]] = [
            (start.astimezone(UTC), None if end is None else end.astimezone(UTC))
            for start, end in state.pauses
        ]

    def timed(self, name: str, run: Sequence[_Run], target: int, missed_cycles: int = 0) -> Clock:
        """A clock measured in open time over its runs (the last run's stop is the clock's)."""
        now, calendar = self.now, self.calendar
        paused_stretches: _Pauses = self.pauses if name in PAUSING_CLOCKS else ()
        stopped_at = run[-1][1] if run else None
        stopped = stopped_at is not None
        paused = bool(paused_stretches) and paused_stretches[-1][1] is None and not stopped
        spans = _spans(run, paused_stretches, now)
        # A stopped clock would have gone on from its stop; a postmortem reviewed before the
        # case was (re)resolved stopped before it started, and would have gone on from its start.
        resume_at = max(stopped_at or now, run[-1][0]) if run else now
        elapsed, deadline = _measure(calendar, spans, target, resume_at)
        state = _state(
            elapsed,
            target,
            deadline,
            now,
            stopped_at=stopped_at,
            paused=paused,
            ratio=self.rules.ratio,
        )
        if state == MISSED and name == "customer_update":
            missed_cycles += 1  # the last cycle, ended by the resolution, counts once it is over
        return Clock(
            clock=name,
            state=state,
            target_seconds=target,
            deadline=deadline,
            started_at=run[0][0] if run else None,
            stopped_at=stopped_at,
            elapsed_seconds=elapsed,
            remaining_seconds=max(target - elapsed, 0.0),
            overdue_seconds=max(elapsed - target, 0.0),
            calendar=calendar.id,
            missed_cycles=missed_cycles,
        )

    def severity_at(self, at: datetime) -> str:
        severities = self.state.severities
        current = severities[0][1]
        for since, severity in severities[1:]:
            if since > at:
                break
            current = severity
        return current

    def missed_cycles(self, cycles: Sequence[_Run]) -> int:
        """Finished cycles that ended after their deadline, under the target in force when
        each finished (the rule of `_state` for a stopped clock)."""
        missed = 0
        single = len(self.state.severities) == 1
        for start, stop in cycles:
            assert stop is not None  # only the last cycle can still be running
            severity = self.state.severity if single else self.severity_at(stop)
            target = self.rules.target("customer_update", severity, self.tier)
            # Open time never exceeds real time, so a deadline is at least the target after
            # the start: a cycle no longer than its target is met without asking the
            # calendar, and most cycles are.
            if target is None or (stop - start).total_seconds() <= target:
                continue
            spans = _spans(((start, stop),), self.pauses, self.now)
            if stop > _measure(self.calendar, spans, target, stop)[1]:
                missed += 1
        return missed

    def clocks(
        self,
        opened: datetime,
        timeline: Sequence[Mapping[str, Any]],
        actions: Sequence[Mapping[str, Any]],
        postmortem_status: str | None,
        postmortem_reviewed_at: datetime | None,
    ) -> list[Clock]:
        rules, tier, state = self.rules, self.tier, self.state
        severity = state.severity
        runs = _runs(opened, timeline, self.now)
        clocks: list[Clock] = []

        target = rules.target("acknowledge", severity, tier)
        if target is not None:
            clocks.append(self.timed("acknowledge", runs.acknowledge, target))

        target = rules.target("customer_update", severity, tier)
        if target is not None:
            missed = self.missed_cycles(runs.cycles[:-1]) if len(runs.cycles) > 1 else 0
            clocks.append(self.timed("customer_update", runs.cycles[-1:], target, missed))

        for name, clock_runs in (("mitigate", runs.mitigate), ("resolve", runs.resolve)):
            target = rules.target(name, severity, tier)
            if target is not None:
                clocks.append(self.timed(name, clock_runs, target))

        if state.resolved_at is not None and state.status in (RESOLVED, CLOSED):
            target = rules.target("postmortem", severity, tier)
            if target is not None:
                clocks.append(
                    self.postmortem(
                        state.resolved_at.astimezone(UTC),
                        target,
                        postmortem_status,
                        postmortem_reviewed_at,
                    )
                )

        clocks.extend(self.action(action) for action in actions)
        return clocks

    def postmortem(
        self, resolved_at: datetime, target: int, status: str | None, reviewed_at: datetime | None
    ) -> Clock:
        done = status in POSTMORTEM_DONE
        if done and reviewed_at is None:
            # Reviewed at an unknown time: met, but nothing can be said about how long it took.
            return Clock(
                clock="postmortem",
                state=MET,
                target_seconds=target,
                deadline=_measure(self.calendar, (), target, resolved_at)[1],
                started_at=resolved_at,
                stopped_at=None,
                elapsed_seconds=0.0,
                remaining_seconds=None,
                overdue_seconds=0.0,
                calendar=self.calendar.id,
            )
        stop = None
        if done and reviewed_at is not None and reviewed_at <= self.now:
            stop = reviewed_at.astimezone(UTC)
        return self.timed("postmortem", [(resolved_at, stop)], target)

    def action(self, action: Mapping[str, Any]) -> Clock:
        deadline = self.rules.due(action["due"])
        now = self.now
        done_at = _done_at(action, now)
        late = ((done_at or now) - deadline).total_seconds()
        if done_at is not None:
            state = MISSED if late > 0 else MET
        elif late > 0:
            state = OVERDUE
        else:
            state = AT_RISK if -late <= ACTION_AT_RISK_SECONDS else RUNNING
        return Clock(
            clock=f"action:{action['id']}",
            state=state,
            target_seconds=None,
            deadline=deadline,
            started_at=None,
            stopped_at=done_at,
            elapsed_seconds=0.0,
            remaining_seconds=max(-late, 0.0),
            overdue_seconds=max(late, 0.0),
            calendar=self.rules.zone.key,
        )


def _done_at(action: Mapping[str, Any], now: datetime) -> datetime | None:
    """When an action was done, in UTC, if that was by now."""
    done = action.get("done_at")
    if isinstance(done, str):
        done_at = _utc(done)
    elif isinstance(done, datetime):
        done_at = done.astimezone(UTC)
    else:
        return None
    return done_at if done_at <= now else None


# --- public API ----------------------------------------------------------------------------


def clocks_for(
    escalation: Escalation,
    policy: Policy,
    now: datetime,
    *,
    postmortem_status: str | None = None,
    postmortem_reviewed_at: datetime | None = None,
) -> list[Clock]:
    """Every clock of one escalation as of now, in CLOCK_ORDER then its actions (all UTC).

    A clock without a target for the severity and tier is left out, and so is every clock of
    a record opened after now. Raises PolicyError when the tier has no calendar.
    """
    measured = _measure_one(
        escalation, _Rules(policy), _as_utc(now), postmortem_status, postmortem_reviewed_at
    )
    return measured[1] if measured is not None else []


def _measure_one(
    escalation: Escalation,
    rules: _Rules,
    now: datetime,
    postmortem_status: str | None,
    postmortem_reviewed_at: datetime | None,
) -> tuple[State, list[Clock]] | None:
    """The state and clocks as of now; None for a record not opened by then."""
    opened = escalation.opened_at.astimezone(UTC)
    if opened > now:
        return None
    calendar = rules.calendar(escalation.tier, escalation.region)
    if calendar is None:
        raise PolicyError(
            f"tier {escalation.tier!r} has no calendar in policy/matrix.yaml and "
            "policy/calendars.yaml",
            path=escalation.path,
            pointer="/customer/tier",
            rule="sla/calendar",
        )
    state, timeline = _as_of(escalation, now)
    measure = _Measure(escalation, state, calendar, rules, now)
    actions = escalation.data.get("actions") or []
    reviewed_at = postmortem_reviewed_at.astimezone(UTC) if postmortem_reviewed_at else None
    return state, measure.clocks(opened, timeline, actions, postmortem_status, reviewed_at)


def _as_utc(now: datetime) -> datetime:
    _require_aware(now)
    return now.astimezone(UTC)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now={now.isoformat()} is a naive datetime: give it a timezone")


def _urgency(clocks: Sequence[Clock]) -> tuple[int, datetime]:
    """Sort key: the most urgent live state first, then the nearest deadline."""
    live = [clock for clock in clocks if clock.live]
    if not live:
        return len(STATES), datetime.max.replace(tzinfo=UTC)
    rank = min(STATES.index(clock.state) for clock in live)
    nearest = min(
        (clock.deadline for clock in live if clock.deadline is not None),
        default=datetime.max.replace(tzinfo=UTC),
    )
    return rank, nearest


@dataclass
class SlaReport:
    """The clocks of many escalations as of one instant, most urgent escalation first.

    Drills are measured and listed (with `"drill": true`) but never flagged: they are left out
    of `overdue`, of `flagged()` and so of `sla check`'s exit code, so a forgotten exercise
    cannot keep CI red.
    """

    now: datetime
    escalations: list[tuple[Escalation, list[Clock]]] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)  # files not measured, and why
    states: dict[str, State] = field(default_factory=dict, repr=False)  # as of now, by id

    def flagged(self, *states: str) -> list[tuple[Escalation, Clock]]:
        """Clocks of non-drill escalations in the given states: most overdue, then least left."""
        found = [
            (escalation, clock)
            for escalation, clocks in self.escalations
            if not escalation.drill
            for clock in clocks
            if clock.state in states
        ]
        found.sort(
            key=lambda pair: (
                STATES.index(pair[1].state),
                -pair[1].overdue_seconds,
                pair[1].remaining_seconds or 0.0,
                pair[0].id,
            )
        )
        return found

    @property
    def overdue(self) -> list[tuple[Escalation, Clock]]:
        return self.flagged(OVERDUE)

    def state_of(self, escalation: Escalation) -> State:
        return self.states.get(escalation.id, escalation.state)

    def as_json(self) -> dict[str, Any]:
        """The `sla check --format json` contract shape (extras: title, drill, skipped)."""
        escalations = []
        for escalation, clocks in self.escalations:
            state = self.state_of(escalation)
            escalations.append(
                {
                    "id": escalation.id,
                    "file": escalation.path,
                    "severity": state.severity,
                    "owner": state.owner,
                    "status": state.status,
                    "clocks": [clock.as_json() for clock in clocks],
                    "title": escalation.title,
                    "drill": escalation.drill,
                }
            )
        return {
            "now": rfc3339(self.now),
            "escalations": escalations,
            "overdue": [
                {
                    "id": escalation.id,
                    "clock": clock.clock,
                    "overdue_seconds": clock.overdue_seconds,
                }
                for escalation, clock in self.overdue
            ],
            "skipped": [finding.as_json() for finding in self.skipped],
        }


def _unmeasurable(escalation: Escalation, rules: _Rules) -> str | None:
    """Why a record cannot be measured, or None."""
    if escalation.problems:
        first = escalation.problems[0]
        return f"{first.pointer}: {first.message}"
    for _, severity in escalation.state.severities:
        if severity not in rules.policy.severities:
            return f"unknown severity {severity!r} (see policy/severity.yaml)"
    if rules.calendar(escalation.tier, escalation.region) is None:
        return f"tier {escalation.tier!r} has no calendar (see policy/matrix.yaml)"
    return None


def _may_be_live(
    escalation: Escalation,
    rules: _Rules,
    now: datetime,
    postmortem_status: str | None,
    postmortem_reviewed_at: datetime | None,
) -> bool:
    """False only when no clock of the record can still be counting: most of a large
    repository is closed history, and this spares measuring it when only live clocks matter."""
    state = escalation.state
    if state.active or (state.last_event_at is not None and state.last_event_at > now):
        return True  # open, or measured as of an earlier instant: measure it properly
    if any(_done_at(action, now) is None for action in escalation.data.get("actions") or []):
        return True
    if rules.target("postmortem", state.severity, escalation.tier) is None:
        return False
    if postmortem_status not in POSTMORTEM_DONE:
        return True
    return postmortem_reviewed_at is not None and postmortem_reviewed_at > now


def _postmortem_facts(repo: Repo, escalation_id: str) -> tuple[str | None, datetime | None]:
    source = repo.postmortems.get(escalation_id)
    if source is None:
        return None, None
    reviewed = source.data.get("reviewed_at")
    reviewed_at = _utc(reviewed) if isinstance(reviewed, str) else None
    status = source.data.get("status")
    return (str(status) if status is not None else None), reviewed_at


def check(repo: Repo, now: datetime, *, live_only: bool = False) -> SlaReport:
    """Measure every record of the repository as of now.

    With `live_only`, keep only escalations that are active as of now or still have a clock
    counting (a postmortem not yet reviewed, an action not done). Records that do not
    validate are not measured; each is named in `skipped`. Raises PolicyError when the
    severity, matrix or calendar policy is unusable.
    """
    now = _as_utc(now)
    policy = repo.policy
    broken = [kind for kind in ("severity", "matrix", "calendars") if not policy.usable(kind)]
    if broken:
        raise PolicyError(
            f"cannot measure SLA clocks: policy/{broken[0]}.yaml has errors; "
            "run `escalate validate` and fix them first",
            path=policy.file(broken[0]),
            rule="sla/policy",
        )
    rules = _Rules(policy)
    report = SlaReport(now=now)
    for source in repo.sources:
        if not source.valid:
            what = "not measured" if source.kind == "escalation" else "postmortem ignored"
            report.skipped.append(
                Finding(
                    file=source.path,
                    rule="sla/invalid",
                    message=f"{what}: the file does not validate "
                    f"(run `escalate validate {source.path}`)",
                    severity="warning",
                )
            )
    for escalation in repo.escalations.values():
        why = _unmeasurable(escalation, rules)
        if why is not None:
            report.skipped.append(
                Finding(
                    file=escalation.path,
                    rule="sla/invalid",
                    message=f"not measured: {why}",
                    severity="warning",
                )
            )
            continue
        status, reviewed_at = _postmortem_facts(repo, escalation.id)
        if live_only and not _may_be_live(escalation, rules, now, status, reviewed_at):
            continue
        measured = _measure_one(escalation, rules, now, status, reviewed_at)
        if measured is None:
            continue  # not opened yet
        state, clocks = measured
        if live_only and not state.active and not any(clock.live for clock in clocks):
            continue
        report.escalations.append((escalation, clocks))
        if state is not escalation.state:
            report.states[escalation.id] = state
    report.escalations.sort(key=lambda pair: (*_urgency(pair[1]), pair[0].id))
    return report
