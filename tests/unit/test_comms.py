"""Comms templates: every moment on every channel for every example record, and the facts they
must carry; moments refused where they do not fit; overrides and their errors."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from escalate import comms
from escalate.errors import RecordError
from escalate.records import parse_instant
from escalate.render import TemplateError
from escalate.repo import Repo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def repo() -> Repo:
    return Repo.load(ROOT, use_cache=False)


def _instants(repo: Repo) -> list[tuple[str, datetime]]:
    """(record id, a minute after each of its events): every state each record went through."""
    found = []
    for escalation in repo.escalations.values():
        times = [parse_instant(e["at"]) for e in escalation.data.get("timeline") or []]
        for at in [escalation.opened_at, *times]:
            found.append((escalation.id, at + timedelta(minutes=1)))
    return found


PLACEHOLDER = re.compile(r"\{\{|\{%|\bNone\b|\[\]|\bTBD\b|\bTODO\b|\bundefined\b")


def test_every_template_renders_for_every_record_and_state(repo: Repo) -> None:
    rendered = {(moment, channel): 0 for moment in comms.MOMENTS for channel in comms.CHANNELS}
    env = comms.environment(repo.root)  # compiled once: every render shares its templates
    for escalation_id, now in _instants(repo):
        escalation = repo.escalations[escalation_id]
        facts = comms.facts(repo, escalation, now)
        for moment in comms.MOMENTS:
            for channel in comms.CHANNELS:
                try:
                    message = comms.render(
                        repo, escalation, moment, channel, now, env=env, context=facts
                    )
                except RecordError as refused:
                    assert refused.rule == "comms/moment", refused
                    continue
                rendered[moment, channel] += 1
                _check(message, facts)
    never = [pair for pair, count in rendered.items() if count == 0]
    assert not never, f"never rendered for any example record: {never}"


def _check(message: comms.Message, facts: dict[str, object]) -> None:
    where = f"{message.moment}/{message.channel}"
    text = (message.subject or "") + "\n" + message.text
    assert not PLACEHOLDER.search(text), f"{where}: unfilled placeholder\n{text}"
    assert "\n\n\n" not in message.text, f"{where}: a stray blank line\n{text}"
    owner = facts["owner"]
    case = facts["case"]
    assert isinstance(owner, dict) and isinstance(case, dict)
    if message.channel != "status":
        assert owner["name"] in text, f"{where}: the owner's name is missing"
        assert case["id"] in text
    else:
        # A status page is public: it never names the customer or the owner.
        customer = facts["customer"]
        assert isinstance(customer, dict)
        assert customer["name"] not in text and owner["name"] not in text, where
    due = facts["next_update"]
    if due and message.moment in ("ack", "update") and message.channel != "status":
        assert str(due) in text, f"{where}: the next update time is missing"
    if message.channel == "email":
        assert message.subject and case["id"] in message.subject
    if message.channel == "chat":
        assert comms.block_kit_problems(message.blocks) == [], where
        payload = json.loads(json.dumps(message.payload()))
        assert payload["text"] == message.text and payload["blocks"][0]["type"] == "header"


def test_the_next_update_is_shown_in_the_customers_zone(repo: Repo) -> None:
    escalation = repo.escalations["ESC-2026-0001"]  # customer.timezone: Europe/Berlin
    # Acknowledged 10:27 CEST, the first customer update 10:41 CEST, the cadence 2 h for
    # enterprise sev2 (policy/matrix.yaml): the next update is due 12:41 CEST.
    now = datetime(2026, 5, 15, 8, 45, tzinfo=UTC)
    message = comms.render(repo, escalation, "update", "email", now)
    assert "Fri 15 May 2026, 12:41 CEST" in message.text
    assert comms.facts(repo, escalation, now)["next_update_at"] == "2026-05-15T10:41:00+00:00"


def test_customer_zone_falls_back_to_the_region_then_the_default(repo: Repo) -> None:
    escalation = repo.escalations["ESC-2026-0001"]
    data = dict(escalation.data)
    for customer, zone in [
        ({"name": "A", "tier": "business", "timezone": "Asia/Tokyo"}, "Asia/Tokyo"),
        ({"name": "A", "tier": "business", "timezone": "Mars/Olympus"}, "Europe/Berlin"),
        ({"name": "A", "tier": "standard", "region": "amer"}, "America/New_York"),
        ({"name": "A", "tier": "enterprise", "region": "apac"}, "Australia/Sydney"),
        ({"name": "A", "tier": "enterprise"}, "Europe/Berlin"),
    ]:
        other = type(escalation)(escalation.path, {**data, "customer": customer})
        assert comms.customer_zone(other, repo.policy).key == zone, customer


def test_local_time_says_which_side_of_a_dst_change() -> None:
    zone = ZoneInfo("Europe/Berlin")
    assert comms.local_time(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), zone) == (
        "Sun 29 Mar 2026, 01:30 CET"
    )
    assert comms.local_time(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), zone) == (
        "Sun 29 Mar 2026, 03:30 CEST"
    )


@pytest.mark.parametrize(
    ("moment", "when", "why"),
    [
        ("resolved", "2026-05-15T09:00:00Z", "not resolved"),
        ("verify", "2026-05-15T09:00:00Z", "not resolved"),
        ("mitigated", "2026-05-15T08:30:00Z", "not mitigated"),
        ("escalated", "2026-05-15T08:45:00Z", "still at L2"),
        ("ack", "2026-05-20T09:00:00Z", "resolved"),
        ("resolved", "2026-05-23T09:00:00Z", "closed already"),
    ],
)
def test_a_moment_that_does_not_fit_is_refused(
    repo: Repo, moment: str, when: str, why: str
) -> None:
    escalation = repo.escalations["ESC-2026-0001"]
    with pytest.raises(RecordError) as caught:
        comms.render(repo, escalation, moment, "email", parse_instant(when))
    assert caught.value.rule == "comms/moment"
    assert why in caught.value.message


def test_a_postmortem_summary_needs_a_reviewed_postmortem(repo: Repo) -> None:
    without = next(e for e in repo.escalations.values() if e.id not in repo.postmortems)
    with pytest.raises(RecordError, match="does not exist"):
        comms.render(repo, without, "postmortem", "email", datetime(2026, 12, 1, tzinfo=UTC))


def test_internal_notes_never_reach_a_message(repo: Repo) -> None:
    escalation = repo.escalations["ESC-2026-0001"]
    note = "PayLane ACS answers our challenge-result callback with 504"  # a `note` event
    assert any(note in str(e.get("text", "")) for e in escalation.data["timeline"])
    now = datetime(2026, 5, 15, 10, 0, tzinfo=UTC)
    for channel in comms.CHANNELS:
        message = comms.render(repo, escalation, "update", channel, now)
        assert note not in message.text


def _override(tmp_path: Path, name: str, text: str) -> Repo:
    root = tmp_path / "playbook"
    for part in ("policy", "schema", "incidents"):
        shutil.copytree(ROOT / part, root / part)
    path = root / "templates" / name
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return Repo.load(root, use_cache=False)


NOW = datetime(2026, 5, 15, 8, 45, tzinfo=UTC)


def test_a_repository_template_wins(tmp_path: Path) -> None:
    repo = _override(
        tmp_path,
        "comms/ack/email.txt.j2",
        "Subject: Ticket {{ case.id }}\nDear {{ customer.name }}, {{ owner.name }} has it.\n",
    )
    message = comms.render(repo, repo.escalations["ESC-2026-0001"], "ack", "email", NOW)
    assert message.subject == "Ticket ESC-2026-0001"
    assert message.text == "Dear Nordlicht Mode GmbH, Nora Lindqvist has it.\n"


def test_a_syntax_error_in_an_override_names_the_file_and_line(tmp_path: Path) -> None:
    repo = _override(tmp_path, "comms/ack/chat.txt.j2", "{{ case.id }}\n{% if %}\n")
    with pytest.raises(TemplateError) as caught:
        comms.render(repo, repo.escalations["ESC-2026-0001"], "ack", "chat", NOW)
    assert caught.value.path is not None and caught.value.path.endswith("ack/chat.txt.j2")
    assert caught.value.line == 2


def test_an_unknown_variable_names_the_file_and_line(tmp_path: Path) -> None:
    repo = _override(tmp_path, "comms/update/status.txt.j2", "Update\n\n{{ case.eta }}\n")
    with pytest.raises(TemplateError) as caught:
        comms.render(repo, repo.escalations["ESC-2026-0001"], "update", "status", NOW)
    assert "eta" in caught.value.message and caught.value.line == 3


def test_a_block_kit_override_that_is_not_json_is_refused(tmp_path: Path) -> None:
    repo = _override(tmp_path, "comms/chat.json.j2", '{"blocks": [{{ text }}]}\n')
    with pytest.raises(TemplateError, match="tojson"):
        comms.render(repo, repo.escalations["ESC-2026-0001"], "ack", "chat", NOW)


def test_an_email_template_must_start_with_a_subject(tmp_path: Path) -> None:
    repo = _override(tmp_path, "comms/ack/email.txt.j2", "Hello {{ customer.name }}\n")
    with pytest.raises(TemplateError, match="Subject"):
        comms.render(repo, repo.escalations["ESC-2026-0001"], "ack", "email", NOW)


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ([], "non-empty"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}], "plain_text"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "at most 150"),
        ([{"type": "section"}], "text or fields"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}], "at most 10"),
        ([{"type": "carousel"}], "unknown block type"),
        ([{"type": "context", "elements": []}], "1 to 10"),
    ],
)
def test_block_kit_shape_checks(blocks: object, problem: str) -> None:
    found = comms.block_kit_problems(blocks)
    assert found and problem in found[0]
