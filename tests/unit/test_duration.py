"""Durations as policy writes them, and as people read them back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.duration import format_duration, parse_duration, suggest_duration

M = 60
H = 60 * M
D = 24 * H

PARSE_CASES = [
    pytest.param("15m", 15 * M, id="minutes"),
    pytest.param("4h", 4 * H, id="hours"),
    pytest.param("1h30m", H + 30 * M, id="hours-minutes"),
    pytest.param("2d", 2 * D, id="days-are-24h"),
    pytest.param("1d4h", D + 4 * H, id="days-hours"),
    pytest.param("1d2h3m", D + 2 * H + 3 * M, id="all-compact-units"),
    pytest.param("90m", 90 * M, id="minutes-above-an-hour"),
    pytest.param("0m", 0, id="zero"),
    pytest.param(" 4h ", 4 * H, id="surrounding-space"),
    pytest.param("PT4H", 4 * H, id="iso-hours"),
    pytest.param("P1D", D, id="iso-day"),
    pytest.param("PT1H30M", H + 30 * M, id="iso-hours-minutes"),
    pytest.param("PT90S", 90, id="iso-seconds"),
    pytest.param("P2DT3H", 2 * D + 3 * H, id="iso-days-hours"),
    pytest.param("P1W", 7 * D, id="iso-week"),
    pytest.param("PT15M", 15 * M, id="iso-minutes"),
]


@pytest.mark.parametrize(("text", "seconds"), PARSE_CASES)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


HOW = "write 15m, 4h, 1h30m, 2d or ISO 8601 such as PT4H"

REJECT_CASES = [
    pytest.param("15 mins", f"'15 mins' is not a duration: did you mean 15m? {HOW}", id="words"),
    pytest.param("4 hours", "'4 hours' is not a duration: did you mean 4h?", id="hours-in-words"),
    pytest.param("", "'' is not a duration (it is empty)", id="empty"),
    pytest.param("   ", "(it is empty)", id="blank"),
    pytest.param("0h", "'0h' is not a duration (zero is written 0m)", id="zero-hours"),
    pytest.param("PT0S", "(zero is written 0m)", id="iso-zero"),
    pytest.param("0d0h0m", "(zero is written 0m)", id="compact-zero"),
    pytest.param("-4h", "(a duration cannot be negative)", id="negative"),
    pytest.param("-PT4H", "(a duration cannot be negative)", id="iso-negative"),
    pytest.param("1.5h", "(fractions are not allowed; write 1h30m rather than 1.5h)", id="frac"),
    pytest.param(
        "2.5h",
        "(fractions are not allowed; write 1h30m rather than 1.5h): did you mean 2h30m?",
        id="frac-suggested",
    ),
    pytest.param("PT1,5H", "(fractions are not allowed", id="iso-fraction"),
    pytest.param("P1M", "(years and months have no fixed length; use days)", id="iso-month"),
    pytest.param("P1Y2D", "(years and months have no fixed length", id="iso-year"),
    pytest.param("P", f"'P' is not a duration: {HOW}", id="iso-bare-p"),
    pytest.param("PT", f"'PT' is not a duration: {HOW}", id="iso-bare-pt"),
    pytest.param("P1DT", f"'P1DT' is not a duration: {HOW}", id="iso-dangling-t"),
    pytest.param("PT4h", "'PT4h' is not a duration: did you mean PT4H?", id="iso-lowercase-unit"),
    pytest.param("4H", "'4H' is not a duration: did you mean 4h?", id="compact-uppercase"),
    pytest.param(
        "30m1h", "'30m1h' is not a duration: did you mean 1h30m?", id="units-out-of-order"
    ),
    pytest.param("1h1h", f"'1h1h' is not a duration: {HOW}", id="unit-repeated"),
    pytest.param("4", f"'4' is not a duration: {HOW}", id="no-unit"),
    pytest.param("30s", "'30s' is not a duration: did you mean PT30S?", id="compact-seconds"),
    pytest.param("1w", "'1w' is not a duration: did you mean 7d?", id="compact-weeks"),
    pytest.param("\u0664h", f"'\u0664h' is not a duration: {HOW}", id="non-ascii-digit"),
]


@pytest.mark.parametrize(("text", "message"), REJECT_CASES)
def test_parse_duration_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_duration(text)
    assert message in str(raised.value)
    assert str(raised.value).endswith(HOW)


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        pytest.param("15 mins", "15m", id="minutes-in-words"),
        pytest.param("1 hour 30 minutes", "1h30m", id="hours-and-minutes-in-words"),
        pytest.param("1 hour and 30 mins", "1h30m", id="with-and"),
        pytest.param("2 days, 4 hrs", "2d4h", id="with-a-comma"),
        pytest.param("1h 30m", "1h30m", id="spaced-compact"),
        pytest.param("90 min", "1h30m", id="minutes-over-an-hour"),
        pytest.param("1.5 hours", "1h30m", id="fraction"),
        pytest.param("1 week", "7d", id="week"),
        pytest.param("45 seconds", "PT45S", id="seconds-need-iso"),
        pytest.param("pt4h", "PT4H", id="iso-lower-case"),
        pytest.param("4", None, id="no-unit"),
        pytest.param("1h1h", None, id="unit-twice"),
        pytest.param("0 mins", None, id="zero"),
        pytest.param("-4h", None, id="negative"),
        pytest.param("1.3333h", None, id="not-whole-seconds"),
        pytest.param("15 minutes please", None, id="trailing-words"),
        pytest.param("P1M", None, id="iso-month"),
        pytest.param("15m", None, id="already-a-duration"),
        pytest.param(15, None, id="not-text"),
    ],
)
def test_suggest_duration(text: object, suggestion: str | None) -> None:
    assert suggest_duration(text) == suggestion
    if suggestion is not None:
        parse_duration(suggestion)  # what it suggests is a duration


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(15, "15 is not a duration (a number needs a unit)", id="yaml-int"),
        pytest.param(1.5, "1.5 is not a duration (a number needs a unit)", id="yaml-float"),
        pytest.param(None, "None is not a duration (not text)", id="none"),
    ],
)
def test_parse_duration_rejects_non_text(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_duration(value)  # type: ignore[arg-type]


FORMAT_CASES = [
    pytest.param(0, "0m", id="zero"),
    pytest.param(29, "0m", id="under-half-a-minute"),
    pytest.param(30, "1m", id="half-a-minute-rounds-up"),
    pytest.param(45 * M, "45m", id="minutes"),
    pytest.param(H, "1h", id="hour"),
    pytest.param(H + 30 * M, "1h30m", id="hour-and-a-half"),
    pytest.param(23 * H + 59 * M + 40, "1d", id="rounds-up-to-a-day"),
    pytest.param(D, "1d", id="day"),
    pytest.param(2 * D + 4 * H, "2d4h", id="days-hours"),
    pytest.param(D + 5 * M, "1d5m", id="days-minutes"),
    pytest.param(D + 2 * H + 3 * M + 4, "1d2h3m", id="all-units"),
    pytest.param(12.7 * M, "13m", id="float-seconds"),
    pytest.param(-(H + 30 * M), "-1h30m", id="negative"),
    pytest.param(-10, "0m", id="tiny-negative"),
]


@pytest.mark.parametrize(("seconds", "text"), FORMAT_CASES)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@settings(database=None)
@given(st.integers(min_value=0, max_value=400 * 24 * 60))
def test_format_reads_back_as_the_same_duration(minutes: int) -> None:
    assert parse_duration(format_duration(minutes * M)) == minutes * M
