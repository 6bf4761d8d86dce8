"""`escalate oncall`, `roster check` and `triggers`, and the trigger findings in `show` and
`status`, on a copy of this repository's policy and records."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RunCli = Callable[..., Any]
WriteRecord = Callable[..., Path]
MakeRecord = Callable[..., dict[str, Any]]

SUNDAY = "2026-11-22T12:00:00Z"
EVENING = "2026-11-22T18:00:00Z"  # ESC-2026-0032 (enterprise sev2 at L2) is 9h20m old


@pytest.fixture
def playbook(tmp_path: Path) -> Path:
    """A copy of this repository's policy/, schema/ and incidents/."""
    repo = tmp_path / "playbook"
    for name in ("policy", "schema", "incidents"):
        shutil.copytree(ROOT / name, repo / name)
    return repo


def edit_roster(repo: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = repo / "policy" / "roster.yaml"
    roster = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(roster)
    path.write_text(yaml.safe_dump(roster, sort_keys=False, allow_unicode=True), encoding="utf-8")


def rotation(roster: dict[str, Any], rotation_id: str) -> dict[str, Any]:
    return next(r for r in roster["rotations"] if r["id"] == rotation_id)


# --- oncall ----------------------------------------------------------------------------------


def test_oncall_text(playbook: Path, run_cli: RunCli) -> None:
    result = run_cli(["oncall", "--at", SUNDAY], playbook)
    assert result.exit_code == 0, result
    text = result.stdout
    assert text.startswith("On call at 2026-11-22 12:00Z\n")
    assert (
        "payments-eng - Payments engineering (L4)\n"
        "  ivan (Ivan Petrov) until 2026-12-07 08:00Z\n"
        "      next: dan (Dan Kowalski) from 2026-12-07 08:00Z\n"
    ) in text
    assert "  primary: carol (Carol Jensen) until 2026-11-23 08:00Z\n" in text
    assert "  secondary: grace (Grace Okafor) until 2026-11-23 08:00Z\n" in text


def test_oncall_one_team_with_an_override(playbook: Path, run_cli: RunCli) -> None:
    result = run_cli(["oncall", "escalation-managers", "--now", "2026-12-22T12:00:00Z"], playbook)
    assert result.exit_code == 0, result
    assert result.stdout.splitlines() == [
        "On call at 2026-12-22 12:00Z",
        "",
        "escalation-managers - Escalation managers (L3)",
        "  primary: grace (Grace Okafor) until 2026-12-28 08:00Z",
        "      override: Hugo on Christmas leave.",
        "      next: carol (Carol Jensen) from 2026-12-28 08:00Z",
        "  secondary: carol (Carol Jensen) until 2026-12-28 08:00Z",
        "      next: grace (Grace Okafor) from 2026-12-28 08:00Z",
    ]


def test_oncall_json(playbook: Path, run_cli: RunCli) -> None:
    result = run_cli(["oncall", "--at", "2026-11-24T10:00:00Z", "--format", "json"], playbook)
    assert result.exit_code == 0, result
    view = result.json()
    assert view["at"] == "2026-11-24T10:00:00+00:00"
    teams = {team["team"]: team for team in view["teams"]}
    assert len(teams) == 11 and all(team["covered"] for team in teams.values())
    [payments] = teams["payments-eng"]["rotations"]
    assert payments["rotation"] == "payments-eng-weekly"
    assert payments["on_call"] == {
        "handle": "ivan",
        "name": "Ivan Petrov",
        "contact": "ivan.petrov@example.com",
        "start": "2026-11-23T08:00:00Z",
        "end": "2026-11-30T08:00:00Z",
        "override": True,
        "reason": "Swap with Dan (Black Friday week).",
    }
    assert payments["next"]["handle"] == "dan"
    assert payments["problem"] is None


def test_oncall_unknown_team_suggests(playbook: Path, run_cli: RunCli) -> None:
    result = run_cli(["oncall", "payment-eng", "--at", SUNDAY], playbook)
    assert result.exit_code == 2
    assert "unknown team 'payment-eng'; did you mean 'payments-eng'?" in result.stderr


def test_oncall_team_without_rotation(playbook: Path, run_cli: RunCli) -> None:
    edit_roster(
        playbook,
        lambda roster: roster.update(
            rotations=[r for r in roster["rotations"] if r["team"] != "leadership"]
        ),
    )
    result = run_cli(["oncall", "leadership", "--at", SUNDAY], playbook)
    assert result.exit_code == 0, result
    assert "  nobody - no rotation in policy/roster.yaml" in result.stdout
    view = run_cli(["oncall", "leadership", "--at", SUNDAY, "--format", "json"], playbook).json()
    assert view["teams"] == [
        {
            "team": "leadership",
            "name": "Leadership",
            "level": "L5",
            "covered": False,
            "rotations": [],
        }
    ]


# --- roster check ----------------------------------------------------------------------------

WINDOW = ["--from", "2026-11-22T00:00:00Z", "--to", "2026-12-31T00:00:00Z"]


def test_roster_check_real_roster(playbook: Path, run_cli: RunCli) -> None:
    result = run_cli(["roster", "check", *WINDOW], playbook)
    assert result.exit_code == 0, result
    assert result.stdout.strip() == (
        "Every team the matrix routes to (11) has someone on call from "
        "2026-11-22 00:00Z to 2026-12-31 00:00Z."
    )
    view = run_cli(["roster", "check", *WINDOW, "--format", "json"], playbook).json()
    assert view["ok"] is True and view["gaps"] == []
    assert "leadership" in view["teams"]


def _gappy(roster: dict[str, Any]) -> None:
    rotation(roster, "data-eng-weekly")["start"] = "2026-12-01T09:00:00-05:00"
    rotation(roster, "identity-eng-weekly")["overrides"] = [
        {
            "start": "2026-11-28T00:00:00+01:00",
            "end": "2026-11-30T00:00:00+01:00",
            "handle": "nobody",
        }
    ]
    roster["rotations"] = [r for r in roster["rotations"] if r["team"] != "leadership"]


def test_roster_check_finds_gaps(playbook: Path, run_cli: RunCli) -> None:
    edit_roster(playbook, _gappy)
    result = run_cli(["roster", "check", *WINDOW], playbook)
    assert result.exit_code == 1, result
    assert result.stdout.splitlines() == [
        "data-eng      2026-11-22 00:00Z to 2026-12-01 14:00Z (9d14h)  "
        "data-eng-weekly: rotation data-eng-weekly starts 2026-12-01 14:00Z",
        "identity-eng  2026-11-27 23:00Z to 2026-11-29 23:00Z (2d)  "
        "identity-eng-weekly: nobody is not a person in policy/roster.yaml",
        "leadership    2026-11-22 00:00Z to 2026-12-31 00:00Z (39d)  "
        "leadership has no rotation in policy/roster.yaml",
    ]
    assert "3 coverage gaps in 3 of 11 teams" in result.stderr

    result = run_cli(["roster", "check", *WINDOW, "--format", "json"], playbook)
    assert result.exit_code == 1
    view = result.json()
    assert view["ok"] is False
    assert view["gaps"][1] == {
        "team": "identity-eng",
        "start": "2026-11-27T23:00:00Z",
        "end": "2026-11-29T23:00:00Z",
        "seconds": 172800.0,
        "reason": "identity-eng-weekly: nobody is not a person in policy/roster.yaml",
    }


def test_roster_check_default_window_is_28_days(
    playbook: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_cli(
        ["roster", "check", "--from", "2026-11-22T00:00:00Z", "--format", "json"], playbook
    )
    assert result.exit_code == 0, result
    assert result.json()["to"] == "2026-12-20T00:00:00+00:00"
    # --from defaults to now (here $ESCALATE_NOW).
    monkeypatch.setenv("ESCALATE_NOW", SUNDAY)
    result = run_cli(["roster", "check", "--format", "json"], playbook)
    assert result.json()["from"] == "2026-11-22T12:00:00+00:00"


def test_roster_check_rejects_an_empty_window(playbook: Path, run_cli: RunCli) -> None:
    result = run_cli(
        ["roster", "check", "--from", "2026-12-01T00:00:00Z", "--to", "2026-11-01T00:00:00Z"],
        playbook,
    )
    assert result.exit_code == 2
    assert "must be after --from" in result.stderr


# --- triggers --------------------------------------------------------------------------------


def test_triggers_none_pending(playbook: Path, run_cli: RunCli) -> None:
    result = run_cli(["triggers", "--now", SUNDAY, "--fail-on-pending"], playbook)
    assert result.exit_code == 0, result
    assert result.stdout.strip() == (
        "No open case is below the level its triggers require as of 2026-11-22 12:00Z."
    )
    assert run_cli(["triggers", "--now", SUNDAY, "--format", "json"], playbook).json() == {
        "now": "2026-11-22T12:00:00+00:00",
        "pending": [],
    }


def test_triggers_after_unresolved_for(playbook: Path, run_cli: RunCli) -> None:
    result = run_cli(["triggers", "--now", EVENING], playbook)
    assert result.exit_code == 0, result
    assert result.stdout.splitlines() == [
        "ESC-2026-0032  sev2  L2 → needs L3  owner omar  open  "
        "Intermittent 502s on the US inventory API for bulk updates",
        "  enterprise-sev2-stalled (L3): severity is sev2, tier is enterprise, unresolved for "
        "9h20m (≥ 8h, open time on the 24x7 calendar, pauses excluded)",
    ]
    assert "1 open case is below the level its triggers require" in result.stderr
    assert run_cli(["triggers", "--now", EVENING, "--fail-on-pending"], playbook).exit_code == 1

    view = run_cli(["triggers", "--now", EVENING, "--format", "json"], playbook).json()
    [entry] = view["pending"]
    assert {key: entry[key] for key in ("id", "level", "required_level", "owner", "drill")} == {
        "id": "ESC-2026-0032",
        "level": "L2",
        "required_level": "L3",
        "owner": "omar",
        "drill": False,
    }
    assert [hit["trigger"] for hit in entry["triggers"]] == ["enterprise-sev2-stalled"]


def test_triggers_list_drills_without_failing(
    repo_copy: Path, write_record: WriteRecord, make_record: MakeRecord, run_cli: RunCli
) -> None:
    record = make_record(
        drill=True,
        severity="sev1",
        level="L1",
        owner="bob",
        timeline=[{"at": "2026-11-20T09:20:00+01:00", "event": "acknowledged", "by": "bob"}],
        actions=None,
    )
    write_record(repo_copy, record)
    now = "2026-11-20T09:30:00+01:00"
    result = run_cli(["triggers", "--now", now, "--fail-on-pending"], repo_copy)
    assert result.exit_code == 0, result
    assert "ESC-2026-0001  sev1  L1 → needs L4" in result.stdout
    assert "(drill)" in result.stdout
    assert "  payment-or-data-at-high-severity (L4): severity is sev1, payment flag set" in (
        result.stdout
    )


def test_triggers_with_a_broken_matrix(playbook: Path, run_cli: RunCli) -> None:
    (playbook / "policy" / "matrix.yaml").write_text("levels: 3\n", encoding="utf-8")
    result = run_cli(["triggers", "--now", SUNDAY], playbook)
    assert result.exit_code == 1
    assert "policy/matrix.yaml has errors" in result.stderr


# --- show and status -------------------------------------------------------------------------


def test_show_names_the_trigger(playbook: Path, run_cli: RunCli) -> None:
    result = run_cli(["show", "ESC-2026-0032", "--now", EVENING], playbook)
    assert result.exit_code == 0, result
    assert (
        "  owner:     omar at L2\n"
        "  needs:     L3 (trigger enterprise-sev2-stalled: severity is sev2, tier is enterprise, "
        "unresolved for 9h20m (≥ 8h, open time on the 24x7 calendar, pauses excluded))\n"
    ) in result.stdout
    view = run_cli(["show", "ESC-2026-0032", "--now", EVENING, "--format", "json"], playbook).json()
    assert view["required_level"] == "L3"
    assert [hit["trigger"] for hit in view["triggers"]] == ["enterprise-sev2-stalled"]
    early = run_cli(["show", "ESC-2026-0032", "--now", SUNDAY, "--format", "json"], playbook)
    assert (early.json()["required_level"], early.json()["triggers"]) == (None, [])
    assert "needs:" not in run_cli(["show", "ESC-2026-0032", "--now", SUNDAY], playbook).stdout


def test_status_marks_cases_below_their_trigger_level(playbook: Path, run_cli: RunCli) -> None:
    result = run_cli(["status", "--now", EVENING], playbook)
    assert result.exit_code == 0, result
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert "↑L3 Intermittent 502s" in rows["ESC-2026-0032"]
    assert "↑" not in rows["ESC-2026-0030"]
    view = run_cli(["status", "--now", EVENING, "--format", "json"], playbook).json()
    levels = {row["id"]: row["required_level"] for row in view["escalations"]}
    assert levels["ESC-2026-0032"] == "L3" and levels["ESC-2026-0030"] is None
