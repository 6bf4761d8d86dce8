"""Calendar time: when a team's clocks run, and how much open time lies between two instants.

A `Calendar` is either always open (every real second counts) or open during weekly ranges of
local wall-clock time in an IANA zone, minus whole-day holidays. SLA clocks only count open
time, so everything here answers one of two questions: "how much open time is in [start, end)?"
and "when will n seconds of open time have passed since start?".

Internally instants are integer microseconds since the Unix epoch (UTC). Integers keep
`open_seconds(s, add(s, x)) == x` exact to the microsecond that datetimes can represent, which
seconds as floats (near 1.8e9) would not. Each local date's open intervals are computed once,
and a running total of open time per day (built a year at a time) turns a clock spanning months
into two partial days plus one subtraction, or one bisection for `add`, instead of a walk over
every day. Holidays and DST days sit in that table like any other day, so no week needs
special-casing.
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import re
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from escalate.errors import PolicyError

__all__ = [
    "WEEKDAYS",
    "Calendar",
    "Moment",
    "calendar_from_policy",
    "calendar_problems",
    "epoch_us",
    "from_epoch_us",
    "known_country_holidays",
    "recall_country_holidays",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60

_US = 1_000_000
_US_PER_MINUTE = 60 * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A calendar whose open time has run out (every day a holiday) must not loop for ever.
_MAX_EMPTY_YEARS = 20

_Interval = tuple[int, int]  # [start, end) in µs since the epoch
# An instant as a calendar's arithmetic works on it: µs since the epoch, and the proleptic
# ordinal of its local date in the calendar's zone (0 on an always-open calendar).
Moment = tuple[int, int]


def epoch_us(at: datetime, name: str = "at") -> int:
    """An aware instant as integer µs since the Unix epoch: exact, and cheap to compare."""
    try:
        # Subtracting from an aware datetime is the naive check too: it raises for naive ones.
        delta = at - _EPOCH
    except TypeError:
        raise ValueError(
            f"{name}={at.isoformat()} is a naive datetime: give it a timezone (e.g. +00:00)"
        ) from None
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def from_epoch_us(us: int) -> datetime:
    """The UTC instant `us` µs after the Unix epoch (the inverse of `epoch_us`)."""
    return _EPOCH + timedelta(microseconds=us)


def _seconds_to_us(seconds: float) -> int:
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"seconds must be a finite number >= 0, not {seconds!r}")
    return round(seconds * _US)


@dataclass(frozen=True)
class Calendar:
    """When clocks run: always, or during weekly local hours in an IANA zone minus holidays.

    `hours` maps a weekday (0 = Monday) to sorted, non-overlapping `(start_minute, end_minute)`
    ranges of local wall-clock time; an end of 1440 means midnight at the end of the day.
    `holidays` are explicit closed dates; `holiday_country` (and `holiday_subdiv`) add that
    country's public holidays, loaded a year at a time when first needed.
    """

    id: str
    timezone: ZoneInfo
    always_open: bool = False
    # Excluded from the hash (a dict is unhashable); equal calendars still compare equal.
    hours: Mapping[int, tuple[tuple[int, int], ...]] = field(default_factory=dict, hash=False)
    holidays: frozenset[date] = frozenset()
    holiday_country: str | None = None
    holiday_subdiv: str | None = None
    _days: dict[int, tuple[_Interval, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _totals: _RunningTotals = field(
        default_factory=lambda: _RunningTotals(), init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.timezone, ZoneInfo):
            raise ValueError(f"calendar {self.id!r}: timezone must be a ZoneInfo")
        hours: dict[int, tuple[tuple[int, int], ...]] = {}
        for weekday, ranges in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"calendar {self.id!r}: weekday {weekday!r} is not 0-6")
            ordered = tuple(sorted((int(start), int(end)) for start, end in ranges))
            for start, end in ordered:
                if not 0 <= start < end <= MINUTES_PER_DAY:
                    raise ValueError(f"calendar {self.id!r}: bad range {start}-{end} minutes")
            for (_, end), (start, _) in itertools.pairwise(ordered):
                if start < end:
                    raise ValueError(f"calendar {self.id!r}: overlapping ranges on {weekday}")
            if ordered:
                hours[weekday] = ordered
        if not self.always_open and not hours:
            raise ValueError(f"calendar {self.id!r} is never open: give hours or always_open")
        # Copies, so a caller's dict or set changed later cannot change the calendar.
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    # -- public API -------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether clocks on this calendar run at the instant `at`."""
        us = epoch_us(at)
        if self.always_open:
            return True
        return any(start <= us < end for start, end in self._day(self._ordinal(at)))

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """Open time in [start, end) in seconds; 0 when end <= start."""
        return self.open_between(self.moment(start, "start"), self.moment(end, "end"))

    def moment(self, at: datetime, name: str = "at") -> Moment:
        """`at` converted once for `open_between`, which thousands of clocks measured to the
        same instant can then share."""
        us = epoch_us(at, name)
        return (us, 0) if self.always_open else (us, at.astimezone(self.timezone).toordinal())

    def open_between(self, start: Moment, end: Moment) -> float:
        """Open time in [start, end) in seconds, as `open_seconds`, between two moments."""
        a, a_day = start
        b, b_day = end
        if b <= a:
            return 0.0
        if self.always_open:
            return (b - a) / _US
        return self._open_us(a, a_day, b, b_day) / _US

    def add(self, start: datetime, seconds: float) -> datetime:
        """The earliest instant (UTC) by which `seconds` of open time have passed since `start`.

        `add(start, 0)` is the next opening at or after `start`, so an event at a closed hour
        counts from the next opening. A result that lands exactly on a closing time is that
        closing instant, not the next opening.
        """
        return from_epoch_us(self.add_from(self.moment(start, "start"), seconds))

    def add_from(self, start: Moment, seconds: float) -> int:
        """`add` from a moment, in µs since the epoch."""
        a, a_day = start
        n = _seconds_to_us(seconds)
        if self.always_open:
            return a + n
        if n == 0:
            return self._next_open_us(a, a_day)
        return self._add_us(a, a_day, n)

    def next_open(self, at: datetime) -> datetime:
        """`at` (as UTC) if the calendar is open then, else the next instant it opens."""
        us = epoch_us(at)
        if self.always_open:
            return from_epoch_us(us)
        return from_epoch_us(self._next_open_us(us, self._ordinal(at)))

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open stretches within [start, end), as UTC (opening, closing) pairs.

        Ranges that touch (17:00-24:00 then 00:00-09:00 the next day) come out as one stretch.
        """
        a, b = epoch_us(start, "start"), epoch_us(end, "end")
        if b <= a:
            return
        if self.always_open:
            yield from_epoch_us(a), from_epoch_us(b)
            return
        pending: _Interval | None = None
        for ordinal in range(self._ordinal(start), self._ordinal(end) + 1):
            for lo, hi in self._day(ordinal):
                lo, hi = max(lo, a), min(hi, b)
                if lo >= hi:
                    continue
                if pending is not None and pending[1] == lo:
                    pending = (pending[0], hi)
                    continue
                if pending is not None:
                    yield from_epoch_us(pending[0]), from_epoch_us(pending[1])
                pending = (lo, hi)
        if pending is not None:
            yield from_epoch_us(pending[0]), from_epoch_us(pending[1])

    def learned(self) -> tuple[int, list[int]] | None:
        """The running totals worked out so far (first date, cumulative µs), for a process
        forked from this one to hand back (`learn`); None when there are none."""
        totals = self._totals
        return None if len(totals.cumulative) == 1 else (totals.first, totals.cumulative)

    def learn(self, learned: tuple[int, list[int]]) -> None:
        """Take the running totals a process forked from this one worked out, if they cover
        more days: the same calendar and zone data, so the same totals."""
        first, cumulative = learned
        if len(cumulative) > len(self._totals.cumulative):
            self._totals.first, self._totals.cumulative = first, list(cumulative)

    # -- days -------------------------------------------------------------------------------

    def _ordinal(self, at: datetime) -> int:
        """The proleptic ordinal of the local date of `at` in this calendar's zone."""
        return at.astimezone(self.timezone).toordinal()

    def _is_holiday(self, day: date) -> bool:
        if day in self.holidays:
            return True
        if self.holiday_country is None:
            return False
        return day in _country_holidays(self.holiday_country, self.holiday_subdiv, day.year)

    def _day(self, ordinal: int) -> tuple[_Interval, ...]:
        """Open intervals of one local date, in µs; empty on holidays and closed weekdays."""
        cached = self._days.get(ordinal)
        if cached is not None:
            return cached
        day = date.fromordinal(ordinal)
        intervals: list[_Interval] = []
        ranges = self.hours.get(day.weekday(), ())
        if ranges and not self._is_holiday(day):
            midnight = self._steady_midnight(day)
            for start_minute, end_minute in ranges:
                if midnight is not None:
                    opens = midnight + start_minute * _US_PER_MINUTE
                    closes = midnight + end_minute * _US_PER_MINUTE
                else:
                    opens = self._wall_clock_reaches(day, start_minute)
                    closes = self._wall_clock_reaches(day, end_minute)
                # A range wholly inside a spring-forward gap never happens on that day.
                if closes > opens:
                    intervals.append((opens, closes))
        result = tuple(intervals)
        self._days[ordinal] = result
        return result

    def _steady_midnight(self, day: date) -> int | None:
        """The µs of the local midnight that starts `day` when the zone's UTC offset is the
        same at both ends of the day, so every wall-clock minute of it is that offset away
        from UTC; None on a day with a transition, which `_wall_clock_reaches` settles.

        Building a year of days took a tenth of a second through `_wall_clock_reaches`, and
        only a few days a year change offset. (Zones change offset at most once a day.)
        """
        zone = self.timezone
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        following = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        if midnight.utcoffset() != following.utcoffset():
            return None
        return epoch_us(midnight)

    def _wall_clock_reaches(self, day: date, minute: int) -> int:
        """The first instant at which the local clock on `day` shows `minute` or later.

        This is the one rule for every range boundary, and it settles both DST oddities:
        a repeated time (fall back) is its first occurrence, so a range opening at 02:30
        opens once; a skipped time (spring forward) is the instant the clock jumps past it,
        so a range opening at 02:30 opens at 03:00 local, when the clock first reads later.
        """
        if minute == MINUTES_PER_DAY:
            day, minute = day + timedelta(days=1), 0
        wall = datetime.combine(day, time(minute // 60, minute % 60))
        first = wall.replace(tzinfo=self.timezone)  # fold=0: the earlier of a repeated time
        us = epoch_us(first)
        if from_epoch_us(us).astimezone(self.timezone).replace(tzinfo=None) == wall:
            return us
        # `wall` falls in a gap; fold=0 and fold=1 map it to either side of the transition.
        # Zone transitions fall on whole seconds, so bisect on seconds between the two.
        other = epoch_us(first.replace(fold=1))
        lo, hi = sorted((other // _US, us // _US))
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if from_epoch_us(mid * _US).astimezone(self.timezone).replace(tzinfo=None) >= wall:
                hi = mid
            else:
                lo = mid
        return hi * _US

    def _totals_covering(self, first_day: int, stop_day: int) -> _RunningTotals:
        """The running totals, grown (a whole year at a time) to cover first_day..stop_day-1."""
        totals = self._totals
        if len(totals.cumulative) == 1:
            totals.first = _january_first(first_day)
        if first_day < totals.first:
            new_first = _january_first(first_day)
            running = 0
            earlier = [0]
            for day in range(new_first, totals.first):
                running += self._day_total(day)
                earlier.append(running)
            totals.cumulative = earlier + [value + running for value in totals.cumulative[1:]]
            totals.first = new_first
        covered_until = totals.first + len(totals.cumulative) - 1
        if stop_day > covered_until:
            new_stop = _january_first(stop_day - 1 + 366)
            running = totals.cumulative[-1]
            for day in range(covered_until, new_stop):
                running += self._day_total(day)
                totals.cumulative.append(running)
        return totals

    def _day_total(self, ordinal: int) -> int:
        return sum(end - start for start, end in self._day(ordinal))

    # -- arithmetic in µs -------------------------------------------------------------------
    # Every instant on local date d lies between the opening of d's first possible range and
    # the end of d's last (at most d + 1 at 00:00), so only the first and last day of a span
    # need their intervals; the days between are read from the running totals.

    def _open_us(self, a: int, a_day: int, b: int, b_day: int) -> int:
        # The hot path of every SLA clock: lookups are bound to locals and the cached case of
        # `_day` inlined, which roughly halves its cost.
        days = self._days
        first = days.get(a_day)
        if first is None:
            first = self._day(a_day)
        total = 0
        for start, end in first:
            if end > a:
                total += min(end, b) - max(start, a) if start < b else 0
        if a_day == b_day:
            return total
        last = days.get(b_day)
        if last is None:
            last = self._day(b_day)
        for start, end in last:
            if start < b:
                total += min(end, b) - start
        if b_day > a_day + 1:
            totals = self._totals
            cumulative, covered = totals.cumulative, totals.first
            if a_day + 1 < covered or b_day >= covered + len(cumulative):
                self._totals_covering(a_day + 1, b_day)
                cumulative, covered = totals.cumulative, totals.first
            total += cumulative[b_day - covered] - cumulative[a_day + 1 - covered]
        return total

    def _add_us(self, a: int, a_day: int, n: int) -> int:
        days = self._days
        first = days.get(a_day)
        if first is None:
            first = self._day(a_day)
        for start, end in first:
            if end <= a:
                continue
            start = max(start, a)
            if n <= end - start:
                return start + n
            n -= end - start
        from_day = a_day + 1
        totals = self._totals
        cumulative, covered = totals.cumulative, totals.first
        i = from_day - covered
        # Usually the table already reaches far enough; otherwise grow it and search again.
        if i < 0 or i >= len(cumulative) or cumulative[-1] < cumulative[i] + n:
            self._first_day_reaching(from_day, n)
            cumulative, covered = totals.cumulative, totals.first
            i = from_day - covered
        j = bisect.bisect_left(cumulative, cumulative[i] + n, i + 1)
        # What the whole days before day j - 1 did not use runs out on that day.
        n -= cumulative[j - 1] - cumulative[i]
        for start, end in self._day(covered + j - 1):
            if n <= end - start:
                return start + n
            n -= end - start
        raise AssertionError("running totals disagree with the day's intervals")

    def _next_open_us(self, a: int, a_day: int) -> int:
        for start, end in self._day(a_day):
            if a < end:
                return max(start, a)
        # One microsecond of open time is first reached on the first day that opens at all.
        return self._day(self._first_day_reaching(a_day + 1, 1))[0][0]

    def _first_day_reaching(self, from_day: int, n: int) -> int:
        """The day on which the open time of whole days from `from_day` on reaches n µs (n > 0)."""
        horizon = from_day + 366
        previous_total = -1
        empty_years = 0
        while True:
            totals = self._totals_covering(from_day, horizon)
            cumulative = totals.cumulative
            i = from_day - totals.first
            target = cumulative[i] + n
            if cumulative[-1] >= target:
                return totals.first + bisect.bisect_left(cumulative, target, i + 1) - 1
            # Not enough open time in what is covered so far: look a year further.
            empty_years = empty_years + 1 if cumulative[-1] == previous_total else 0
            if empty_years > _MAX_EMPTY_YEARS:
                opened = date.fromordinal(from_day).isoformat()
                raise ValueError(
                    f"calendar {self.id!r} has no open time in the {_MAX_EMPTY_YEARS} years "
                    f"after {opened}: check its hours and holidays"
                )
            previous_total = cumulative[-1]
            horizon = totals.first + len(cumulative)


# --- country holidays ----------------------------------------------------------------------
# The `holidays` package's answers by (country, subdivision, year), shared by every calendar
# of the process. Importing the package and computing a year costs ~100 ms, so what was looked
# up is handed on (`known_country_holidays`): kept in the parse cache for the next run, and
# sent back by parse workers to the process that forked them. The receiver starts from it
# (`recall_country_holidays`), checked against the installed version before its first use.

_CountryYear = tuple[str, str | None, int]
_COUNTRY_HOLIDAYS: dict[_CountryYear, frozenset[date]] = {}
# Recalled but not yet checked against the installed version: (version, dates, whether the
# parse cache has them already).
_recalled: list[tuple[str, dict[_CountryYear, frozenset[date]], bool]] = []
_unkept = False  # whether the store holds dates the parse cache does not have yet


@lru_cache(maxsize=1)
def _holidays_version() -> str:
    """The installed holidays package's version (looked up once: each lookup scans sys.path)."""
    from importlib.metadata import version

    return version("holidays")


def _country_holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    global _unkept
    key = (country, subdiv, year)
    found = _COUNTRY_HOLIDAYS.get(key)
    if found is not None:
        return found
    if _recalled:
        installed = _holidays_version()
        for version, dates, kept in _recalled:
            if version == installed:
                _COUNTRY_HOLIDAYS.update(dates)
                _unkept = _unkept or not kept
        _recalled.clear()
        found = _COUNTRY_HOLIDAYS.get(key)
        if found is not None:
            return found
    # Imported here: ~100 ms that only calendars with holiday_country should pay.
    import holidays as holidays_lib

    loaded = holidays_lib.country_holidays(country, subdiv=subdiv, years=year)
    found = _COUNTRY_HOLIDAYS[key] = frozenset(loaded.keys())
    _unkept = True
    return found


def known_country_holidays() -> tuple[str, list[tuple[str, str | None, int, list[int]]]] | None:
    """The country holidays known so far, as plain data (dates as ordinals) with the
    `holidays` version that gave them; None when all of them came from the parse cache
    (`recall_country_holidays(..., kept=True)`), so there is nothing new to keep or send."""
    global _unkept
    for version, dates, kept in _recalled:
        # Recalled and never needed here, but news to whoever this is handed to.
        if not kept and version == _holidays_version():
            _COUNTRY_HOLIDAYS.update(dates)
            _unkept = True
    if not _unkept:
        return None
    return _holidays_version(), [
        (country, subdiv, year, sorted(day.toordinal() for day in days))
        for (country, subdiv, year), days in sorted(
            _COUNTRY_HOLIDAYS.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2])
        )
    ]


def recall_country_holidays(known: object, *, kept: bool) -> None:
    """Start from what `known_country_holidays` returned elsewhere: in an earlier run (`kept`:
    the parse cache has it) or in a parse worker. It is used only if the installed `holidays`
    package is the version that gave it."""
    try:
        version, entries = cast(tuple[Any, Any], known)
        dates = {
            (str(country), subdiv, int(year)): frozenset(date.fromordinal(o) for o in ordinals)
            for country, subdiv, year, ordinals in entries
        }
    except (TypeError, ValueError):
        return  # not what known_country_holidays returns: ignore it
    _recalled.append((str(version), dates, kept))


class _RunningTotals:
    """Open µs before each local date of a contiguous range of dates that only ever grows.

    `cumulative[k]` is the open time of the days `first .. first + k - 1`, so the open time of
    any run of whole days is one subtraction, and the day a target is reached one bisection.
    """

    __slots__ = ("cumulative", "first")

    def __init__(self) -> None:
        self.first = 0
        self.cumulative = [0]


def _january_first(ordinal: int) -> int:
    return date(date.fromordinal(ordinal).year, 1, 1).toordinal()


def _overlap(intervals: tuple[_Interval, ...], a: int, b: int) -> int:
    total = 0
    for start, end in intervals:
        lo, hi = max(start, a), min(end, b)
        if hi > lo:
            total += hi - lo
    return total


# -- policy -------------------------------------------------------------------------------------

_RANGE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", re.ASCII)
_RANGE_HOW = "write HH:MM-HH:MM such as 09:00-17:00 (24:00 may end a range)"


def calendar_from_policy(
    entry: Mapping[str, object],
    *,
    path: str = "policy/calendars.yaml",
    line: int = 0,
    pointer: str = "",
    check_country: bool = True,
) -> Calendar:
    """Build a `Calendar` from one item of `calendars:` in policy/calendars.yaml.

    `pointer` is the JSON pointer of the item (e.g. `/calendars/1`); errors point below it.
    Raises `PolicyError` for an unknown zone, a malformed, inverted or overlapping range, an
    unknown weekday or holiday country, or a calendar that is never open: the first problem
    found, where `calendar_problems` gives every one. Without `check_country` a holiday
    country is taken as known (it was checked before).
    """
    calendar, problems = calendar_problems(
        entry, path=path, line=line, pointer=pointer, check_country=check_country
    )
    if problems:
        raise problems[0]
    assert calendar is not None  # no problem, so a calendar
    return calendar


def calendar_problems(
    entry: Mapping[str, object],
    *,
    path: str = "policy/calendars.yaml",
    line: int = 0,
    pointer: str = "",
    check_country: bool = True,
) -> tuple[Calendar | None, list[PolicyError]]:
    """`calendar_from_policy` reporting every problem of the item instead of the first.

    Returns the calendar and no problems, or None and every problem (in the order of the
    item's keys: id, always_open, timezone, hours by weekday and range, holidays, country).
    A problem that makes others meaningless stops the look there: a calendar whose ranges are
    all broken is not also reported as never open.
    """
    problems: list[PolicyError] = []

    def error(message: str, where: str = "") -> None:
        problems.append(PolicyError(message, path=path, line=line, pointer=pointer + where))

    if not isinstance(entry, Mapping):
        error(f"a calendar is a mapping with id and timezone, not {entry!r}")
        return None, problems
    calendar_id = entry.get("id")
    if not isinstance(calendar_id, str) or not calendar_id:
        error("a calendar needs an id such as emea-business", "/id")
        calendar_id = "?"
    always_open = entry.get("always_open", False)
    if not isinstance(always_open, bool):
        error(f"always_open is true or false, not {always_open!r}", "/always_open")
        always_open = False

    zone_name = entry.get("timezone", "UTC" if always_open else None)
    zone: ZoneInfo | None = None
    if zone_name is None:
        error(
            f"calendar {calendar_id!r} needs a timezone such as Europe/Berlin: "
            "its hours are local wall-clock time",
            "/timezone",
        )
    else:
        zone = _zone(zone_name, error)

    if always_open:
        for key in ("hours", "holidays", "holiday_country", "holiday_subdiv"):
            if entry.get(key):
                error(
                    f"calendar {calendar_id!r} is always_open, so {key} would be ignored: "
                    "remove it, or drop always_open and give hours (00:00-24:00 for all day)",
                    f"/{key}",
                )
        if problems or zone is None:
            return None, problems
        return Calendar(id=calendar_id, timezone=zone, always_open=True), []

    before = len(problems)
    hours = _hours(entry.get("hours"), error)
    if not hours and len(problems) == before:
        error(
            f"calendar {calendar_id!r} is never open: set always_open: true "
            'or give hours such as mon: ["09:00-17:00"]'
        )
    explicit = _holiday_dates(entry.get("holidays"), error)
    country, subdiv = entry.get("holiday_country"), entry.get("holiday_subdiv")
    if check_country or not (isinstance(country, str | None) and isinstance(subdiv, str | None)):
        country, subdiv = _holiday_country(country, subdiv, error)
    if problems or zone is None:
        return None, problems
    assert isinstance(country, str | None) and isinstance(subdiv, str | None)
    calendar = Calendar(
        id=calendar_id,
        timezone=zone,
        hours=hours,
        holidays=explicit,
        holiday_country=country,
        holiday_subdiv=subdiv,
    )
    return calendar, []


class _Report(Protocol):
    """The `error(message, where)` closure in calendar_problems: records one problem of the
    item (it knows path, line and pointer)."""

    def __call__(self, message: str, where: str = "", /) -> None: ...


def _zone(name: object, error: _Report) -> ZoneInfo | None:
    if not isinstance(name, str) or not name.strip():
        error(f"{name!r} is not an IANA timezone such as Europe/Berlin", "/timezone")
        return None
    try:
        return ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    known = zoneinfo.available_timezones()
    by_lower = {zone.lower(): zone for zone in known}
    # Catch the usual slips: wrong case, a city without its region, a near-miss spelling.
    suggestions = [by_lower[name.lower()]] if name.lower() in by_lower else []
    suggestions += sorted(z for z in known if z.lower().rsplit("/", 1)[-1] == name.lower())
    suggestions += [
        by_lower[match]
        for match in difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.7)
    ]
    unique = list(dict.fromkeys(suggestions))[:3]
    hint = (
        f": did you mean {' or '.join(unique)}?"
        if unique
        else ": use an IANA name such as Europe/Berlin"
    )
    error(f"unknown timezone {name!r}{hint}", "/timezone")
    return None


def _hours(value: object, error: _Report) -> dict[int, tuple[tuple[int, int], ...]]:
    """The weekly hours; every bad weekday, range and overlap is reported, and the rest kept."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        error('hours maps weekdays to ranges, e.g. mon: ["09:00-17:00"]', "/hours")
        return {}
    hours: dict[int, tuple[tuple[int, int], ...]] = {}
    for key, ranges in value.items():
        where = f"/hours/{key}"
        if key not in WEEKDAYS:
            close = difflib.get_close_matches(str(key).lower(), WEEKDAYS, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]}? " if close else ""
            error(f"unknown weekday {key!r}: {hint}use {', '.join(WEEKDAYS)}", where)
            continue
        if not isinstance(ranges, list):
            error(f'{key} takes a list of ranges, e.g. {key}: ["09:00-17:00"]', where)
            continue
        parsed = [
            (span, i)
            for i, text in enumerate(ranges)
            if (span := _range(text, error, f"{where}/{i}")) is not None
        ]
        # Sorted, but with positions kept, so an overlap points at the range written second.
        ordered = sorted(parsed)
        overlapping = False
        for (previous, i), (current, j) in itertools.pairwise(ordered):
            if current[0] < previous[1]:
                overlapping = True
                later, earlier = (j, i) if j > i else (i, j)
                error(
                    f"{ranges[later]!r} overlaps {ranges[earlier]!r} on {key}: "
                    "merge them into one range",
                    f"{where}/{later}",
                )
        if ordered and not overlapping:
            hours[WEEKDAYS.index(key)] = tuple(span for span, _ in ordered)
    return hours


def _range(text: object, error: _Report, where: str) -> tuple[int, int] | None:
    match = _RANGE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        error(f"{text!r} is not a time range: {_RANGE_HOW}", where)
        return None
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        error(f"{text!r} is not a time range: {_RANGE_HOW}", where)
        return None
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if end <= start:
        what = "is empty" if end == start else "ends before it starts"
        error(
            f"{text!r} {what}: a range ends later the same day; for a night shift write "
            "22:00-24:00 on one day and 00:00-06:00 on the next",
            where,
        )
        return None
    return start, end


def _holiday_dates(value: object, error: _Report) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        error('holidays is a list of dates, e.g. ["2026-12-25"]', "/holidays")
        return frozenset()
    dates: set[date] = set()
    for i, item in enumerate(value):
        # The YAML loader keeps dates as strings, but a plain safe_load gives date objects.
        if isinstance(item, date) and not isinstance(item, datetime):
            dates.add(item)
            continue
        try:
            if not isinstance(item, str):
                raise ValueError
            dates.add(date.fromisoformat(item.strip()))
        except ValueError:
            error(f"{item!r} is not a date: write YYYY-MM-DD such as 2026-12-25", f"/holidays/{i}")
    return frozenset(dates)


def _holiday_country(
    country: object, subdiv: object, error: _Report
) -> tuple[str | None, str | None]:
    if country is None:
        if subdiv is not None:
            error(
                "holiday_subdiv needs a holiday_country (e.g. holiday_country: DE, "
                "holiday_subdiv: BY)",
                "/holiday_subdiv",
            )
        return None, None
    # Imported here: ~100 ms that only calendars with holiday_country should pay.
    import holidays as holidays_lib

    if not isinstance(country, str):
        error(f"holiday_country is a code such as DE, not {country!r}", "/holiday_country")
        return None, None
    try:
        # Cheap once imported: no year is populated until a date is looked up.
        known = holidays_lib.country_holidays(country)
    except NotImplementedError:
        hint = ""
        if country.upper() != country:
            try:
                holidays_lib.country_holidays(country.upper())
                hint = f"did you mean {country.upper()}? "
            except NotImplementedError:
                pass
        error(
            f"unknown holiday country {country!r}: {hint}use an ISO 3166-1 code "
            "the holidays package supports, such as DE, US, GB or AU",
            "/holiday_country",
        )
        return None, None
    if subdiv is None:
        return country, None
    if not isinstance(subdiv, str):
        error(f"holiday_subdiv is a code such as BY, not {subdiv!r}", "/holiday_subdiv")
        return country, None
    try:
        holidays_lib.country_holidays(country, subdiv=subdiv)
    except NotImplementedError:
        codes = [str(code) for code in getattr(known, "subdivisions", ())]
        choice = f"use one of {', '.join(codes)}" if codes else "it has none"
        error(f"{country} has no subdivision {subdiv!r}: {choice}", "/holiday_subdiv")
    return country, subdiv
