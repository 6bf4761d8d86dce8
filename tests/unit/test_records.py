"""Timeline replay: derived status, owner, level, severity and milestones, and every problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from escalate.records import (
    ACKNOWLEDGED,
    CLOSED,
    MITIGATED,
    OPEN,
    RESOLVED,
    WAITING,
    Escalation,
    derive,
    describe,
    format_age,
    parse_instant,
)

OPENED = "2026-11-20T09:00:00+01:00"


def at(minute: int) -> str:
    """An instant `minute` minutes after OPENED, written in the record's style."""
    return (parse_instant(OPENED) + timedelta(minutes=minute)).isoformat()


def ev(minute: int, event: str, by: str = "alice", **extra: str) -> dict[str, str]:
    return {"at": at(minute), "event": event, "by": by, **extra}


def record(*timeline: dict[str, str], **top: Any) -> dict[str, Any]:
    return {
        "id": "ESC-2026-0001",
        "title": "Card payments failing at checkout",
        "opened_at": OPENED,
        "severity": "sev2",
        "owner": "alice",
        "level": "L2",
        "category": "payments",
        "customer": {"name": "Acme GmbH", "tier": "enterprise", "region": "emea"},
        "impact": {"summary": "Card payments fail."},
        "timeline": list(timeline),
        **top,
    }


PAUSE = {"reason": "waiting_on_customer"}

# (name, timeline, expected status, owner, level, severity)
STATES = [
    ("nothing yet", [], OPEN, "alice", "L2", "sev2"),
    ("acknowledged", [ev(5, "acknowledged")], ACKNOWLEDGED, "alice", "L2", "sev2"),
    ("notes do not move it", [ev(5, "note", text="x")], OPEN, "alice", "L2", "sev2"),
    (
        "paused",
        [ev(5, "acknowledged"), ev(10, "paused", **PAUSE)],
        WAITING,
        "alice",
        "L2",
        "sev2",
    ),
    (
        "resumed",
        [ev(5, "acknowledged"), ev(10, "paused", **PAUSE), ev(20, "resumed")],
        ACKNOWLEDGED,
        "alice",
        "L2",
        "sev2",
    ),
    (
        "mitigated",
        [ev(5, "acknowledged"), ev(30, "mitigated", "dan")],
        MITIGATED,
        "alice",
        "L2",
        "sev2",
    ),
    (
        "mitigated while paused stays waiting",
        [ev(5, "acknowledged"), ev(10, "paused", **PAUSE), ev(30, "mitigated", "dan")],
        WAITING,
        "alice",
        "L2",
        "sev2",
    ),
    (
        "mitigated then resumed",
        [
            ev(5, "acknowledged"),
            ev(10, "paused", **PAUSE),
            ev(30, "mitigated", "dan"),
            ev(40, "resumed"),
        ],
        MITIGATED,
        "alice",
        "L2",
        "sev2",
    ),
    ("resolved without ack", [ev(30, "resolved", "dan")], RESOLVED, "alice", "L2", "sev2"),
    (
        "resolved",
        [ev(5, "acknowledged"), ev(30, "mitigated", "dan"), ev(60, "resolved", "dan")],
        RESOLVED,
        "alice",
        "L2",
        "sev2",
    ),
    (
        "closed",
        [ev(5, "acknowledged"), ev(60, "resolved", "dan"), ev(90, "closed", "carol")],
        CLOSED,
        "alice",
        "L2",
        "sev2",
    ),
    (
        "a note after closing",
        [ev(60, "resolved", "dan"), ev(90, "closed", "carol"), ev(95, "note", text="x")],
        CLOSED,
        "alice",
        "L2",
        "sev2",
    ),
    (
        "reopened",
        [ev(60, "resolved", "dan"), ev(90, "reopened")],
        ACKNOWLEDGED,
        "alice",
        "L2",
        "sev2",
    ),
    (
        "reopened after closing",
        [ev(60, "resolved", "dan"), ev(90, "closed", "carol"), ev(95, "reopened")],
        ACKNOWLEDGED,
        "alice",
        "L2",
        "sev2",
    ),
    (
        "reopened then paused",
        [ev(60, "resolved", "dan"), ev(90, "reopened"), ev(95, "paused", **PAUSE)],
        WAITING,
        "alice",
        "L2",
        "sev2",
    ),
    (
        "reopened then resolved",
        [ev(60, "resolved", "dan"), ev(90, "reopened"), ev(120, "resolved", "dan")],
        RESOLVED,
        "alice",
        "L2",
        "sev2",
    ),
    ("assigned", [ev(5, "assigned", to="bob")], OPEN, "bob", "L2", "sev2"),
    (
        "escalated",
        [ev(5, "acknowledged"), ev(10, "escalated", level="L4")],
        ACKNOWLEDGED,
        "alice",
        "L4",
        "sev2",
    ),
    (
        "escalated to a person",
        [ev(5, "acknowledged"), ev(10, "escalated", level="L4", to="dan")],
        ACKNOWLEDGED,
        "dan",
        "L4",
        "sev2",
    ),
    (
        "escalated down",
        [ev(10, "escalated", level="L4"), ev(20, "escalated", level="L3")],
        OPEN,
        "alice",
        "L3",
        "sev2",
    ),
    ("reclassified", [ev(5, "reclassified", severity="sev1")], OPEN, "alice", "L2", "sev1"),
    (
        "the whole lot",
        [
            ev(5, "acknowledged", "bob"),
            ev(10, "reclassified", "bob", severity="sev1"),
            ev(15, "assigned", "bob", to="omar"),
            ev(20, "escalated", "omar", level="L3", to="carol"),
            ev(25, "assigned", "carol", to="grace"),
            ev(30, "escalated", "grace", level="L4"),
            ev(35, "reclassified", "grace", severity="sev3"),
        ],
        ACKNOWLEDGED,
        "grace",
        "L4",
        "sev3",
    ),
    (
        "handed back down after resolution",
        [ev(60, "resolved", "dan"), ev(70, "escalated", "dan", level="L1", to="bob")],
        RESOLVED,
        "bob",
        "L1",
        "sev2",
    ),
]


@pytest.mark.parametrize(
    ("timeline", "status", "owner", "level", "severity"),
    [pytest.param(*case[1:], id=case[0]) for case in STATES],
)
def test_derived_state(
    timeline: list[dict[str, str]], status: str, owner: str, level: str, severity: str
) -> None:
    state, problems = derive(record(*timeline))
    assert problems == []
    assert (state.status, state.owner, state.level, state.severity) == (
        status,
        owner,
        level,
        severity,
    )
    assert state.active == (status not in (RESOLVED, CLOSED))


def test_resumed_before_acknowledgement_is_open_again() -> None:
    state, problems = derive(record(ev(5, "paused", **PAUSE), ev(10, "resumed")))
    assert problems == []
    assert (state.status, state.paused) == (OPEN, False)


def t(minute: int) -> datetime:
    return parse_instant(at(minute))


def test_milestones() -> None:
    state, problems = derive(
        record(
            ev(5, "acknowledged"),
            ev(7, "assigned", to="bob"),
            ev(8, "assigned", "bob", to="carol"),
            ev(9, "customer_update", "carol", text="On it."),
            ev(10, "paused", **PAUSE),
            ev(20, "resumed"),
            ev(25, "customer_update", text="Still on it."),
            ev(30, "paused", reason="waiting_on_vendor"),
            ev(40, "mitigated", "dan"),
            ev(60, "resolved", "dan"),  # ends the second pause
            ev(90, "closed", "carol"),
        )
    )
    assert problems == []
    assert state.acknowledged_at == t(5)
    assert state.first_assigned_at == t(7)
    assert state.last_customer_update_at == t(25)
    assert state.mitigated_at == t(40)
    assert state.resolved_at == t(60)
    assert state.closed_at == t(90)
    assert state.pauses == [(t(10), t(20)), (t(30), t(60))]
    assert (state.paused, state.pause_reason) == (False, None)
    assert state.last_event_at == t(90)
    assert state.owners == [(parse_instant(OPENED), "alice"), (t(7), "bob"), (t(8), "carol")]
    assert state.reopened_count == 0


def test_milestones_after_reopening() -> None:
    state, _ = derive(
        record(
            ev(5, "acknowledged"),
            ev(30, "mitigated", "dan"),
            ev(60, "resolved", "dan"),
            ev(70, "closed", "carol"),
            ev(80, "reopened"),
            ev(90, "note", text="Looking again."),
        )
    )
    assert state.status == ACKNOWLEDGED
    assert state.reopened_count == 1
    assert (state.mitigated_at, state.resolved_at, state.closed_at) == (None, None, None)
    assert state.acknowledged_at == t(5)  # the first acknowledgement is kept


def test_pause_reason_and_open_pause() -> None:
    state, _ = derive(record(ev(5, "paused", reason="waiting_on_vendor")))
    assert (state.status, state.paused, state.pause_reason) == (WAITING, True, "waiting_on_vendor")
    assert state.pauses == [(t(5), None)]


def test_levels_and_severities_history() -> None:
    state, _ = derive(
        record(
            ev(5, "escalated", level="L3"),
            ev(10, "reclassified", severity="sev1"),
            ev(15, "escalated", level="L5"),
        )
    )
    opened = parse_instant(OPENED)
    assert state.levels == [(opened, "L2"), (t(5), "L3"), (t(15), "L5")]
    assert state.severities == [(opened, "sev2"), (t(10), "sev1")]


def test_order_compares_instants_not_text() -> None:
    # 08:30Z is 09:30+01:00, after 09:20+01:00 although its text sorts first;
    # 10:10+02:00 is 09:10+01:00, before it although its text sorts after.
    _, problems = derive(
        record(
            {"at": "2026-11-20T09:20:00+01:00", "event": "acknowledged", "by": "alice"},
            {"at": "2026-11-20T08:30:00Z", "event": "note", "by": "alice", "text": "x"},
        )
    )
    assert problems == []
    _, problems = derive(
        record(
            {"at": "2026-11-20T09:20:00+01:00", "event": "acknowledged", "by": "alice"},
            {"at": "2026-11-20T10:10:00+02:00", "event": "note", "by": "alice", "text": "x"},
        )
    )
    assert [(p.rule, p.pointer) for p in problems] == [("timeline/order", "/timeline/1/at")]


# (name, timeline, [(rule, pointer, message fragment)])
PROBLEMS = [
    (
        "before opened_at",
        [ev(-5, "acknowledged")],
        [("timeline/before-opened", "/timeline/0/at", "is before opened_at")],
    ),
    (
        "out of order",
        [ev(5, "acknowledged"), ev(30, "note", text="x"), ev(20, "note", text="y")],
        [("timeline/order", "/timeline/2/at", "earlier than the event before it")],
    ),
    (
        "out of order against the latest, not the previous",
        [ev(30, "note", text="x"), ev(10, "note", text="y"), ev(20, "note", text="z")],
        [
            ("timeline/order", "/timeline/1/at", "earlier"),
            ("timeline/order", "/timeline/2/at", "earlier"),
        ],
    ),
    (
        "acknowledged twice",
        [ev(5, "acknowledged"), ev(6, "acknowledged", "bob")],
        [("timeline/transition", "/timeline/1/event", "already acknowledged")],
    ),
    (
        "acknowledged again after reopening",
        [ev(5, "acknowledged"), ev(60, "resolved"), ev(70, "reopened"), ev(75, "acknowledged")],
        [("timeline/transition", "/timeline/3/event", "already acknowledged")],
    ),
    (
        "resolved twice",
        [ev(60, "resolved"), ev(70, "resolved")],
        [("timeline/transition", "/timeline/1/event", "already resolved; add reopened")],
    ),
    (
        "closed before resolved",
        [ev(5, "acknowledged"), ev(70, "closed")],
        [("timeline/transition", "/timeline/1/event", "only a resolved case can be closed")],
    ),
    (
        "closed twice",
        [ev(60, "resolved"), ev(70, "closed"), ev(80, "closed")],
        [("timeline/transition", "/timeline/2/event", "the case is closed")],
    ),
    (
        "resolving a closed case",
        [ev(60, "resolved"), ev(70, "closed"), ev(80, "resolved")],
        [("timeline/transition", "/timeline/2/event", "the case is closed")],
    ),
    (
        "an update after closing",
        [ev(60, "resolved"), ev(70, "closed"), ev(80, "customer_update", text="x")],
        [("timeline/transition", "/timeline/2/event", "only a note or reopened can follow")],
    ),
    (
        "resumed without pause",
        [ev(5, "acknowledged"), ev(10, "resumed")],
        [("timeline/transition", "/timeline/1/event", "not paused")],
    ),
    (
        "resumed twice",
        [ev(5, "paused", **PAUSE), ev(10, "resumed"), ev(15, "resumed")],
        [("timeline/transition", "/timeline/2/event", "not paused")],
    ),
    (
        "paused twice",
        [ev(5, "paused", **PAUSE), ev(10, "paused", **PAUSE)],
        [("timeline/transition", "/timeline/1/event", "already paused")],
    ),
    (
        "paused after resolution",
        [ev(60, "resolved"), ev(70, "paused", **PAUSE)],
        [("timeline/transition", "/timeline/1/event", "a resolved case cannot be paused")],
    ),
    (
        "mitigated twice",
        [ev(30, "mitigated"), ev(40, "mitigated")],
        [("timeline/transition", "/timeline/1/event", "already mitigated")],
    ),
    (
        "mitigated after resolution",
        [ev(60, "resolved"), ev(70, "mitigated")],
        [("timeline/transition", "/timeline/1/event", "must come before resolved")],
    ),
    (
        "reopened while open",
        [ev(5, "reopened")],
        [("timeline/transition", "/timeline/0/event", "only a resolved or closed case")],
    ),
    (
        "escalated to the current level",
        [ev(5, "escalated", level="L2")],
        [("timeline/transition", "/timeline/0/event", "already at L2")],
    ),
    (
        "assigned to the owner",
        [ev(5, "assigned", to="alice")],
        [("timeline/transition", "/timeline/0/event", "alice already owns the case")],
    ),
    (
        "reclassified to the current severity",
        [ev(5, "reclassified", severity="sev2")],
        [("timeline/transition", "/timeline/0/event", "already sev2")],
    ),
    (
        "before opened and impossible",
        [ev(-5, "resumed")],
        [
            ("timeline/before-opened", "/timeline/0/at", "before opened_at"),
            ("timeline/transition", "/timeline/0/event", "not paused"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("timeline", "expected"), [pytest.param(*case[1:], id=case[0]) for case in PROBLEMS]
)
def test_problems(timeline: list[dict[str, str]], expected: list[tuple[str, str, str]]) -> None:
    _, problems = derive(record(*timeline))
    assert [(p.rule, p.pointer) for p in problems] == [(r, p) for r, p, _ in expected]
    for problem, (_, _, fragment) in zip(problems, expected, strict=True):
        assert fragment in problem.message


def test_an_impossible_event_does_not_change_the_state() -> None:
    state, problems = derive(
        record(ev(60, "resolved", "dan"), ev(70, "resolved", "bob"), ev(80, "assigned", to="alice"))
    )
    assert len(problems) == 2
    assert state.resolved_at == t(60)
    assert state.last_event_at == t(60)
    assert state.owner == "alice"


# --- the Escalation and its description ------------------------------------------------------


def test_escalation_properties() -> None:
    escalation = Escalation.from_data(
        "incidents/2026/ESC-2026-0001/escalation.yaml",
        record(ev(5, "acknowledged"), drill=True),
    )
    assert escalation.id == "ESC-2026-0001"
    assert escalation.tier == "enterprise"
    assert escalation.region == "emea"
    assert escalation.drill is True
    assert escalation.opened_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert [e.pointer for e in escalation.events] == ["/timeline/0"]
    assert escalation.problems == []


def test_describe() -> None:
    escalation = Escalation.from_data(
        "incidents/2026/ESC-2026-0001/escalation.yaml",
        record(ev(5, "acknowledged"), ev(10, "reclassified", severity="sev1")),
    )
    view = describe(escalation, datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    assert view["status"] == ACKNOWLEDGED
    assert (view["severity"], view["severity_at_opening"]) == ("sev1", "sev2")
    assert view["age_seconds"] == 3600
    assert view["acknowledged_at"] == "2026-11-20T09:05:00+01:00"
    assert view["events"] == 2
    assert view["drill"] is False
    assert view["related"] == []


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0m"),
        (59, "0m"),
        (45 * 60, "45m"),
        (3600, "1h00m"),
        (5 * 3600 + 12 * 60, "5h12m"),
        (24 * 3600, "1d0h"),
        (3 * 86400 + 4 * 3600 + 59 * 60, "3d4h"),
    ],
)
def test_format_age(seconds: int, text: str) -> None:
    assert format_age(seconds) == text
