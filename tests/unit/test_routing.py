"""Routing: the starting level and owner from the matrix and roster, triggers as of an
instant, on call now and next, and the roster's coverage gaps."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from escalate.errors import RecordError
from escalate.policy import Policy, load_policy
from escalate.records import Escalation
from escalate.routing import (
    Gap,
    coverage_gaps,
    on_call_teams,
    pending,
    required_level,
    routable_teams,
    route,
    unresolved_time,
)
from escalate.schema import SchemaStore

ROOT = Path(__file__).resolve().parents[2]
MakeRecord = Callable[..., dict[str, Any]]

# Sunday 22 November 2026, 13:00 in Berlin. Every weekly turn began on Monday the 16th.
SUNDAY = "2026-11-22T12:00:00Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def loaded_policy() -> Policy:
    loaded, findings = load_policy(ROOT, SchemaStore(ROOT))
    assert not [f for f in findings if f.severity == "error"], findings
    return loaded


@pytest.fixture
def policy(loaded_policy: Policy) -> Policy:
    """The repository's own policy, a copy per test (tests change it freely)."""
    return copy.deepcopy(loaded_policy)


def rotation_of(policy: Policy, rotation_id: str) -> dict[str, Any]:
    for index, rotation in enumerate(policy.rotations):
        if rotation["id"] == rotation_id:
            policy.rotations[index] = copy.deepcopy(dict(rotation))
            return policy.rotations[index]  # type: ignore[return-value]
    raise AssertionError(rotation_id)


def escalation(data: dict[str, Any]) -> Escalation:
    return Escalation.from_data(f"incidents/2026/{data['id']}/escalation.yaml", data)


# --- route(): one row per trigger kind -----------------------------------------------------


@pytest.mark.parametrize(
    ("case", "category", "severity", "flags", "tier", "related", "level", "team", "owner"),
    [
        (
            "nothing applies",
            "billing",
            "sev3",
            [],
            "standard",
            [],
            "L1",
            "support-frontline",
            "erin",
        ),
        ("severity", "billing", "sev1", [], "business", [], "L3", "escalation-managers", "carol"),
        (
            "flag alone",
            "security",
            "sev3",
            ["security"],
            "standard",
            [],
            "L4",
            "security-eng",
            "tara",
        ),
        (
            "flag alone (L3)",
            "billing",
            "sev4",
            ["compliance"],
            "standard",
            [],
            "L3",
            "escalation-managers",
            "carol",
        ),
        (
            "severity and flag",
            "payments",
            "sev2",
            ["payment"],
            "business",
            [],
            "L4",
            "payments-eng",
            "ivan",
        ),
        (
            "flag at a severity the trigger skips",
            "payments",
            "sev3",
            ["payment"],
            "business",
            [],
            "L1",
            "support-frontline",
            "erin",
        ),
        (
            "unresolved_for never applies at opening",
            "availability",
            "sev2",
            [],
            "enterprise",
            [],
            "L1",
            "support-frontline",
            "erin",
        ),
        (
            "repeat count reached",
            "access",
            "sev3",
            [],
            "standard",
            ["ESC-1", "ESC-2", "ESC-3"],
            "L3",
            "escalation-managers",
            "carol",
        ),
        (
            "repeat count not reached",
            "access",
            "sev3",
            [],
            "standard",
            ["ESC-1", "ESC-2", "ESC-2"],
            "L1",
            "support-frontline",
            "erin",
        ),
        (
            "highest trigger wins",
            "data-integrity",
            "sev1",
            ["data", "compliance"],
            "enterprise",
            [],
            "L4",
            "data-eng",
            "rosa",
        ),
    ],
)
def test_route(
    policy: Policy,
    case: str,
    category: str,
    severity: str,
    flags: list[str],
    tier: str,
    related: list[str],
    level: str,
    team: str,
    owner: str,
) -> None:
    found = route(policy, category, severity, flags, tier, at(SUNDAY), related=related)
    assert (found.level, found.team, found.owner) == (level, team, owner), found.reason


def test_route_tier_trigger(policy: Policy) -> None:
    policy.triggers.append(
        {"id": "enterprise-gets-specialist", "level": "L2", "when": {"tier": ["enterprise"]}}
    )
    found = route(policy, "billing", "sev4", [], "enterprise", at(SUNDAY))
    assert (found.level, found.team, found.owner) == ("L2", "support-specialists", "frank")
    assert found.triggers[0].trigger == "enterprise-gets-specialist"
    assert "tier is enterprise" in found.reason
    assert route(policy, "billing", "sev4", [], "standard", at(SUNDAY)).level == "L1"


def test_route_reason_names_trigger_team_and_shift(policy: Policy) -> None:
    found = route(policy, "payments", "sev1", ["payment"], "enterprise", at(SUNDAY))
    assert found.reason == (
        "L4 by trigger payment-or-data-at-high-severity: severity is sev1, payment flag set; "
        "payments at L4 is payments-eng; "
        "ivan on call (payments-eng-weekly, until 2026-11-23 08:00Z)"
    )
    assert [hit.trigger for hit in found.triggers] == [
        "payment-or-data-at-high-severity",
        "sev1-needs-escalation-manager",
    ]
    assert found.rotation == "payments-eng-weekly"


def test_route_honours_overrides(policy: Policy) -> None:
    # Dan's turn, swapped to Ivan for Black Friday week.
    found = route(policy, "payments", "sev2", ["payment"], "business", at("2026-11-24T10:00:00Z"))
    assert found.owner == "ivan"
    assert "override: Swap with Dan (Black Friday week)." in found.reason


def test_route_takes_the_primary_layer_first(policy: Policy) -> None:
    # Secondary listed first in the file: the primary is still asked first.
    primary = rotation_of(policy, "escalation-managers-primary")
    policy.rotations.remove(primary)
    policy.rotations.append(primary)
    assert route(policy, "billing", "sev1", [], "standard", at(SUNDAY)).owner == "carol"


def test_route_falls_back_to_the_secondary_when_the_primary_has_nobody(policy: Policy) -> None:
    rotation_of(policy, "escalation-managers-primary")["start"] = "2027-01-04T09:00:00+01:00"
    found = route(policy, "billing", "sev1", [], "standard", at(SUNDAY))
    assert found.owner == "grace"
    assert found.rotation == "escalation-managers-secondary"


def test_route_without_anyone_on_call(policy: Policy) -> None:
    policy.rotations = [r for r in policy.rotations if r["team"] != "leadership"]
    policy.triggers.append({"id": "exec", "level": "L5", "when": {"flags": ["safety"]}})
    found = route(policy, "availability", "sev2", ["safety"], "standard", at(SUNDAY))
    assert (found.level, found.team, found.owner) == ("L5", "leadership", None)
    assert "leadership has no rotation" in found.reason


def test_route_at_a_given_level_still_names_the_triggers(policy: Policy) -> None:
    found = route(policy, "payments", "sev1", [], "enterprise", at(SUNDAY), level="L1")
    assert (found.level, found.team, found.owner) == ("L1", "support-frontline", "erin")
    assert found.reason.startswith("L1 as asked; payments at L1 is support-frontline")
    assert [hit.trigger for hit in found.triggers] == ["sev1-needs-escalation-manager"]


def test_route_treats_a_rotation_not_started_yet_as_nobody(policy: Policy) -> None:
    rotation_of(policy, "support-frontline-weekly")["start"] = "2027-01-04T09:00:00+01:00"
    found = route(policy, "billing", "sev3", [], "standard", at(SUNDAY))
    assert (found.level, found.owner) == ("L1", None)
    assert "rotation support-frontline-weekly starts 2027-01-04 08:00Z" in found.reason


def test_route_unknown_category_suggests(policy: Policy) -> None:
    with pytest.raises(RecordError, match="did you mean 'payments'"):
        route(policy, "payment", "sev2", [], "business", at(SUNDAY))


def test_route_needs_an_aware_instant(policy: Policy) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        route(policy, "payments", "sev2", [], "business", datetime(2026, 11, 22, 12))


# --- triggers as of an instant ----------------------------------------------------------------


def _sev1(make_record: MakeRecord, **changes: Any) -> dict[str, Any]:
    """Opened 2026-11-20 09:12 Berlin (08:12Z), enterprise (24x7), sev1 at L3, unresolved."""
    record = {
        "id": "ESC-2026-0100",
        "severity": "sev1",
        "level": "L3",
        "owner": "carol",
        "timeline": [
            {"at": "2026-11-20T09:20:00+01:00", "event": "acknowledged", "by": "carol"},
        ],
        "actions": None,
        **changes,
    }
    impact = dict(make_record()["impact"])
    impact["flags"] = []
    record.setdefault("impact", impact)
    return make_record(**record)


@pytest.mark.parametrize(
    ("now", "triggers", "unresolved"),
    [
        ("2026-11-20T08:11:00Z", [], None),  # not opened yet
        ("2026-11-20T12:11:00Z", ["sev1-needs-escalation-manager"], None),  # 3h59m
        ("2026-11-20T12:12:00Z", ["sev1-prolonged", "sev1-needs-escalation-manager"], "4h"),
        ("2026-11-21T08:12:00Z", ["sev1-prolonged", "sev1-needs-escalation-manager"], "1d"),
    ],
)
def test_unresolved_for_before_and_after(
    policy: Policy, make_record: MakeRecord, now: str, triggers: list[str], unresolved: str | None
) -> None:
    case = escalation(_sev1(make_record))
    assert [hit.trigger for hit in required_level(case, policy, at(now))] == triggers
    found = pending(case, policy, at(now))
    if unresolved is None:
        assert found is None  # at L3 already, which the severity trigger asks for
        return
    assert found is not None
    assert (found.level, found.required) == ("L3", "L5")
    [hit] = found.hits  # only the triggers above the current level
    assert (hit.trigger, hit.reason) == (
        "sev1-prolonged",
        f"severity is sev1, unresolved for {unresolved} (≥ 4h, open time on the 24x7 "
        "calendar, pauses excluded)",
    )


def test_unresolved_for_excludes_pauses(policy: Policy, make_record: MakeRecord) -> None:
    timeline = [
        {"at": "2026-11-20T09:20:00+01:00", "event": "acknowledged", "by": "carol"},
        {
            "at": "2026-11-20T10:12:00+01:00",
            "event": "paused",
            "by": "carol",
            "reason": "waiting_on_customer",
        },
        {"at": "2026-11-20T11:12:00+01:00", "event": "resumed", "by": "carol"},
    ]
    case = escalation(_sev1(make_record, timeline=timeline))
    # 4h of real time, 3h of it unpaused: not yet.
    assert pending(case, policy, at("2026-11-20T12:12:00Z")) is None
    assert pending(case, policy, at("2026-11-20T13:12:00Z")) is not None
    assert unresolved_time(case, policy, at("2026-11-20T13:12:00Z")).seconds == 4 * 3600


def test_unresolved_for_counts_the_tiers_calendar(policy: Policy, make_record: MakeRecord) -> None:
    policy.triggers.append(
        {"id": "quick", "level": "L3", "when": {"tier": ["business"], "unresolved_for": "2h"}}
    )
    # Friday 16:00 in Berlin, one hour before the emea-business calendar closes.
    record = _sev1(
        make_record,
        severity="sev3",
        level="L2",
        opened_at="2026-11-20T16:00:00+01:00",
        timeline=[{"at": "2026-11-20T16:05:00+01:00", "event": "acknowledged", "by": "alice"}],
        customer={"name": "Beta AG", "tier": "business", "arr": 30000, "region": "emea"},
    )
    case = escalation(record)
    # Monday 09:59: 1h on Friday + 59m on Monday, although 66 hours have passed.
    assert pending(case, policy, at("2026-11-23T09:59:00+01:00")) is None
    found = pending(case, policy, at("2026-11-23T10:00:00+01:00"))
    assert found is not None and found.required == "L3"
    assert (
        "unresolved for 2h (≥ 2h, open time on the emea-business calendar" in found.hits[0].reason
    )


def test_state_as_of_the_instant(policy: Policy, make_record: MakeRecord) -> None:
    timeline = [
        {"at": "2026-11-20T09:20:00+01:00", "event": "acknowledged", "by": "carol"},
        {"at": "2026-11-20T14:00:00+01:00", "event": "escalated", "by": "carol", "level": "L5"},
        {"at": "2026-11-20T18:00:00+01:00", "event": "resolved", "by": "carol"},
    ]
    case = escalation(_sev1(make_record, timeline=timeline))
    before = pending(case, policy, at("2026-11-20T13:30:00+01:00"))
    assert before is not None and before.level == "L3" and before.required == "L5"
    assert pending(case, policy, at("2026-11-20T14:00:00+01:00")) is None  # raised
    # Resolved: nothing is pending and time unresolved no longer triggers anything.
    assert pending(case, policy, at("2026-11-21T12:00:00+01:00")) is None
    hits = required_level(case, policy, at("2026-11-21T12:00:00+01:00"))
    assert [hit.trigger for hit in hits] == ["sev1-needs-escalation-manager"]


def test_reclassification_changes_the_severity_triggers_see(
    policy: Policy, make_record: MakeRecord
) -> None:
    record = _sev1(
        make_record,
        severity="sev3",
        level="L1",
        timeline=[
            {"at": "2026-11-20T09:20:00+01:00", "event": "acknowledged", "by": "bob"},
            {
                "at": "2026-11-20T09:30:00+01:00",
                "event": "reclassified",
                "by": "bob",
                "severity": "sev1",
            },
        ],
    )
    case = escalation(record)
    assert pending(case, policy, at("2026-11-20T09:25:00+01:00")) is None
    found = pending(case, policy, at("2026-11-20T09:31:00+01:00"))
    assert found is not None and found.required == "L3"


@pytest.mark.parametrize(
    ("related", "later", "needs"),
    [
        (["ESC-2026-0001", "ESC-2026-0002", "ESC-2026-0003"], set(), "L3"),
        (["ESC-2026-0001", "ESC-2026-0002"], set(), None),
        (["ESC-2026-0001", "ESC-2026-0002", "ESC-2026-0100"], set(), None),  # itself
        (["ESC-2026-0001", "ESC-2026-0002", "ESC-2026-0200"], {"ESC-2026-0200"}, None),
    ],
)
def test_repeat_count(
    policy: Policy, make_record: MakeRecord, related: list[str], later: set[str], needs: str | None
) -> None:
    case = escalation(_sev1(make_record, severity="sev3", level="L1", related=related))
    known = {
        other: SimpleNamespace(
            opened_at=at("2026-12-01T00:00:00Z") if other in later else at("2026-01-01T00:00:00Z")
        )
        for other in related
    }
    repo: Any = SimpleNamespace(escalations=known)
    found = pending(case, policy, at("2026-11-20T10:00:00+01:00"), repo)
    assert (found.required if found else None) == needs
    if found is not None:
        assert found.hits[0].reason == "3 related escalations (≥ 3)"


def test_flags_and_tier_triggers_as_of_an_instant(policy: Policy, make_record: MakeRecord) -> None:
    impact = dict(make_record()["impact"], flags=["security"])
    case = escalation(_sev1(make_record, severity="sev3", level="L2", impact=impact))
    found = pending(case, policy, at("2026-11-20T10:00:00+01:00"))
    assert found is not None
    assert (found.required, found.hits[0].trigger, found.hits[0].reason) == (
        "L4",
        "security-or-safety",
        "security flag set",
    )
    assert found.as_json()["triggers"][0]["description"].startswith("Security and safety issues")


# --- on call -----------------------------------------------------------------------------------


def test_on_call_now_and_next(policy: Policy) -> None:
    teams = {team.team: team for team in on_call_teams(policy, at(SUNDAY))}
    payments = teams["payments-eng"].duties[0]
    assert payments.current is not None and payments.current.handle == "ivan"
    # Ivan's own week, then his swapped week, then his own again: Dan is next on 7 December.
    assert payments.next is not None
    assert (payments.next.handle, payments.next.start) == ("dan", at("2026-12-07T08:00:00Z"))
    managers = teams["escalation-managers"]
    assert [
        (duty.layer, duty.current.handle if duty.current else None) for duty in managers.duties
    ] == [
        ("primary", "carol"),
        ("secondary", "grace"),
    ]


def test_on_call_shows_override_reasons(policy: Policy) -> None:
    [team] = on_call_teams(policy, at("2026-12-22T12:00:00Z"), "escalation-managers")
    primary = team.duties[0]
    assert primary.current is not None
    assert (primary.current.handle, primary.current.override) == ("grace", True)
    assert primary.current.reason == "Hugo on Christmas leave."
    assert primary.as_json(policy)["on_call"]["reason"] == "Hugo on Christmas leave."


def test_on_call_before_a_rotation_starts(policy: Policy) -> None:
    rotation_of(policy, "billing-ops-weekly")["start"] = "2026-12-07T09:00:00+01:00"
    [team] = on_call_teams(policy, at(SUNDAY), "billing-ops")
    duty = team.duties[0]
    assert duty.current is None
    assert duty.problem == "rotation billing-ops-weekly starts 2026-12-07 08:00Z"
    assert duty.next is not None and (duty.next.handle, duty.next.start) == (
        "wendy",
        at("2026-12-07T08:00:00Z"),
    )
    assert not team.covered


# --- coverage gaps -----------------------------------------------------------------------------

WINDOW = (at("2026-11-22T00:00:00Z"), at("2026-12-31T00:00:00Z"))


def test_the_real_roster_has_no_gaps(policy: Policy) -> None:
    assert coverage_gaps(policy, *WINDOW) == []
    assert "leadership" in routable_teams(policy)
    assert "support-frontline" in routable_teams(policy)


def test_a_rotation_starting_mid_window(policy: Policy) -> None:
    rotation_of(policy, "data-eng-weekly")["start"] = "2026-12-01T09:00:00-05:00"
    assert coverage_gaps(policy, *WINDOW) == [
        Gap(
            "data-eng",
            WINDOW[0],
            at("2026-12-01T14:00:00Z"),
            "data-eng-weekly: rotation data-eng-weekly starts 2026-12-01 14:00Z",
        )
    ]


def test_an_override_before_the_start_covers(policy: Policy) -> None:
    rotation = rotation_of(policy, "data-eng-weekly")
    rotation["start"] = "2026-12-01T09:00:00-05:00"
    rotation["overrides"] = [
        {"start": "2026-11-01T00:00:00Z", "end": "2026-11-30T00:00:00Z", "handle": "quinn"}
    ]
    [gap] = coverage_gaps(policy, *WINDOW)
    assert (gap.start, gap.end) == (at("2026-11-30T00:00:00Z"), at("2026-12-01T14:00:00Z"))


def test_a_weekend_override_of_nobody(policy: Policy) -> None:
    rotation = rotation_of(policy, "identity-eng-weekly")
    rotation["overrides"] = [
        {
            "start": "2026-11-28T00:00:00+01:00",
            "end": "2026-11-30T00:00:00+01:00",
            "handle": "nobody",
        }
    ]
    assert coverage_gaps(policy, *WINDOW) == [
        Gap(
            "identity-eng",
            at("2026-11-27T23:00:00Z"),
            at("2026-11-29T23:00:00Z"),
            "identity-eng-weekly: nobody is not a person in policy/roster.yaml",
        )
    ]


def test_a_member_of_another_team(policy: Policy) -> None:
    rotation_of(policy, "integrations-eng-weekly")["members"] = ["uma", "bob"]
    gaps = coverage_gaps(policy, *WINDOW)
    assert {gap.team for gap in gaps} == {"integrations-eng"}
    assert (
        gaps[0].reason
        == "integrations-eng-weekly: bob is in team support-frontline, not integrations-eng"
    )
    # Bob's turns are every other week: the one under way, then from 2026-11-30 on.
    assert [(gap.start, gap.end) for gap in gaps] == [
        (WINDOW[0], at("2026-11-23T08:00:00Z")),
        (at("2026-11-30T08:00:00Z"), at("2026-12-07T08:00:00Z")),
        (at("2026-12-14T08:00:00Z"), at("2026-12-21T08:00:00Z")),
        (at("2026-12-28T08:00:00Z"), WINDOW[1]),
    ]


def test_a_team_with_no_rotation(policy: Policy) -> None:
    policy.rotations = [r for r in policy.rotations if r["team"] != "leadership"]
    assert coverage_gaps(policy, *WINDOW) == [
        Gap("leadership", *WINDOW, "leadership has no rotation in policy/roster.yaml")
    ]


def test_a_secondary_layer_covers_a_gap_in_the_primary(policy: Policy) -> None:
    rotation_of(policy, "escalation-managers-primary")["overrides"] = [
        {"start": "2026-11-28T00:00:00Z", "end": "2026-11-30T00:00:00Z", "handle": "nobody"}
    ]
    assert coverage_gaps(policy, *WINDOW) == []
    rotation_of(policy, "escalation-managers-secondary")["overrides"] = [
        {"start": "2026-11-29T00:00:00Z", "end": "2026-12-02T00:00:00Z", "handle": "ghost"}
    ]
    [gap] = coverage_gaps(policy, *WINDOW)
    assert (gap.start, gap.end) == (at("2026-11-29T00:00:00Z"), at("2026-11-30T00:00:00Z"))
    assert gap.reason == (
        "escalation-managers-primary: nobody is not a person in policy/roster.yaml; "
        "escalation-managers-secondary: ghost is not a person in policy/roster.yaml"
    )


def test_coverage_needs_aware_instants(policy: Policy) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        coverage_gaps(policy, datetime(2026, 11, 22), WINDOW[1])
    assert coverage_gaps(policy, WINDOW[1], WINDOW[0]) == []
