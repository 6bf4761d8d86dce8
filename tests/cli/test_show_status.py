"""`escalate show ID` and `escalate status`: the state derived from each timeline."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# The fixtures of tests/conftest.py, as callables.
RunCli = Callable[..., Any]
WriteRecord = Callable[..., Path]
MakeRecord = Callable[..., dict[str, Any]]

NOW = "2026-11-21T09:12:00+01:00"  # 24 h after the base record opened


def _event(at: str, event: str, by: str, **extra: str) -> dict[str, str]:
    return {"at": f"2026-11-20T{at}:00+01:00", "event": event, "by": by, **extra}


HANDED_OVER = [
    _event("09:20", "acknowledged", "bob"),
    _event("09:30", "reclassified", "bob", severity="sev2"),
    _event("09:40", "assigned", "bob", to="alice"),
    _event("09:50", "customer_update", "alice", text="We are looking into it."),
    _event("10:00", "escalated", "alice", level="L4", to="dan", text="Needs payments engineering."),
    _event("11:00", "paused", "dan", reason="waiting_on_customer"),
]


@pytest.fixture
def handed_over(repo_copy: Path, write_record: WriteRecord, make_record: MakeRecord) -> Path:
    """ESC-2026-0005: opened sev3 by bob at L1, now sev2, dan's at L4, waiting on the customer."""
    write_record(
        repo_copy,
        make_record(
            id="ESC-2026-0005",
            severity="sev3",
            owner="bob",
            level="L1",
            timeline=HANDED_OVER,
            related=["ESC-2026-0001"],
        ),
    )
    write_record(repo_copy, make_record())
    return repo_copy


def test_show_json(handed_over: Path, run_cli: RunCli) -> None:
    result = run_cli(["show", "ESC-2026-0005", "--format", "json", "--now", NOW], handed_over)
    assert result.exit_code == 0, result
    view = result.json()
    assert {
        key: view[key]
        for key in (
            "id",
            "file",
            "status",
            "severity",
            "severity_at_opening",
            "owner",
            "level",
            "paused",
            "pause_reason",
            "acknowledged_at",
            "last_customer_update_at",
            "last_event_at",
            "resolved_at",
            "events",
            "related",
            "age_seconds",
            "drill",
        )
    } == {
        "id": "ESC-2026-0005",
        "file": "incidents/2026/ESC-2026-0005/escalation.yaml",
        "status": "waiting_on_customer",
        "severity": "sev2",
        "severity_at_opening": "sev3",
        "owner": "dan",
        "level": "L4",
        "paused": True,
        "pause_reason": "waiting_on_customer",
        "acknowledged_at": "2026-11-20T09:20:00+01:00",
        "last_customer_update_at": "2026-11-20T09:50:00+01:00",
        "last_event_at": "2026-11-20T11:00:00+01:00",
        "resolved_at": None,
        "events": 6,
        "related": ["ESC-2026-0001"],
        "age_seconds": 24 * 3600,
        "drill": False,
    }
    assert view["customer"]["tier"] == "enterprise"
    assert view["category"] == "payments"


def test_show_text(handed_over: Path, run_cli: RunCli) -> None:
    result = run_cli(["show", "ESC-2026-0005", "--now", NOW], handed_over)
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0] == "ESC-2026-0005  Card payments failing at checkout for EU shoppers"
    assert "  status:    waiting_on_customer (waiting_on_customer)" in lines
    assert "  severity:  sev2 (opened as sev3)" in lines
    assert "  owner:     dan at L4" in lines
    assert "  customer:  Acme GmbH (enterprise, emea)" in lines
    assert "  category:  payments / checkout" in lines
    assert "  opened:    2026-11-20T09:12:00+01:00 (1d0h ago)" in lines
    assert "  related:   ESC-2026-0001" in lines


def test_show_text_milestone_labels_are_separated(handed_over: Path, run_cli: RunCli) -> None:
    result = run_cli(["show", "ESC-2026-0005", "--now", NOW], handed_over)
    assert "  acknowledged: 2026-11-20T09:20:00+01:00" in result.stdout.splitlines()


def test_show_resolved_reopened_and_closed(
    repo_copy: Path, write_record: WriteRecord, run_cli: RunCli, make_record: MakeRecord
) -> None:
    timeline = [
        _event("09:20", "acknowledged", "alice"),
        _event("10:00", "mitigated", "dan"),
        _event("11:00", "resolved", "dan"),
        _event("12:00", "reopened", "alice", text="It is back."),
        _event("13:00", "resolved", "dan"),
        _event("14:00", "closed", "carol"),
    ]
    write_record(repo_copy, make_record(timeline=timeline, drill=True))
    view = run_cli(["show", "ESC-2026-0001", "--format", "json", "--now", NOW], repo_copy).json()
    assert view["status"] == "closed"
    assert view["reopened_count"] == 1
    assert view["mitigated_at"] is None  # the reopening cleared the first mitigation
    assert view["resolved_at"] == "2026-11-20T13:00:00+01:00"
    assert view["closed_at"] == "2026-11-20T14:00:00+01:00"
    assert view["drill"] is True
    text = run_cli(["show", "ESC-2026-0001", "--now", NOW], repo_copy).stdout
    assert "  status:    closed, reopened 1x" in text.splitlines()
    assert "  drill:     yes (excluded from metrics)" in text.splitlines()


def test_show_unknown_id_suggests_the_close_one(handed_over: Path, run_cli: RunCli) -> None:
    result = run_cli(["show", "ESC-2026-005", "--now", NOW], handed_over)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no escalation 'ESC-2026-005'" in result.stderr
    assert "did you mean 'ESC-2026-0005'?" in result.stderr


def test_show_unknown_id_with_nothing_close(handed_over: Path, run_cli: RunCli) -> None:
    result = run_cli(["show", "XYZ", "--now", NOW], handed_over)
    assert result.exit_code == 1
    assert "no escalation 'XYZ'" in result.stderr


@pytest.mark.parametrize("command", [["show"], ["score"]])
def test_a_record_that_does_not_validate_is_named_not_missing(
    handed_over: Path, write_record: WriteRecord, run_cli: RunCli, command: list[str]
) -> None:
    write_record(handed_over, "id: ESC-2026-0032\ntitle: [unclosed\n", record_id="ESC-2026-0032")
    result = run_cli([*command, "ESC-2026-0032"], handed_over)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "escalate: incidents/2026/ESC-2026-0032/escalation.yaml does not validate, so "
        "ESC-2026-0032 cannot be read; run `escalate validate "
        "incidents/2026/ESC-2026-0032/escalation.yaml` and fix it first\n"
    )


def test_show_a_duplicated_id_asks_for_renumber(
    handed_over: Path, write_record: WriteRecord, make_record: MakeRecord, run_cli: RunCli
) -> None:
    copy = handed_over / "incidents" / "2026" / "ESC-2026-0005-copy" / "escalation.yaml"
    copy.parent.mkdir()
    copy.write_bytes((handed_over / "incidents/2026/ESC-2026-0005/escalation.yaml").read_bytes())
    result = run_cli(["show", "ESC-2026-0005", "--now", NOW], handed_over)
    assert result.exit_code == 1
    assert "run `escalate renumber ESC-2026-0005` first" in result.stderr


def test_show_needs_an_id(handed_over: Path, run_cli: RunCli) -> None:
    assert run_cli(["show"], handed_over).exit_code == 2


# --- status ------------------------------------------------------------------------------------

OPENED = "2026-11-20T09:12:00+01:00"
LIFECYCLES: dict[str, list[dict[str, str]]] = {
    "ESC-2026-0001": [],  # open
    "ESC-2026-0002": [_event("09:20", "acknowledged", "alice")],
    "ESC-2026-0003": [
        _event("09:20", "acknowledged", "alice"),
        _event("09:30", "paused", "alice", reason="waiting_on_customer"),
    ],
    "ESC-2026-0004": [
        _event("09:20", "acknowledged", "alice"),
        _event("10:00", "mitigated", "dan"),
    ],
    "ESC-2026-0005": [_event("09:20", "acknowledged", "alice"), _event("11:00", "resolved", "dan")],
    "ESC-2026-0006": [
        _event("09:20", "acknowledged", "alice"),
        _event("11:00", "resolved", "dan"),
        _event("12:00", "closed", "carol"),
    ],
    "ESC-2026-0007": [
        _event("09:20", "acknowledged", "alice"),
        _event("11:00", "resolved", "dan"),
        _event("12:00", "reopened", "alice"),
    ],
}
ACTIVE = {
    "ESC-2026-0001": "open",
    "ESC-2026-0002": "acknowledged",
    "ESC-2026-0003": "waiting_on_customer",
    "ESC-2026-0004": "mitigated",
    "ESC-2026-0007": "acknowledged",
}


@pytest.fixture
def lifecycles(repo_copy: Path, write_record: WriteRecord, make_record: MakeRecord) -> Path:
    for number, (record_id, timeline) in enumerate(LIFECYCLES.items()):
        # Opened an hour apart, the first at OPENED: the ages differ, so the sorting shows.
        opened = f"2026-11-20T{9 - number:02d}:12:00+01:00"
        write_record(repo_copy, make_record(id=record_id, opened_at=opened, timeline=timeline))
    return repo_copy


def _ages(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {row["id"]: row["age_seconds"] for row in rows}


def test_status_lists_exactly_the_active_records(lifecycles: Path, run_cli: RunCli) -> None:
    result = run_cli(["status", "--format", "json", "--now", NOW], lifecycles)
    assert result.exit_code == 0, result
    report = result.json()
    assert report["now"] == NOW
    rows = report["escalations"]
    assert {row["id"]: row["status"] for row in rows} == ACTIVE
    assert _ages(rows) == {
        "ESC-2026-0001": 24 * 3600,
        "ESC-2026-0002": 25 * 3600,
        "ESC-2026-0003": 26 * 3600,
        "ESC-2026-0004": 27 * 3600,
        "ESC-2026-0007": 30 * 3600,
    }


def test_status_age_follows_now(lifecycles: Path, run_cli: RunCli) -> None:
    later = run_cli(
        ["status", "--format", "json", "--now", "2026-11-22T08:12:00Z"], lifecycles
    ).json()
    assert _ages(later["escalations"])["ESC-2026-0001"] == 48 * 3600


def test_status_reads_now_from_the_environment(
    lifecycles: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCALATE_NOW", "2026-11-20T10:12:00+01:00")
    rows = run_cli(["status", "--format", "json"], lifecycles).json()["escalations"]
    assert _ages(rows)["ESC-2026-0001"] == 3600


def test_status_all_includes_finished_cases(lifecycles: Path, run_cli: RunCli) -> None:
    rows = run_cli(["status", "--all", "--format", "json", "--now", NOW], lifecycles).json()
    assert {row["id"]: row["status"] for row in rows["escalations"]} == {
        **ACTIVE,
        "ESC-2026-0005": "resolved",
        "ESC-2026-0006": "closed",
    }


def test_status_text(lifecycles: Path, run_cli: RunCli) -> None:
    result = run_cli(["status", "--now", NOW], lifecycles)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "OWNER", "LEVEL", "STATUS", "AGE", "TITLE"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == set(ACTIVE)
    assert rows["ESC-2026-0001"][1:6] == ["sev2", "alice", "L2", "open", "1d0h"]
    assert rows["ESC-2026-0003"][4:6] == ["waiting_on_customer", "1d2h"]
    # Same severity everywhere, so the oldest comes first.
    assert [line.split()[0] for line in lines[1:]] == [
        "ESC-2026-0007",
        "ESC-2026-0004",
        "ESC-2026-0003",
        "ESC-2026-0002",
        "ESC-2026-0001",
    ]
    assert result.stderr.strip() == "5 open as of 2026-11-21T09:12+01:00"


def test_status_all_counts_every_case_and_the_open_ones(lifecycles: Path, run_cli: RunCli) -> None:
    result = run_cli(["status", "--all", "--now", NOW], lifecycles)
    assert result.exit_code == 0
    assert result.stderr.strip() == "7 escalations, 5 open, as of 2026-11-21T09:12+01:00"


def test_status_with_nothing_open(
    repo_copy: Path, write_record: WriteRecord, run_cli: RunCli, make_record: MakeRecord
) -> None:
    write_record(repo_copy, make_record())  # resolved
    result = run_cli(["status", "--now", NOW], repo_copy)
    assert result.exit_code == 0
    assert result.stdout.strip() == "No open escalations."


def test_status_skips_invalid_records(
    lifecycles: Path, write_record: WriteRecord, run_cli: RunCli
) -> None:
    write_record(lifecycles, "id: ESC-2026-0009\ntitle: [unclosed\n", record_id="ESC-2026-0009")
    rows = run_cli(["status", "--format", "json", "--now", NOW], lifecycles).json()
    assert {row["id"] for row in rows["escalations"]} == set(ACTIVE)


@pytest.mark.parametrize(
    "now",
    ["2026-11-21T09:12:00", "2026-11-21", "yesterday", "2026-13-01T00:00:00Z"],
)
def test_now_without_timezone_or_not_a_time_is_a_usage_error(
    lifecycles: Path, run_cli: RunCli, now: str
) -> None:
    for command in (["status"], ["show", "ESC-2026-0001"]):
        result = run_cli([*command, "--now", now], lifecycles)
        assert result.exit_code == 2, result
        assert "--now" in result.stderr
    assert re.search(
        r"has no timezone|is not a time",
        run_cli(["status", "--now", now], lifecycles).stderr,
    )
