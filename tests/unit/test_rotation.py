"""On-call rotations: turns in wall-clock time, overrides, and the next shift."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from escalate.rotation import next_shift, on_call, shift_at

WEEKLY: dict[str, Any] = {
    "id": "payments-eng-weekly",
    "team": "payments-eng",
    "start": "2026-01-05T09:00:00+01:00",
    "length": "7d",
    "handoff_timezone": "Europe/Berlin",
    "members": ["dan", "ivan", "uma"],
    "overrides": [
        {
            "start": "2026-11-23T09:00:00+01:00",
            "end": "2026-11-25T18:00:00+01:00",
            "handle": "carol",
            "reason": "Swap",
        },
        {"start": "2026-11-24T00:00:00+01:00", "end": "2026-11-27T00:00:00+01:00", "handle": "bob"},
    ],
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("instant", "handle"),
    [
        ("2026-01-05T09:00:00+01:00", "dan"),  # the first turn starts with the first member
        ("2026-01-12T08:59:59+01:00", "dan"),
        ("2026-01-12T09:00:00+01:00", "ivan"),
        ("2026-01-19T09:00:00+01:00", "uma"),
        ("2026-01-26T09:00:00+01:00", "dan"),  # and wraps around
        ("2026-01-05T08:59:00+01:00", "uma"),  # before start, the order runs backwards
    ],
)
def test_members_take_turns_in_order(instant: str, handle: str) -> None:
    assert on_call(WEEKLY, at(instant)) == handle


def test_handover_stays_at_local_nine_across_daylight_saving() -> None:
    # 2026-03-30 is the first Monday of summer time in Berlin: 09:00 local is 07:00 UTC.
    # Weeks since 2026-01-05: 12, so ivan's turn ends and uma's (12 % 3 = 0 -> dan) begins.
    assert on_call(WEEKLY, at("2026-03-30T06:59:00+00:00")) == "uma"
    assert on_call(WEEKLY, at("2026-03-30T07:00:00+00:00")) == "dan"


def test_without_handoff_zone_turns_are_elapsed_time() -> None:
    rotation = {key: value for key, value in WEEKLY.items() if key != "handoff_timezone"}
    # 08:00 UTC is 09:00 in winter; in summer the elapsed-time turn changes at 10:00 Berlin.
    assert on_call(rotation, at("2026-03-30T07:30:00+00:00")) == "uma"
    assert on_call(rotation, at("2026-03-30T08:00:00+00:00")) == "dan"


def test_overrides_replace_the_scheduled_member() -> None:
    scheduled = on_call(WEEKLY, at("2026-11-23T08:00:00+01:00"))
    assert on_call(WEEKLY, at("2026-11-23T09:00:00+01:00")) == "carol"
    # overlapping overrides: the first listed wins while it lasts
    assert on_call(WEEKLY, at("2026-11-24T12:00:00+01:00")) == "carol"
    assert on_call(WEEKLY, at("2026-11-25T18:00:00+01:00")) == "bob"
    # [start, end): back to the schedule at the end
    assert on_call(WEEKLY, at("2026-11-27T00:00:00+01:00")) != "bob"
    assert scheduled in WEEKLY["members"]


def test_shift_boundaries_follow_overrides() -> None:
    shift = shift_at(WEEKLY, at("2026-11-16T12:00:00+01:00"))
    assert shift.start == at("2026-11-16T09:00:00+01:00")
    assert shift.end == at("2026-11-23T09:00:00+01:00")  # cut short by the override
    assert not shift.override
    override = shift_at(WEEKLY, at("2026-11-23T10:00:00+01:00"))
    assert (override.handle, override.override, override.reason) == ("carol", True, "Swap")
    assert override.end == at("2026-11-25T18:00:00+01:00")
    after = shift_at(WEEKLY, at("2026-11-27T01:00:00+01:00"))
    assert after.start == at("2026-11-27T00:00:00+01:00")


def test_next_shift_is_the_next_person() -> None:
    following = next_shift(WEEKLY, at("2026-11-16T12:00:00+01:00"))
    assert (following.handle, following.start) == ("carol", at("2026-11-23T09:00:00+01:00"))
    after_carol = next_shift(WEEKLY, at("2026-11-23T10:00:00+01:00"))
    assert (after_carol.handle, after_carol.start) == ("bob", at("2026-11-25T18:00:00+01:00"))


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        on_call(WEEKLY, datetime(2026, 11, 22, 12, 0))
