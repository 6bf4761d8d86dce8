"""Priority scores: weighted factors, floors, rounding and bands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from escalate.policy import Policy, load_policy
from escalate.records import Escalation
from escalate.schema import SchemaStore
from escalate.scoring import Term, round_half_up, score

ROOT = Path(__file__).resolve().parents[2]

MODEL: dict[str, Any] = {
    "factors": [
        {
            "id": "technical_severity",
            "name": "Technical severity",
            "field": "severity",
            "weight": 40,
            "table": {"sev1": 1.0, "sev2": 0.5},
        },
        {
            "id": "reach",
            "name": "Reach",
            "field": "impact.customers_affected",
            "weight": 60,
            "steps": [
                {"min": 10, "value": 0.25},
                {"min": 0, "value": 0.0},
                {"min": 100, "value": 1.0},
            ],
        },
    ],
    "floors": [
        {"flag": "payment", "min_score": 60, "reason": "money"},
        {"flag": "safety", "min_score": 90, "reason": "people"},
    ],
    "bands": [
        {"min": 35, "priority": "P3", "involve": "L2"},
        {"min": 80, "priority": "P1", "involve": "L4"},
        {"min": 0, "priority": "P4", "involve": "L1"},
    ],
}


def record(**overrides: Any) -> Escalation:
    data: dict[str, Any] = {
        "id": "ESC-2026-0100",
        "title": "A test case",
        "opened_at": "2026-11-20T09:00:00+01:00",
        "reported_by": "bob",
        "severity": "sev2",
        "category": "payments",
        "customer": {"name": "Acme", "tier": "enterprise"},
        "impact": {"summary": "Broken", "customers_affected": 10},
        "owner": "alice",
        "level": "L1",
        "timeline": [],
    }
    impact = overrides.pop("impact", {})
    data["impact"].update(impact)
    data.update(overrides)
    return Escalation.from_data("incidents/2026/ESC-2026-0100/escalation.yaml", data)


def policy(model: dict[str, Any] = MODEL) -> Policy:
    result = Policy(root=ROOT)
    result.scoring = model
    return result


def test_every_term_is_kept() -> None:
    result = score(record(), policy())
    assert result.factors == [
        Term("technical_severity", 40.0, 0.5, 20.0),
        Term("reach", 60.0, 0.25, 15.0),
    ]
    assert result.weighted_sum == 35.0
    assert (result.total, result.priority, result.involve) == (35, "P3", "L2")
    assert result.inputs == {"technical_severity": "sev2", "reach": 10}
    assert result.floor is None and not result.floored


def test_terms_unpack_as_factor_weight_value_points() -> None:
    factor, weight, value, points = score(record(), policy()).factors[0]
    assert (factor, weight, value, points) == ("technical_severity", 40.0, 0.5, 20.0)


@pytest.mark.parametrize(
    ("affected", "value"),
    [(0, 0.0), (9, 0.0), (10, 0.25), (99, 0.25), (100, 1.0), (10**6, 1.0), (-5, 0.0)],
)
def test_steps_take_the_highest_min_at_or_below_the_value(affected: int, value: float) -> None:
    result = score(record(impact={"customers_affected": affected}), policy())
    assert result.factors[1].value == value


def test_missing_field_and_unknown_table_value_score_zero() -> None:
    escalation = record(severity="sev4")
    del escalation.data["impact"]["customers_affected"]  # type: ignore[attr-defined]
    result = score(escalation, policy())
    assert [term.value for term in result.factors] == [0.0, 0.0]
    assert (result.total, result.priority) == (0, "P4")


def test_severity_is_the_current_one_after_reclassification() -> None:
    escalation = record(
        timeline=[
            {
                "at": "2026-11-20T09:10:00+01:00",
                "event": "reclassified",
                "by": "bob",
                "severity": "sev1",
            }
        ]
    )
    result = score(escalation, policy())
    assert result.inputs["technical_severity"] == "sev1"
    assert result.factors[0].points == 40.0


def test_the_highest_floor_among_the_flags_applies() -> None:
    result = score(record(impact={"flags": ["payment", "safety"]}), policy())
    assert result.floor is not None and result.floor.flag == "safety"
    assert result.floored
    assert (result.total, result.priority, result.involve) == (90, "P1", "L4")


def test_a_floor_below_the_score_changes_nothing() -> None:
    result = score(
        record(severity="sev1", impact={"customers_affected": 500, "flags": ["payment"]}), policy()
    )
    assert result.floor is not None and result.floor.min_score == 60
    assert not result.floored
    assert result.total == 100


def test_rounding_is_half_up() -> None:
    assert round_half_up(72.5) == 73
    assert round_half_up(72.49) == 72
    model = {**MODEL, "factors": [{**MODEL["factors"][0], "weight": 25}]}  # 25 × 0.5 = 12.5
    assert score(record(), policy(model)).total == 13


def test_repository_model_scores_the_design_example() -> None:
    repo_policy, findings = load_policy(ROOT, SchemaStore(ROOT))
    assert not findings
    escalation = record(
        severity="sev2",
        customer={"name": "Acme GmbH", "tier": "enterprise", "arr": 240000},
        impact={"customers_affected": 1200, "reputational_risk": "high", "flags": ["payment"]},
    )
    result = score(escalation, repo_policy)
    # 30×0.7 + 25×0.8 + 15×1.0 + 15×0.6 + 15×0.75 = 21 + 20 + 15 + 9 + 11.25 = 76.25
    assert result.weighted_sum == pytest.approx(76.25)
    assert (result.total, result.priority, result.involve) == (76, "P2", "L3")
