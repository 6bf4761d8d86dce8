"""SLA clocks: a table of hand-computed scenarios, then the report over many records.

Every expected number below was worked out by hand against the small policy built here (not
the repository's policy/, so editing that never changes these sums); the comment on each
case shows the arithmetic. Offsets: Berlin is +01:00 in winter and +02:00 in summer, New
York -05:00 and -04:00. 2026-11-20 is a Friday. EU clocks change on 2026-03-29 and
2026-10-25, US clocks on 2026-03-08 and 2026-11-01.

Targets of the test policy (H = 3600 s):
  sev1: acknowledge 15m, customer_update 1h, mitigate 4h, resolve 1d, postmortem 5d
  sev2: acknowledge 30m, customer_update 4h, mitigate 8h, resolve 3d, postmortem 10d
  sev3: acknowledge 4h, customer_update 1d, resolve 5d (no mitigate, no postmortem)
  overrides: sev1 + enterprise acknowledge 10m; sev2 + business postmortem 40h
Tiers: enterprise on 24x7; business on emea (Berlin Mon-Fri 09-17, German holidays and a
company closure on 2026-12-24), or amer (New York Mon-Fri 08-18, US holidays) for region amer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from escalate.calendar import WEEKDAYS, calendar_from_policy
from escalate.errors import PolicyError
from escalate.policy import Policy, Severity, TargetRule, Tier
from escalate.records import Escalation
from escalate.repo import Repo, SourceFile
from escalate.sla import Clock, SlaReport, check, clocks_for, rfc3339

H = 3600
M = 60
D = 24 * H


def _severity(sev: str, **targets: int) -> Severity:
    return Severity(sev, sev, "", targets, {})


def make_policy() -> Policy:
    weekdays = WEEKDAYS[:5]
    calendars = [
        calendar_from_policy({"id": "24x7", "timezone": "UTC", "always_open": True}),
        calendar_from_policy(
            {
                "id": "emea",
                "timezone": "Europe/Berlin",
                "hours": {day: ["09:00-17:00"] for day in weekdays},
                "holidays": ["2026-12-24"],
                "holiday_country": "DE",
            }
        ),
        calendar_from_policy(
            {
                "id": "amer",
                "timezone": "America/New_York",
                "hours": {day: ["08:00-18:00"] for day in weekdays},
                "holiday_country": "US",
            }
        ),
    ]
    return Policy(
        root=Path("."),
        severities={
            "sev1": _severity(
                "sev1",
                acknowledge=15 * M,
                customer_update=H,
                mitigate=4 * H,
                resolve=D,
                postmortem=5 * D,
            ),
            "sev2": _severity(
                "sev2",
                acknowledge=30 * M,
                customer_update=4 * H,
                mitigate=8 * H,
                resolve=3 * D,
                postmortem=10 * D,
            ),
            "sev3": _severity("sev3", acknowledge=4 * H, customer_update=D, resolve=5 * D),
        },
        at_risk_ratio=0.75,
        tiers={
            "enterprise": Tier("enterprise", "Enterprise", "24x7", {}, {}),
            "business": Tier("business", "Business", "emea", {"amer": "amer"}, {}),
        },
        target_rules=[
            TargetRule("sev1", "enterprise", {"acknowledge": 10 * M}),
            TargetRule("sev2", "business", {"postmortem": 40 * H}),
        ],
        calendars={calendar.id: calendar for calendar in calendars},
        default_timezone=ZoneInfo("Europe/Berlin"),
    )


POLICY = make_policy()


def ev(at: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"at": at, "event": kind, "by": "alice", **extra}


def record(
    opened: str,
    *events: dict[str, Any],
    severity: str = "sev2",
    tier: str = "enterprise",
    region: str | None = None,
    actions: tuple[dict[str, Any], ...] = (),
    record_id: str = "ESC-2026-0001",
    drill: bool = False,
) -> Escalation:
    """A minimal schema-shaped record; its timeline must replay without problems."""
    customer: dict[str, Any] = {"name": "Acme", "tier": tier}
    if region:
        customer["region"] = region
    data: dict[str, Any] = {
        "id": record_id,
        "title": "Test case",
        "opened_at": opened,
        "severity": severity,
        "owner": "alice",
        "level": "L2",
        "customer": customer,
        "timeline": list(events),
        "drill": drill,
    }
    if actions:
        data["actions"] = list(actions)
    escalation = Escalation.from_data(f"incidents/2026/{record_id}/escalation.yaml", data)
    assert not escalation.problems, escalation.problems
    return escalation


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class Case:
    record: Escalation
    clock: str
    now: str
    state: str | None  # None: the clock must not exist
    elapsed: float = 0.0
    deadline: str | None = None
    expect: Mapping[str, Any] = field(default_factory=dict)  # more Clock fields
    postmortem: tuple[str | None, str | None] = (None, None)  # status, reviewed_at


# Records shared by several cases.
ENTERPRISE_OPEN = record("2026-11-20T09:00:00Z")
ONE_PAUSE_BEFORE_ACK = record("2026-11-20T09:00:00Z", ev("2026-11-20T09:05:00Z", "paused"))
WEEKEND_PAUSE = record(
    "2026-11-19T10:00:00+01:00",
    ev("2026-11-19T10:30:00+01:00", "acknowledged"),
    ev("2026-11-20T16:00:00+01:00", "paused", reason="waiting_on_customer"),
    ev("2026-11-23T10:00:00+01:00", "resumed"),
    severity="sev3",
    tier="business",
)
REOPENED = record(
    "2026-11-20T09:00:00Z",
    ev("2026-11-20T09:10:00Z", "acknowledged"),
    ev("2026-11-20T10:00:00Z", "mitigated"),
    ev("2026-11-20T12:00:00Z", "resolved"),
    ev("2026-11-21T12:00:00Z", "reopened"),
)
REOPENED_AND_RESOLVED = record(
    "2026-11-20T09:00:00Z",
    ev("2026-11-20T09:10:00Z", "acknowledged"),
    ev("2026-11-20T10:00:00Z", "mitigated"),
    ev("2026-11-20T12:00:00Z", "resolved"),
    ev("2026-11-21T12:00:00Z", "reopened"),
    ev("2026-11-21T15:00:00Z", "resolved"),
)
UPGRADED = record(
    "2026-11-20T09:00:00Z",
    ev("2026-11-20T09:05:00Z", "acknowledged"),
    ev("2026-11-20T14:00:00Z", "reclassified", severity="sev1"),
    severity="sev3",
)
CADENCE = [
    ev("2026-11-20T09:10:00Z", "acknowledged"),
    ev("2026-11-20T10:00:00Z", "customer_update", text="Investigating."),
    ev("2026-11-20T15:00:00Z", "customer_update", text="Still investigating."),
    ev("2026-11-20T18:00:00Z", "customer_update", text="Fix in progress."),
]
RESOLVED_ENTERPRISE = record(
    "2026-11-20T09:00:00Z",
    ev("2026-11-20T09:10:00Z", "acknowledged"),
    ev("2026-11-20T12:00:00Z", "resolved"),
)
ACTION_DUE_NOV_20 = {"id": "A1", "title": "Add an alert", "owner": "carol", "due": "2026-11-20"}


CASES = [
    # --- acknowledge on 24x7 (sev2: 30m = 1800 s) -------------------------------------------
    # 09:00 -> 09:10 = 600 s of 1800; deadline 09:00 + 30m.
    pytest.param(
        Case(
            ENTERPRISE_OPEN,
            "acknowledge",
            "2026-11-20T09:10:00Z",
            "running",
            600,
            "2026-11-20T09:30:00Z",
            {"remaining_seconds": 1200.0},
        ),
        id="ack-running",
    ),
    # 22m30s = 1350 s = exactly 0.75 x 1800: at risk.
    pytest.param(
        Case(
            ENTERPRISE_OPEN,
            "acknowledge",
            "2026-11-20T09:22:30Z",
            "at_risk",
            1350,
            "2026-11-20T09:30:00Z",
        ),
        id="ack-at-risk-at-exactly-75-percent",
    ),
    # 1349 s < 1350 s: still running.
    pytest.param(
        Case(
            ENTERPRISE_OPEN,
            "acknowledge",
            "2026-11-20T09:22:29Z",
            "running",
            1349,
            "2026-11-20T09:30:00Z",
        ),
        id="ack-just-under-75-percent",
    ),
    # 1800 s used of 1800: at the deadline, not past it; nothing left.
    pytest.param(
        Case(
            ENTERPRISE_OPEN,
            "acknowledge",
            "2026-11-20T09:30:00Z",
            "at_risk",
            1800,
            "2026-11-20T09:30:00Z",
            {"remaining_seconds": 0.0, "overdue_seconds": 0.0},
        ),
        id="ack-at-the-deadline-is-not-overdue",
    ),
    # 1801 s > 1800: overdue by 1 s.
    pytest.param(
        Case(
            ENTERPRISE_OPEN,
            "acknowledge",
            "2026-11-20T09:30:01Z",
            "overdue",
            1801,
            "2026-11-20T09:30:00Z",
            {"overdue_seconds": 1.0},
        ),
        id="ack-overdue-by-a-second",
    ),
    # Acknowledged at 09:30 exactly: 1800 s, not more than the target, so met.
    pytest.param(
        Case(
            record("2026-11-20T09:00:00Z", ev("2026-11-20T09:30:00Z", "acknowledged")),
            "acknowledge",
            "2026-11-20T12:00:00Z",
            "met",
            1800,
            "2026-11-20T09:30:00Z",
            {"stopped_at": "2026-11-20T09:30:00Z", "remaining_seconds": 0.0},
        ),
        id="ack-met-exactly-at-target",
    ),
    # Acknowledged at 09:31: 1860 s, 60 s over.
    pytest.param(
        Case(
            record("2026-11-20T09:00:00Z", ev("2026-11-20T09:31:00Z", "acknowledged")),
            "acknowledge",
            "2026-11-20T12:00:00Z",
            "missed",
            1860,
            "2026-11-20T09:30:00Z",
            {"overdue_seconds": 60.0},
        ),
        id="ack-missed",
    ),
    # Paused at 09:05 but acknowledge never pauses: 09:00 -> 10:00 = 3600 s, 1800 over.
    pytest.param(
        Case(
            ONE_PAUSE_BEFORE_ACK,
            "acknowledge",
            "2026-11-20T10:00:00Z",
            "overdue",
            3600,
            "2026-11-20T09:30:00Z",
            {"overdue_seconds": 1800.0},
        ),
        id="ack-never-pauses",
    ),
    # Resolved at 09:20 without an acknowledgement: the resolution answers, 1200 s, met.
    pytest.param(
        Case(
            record("2026-11-20T09:00:00Z", ev("2026-11-20T09:20:00Z", "resolved")),
            "acknowledge",
            "2026-11-20T12:00:00Z",
            "met",
            1200,
            "2026-11-20T09:30:00Z",
            {"stopped_at": "2026-11-20T09:20:00Z"},
        ),
        id="ack-stopped-by-a-resolution",
    ),
    # --- tier overrides ------------------------------------------------------------------
    # sev1 + enterprise overrides acknowledge to 10m = 600 s: 480 s >= 450 s (75 %).
    pytest.param(
        Case(
            record("2026-11-20T09:00:00Z", severity="sev1"),
            "acknowledge",
            "2026-11-20T09:08:00Z",
            "at_risk",
            480,
            "2026-11-20T09:10:00Z",
            {"target_seconds": 600},
        ),
        id="tier-override-target",
    ),
    # sev1 + business keeps the default 15m = 900 s, on emea: Mon 10:00 -> 10:08 = 480 s.
    pytest.param(
        Case(
            record("2026-11-23T10:00:00+01:00", severity="sev1", tier="business"),
            "acknowledge",
            "2026-11-23T10:08:00+01:00",
            "running",
            480,
            "2026-11-23T09:15:00Z",
            {"target_seconds": 900, "calendar": "emea"},
        ),
        id="tier-without-override-keeps-severity-target",
    ),
    # --- business hours (sev3 business: acknowledge 4h = 14400 s) -----------------------------
    # Fri 16:00-17:00 = 1 h, weekend closed, Mon 09:00-10:00 = 1 h -> 7200 s.
    # Deadline: 1 h Fri + 3 h Mon -> Mon 12:00 CET = 11:00Z.
    pytest.param(
        Case(
            record("2026-11-20T16:00:00+01:00", severity="sev3", tier="business"),
            "acknowledge",
            "2026-11-23T10:00:00+01:00",
            "running",
            7200,
            "2026-11-23T11:00:00Z",
        ),
        id="business-weekend-crossing",
    ),
    # Opened Sat 10:00: counts from Mon 09:00; at Mon 09:00 nothing is used.
    # Deadline Mon 09:00 + 4 h = 13:00 CET = 12:00Z.
    pytest.param(
        Case(
            record("2026-11-21T10:00:00+01:00", severity="sev3", tier="business"),
            "acknowledge",
            "2026-11-23T09:00:00+01:00",
            "running",
            0,
            "2026-11-23T12:00:00Z",
            {"started_at": "2026-11-21T09:00:00Z"},
        ),
        id="business-opened-on-a-saturday",
    ),
    # Fri 14:00-17:00 = 3 h = 10800 s = exactly 75 % of 14400, frozen over the weekend (Sun).
    # Deadline: 1 h more from Mon 09:00 CET -> 10:00 CET = 09:00Z.
    pytest.param(
        Case(
            record("2026-11-20T14:00:00+01:00", severity="sev3", tier="business"),
            "acknowledge",
            "2026-11-22T12:00:00Z",
            "at_risk",
            10800,
            "2026-11-23T09:00:00Z",
        ),
        id="business-weekend-frozen-at-risk",
    ),
    # Mon 13:00 + 4 h = 17:00 CET = 16:00Z, the closing time. At 18:00 CET (17:00Z) exactly
    # 14400 s of open time are used, none over, but now (17:00Z) is past the deadline
    # (16:00Z): overdue, with overdue_seconds 0 and nothing left. (Under the old open-time
    # rule this was at_risk with "0m left" until Tue 09:00.)
    pytest.param(
        Case(
            record("2026-11-23T13:00:00+01:00", severity="sev3", tier="business"),
            "acknowledge",
            "2026-11-23T18:00:00+01:00",
            "overdue",
            14400,
            "2026-11-23T16:00:00Z",
            {"overdue_seconds": 0.0, "remaining_seconds": 0.0},
        ),
        id="business-deadline-on-closing-time",
    ),
    # ... and at 17:00 CET itself, exactly on the deadline: not past it yet, at risk.
    pytest.param(
        Case(
            record("2026-11-23T13:00:00+01:00", severity="sev3", tier="business"),
            "acknowledge",
            "2026-11-23T17:00:00+01:00",
            "at_risk",
            14400,
            "2026-11-23T16:00:00Z",
            {"overdue_seconds": 0.0, "remaining_seconds": 0.0},
        ),
        id="business-exactly-at-a-closing-deadline",
    ),
    # ... and the open time over grows once the calendar reopens: Tue 09:00-09:01 = 60 s over.
    pytest.param(
        Case(
            record("2026-11-23T13:00:00+01:00", severity="sev3", tier="business"),
            "acknowledge",
            "2026-11-24T09:01:00+01:00",
            "overdue",
            14460,
            "2026-11-23T16:00:00Z",
            {"overdue_seconds": 60.0},
        ),
        id="business-overdue-when-calendar-reopens",
    ),
    # Wed 23 Dec 15:00-17:00 = 2 h; Thu 24 company closure, Fri 25 + Sat 26 public holidays,
    # Sun closed; Mon 28 09:00-11:00 = 2 h -> deadline 11:00 CET = 10:00Z. On Sun: 7200 s.
    pytest.param(
        Case(
            record("2026-12-23T15:00:00+01:00", severity="sev3", tier="business"),
            "acknowledge",
            "2026-12-27T12:00:00Z",
            "running",
            7200,
            "2026-12-28T10:00:00Z",
        ),
        id="business-holiday-crossing-emea",
    ),
    # New York: Wed 25 Nov 16:00-18:00 = 2 h, Thu 26 Thanksgiving, Fri 27 08:00-10:00 EST
    # -> deadline 15:00Z. On Thanksgiving afternoon: 7200 s.
    pytest.param(
        Case(
            record("2026-11-25T16:00:00-05:00", severity="sev3", tier="business", region="amer"),
            "acknowledge",
            "2026-11-26T20:00:00Z",
            "running",
            7200,
            "2026-11-27T15:00:00Z",
            {"calendar": "amer"},
        ),
        id="business-holiday-crossing-us-region-calendar",
    ),
    # sev2 business mitigate (8h = 28800 s) opened Fri 19 Jun 09:00 CEST (07:00Z): 09:00 +
    # 8 h = 17:00 CEST = 15:00Z, the closing time. At 16:00Z (18:00 CEST) 28800 s are used,
    # none over; now is past the deadline, so overdue (0 s over), not "at risk, 0m left" until
    # Monday 09:00.
    pytest.param(
        Case(
            record("2026-06-19T09:00:00+02:00", tier="business"),
            "mitigate",
            "2026-06-19T16:00:00Z",
            "overdue",
            28800,
            "2026-06-19T15:00:00Z",
            {"overdue_seconds": 0.0, "remaining_seconds": 0.0},
        ),
        id="business-friday-closing-deadline-overdue-after-close",
    ),
    # Mitigated at 18:00Z (20:00 CEST): the same 28800 s of open time, but it stopped after
    # its deadline (15:00Z): missed, though no open time was over the target.
    pytest.param(
        Case(
            record(
                "2026-06-19T09:00:00+02:00",
                ev("2026-06-19T09:10:00+02:00", "acknowledged"),
                ev("2026-06-19T18:00:00Z", "mitigated"),
                tier="business",
            ),
            "mitigate",
            "2026-06-22T12:00:00Z",
            "missed",
            28800,
            "2026-06-19T15:00:00Z",
            {"stopped_at": "2026-06-19T18:00:00Z", "overdue_seconds": 0.0},
        ),
        id="business-stopped-after-a-closing-deadline-is-missed",
    ),
    # Mitigated at 15:00Z, exactly on the deadline: met.
    pytest.param(
        Case(
            record(
                "2026-06-19T09:00:00+02:00",
                ev("2026-06-19T09:10:00+02:00", "acknowledged"),
                ev("2026-06-19T15:00:00Z", "mitigated"),
                tier="business",
            ),
            "mitigate",
            "2026-06-22T12:00:00Z",
            "met",
            28800,
            "2026-06-19T15:00:00Z",
            {"stopped_at": "2026-06-19T15:00:00Z"},
        ),
        id="business-stopped-on-a-closing-deadline-is-met",
    ),
    # --- daylight saving time (sev2 mitigate: 8h = 28800 s) -------------------------------------
    # 24x7 over the EU spring change: 00:30Z -> 07:30Z = 7 h = 25200 s (at risk, >= 21600),
    # though the Berlin wall clock moved 01:30 -> 09:30. Deadline 00:30Z + 8 h = 08:30Z.
    pytest.param(
        Case(
            record("2026-03-29T01:30:00+01:00"),
            "mitigate",
            "2026-03-29T09:30:00+02:00",
            "at_risk",
            25200,
            "2026-03-29T08:30:00Z",
        ),
        id="dst-eu-spring-24x7",
    ),
    # 24x7 over the EU autumn change: 23:00Z -> 06:30Z = 7.5 h = 27000 s; wall clock
    # 01:00 -> 07:30. Deadline 23:00Z + 8 h = 07:00Z.
    pytest.param(
        Case(
            record("2026-10-25T01:00:00+02:00"),
            "mitigate",
            "2026-10-25T07:30:00+01:00",
            "at_risk",
            27000,
            "2026-10-25T07:00:00Z",
        ),
        id="dst-eu-autumn-24x7",
    ),
    # 24x7 over the US spring change (Sun 8 Mar 2026, 02:00 EST -> 03:00 EDT): opened 00:30
    # EST = 05:30Z; at 08:30 EDT = 12:30Z, 7 h = 25200 s (>= 21600, at risk), though the New
    # York wall clock moved 8 h. Deadline 05:30Z + 8 h = 13:30Z (09:30 EDT, not 08:30).
    pytest.param(
        Case(
            record("2026-03-08T00:30:00-05:00", region="amer"),
            "mitigate",
            "2026-03-08T08:30:00-04:00",
            "at_risk",
            25200,
            "2026-03-08T13:30:00Z",
            {"calendar": "24x7", "remaining_seconds": 3600.0},
        ),
        id="dst-us-spring-24x7",
    ),
    # Business hours over the EU spring change: Fri 27 Mar 16:00-17:00 CET = 1 h; Mon 30 Mar
    # 09:00-10:00 CEST = 1 h -> 7200 s. Deadline: 7 h from Mon 09:00 CEST = 16:00+02 = 14:00Z.
    pytest.param(
        Case(
            record("2026-03-27T16:00:00+01:00", tier="business"),
            "mitigate",
            "2026-03-30T10:00:00+02:00",
            "running",
            7200,
            "2026-03-30T14:00:00Z",
        ),
        id="dst-eu-spring-business",
    ),
    # Business hours over the EU autumn change: Fri 23 Oct 16:30-17:00 CEST = 30m; Mon 26 Oct
    # 09:00-09:30 CET = 30m -> 3600 s. Deadline: 7h30m from Mon 09:00 CET = 16:30+01 = 15:30Z.
    pytest.param(
        Case(
            record("2026-10-23T16:30:00+02:00", tier="business"),
            "mitigate",
            "2026-10-26T09:30:00+01:00",
            "running",
            3600,
            "2026-10-26T15:30:00Z",
        ),
        id="dst-eu-autumn-business",
    ),
    # New York business hours over the US spring change: Fri 6 Mar 17:00-18:00 EST = 1 h;
    # Mon 9 Mar 08:00-10:00 EDT = 2 h -> 10800 s. Deadline: 7 h from 08:00 EDT = 15:00-04
    # = 19:00Z.
    pytest.param(
        Case(
            record("2026-03-06T17:00:00-05:00", tier="business", region="amer"),
            "mitigate",
            "2026-03-09T10:00:00-04:00",
            "running",
            10800,
            "2026-03-09T19:00:00Z",
        ),
        id="dst-us-spring-business",
    ),
    # 24x7 over the US autumn change: 04:30Z -> 12:00Z = 7.5 h = 27000 s; wall clock
    # 00:30 EDT -> 07:00 EST. Deadline 04:30Z + 8 h = 12:30Z.
    pytest.param(
        Case(
            record("2026-11-01T00:30:00-04:00", region="amer"),
            "mitigate",
            "2026-11-01T07:00:00-05:00",
            "at_risk",
            27000,
            "2026-11-01T12:30:00Z",
        ),
        id="dst-us-autumn-24x7",
    ),
    # New York business hours over the US autumn change: Fri 30 Oct 17:00-18:00 EDT = 1 h;
    # Mon 2 Nov 08:00-09:00 EST = 1 h -> 7200 s. Deadline: 7 h from 08:00 EST = 15:00-05
    # = 20:00Z.
    pytest.param(
        Case(
            record("2026-10-30T17:00:00-04:00", tier="business", region="amer"),
            "mitigate",
            "2026-11-02T09:00:00-05:00",
            "running",
            7200,
            "2026-11-02T20:00:00Z",
        ),
        id="dst-us-autumn-business",
    ),
    # --- pauses --------------------------------------------------------------------------------
    # sev3 business resolve (5d = 120 h of open time). Thu 10:00-17:00 = 7 h; Fri 09:00-16:00
    # = 7 h, then paused until Mon 10:00 (the pause also hides Fri 16-17 and Mon 09-10);
    # Mon 10:00-12:00 = 2 h -> 16 h = 57600 s. Left 104 h: Mon 12-17 = 5 h, then 99 h =
    # 12 working days (Tue 24 Nov .. Wed 9 Dec) + 3 h -> Thu 10 Dec 12:00 CET = 11:00Z.
    pytest.param(
        Case(
            WEEKEND_PAUSE,
            "resolve",
            "2026-11-23T12:00:00+01:00",
            "running",
            57600,
            "2026-12-10T11:00:00Z",
        ),
        id="pause-spanning-closed-hours-resolve",
    ),
    # Same record, customer_update (1d = 24 h) from the ack Thu 10:30: Thu 6.5 h + Fri 7 h +
    # Mon 2 h = 15.5 h = 55800 s (< 18 h, running). Left 8.5 h: Mon 12-17 = 5 h, Tue 09:00 +
    # 3.5 h = 12:30 CET = 11:30Z.
    pytest.param(
        Case(
            WEEKEND_PAUSE,
            "customer_update",
            "2026-11-23T12:00:00+01:00",
            "running",
            55800,
            "2026-11-24T11:30:00Z",
            {"started_at": "2026-11-19T09:30:00Z"},
        ),
        id="pause-spanning-closed-hours-update-cycle",
    ),
    # Paused now: Mon 09:00-11:00 = 2 h used, frozen since 11:00. Deadline if resumed at
    # 15:00: 118 h left = Mon 15-17 (2 h) + 14 working days (Tue 24 Nov .. Fri 11 Dec) + 4 h
    # -> Mon 14 Dec 13:00 CET = 12:00Z.
    pytest.param(
        Case(
            record(
                "2026-11-23T09:00:00+01:00",
                ev("2026-11-23T09:10:00+01:00", "acknowledged"),
                ev("2026-11-23T11:00:00+01:00", "paused", reason="waiting_on_customer"),
                severity="sev3",
                tier="business",
            ),
            "resolve",
            "2026-11-23T15:00:00+01:00",
            "paused",
            7200,
            "2026-12-14T12:00:00Z",
        ),
        id="paused-now",
    ),
    # 24x7 mitigate: 09:00-10:00 = 1 h, paused 10:00-12:00, 12:00-13:00 = 1 h -> 7200 s.
    # Deadline 13:00 + 6 h = 19:00Z (two hours later than without the pause).
    pytest.param(
        Case(
            record(
                "2026-11-20T09:00:00Z",
                ev("2026-11-20T09:05:00Z", "acknowledged"),
                ev("2026-11-20T10:00:00Z", "paused", reason="waiting_on_customer"),
                ev("2026-11-20T12:00:00Z", "resumed"),
            ),
            "mitigate",
            "2026-11-20T13:00:00Z",
            "running",
            7200,
            "2026-11-20T19:00:00Z",
        ),
        id="pause-pushes-deadline",
    ),
    # 09:00 -> 18:00 = 9 h > 8 h before the pause: a pause does not hide a breach.
    pytest.param(
        Case(
            record(
                "2026-11-20T09:00:00Z",
                ev("2026-11-20T09:05:00Z", "acknowledged"),
                ev("2026-11-20T18:00:00Z", "paused", reason="waiting_on_vendor"),
            ),
            "mitigate",
            "2026-11-20T20:00:00Z",
            "overdue",
            32400,
            "2026-11-20T17:00:00Z",
            {"overdue_seconds": 3600.0},
        ),
        id="overdue-stays-overdue-while-paused",
    ),
    # Paused at 17:00, the instant 8 h were used (09:00-17:00 = 28800 s, none over). At 18:00
    # the clock is not counting, but it is past its deadline (17:00Z): overdue, not paused.
    # (The old open-time rule said paused, hiding the breach for as long as the pause lasts.)
    pytest.param(
        Case(
            record(
                "2026-11-20T09:00:00Z",
                ev("2026-11-20T09:05:00Z", "acknowledged"),
                ev("2026-11-20T17:00:00Z", "paused", reason="waiting_on_vendor"),
            ),
            "mitigate",
            "2026-11-20T18:00:00Z",
            "overdue",
            28800,
            "2026-11-20T17:00:00Z",
            {"overdue_seconds": 0.0},
        ),
        id="paused-on-the-deadline-is-overdue",
    ),
    # --- reopen --------------------------------------------------------------------------------
    # resolve: 09:00-12:00 = 3 h, resolved until the reopen on the 21st 12:00 (not counted),
    # 12:00-14:00 = 2 h -> 18000 s. Deadline: 67 h after 14:00 on the 21st = 24th 09:00Z.
    pytest.param(
        Case(
            REOPENED,
            "resolve",
            "2026-11-21T14:00:00Z",
            "running",
            18000,
            "2026-11-24T09:00:00Z",
            {"started_at": "2026-11-20T09:00:00Z", "stopped_at": None},
        ),
        id="reopen-resumes-resolve",
    ),
    # mitigate: 09:00-10:00 = 1 h, mitigated until the reopen, 12:00-14:00 = 2 h -> 10800 s.
    # Deadline: 5 h after 14:00 = 19:00Z.
    pytest.param(
        Case(
            REOPENED, "mitigate", "2026-11-21T14:00:00Z", "running", 10800, "2026-11-21T19:00:00Z"
        ),
        id="reopen-resets-mitigated",
    ),
    # Resolved again at 15:00: 3 h + 3 h = 21600 s of 259200: met. The deadline it would
    # have had: 66 h after 15:00 on the 21st = 24th 09:00Z.
    pytest.param(
        Case(
            REOPENED_AND_RESOLVED,
            "resolve",
            "2026-11-22T12:00:00Z",
            "met",
            21600,
            "2026-11-24T09:00:00Z",
            {"stopped_at": "2026-11-21T15:00:00Z"},
        ),
        id="reopened-then-resolved-again",
    ),
    # The second resolution also stops the re-run mitigate clock: 1 h + 3 h = 14400 s.
    pytest.param(
        Case(
            REOPENED_AND_RESOLVED,
            "mitigate",
            "2026-11-22T12:00:00Z",
            "met",
            14400,
            "2026-11-21T19:00:00Z",
            {"stopped_at": "2026-11-21T15:00:00Z"},
        ),
        id="reopened-mitigate-stopped-by-resolution",
    ),
    # --- reclassification -------------------------------------------------------------------
    # sev3 -> sev1 at 14:00: mitigate (4h, which sev3 did not have) counts from 09:00, so at
    # 14:00 it has 5 h = 18000 s: overdue by 1 h at once, deadline 13:00Z.
    pytest.param(
        Case(
            UPGRADED,
            "mitigate",
            "2026-11-20T14:00:00Z",
            "overdue",
            18000,
            "2026-11-20T13:00:00Z",
            {"overdue_seconds": 3600.0, "target_seconds": 4 * H},
        ),
        id="reclassified-overdue-at-once",
    ),
    # One minute earlier the case is still sev3, which has no mitigate target.
    pytest.param(
        Case(UPGRADED, "mitigate", "2026-11-20T13:59:00Z", None),
        id="before-reclassification-no-mitigate-clock",
    ),
    # The acknowledge target becomes sev1 + enterprise 10m; the ack took 5m = 300 s: met.
    pytest.param(
        Case(
            UPGRADED,
            "acknowledge",
            "2026-11-20T14:00:00Z",
            "met",
            300,
            "2026-11-20T09:10:00Z",
            {"target_seconds": 600},
        ),
        id="reclassified-acknowledge-target",
    ),
    # sev1 -> sev2 at 12:00: at 13:00 mitigate has 4 h of the new 8 h (50 %), running; it
    # would have been overdue under sev1's 4 h.
    pytest.param(
        Case(
            record(
                "2026-11-20T09:00:00Z",
                ev("2026-11-20T09:05:00Z", "acknowledged"),
                ev("2026-11-20T12:00:00Z", "reclassified", severity="sev2"),
                severity="sev1",
            ),
            "mitigate",
            "2026-11-20T13:00:00Z",
            "running",
            14400,
            "2026-11-20T17:00:00Z",
        ),
        id="reclassified-down-relaxes-target",
    ),
    # --- customer update cadence (sev2: 4h = 14400 s) -----------------------------------------
    # Cycles: 09:00-09:10 (ack), 09:10-10:00, 10:00-15:00 = 5 h (missed), 15:00-18:00 = 3 h;
    # current since 18:00: 3.5 h = 12600 s >= 10800 (75 %), deadline 22:00Z.
    pytest.param(
        Case(
            record("2026-11-20T09:00:00Z", *CADENCE),
            "customer_update",
            "2026-11-20T21:30:00Z",
            "at_risk",
            12600,
            "2026-11-20T22:00:00Z",
            {"missed_cycles": 1, "started_at": "2026-11-20T18:00:00Z"},
        ),
        id="cadence-missed-cycle",
    ),
    # Resolved at 23:00: the last cycle 18:00-23:00 = 5 h is missed too; two in all.
    pytest.param(
        Case(
            record("2026-11-20T09:00:00Z", *CADENCE, ev("2026-11-20T23:00:00Z", "resolved")),
            "customer_update",
            "2026-11-21T12:00:00Z",
            "missed",
            18000,
            "2026-11-20T22:00:00Z",
            {"missed_cycles": 2, "stopped_at": "2026-11-20T23:00:00Z", "overdue_seconds": 3600.0},
        ),
        id="cadence-stopped-by-resolution",
    ),
    # No acknowledgement yet: the cadence counts from the opening, 3 h = 10800 s (75 %).
    pytest.param(
        Case(
            ENTERPRISE_OPEN,
            "customer_update",
            "2026-11-20T12:00:00Z",
            "at_risk",
            10800,
            "2026-11-20T13:00:00Z",
            {"started_at": "2026-11-20T09:00:00Z"},
        ),
        id="cadence-from-opening",
    ),
    # From the ack 09:10: 50m, paused 10:00-14:00, 14:00-15:00 = 1 h -> 6600 s. Deadline:
    # 7800 s after 15:00 = 17:10Z.
    pytest.param(
        Case(
            record(
                "2026-11-20T09:00:00Z",
                ev("2026-11-20T09:10:00Z", "acknowledged"),
                ev("2026-11-20T10:00:00Z", "paused", reason="waiting_on_customer"),
                ev("2026-11-20T14:00:00Z", "resumed"),
            ),
            "customer_update",
            "2026-11-20T15:00:00Z",
            "running",
            6600,
            "2026-11-20T17:10:00Z",
        ),
        id="cadence-pauses",
    ),
    # Reopened on the 21st 09:00: a new cycle starts there; at 12:00 3 h = 10800 s (75 %).
    pytest.param(
        Case(
            record(
                "2026-11-20T09:00:00Z",
                ev("2026-11-20T09:10:00Z", "acknowledged"),
                ev("2026-11-20T10:00:00Z", "customer_update", text="On it."),
                ev("2026-11-20T11:00:00Z", "resolved"),
                ev("2026-11-21T09:00:00Z", "reopened"),
            ),
            "customer_update",
            "2026-11-21T12:00:00Z",
            "at_risk",
            10800,
            "2026-11-21T13:00:00Z",
            {"missed_cycles": 0, "started_at": "2026-11-21T09:00:00Z"},
        ),
        id="cadence-reopen-starts-a-cycle",
    ),
    # sev3 (1d) cycle 09:10-15:00 = 5h50m finished under sev3: not missed. Reclassified to
    # sev1 (1h) at 16:00: the current cycle from 15:00 has 1.5 h = 5400 s, 1800 over.
    pytest.param(
        Case(
            record(
                "2026-11-20T09:00:00Z",
                ev("2026-11-20T09:10:00Z", "acknowledged"),
                ev("2026-11-20T15:00:00Z", "customer_update", text="Found it."),
                ev("2026-11-20T16:00:00Z", "reclassified", severity="sev1"),
                severity="sev3",
            ),
            "customer_update",
            "2026-11-20T16:30:00Z",
            "overdue",
            5400,
            "2026-11-20T16:00:00Z",
            {"missed_cycles": 0, "overdue_seconds": 1800.0},
        ),
        id="cadence-finished-cycle-keeps-its-target",
    ),
    # sev2 business cadence (4h) on emea: cycle from the ack Mon 23 Nov 13:00 CET, deadline
    # 17:00 CET = 16:00Z; the next update Tue 08:30 CET (07:30Z), before opening, so the
    # cycle used exactly 14400 s but ended after its deadline: a missed cycle. The current
    # cycle from Tue 08:30 counts from 09:00: at 10:00 CET 3600 s; deadline 10:00 + 3 h =
    # 13:00 CET = 12:00Z. (The opening cycle 12:55-13:00 was met.)
    pytest.param(
        Case(
            record(
                "2026-11-23T12:55:00+01:00",
                ev("2026-11-23T13:00:00+01:00", "acknowledged"),
                ev("2026-11-24T08:30:00+01:00", "customer_update", text="Still on it."),
                tier="business",
            ),
            "customer_update",
            "2026-11-24T10:00:00+01:00",
            "running",
            3600,
            "2026-11-24T12:00:00Z",
            {"missed_cycles": 1, "started_at": "2026-11-24T07:30:00Z"},
        ),
        id="cadence-cycle-ended-after-a-closing-deadline-is-missed",
    ),
    # --- postmortem (sev2 enterprise: 10d = 864000 s, from the resolution) -------------------
    # Resolved 20th 12:00, no postmortem yet: 2 d = 172800 s; deadline 30th 12:00Z.
    pytest.param(
        Case(
            RESOLVED_ENTERPRISE,
            "postmortem",
            "2026-11-22T12:00:00Z",
            "running",
            172800,
            "2026-11-30T12:00:00Z",
            {"started_at": "2026-11-20T12:00:00Z"},
        ),
        id="postmortem-running",
    ),
    # A draft does not stop it: 11 d = 950400 s, one day over.
    pytest.param(
        Case(
            RESOLVED_ENTERPRISE,
            "postmortem",
            "2026-12-01T12:00:00Z",
            "overdue",
            950400,
            "2026-11-30T12:00:00Z",
            {"overdue_seconds": 86400.0},
            postmortem=("draft", None),
        ),
        id="postmortem-draft-overdue",
    ),
    # Reviewed on the 25th 12:00: 5 d = 432000 s, met.
    pytest.param(
        Case(
            RESOLVED_ENTERPRISE,
            "postmortem",
            "2026-12-20T12:00:00Z",
            "met",
            432000,
            "2026-11-30T12:00:00Z",
            {"stopped_at": "2026-11-25T12:00:00Z"},
            postmortem=("reviewed", "2026-11-25T13:00:00+01:00"),
        ),
        id="postmortem-reviewed-met",
    ),
    # Published with reviewed_at 1 Dec 12:00: 11 d, missed by one day.
    pytest.param(
        Case(
            RESOLVED_ENTERPRISE,
            "postmortem",
            "2026-12-20T12:00:00Z",
            "missed",
            950400,
            "2026-11-30T12:00:00Z",
            {"overdue_seconds": 86400.0},
            postmortem=("published", "2026-12-01T12:00:00Z"),
        ),
        id="postmortem-published-missed",
    ),
    # Reviewed, but when is not written: met at an unknown time.
    pytest.param(
        Case(
            RESOLVED_ENTERPRISE,
            "postmortem",
            "2026-12-20T12:00:00Z",
            "met",
            0,
            "2026-11-30T12:00:00Z",
            {"stopped_at": None, "remaining_seconds": None},
            postmortem=("reviewed", None),
        ),
        id="postmortem-reviewed-at-unknown-time",
    ),
    # Reviewed on the 25th, but measured as of the 24th: not reviewed yet, 4 d = 345600 s.
    pytest.param(
        Case(
            RESOLVED_ENTERPRISE,
            "postmortem",
            "2026-11-24T12:00:00Z",
            "running",
            345600,
            "2026-11-30T12:00:00Z",
            {"stopped_at": None},
            postmortem=("reviewed", "2026-11-25T12:00:00Z"),
        ),
        id="postmortem-reviewed-after-now",
    ),
    # sev2 + business: 40 h on emea from Fri 15:00 CET. Fri 15-17 = 2 h, Mon 09-13 = 4 h ->
    # 21600 s at Mon 13:00 CET. Deadline: 38 h after Fri = Mon-Thu 32 h + Fri 27th 6 h ->
    # 15:00 CET = 14:00Z.
    pytest.param(
        Case(
            record(
                "2026-11-20T09:30:00+01:00",
                ev("2026-11-20T09:40:00+01:00", "acknowledged"),
                ev("2026-11-20T15:00:00+01:00", "resolved"),
                tier="business",
            ),
            "postmortem",
            "2026-11-23T12:00:00Z",
            "running",
            21600,
            "2026-11-27T14:00:00Z",
            {"target_seconds": 40 * H},
        ),
        id="postmortem-tier-override-on-business-hours",
    ),
    # sev3 names no postmortem target: no clock.
    pytest.param(
        Case(
            record("2026-11-20T09:00:00Z", ev("2026-11-20T09:10:00Z", "resolved"), severity="sev3"),
            "postmortem",
            "2026-11-22T12:00:00Z",
            None,
        ),
        id="postmortem-not-required",
    ),
    # --- actions: due at the end of the due date in Europe/Berlin -------------------------------
    # Due 2026-11-20: ends at midnight CET = 23:00Z. At 22:30Z, 1800 s left: within the last
    # 24 h, at risk.
    pytest.param(
        Case(
            record("2026-11-10T09:00:00Z", actions=(ACTION_DUE_NOV_20,)),
            "action:A1",
            "2026-11-20T22:30:00Z",
            "at_risk",
            0,
            "2026-11-20T23:00:00Z",
            {
                "remaining_seconds": 1800.0,
                "target_seconds": None,
                "started_at": None,
                "calendar": "Europe/Berlin",
            },
        ),
        id="action-due-end-of-day-default-timezone",
    ),
    # At 23:01Z it is 60 s late; the record being paused does not matter (never pauses).
    pytest.param(
        Case(
            record(
                "2026-11-10T09:00:00Z",
                ev("2026-11-10T10:00:00Z", "paused"),
                actions=(ACTION_DUE_NOV_20,),
            ),
            "action:A1",
            "2026-11-20T23:01:00Z",
            "overdue",
            0,
            "2026-11-20T23:00:00Z",
            {"overdue_seconds": 60.0},
        ),
        id="action-overdue-never-pauses",
    ),
    # Done 23:59 CET on the due date (22:59Z): met, one minute to spare.
    pytest.param(
        Case(
            record(
                "2026-11-10T09:00:00Z",
                actions=({**ACTION_DUE_NOV_20, "done_at": "2026-11-20T23:59:00+01:00"},),
            ),
            "action:A1",
            "2026-11-25T12:00:00Z",
            "met",
            0,
            "2026-11-20T23:00:00Z",
            {"stopped_at": "2026-11-20T22:59:00Z", "remaining_seconds": 60.0},
        ),
        id="action-done-in-time",
    ),
    # Done 00:30 CET the next day: 30 min late.
    pytest.param(
        Case(
            record(
                "2026-11-10T09:00:00Z",
                actions=({**ACTION_DUE_NOV_20, "done_at": "2026-11-21T00:30:00+01:00"},),
            ),
            "action:A1",
            "2026-11-25T12:00:00Z",
            "missed",
            0,
            "2026-11-20T23:00:00Z",
            {"overdue_seconds": 1800.0},
        ),
        id="action-done-late",
    ),
    # Due in summer: midnight CEST = 22:00Z; five days ahead, running.
    pytest.param(
        Case(
            record("2026-07-01T09:00:00Z", actions=({**ACTION_DUE_NOV_20, "due": "2026-07-15"},)),
            "action:A1",
            "2026-07-10T12:00:00Z",
            "running",
            0,
            "2026-07-15T22:00:00Z",
            {"remaining_seconds": 5 * D + 10 * H},
        ),
        id="action-due-in-summer-time",
    ),
    # --- as of an earlier instant --------------------------------------------------------------
    # Resolved at 12:00, but as of 11:00 that has not happened: 2 h = 7200 s, running.
    pytest.param(
        Case(
            RESOLVED_ENTERPRISE,
            "resolve",
            "2026-11-20T11:00:00Z",
            "running",
            7200,
            "2026-11-23T09:00:00Z",
            {"stopped_at": None},
        ),
        id="events-after-now-have-not-happened",
    ),
]


def _clock(case: Case) -> Clock | None:
    status, reviewed = case.postmortem
    clocks = clocks_for(
        case.record,
        POLICY,
        at(case.now),
        postmortem=None if status is None else {"status": status, "reviewed_at": reviewed},
    )
    found = [clock for clock in clocks if clock.clock == case.clock]
    assert len(found) <= 1
    return found[0] if found else None


@pytest.mark.parametrize("case", CASES)
def test_clock(case: Case) -> None:
    clock = _clock(case)
    if case.state is None:
        assert clock is None
        return
    assert clock is not None, f"no {case.clock} clock"
    assert (clock.state, clock.elapsed_seconds, rfc3339(clock.deadline)) == (
        case.state,
        case.elapsed,
        case.deadline,
    )
    for key, expected in case.expect.items():
        value = getattr(clock, key)
        if isinstance(value, datetime):
            value = rfc3339(value)
        assert value == expected, key


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40


# --- the rest of the clock contract ------------------------------------------------------------


def test_clocks_come_in_contract_order_then_actions() -> None:
    escalation = record(
        "2026-11-20T09:00:00Z",
        ev("2026-11-20T09:10:00Z", "acknowledged"),
        ev("2026-11-20T12:00:00Z", "resolved"),
        actions=(ACTION_DUE_NOV_20, {**ACTION_DUE_NOV_20, "id": "A2"}),
    )
    names = [clock.clock for clock in clocks_for(escalation, POLICY, at("2026-11-21T00:00Z"))]
    assert names == [
        "acknowledge",
        "customer_update",
        "mitigate",
        "resolve",
        "postmortem",
        "action:A1",
        "action:A2",
    ]


def test_sev3_has_no_mitigate_clock() -> None:
    names = {
        clock.clock
        for clock in clocks_for(
            record("2026-11-20T09:00:00Z", severity="sev3"), POLICY, at("2026-11-20T10:00Z")
        )
    }
    assert names == {"acknowledge", "customer_update", "resolve"}


def test_a_record_opened_after_now_has_no_clocks() -> None:
    assert clocks_for(ENTERPRISE_OPEN, POLICY, at("2026-11-20T08:59:00Z")) == []


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="naive"):
        clocks_for(ENTERPRISE_OPEN, POLICY, datetime(2026, 11, 20, 10))


def test_a_tier_without_a_calendar_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match="no calendar"):
        clocks_for(record("2026-11-20T09:00:00Z", tier="gold"), POLICY, at("2026-11-20T10:00Z"))


def test_clock_json_has_the_contract_keys_first() -> None:
    clock = clocks_for(ENTERPRISE_OPEN, POLICY, at("2026-11-20T10:10:00+01:00"))[0]
    data = clock.as_json()
    assert list(data)[:7] == [
        "clock",
        "state",
        "target_seconds",
        "deadline",
        "stopped_at",
        "elapsed_seconds",
        "remaining_seconds",
    ]
    assert {"overdue_seconds", "missed_cycles", "calendar"} <= set(data)
    assert data["deadline"] == "2026-11-20T09:30:00Z"
    assert data["stopped_at"] is None


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        ("2026-11-20T09:12:00+01:00", "2026-11-20T08:12:00Z"),
        ("2026-07-01T00:00:00-04:00", "2026-07-01T04:00:00Z"),
        ("2026-11-20T09:12:00.250000+00:00", "2026-11-20T09:12:00.250000Z"),
    ],
)
def test_rfc3339_is_utc_with_z(instant: str, text: str) -> None:
    assert rfc3339(at(instant)) == text


# --- the report over a repository --------------------------------------------------------------


def _repo(*escalations: Escalation, postmortems: Mapping[str, Mapping[str, Any]] = {}) -> Repo:
    sources = [
        SourceFile(escalation.path, "escalation", "", escalation.data, [])
        for escalation in escalations
    ]
    pm_sources = {
        escalation_id: SourceFile(
            f"incidents/2026/{escalation_id}/postmortem.md", "postmortem", "", dict(data), []
        )
        for escalation_id, data in postmortems.items()
    }
    return Repo(
        root=Path("."),
        schemas=None,  # type: ignore[arg-type]  # the report never reads schemas
        policy=POLICY,
        policy_findings=[],
        sources=[*sources, *pm_sources.values()],
        escalations={escalation.id: escalation for escalation in escalations},
        postmortems=pm_sources,
    )


def _ids(report: SlaReport) -> list[str]:
    return [escalation.id for escalation, _ in report.escalations]


NOW = at("2026-11-22T12:00:00Z")


def test_report_orders_by_urgency_and_lists_overdue_clocks() -> None:
    late = record("2026-11-22T09:00:00Z", record_id="ESC-2026-0002")  # ack 3 h late
    calm = record(
        "2026-11-22T11:50:00Z",
        ev("2026-11-22T11:55:00Z", "acknowledged"),
        record_id="ESC-2026-0001",
    )
    report = check(_repo(calm, late), NOW)
    assert _ids(report) == ["ESC-2026-0002", "ESC-2026-0001"]
    overdue = report.as_json()["overdue"]
    assert {"id": "ESC-2026-0002", "clock": "acknowledge", "overdue_seconds": 9000.0} in overdue
    assert all(entry["id"] == "ESC-2026-0002" for entry in overdue)


def test_drills_are_measured_but_never_flagged() -> None:
    drill = record("2026-11-22T09:00:00Z", record_id="ESC-2026-0003", drill=True)
    report = check(_repo(drill), NOW)
    assert _ids(report) == ["ESC-2026-0003"]
    assert report.as_json()["escalations"][0]["drill"] is True
    assert report.overdue == []
    assert report.flagged("overdue", "at_risk") == []


def test_live_only_keeps_active_cases_and_running_follow_ups() -> None:
    done = record(
        "2026-11-01T09:00:00Z",
        ev("2026-11-01T09:10:00Z", "acknowledged"),
        ev("2026-11-01T12:00:00Z", "resolved"),
        record_id="ESC-2026-0010",
        severity="sev3",
    )
    waiting_for_postmortem = record(
        "2026-11-01T09:00:00Z",
        ev("2026-11-01T09:10:00Z", "acknowledged"),
        ev("2026-11-01T12:00:00Z", "resolved"),
        record_id="ESC-2026-0011",
    )
    reviewed = record(
        "2026-11-01T09:00:00Z",
        ev("2026-11-01T09:10:00Z", "acknowledged"),
        ev("2026-11-01T12:00:00Z", "resolved"),
        record_id="ESC-2026-0012",
    )
    open_action = record(
        "2026-11-01T09:00:00Z",
        ev("2026-11-01T09:10:00Z", "acknowledged"),
        ev("2026-11-01T12:00:00Z", "resolved"),
        record_id="ESC-2026-0013",
        severity="sev3",
        actions=({**ACTION_DUE_NOV_20, "due": "2026-12-01"},),
    )
    active = record("2026-11-22T11:00:00Z", record_id="ESC-2026-0014")
    repo = _repo(
        done,
        waiting_for_postmortem,
        reviewed,
        open_action,
        active,
        postmortems={
            "ESC-2026-0012": {"status": "reviewed", "reviewed_at": "2026-11-05T10:00:00Z"}
        },
    )
    assert sorted(_ids(check(repo, NOW, live_only=True))) == [
        "ESC-2026-0011",
        "ESC-2026-0013",
        "ESC-2026-0014",
    ]
    assert len(check(repo, NOW).escalations) == 5


def test_records_with_impossible_timelines_are_skipped_and_named() -> None:
    data = dict(ENTERPRISE_OPEN.data)
    data["id"] = "ESC-2026-0020"
    data["timeline"] = [ev("2026-11-20T10:00:00Z", "resumed")]  # never paused
    broken = Escalation.from_data("incidents/2026/ESC-2026-0020/escalation.yaml", data)
    assert broken.problems
    report = check(_repo(broken, ENTERPRISE_OPEN), NOW)
    assert _ids(report) == ["ESC-2026-0001"]
    assert [finding.file for finding in report.skipped] == [broken.path]
    assert "not measured" in report.skipped[0].message


def test_report_is_as_of_now_for_status_and_owner() -> None:
    later = record(
        "2026-11-20T09:00:00Z",
        ev("2026-11-20T09:10:00Z", "acknowledged"),
        ev("2026-11-20T10:00:00Z", "assigned", to="bob"),
        ev("2026-11-20T12:00:00Z", "resolved"),
    )
    entry = check(_repo(later), at("2026-11-20T09:30:00Z")).as_json()["escalations"][0]
    assert (entry["status"], entry["owner"]) == ("acknowledged", "alice")
    entry = check(_repo(later), NOW).as_json()["escalations"][0]
    assert (entry["status"], entry["owner"]) == ("resolved", "bob")


@pytest.mark.parametrize(
    "instant",
    [
        "1970-01-01T00:00:00+00:00",
        "1999-12-31T23:59:59.999999+00:00",
        "2026-03-29T01:00:00.000001+00:00",
        "2026-11-20T08:12:00+01:00",
        "2400-02-29T12:00:00-05:00",
    ],
)
def test_a_plans_instants_read_as_rfc3339_writes_them(instant: str) -> None:
    from escalate.calendar import epoch_us
    from escalate.sla import _text

    assert _text(epoch_us(at(instant))) == rfc3339(at(instant))


# --- the actions a postmortem adds ----------------------------------------------------------------
# DESIGN: a record's actions are its follow-ups, and "postmortems add more"; each is an
# action:<id> clock due at the end of its due date in Europe/Berlin (POLICY's default zone).


def _resolved_sev3() -> Escalation:
    # sev3: no postmortem target, and resolved with every action done: nothing of the record
    # itself can count again.
    return record(
        "2026-11-02T09:00:00Z",
        ev("2026-11-02T09:10:00Z", "acknowledged"),
        ev("2026-11-02T12:00:00Z", "customer_update"),
        ev("2026-11-02T12:00:00Z", "resolved"),
        severity="sev3",
        actions=(
            {"id": "A1", "owner": "alice", "due": "2026-11-10", "done_at": "2026-11-09T10:00:00Z"},
        ),
    )


POSTMORTEM_ACTIONS = [
    # Listed by the record too: the record's own entry is the clock, not measured twice.
    {"id": "A1", "owner": "alice", "due": "2026-11-10"},
    # Due at the end of 20 Nov in Berlin = 2026-11-20T23:00:00Z; NOW (22 Nov 12:00Z) is
    # 1 d 13 h = 133200 s past it.
    {"id": "A2", "owner": "bob", "due": "2026-11-20"},
    # Done on 21 Nov 08:00Z, before its due end (25 Nov 23:00Z): met with 4 d 15 h to spare.
    {"id": "A3", "owner": "bob", "due": "2026-11-25", "done_at": "2026-11-21T08:00:00Z"},
]


def test_a_postmortems_actions_are_clocks_too() -> None:
    clocks = clocks_for(
        _resolved_sev3(), POLICY, NOW,
        postmortem={"status": "published", "actions": POSTMORTEM_ACTIONS},
    )  # fmt: skip
    actions = [c for c in clocks if c.clock.startswith("action:")]
    assert [(c.clock, c.state) for c in actions] == [
        ("action:A1", "met"),
        ("action:A2", "overdue"),
        ("action:A3", "met"),
    ]
    assert actions[1].deadline == at("2026-11-20T23:00:00Z")
    assert actions[1].overdue_seconds == 133200.0
    assert actions[2].remaining_seconds == 4 * D + 15 * H
    # As of 21 Nov 07:00Z, A3 was not done yet, and A2 was overdue by 8 h.
    earlier = clocks_for(
        _resolved_sev3(), POLICY, at("2026-11-21T07:00:00Z"),
        postmortem={"status": "draft", "actions": POSTMORTEM_ACTIONS},
    )  # fmt: skip
    assert [(c.clock, c.state, c.overdue_seconds) for c in earlier[-2:]] == [
        ("action:A2", "overdue", 8 * H),
        ("action:A3", "running", 0.0),
    ]


def test_the_report_lists_a_finished_case_for_its_postmortems_open_action() -> None:
    escalation = _resolved_sev3()
    front = {"id": escalation.id, "status": "published", "actions": POSTMORTEM_ACTIONS}
    repo = _repo(escalation, postmortems={escalation.id: front})
    report = check(repo, NOW, live_only=True)
    ((listed, clocks),) = report.escalations
    assert listed is escalation
    assert [c.clock for c in clocks] == [
        "acknowledge", "customer_update", "resolve", "action:A1", "action:A2", "action:A3",
    ]  # fmt: skip
    assert report.as_json()["overdue"] == [
        {"id": escalation.id, "clock": "action:A2", "overdue_seconds": 133200.0}
    ]
    # Once the action is done, nothing of the case counts any more.
    done = [
        dict(a, done_at="2026-11-21T09:00:00Z") if a["id"] == "A2" else a
        for a in POSTMORTEM_ACTIONS
    ]
    repo = _repo(escalation, postmortems={escalation.id: dict(front, actions=done)})
    assert check(repo, NOW, live_only=True).escalations == []
