"""Durations as policy writes them (`15m`, `4h`, `1h30m`, `2d`, `PT4H`) and as people read them.

A duration is an amount of *calendar* time: on a business calendar `8h` is one working day and
`1d` is 24 open hours (three working days of 09:00-17:00), never "until the same time tomorrow".
That is why `d` is a fixed 24 h and ISO years and months (which have no fixed length) are refused.
"""

from __future__ import annotations

import re

__all__ = ["format_duration", "parse_duration", "suggest_duration"]

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_WEEK = 7 * _DAY

# Each unit at most once and largest first, so `30m1h` or `1h1h` are refused rather than guessed.
_COMPACT = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?", re.ASCII)
_ISO = re.compile(
    r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?",
    re.ASCII,
)
# Recognised only to explain why they are refused.
_ISO_CALENDAR_UNITS = re.compile(r"P(?:\d+Y|(?:\d+Y)?\d+M)")
_FRACTION = re.compile(r"\d[.,]\d")

_HOW = "write 15m, 4h, 1h30m, 2d or ISO 8601 such as PT4H"

# What people write instead (`15 mins`, `1 hour 30 minutes`, `4H`, `1.5h`), read only to
# suggest the duration they meant.
_SPELLED_UNITS = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), _WEEK),
    **dict.fromkeys(("d", "day", "days"), _DAY),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), _HOUR),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), _MINUTE),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
}
_SPELLED_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]+)", re.ASCII)
_SPELLED_GAP = re.compile(r"[\s,]*(?:and\s+)?", re.ASCII)


def _not_a_duration(text: object, why: str = "") -> ValueError:
    reason = f" ({why})" if why else ""
    suggestion = suggest_duration(text)
    hint = f" did you mean {suggestion}?" if suggestion else ""
    return ValueError(f"{text!r} is not a duration{reason}:{hint} {_HOW}")


def suggest_duration(text: object) -> str | None:
    """The duration a text that is not one probably means, as `parse_duration` reads it.

    `15 mins` -> `15m`, `1 hour 30 minutes` -> `1h30m`, `4H` -> `4h`, `30m1h` -> `1h30m`,
    `1.5h` -> `1h30m`, `1 week` -> `7d`, `30 sec` -> `PT30S`, `pt4h` -> `PT4H`. None when
    there is nothing sensible to suggest (no unit, a unit twice, zero, a negative amount).
    """
    if not isinstance(text, str):
        return None
    stripped = text.strip()
    if stripped[:1] in ("p", "P"):
        upper = stripped.upper()
        if upper == stripped:
            return None
        try:
            parse_duration(upper)
        except ValueError:
            return None
        return upper
    lowered = stripped.lower()
    seconds = 0.0
    units: set[int] = set()
    position = 0
    while position < len(lowered):
        part = _SPELLED_PART.match(lowered, position)
        unit = _SPELLED_UNITS.get(part.group(2)) if part else None
        if part is None or unit is None or unit in units:
            return None
        units.add(unit)
        seconds += float(part.group(1).replace(",", ".")) * unit
        gap = _SPELLED_GAP.match(lowered, part.end())
        position = gap.end() if gap else part.end()
    whole = round(seconds)
    if not units or whole <= 0 or abs(seconds - whole) > 1e-6:
        return None
    suggestion = format_duration(whole) if whole % _MINUTE == 0 else f"PT{whole}S"
    return None if suggestion == stripped else suggestion


def parse_duration(text: str) -> int:
    """Return the number of seconds `text` stands for, or raise `ValueError` saying how to write it.

    Accepts the compact form (`15m`, `4h`, `1h30m`, `2d`, `1d4h`; `d` is 24 h) and ISO 8601
    durations without years or months (`PT4H`, `P1D`, `PT1H30M`, `PT90S`, `P2DT3H`, `P1W`).
    Zero is accepted only as `0m`, so an accidental `0h` or `PT0S` target is caught.
    """
    if not isinstance(text, str):
        # YAML turns an unquoted `15` into an int; a bare number has no unit to go by.
        why = "a number needs a unit" if isinstance(text, int | float) else "not text"
        raise _not_a_duration(text, why)
    stripped = text.strip()
    if not stripped:
        raise _not_a_duration(text, "it is empty")
    if stripped == "0m":
        return 0
    if stripped.startswith("-"):
        raise _not_a_duration(text, "a duration cannot be negative")

    seconds: int | None = None
    compact = _COMPACT.fullmatch(stripped)
    iso = _ISO.fullmatch(stripped)
    if compact is not None and any(compact.groupdict().values()):
        parts = compact.groupdict()
        seconds = (
            int(parts["d"] or 0) * _DAY
            + int(parts["h"] or 0) * _HOUR
            + int(parts["m"] or 0) * _MINUTE
        )
    elif iso is not None and any(iso.groupdict().values()):
        parts = iso.groupdict()
        seconds = (
            int(parts["w"] or 0) * _WEEK
            + int(parts["d"] or 0) * _DAY
            + int(parts["h"] or 0) * _HOUR
            + int(parts["m"] or 0) * _MINUTE
            + int(parts["s"] or 0)
        )
    elif _ISO_CALENDAR_UNITS.match(stripped):
        raise _not_a_duration(text, "years and months have no fixed length; use days")
    elif _FRACTION.search(stripped):
        raise _not_a_duration(text, "fractions are not allowed; write 1h30m rather than 1.5h")

    if seconds is None:
        raise _not_a_duration(text)
    if seconds == 0:
        raise _not_a_duration(text, "zero is written 0m")
    return seconds


def format_duration(seconds: float) -> str:
    """Return a compact human form such as `1h30m`, `2d4h`, `45m` or `0m` (rounded to minutes).

    Days are shown from 24 h up, matching `parse_duration`, so the output reads back as the same
    duration. Negative amounts (time past a deadline) get a leading `-`.
    """
    sign = "-" if seconds < 0 else ""
    # Round half up on the magnitude so -90 s and 90 s both give 2m (Python's round() is
    # half-to-even, which would make 30 s show as 0m but 90 s as 2m).
    minutes = int(abs(seconds) / _MINUTE + 0.5)
    if minutes == 0:
        return "0m"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    text = "".join(
        f"{amount}{unit}" for amount, unit in ((days, "d"), (hours, "h"), (mins, "m")) if amount
    )
    return sign + text
