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
  It is `at_risk` during the last 24 hours before it is due. The actions are the record's,
  then those its postmortem adds; an id both list is the record's action.

How it is computed (see "measuring" below): each record is *planned* once from its whole
timeline, and the plan kept in the parse cache, then *read* as of `now`. A report over an
unchanged repository reads plans and never the records themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, overload

from .calendar import Calendar, Moment, epoch_us
from .errors import Finding, PolicyError
from .records import CLOSED, RESOLVED, Escalation, State, derive, parse_instant
from .repo import Derivation, SourceFile

if TYPE_CHECKING:
    from .policy import Policy
    from .repo import Repo

__all__ = [
    "AT_RISK",
    "CLOCK_ORDER",
    "FILE_PLAN",
    "FILE_POSTMORTEM",
    "LIVE_STATES",
    "MET",
    "MISSED",
    "OVERDUE",
    "PAUSED",
    "REPORT",
    "RUNNING",
    "STATES",
    "Clock",
    "Measured",
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
_RANK = {state: rank for rank, state in enumerate(STATES)}
_NEVER = 2**63  # µs: later than any deadline, for records with nothing counting

CLOCK_ORDER = ("acknowledge", "customer_update", "mitigate", "resolve", "postmortem")
PAUSING_CLOCKS = frozenset({"customer_update", "mitigate", "resolve"})
POSTMORTEM_DONE = frozenset({"reviewed", "published"})
ACTION_AT_RISK_SECONDS = 24 * 3600

# Only these events move a clock; the others need not even have their time parsed.
_CLOCK_EVENTS = frozenset({"acknowledged", "customer_update", "mitigated", "resolved", "reopened"})

# Planning works on moments (see Calendar.moment): integers compare and subtract fast, and
# each instant of a record is converted to its calendar's local date once.
_Run = tuple[Moment, Moment | None]  # [start, stop); None: still running
_Span = tuple[Moment, Moment]


@overload
def rfc3339(at: datetime) -> str: ...
@overload
def rfc3339(at: None) -> None: ...
@overload
def rfc3339(at: datetime | None) -> str | None: ...
def rfc3339(at: datetime | None) -> str | None:
    """An instant as RFC 3339 UTC with a `Z` (`2026-11-20T08:12:00Z`), or None."""
    if at is None:
        return None
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    # isoformat() of a UTC instant ends in "+00:00" (and has microseconds only when they are
    # not 0); C-made, it is twice as fast as formatting the fields, for three instants a clock.
    return at.isoformat()[:-6] + "Z"


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
        return _clock_json(
            self.clock,
            self.state,
            self.target_seconds,
            rfc3339(self.deadline),
            rfc3339(self.stopped_at),
            self.elapsed_seconds,
            self.remaining_seconds,
            self.overdue_seconds,
            rfc3339(self.started_at),
            self.missed_cycles,
            self.calendar,
        )

    @classmethod
    def from_json(cls, clock: Mapping[str, Any]) -> Clock:
        """The inverse of as_json."""
        return cls(
            clock=clock["clock"],
            state=clock["state"],
            target_seconds=clock["target_seconds"],
            deadline=_instant(clock["deadline"]),
            started_at=_instant(clock["started_at"]),
            stopped_at=_instant(clock["stopped_at"]),
            elapsed_seconds=clock["elapsed_seconds"],
            remaining_seconds=clock["remaining_seconds"],
            overdue_seconds=clock["overdue_seconds"],
            calendar=clock["calendar"],
            missed_cycles=clock["missed_cycles"],
        )


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


# --- measuring ---------------------------------------------------------------------------
# A record's clocks depend on `now` only through what is still counting: the stretches already
# counted, the deadlines already reached and the clocks already stopped are fixed once the
# record's last instant has passed. So each record is first *planned* (everything the timeline
# fixes, worked out once per record and policy and kept in the parse cache, see FILE_PLAN) and
# then *read* as of now, which only adds the open time since each counting clock's last start.
#
# Instants are normalised to UTC once per record: comparing and subtracting datetimes that
# share one tzinfo is many times faster than across offsets. Plans hold instants as integer
# µs since the epoch (exact, cheap to compare, and plain data for the cache) beside their
# RFC 3339 text, which the JSON report needs and would otherwise format again on every run.

_Pauses = Sequence[tuple[Moment, Moment | None]]


def _utc(text: str) -> datetime:
    return parse_instant(text).astimezone(UTC)


_US_PER_DAY = 86_400_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=4096)
def _text(us: int) -> str:
    """A plan's instant (µs) as RFC 3339, as `rfc3339` writes it. Formatting was a third of
    planning: so straight from the integer, and cached, since a record's clocks share most
    of their instants (four of them start at the opening)."""
    day, rest = divmod(us, _US_PER_DAY)
    seconds, micro = divmod(rest, 1_000_000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{_day_text(day)}T{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"{text}.{micro:06d}Z" if micro else f"{text}Z"


def _maybe_text(us: int | None) -> str | None:
    return None if us is None else _text(us)


@lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    return date.fromordinal(_EPOCH_ORDINAL + day).isoformat()


def _spans(runs: Iterable[_Run], pauses: _Pauses) -> tuple[list[_Span], Moment | None]:
    """The stretches a clock has counted with the paused ones cut out (pauses are sorted and
    disjoint; the last run and the last pause may still be going on), and the start of the
    stretch it is counting now, if it is (None: stopped, or paused)."""
    spans: list[_Span] = []
    tail: Moment | None = None
    for start, stop in runs:
        if stop is not None and stop <= start:
            continue
        cursor, paused = start, False
        for pause_start, pause_end in pauses:
            if stop is not None and pause_start >= stop:
                break
            if pause_end is not None and pause_end <= cursor:
                continue
            if pause_start > cursor:
                spans.append((cursor, pause_start))
            if pause_end is None:
                paused = True  # from pause_start on: nothing later in the run counts
                break
            cursor = pause_end
            if stop is not None and cursor >= stop:
                break
        if paused:
            continue
        if stop is None:
            tail = cursor
        elif cursor < stop:
            spans.append((cursor, stop))
    return spans, tail


def _fold(calendar: Calendar, spans: Sequence[_Span], target: int) -> tuple[float, int | None]:
    """Open time used in the spans, and the instant (µs) it reached the target if it did."""
    used = 0.0
    deadline: int | None = None
    for start, end in spans:
        span = calendar.open_between(start, end)
        if deadline is None and used + span >= target:
            deadline = calendar.add_from(start, target - used)
        used += span
    return used, deadline


def _state(
    elapsed: float,
    target: float,
    deadline: int,
    now: int,
    *,
    stopped_at: int | None,
    paused: bool,
    ratio: float,
) -> str:
    # Lateness is decided on real instants (µs), not on open time: past the deadline is late
    # even while the calendar is closed or the clock is paused (open time over the target
    # always puts the deadline in the past, so that case is included).
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


def _clock_json(
    clock: str,
    state: str,
    target: int | None,
    deadline: str | None,
    stopped_at: str | None,
    elapsed: float,
    remaining: float | None,
    overdue: float,
    started_at: str | None,
    missed_cycles: int,
    calendar: str,
) -> dict[str, Any]:
    """One clock in the `sla check --format json` shape: the contract keys, then extras."""
    return {
        "clock": clock,
        "state": state,
        "target_seconds": target,
        "deadline": deadline,
        "stopped_at": stopped_at,
        "elapsed_seconds": elapsed,
        "remaining_seconds": remaining,
        "overdue_seconds": overdue,
        "started_at": started_at,
        "missed_cycles": missed_cycles,
        "calendar": calendar,
    }


class _Counting(NamedTuple):
    """A timed clock still counting (or paused), with everything its timeline fixed."""

    clock: str
    target: int
    started_at: str | None
    used: float  # open seconds of the stretches already closed
    deadline: int | None  # µs, when those stretches already reach the target
    deadline_text: str | None
    tail: int | None  # µs: counting since then (None: paused)
    tail_day: int  # the tail's local date on the calendar (see Calendar.moment)
    tail_deadline: int | None  # µs: the deadline if the open time since the tail reaches it
    tail_deadline_text: str | None
    paused: bool
    missed_cycles: int


class _Due(NamedTuple):
    """An action not done yet: late once its due instant has passed."""

    clock: str  # action:<id>
    deadline: int  # µs
    deadline_text: str


# A clock as a plan holds it: the finished JSON of a stopped clock, or what a counting clock
# still needs of `now` (as the plain tuple of a _Counting or a _Due when read from the cache).
_Planned = dict[str, Any] | tuple[Any, ...]


def _timed(
    name: str,
    runs: Sequence[_Run],
    pauses: _Pauses,
    calendar: Calendar,
    target: int,
    missed_cycles: int = 0,
) -> _Planned:
    """A clock measured in open time over its runs (the last run's stop is the clock's)."""
    paused_stretches: _Pauses = pauses if name in PAUSING_CLOCKS else ()
    stop = runs[-1][1] if runs else None
    spans, tail = _spans(runs, paused_stretches)
    used, deadline = _fold(calendar, spans, target)
    started_at = _text(runs[0][0][0]) if runs else None
    if stop is not None:
        if deadline is None:
            # A stopped clock would have gone on from its stop; a postmortem reviewed before
            # the case was (re)resolved stopped before it started, and would have gone on
            # from its start.
            deadline = calendar.add_from(max(stop, runs[-1][0]), target - used)
        state = MISSED if stop[0] > deadline else MET
        if state == MISSED and name == "customer_update":
            missed_cycles += 1  # the last cycle, ended by the resolution, counts once it is over
        return _clock_json(
            name,
            state,
            target,
            _text(deadline),
            _text(stop[0]),
            used,
            max(target - used, 0.0),
            max(used - target, 0.0),
            started_at,
            missed_cycles,
            calendar.id,
        )
    # Still counting, the deadline is where the target is reached if the clock goes on with no
    # further pause (the deadline JSM shows for a running or paused SLA): from the tail if it
    # is counting, from now if it is paused, so only the paused case waits for `now`.
    tail_deadline = None
    if tail is not None and deadline is None:
        tail_deadline = calendar.add_from(tail, target - used)
    return _Counting(
        name,
        target,
        started_at,
        used,
        deadline,
        _maybe_text(deadline),
        None if tail is None else tail[0],
        0 if tail is None else tail[1],
        tail_deadline,
        _maybe_text(tail_deadline),
        bool(paused_stretches) and paused_stretches[-1][1] is None,
        missed_cycles,
    )


# --- what the timeline says about each clock ----------------------------------------------


@dataclass
class _Runs:
    """The runs of every event-driven clock, read from the timeline up to now (UTC)."""

    acknowledge: list[_Run]
    mitigate: list[_Run]
    resolve: list[_Run]
    cycles: list[_Run]  # customer_update cycles; only the last may still be running


def _runs(
    opened: Moment, timeline: Sequence[Mapping[str, Any]], now: datetime | None, calendar: Calendar
) -> _Runs:
    ack_stop: Moment | None = None
    mitigate: list[_Run] = []
    resolve: list[_Run] = []
    cycles: list[_Run] = []
    mitigating: Moment | None = opened
    resolving: Moment | None = opened
    cycle: Moment | None = opened
    updated = False
    for raw in timeline:
        kind = raw["event"]
        if kind not in _CLOCK_EVENTS:
            continue
        instant = parse_instant(raw["at"])
        if now is not None and instant > now:
            break
        at = calendar.moment(instant)
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


def _as_of(
    escalation: Escalation, now: datetime | None
) -> tuple[State, Sequence[Mapping[str, Any]]]:
    """The derived state and the timeline as of now (replayed again only when time-travelling);
    now None: the whole timeline."""
    state = escalation.state
    timeline: Sequence[Mapping[str, Any]] = escalation.data.get("timeline") or []
    if now is None or state.last_event_at is None or state.last_event_at <= now:
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
        self._targets: dict[tuple[str, str], dict[str, int | None]] = {}
        self._due: dict[str, datetime] = {}
        self._calendars: dict[tuple[str, str | None], Calendar | None] = {}

    def targets(self, severity: str, tier: str) -> dict[str, int | None]:
        """The target of every clock for a severity and tier (None: the clock has none)."""
        key = (severity, tier)
        found = self._targets.get(key)
        if found is None:
            target = self.policy.target
            found = self._targets[key] = {c: target(c, severity, tier) for c in CLOCK_ORDER}
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


_RULES: dict[int, _Rules] = {}


def _rules_of(policy: Policy) -> _Rules:
    """One _Rules per policy, so that planning file after file shares its lookups."""
    found = _RULES.get(id(policy))
    if found is None or found.policy is not policy:
        _RULES.clear()  # one policy at a time: a process plans one repository
        found = _RULES[id(policy)] = _Rules(policy)
    return found


# --- plans -------------------------------------------------------------------------------


class _Plan(NamedTuple):
    """One record's clocks, as far as its timeline fixes them (see "measuring" above).

    A plan made of the whole timeline holds for every `now` at or after `settled`, the latest
    instant it depends on; for an earlier `now` the record is planned again as of that now.
    """

    settled: int  # µs
    title: str  # the record's, so that reading a cached plan needs nothing of the record
    drill: bool
    severity: str  # the state's, as of the plan
    owner: str
    status: str
    active: bool
    calendar: str
    clocks: list[_Planned]  # CLOCK_ORDER up to resolve
    # (the resolution's moment, its text, target, the clock counting from it) when the
    # case is resolved and the tier has a postmortem target: the postmortem's own file says
    # when it stopped, and that file is not the record's, so it is read with `now`.
    postmortem: tuple[int, int, str, int, tuple[Any, ...]] | None
    actions: list[_Planned]
    # True when the clocks were left out because none of them can count again: the case is
    # resolved or closed, every action is done and the tier wants no postmortem. A report of
    # the clocks still counting skips such a record (a fifth of a long history) unread, and
    # `sla check --all` asks FINISHED_PLAN for its clocks.
    finished: bool = False


def _plan(
    escalation: Escalation,
    rules: _Rules,
    as_of: datetime | None,
    *,
    leave_out_finished: bool = False,
) -> _Plan | None:
    """Plan a record as of an instant (None: its whole timeline); None when it was not opened
    by then. Raises PolicyError when the tier has no calendar."""
    opened = escalation.opened_at.astimezone(UTC)
    if as_of is not None and opened > as_of:
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
    state, timeline = _as_of(escalation, as_of)
    tier, severity = escalation.tier, state.severity
    moment = calendar.moment

    actions, done = _plan_actions(escalation.data.get("actions") or [], rules, as_of)
    settled = max(opened, state.last_event_at or opened, done or opened)
    targets = rules.targets(severity, tier)
    postmortem_target = None
    if state.resolved_at is not None and state.status in (RESOLVED, CLOSED):
        postmortem_target = targets["postmortem"]
    clocks: list[_Planned] = []  # filled below, unless the case is finished
    plan = _Plan(
        epoch_us(settled),
        escalation.title,
        escalation.drill,
        severity,
        state.owner,
        state.status,
        state.active,
        calendar.id,
        clocks,
        None,
        actions,
    )
    if (
        leave_out_finished
        and not state.active
        and postmortem_target is None
        and all(isinstance(entry, dict) for entry in actions)
    ):
        return plan._replace(finished=True)

    pauses = [(moment(start), None if end is None else moment(end)) for start, end in state.pauses]
    runs = _runs(moment(opened), timeline, as_of, calendar)

    target = targets["acknowledge"]
    if target is not None:
        clocks.append(_timed("acknowledge", runs.acknowledge, pauses, calendar, target))

    target = targets["customer_update"]
    if target is not None:
        missed = 0
        if len(runs.cycles) > 1:
            missed = _missed_cycles(runs.cycles[:-1], state, pauses, calendar, rules, tier)
        clocks.append(_timed("customer_update", runs.cycles[-1:], pauses, calendar, target, missed))

    for name, clock_runs in (("mitigate", runs.mitigate), ("resolve", runs.resolve)):
        target = targets[name]
        if target is not None:
            clocks.append(_timed(name, clock_runs, pauses, calendar, target))

    if postmortem_target is not None:
        assert state.resolved_at is not None
        resolved_at = moment(state.resolved_at)
        pending = _timed("postmortem", [(resolved_at, None)], (), calendar, postmortem_target)
        assert isinstance(pending, tuple)
        resolved = (*resolved_at, _text(resolved_at[0]), postmortem_target, tuple(pending))
        plan = plan._replace(postmortem=resolved)
    return plan


def _missed_cycles(
    cycles: Sequence[_Run],
    state: State,
    pauses: _Pauses,
    calendar: Calendar,
    rules: _Rules,
    tier: str,
) -> int:
    """Finished update cycles that ended after their deadline, under the target in force when
    each finished (the rule of `_state` for a stopped clock)."""
    missed = 0
    severities = state.severities
    for start, stop in cycles:
        assert stop is not None  # only the last cycle can still be running
        severity = severities[0][1]
        for since, later in severities[1:]:
            if epoch_us(since) > stop[0]:
                break
            severity = later
        target = rules.targets(severity, tier)["customer_update"]
        # Open time never exceeds real time, so a deadline is at least the target after the
        # start: a cycle no longer than its target is met without asking the calendar, and
        # most cycles are.
        if target is None or (stop[0] - start[0]) / 1_000_000 <= target:
            continue
        spans, _ = _spans(((start, stop),), pauses)
        used, deadline = _fold(calendar, spans, target)
        if deadline is None:
            deadline = calendar.add_from(stop, target - used)
        if stop[0] > deadline:
            missed += 1
    return missed


def _plan_actions(
    actions: Iterable[Mapping[str, Any]], rules: _Rules, as_of: datetime | None
) -> tuple[list[_Planned], datetime | None]:
    """The clocks of follow-up actions as of an instant (None: ever), and the latest done_at
    they depend on."""
    planned: list[_Planned] = []
    latest: datetime | None = None
    for action in actions:
        done_at = _done_at(action, as_of)
        if done_at is not None and (latest is None or done_at > latest):
            latest = done_at
        planned.append(_action(action, rules.due(action["due"]), done_at, rules.zone.key))
    return planned, latest


def _action(
    action: Mapping[str, Any], deadline: datetime, done_at: datetime | None, zone: str
) -> _Planned:
    """An action is due at the end of its due date and counts real time (see the module)."""
    name = f"action:{action['id']}"
    due = epoch_us(deadline)
    if done_at is None:
        return _Due(name, due, _text(due))
    late = (done_at - deadline).total_seconds()
    return _clock_json(
        name,
        MISSED if late > 0 else MET,
        None,
        _text(due),
        _text(epoch_us(done_at)),
        0.0,
        max(-late, 0.0),
        max(late, 0.0),
        None,
        0,
        zone,
    )


def _done_at(action: Mapping[str, Any], now: datetime | None) -> datetime | None:
    """When an action was done, in UTC, if that was by now (None: ever)."""
    done = action.get("done_at")
    if isinstance(done, str):
        done_at = _utc(done)
    elif isinstance(done, datetime):
        done_at = done.astimezone(UTC)
    else:
        return None
    return done_at if now is None or done_at <= now else None


def _file_plan(
    policy: Policy, source: SourceFile, *, leave_out_finished: bool = True
) -> tuple[Any, ...] | str | None:
    """The plan of one record file as the parse cache keeps it: plain tuples, or why the record
    cannot be measured, or None for a file that is not a valid record."""
    if source.kind != "escalation" or not source.valid:
        return None
    escalation = Escalation.from_data(source.path, source.data)
    rules = _rules_of(policy)
    why = _unmeasurable(escalation, rules)
    if why is not None:
        return why
    plan = _plan(escalation, rules, None, leave_out_finished=leave_out_finished)
    assert plan is not None  # planned as of no instant, every record is open
    return (
        *plan[:8],
        [entry if isinstance(entry, dict) else tuple(entry) for entry in plan.clocks],
        plan.postmortem,
        [entry if isinstance(entry, dict) else tuple(entry) for entry in plan.actions],
        plan.finished,
    )


def _file_plan_in_full(policy: Policy, source: SourceFile) -> tuple[Any, ...] | str | None:
    return _file_plan(policy, source, leave_out_finished=False)


# `Repo.load(derive=(FILE_PLAN,))` plans each record in the parse workers, and the parse cache
# keeps the plan under the policy's digest, so a report over unchanged records only reads.
FILE_PLAN = Derivation("sla", _file_plan, version=3)
# The plan with the clocks of a finished record too (see _Plan.finished): only when asked for.
FINISHED_PLAN = Derivation("sla-finished", _file_plan_in_full)


# --- reading a plan as of now ----------------------------------------------------------------


class _Reading:
    """Plans read as of one instant; `now` is converted once per calendar."""

    def __init__(self, rules: _Rules, now: datetime) -> None:
        self.rules = rules
        self.now = now
        self.now_us = epoch_us(now)
        self._moments: dict[str, Moment] = {}
        self._urgency = (len(STATES), _NEVER)  # of the plan being read (see `clocks`)

    def clocks(
        self, plan: _Plan, calendar: Calendar, postmortem: _Postmortem
    ) -> tuple[list[dict[str, Any]], tuple[int, int]]:
        """Every clock of a plan as of now, as JSON, in CLOCK_ORDER, then the record's actions,
        then the postmortem's (but those the record lists already); and the record's urgency:
        the rank of its most urgent live state, then its nearest deadline of a live clock
        (only the clocks still counting can be live)."""
        self._urgency = (len(STATES), _NEVER)
        read = [
            entry if isinstance(entry, dict) else self.counting(_Counting(*entry), calendar)
            for entry in plan.clocks
        ]
        if plan.postmortem is not None:
            read.append(
                self.postmortem(
                    plan.postmortem, calendar, postmortem.status, postmortem.reviewed_at
                )
            )
        read.extend(
            entry if isinstance(entry, dict) else self.due(_Due(*entry)) for entry in plan.actions
        )
        if postmortem.actions:
            listed = {_clock_name(entry) for entry in plan.actions}
            read.extend(
                entry if isinstance(entry, dict) else self.due(_Due(*entry))
                for entry in postmortem.actions
                if _clock_name(entry) not in listed
            )
        return read, self._urgency

    def _live(self, state: str, deadline: int) -> None:
        rank, nearest = self._urgency
        self._urgency = (min(rank, _RANK[state]), min(nearest, deadline))

    def counting(self, clock: _Counting, calendar: Calendar) -> dict[str, Any]:
        now_us = self.now_us
        used, deadline, deadline_text = clock.used, clock.deadline, clock.deadline_text
        if clock.tail is not None and now_us > clock.tail:
            moment = self._moments.get(calendar.id)
            if moment is None:
                moment = self._moments[calendar.id] = calendar.moment(self.now)
            span = calendar.open_between((clock.tail, clock.tail_day), moment)
            if deadline is None and used + span >= clock.target:
                deadline, deadline_text = clock.tail_deadline, clock.tail_deadline_text
            used += span
        if deadline is None:
            at = calendar.add(self.now, clock.target - used)
            deadline, deadline_text = epoch_us(at), rfc3339(at)
        target = clock.target
        state = _state(
            used,
            target,
            deadline,
            now_us,
            stopped_at=None,
            paused=clock.paused,
            ratio=self.rules.ratio,
        )
        self._live(state, deadline)
        return _clock_json(
            clock.clock,
            state,
            target,
            deadline_text,
            None,
            used,
            max(target - used, 0.0),
            max(used - target, 0.0),
            clock.started_at,
            clock.missed_cycles,
            calendar.id,
        )

    def postmortem(
        self,
        planned: tuple[int, int, str, int, tuple[Any, ...]],
        calendar: Calendar,
        status: str | None,
        reviewed_at: datetime | None,
    ) -> dict[str, Any]:
        resolved_us, resolved_day, resolved_text, target, pending = planned
        counting = _Counting(*pending)
        if status in POSTMORTEM_DONE:
            if reviewed_at is None:
                # Reviewed at an unknown time: met, but nothing can be said about how long.
                return _clock_json(
                    "postmortem",
                    MET,
                    target,
                    counting.tail_deadline_text,
                    None,
                    0.0,
                    None,
                    0.0,
                    resolved_text,
                    0,
                    calendar.id,
                )
            if reviewed_at <= self.now:
                stopped = _timed(
                    "postmortem",
                    [((resolved_us, resolved_day), calendar.moment(reviewed_at))],
                    (),
                    calendar,
                    target,
                )
                assert isinstance(stopped, dict)
                return stopped
        return self.counting(counting, calendar)

    def due(self, action: _Due) -> dict[str, Any]:
        late = (self.now_us - action.deadline) / 1_000_000
        state = OVERDUE if late > 0 else AT_RISK if -late <= ACTION_AT_RISK_SECONDS else RUNNING
        self._live(state, action.deadline)
        return _clock_json(
            action.clock,
            state,
            None,
            action.deadline_text,
            None,
            0.0,
            max(-late, 0.0),
            max(late, 0.0),
            None,
            0,
            self.rules.zone.key,
        )


# --- public API ----------------------------------------------------------------------------


def clocks_for(
    escalation: Escalation,
    policy: Policy,
    now: datetime,
    *,
    postmortem: Mapping[str, Any] | None = None,
) -> list[Clock]:
    """Every clock of one escalation as of now, in CLOCK_ORDER, then its actions and those
    its postmortem adds (all UTC). `postmortem` is the front matter of the record's
    postmortem, if it has one: its status, `reviewed_at` and actions count.

    A clock without a target for the severity and tier is left out, and so is every clock of
    a record opened after now. Raises PolicyError when the tier has no calendar.
    """
    rules = _rules_of(policy)
    now = _as_utc(now)
    plan = _plan(escalation, rules, now)
    if plan is None:
        return []
    calendar = rules.policy.calendars[plan.calendar]
    facts = _NO_POSTMORTEM
    if postmortem is not None:
        status, reviewed, actions = _postmortem_fields(postmortem)
        facts = _Postmortem(
            status,
            None if reviewed is None else _utc(reviewed),
            _plan_actions(actions, rules, now)[0],
        )
    read, _ = _Reading(rules, now).clocks(plan, calendar, facts)
    return [Clock.from_json(clock) for clock in read]


def _as_utc(now: datetime) -> datetime:
    _require_aware(now)
    return now.astimezone(UTC)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now={now.isoformat()} is a naive datetime: give it a timezone")


class Measured:
    """One escalation in a report: its state and clocks as of the report's instant."""

    __slots__ = (
        "_clocks", "drill", "escalation", "json", "owner", "severity", "status", "title", "urgency",
    )  # fmt: skip

    def __init__(
        self,
        escalation: Escalation,
        plan: _Plan,
        json: list[dict[str, Any]],
        urgency: tuple[int, int],
    ) -> None:
        self.escalation = escalation
        # From the plan, which holds them as of the report, so the record is not read again.
        self.title, self.drill = plan.title, plan.drill
        self.severity, self.owner, self.status = plan.severity, plan.owner, plan.status
        self.json = json  # the clocks in the JSON report's shape
        self._clocks: list[Clock] | None = None
        self.urgency = urgency  # the most urgent live state first, then the nearest deadline

    @property
    def clocks(self) -> list[Clock]:
        if self._clocks is None:
            self._clocks = [Clock.from_json(clock) for clock in self.json]
        return self._clocks


@dataclass
class SlaReport:
    """The clocks of many escalations as of one instant, most urgent escalation first.

    Drills are measured and listed (with `"drill": true`) but never flagged: they are left out
    of `overdue`, of `flagged()` and so of `sla check`'s exit code, so a forgotten exercise
    cannot keep CI red.
    """

    now: datetime
    measured: list[Measured] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)  # files not measured, and why
    states: dict[str, State] = field(default_factory=dict, repr=False)  # as of now, by id

    @property
    def escalations(self) -> list[tuple[Escalation, list[Clock]]]:
        return [(row.escalation, row.clocks) for row in self.measured]

    def _flagged(self, states: Iterable[str]) -> list[tuple[Measured, dict[str, Any]]]:
        wanted = set(states)
        found = [
            (row, clock)
            for row in self.measured
            if not row.drill
            for clock in row.json
            if clock["state"] in wanted
        ]
        found.sort(
            key=lambda pair: (
                STATES.index(pair[1]["state"]),
                -pair[1]["overdue_seconds"],
                pair[1]["remaining_seconds"] or 0.0,
                pair[0].escalation.id,
            )
        )
        return found

    def flagged(self, *states: str) -> list[tuple[Escalation, Clock]]:
        """Clocks of non-drill escalations in the given states: most overdue, then least left."""
        return [
            (row.escalation, row.clocks[row.json.index(clock)])
            for row, clock in self._flagged(states)
        ]

    @property
    def overdue(self) -> list[tuple[Escalation, Clock]]:
        return self.flagged(OVERDUE)

    def state_of(self, escalation: Escalation) -> State:
        return self.states.get(escalation.id, escalation.state)

    def as_json(self) -> dict[str, Any]:
        """The `sla check --format json` contract shape (extras: title, drill, skipped)."""
        return {
            "now": rfc3339(self.now),
            "escalations": [
                {
                    "id": row.escalation.id,
                    "file": row.escalation.path,
                    "severity": row.severity,
                    "owner": row.owner,
                    "status": row.status,
                    "clocks": row.json,
                    "title": row.title,
                    "drill": row.drill,
                }
                for row in self.measured
            ],
            "overdue": [
                {
                    "id": row.escalation.id,
                    "clock": clock["clock"],
                    "overdue_seconds": clock["overdue_seconds"],
                }
                for row, clock in self._flagged((OVERDUE,))
            ],
            "skipped": [finding.as_json() for finding in self.skipped],
        }


def _clock_name(entry: _Planned) -> str:
    return str(entry["clock"] if isinstance(entry, dict) else entry[0])


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


class _Postmortem(NamedTuple):
    """What the clocks read of a record's postmortem."""

    status: str | None
    reviewed_at: datetime | None  # UTC
    actions: list[_Planned]  # the clocks of the actions it adds, as of the report


_NO_POSTMORTEM = _Postmortem(None, None, [])


def _postmortem_of(repo: Repo, escalation_id: str, rules: _Rules, now: datetime) -> _Postmortem:
    source = repo.postmortems.get(escalation_id)
    if source is None:
        return _NO_POSTMORTEM
    status, reviewed, settled, actions = repo.derived(source, FILE_POSTMORTEM)
    if settled > epoch_us(now):  # an action done after now: not done yet, as of now
        actions = _plan_actions(source.data.get("actions") or [], rules, now)[0]
    return _Postmortem(status, None if reviewed is None else _utc(reviewed), actions)


def _file_postmortem(policy: Policy, source: SourceFile) -> tuple[Any, ...] | None:
    """What the clocks read of a postmortem, as the parse cache keeps it: its status, its
    `reviewed_at`, and its actions planned (with the latest done_at they depend on, µs)."""
    if source.kind != "postmortem" or not source.valid:
        return None
    status, reviewed, actions = _postmortem_fields(source.data)
    planned, done = _plan_actions(actions, _rules_of(policy), None)
    return (
        status,
        reviewed,
        0 if done is None else epoch_us(done),
        [entry if isinstance(entry, dict) else tuple(entry) for entry in planned],
    )


def _postmortem_fields(
    front: Mapping[str, Any],
) -> tuple[str | None, str | None, Sequence[Mapping[str, Any]]]:
    """A postmortem's status, `reviewed_at` (text) and actions, from its front matter."""
    status, reviewed = front.get("status"), front.get("reviewed_at")
    return (
        None if status is None else str(status),
        reviewed if isinstance(reviewed, str) else None,
        front.get("actions") or [],
    )


# Kept beside the plans, so that reading them needs no postmortem's contents either.
FILE_POSTMORTEM = Derivation("sla-postmortem", _file_postmortem, version=2)

# What `check` reads of each file: a command that reports on the whole repository loads it
# with `Repo.load(derive=REPORT)`, so that files parsed anew are planned in the same pass.
REPORT = (FILE_PLAN, FILE_POSTMORTEM)


def check(repo: Repo, now: datetime, *, live_only: bool = False) -> SlaReport:
    """Measure every record of the repository as of now.

    With `live_only`, keep only escalations that are active as of now or still have a clock
    counting (a postmortem not yet reviewed, an action not done). Records that do not
    validate are not measured; each is named in `skipped`. Raises PolicyError when the
    severity, matrix or calendar policy is unusable.

    Each record's plan comes from the parse cache when its file and the policy are unchanged
    (`Repo.load(derive=REPORT)` makes the plans in the parse workers); new plans are kept
    for the next run.
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
    rules = _rules_of(policy)
    reading = _Reading(rules, now)
    report = SlaReport(now=now)
    records: dict[str, SourceFile] = {}
    for source in repo.sources:
        if source.valid:
            if source.kind == "escalation":
                records[source.path] = source
            continue
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
        source = records[escalation.path]
        planned = repo.derived(source, FILE_PLAN)
        if isinstance(planned, str):
            report.skipped.append(
                Finding(
                    file=escalation.path,
                    rule="sla/invalid",
                    message=f"not measured: {planned}",
                    severity="warning",
                )
            )
            continue
        plan = _Plan(*planned)
        postmortem = _postmortem_of(repo, escalation.id, rules, now)
        if plan.finished and (not live_only or _counting(postmortem.actions)):
            plan = _Plan(*repo.derived(source, FINISHED_PLAN))
        if plan.settled > reading.now_us:
            # Measured as of an instant before the record's last one: plan it as of then.
            earlier = _plan(escalation, rules, now)
            if earlier is None:
                continue  # not opened yet
            plan = earlier
            state = _as_of(escalation, now)[0]
            if state is not escalation.state:
                report.states[escalation.id] = state
        if live_only and not _may_be_live(plan, postmortem, now):
            continue
        clocks, urgency = reading.clocks(plan, policy.calendars[plan.calendar], postmortem)
        if live_only and not plan.active and urgency[0] == len(STATES):
            continue  # nothing live
        report.measured.append(Measured(escalation, plan, clocks, urgency))
    repo.save_cache()
    report.measured.sort(key=lambda row: (*row.urgency, row.escalation.id))
    return report


def _may_be_live(plan: _Plan, postmortem: _Postmortem, now: datetime) -> bool:
    """False only when no clock of the record can still be counting: most of a large
    repository is closed history, and this spares reading it when only live clocks matter."""
    if plan.active or _counting(plan.clocks) or _counting(plan.actions):
        return True
    if _counting(postmortem.actions):
        return True  # (if the record lists it too, reading says whether it counts)
    if plan.postmortem is None:
        return False
    if postmortem.status not in POSTMORTEM_DONE:
        return True
    return postmortem.reviewed_at is not None and postmortem.reviewed_at > now


def _counting(entries: Iterable[_Planned]) -> bool:
    """Whether any of a plan's clocks is still counting (not a stopped clock's JSON)."""
    return any(not isinstance(entry, dict) for entry in entries)
