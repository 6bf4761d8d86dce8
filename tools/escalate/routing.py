"""Routing: which level, team and person a case belongs to, which triggers ask for more, and
whether the roster has someone on call for every team the matrix can route to.

The matrix's triggers (`policy/matrix.yaml`) say "a case like this needs at least level X".
They are evaluated here twice over: at opening, to pick the starting level and owner of a new
case (`route`), and as of an instant, to find open cases that sit below the level their
triggers require (`required_level`, `pending`). A trigger holds when every condition in its
`when` holds; a list matches any of its values.

* `severity` is the current severity (after `reclassified` events), `flags` the record's
  `impact.flags`, `tier` its `customer.tier`.
* `repeat_count` counts the distinct earlier escalations in `related` (the record itself and,
  when a repository is given, records it knows were opened later, are not "earlier").
* `unresolved_for` is measured like the resolve clock: open time on the calendar of the
  customer's tier, pauses excluded (`escalate.sla`). Where the SLA module cannot measure the
  case, it falls back to real time since `opened_at` minus pauses, and the reason says so. It
  never holds at opening, nor for a case that is resolved or closed.

On-call: a rotation covers time from its `start` on (earlier, only its overrides cover);
`escalate.rotation` extends the order backwards before `start`, but nobody has agreed to be
on call then, so routing and the roster check treat it as nobody. A shift whose person is not
in `people`, or belongs to another team, covers nothing either. Of a team's rotations, the
`primary` layer is asked first, then those without a layer, then `secondary`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .duration import format_duration, parse_duration
from .errors import PolicyError, RecordError
from .records import Escalation, State, derive, parse_instant
from .rotation import Shift, shift_at

if TYPE_CHECKING:
    from .policy import Policy
    from .repo import Repo

__all__ = [
    "Duty",
    "Gap",
    "OnCall",
    "Pending",
    "Route",
    "TriggerHit",
    "Unresolved",
    "coverage_gaps",
    "on_call_teams",
    "pending",
    "required_level",
    "routable_teams",
    "route",
    "short_instant",
    "state_as_of",
    "team_rotations",
    "unresolved_time",
]

_LAYER_ORDER = {"primary": 0, None: 1, "secondary": 2}
_MAX_PROBES = 120  # shifts looked ahead for the next person: two years of weekly turns


# --- values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriggerHit:
    """One trigger that holds: the level it requires and the facts that made it hold."""

    trigger: str
    level: str
    reason: str  # "severity is sev1, unresolved for 5h (≥ 4h, open time on the 24x7 calendar…)"
    description: str = ""  # the trigger's own description from the matrix

    def as_json(self) -> dict[str, str]:
        return {
            "trigger": self.trigger,
            "level": self.level,
            "reason": self.reason,
            "description": self.description,
        }


@dataclass(frozen=True)
class Route:
    """Where a new case starts: its level, the team owning that level, the person on call."""

    level: str
    team: str | None
    owner: str | None  # None when nobody in the team is on call at that instant
    reason: str
    triggers: tuple[TriggerHit, ...] = ()
    rotation: str | None = None  # the rotation the owner was taken from


@dataclass(frozen=True)
class Pending:
    """An active case below the level its triggers require."""

    escalation: Escalation
    state: State  # as of the instant asked about
    level: str  # the current (derived) level
    required: str  # the highest level any trigger requires
    hits: tuple[TriggerHit, ...]  # the triggers requiring more than the current level

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.escalation.id,
            "file": self.escalation.path,
            "title": self.escalation.title,
            "status": self.state.status,
            "severity": self.state.severity,
            "owner": self.state.owner,
            "level": self.level,
            "required_level": self.required,
            "drill": self.escalation.drill,
            "triggers": [hit.as_json() for hit in self.hits],
        }


@dataclass(frozen=True)
class Unresolved:
    """How long a case has been unresolved, and how that was measured."""

    seconds: float
    basis: str


@dataclass(frozen=True)
class Gap:
    """A stretch of time in which a team has nobody on call, and why."""

    team: str
    start: datetime
    end: datetime
    reason: str = ""

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def as_json(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "start": _rfc3339(self.start),
            "end": _rfc3339(self.end),
            "seconds": self.seconds,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Duty:
    """One rotation of a team at an instant: who is on call, until when, and who is next."""

    rotation: str
    layer: str | None
    current: Shift | None  # None: nobody covers this instant (see `problem`)
    next: Shift | None
    problem: str | None = None  # why the current shift covers nothing

    def as_json(self, policy: Policy) -> dict[str, Any]:
        return {
            "rotation": self.rotation,
            "layer": self.layer,
            "on_call": _shift_json(self.current, policy),
            "next": _shift_json(self.next, policy),
            "problem": self.problem,
        }


@dataclass(frozen=True)
class OnCall:
    """A team at an instant: its rotations, most senior layer first."""

    team: str
    name: str
    level: str | None
    duties: list[Duty] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return any(duty.current is not None and duty.problem is None for duty in self.duties)

    def as_json(self, policy: Policy) -> dict[str, Any]:
        return {
            "team": self.team,
            "name": self.name,
            "level": self.level,
            "covered": self.covered,
            "rotations": [duty.as_json(policy) for duty in self.duties],
        }


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def short_instant(at: datetime) -> str:
    """2026-11-23 08:00Z: how reasons name instants."""
    return _rfc3339(at)[:16].replace("T", " ") + "Z"


def _shift_json(shift: Shift | None, policy: Policy) -> dict[str, Any] | None:
    if shift is None:
        return None
    person = policy.people.get(shift.handle)
    return {
        "handle": shift.handle,
        "name": person.name if person else None,
        "contact": person.raw.get("contact") if person else None,
        "start": _rfc3339(shift.start),
        "end": _rfc3339(shift.end),
        "override": shift.override,
        "reason": shift.reason or None,
    }


# --- triggers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    severity: str
    flags: frozenset[str]
    tier: str
    repeat_count: int


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _holds(
    trigger: Mapping[str, Any], facts: _Facts, unresolved: Callable[[], Unresolved | None]
) -> str | None:
    """Why the trigger holds for these facts, or None when it does not."""
    when: Mapping[str, Any] = trigger.get("when") or {}
    why: list[str] = []
    if "severity" in when:
        if facts.severity not in when["severity"]:
            return None
        why.append(f"severity is {facts.severity}")
    if "flags" in when:
        found = [flag for flag in when["flags"] if flag in facts.flags]
        if not found:
            return None
        why.append(f"{' and '.join(found)} {'flag' if len(found) == 1 else 'flags'} set")
    if "tier" in when:
        if facts.tier not in when["tier"]:
            return None
        why.append(f"tier is {facts.tier}")
    if "repeat_count" in when:
        needed = int(when["repeat_count"])
        if facts.repeat_count < needed:
            return None
        why.append(f"{_plural(facts.repeat_count, 'related escalation')} (≥ {needed})")
    if "unresolved_for" in when:
        limit = parse_duration(str(when["unresolved_for"]))
        measured = unresolved()
        if measured is None or measured.seconds < limit:
            return None
        why.append(
            f"unresolved for {format_duration(measured.seconds)} "
            f"(≥ {when['unresolved_for']}, {measured.basis})"
        )
    return ", ".join(why)


def _evaluate(
    policy: Policy, facts: _Facts, unresolved: Callable[[], Unresolved | None]
) -> list[TriggerHit]:
    hits = []
    for trigger in policy.triggers:
        why = _holds(trigger, facts, unresolved)
        if why is not None:
            description = " ".join(str(trigger.get("description", "")).split())
            hits.append(TriggerHit(str(trigger["id"]), str(trigger["level"]), why, description))
    # Highest level first; among equals, the matrix's order.
    hits.sort(key=lambda hit: -policy.level_rank(hit.level))
    return hits


def _repeat_count(escalation: Escalation, repo: Repo | None) -> int:
    counted = set()
    opened = escalation.opened_at
    for other in escalation.data.get("related") or []:
        other = str(other)
        if other == escalation.id:
            continue
        known = repo.escalations.get(other) if repo is not None else None
        if known is not None and known.opened_at > opened:
            continue  # a later repeat is not an earlier occurrence of this one
        counted.add(other)
    return len(counted)


def state_as_of(escalation: Escalation, now: datetime) -> State:
    """The derived state as of `now`: events after `now` have not happened yet."""
    state = escalation.state
    if state.last_event_at is None or state.last_event_at <= now:
        return state
    earlier = [
        raw for raw in escalation.data.get("timeline") or [] if parse_instant(raw["at"]) <= now
    ]
    replayed, _ = derive({**escalation.data, "timeline": earlier})
    return replayed


def unresolved_time(escalation: Escalation, policy: Policy, now: datetime) -> Unresolved:
    """How long the case has been unresolved as of `now`, measured like the resolve clock."""
    try:
        from .sla import clocks_for
    except ImportError:  # pragma: no cover - the SLA module ships with the package
        why_not = "the SLA clocks are not available"
    else:
        try:
            clocks = clocks_for(escalation, policy, now)
        except PolicyError as exc:
            why_not = exc.message
        else:
            for clock in clocks:
                if clock.clock == "resolve":
                    return Unresolved(
                        clock.elapsed_seconds,
                        f"open time on the {clock.calendar} calendar, pauses excluded",
                    )
            severity = state_as_of(escalation, now).severity
            why_not = f"no resolve target for {severity} on tier {escalation.tier}"
    state = state_as_of(escalation, now)
    elapsed = (now - escalation.opened_at).total_seconds()
    for start, end in state.pauses:
        stop = min(end or now, now)
        if stop > start:
            elapsed -= (stop - start).total_seconds()
    return Unresolved(max(elapsed, 0.0), f"real time since opened_at, pauses excluded: {why_not}")


def required_level(
    escalation: Escalation, policy: Policy, now: datetime, repo: Repo | None = None
) -> list[TriggerHit]:
    """Every trigger that holds for the case as of `now`, highest level first."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("triggers are evaluated at a timezone-aware instant")
    if escalation.opened_at > now:
        return []
    state = state_as_of(escalation, now)
    facts = _Facts(
        severity=state.severity,
        flags=frozenset((escalation.data.get("impact") or {}).get("flags") or []),
        tier=escalation.tier,
        repeat_count=_repeat_count(escalation, repo),
    )
    measured: list[Unresolved | None] = []

    def unresolved() -> Unresolved | None:
        if not measured:  # measured once, and only when a trigger asks for it
            measured.append(unresolved_time(escalation, policy, now) if state.active else None)
        return measured[0]

    return _evaluate(policy, facts, unresolved)


def pending(
    escalation: Escalation, policy: Policy, now: datetime, repo: Repo | None = None
) -> Pending | None:
    """The raise an active case still needs as of `now`, or None when it is high enough."""
    if escalation.opened_at > now:
        return None
    state = state_as_of(escalation, now)
    if not state.active:
        return None
    current = policy.level_rank(state.level)
    above = tuple(
        hit
        for hit in required_level(escalation, policy, now, repo)
        if policy.level_rank(hit.level) > current
    )
    if not above:
        return None
    return Pending(escalation, state, state.level, above[0].level, above)


# --- routing a new case --------------------------------------------------------------------


def team_rotations(policy: Policy, team: str) -> list[Mapping[str, Any]]:
    """The team's rotations, primary layer first, then unlayered, then secondary."""
    found = [rotation for rotation in policy.rotations if rotation.get("team") == team]
    return sorted(found, key=lambda rotation: _LAYER_ORDER.get(rotation.get("layer"), 1))


def _who_problem(policy: Policy, team: str, handle: str) -> str | None:
    person = policy.people.get(handle)
    if person is None:
        return f"{handle} is not a person in policy/roster.yaml"
    if person.team != team:
        return f"{handle} is in team {person.team}, not {team}"
    return None


def _covering(
    policy: Policy, team: str, rotation: Mapping[str, Any], at: datetime
) -> tuple[Shift, str | None]:
    """The piece of shift covering `at` (cut at the rotation's start) and what is wrong with it."""
    shift = shift_at(rotation, at)
    begins = parse_instant(str(rotation["start"]))
    if at < begins and not shift.override:
        piece = Shift("", shift.start, min(shift.end, begins))
        return piece, f"rotation {rotation['id']} starts {short_instant(begins)}"
    return shift, _who_problem(policy, team, shift.handle)


def _first_covered(
    policy: Policy, team: str, rotation: Mapping[str, Any], at: datetime
) -> Shift | None:
    """The first shift after the one covering `at` in which someone else really covers."""
    shift, problem = _covering(policy, team, rotation, at)
    current = shift.handle if problem is None else None
    for _ in range(_MAX_PROBES):
        shift, problem = _covering(policy, team, rotation, shift.end)
        if problem is None and shift.handle != current:
            return shift
    return None


def _duty(policy: Policy, team: str, rotation: Mapping[str, Any], at: datetime) -> Duty:
    shift, problem = _covering(policy, team, rotation, at)
    current = None if shift.handle == "" else shift
    return Duty(
        rotation=str(rotation["id"]),
        layer=rotation.get("layer"),
        current=current,
        next=_first_covered(policy, team, rotation, at),
        problem=problem,
    )


def _team_at_level(policy: Policy, category: str, level: str) -> str | None:
    found = policy.categories.get(category)
    if found is not None and level in found.teams:
        return found.teams[level]
    level_teams = (policy.levels[level].raw.get("teams") if level in policy.levels else None) or []
    return str(level_teams[0]) if len(level_teams) == 1 else None


def route(
    policy: Policy,
    category: str,
    severity: str,
    flags: Iterable[str],
    tier: str,
    at: datetime,
    *,
    related: Sequence[str] = (),
    level: str | None = None,
) -> Route:
    """The starting level, team and owner of a case opened at `at`.

    The level is the highest of the first level on the path and every trigger that holds at
    opening (`unresolved_for` never does), unless `level` is given; the team is the
    category's team at that level; the owner is whoever of that team is on call at `at`,
    primary layer first. The triggers that hold are returned either way.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("routing needs a timezone-aware instant")
    if category not in policy.categories:
        from .schema import suggest

        known = ", ".join(policy.categories) or "none"
        raise RecordError(
            f"unknown category {category!r}{suggest(category, policy.categories)} "
            f"(the categories in policy/matrix.yaml: {known})",
            rule="unknown-category",
        )
    if not policy.levels:
        raise PolicyError("policy/matrix.yaml has no levels to route to", rule="routing")
    facts = _Facts(severity, frozenset(flags), tier, len({str(r) for r in related}))
    hits = _evaluate(policy, facts, lambda: None)
    first = next(iter(policy.levels))
    if level is not None:
        parts = [f"{level} as asked"]
    else:
        level = hits[0].level if hits and policy.level_rank(hits[0].level) > 0 else first
        parts = [
            f"{level} by trigger {hits[0].trigger}: {hits[0].reason}"
            if level != first
            else f"{level}: no trigger requires more at opening"
        ]
    team = _team_at_level(policy, category, level)
    if team is None:
        parts.append(f"no team owns {category} at {level} in policy/matrix.yaml")
        return Route(level, None, None, "; ".join(parts), tuple(hits))
    parts.append(f"{category} at {level} is {team}")
    rotations = team_rotations(policy, team)
    if not rotations:
        parts.append(f"{team} has no rotation in policy/roster.yaml: nobody is on call")
        return Route(level, team, None, "; ".join(parts), tuple(hits))
    problems = []
    for rotation in rotations:
        shift, problem = _covering(policy, team, rotation, at)
        if problem is None:
            how = f"override: {shift.reason}" if shift.override and shift.reason else ""
            until = f"until {short_instant(shift.end)}"
            parts.append(
                f"{shift.handle} on call ({rotation['id']}, {until}{', ' + how if how else ''})"
            )
            return Route(level, team, shift.handle, "; ".join(parts), tuple(hits), rotation["id"])
        problems.append(problem)
    parts.append(f"nobody of {team} is on call at {short_instant(at)} ({'; '.join(problems)})")
    return Route(level, team, None, "; ".join(parts), tuple(hits))


# --- on call and coverage ------------------------------------------------------------------


def routable_teams(policy: Policy) -> list[str]:
    """Every team a category names: in the roster's order, then any the roster lacks."""
    named: dict[str, None] = {}
    for category in policy.categories.values():
        for team in category.teams.values():
            named.setdefault(str(team), None)
    return [team for team in policy.teams if team in named] + [
        team for team in named if team not in policy.teams
    ]


def on_call_teams(policy: Policy, at: datetime, team: str | None = None) -> list[OnCall]:
    """Who is on call at `at` and who is next, for every team (roster order) or one."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("on-call questions need a timezone-aware instant")
    names = list(policy.teams)
    for extra in (*routable_teams(policy), *(str(r.get("team")) for r in policy.rotations)):
        if extra not in names:
            names.append(extra)
    if team is not None:
        names = [team]
    result = []
    for name in names:
        known = policy.teams.get(name)
        duties = [_duty(policy, name, rotation, at) for rotation in team_rotations(policy, name)]
        result.append(
            OnCall(name, known.name if known else name, known.level if known else None, duties)
        )
    return result


def _segments(
    policy: Policy, team: str, rotation: Mapping[str, Any], start: datetime, end: datetime
) -> list[tuple[datetime, datetime, str | None]]:
    """[start, end) cut into pieces that are covered (None) or not (the reason)."""
    pieces: list[tuple[datetime, datetime, str | None]] = []
    at = start
    while at < end:
        shift, problem = _covering(policy, team, rotation, at)
        stop = min(shift.end, end)
        if stop <= at:  # pragma: no cover - a shift always ends after the instant it covers
            stop = end
        if problem is not None:
            problem = f"{rotation['id']}: {problem}"
        if pieces and pieces[-1][2] == problem:
            pieces[-1] = (pieces[-1][0], stop, problem)
        else:
            pieces.append((at, stop, problem))
        at = stop
    return pieces


def coverage_gaps(policy: Policy, start: datetime, end: datetime) -> list[Gap]:
    """Stretches of [start, end) in which a team the matrix routes to has nobody on call.

    Weekends and holidays count like any other time: cases are routed whenever they open.
    """
    for instant in (start, end):
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("coverage is checked between timezone-aware instants")
    gaps: list[Gap] = []
    if end <= start:
        return gaps
    for team in routable_teams(policy):
        rotations = team_rotations(policy, team)
        if not rotations:
            gaps.append(Gap(team, start, end, f"{team} has no rotation in policy/roster.yaml"))
            continue
        layers = [_segments(policy, team, rotation, start, end) for rotation in rotations]
        cuts = sorted({piece[0] for pieces in layers for piece in pieces} | {end})
        positions = [0] * len(layers)
        team_gaps: list[Gap] = []
        for left, right in itertools.pairwise(cuts):
            reasons: list[str] = []
            covered = False
            for index, pieces in enumerate(layers):
                while pieces[positions[index]][1] <= left:
                    positions[index] += 1
                problem = pieces[positions[index]][2]
                if problem is None:
                    covered = True
                    break
                if problem not in reasons:
                    reasons.append(problem)
            if covered:
                continue
            reason = "; ".join(reasons)
            if team_gaps and team_gaps[-1].end == left and team_gaps[-1].reason == reason:
                team_gaps[-1] = Gap(team, team_gaps[-1].start, right, reason)
            else:
                team_gaps.append(Gap(team, left, right, reason))
        gaps.extend(team_gaps)
    return gaps
