"""Calendar arithmetic: hand-computed tables, properties, and policy errors.

Every expected value below was worked out by hand; the comment on each case shows the sum.
Offsets: Berlin is +01:00 in winter (CET) and +02:00 in summer (CEST); New York -05:00 (EST)
and -04:00 (EDT); Sydney +11:00 in January (AEDT). 2026-11-20 is a Friday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.calendar import WEEKDAYS, Calendar, calendar_from_policy, calendar_problems
from escalate.errors import PolicyError

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
LONDON = ZoneInfo("Europe/London")

H = 3600
M = 60

WEEKDAYS_9_TO_5 = {day: ["09:00-17:00"] for day in WEEKDAYS[:5]}


def _make(entry: dict[str, Any]) -> Calendar:
    return calendar_from_policy(entry, pointer="/calendars/0")


CALENDARS: dict[str, Calendar] = {
    "24x7": _make({"id": "24x7", "timezone": "UTC", "always_open": True}),
    # Mon-Fri 09-17 Berlin plus German public holidays (2026-12-25 and 26).
    "emea": _make(
        {
            "id": "emea",
            "timezone": "Europe/Berlin",
            "hours": WEEKDAYS_9_TO_5,
            "holiday_country": "DE",
        }
    ),
    # Same hours, plus an explicit Christmas Eve closure.
    "emea-xmas": _make(
        {
            "id": "emea-xmas",
            "timezone": "Europe/Berlin",
            "hours": WEEKDAYS_9_TO_5,
            "holidays": ["2026-12-24"],
            "holiday_country": "DE",
        }
    ),
    "us": _make(
        {
            "id": "us",
            "timezone": "America/New_York",
            "hours": WEEKDAYS_9_TO_5,
            "holiday_country": "US",
        }
    ),
    "au": _make(
        {
            "id": "au",
            "timezone": "Australia/Sydney",
            "hours": WEEKDAYS_9_TO_5,
            "holiday_country": "AU",
        }
    ),
    # Two ranges a day: closed for lunch 12:00-13:00.
    "lunch": _make(
        {
            "id": "lunch",
            "timezone": "Europe/London",
            "hours": {day: ["13:00-17:30", "09:00-12:00"] for day in WEEKDAYS[:5]},
        }
    ),
    # Every local day open all day: real time, so 23 h / 25 h on DST days.
    "berlin-allday": _make(
        {
            "id": "berlin-allday",
            "timezone": "Europe/Berlin",
            "hours": {day: ["00:00-24:00"] for day in WEEKDAYS},
        }
    ),
    "ny-allday": _make(
        {
            "id": "ny-allday",
            "timezone": "America/New_York",
            "hours": {day: ["00:00-24:00"] for day in WEEKDAYS},
        }
    ),
    # Weekend cover: Fri 18:00 through Mon 08:00 without a break at midnight.
    "weekend": _make(
        {
            "id": "weekend",
            "timezone": "Europe/Berlin",
            "hours": {
                "fri": ["18:00-24:00"],
                "sat": ["00:00-24:00"],
                "sun": ["00:00-24:00"],
                "mon": ["00:00-08:00"],
            },
        }
    ),
    # Santiago changes its clocks at midnight (00:00 is skipped in September and repeated as
    # 23:00 in April); Lord Howe Island shifts by only 30 minutes. Used by the properties.
    "santiago-allday": _make(
        {
            "id": "santiago-allday",
            "timezone": "America/Santiago",
            "hours": {day: ["00:00-24:00"] for day in WEEKDAYS},
        }
    ),
    "santiago-late": _make(
        {
            "id": "santiago-late",
            "timezone": "America/Santiago",
            "hours": {day: ["00:00-00:30", "22:30-24:00"] for day in WEEKDAYS[:6]},
        }
    ),
    "lord-howe": _make(
        {
            "id": "lord-howe",
            "timezone": "Australia/Lord_Howe",
            "hours": {day: ["01:00-03:00", "09:00-17:00"] for day in WEEKDAYS[:5]},
        }
    ),
    # A range inside the DST hour: skipped in spring, partly repeated in autumn.
    "night": _make({"id": "night", "timezone": "Europe/Berlin", "hours": {"sun": ["02:30-04:00"]}}),
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# (calendar, start, seconds, expected result)
ADD_CASES = [
    pytest.param(
        # opened Fri 16:30 Berlin, 4h business target: 30m Fri + 3h30m Mon
        # -> Mon 12:30 +01:00 = 11:30Z
        "emea",
        "2026-11-20T16:30:00+01:00",
        4 * H,
        "2026-11-23T11:30:00+00:00",
        id="weekend-crossing-fri-to-mon",
    ),
    pytest.param(
        # Mon 10:00 +01 + 2h, all on Monday -> 12:00 +01 = 11:00Z
        "emea",
        "2026-11-23T10:00:00+01:00",
        2 * H,
        "2026-11-23T11:00:00+00:00",
        id="same-day",
    ),
    pytest.param(
        # Sat 10:00 is closed: counting starts Mon 09:00; + 1h -> Mon 10:00 +01 = 09:00Z
        "emea",
        "2026-11-21T10:00:00+01:00",
        1 * H,
        "2026-11-23T09:00:00+00:00",
        id="closed-saturday-counts-from-monday",
    ),
    pytest.param(
        # Mon 07:00 is before opening: from 09:00, + 30m -> 09:30 +01 = 08:30Z
        "emea",
        "2026-11-23T07:00:00+01:00",
        30 * M,
        "2026-11-23T08:30:00+00:00",
        id="before-opening-counts-from-opening",
    ),
    pytest.param(
        # Tue 18:30 is after closing: from Wed 09:00, + 15m -> 09:15 +01 = 08:15Z
        "emea",
        "2026-11-24T18:30:00+01:00",
        15 * M,
        "2026-11-25T08:15:00+00:00",
        id="after-closing-counts-from-next-morning",
    ),
    pytest.param(
        # Mon 09:00 + 8h = exactly Mon 17:00 +01 = 16:00Z (closing, not Tue 09:00)
        "emea",
        "2026-11-23T09:00:00+01:00",
        8 * H,
        "2026-11-23T16:00:00+00:00",
        id="lands-on-closing-boundary",
    ),
    pytest.param(
        # Fri 13:00 + 4h = exactly Fri 17:00 +01 = 16:00Z, not Monday morning
        "emea",
        "2026-11-20T13:00:00+01:00",
        4 * H,
        "2026-11-20T16:00:00+00:00",
        id="lands-on-friday-closing",
    ),
    pytest.param(
        # Mon 09:00 + 16h: 8h Mon (to 17:00) + 8h Tue -> Tue 17:00 +01 = 16:00Z
        "emea",
        "2026-11-23T09:00:00+01:00",
        16 * H,
        "2026-11-24T16:00:00+00:00",
        id="two-full-days-end-on-closing",
    ),
    pytest.param(
        # open at Mon 10:00: add 0 is the instant itself = 09:00Z
        "emea",
        "2026-11-23T10:00:00+01:00",
        0,
        "2026-11-23T09:00:00+00:00",
        id="add-zero-while-open",
    ),
    pytest.param(
        # Sat 10:00 closed: add 0 is the next opening, Mon 09:00 +01 = 08:00Z
        "emea",
        "2026-11-21T10:00:00+01:00",
        0,
        "2026-11-23T08:00:00+00:00",
        id="add-zero-while-closed",
    ),
    pytest.param(
        # Fri 17:00 is the closing instant (ranges are half-open): add 0 -> Mon 09:00 = 08:00Z
        "emea",
        "2026-11-20T17:00:00+01:00",
        0,
        "2026-11-23T08:00:00+00:00",
        id="add-zero-at-closing-instant",
    ),
    pytest.param(
        # 2d = 48 open hours = 6 working days: Mon 09:00 + 6 x 8h -> Mon Nov 30 17:00 +01
        # (Mon..Fri = 40h, Mon Nov 30 = 8h) = 16:00Z
        "emea",
        "2026-11-23T09:00:00+01:00",
        48 * H,
        "2026-11-30T16:00:00+00:00",
        id="two-calendar-days-are-six-working-days",
    ),
    pytest.param(
        # Wed Dec 23 16:00 + 2h: 1h Wed; Thu 24 open (not a DE holiday) -> Thu 10:00 +01 = 09:00Z
        "emea",
        "2026-12-23T16:00:00+01:00",
        2 * H,
        "2026-12-24T09:00:00+00:00",
        id="de-christmas-eve-is-a-working-day",
    ),
    pytest.param(
        # 1h Wed Dec 23; Thu 24 explicit holiday, Fri 25 + Sat 26 DE holidays, Sun closed
        # -> Mon Dec 28 10:00 +01 = 09:00Z
        "emea-xmas",
        "2026-12-23T16:00:00+01:00",
        2 * H,
        "2026-12-28T09:00:00+00:00",
        id="explicit-and-country-holidays",
    ),
    pytest.param(
        # Thu Dec 24 16:00 + 2h on DE: 1h Thu; Fri 25, Sat 26 holidays; Sun closed
        # -> Mon Dec 28 10:00 +01 = 09:00Z
        "emea",
        "2026-12-24T16:00:00+01:00",
        2 * H,
        "2026-12-28T09:00:00+00:00",
        id="de-christmas-days",
    ),
    pytest.param(
        # Wed Nov 25 15:00 EST + 4h: 2h Wed; Thu 26 Thanksgiving; Fri 27 09:00 + 2h
        # -> Fri 11:00 -05:00 = 16:00Z
        "us",
        "2026-11-25T15:00:00-05:00",
        4 * H,
        "2026-11-27T16:00:00+00:00",
        id="us-thanksgiving",
    ),
    pytest.param(
        # Mon Jan 25 2027 16:00 AEDT + 2h: 1h Mon; Tue 26 Australia Day; Wed 09:00 + 1h
        # -> Wed Jan 27 10:00 +11:00 = Jan 26 23:00Z
        "au",
        "2027-01-25T16:00:00+11:00",
        2 * H,
        "2027-01-26T23:00:00+00:00",
        id="au-australia-day",
    ),
    pytest.param(
        # Fri Mar 27 13:00 CET (12:00Z) + 8h: 4h Fri; Europe springs forward Sun 29;
        # 4h Mon -> Mon 13:00 CEST (+02:00) = 11:00Z
        "emea",
        "2026-03-27T13:00:00+01:00",
        8 * H,
        "2026-03-30T11:00:00+00:00",
        id="eu-spring-forward-business",
    ),
    pytest.param(
        # Fri Oct 23 13:00 CEST (11:00Z) + 8h: 4h Fri; Europe falls back Sun 25;
        # 4h Mon -> Mon 13:00 CET (+01:00) = 12:00Z
        "emea",
        "2026-10-23T13:00:00+02:00",
        8 * H,
        "2026-10-26T12:00:00+00:00",
        id="eu-fall-back-business",
    ),
    pytest.param(
        # Fri Mar 6 15:00 EST (20:00Z) + 4h: 2h Fri; US springs forward Sun 8;
        # 2h Mon -> Mon Mar 9 11:00 EDT (-04:00) = 15:00Z
        "us",
        "2026-03-06T15:00:00-05:00",
        4 * H,
        "2026-03-09T15:00:00+00:00",
        id="us-spring-forward-business",
    ),
    pytest.param(
        # Fri Oct 30 16:00 EDT (20:00Z) + 2h: 1h Fri; US falls back Sun Nov 1;
        # 1h Mon -> Mon Nov 2 10:00 EST (-05:00) = 15:00Z
        "us",
        "2026-10-30T16:00:00-04:00",
        2 * H,
        "2026-11-02T15:00:00+00:00",
        id="us-fall-back-business",
    ),
    pytest.param(
        # 24x7 across the EU fall-back: Sat Oct 24 12:00 CEST (10:00Z) + 24h real
        # -> Sun Oct 25 10:00Z (= 11:00 CET: the wall clock shows 23h later)
        "24x7",
        "2026-10-24T12:00:00+02:00",
        24 * H,
        "2026-10-25T10:00:00+00:00",
        id="24x7-24h-across-eu-fall-back",
    ),
    pytest.param(
        # 24x7 across the US spring-forward: Sat Mar 7 12:00 EST (17:00Z) + 24h real
        # -> Sun Mar 8 17:00Z (= 13:00 EDT)
        "24x7",
        "2026-03-07T12:00:00-05:00",
        24 * H,
        "2026-03-08T17:00:00+00:00",
        id="24x7-24h-across-us-spring-forward",
    ),
    pytest.param(
        # All-day Berlin calendar counts real time too: Sat Mar 28 12:00 CET (11:00Z) + 24h
        # -> Sun Mar 29 11:00Z (= 13:00 CEST)
        "berlin-allday",
        "2026-03-28T12:00:00+01:00",
        24 * H,
        "2026-03-29T11:00:00+00:00",
        id="allday-24h-across-eu-spring-forward",
    ),
    pytest.param(
        # Sat Oct 31 12:00 EDT (16:00Z) + 24h on an all-day NY calendar -> Sun Nov 1 16:00Z
        "ny-allday",
        "2026-10-31T12:00:00-04:00",
        24 * H,
        "2026-11-01T16:00:00+00:00",
        id="allday-24h-across-us-fall-back",
    ),
    pytest.param(
        # London (GMT in Nov), lunch 12-13: Mon 11:30 + 1h: 30m to 12:00, 30m from 13:00
        # -> 13:30Z
        "lunch",
        "2026-11-16T11:30:00+00:00",
        1 * H,
        "2026-11-16T13:30:00+00:00",
        id="lunch-break-skipped",
    ),
    pytest.param(
        # Mon 10:00 + 2h lands exactly on the lunch closing at 12:00Z (not 13:00)
        "lunch",
        "2026-11-16T10:00:00+00:00",
        2 * H,
        "2026-11-16T12:00:00+00:00",
        id="lunch-lands-on-closing",
    ),
    pytest.param(
        # 12:30 is in the lunch break: add 0 -> 13:00Z
        "lunch",
        "2026-11-16T12:30:00+00:00",
        0,
        "2026-11-16T13:00:00+00:00",
        id="lunch-add-zero",
    ),
    pytest.param(
        # Mon 16:30 + 2h: 1h to 17:30, then Tue 09:00 + 1h -> Tue 10:00Z
        "lunch",
        "2026-11-16T16:30:00+00:00",
        2 * H,
        "2026-11-17T10:00:00+00:00",
        id="lunch-overnight",
    ),
    pytest.param(
        # Weekend cover across midnight: Fri 23:00 +01 + 3h: 1h Fri, 2h Sat -> Sat 02:00 +01
        # = 01:00Z
        "weekend",
        "2026-11-20T23:00:00+01:00",
        3 * H,
        "2026-11-21T01:00:00+00:00",
        id="midnight-spanning",
    ),
    pytest.param(
        # Fri 18:00 + 62h = 6h Fri + 24h Sat + 24h Sun + 8h Mon -> Mon 08:00 +01 = 07:00Z
        "weekend",
        "2026-11-20T18:00:00+01:00",
        62 * H,
        "2026-11-23T07:00:00+00:00",
        id="whole-weekend-to-closing",
    ),
    pytest.param(
        # Mon 08:00 +01 has just closed; the next opening is Fri 18:00 +01 = 17:00Z
        "weekend",
        "2026-11-23T08:00:00+01:00",
        0,
        "2026-11-27T17:00:00+00:00",
        id="weekend-next-opening",
    ),
    pytest.param(
        # Spring-forward Sunday, range 02:30-04:00: 02:30 never shows, so it opens when the
        # clock jumps to 03:00 CEST (01:00Z); + 30m -> 01:30Z
        "night",
        "2026-03-29T00:00:00+01:00",
        30 * M,
        "2026-03-29T01:30:00+00:00",
        id="range-opening-in-spring-gap",
    ),
    pytest.param(
        # Fall-back Sunday: opens at the first 02:30 (CEST, 00:30Z), closes 04:00 CET (03:00Z);
        # 2h30m of real time, so + 2h30m lands exactly on the closing instant 03:00Z
        "night",
        "2026-10-25T00:00:00+02:00",
        2 * H + 30 * M,
        "2026-10-25T03:00:00+00:00",
        id="range-across-repeated-hour",
    ),
    pytest.param(
        # 10 days = 240 open hours = 30 working days from Mon Nov 2 09:00: Nov has 21
        # working days to Nov 30 (168h); Dec 1-11 gives 9 more (72h) -> Fri Dec 11 17:00 +01
        "emea",
        "2026-11-02T09:00:00+01:00",
        240 * H,
        "2026-12-11T16:00:00+00:00",
        id="long-target-over-weeks",
    ),
]


@pytest.mark.parametrize(("calendar", "start", "seconds", "expected"), ADD_CASES)
def test_add(calendar: str, start: str, seconds: int, expected: str) -> None:
    result = CALENDARS[calendar].add(at(start), seconds)
    assert result == at(expected)
    assert result.tzinfo is UTC
    # Reading the clock back gives the target (no open time "leaks" at boundaries).
    assert CALENDARS[calendar].open_seconds(at(start), result) == seconds


# (calendar, start, end, expected open seconds)
OPEN_SECONDS_CASES = [
    pytest.param(
        # Fri 16:00 -> Mon 10:00 Berlin: 1h Fri + 0 Sat/Sun + 1h Mon = 2h
        "emea",
        "2026-11-20T16:00:00+01:00",
        "2026-11-23T10:00:00+01:00",
        2 * H,
        id="weekend-crossing",
    ),
    pytest.param(
        # Sat 00:00 -> Mon 00:00: closed all weekend
        "emea",
        "2026-11-21T00:00:00+01:00",
        "2026-11-23T00:00:00+01:00",
        0,
        id="weekend-only",
    ),
    pytest.param(
        # Mon Nov 2 09:00 -> Tue Dec 1 09:00: working days Nov 2-30 are 21 x 8h = 168h
        "emea",
        "2026-11-02T09:00:00+01:00",
        "2026-12-01T09:00:00+01:00",
        168 * H,
        id="a-month",
    ),
    pytest.param(
        # Fri Mar 27 12:00 CET -> Mon Mar 30 12:00 CEST: 5h Fri + 3h Mon = 8h
        # (71 real hours: the spring-forward hour was at night)
        "emea",
        "2026-03-27T12:00:00+01:00",
        "2026-03-30T12:00:00+02:00",
        8 * H,
        id="eu-spring-forward-weekend-business",
    ),
    pytest.param(
        # Mon Oct 26 09:00 CET -> 17:00 CET, the day after the fall-back: 8h
        "emea",
        "2026-10-26T09:00:00+01:00",
        "2026-10-26T17:00:00+01:00",
        8 * H,
        id="eu-business-day-after-fall-back",
    ),
    pytest.param(
        # Fri Oct 30 09:00 EDT -> Mon Nov 2 17:00 EST: 8h + 8h = 16h across the US fall-back
        "us",
        "2026-10-30T09:00:00-04:00",
        "2026-11-02T17:00:00-05:00",
        16 * H,
        id="us-fall-back-weekend-business",
    ),
    pytest.param(
        # Sun Mar 29 Berlin, local midnight to midnight: 00:00+01 (Sat 23:00Z) to
        # 00:00+02 (Sun 22:00Z) = 23 real hours
        "berlin-allday",
        "2026-03-29T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
        23 * H,
        id="eu-spring-forward-day-is-23h",
    ),
    pytest.param(
        # Sun Oct 25 Berlin: 00:00+02 (Sat 22:00Z) to 00:00+01 (Sun 23:00Z) = 25 real hours
        "berlin-allday",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
        25 * H,
        id="eu-fall-back-day-is-25h",
    ),
    pytest.param(
        # Sun Mar 8 New York: 00:00-05 (05:00Z) to 00:00-04 (Mar 9 04:00Z) = 23h
        "ny-allday",
        "2026-03-08T00:00:00-05:00",
        "2026-03-09T00:00:00-04:00",
        23 * H,
        id="us-spring-forward-day-is-23h",
    ),
    pytest.param(
        # Sun Nov 1 New York: 00:00-04 (04:00Z) to 00:00-05 (Nov 2 05:00Z) = 25h
        "ny-allday",
        "2026-11-01T00:00:00-04:00",
        "2026-11-02T00:00:00-05:00",
        25 * H,
        id="us-fall-back-day-is-25h",
    ),
    pytest.param(
        # 24x7 over the same Berlin fall-back day: 25 real hours
        "24x7",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
        25 * H,
        id="24x7-fall-back-day",
    ),
    pytest.param(
        # Weekend cover over the spring-forward weekend: Fri 18:00 CET (17:00Z) to
        # Mon 08:00 CEST (06:00Z) = 61h
        "weekend",
        "2026-03-27T00:00:00+01:00",
        "2026-03-31T00:00:00+02:00",
        61 * H,
        id="weekend-cover-spring-forward",
    ),
    pytest.param(
        # ... and over the fall-back weekend: Fri 18:00 CEST (16:00Z) to Mon 08:00 CET
        # (07:00Z) = 63h
        "weekend",
        "2026-10-23T00:00:00+02:00",
        "2026-10-27T00:00:00+01:00",
        63 * H,
        id="weekend-cover-fall-back",
    ),
    pytest.param(
        # Spring-forward Sunday, 02:30-04:00 range: only 03:00-04:00 CEST exists = 1h
        "night",
        "2026-03-29T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
        1 * H,
        id="range-in-spring-gap-is-shortened",
    ),
    pytest.param(
        # Fall-back Sunday: first 02:30 CEST (00:30Z) to 04:00 CET (03:00Z) = 2h30m
        "night",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
        2 * H + 30 * M,
        id="range-across-repeated-hour-is-longer",
    ),
    pytest.param(
        # London Mon 10:00 -> 14:00 with lunch 12-13: 2h + 1h = 3h
        "lunch",
        "2026-11-16T10:00:00+00:00",
        "2026-11-16T14:00:00+00:00",
        3 * H,
        id="lunch-break-not-counted",
    ),
    pytest.param(
        # Mon 09:00 -> Sat 00:00 London: 5 days x (3h + 4h30m) = 37h30m
        "lunch",
        "2026-11-16T09:00:00+00:00",
        "2026-11-21T00:00:00+00:00",
        37 * H + 30 * M,
        id="lunch-week",
    ),
    pytest.param(
        # Wed Dec 23 09:00 -> Tue Dec 29 09:00 on DE: 8h Wed + 8h Thu 24; Fri 25 and Sat 26
        # holidays, Sun closed, 8h Mon 28 = 24h
        "emea",
        "2026-12-23T09:00:00+01:00",
        "2026-12-29T09:00:00+01:00",
        24 * H,
        id="de-christmas-week",
    ),
    pytest.param(
        # ... and with Thu 24 closed as well: 16h
        "emea-xmas",
        "2026-12-23T09:00:00+01:00",
        "2026-12-29T09:00:00+01:00",
        16 * H,
        id="explicit-christmas-eve",
    ),
    pytest.param(
        # Thanksgiving week, Mon Nov 23 09:00 EST -> Sat Nov 28: 4 working days x 8h = 32h
        "us",
        "2026-11-23T09:00:00-05:00",
        "2026-11-28T00:00:00-05:00",
        32 * H,
        id="us-thanksgiving-week",
    ),
    pytest.param(
        # Sydney Mon Jan 25 - Fri Jan 29 2027 whole week: Tue 26 is Australia Day -> 4 x 8h
        "au",
        "2027-01-25T00:00:00+11:00",
        "2027-01-30T00:00:00+11:00",
        32 * H,
        id="au-australia-day-week",
    ),
    pytest.param(
        # end before start -> 0
        "emea",
        "2026-11-23T12:00:00+01:00",
        "2026-11-23T10:00:00+01:00",
        0,
        id="end-before-start",
    ),
    pytest.param(
        # end == start -> 0
        "emea",
        "2026-11-23T12:00:00+01:00",
        "2026-11-23T12:00:00+01:00",
        0,
        id="empty-span",
    ),
    pytest.param(
        # 24x7: end before start -> 0, not negative
        "24x7",
        "2026-11-23T12:00:00+00:00",
        "2026-11-23T10:00:00+00:00",
        0,
        id="24x7-end-before-start",
    ),
    pytest.param(
        # Start and end given in different zones: Mon 09:30 +01 (08:30Z) -> 15:30Z (16:30 +01)
        # = 7h of the 09:00-17:00 day
        "emea",
        "2026-11-23T09:30:00+01:00",
        "2026-11-23T15:30:00+00:00",
        7 * H,
        id="mixed-offsets",
    ),
]


@pytest.mark.parametrize(("calendar", "start", "end", "expected"), OPEN_SECONDS_CASES)
def test_open_seconds(calendar: str, start: str, end: str, expected: int) -> None:
    assert CALENDARS[calendar].open_seconds(at(start), at(end)) == expected


IS_OPEN_CASES = [
    # Mon 09:00 opens (inclusive), 17:00 closes (exclusive), 16:59:59 still open
    pytest.param("emea", "2026-11-23T09:00:00+01:00", True, id="opening-instant-is-open"),
    pytest.param("emea", "2026-11-23T16:59:59+01:00", True, id="last-second-open"),
    pytest.param("emea", "2026-11-23T17:00:00+01:00", False, id="closing-instant-is-closed"),
    pytest.param("emea", "2026-11-21T12:00:00+01:00", False, id="saturday"),
    pytest.param("emea", "2026-12-25T12:00:00+01:00", False, id="de-holiday"),
    pytest.param("us", "2026-11-26T12:00:00-05:00", False, id="thanksgiving"),
    pytest.param("lunch", "2026-11-16T12:15:00+00:00", False, id="lunch"),
    pytest.param("weekend", "2026-11-22T00:00:00+01:00", True, id="midnight-inside-cover"),
    pytest.param("24x7", "2026-12-25T12:00:00+00:00", True, id="24x7"),
    # Hours are Berlin wall clock whatever the input's offset: 08:30Z is 09:30 Berlin (open),
    # 16:30Z is 17:30 Berlin (closed)
    pytest.param("emea", "2026-11-23T08:30:00+00:00", True, id="utc-input-berlin-morning"),
    pytest.param("emea", "2026-11-23T16:30:00+00:00", False, id="utc-input-berlin-evening"),
]


@pytest.mark.parametrize(("calendar", "instant", "expected"), IS_OPEN_CASES)
def test_is_open(calendar: str, instant: str, expected: bool) -> None:
    assert CALENDARS[calendar].is_open(at(instant)) is expected


def test_next_open_returns_the_instant_itself_when_open() -> None:
    instant = at("2026-11-23T10:00:00+01:00")
    result = CALENDARS["emea"].next_open(instant)
    assert result == instant
    assert result.tzinfo is UTC


def test_next_open_skips_weekend_and_holidays() -> None:
    # Thu Dec 24 17:30 +01 on emea-xmas: Fri 25 / Sat 26 holidays, Sun closed -> Mon 28 09:00
    result = CALENDARS["emea-xmas"].next_open(at("2026-12-23T17:30:00+01:00"))
    assert result == at("2026-12-28T09:00:00+01:00")


def test_open_intervals_merges_ranges_that_touch_at_midnight() -> None:
    intervals = list(
        CALENDARS["weekend"].open_intervals(
            at("2026-11-20T00:00:00+01:00"), at("2026-11-24T00:00:00+01:00")
        )
    )
    # Fri 18:00 +01 through Mon 08:00 +01 as one stretch
    assert intervals == [(at("2026-11-20T17:00:00+00:00"), at("2026-11-23T07:00:00+00:00"))]


def test_open_intervals_clips_to_the_span() -> None:
    intervals = list(
        CALENDARS["lunch"].open_intervals(
            at("2026-11-16T11:00:00+00:00"), at("2026-11-17T10:00:00+00:00")
        )
    )
    assert intervals == [
        (at("2026-11-16T11:00:00+00:00"), at("2026-11-16T12:00:00+00:00")),
        (at("2026-11-16T13:00:00+00:00"), at("2026-11-16T17:30:00+00:00")),
        (at("2026-11-17T09:00:00+00:00"), at("2026-11-17T10:00:00+00:00")),
    ]
    assert all(start.tzinfo is UTC and end.tzinfo is UTC for start, end in intervals)


def test_open_intervals_always_open_and_empty() -> None:
    start, end = at("2026-11-16T11:00:00+00:00"), at("2026-11-18T11:00:00+00:00")
    assert list(CALENDARS["24x7"].open_intervals(start, end)) == [(start, end)]
    assert list(CALENDARS["24x7"].open_intervals(end, start)) == []
    assert list(CALENDARS["emea"].open_intervals(end, start)) == []


def test_a_span_far_before_the_first_query_extends_the_tables() -> None:
    calendar = _make({"id": "fresh", "timezone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_5})
    # Build the tables for 2026 first, then ask about a span that starts years earlier:
    # Mon Jan 2 2023 09:00 +01 -> Mon Jan 9 2023 09:00 +01 is 5 x 8h = 40h.
    calendar.open_seconds(at("2026-06-01T00:00:00+02:00"), at("2026-07-01T00:00:00+02:00"))
    assert (
        calendar.open_seconds(at("2023-01-02T09:00:00+01:00"), at("2023-01-09T09:00:00+01:00"))
        == 40 * H
    )
    # And one that runs across several years: add 2 years' worth of open time and read it back.
    start = at("2023-01-02T09:00:00+01:00")
    target = 2 * 52 * 40 * H
    assert calendar.open_seconds(start, calendar.add(start, target)) == target


@pytest.mark.parametrize(
    "method",
    [
        pytest.param(lambda c, t: c.is_open(t), id="is_open"),
        pytest.param(lambda c, t: c.next_open(t), id="next_open"),
        pytest.param(lambda c, t: c.add(t, 60), id="add"),
        pytest.param(lambda c, t: c.open_seconds(t, t), id="open_seconds"),
        pytest.param(lambda c, t: list(c.open_intervals(t, t)), id="open_intervals"),
    ],
)
@pytest.mark.parametrize("calendar", ["emea", "24x7"])
def test_naive_datetimes_are_refused(calendar: str, method: Any) -> None:
    naive = datetime(2026, 11, 23, 10, 0)
    with pytest.raises(ValueError, match="naive datetime"):
        method(CALENDARS[calendar], naive)


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf")])
def test_add_refuses_negative_or_non_finite_seconds(seconds: float) -> None:
    with pytest.raises(ValueError, match="finite number >= 0"):
        CALENDARS["emea"].add(at("2026-11-23T10:00:00+01:00"), seconds)


def test_a_calendar_closed_for_ever_raises_instead_of_looping() -> None:
    # Only 2026-11-23 (a Monday) is ever listed as open, and it is a holiday.
    calendar = Calendar(
        id="closed",
        timezone=BERLIN,
        hours={0: ((540, 1020),)},
        holidays=frozenset(
            date(2026, 11, 23) + timedelta(weeks=week) for week in range(-2, 60 * 53)
        ),
    )
    with pytest.raises(ValueError, match="has no open time in the 20 years after 2026-11-24"):
        calendar.add(at("2026-11-23T10:00:00+01:00"), 60)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"hours": {}}, "never open", id="no-hours"),
        pytest.param({"hours": {7: ((0, 60),)}}, "weekday 7", id="bad-weekday"),
        pytest.param({"hours": {0: ((600, 540),)}}, "bad range", id="inverted"),
        pytest.param({"hours": {0: ((0, 1441),)}}, "bad range", id="past-midnight"),
        pytest.param({"hours": {0: ((540, 720), (700, 800))}}, "overlapping", id="overlap"),
    ],
)
def test_calendar_constructor_checks_its_hours(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Calendar(id="x", timezone=BERLIN, **kwargs)


def test_calendar_is_hashable_and_compares_by_value() -> None:
    first = Calendar(id="x", timezone=BERLIN, hours={0: ((540, 1020),)})
    second = Calendar(id="x", timezone=BERLIN, hours={0: ((540, 1020),)})
    assert first == second
    assert hash(first) == hash(second)
    assert {first, second} == {first}


def test_policy_builds_the_documented_example() -> None:
    calendar = calendar_from_policy(
        {
            "id": "emea-business",
            "timezone": "Europe/Berlin",
            "hours": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": ["2026-12-25", date(2026, 12, 26)],
            "holiday_country": "DE",
            "holiday_subdiv": "BY",
        }
    )
    assert calendar.id == "emea-business"
    assert calendar.timezone == BERLIN
    assert calendar.hours[0] == ((540, 1020),)
    assert 5 not in calendar.hours
    assert calendar.holidays == {date(2026, 12, 25), date(2026, 12, 26)}
    # BY adds Epiphany (Jan 6, a Tuesday in 2026), which DE as a whole does not have.
    assert not calendar.is_open(at("2026-01-06T10:00:00+01:00"))
    assert CALENDARS["emea"].is_open(at("2026-01-06T10:00:00+01:00"))


def test_policy_always_open_defaults_to_utc() -> None:
    calendar = calendar_from_policy({"id": "24x7", "always_open": True})
    assert calendar.always_open
    assert calendar.timezone == ZoneInfo("UTC")


def test_policy_accepts_touching_ranges_and_24_00() -> None:
    calendar = _make(
        {"id": "x", "timezone": "UTC", "hours": {"mon": ["12:00-24:00", "00:00-12:00"]}}
    )
    assert calendar.hours[0] == ((0, 720), (720, 1440))


# -- policy errors ------------------------------------------------------------------------------

BASE: dict[str, Any] = {
    "id": "emea",
    "timezone": "Europe/Berlin",
    "hours": {"mon": ["09:00-17:00"]},
}

POLICY_ERROR_CASES = [
    pytest.param(
        {"timezone": "Europe/Berln"},
        "/calendars/3/timezone",
        "unknown timezone 'Europe/Berln': did you mean Europe/Berlin",
        id="zone-typo",
    ),
    pytest.param(
        {"timezone": "berlin"},
        "/calendars/3/timezone",
        "unknown timezone 'berlin': did you mean Europe/Berlin?",
        id="zone-city-only",
    ),
    pytest.param(
        {"timezone": "Nowhere/Special"},
        "/calendars/3/timezone",
        "unknown timezone 'Nowhere/Special': use an IANA name such as Europe/Berlin",
        id="zone-no-suggestion",
    ),
    pytest.param(
        {"timezone": "+01:00"},
        "/calendars/3/timezone",
        "unknown timezone '+01:00'",
        id="zone-fixed-offset",
    ),
    pytest.param(
        {"timezone": None},
        "/calendars/3/timezone",
        "needs a timezone such as Europe/Berlin",
        id="zone-missing",
    ),
    pytest.param(
        {"id": ""},
        "/calendars/3/id",
        "a calendar needs an id",
        id="id-missing",
    ),
    pytest.param(
        {"hours": {"mon": ["17:00-09:00"]}},
        "/calendars/3/hours/mon/0",
        "'17:00-09:00' ends before it starts",
        id="inverted-range",
    ),
    pytest.param(
        {"hours": {"mon": ["09:00-09:00"]}},
        "/calendars/3/hours/mon/0",
        "'09:00-09:00' is empty",
        id="empty-range",
    ),
    pytest.param(
        {"hours": {"mon": ["09:00-17:00", "13:00-18:00"]}},
        "/calendars/3/hours/mon/1",
        "'13:00-18:00' overlaps '09:00-17:00' on mon: merge them into one range",
        id="overlap",
    ),
    pytest.param(
        # Written out of order: the pointer names the range written second.
        {"hours": {"tue": ["13:00-18:00", "08:00-14:00"]}},
        "/calendars/3/hours/tue/1",
        "'08:00-14:00' overlaps '13:00-18:00' on tue",
        id="overlap-out-of-order",
    ),
    pytest.param(
        {"hours": {"mon": ["9-17"]}},
        "/calendars/3/hours/mon/0",
        "'9-17' is not a time range: write HH:MM-HH:MM such as 09:00-17:00",
        id="malformed",
    ),
    pytest.param(
        {"hours": {"mon": ["09:00-17:00", "25:00-26:00"]}},
        "/calendars/3/hours/mon/1",
        "'25:00-26:00' is not a time range",
        id="hour-out-of-range",
    ),
    pytest.param(
        {"hours": {"mon": ["09:00-24:30"]}},
        "/calendars/3/hours/mon/0",
        "'09:00-24:30' is not a time range",
        id="past-24-00",
    ),
    pytest.param(
        {"hours": {"mon": ["24:00-24:00"]}},
        "/calendars/3/hours/mon/0",
        "'24:00-24:00' is not a time range",
        id="starts-at-24-00",
    ),
    pytest.param(
        {"hours": {"mon": [900]}},
        "/calendars/3/hours/mon/0",
        "900 is not a time range",
        id="not-a-string",
    ),
    pytest.param(
        {"hours": {"mon": "09:00-17:00"}},
        "/calendars/3/hours/mon",
        "mon takes a list of ranges",
        id="range-not-in-a-list",
    ),
    pytest.param(
        {"hours": {"monday": ["09:00-17:00"]}},
        "/calendars/3/hours/monday",
        "unknown weekday 'monday': did you mean mon? use mon, tue, wed, thu, fri, sat, sun",
        id="unknown-weekday",
    ),
    pytest.param(
        {"hours": ["09:00-17:00"]},
        "/calendars/3/hours",
        "hours maps weekdays to ranges",
        id="hours-not-a-mapping",
    ),
    pytest.param(
        {"holiday_country": "XX"},
        "/calendars/3/holiday_country",
        "unknown holiday country 'XX': use an ISO 3166-1 code",
        id="unknown-country",
    ),
    pytest.param(
        {"holiday_country": "de"},
        "/calendars/3/holiday_country",
        "unknown holiday country 'de': did you mean DE?",
        id="lowercase-country",
    ),
    pytest.param(
        {"holiday_country": "DE", "holiday_subdiv": "ZZ"},
        "/calendars/3/holiday_subdiv",
        "DE has no subdivision 'ZZ': use one of BB, BE, BW, BY",
        id="unknown-subdivision",
    ),
    pytest.param(
        {"holiday_subdiv": "BY"},
        "/calendars/3/holiday_subdiv",
        "holiday_subdiv needs a holiday_country",
        id="subdivision-without-country",
    ),
    pytest.param(
        {"holidays": ["2026-12-25", "25.12.2026"]},
        "/calendars/3/holidays/1",
        "'25.12.2026' is not a date: write YYYY-MM-DD",
        id="bad-holiday-date",
    ),
    pytest.param(
        {"holidays": "2026-12-25"},
        "/calendars/3/holidays",
        "holidays is a list of dates",
        id="holidays-not-a-list",
    ),
    pytest.param(
        {"hours": None},
        "/calendars/3",
        "calendar 'emea' is never open: set always_open: true or give hours",
        id="no-hours",
    ),
    pytest.param(
        {"hours": {"mon": [], "tue": []}},
        "/calendars/3",
        "calendar 'emea' is never open",
        id="only-empty-days",
    ),
    pytest.param(
        {"always_open": True},
        "/calendars/3/hours",
        "calendar 'emea' is always_open, so hours would be ignored",
        id="always-open-with-hours",
    ),
    pytest.param(
        {"always_open": "yes"},
        "/calendars/3/always_open",
        "always_open is true or false",
        id="always-open-not-bool",
    ),
]


@pytest.mark.parametrize(("change", "pointer", "message"), POLICY_ERROR_CASES)
def test_policy_errors(change: dict[str, Any], pointer: str, message: str) -> None:
    entry = {**BASE, **change}
    with pytest.raises(PolicyError) as raised:
        calendar_from_policy(entry, path="policy/calendars.yaml", line=12, pointer="/calendars/3")
    error = raised.value
    assert message in error.message
    assert error.pointer == pointer
    assert error.path == "policy/calendars.yaml"
    assert error.line == 12
    assert error.rule == "policy"
    assert str(error).startswith(f"policy/calendars.yaml:12: {pointer}: ")


def _problems(entry: dict[str, Any]) -> list[tuple[str, str]]:
    calendar, problems = calendar_problems(
        entry, path="policy/calendars.yaml", pointer="/calendars/3"
    )
    assert calendar is None
    assert all(problem.path == "policy/calendars.yaml" for problem in problems)
    return [(problem.pointer, problem.message) for problem in problems]


def test_every_problem_of_a_calendar_is_reported() -> None:
    # An overlap on Monday and an inverted range on Tuesday: both, not only the first.
    found = _problems(
        {**BASE, "hours": {"mon": ["09:00-17:00", "13:00-18:00"], "tue": ["17:00-09:00"]}}
    )
    assert [pointer for pointer, _ in found] == [
        "/calendars/3/hours/mon/1",
        "/calendars/3/hours/tue/0",
    ]
    assert "overlaps '09:00-17:00' on mon" in found[0][1]
    assert "'17:00-09:00' ends before it starts" in found[1][1]
    # calendar_from_policy still raises one: the first.
    with pytest.raises(PolicyError, match="overlaps"):
        calendar_from_policy(
            {**BASE, "hours": {"mon": ["09:00-17:00", "13:00-18:00"], "tue": ["17:00-09:00"]}}
        )


def test_problems_in_every_part_of_a_calendar_come_together() -> None:
    found = _problems(
        {
            "id": "emea",
            "timezone": "Europe/Berln",
            "hours": {"mon": ["9-17", "09:00-17:00"], "monday": ["09:00-17:00"]},
            "holidays": ["2026-12-25", "25.12.2026"],
            "holiday_country": "XX",
        }
    )
    assert [pointer for pointer, _ in found] == [
        "/calendars/3/timezone",
        "/calendars/3/hours/mon/0",
        "/calendars/3/hours/monday",
        "/calendars/3/holidays/1",
        "/calendars/3/holiday_country",
    ]


def test_a_calendar_whose_ranges_are_all_broken_is_not_also_never_open() -> None:
    found = _problems({**BASE, "hours": {"mon": ["17:00-09:00"]}})
    assert [message for _, message in found] == [
        "'17:00-09:00' ends before it starts: a range ends later the same day; for a night "
        "shift write 22:00-24:00 on one day and 00:00-06:00 on the next"
    ]


def test_a_sound_calendar_has_no_problems() -> None:
    calendar, problems = calendar_problems(BASE)
    assert problems == []
    assert calendar is not None and calendar.hours == {0: ((540, 1020),)}


# -- properties ---------------------------------------------------------------------------------

BUSINESS = [
    "emea",
    "emea-xmas",
    "us",
    "au",
    "lunch",
    "weekend",
    "night",
    "berlin-allday",
    "santiago-allday",
    "santiago-late",
    "lord-howe",
]

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
# Whole microseconds, as datetimes carry no finer time.
durations = st.integers(min_value=0, max_value=40 * 86_400 * 10**6).map(lambda us: us / 10**6)
quick = settings(deadline=None, database=None, max_examples=300)


@quick
@given(st.sampled_from(BUSINESS), instants, durations)
def test_open_seconds_reads_back_what_add_added(name: str, start: datetime, x: float) -> None:
    calendar = CALENDARS[name]
    assert calendar.open_seconds(start, calendar.add(start, x)) == pytest.approx(x, abs=1e-6)


@quick
@given(st.sampled_from(BUSINESS), instants, durations, durations)
def test_add_is_monotonic(name: str, start: datetime, x: float, y: float) -> None:
    calendar = CALENDARS[name]
    low, high = sorted((x, y))
    assert calendar.add(start, low) <= calendar.add(start, high)


@quick
@given(st.sampled_from(BUSINESS), instants, durations)
def test_business_time_never_ends_before_real_time(name: str, start: datetime, x: float) -> None:
    assert CALENDARS[name].add(start, x) >= CALENDARS["24x7"].add(start, x)


@quick
@given(st.sampled_from(["berlin-allday", "ny-allday", "santiago-allday"]), instants, instants)
def test_all_day_calendars_count_real_time(name: str, a: datetime, b: datetime) -> None:
    # Whatever a zone does at midnight or at 02:00, every real second belongs to one local day.
    start, end = sorted((a, b))
    assert CALENDARS[name].open_seconds(start, end) == (end - start).total_seconds()


@quick
@given(st.sampled_from(BUSINESS), instants, instants)
def test_open_time_never_exceeds_real_time(name: str, a: datetime, b: datetime) -> None:
    start, end = sorted((a, b))
    assert 0 <= CALENDARS[name].open_seconds(start, end) <= (end - start).total_seconds()


@quick
@given(st.sampled_from([*BUSINESS, "24x7"]), instants, instants, instants)
def test_open_seconds_is_additive(name: str, a: datetime, b: datetime, c: datetime) -> None:
    calendar = CALENDARS[name]
    start, middle, end = sorted((a, b, c))
    whole = calendar.open_seconds(start, end)
    parts = calendar.open_seconds(start, middle) + calendar.open_seconds(middle, end)
    assert whole == pytest.approx(parts, abs=1e-6)


@quick
@given(st.sampled_from(BUSINESS), instants, st.integers(min_value=0, max_value=60 * 86_400))
def test_open_intervals_agree_with_open_seconds_and_is_open(
    name: str, start: datetime, span: int
) -> None:
    calendar = CALENDARS[name]
    end = start + timedelta(seconds=span)
    intervals = list(calendar.open_intervals(start, end))
    total = sum((b - a).total_seconds() for a, b in intervals)
    assert total == pytest.approx(calendar.open_seconds(start, end), abs=1e-6)
    for opening, closing in intervals:
        assert calendar.is_open(opening)
        assert opening < closing
        # A stretch ends where the calendar closes, or where the span was cut off.
        assert closing == end or not calendar.is_open(closing)


@quick
@given(st.sampled_from(BUSINESS), instants)
def test_add_zero_is_next_open_and_next_open_is_open(name: str, start: datetime) -> None:
    calendar = CALENDARS[name]
    opening = calendar.next_open(start)
    assert calendar.add(start, 0) == opening
    assert opening >= start
    assert calendar.is_open(opening)
    assert calendar.open_seconds(start, opening) == 0


# --- country holidays handed on between runs and processes ---------------------------------------


@pytest.fixture
def holiday_store(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """An empty process-wide store of country holidays, and the lookups the holidays package
    is asked for (a fake: Germany's holidays are 1 January and 3 October of any year)."""
    import holidays

    from escalate import calendar as calendar_module

    monkeypatch.setattr(calendar_module, "_COUNTRY_HOLIDAYS", {})
    monkeypatch.setattr(calendar_module, "_recalled", [])
    monkeypatch.setattr(calendar_module, "_unkept", False)
    asked: list[tuple[str, int]] = []

    def country_holidays(country: str, subdiv: str | None = None, years: int = 0) -> Any:
        asked.append((country, years))
        return {date(years, 1, 1): "Neujahr", date(years, 10, 3): "Tag der Deutschen Einheit"}

    monkeypatch.setattr(holidays, "country_holidays", country_holidays)
    return asked


def _german() -> Calendar:
    return Calendar(
        "de", ZoneInfo("Europe/Berlin"), hours=dict.fromkeys(range(5), ((540, 1020),)),
        holiday_country="DE",
    )  # fmt: skip


def test_country_holidays_are_looked_up_once_and_handed_on(
    holiday_store: list[tuple[str, int]],
) -> None:
    from escalate.calendar import known_country_holidays

    assert known_country_holidays() is None, "nothing looked up yet"
    assert (
        _german().open_seconds(at("2026-10-02T00:00:00Z"), at("2026-10-06T00:00:00Z")) == 16 * 3600
    )
    assert _german().is_open(at("2026-10-03T10:00:00Z")) is False  # Saturday anyway
    assert holiday_store == [("DE", 2026)], "one lookup for the year, shared by both calendars"
    version, entries = known_country_holidays()  # type: ignore[misc]
    assert entries == [
        ("DE", None, 2026, [date(2026, 1, 1).toordinal(), date(2026, 10, 3).toordinal()])
    ]
    assert version == __import__("importlib.metadata").metadata.version("holidays")


def test_recalled_holidays_spare_the_lookup_only_from_the_same_version(
    holiday_store: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalate import calendar as calendar_module
    from escalate.calendar import known_country_holidays, recall_country_holidays

    installed = calendar_module._holidays_version()
    # A closure on a Wednesday that the (fake) package does not know: only a recalled entry
    # can close it, which shows the recalled dates are used.
    wednesday = date(2026, 11, 18)
    recall_country_holidays((installed, [("DE", None, 2026, [wednesday.toordinal()])]), kept=True)
    assert _german().is_open(at("2026-11-18T10:00:00Z")) is False
    assert holiday_store == []
    assert known_country_holidays() is None, "all of it came from the cache: nothing to keep"

    monkeypatch.setattr(calendar_module, "_COUNTRY_HOLIDAYS", {})
    recall_country_holidays(("0.0.1", [("DE", None, 2026, [wednesday.toordinal()])]), kept=True)
    assert _german().is_open(at("2026-11-18T10:00:00Z")) is True, "another version: not used"
    assert holiday_store == [("DE", 2026)]

    recall_country_holidays("not what known_country_holidays returns", kept=True)
    assert calendar_module._recalled == []


def test_holidays_from_a_parse_worker_are_kept(holiday_store: list[tuple[str, int]]) -> None:
    from escalate import calendar as calendar_module
    from escalate.calendar import known_country_holidays, recall_country_holidays

    day = date(2026, 11, 18).toordinal()
    recall_country_holidays(
        (calendar_module._holidays_version(), [("DE", None, 2026, [day])]), kept=False
    )
    # Not needed here, yet news for the parse cache.
    assert known_country_holidays() == (
        calendar_module._holidays_version(),
        [("DE", None, 2026, [day])],
    )
    assert holiday_store == []


# --- days without a transition, computed the short way --------------------------------------------
# Zones chosen for odd transitions: negative DST (Dublin), DST at midnight (Santiago, Havana,
# Tehran), half-hour shifts (Lord Howe), Ramadan breaks (Casablanca), a date-line jump (Apia),
# two-hour DST (Troll), and zones that abolished DST (Moscow, Sao Paulo).
ODD_ZONES = [
    "Europe/Berlin", "Europe/Dublin", "America/New_York", "America/Santiago", "America/Havana",
    "Asia/Tehran", "Australia/Lord_Howe", "Pacific/Chatham", "Africa/Casablanca", "Asia/Gaza",
    "America/Sao_Paulo", "Pacific/Apia", "Europe/Moscow", "Antarctica/Troll", "Asia/Kolkata",
]  # fmt: skip


@pytest.mark.parametrize("zone", ODD_ZONES)
def test_a_day_with_one_offset_opens_where_the_exact_rule_says(zone: str) -> None:
    calendar = Calendar("odd", ZoneInfo(zone), always_open=True)
    day, last = date(2010, 1, 1), date(2036, 1, 1)
    steady = changing = 0
    while day < last:
        midnight = calendar._steady_midnight(day)
        if midnight is None:
            changing += 1
        else:
            steady += 1
            for minute in (0, 150, 1439, 1440):
                exact = calendar._wall_clock_reaches(day, minute)
                assert midnight + minute * 60_000_000 == exact, (day, minute)
        day += timedelta(days=1)
    assert steady > 9000
    if zone != "Asia/Kolkata":
        assert changing > 0, "the zone changed offset at least once since 2010"
