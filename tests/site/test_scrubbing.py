"""Scrubbing hidden customer names from visible text: short forms, aliases, staff names kept."""

from __future__ import annotations

from typing import Any

import pytest

from escalate.publishing import (
    REDACTED,
    Profile,
    Scrubber,
    customer_name_variants,
    hidden_paths,
    redact,
)

PUBLIC = Profile("public", ("customer.name", "customer.contact"))


@pytest.mark.parametrize(
    ("name", "short_forms", "not_forms"),
    [
        ("Harbourline Grocers Pty Ltd", {"Harbourline Grocers", "Harbourline"}, {"Grocers"}),
        (
            "Southern Cross Pharmacy Group",
            {"Southern Cross Pharmacy", "Southern Cross"},
            {"Southern"},
        ),
        ("Nordlicht Mode GmbH", {"Nordlicht Mode", "Nordlicht", "nordlicht-mode"}, {"Mode"}),
        ("Aurelia Versicherung AG", {"Aurelia Versicherung", "Aurelia"}, set()),
        ("Meridian Title & Escrow", {"Meridian Title", "Meridian"}, {"Meridian Title &"}),
        ("Studio Falk Architekten", {"Studio Falk"}, {"Studio"}),
        ("Coral Coast Resorts", {"Coral Coast"}, {"Coral"}),  # too short to stand alone
    ],
)
def test_short_forms_of_a_customer_name(
    name: str, short_forms: set[str], not_forms: set[str]
) -> None:
    texts, words = customer_name_variants(name)
    assert name in texts
    assert short_forms <= texts | words
    assert not not_forms & (texts | words)
    assert all(" " not in word for word in words)


def _record(name: str, **customer: Any) -> dict[str, Any]:
    return {"id": "ESC-2026-0100", "customer": {"name": name, "tier": "business", **customer}}


def test_short_names_are_scrubbed_and_staff_names_stay() -> None:
    scrub = Scrubber()
    scrub.add_record(
        _record("Lindqvist Freight AB", contact="Erik Lindqvist, CTO"),
        PUBLIC,
        public=["nora", "Nora Lindqvist"],
    )
    text = scrub("Lindqvist's dispatch stalled; Nora Lindqvist called Erik Lindqvist.")
    assert text == f"{REDACTED}'s dispatch stalled; Nora Lindqvist called {REDACTED}."


def test_one_word_forms_match_as_written_and_phrases_in_any_case() -> None:
    scrub = Scrubber()
    scrub.add_record(_record("Cascade Outdoor Retail Inc."), PUBLIC)
    assert scrub("Cascade called") == f"{REDACTED} called"
    assert scrub("a cascade of retries") == "a cascade of retries"
    assert scrub("CASCADE OUTDOOR and cascade-outdoor.com") == f"{REDACTED} and {REDACTED}.com"


def test_aliases_are_hidden_with_the_name_and_scrubbed_in_any_case() -> None:
    record = _record("Café Kranich", aliases=["Kranich", "Kaffeehaus K."])
    assert "customer.aliases" in hidden_paths(PUBLIC)
    assert "aliases" not in redact(record, PUBLIC)["customer"]
    scrub = Scrubber()
    scrub.add_record(record, PUBLIC)
    assert scrub("kranich.de and Kaffeehaus K. both") == f"{REDACTED}.de and {REDACTED} both"
