"""`escalate standup`: each section of the agenda, its boundaries, and both formats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from escalate.repo import Repo
from escalate.standup import agenda, end_of_week

RunCli = Callable[..., Any]
NOW = "2026-11-20T12:00:00+01:00"  # a Friday; the repository's zone is Europe/Berlin
BERLIN = ZoneInfo("Europe/Berlin")


def _event(time: str, kind: str, by: str = "alice", **extra: str) -> dict[str, str]:
    return {"at": f"2026-11-20T{time}:00+01:00", "event": kind, "by": by, **extra}


@pytest.fixture
def standup_repo(repo_copy: Path, write_record: Any, make_record: Any) -> Path:
    # 0001: enterprise sev2, acknowledged and updated at 10:30; the 2 h cadence puts the
    # next update at 12:30, 30 minutes after NOW; an action due today, one due next Monday,
    # one done.
    write_record(
        repo_copy,
        make_record(
            level="L4",  # where its payment flag's trigger wants it: no raise needed
            timeline=[
                _event("09:20", "acknowledged"),
                _event("10:30", "customer_update", text="Investigating."),
            ],
            actions=[
                {"id": "A1", "title": "Alert on timeouts", "owner": "carol", "due": "2026-11-20"},
                {"id": "A2", "title": "Runbook", "owner": "dan", "due": "2026-11-23"},
                {
                    "id": "A3",
                    "title": "Dashboard",
                    "owner": "dan",
                    "due": "2026-11-19",
                    "done_at": "2026-11-19T16:00:00+01:00",
                },
            ],
        ),
    )
    # 0002: sev1 with the payment flag at L2, never acknowledged: the triggers want L5 (a
    # sev1 payment outage, policy/matrix.yaml), and its ack clock is overdue.
    write_record(
        repo_copy,
        make_record(
            id="ESC-2026-0002",
            severity="sev1",
            owner="omar",
            opened_at="2026-11-20T08:00:00+01:00",
            timeline=[],
            actions=[],
        ),
    )
    # 0003: a drill in the same state: never on the agenda.
    write_record(
        repo_copy,
        make_record(
            id="ESC-2026-0003",
            severity="sev1",
            opened_at="2026-11-20T08:00:00+01:00",
            timeline=[],
            actions=[],
            drill=True,
        ),
    )
    # 0004: resolved; its overdue action still counts, the case is not an open case.
    write_record(
        repo_copy,
        make_record(
            id="ESC-2026-0004",
            severity="sev3",
            timeline=[_event("09:30", "acknowledged"), _event("10:00", "resolved")],
            actions=[{"id": "A1", "title": "Fix docs", "owner": "bob", "due": "2026-11-18"}],
        ),
    )
    return repo_copy


def test_each_section(standup_repo: Path) -> None:
    repo = Repo.load(standup_repo, use_cache=False)
    found = agenda(repo, datetime.fromisoformat(NOW))
    assert [(p.escalation.id, p.required) for p in found.raises] == [("ESC-2026-0002", "L5")]
    flagged = {(case.id, clock.clock, clock.state) for case, clock in found.flagged}
    assert ("ESC-2026-0002", "acknowledge", "overdue") in flagged
    assert ("ESC-2026-0004", "action:A1", "overdue") in flagged
    assert not any(case.id == "ESC-2026-0003" for case, _ in found.flagged), "drills left out"
    due = [(case.id, clock.deadline) for case, clock in found.updates_due]
    assert due[-1] == ("ESC-2026-0001", datetime.fromisoformat("2026-11-20T11:30:00+00:00"))
    assert {owner: [c.id for c in cases] for owner, cases in found.by_owner.items()} == {
        "alice": ["ESC-2026-0001"],
        "omar": ["ESC-2026-0002"],
    }
    actions = [(item.escalation.id, item.action["id"], item.overdue) for item in found.actions_due]
    # Due this week (before Monday 00:00 in Berlin): today's A1 and the overdue one; not
    # next Monday's A2, not the done A3.
    assert actions == [("ESC-2026-0004", "A1", True), ("ESC-2026-0001", "A1", False)]


def test_the_update_window_is_a_horizon(standup_repo: Path) -> None:
    repo = Repo.load(standup_repo, use_cache=False)
    now = datetime.fromisoformat(NOW)
    from datetime import timedelta

    narrow = agenda(repo, now, timedelta(minutes=29))
    assert "ESC-2026-0001" not in [case.id for case, _ in narrow.updates_due]
    exact = agenda(repo, now, timedelta(minutes=30))
    assert "ESC-2026-0001" in [case.id for case, _ in exact.updates_due]


@pytest.mark.parametrize(
    ("now", "ends"),
    [
        ("2026-11-20T12:00:00+01:00", "2026-11-23T00:00:00+01:00"),
        ("2026-11-23T00:30:00+01:00", "2026-11-30T00:00:00+01:00"),  # Monday: a whole week
        # Saturday before the autumn change: the week ends Monday 00:00 CET, a day later
        # than 24 h times two would say.
        ("2026-10-24T10:00:00+02:00", "2026-10-26T00:00:00+01:00"),
        ("2026-11-22T23:30:00Z", "2026-11-30T00:00:00+01:00"),  # already Monday in Berlin
    ],
)
def test_the_week_ends_on_monday_in_the_repositorys_zone(now: str, ends: str) -> None:
    assert end_of_week(datetime.fromisoformat(now), BERLIN) == datetime.fromisoformat(ends)


def test_text_and_markdown(standup_repo: Path, run_cli: RunCli) -> None:
    text = run_cli(["standup", "--now", NOW], standup_repo)
    assert text.exit_code == 0, text
    lines = text.stdout.splitlines()
    assert lines[0] == "Escalation standup, Fri 20 Nov 12:00 CET"
    assert "1. Raise now: triggers require a higher level" in lines
    assert any(line.startswith("   ESC-2026-0002  sev1  at L2, needs L5") for line in lines)
    assert any("Alice Moreau (alice)" in line and "ESC-2026-0001" in line for line in lines)
    assert "ESC-2026-0003" not in text.stdout
    markdown = run_cli(["standup", "--now", NOW, "--format", "markdown"], standup_repo)
    assert markdown.stdout.startswith("# Escalation standup, Fri 20 Nov 12:00 CET\n")
    assert "## Actions due this week (before Mon 23 Nov)" in markdown.stdout
    assert "| ESC-2026-0001 | A1 | Alert on timeouts | Carol Jensen | due 2026-11-20 |" in (
        markdown.stdout
    )


def test_an_empty_section_says_none(repo_copy: Path, run_cli: RunCli) -> None:
    result = run_cli(["standup", "--now", NOW, "--format", "markdown"], repo_copy)
    assert result.exit_code == 0
    assert result.stdout.count("None.") == 5


def test_a_bad_window_is_a_usage_error(repo_copy: Path, run_cli: RunCli) -> None:
    result = run_cli(["standup", "--within", "15 mins"], repo_copy)
    assert result.exit_code == 2 and "--within '15 mins'" in result.stderr
