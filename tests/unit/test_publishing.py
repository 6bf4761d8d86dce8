"""Publishing profiles: redaction of hidden fields, and scrubbing of quoted hidden values."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from escalate.errors import PolicyError
from escalate.policy import load_policy
from escalate.publishing import REDACTED, Profile, Scrubber, hidden_values, profile_named, redact
from escalate.schema import SchemaStore

ROOT = Path(__file__).resolve().parents[2]

RECORD: dict[str, Any] = {
    "id": "ESC-2026-0100",
    "reported_by": "bob",
    "customer": {
        "name": "Acme Widgets GmbH",
        "tier": "enterprise",
        "arr": 240000,
        "contact": "Jana Wiegand, CTO",
    },
    "impact": {"summary": "Acme Widgets cannot pay", "revenue_at_risk": 50000},
    "references": {"tickets": ["ZD-88121"], "links": ["https://example.com/x"]},
    "timeline": [
        {"at": "2026-11-20T09:20:00+01:00", "event": "acknowledged", "by": "alice"},
        {
            "at": "2026-11-20T09:30:00+01:00",
            "event": "note",
            "by": "dan",
            "text": "Secret internal note",
        },
        {
            "at": "2026-11-20T09:40:00+01:00",
            "event": "update",
            "by": "dan",
            "text": "Deploy 4711 rolled back",
        },
        {
            "at": "2026-11-20T09:45:00+01:00",
            "event": "customer_update",
            "by": "alice",
            "text": "Hi Jana, about ZD-88121",
        },
    ],
    "notes": "call them",
}

PUBLIC = Profile("public", ("customer.name", "customer.arr", "customer.contact", "impact.revenue_at_risk",
                            "references.tickets", "notes", "reported_by", "timeline[event=note]"))  # fmt: skip


def test_redact_removes_fields_and_selected_items() -> None:
    before = copy.deepcopy(RECORD)
    result = redact(RECORD, PUBLIC)
    assert before == RECORD  # pure: the input is untouched
    assert result["customer"] == {"tier": "enterprise"}
    assert "revenue_at_risk" not in result["impact"]
    assert result["references"] == {"links": ["https://example.com/x"]}
    assert "notes" not in result and "reported_by" not in result
    assert [event["event"] for event in result["timeline"]] == [
        "acknowledged",
        "update",
        "customer_update",
    ]


def test_a_field_of_selected_items() -> None:
    result = redact(RECORD, ["timeline[event=update].text"])
    update = result["timeline"][2]
    assert update == {"at": "2026-11-20T09:40:00+01:00", "event": "update", "by": "dan"}
    assert result["timeline"][1]["text"] == "Secret internal note"


def test_a_plain_segment_applies_to_each_list_item() -> None:
    result = redact(RECORD, ["timeline.by"])
    assert all("by" not in event for event in result["timeline"])


def test_missing_paths_are_ignored() -> None:
    assert redact({"id": "x"}, PUBLIC) == {"id": "x"}
    assert redact({"timeline": "not a list"}, ["timeline[event=note]"]) == {
        "timeline": "not a list"
    }


def test_hidden_values_are_what_redact_removes() -> None:
    removed = hidden_values(RECORD, PUBLIC)
    assert "Acme Widgets GmbH" in removed and 240000 in removed and ["ZD-88121"] in removed
    assert RECORD["timeline"][1] in removed


def test_profiles_from_the_repository_policy() -> None:
    policy, _ = load_policy(ROOT, SchemaStore(ROOT))
    assert profile_named(policy.publishing, None).id == "internal"
    assert profile_named(policy.publishing, "internal").hide == ()
    public = profile_named(policy.publishing, "public")
    assert "customer.name" in public.hide and "timeline[event=note]" in public.hide
    with pytest.raises(PolicyError, match="no publishing profile 'press'"):
        profile_named(policy.publishing, "press")
    assert profile_named({}, None) == Profile("internal")


def test_scrubber_replaces_quoted_hidden_values() -> None:
    scrub = Scrubber()
    scrub.add_record(RECORD, PUBLIC, public=["alice", "dan", "bob", "Alice Moreau"])
    text = scrub(
        "Acme Widgets (acme-widgets.com) lost 50,000 EUR; Hi Jana, see ZD-88121. Jana's team."
    )
    assert "Acme" not in text and "acme-widgets" not in text
    assert "50,000" not in text and "ZD-88121" not in text and "Jana" not in text
    assert text.count(REDACTED) == 6
    # numbers only as whole numbers, words only as whole words
    assert scrub("ORD-2400001 and 1240000 and Janaina") == "ORD-2400001 and 1240000 and Janaina"
    # public names and handles stay
    assert scrub("alice and bob") == "alice and bob"
    assert scrub.scrub({"a": ["Secret internal note"]}) == {"a": [REDACTED]}


def test_contact_first_names_shared_with_colleagues_stay() -> None:
    record = {"customer": {"name": "X Corp", "contact": "Priya Raman, CFO"}}
    scrub = Scrubber()
    scrub.add_record(record, Profile("p", ("customer.contact",)), public=["Priya Raman", "priya"])
    assert scrub("Priya Raman is on call") == "Priya Raman is on call"
