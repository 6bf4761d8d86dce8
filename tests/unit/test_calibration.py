"""Score calibration: distributions per severity, and records whose band disagrees with
their severity or with what happened to them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from escalate.calibration import (
    Distribution,
    calibrate,
    expected_bands,
    sparkline,
)
from escalate.policy import Policy, load_policy
from escalate.records import Escalation
from escalate.schema import SchemaStore

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-11-22T12:00:00+00:00")
MakeRecord = Callable[..., dict[str, Any]]

SMALL = {"name": "Tiny GmbH", "tier": "standard", "arr": 0, "region": "emea"}
QUIET = {
    "customers_affected": 1,
    "reputational_risk": "low",
    "flags": [],
    "summary": "One shop sees it.",
}


@pytest.fixture(scope="module")
def loaded_policy() -> Policy:
    loaded, _ = load_policy(ROOT, SchemaStore(ROOT))
    return loaded


@pytest.fixture
def policy(loaded_policy: Policy) -> Policy:
    return copy.deepcopy(loaded_policy)


def _event(at: str, event: str, by: str, **extra: str) -> dict[str, str]:
    return {"at": at, "event": event, "by": by, **extra}


def case(make_record: MakeRecord, number: int, **changes: Any) -> Escalation:
    record_id = f"ESC-2026-{number:04d}"
    data = make_record(id=record_id, **changes)
    return Escalation.from_data(f"incidents/2026/{record_id}/escalation.yaml", data)


def quiet_timeline(opened: str = "2026-11-20T09:20:00+01:00") -> list[dict[str, str]]:
    return [
        _event(opened, "acknowledged", "bob"),
        _event("2026-11-20T10:00:00+01:00", "resolved", "bob"),
    ]


def test_expected_bands_by_position(policy: Policy) -> None:
    assert expected_bands(policy) == {"sev1": "P1", "sev2": "P2", "sev3": "P3", "sev4": "P4"}
    # More severities than bands: the extra ones expect the last band.
    policy.scoring = {**policy.scoring, "bands": policy.scoring["bands"][:2]}
    assert expected_bands(policy) == {"sev1": "P1", "sev2": "P2", "sev3": "P2", "sev4": "P2"}


def test_distribution() -> None:
    dist = Distribution("sev2", (9, 10, 55, 76, 100))
    assert (dist.count, dist.minimum, dist.median, dist.maximum) == (5, 9, 55.0, 100)
    assert dist.histogram == [1, 1, 0, 0, 0, 1, 0, 1, 0, 1]
    assert Distribution("sev1", (80, 91)).median == 85.5
    assert sparkline([0, 1, 4, 2], 4) == " ▂█▄"
    assert sparkline([0, 0], 0) == "  "


def test_calibration_table(policy: Policy, make_record: MakeRecord) -> None:
    cases = [
        # The base record: sev2, enterprise, payment, 76 -> P2. Agrees.
        case(make_record, 1),
        # sev1 on the same facts: 85 -> P1. Agrees.
        case(make_record, 2, severity="sev1"),
        # sev3, tiny, but a payment flag: the floor lifts 19 to 60 -> P2, above sev3's P3.
        case(
            make_record,
            3,
            severity="sev3",
            customer=SMALL,
            impact={**QUIET, "flags": ["payment"]},
            timeline=quiet_timeline(),
        ),
        # sev3 that reached L4 while scoring P3 (44): an outcome disagreement only.
        case(
            make_record,
            4,
            severity="sev3",
            customer={"name": "Mid AG", "tier": "business", "arr": 50000, "region": "emea"},
            impact={**QUIET, "customers_affected": 100, "reputational_risk": "medium"},
        ),
        # Opened sev4, raised to sev3; scores 19 -> P4: below sev3's P3, and reclassified up.
        case(
            make_record,
            5,
            severity="sev4",
            level="L1",
            owner="bob",
            customer=SMALL,
            impact=QUIET,
            timeline=[
                _event("2026-11-20T09:20:00+01:00", "acknowledged", "bob"),
                _event("2026-11-20T09:30:00+01:00", "reclassified", "bob", severity="sev3"),
                _event("2026-11-20T10:00:00+01:00", "resolved", "bob"),
            ],
        ),
        # sev4 -> P4 (12) as expected, but resolved two months after its 10d (30 working
        # days) target.
        case(
            make_record,
            6,
            severity="sev4",
            level="L1",
            owner="bob",
            customer=SMALL,
            impact=QUIET,
            opened_at="2026-01-05T10:00:00+01:00",
            timeline=[
                _event("2026-01-05T10:30:00+01:00", "acknowledged", "bob"),
                _event("2026-04-01T10:00:00+02:00", "resolved", "bob"),
            ],
            actions=None,
        ),
        # A drill is left out, however it scores.
        case(make_record, 7, severity="sev4", drill=True),
    ]
    report = calibrate(cases, policy, NOW)
    assert (report.records, report.drills) == (6, 1)
    assert [(d.severity, d.scores) for d in report.distributions] == [
        ("sev1", (85,)),
        ("sev2", (76,)),
        ("sev3", (19, 44, 60)),
        ("sev4", (12,)),
    ]
    found = {entry.escalation.id: entry for entry in report.disagreements}
    assert sorted(found) == ["ESC-2026-0003", "ESC-2026-0004", "ESC-2026-0005", "ESC-2026-0006"]
    assert found["ESC-2026-0003"].kinds == ("severity",)
    assert found["ESC-2026-0003"].reasons == (
        "sev3 expects P3; scored 60 → P2 (above its severity, forced by the payment floor)",
    )
    assert found["ESC-2026-0004"].kinds == ("outcome",)
    assert found["ESC-2026-0004"].reasons == ("P3 but escalated to L4",)
    assert found["ESC-2026-0005"].kinds == ("severity", "outcome")
    assert found["ESC-2026-0005"].reasons == (
        "sev3 expects P3; scored 19 → P4 (below its severity)",
        "P4 but reclassified upward (sev4 → sev3)",
    )
    assert found["ESC-2026-0006"].reasons == ("P4 but resolve target missed",)
    assert report.notes == []

    document = report.as_json()
    assert document["expected_bands"]["sev3"] == "P3"
    assert document["distributions"][2] == {
        "severity": "sev3",
        "expected_band": "P3",
        "count": 3,
        "min": 19,
        "median": 44.0,
        "max": 60,
        "histogram": [0, 1, 0, 0, 1, 0, 1, 0, 0, 0],
    }
    assert document["disagreements"][0]["id"] == "ESC-2026-0003"
    assert document["disagreements"][0]["priority"] == "P2"


def test_a_high_band_reaching_l4_is_not_an_outcome_disagreement(
    policy: Policy, make_record: MakeRecord
) -> None:
    # The base record is P2 and reached L4: that is what P2 payment cases do.
    report = calibrate([case(make_record, 1)], policy, NOW)
    assert report.disagreements == []


def test_a_record_the_sla_cannot_measure_is_noted(policy: Policy, make_record: MakeRecord) -> None:
    del policy.tiers["standard"]
    report = calibrate(
        [case(make_record, 8, severity="sev4", customer=SMALL, impact=QUIET)], policy, NOW
    )
    assert report.notes and report.notes[0].startswith("ESC-2026-0008: resolve clock not measured")


def test_calibration_needs_an_aware_now(policy: Policy) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        calibrate([], policy, datetime(2026, 11, 22))
