"""`escalate score ID [--explain]` and `escalate score calibrate`."""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RunCli = Callable[..., Any]
WriteRecord = Callable[..., Path]
MakeRecord = Callable[..., dict[str, Any]]

NOW = "2026-11-22T12:00:00Z"
SMALL = {"name": "Tiny GmbH", "tier": "standard", "arr": 0, "region": "emea"}
QUIET = {
    "customers_affected": 1,
    "reputational_risk": "low",
    "flags": ["payment"],
    "summary": "One shop is charged twice.",
}


@pytest.fixture
def scored(repo_copy: Path, write_record: WriteRecord, make_record: MakeRecord) -> Path:
    """ESC-2026-0001, the base record (76, P2), and ESC-2026-0002, lifted to P2 by its floor."""
    write_record(repo_copy, make_record())
    write_record(
        repo_copy,
        make_record(
            id="ESC-2026-0002",
            severity="sev3",
            customer=SMALL,
            impact=QUIET,
            level="L1",
            owner="bob",
            timeline=[{"at": "2026-11-20T09:20:00+01:00", "event": "acknowledged", "by": "bob"}],
            actions=None,
        ),
    )
    return repo_copy


def test_score_text(scored: Path, run_cli: RunCli) -> None:
    result = run_cli(["score", "ESC-2026-0001"], scored)
    assert result.exit_code == 0, result
    assert result.stdout == (
        "ESC-2026-0001  score 76  P2  involve L3  Card payments failing at checkout for EU shoppers\n"
    )


def test_score_explain(scored: Path, run_cli: RunCli) -> None:
    result = run_cli(["score", "ESC-2026-0001", "--explain"], scored)
    assert result.exit_code == 0, result
    assert result.stdout.splitlines()[1:] == [
        "  Technical severity: severity is sev2 → 0.70 × weight 30 = 21.0 points",
        "  Business impact: impact.customers_affected is 1200 (step ≥ 1000) → 0.80 × weight 25 "
        "= 20.0 points",
        "  Customer tier: customer.tier is enterprise → 1.00 × weight 15 = 15.0 points",
        "  Revenue: customer.arr is 240,000 (step ≥ 100,000) → 0.60 × weight 15 = 9.0 points",
        "  Reputational risk: impact.reputational_risk is high → 0.75 × weight 15 = 11.25 points",
        "  Sum: 21.0 + 20.0 + 15.0 + 9.0 + 11.25 = 76.25 points",
        "  payment flag sets a floor of 60 (Customers losing money or being charged wrongly is "
        "at least P2, even for a single small account - it is what customers remember and what "
        "card schemes audit.); the sum 76.25 is already at or above it",
        "  Rounded half up: 76.25 → 76",
        "  score 76 → band P2 (≥ 60): involve L3",
        "  The case is at L4: L3 or above is involved.",
    ]


def test_score_explain_a_floor_that_applies(scored: Path, run_cli: RunCli) -> None:
    # --explain before the ID works too.
    result = run_cli(["score", "--explain", "ESC-2026-0002"], scored)
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ESC-2026-0002  score 60  P2  involve L3  ")
    assert "  Revenue: customer.arr is 0 (step ≥ 0) → 0.00 × weight 15 = 0.0 points" in lines
    assert "  Sum: 10.5 + 2.5 + 4.5 + 0.0 + 1.5 = 19.0 points" in lines
    # 60 needs no rounding, so the floor is followed by the band.
    assert lines[-3].startswith("  payment flag raises the score to at least 60 (Customers losing")
    assert lines[-2:] == [
        "  score 60 → band P2 (≥ 60): involve L3",
        "  The case is at L1, below L3: raise it.",
    ]


def test_score_json(scored: Path, run_cli: RunCli) -> None:
    result = run_cli(["score", "ESC-2026-0001", "--format", "json"], scored)
    assert result.exit_code == 0, result
    view = result.json()
    assert {key: view[key] for key in ("id", "score", "priority", "involve")} == {
        "id": "ESC-2026-0001",
        "score": 76,
        "priority": "P2",
        "involve": "L3",
    }
    assert [
        {key: factor[key] for key in ("factor", "weight", "value", "points")}
        for factor in view["factors"]
    ] == [
        {"factor": "technical_severity", "weight": 30, "value": 0.7, "points": 21.0},
        {"factor": "business_impact", "weight": 25, "value": 0.8, "points": 20.0},
        {"factor": "customer_tier", "weight": 15, "value": 1.0, "points": 15.0},
        {"factor": "revenue", "weight": 15, "value": 0.6, "points": 9.0},
        {"factor": "reputational_risk", "weight": 15, "value": 0.75, "points": 11.25},
    ]
    # Points sum to the score before the floor and the rounding.
    total = sum(factor["points"] for factor in view["factors"])
    assert math.isclose(total, view["weighted_sum"]) and math.isclose(total, 76.25)
    assert view["floor"]["flag"] == "payment"
    assert view["floor"]["min_score"] == 60
    assert view["floor"]["applied"] is False
    assert view["band"] == {"min": 60, "priority": "P2", "involve": "L3"}
    assert "explain" not in view


def test_score_json_floor_applied_and_explain(scored: Path, run_cli: RunCli) -> None:
    view = run_cli(["score", "ESC-2026-0002", "--format", "json", "--explain"], scored).json()
    assert (view["score"], view["priority"], view["floor"]["applied"]) == (60, "P2", True)
    assert math.isclose(sum(f["points"] for f in view["factors"]), 19.0)
    assert view["explain"][-2] == "score 60 → band P2 (≥ 60): involve L3"


def test_score_without_floor(
    repo_copy: Path, write_record: WriteRecord, make_record: MakeRecord, run_cli: RunCli
) -> None:
    impact = dict(make_record()["impact"], flags=[])
    write_record(repo_copy, make_record(impact=impact))
    view = run_cli(["score", "ESC-2026-0001", "--format", "json", "--explain"], repo_copy).json()
    assert view["floor"] is None
    assert "No impact flag sets a floor." in view["explain"]


def test_score_unknown_id(scored: Path, run_cli: RunCli) -> None:
    result = run_cli(["score", "ESC-2026-0003"], scored)
    assert result.exit_code == 1
    assert "no escalation 'ESC-2026-0003'; did you mean" in result.stderr


def test_score_usage(scored: Path, run_cli: RunCli) -> None:
    result = run_cli(["score"], scored)
    assert result.exit_code == 2
    assert "Usage: escalate score ID [--explain] [--format text|json]" in result.stderr
    result = run_cli(["score", "ESC-2026-0001", "--bogus"], scored)
    assert result.exit_code == 2
    assert "Try 'escalate score --help'" in result.stderr
    result = run_cli(["score", "--help"], scored)
    assert result.exit_code == 0
    assert "calibrate" in result.stdout and "by-id" not in result.stdout


# --- score calibrate -------------------------------------------------------------------------


def test_calibrate_text(scored: Path, run_cli: RunCli) -> None:
    result = run_cli(["score", "calibrate", "--now", NOW], scored)
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Score distribution per severity: 2 records;")
    assert lines[2].split()[:6] == ["sev2", "1", "76", "76", "76", "P2"]
    assert lines[3].split()[:6] == ["sev3", "1", "60", "60", "60", "P3"]
    assert lines[4].startswith("Expected bands: sev1 ↔ P1, sev2 ↔ P2, sev3 ↔ P3, sev4 ↔ P4")
    assert lines[6:] == [
        "Records whose band disagrees (1):",
        "  ESC-2026-0002  sev3   60 P2  sev3 expects P3; scored 60 → P2 (above its severity, "
        "forced by the payment floor)",
    ]


def test_calibrate_json(scored: Path, run_cli: RunCli) -> None:
    result = run_cli(["score", "calibrate", "--now", NOW, "--format", "json"], scored)
    assert result.exit_code == 0, result
    view = result.json()
    assert (view["records"], view["drills_excluded"]) == (2, 0)
    assert [d["severity"] for d in view["distributions"]] == ["sev2", "sev3"]
    [entry] = view["disagreements"]
    assert (entry["id"], entry["kinds"], entry["expected_band"]) == (
        "ESC-2026-0002",
        ["severity"],
        "P3",
    )


def test_calibrate_nothing_disagrees(
    repo_copy: Path, write_record: WriteRecord, make_record: MakeRecord, run_cli: RunCli
) -> None:
    write_record(repo_copy, make_record())
    result = run_cli(["score", "calibrate", "--now", NOW], repo_copy)
    assert result.exit_code == 0, result
    assert result.stdout.splitlines()[-1] == (
        "No record's band disagrees with its severity or its outcome."
    )


def test_calibrate_this_repository(tmp_path: Path, run_cli: RunCli) -> None:
    repo = tmp_path / "playbook"
    for name in ("policy", "schema", "incidents"):
        shutil.copytree(ROOT / name, repo / name)
    result = run_cli(["score", "calibrate", "--now", NOW, "--format", "json"], repo)
    assert result.exit_code == 0, result
    view = result.json()
    assert view["drills_excluded"] >= 1
    assert view["records"] + view["drills_excluded"] == len(list(repo.glob("incidents/*/*/")))
    assert sum(d["count"] for d in view["distributions"]) == view["records"]
    for entry in view["disagreements"]:
        assert entry["reasons"] and set(entry["kinds"]) <= {"severity", "outcome"}
