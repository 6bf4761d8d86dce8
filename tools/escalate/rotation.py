"""Who is on call: a pure function of a rotation in policy/roster.yaml and an instant.

Members take turns of `length` in order, the first member starting at `start`. With a
`handoff_timezone`, turns hand over at the same local wall-clock time in that zone (Monday
09:00 stays 09:00 across daylight-saving changes); without one, every turn is exactly
`length` of elapsed time. Overrides are [start, end) in absolute time and replace whoever
is scheduled; where overrides overlap, the first one listed wins (as in the matrix's target
rules). Before `start` the same order is extended backwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .duration import parse_duration
from .records import parse_instant

__all__ = ["Shift", "next_shift", "on_call", "shift_at"]

_MAX_STEPS = 1000  # a rotation whose every member is overridden away still terminates


@dataclass(frozen=True)
class Shift:
    """A stretch of time with one person on call."""

    handle: str
    start: datetime
    end: datetime
    override: bool = False
    reason: str = ""


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("on-call questions need a timezone-aware instant")
    return at


class _Schedule:
    def __init__(self, rotation: Mapping[str, Any]) -> None:
        self.members = [str(member) for member in rotation["members"]]
        self.start = parse_instant(str(rotation["start"]))
        self.length = timedelta(seconds=parse_duration(str(rotation["length"])))
        zone = rotation.get("handoff_timezone")
        self.zone = ZoneInfo(str(zone)) if zone else None
        self.overrides = [
            (
                parse_instant(str(entry["start"])),
                parse_instant(str(entry["end"])),
                str(entry["handle"]),
                str(entry.get("reason", "")),
            )
            for entry in rotation.get("overrides") or []
        ]
        if self.zone is not None:
            self.local_start = self.start.astimezone(self.zone).replace(tzinfo=None)

    def turn_start(self, index: int) -> datetime:
        if self.zone is None:
            return self.start + index * self.length
        return (self.local_start + index * self.length).replace(tzinfo=self.zone)

    def turn_index(self, at: datetime) -> int:
        if self.zone is None:
            return (at - self.start) // self.length
        local = at.astimezone(self.zone).replace(tzinfo=None)
        index = (local - self.local_start) // self.length
        # Wall-clock arithmetic can be an hour off around a DST change: settle on real time.
        while at < self.turn_start(index):
            index -= 1
        while at >= self.turn_start(index + 1):
            index += 1
        return index

    def shift_at(self, at: datetime) -> Shift:
        index = self.turn_index(at)
        start, end = self.turn_start(index), self.turn_start(index + 1)
        for position, (o_start, o_end, handle, reason) in enumerate(self.overrides):
            if o_start <= at < o_end:
                # Earlier-listed overrides win where they overlap this one.
                for e_start, e_end, _, _ in self.overrides[:position]:
                    if at < e_start < o_end:
                        o_end = e_start
                    if o_start < e_end <= at:
                        o_start = e_end
                return Shift(handle, o_start, o_end, True, reason)
        # The scheduled turn, cut short by the overrides that begin or end inside it.
        for o_start, o_end, _, _ in self.overrides:
            if at < o_start < end:
                end = o_start
            if start < o_end <= at:
                start = o_end
        return Shift(self.members[index % len(self.members)], start, end)


def on_call(rotation: Mapping[str, Any], at: datetime) -> str:
    """The handle on call in this rotation at the instant `at` (overrides honoured)."""
    return _Schedule(rotation).shift_at(_aware(at)).handle


def shift_at(rotation: Mapping[str, Any], at: datetime) -> Shift:
    """The shift covering `at`: who, from when, until when, and whether it is an override."""
    return _Schedule(rotation).shift_at(_aware(at))


def next_shift(rotation: Mapping[str, Any], at: datetime) -> Shift:
    """The first shift after the one covering `at` with a different person on call."""
    schedule = _Schedule(rotation)
    current = schedule.shift_at(_aware(at))
    probe = current
    for _ in range(_MAX_STEPS):
        probe = schedule.shift_at(probe.end)
        if probe.handle != current.handle:
            return probe
    return probe
