"""`escalate notify`: one message per case to its team's webhook, never twice for the same
facts across runs, again when a fact is new, retried when a post failed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from escalate.comms import block_kit_problems
from escalate.notify import Concern, dump_state, load_state, plan, remember

RunCli = Callable[..., Any]
AT_RISK = "2026-11-20T12:05:00+01:00"  # the 2 h update cadence is 75 % used at 12:00
LATER_AT_RISK = "2026-11-20T12:10:00+01:00"
OVERDUE = "2026-11-20T12:40:00+01:00"  # the update was due 12:30
VARIABLE = "ESCALATE_WEBHOOK_PAYMENTS"  # payments-eng owns payments at L4


def _event(time: str, kind: str, **extra: str) -> dict[str, str]:
    return {"at": f"2026-11-20T{time}:00+01:00", "event": kind, "by": "alice", **extra}


@pytest.fixture
def watched(repo_copy: Path, write_record: Any, make_record: Any) -> Path:
    timeline = [
        _event("09:20", "acknowledged"),
        _event("10:30", "customer_update", text="Investigating."),
        _event("10:35", "escalated", level="L4", text="Needs payments engineering."),
    ]
    write_record(repo_copy, make_record(timeline=timeline, actions=[]))
    # A drill in the same state must never alert anyone.
    write_record(
        repo_copy, make_record(id="ESC-2026-0002", timeline=timeline, actions=[], drill=True)
    )
    return repo_copy


def _notify(run_cli: RunCli, repo: Path, now: str, *extra: str) -> Any:
    state = repo / ".escalate" / "notify-state.json"
    return run_cli(["notify", "--now", now, "--state", str(state), *extra], repo)


def test_the_same_facts_are_posted_once(
    watched: Path, run_cli: RunCli, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, webhook.url)
    first = _notify(run_cli, watched, AT_RISK)
    assert first.exit_code == 0, first
    assert first.stdout.startswith("ESC-2026-0001: posted to #payments-escalations:")
    (message,) = webhook.received
    assert "the customer update clock is at risk (25m left)" in message["text"]
    assert block_kit_problems(message["blocks"]) == []

    again = _notify(run_cli, watched, LATER_AT_RISK)
    assert again.exit_code == 0 and again.stdout == ""
    assert len(webhook.received) == 1, "nothing new: nothing posted"

    worse = _notify(run_cli, watched, OVERDUE)
    assert worse.exit_code == 0
    assert len(webhook.received) == 2
    assert "new: the customer update clock is overdue (10m late)" in webhook.received[1]["text"]
    state = json.loads((watched / ".escalate" / "notify-state.json").read_text())
    assert state == {"version": 1, "cases": {"ESC-2026-0001": ["clock:customer_update:overdue"]}}


def test_a_failed_post_is_tried_again_next_run(
    watched: Path, run_cli: RunCli, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, webhook.url)
    monkeypatch.setattr("escalate.webhook.RETRY_PAUSE_SECONDS", 0.0)
    webhook.replies = [webhook.reply(500, "down"), webhook.reply(500, "down"), webhook.reply(200)]
    failed = _notify(run_cli, watched, AT_RISK)
    assert failed.exit_code == 1
    assert "posting to #payments-escalations failed: the webhook answered 500" in failed.stderr
    retried = _notify(run_cli, watched, LATER_AT_RISK)
    assert retried.exit_code == 0 and "posted" in retried.stdout
    assert len(webhook.received) == 3


def test_an_unset_webhook_is_a_warning_and_nothing_is_remembered(
    watched: Path, run_cli: RunCli, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    result = _notify(run_cli, watched, AT_RISK)
    assert result.exit_code == 0
    assert f"warning: ESC-2026-0001: not posted: ${VARIABLE} is not set" in result.stderr
    assert load_state((watched / ".escalate" / "notify-state.json").read_text()) == {}
    monkeypatch.setenv(VARIABLE, webhook.url)
    assert "posted" in _notify(run_cli, watched, LATER_AT_RISK).stdout


def test_dry_run_posts_and_writes_nothing(
    watched: Path, run_cli: RunCli, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, webhook.url)
    result = _notify(run_cli, watched, AT_RISK, "--dry-run")
    assert result.stdout.startswith(
        f"ESC-2026-0001: would post to #payments-escalations (${VARIABLE})"
    )
    assert webhook.received == []
    assert not (watched / ".escalate").exists()


def test_a_plain_http_webhook_is_refused(
    watched: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, "http://hooks.example.com/services/x")
    result = _notify(run_cli, watched, AT_RISK)
    assert result.exit_code == 1 and "is not an https:// URL" in result.stderr
    assert "hooks.example.com" not in result.stderr


# --- the plan, as data --------------------------------------------------------------------


class _Case:
    id = "ESC-2026-0009"


def _concern(*keys: str) -> Concern:
    return Concern(_Case(), None, {key: key for key in keys})  # type: ignore[arg-type]


def test_a_case_that_cleared_is_news_again_when_it_relapses() -> None:
    told: dict[str, frozenset[str]] = {}
    first = {"ESC-2026-0009": _concern("clock:resolve:at_risk")}
    assert [alert.new for alert in plan(first, told)] == [("clock:resolve:at_risk",)]
    told = remember(first, told, {"ESC-2026-0009"})
    assert plan(first, told) == []
    told = remember({}, told, set())  # the case cleared: forgotten
    assert told == {}
    assert len(plan(first, told)) == 1


def test_an_undelivered_case_keeps_what_was_told_and_drops_what_cleared() -> None:
    told = {"ESC-2026-0009": frozenset({"clock:resolve:at_risk", "level:L3"})}
    now = {"ESC-2026-0009": _concern("level:L3", "clock:resolve:overdue")}
    (alert,) = plan(now, told)
    assert alert.new == ("clock:resolve:overdue",)
    assert remember(now, told, set()) == {"ESC-2026-0009": frozenset({"level:L3"})}


def test_the_worst_news_heads_the_message() -> None:
    concern = _concern(
        "clock:action:A1:overdue", "clock:mitigate:at_risk", "level:L4", "clock:resolve:overdue"
    )
    (alert,) = plan({"ESC-2026-0009": concern}, {})
    assert alert.new == (
        "clock:resolve:overdue",
        "level:L4",
        "clock:action:A1:overdue",
        "clock:mitigate:at_risk",
    )


@pytest.mark.parametrize("text", [None, "", "not json", "[]", '{"version": 99, "cases": {}}'])
def test_a_missing_or_foreign_state_file_tells_nothing(text: str | None) -> None:
    assert load_state(text) == {}


def test_the_state_round_trips() -> None:
    told = {"ESC-2026-0009": frozenset({"level:L3", "clock:resolve:overdue"})}
    assert load_state(dump_state(told)) == told
