"""Escalation records and the state derived from their timelines.

The timeline is the single place lifecycle facts are written. Status, owner, level and
severity are replayed from it here, event by event, and the same replay names every event
that is impossible where it stands (resolving a closed case, resuming a case that is not
paused), so validation and every report agree on what a record means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
WAITING = "waiting_on_customer"
MITIGATED = "mitigated"
RESOLVED = "resolved"
CLOSED = "closed"
STATUSES = (OPEN, ACKNOWLEDGED, WAITING, MITIGATED, RESOLVED, CLOSED)
ACTIVE_STATUSES = frozenset({OPEN, ACKNOWLEDGED, WAITING, MITIGATED})


def parse_instant(text: str) -> datetime:
    """An RFC 3339 timestamp (schema-checked, so it has an offset) as an aware datetime."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:  # RFC 3339 allows a lowercase t and z, which Python 3.11 refuses
        return datetime.fromisoformat(text.upper())


@dataclass(frozen=True)
class Event:
    index: int  # position in the timeline, for pointers (/timeline/<index>)
    at: datetime
    kind: str
    by: str
    raw: Mapping[str, Any]

    @property
    def pointer(self) -> str:
        return f"/timeline/{self.index}"


@dataclass(frozen=True)
class Problem:
    """An event the lifecycle does not allow, found while replaying the timeline."""

    pointer: str
    rule: str
    message: str


@dataclass
class State:
    """What the timeline says now: the derived status and the milestones behind it."""

    status: str
    owner: str
    level: str
    severity: str
    acknowledged_at: datetime | None = None
    first_assigned_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_count: int = 0
    paused: bool = False
    pause_reason: str | None = None
    pauses: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    last_customer_update_at: datetime | None = None
    last_event_at: datetime | None = None
    owners: list[tuple[datetime, str]] = field(default_factory=list)
    levels: list[tuple[datetime, str]] = field(default_factory=list)
    severities: list[tuple[datetime, str]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


# What each event needs of the state it happens in: a predicate over the state and the
# sentence that says why not, with the way out.
_FINISHED = (RESOLVED, CLOSED)


def _replay_problem(state: State, event: Event, acked: bool) -> str | None:
    kind = event.kind
    raw = event.raw
    status = state.status
    if status == CLOSED and kind not in ("note", "reopened"):
        return f"the case is closed; only a note or reopened can follow, not {kind}"
    if kind == "acknowledged" and acked:
        return "the case is already acknowledged; remove this event or use a note"
    if kind == "paused":
        if state.paused:
            return "the case is already paused; add a resumed event before pausing again"
        if status in _FINISHED:
            return f"a {status} case cannot be paused; reopen it first"
    if kind == "resumed" and not state.paused:
        return "the case is not paused; resumed needs an earlier paused event"
    if kind == "mitigated":
        if status in _FINISHED:
            return f"the case is already {status}; a mitigation must come before resolved"
        if state.mitigated_at is not None:
            return "the case is already mitigated; use an update event for more detail"
    if kind == "resolved" and status in _FINISHED:
        return f"the case is already {status}; add reopened before resolving it again"
    if kind == "closed" and status != RESOLVED:
        return f"only a resolved case can be closed (it is {status}); add resolved first"
    if kind == "reopened" and status not in _FINISHED:
        return f"only a resolved or closed case can be reopened (it is {status})"
    # A resolved case may still change level or owner: follow-up work is handed back down.
    if kind == "escalated" and raw.get("level") == state.level:
        return f"the case is already at {state.level}; escalated must name another level"
    if kind == "assigned" and raw.get("to") == state.owner:
        return f"{state.owner} already owns the case; assigned must name someone else"
    if kind == "reclassified" and raw.get("severity") == state.severity:
        return f"the case is already {state.severity}; reclassified must name another severity"
    return None


def derive(data: Mapping[str, Any]) -> tuple[State, list[Problem]]:
    """Replay a schema-valid record's timeline into its state, naming impossible events."""
    opened_at = parse_instant(data["opened_at"])
    state = State(status=OPEN, owner=data["owner"], level=data["level"], severity=data["severity"])
    state.owners.append((opened_at, state.owner))
    state.levels.append((opened_at, state.level))
    state.severities.append((opened_at, state.severity))
    problems: list[Problem] = []
    acked = False
    previous = opened_at
    for event in events_of(data):
        if event.at < opened_at:
            problems.append(
                Problem(
                    f"{event.pointer}/at",
                    "timeline/before-opened",
                    f"{event.kind} at {event.raw['at']} is before opened_at "
                    f"{data['opened_at']}; fix the time or opened_at",
                )
            )
        elif event.at < previous:
            problems.append(
                Problem(
                    f"{event.pointer}/at",
                    "timeline/order",
                    f"{event.kind} at {event.raw['at']} is earlier than the event before it; "
                    "keep the timeline in time order",
                )
            )
        previous = max(previous, event.at)
        why = _replay_problem(state, event, acked)
        if why is not None:
            problems.append(Problem(f"{event.pointer}/event", "timeline/transition", why))
            continue
        acked = _apply(state, event, acked)
        state.last_event_at = event.at
    return state, problems


def _apply(state: State, event: Event, acked: bool) -> bool:
    kind, raw, at = event.kind, event.raw, event.at
    if kind == "acknowledged":
        acked = True
        state.acknowledged_at = state.acknowledged_at or at
        if state.status == OPEN:
            state.status = ACKNOWLEDGED
    elif kind == "assigned":
        state.owner = raw["to"]
        state.owners.append((at, state.owner))
        state.first_assigned_at = state.first_assigned_at or at
    elif kind == "escalated":
        state.level = raw["level"]
        state.levels.append((at, state.level))
        if "to" in raw:  # a hand-off to a named person at the new level
            state.owner = raw["to"]
            state.owners.append((at, state.owner))
    elif kind == "reclassified":
        state.severity = raw["severity"]
        state.severities.append((at, state.severity))
    elif kind == "paused":
        state.paused = True
        state.pause_reason = raw.get("reason")
        state.pauses.append((at, None))
    elif kind == "resumed":
        _end_pause(state, at)
    elif kind == "customer_update":
        state.last_customer_update_at = at
    elif kind == "mitigated":
        state.mitigated_at = at
    elif kind == "resolved":
        _end_pause(state, at)  # a resolution ends a wait: there is nothing left to wait for
        state.resolved_at = at
        state.status = RESOLVED
    elif kind == "closed":
        state.closed_at = at
        state.status = CLOSED
    elif kind == "reopened":
        state.reopened_count += 1
        state.resolved_at = None
        state.closed_at = None
        state.mitigated_at = None
        state.status = ACKNOWLEDGED
        acked = True
    if state.status not in _FINISHED:
        if state.paused:
            state.status = WAITING
        elif state.mitigated_at is not None:
            state.status = MITIGATED
        elif acked:
            state.status = ACKNOWLEDGED
        else:  # a wait that ends before anyone acknowledged leaves the case open
            state.status = OPEN
    return acked


def _end_pause(state: State, at: datetime) -> None:
    if state.paused:
        start, _ = state.pauses[-1]
        state.pauses[-1] = (start, at)
        state.paused = False
        state.pause_reason = None


def events_of(data: Mapping[str, Any]) -> list[Event]:
    return [
        Event(index, parse_instant(raw["at"]), raw["event"], raw["by"], raw)
        for index, raw in enumerate(data.get("timeline") or [])
    ]


class _HoldsData(Protocol):
    """A parsed file (`repo.SourceFile`), which may decode its data only when asked."""

    @property
    def data(self) -> Any: ...


class Escalation:
    """One schema-valid record, its file, and its derived state (replayed when first read).

    The replay is lazy because a warm `escalate validate` has every file's findings cached
    and reads no state at all; on 10,000 records the replay is a third of its time. The data
    itself can be lazy too (`of`): a warm `sla check` reads only what the parse cache's
    derivations kept, and never the record's contents.
    """

    def __init__(
        self,
        path: str,
        data: Mapping[str, Any] | None = None,
        *,
        source: _HoldsData | None = None,
        escalation_id: str | None = None,
    ) -> None:
        if (data is None) == (source is None):
            raise TypeError("give an escalation either its data or the file that holds it")
        self.path = path  # repo-relative, POSIX separators
        self._data = data
        self._source = source
        self._id = escalation_id

    @classmethod
    def from_data(cls, path: str, data: Mapping[str, Any]) -> Escalation:
        return cls(path, data)

    @classmethod
    def of(cls, source: _HoldsData, path: str, escalation_id: str) -> Escalation:
        """The record a parsed file holds, its data read from the file when first needed."""
        return cls(path, source=source, escalation_id=escalation_id)

    @property
    def data(self) -> Mapping[str, Any]:
        if self._data is None:
            assert self._source is not None
            self._data, self._source = self._source.data, None
        return self._data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Escalation):
            return NotImplemented
        return (self.path, self.data) == (other.path, other.data)

    __hash__ = None  # type: ignore[assignment]  # mutable data, as the dataclass it was

    def __repr__(self) -> str:
        return f"Escalation({self.path!r})"

    @cached_property
    def _derived(self) -> tuple[State, list[Problem]]:
        return derive(self.data)

    @property
    def state(self) -> State:
        return self._derived[0]

    @property
    def problems(self) -> list[Problem]:
        return self._derived[1]

    @property
    def id(self) -> str:
        return self._id if self._id is not None else str(self.data["id"])

    @property
    def title(self) -> str:
        return str(self.data["title"])

    @property
    def opened_at(self) -> datetime:
        return parse_instant(self.data["opened_at"])

    @property
    def tier(self) -> str:
        return str(self.data["customer"]["tier"])

    @property
    def region(self) -> str | None:
        region = self.data["customer"].get("region")
        return str(region) if region else None

    @property
    def drill(self) -> bool:
        return bool(self.data.get("drill", False))

    @property
    def events(self) -> list[Event]:
        return events_of(self.data)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def describe(escalation: Escalation, now: datetime) -> dict[str, Any]:
    """The record's facts and derived state as plain data (for `show --format json`)."""
    state = escalation.state
    data = escalation.data
    return {
        "id": escalation.id,
        "file": escalation.path,
        "title": escalation.title,
        "status": state.status,
        "severity": state.severity,
        "severity_at_opening": data["severity"],
        "owner": state.owner,
        "level": state.level,
        "category": data["category"],
        "product_area": data.get("product_area"),
        "customer": dict(data["customer"]),
        "impact": dict(data["impact"]),
        "opened_at": data["opened_at"],
        "age_seconds": int((now - escalation.opened_at).total_seconds()),
        "acknowledged_at": _iso(state.acknowledged_at),
        "mitigated_at": _iso(state.mitigated_at),
        "resolved_at": _iso(state.resolved_at),
        "closed_at": _iso(state.closed_at),
        "reopened_count": state.reopened_count,
        "paused": state.paused,
        "pause_reason": state.pause_reason,
        "last_customer_update_at": _iso(state.last_customer_update_at),
        "last_event_at": _iso(state.last_event_at),
        "events": len(data.get("timeline") or []),
        "related": list(data.get("related") or []),
        "drill": escalation.drill,
    }


def format_age(seconds: float) -> str:
    """A compact age for tables: 45m, 5h12m, 3d4h."""
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m"
