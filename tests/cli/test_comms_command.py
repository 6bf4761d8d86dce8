"""`escalate comms`: rendering, and `--send` against a webhook on 127.0.0.1. The record
changes only after a post succeeded; every failure leaves it byte-identical and says why."""

from __future__ import annotations

import difflib
import json
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RunCli = Callable[..., Any]
RECORD = "incidents/2026/ESC-2026-0001/escalation.yaml"
WHILE_OPEN = "2026-05-15T10:45:00+02:00"  # acknowledged, updated, not yet raised
TEAM_VARIABLE = "ESCALATE_WEBHOOK_SPECIALISTS"  # support-specialists own payments at L2


@pytest.fixture
def playbook(tmp_path: Path) -> Path:
    """The example repository, with ESC-2026-0001 as it stood at 10:45 on its first day:
    acknowledged and updated once, still open (its timeline cut before the 10:50 raise)."""
    root = tmp_path / "playbook"
    for part in ("policy", "schema", "incidents"):
        shutil.copytree(ROOT / part, root / part)
    path = root / RECORD
    text = path.read_text(encoding="utf-8")
    start = text.index("  - {at: 2026-05-15T10:50:00+02:00, event: escalated")
    path.write_text(text[:start] + text[text.index("actions:\n") :], encoding="utf-8")
    return root


def test_an_email_has_a_subject_and_a_body(playbook: Path, run_cli: RunCli) -> None:
    args = ["comms", "ESC-2026-0001", "--moment", "ack", "--channel", "email"]
    result = run_cli([*args, "--now", WHILE_OPEN], playbook)
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Subject: [ESC-2026-0001] We are on it:")
    assert lines[1] == "" and lines[2] == "Hello Jana Wiegand,"
    assert "Nora Lindqvist" in result.stdout
    assert "by Fri 15 May 2026, 12:41 CEST" in result.stdout


def test_json_carries_block_kit_for_chat(playbook: Path, run_cli: RunCli) -> None:
    args = ["comms", "ESC-2026-0001", "--moment", "update", "--channel", "chat"]
    result = run_cli([*args, "--now", WHILE_OPEN, "--format", "json"], playbook)
    shown = result.json()
    assert (shown["moment"], shown["channel"]) == ("update", "chat")
    assert shown["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": shown["text"].splitlines()[0]},
    }


def test_a_moment_that_does_not_fit_is_exit_1(playbook: Path, run_cli: RunCli) -> None:
    args = ["comms", "ESC-2026-0001", "--moment", "resolved", "--channel", "email"]
    result = run_cli([*args, "--now", WHILE_OPEN], playbook)
    assert result.exit_code == 1
    assert "is acknowledged, not resolved; record `escalate resolve` first" in result.stderr
    assert result.stdout == ""


def test_send_options_need_send(playbook: Path, run_cli: RunCli) -> None:
    args = ["comms", "ESC-2026-0001", "--moment", "ack", "--channel", "chat", "--by", "nora"]
    result = run_cli(args, playbook)
    assert result.exit_code == 2 and "go with --send" in result.stderr


# --- sending ---------------------------------------------------------------------------------


def _only_insertion(before: str, after: str) -> Any:
    """The one timeline event the edit added; fails unless the diff is that insertion alone."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    changes = [op for op in difflib.SequenceMatcher(a=old, b=new).get_opcodes() if op[0] != "equal"]
    assert len(changes) == 1 and changes[0][0] == "insert", changes
    _, _, _, start, end = changes[0]
    # BaseLoader: every scalar as the text it is, as escalate's own loader reads timestamps.
    (event,) = yaml.load(textwrap.dedent("".join(new[start:end])), Loader=yaml.BaseLoader)
    return event


def _send(run_cli: RunCli, playbook: Path, *extra: str, moment: str = "update") -> Any:
    args = ["comms", "ESC-2026-0001", "--moment", moment, "--channel", "chat", "--send"]
    return run_cli([*args, "--by", "nora", "--now", WHILE_OPEN, *extra], playbook)


def test_a_sent_message_is_posted_then_recorded(
    playbook: Path, run_cli: RunCli, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEAM_VARIABLE, webhook.url)
    before = (playbook / RECORD).read_text(encoding="utf-8")
    result = _send(run_cli, playbook)
    assert result.exit_code == 0, result
    assert "posted the update message to #support-specialists" in result.stdout
    (posted,) = webhook.received
    assert posted["text"].startswith("ESC-2026-0001 update: acknowledged")
    assert posted["blocks"][0]["type"] == "header"
    after = (playbook / RECORD).read_text(encoding="utf-8")
    event = _only_insertion(before, after)
    assert {k: event[k] for k in ("at", "event", "by", "channel")} == {
        "at": "2026-05-15T10:45:00+02:00",
        "event": "update",
        "by": "nora",
        "channel": "chat",
    }
    assert event["text"].startswith("Periodic update posted to #support-specialists: ")
    assert run_cli(["validate"], playbook).exit_code == 0


def test_to_customer_records_a_customer_update(
    playbook: Path, run_cli: RunCli, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCALATE_WEBHOOK_CUSTOMER_CHAT", webhook.url)
    before = (playbook / RECORD).read_text(encoding="utf-8")
    result = _send(run_cli, playbook, "--to", "customer")
    assert result.exit_code == 0, result
    event = _only_insertion(before, (playbook / RECORD).read_text(encoding="utf-8"))
    assert (event["event"], event["channel"]) == ("customer_update", "chat")
    shown = run_cli(["show", "ESC-2026-0001", "--now", WHILE_OPEN, "--format", "json"], playbook)
    assert shown.json()["last_customer_update_at"] == "2026-05-15T10:45:00+02:00"


def test_a_500_then_success_is_retried_once(
    playbook: Path, run_cli: RunCli, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEAM_VARIABLE, webhook.url)
    monkeypatch.setattr("escalate.webhook.RETRY_PAUSE_SECONDS", 0.0)
    webhook.replies = [webhook.reply(500, "try again"), webhook.reply(200)]
    result = _send(run_cli, playbook)
    assert result.exit_code == 0, result
    assert "after 2 tries" in result.stdout
    assert len(webhook.received) == 2
    assert "event: update" in (playbook / RECORD).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("replies", "reason", "posts"),
    [
        ([(500, "busy", 0.0), (502, "bad gateway", 0.0)], "502 Bad Gateway: bad gateway", 2),
        ([(404, "no_service", 0.0)], "404 Not Found: no_service", 1),
        ([(200, "late", 2.0)], "did not answer within 0.3 s (tried 2 times)", 2),
    ],
)
def test_a_failed_post_changes_nothing_and_says_why(
    playbook: Path,
    run_cli: RunCli,
    webhook: Any,
    monkeypatch: pytest.MonkeyPatch,
    replies: list[tuple[int, str, float]],
    reason: str,
    posts: int,
) -> None:
    monkeypatch.setenv(TEAM_VARIABLE, webhook.url)
    monkeypatch.setattr("escalate.webhook.RETRY_PAUSE_SECONDS", 0.0)
    webhook.replies = [webhook.reply(*reply) for reply in replies]
    before = (playbook / RECORD).read_bytes()
    result = _send(run_cli, playbook, "--timeout", "0.3")
    assert result.exit_code == 1, result
    assert reason in result.stderr
    assert len(webhook.received) == posts
    assert (playbook / RECORD).read_bytes() == before


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, f"${TEAM_VARIABLE} is not set"),
        ("http://hooks.example.com/services/x", "is not an https:// URL"),
    ],
)
def test_no_usable_webhook_means_nothing_sent_or_written(
    playbook: Path,
    run_cli: RunCli,
    webhook: Any,
    monkeypatch: pytest.MonkeyPatch,
    value: str | None,
    problem: str,
) -> None:
    if value is None:
        monkeypatch.delenv(TEAM_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(TEAM_VARIABLE, value)
    before = (playbook / RECORD).read_bytes()
    result = _send(run_cli, playbook)
    assert result.exit_code == 1
    assert problem in result.stderr and "hooks.example.com" not in result.stderr
    assert webhook.received == []
    assert (playbook / RECORD).read_bytes() == before


def test_dry_run_shows_and_sends_nothing(
    playbook: Path, run_cli: RunCli, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEAM_VARIABLE, webhook.url)
    before = (playbook / RECORD).read_bytes()
    result = _send(run_cli, playbook, "--dry-run", "--format", "json")
    assert result.exit_code == 0, result
    shown = result.json()
    assert shown["webhook_variable"] == TEAM_VARIABLE
    assert shown["would_record"]["event"] == "update"
    assert shown["payload"]["blocks"]
    assert webhook.url not in result.stdout, "the URL is a secret"
    assert webhook.received == [] and (playbook / RECORD).read_bytes() == before


def test_only_chat_can_be_sent(playbook: Path, run_cli: RunCli, webhook: Any) -> None:
    args = ["comms", "ESC-2026-0001", "--moment", "ack", "--channel", "email", "--send"]
    result = run_cli([*args, "--by", "nora", "--now", WHILE_OPEN], playbook)
    assert result.exit_code == 1 and "only chat messages can be sent" in result.stderr
    assert webhook.received == []


def test_a_wrong_moment_or_person_sends_nothing(
    playbook: Path, run_cli: RunCli, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEAM_VARIABLE, webhook.url)
    before = (playbook / RECORD).read_bytes()
    assert _send(run_cli, playbook, moment="resolved").exit_code == 1
    args = ["comms", "ESC-2026-0001", "--moment", "update", "--channel", "chat", "--send"]
    unknown = run_cli([*args, "--by", "nobody", "--now", WHILE_OPEN], playbook)
    assert unknown.exit_code == 1 and "nobody" in unknown.stderr
    assert webhook.received == [] and (playbook / RECORD).read_bytes() == before


def test_a_record_that_does_not_validate_is_not_sent_for(
    playbook: Path, run_cli: RunCli, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEAM_VARIABLE, webhook.url)
    path = playbook / RECORD
    path.write_text(
        path.read_text(encoding="utf-8").replace("arr: 186000", 'arr: "186k"'), encoding="utf-8"
    )
    before = path.read_bytes()
    result = _send(run_cli, playbook)
    assert result.exit_code == 1
    assert webhook.received == [] and path.read_bytes() == before
    assert json.dumps(result.stderr)  # one readable line
