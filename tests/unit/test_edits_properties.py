"""Property: any sequence of allowed lifecycle events, appended to a commented record, leaves a
file that validates, keeps every original line in order, and means what a simple model says."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate.edits import append_event, candidate_errors, check_event
from escalate.records import derive, parse_instant
from escalate.repo import Repo
from escalate.yamlio import load

ROOT = Path(__file__).resolve().parents[2]
# Records with comments in and around their timelines, flow and block items, open and closed.
EXAMPLES = ["ESC-2026-0001", "ESC-2026-0027", "ESC-2026-0029", "ESC-2026-0030", "ESC-2026-0032"]
PEOPLE = ["alice", "bob", "carol", "dan", "frank", "grace", "nora", "omar", "victor"]
LEVELS = ["L1", "L2", "L3", "L4", "L5"]
SEVERITIES = ["sev1", "sev2", "sev3", "sev4"]
REASONS = ["waiting_on_customer", "waiting_on_vendor", "customer_requested", "scheduled_change"]
CHANNELS = ["email", "chat", "phone", "status_page", "portal"]
ZONES = [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]


def _commented(text: str) -> str:
    """More comments where people put them: above the timeline and after items."""
    text = text.replace(
        "\ntimeline:\n", "\n# the lifecycle, in time order\ntimeline:  # append only\n"
    )
    return re.sub(r"(\n  - \{at: [^\n]*\}\n)", r"\1  # checked\n", text, count=1)


def _variants() -> list[tuple[str, str, bytes]]:
    found = []
    for escalation_id in EXAMPLES:
        relative = f"incidents/2026/{escalation_id}/escalation.yaml"
        text = (ROOT / relative).read_text(encoding="utf-8")
        found.append((f"{escalation_id}", relative, text.encode()))
        commented = _commented(text)
        found.append((f"{escalation_id}-commented", relative, commented.encode()))
        crlf = commented.replace("\n", "\r\n")
        found.append((f"{escalation_id}-crlf-bom", relative, b"\xef\xbb\xbf" + crlf.encode()))
        found.append((f"{escalation_id}-no-newline", relative, text.rstrip("\n").encode()))
    return found


VARIANTS = _variants()


@pytest.fixture(scope="module")
def repo() -> Repo:
    return Repo.load(ROOT, use_cache=False)  # no parse cache: nothing is written


@dataclass
class Model:
    """The lifecycle as the handbook describes it, written out independently of `records`."""

    owner: str
    level: str
    severity: str
    acked: bool = False
    paused: bool = False
    mitigated: bool = False
    finished: str | None = None  # "resolved" or "closed"
    events: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.finished:
            return self.finished
        if self.paused:
            return "waiting_on_customer"
        if self.mitigated:
            return "mitigated"
        return "acknowledged" if self.acked else "open"

    def allowed(self) -> list[str]:
        if self.finished == "closed":
            return ["note", "reopened"]
        kinds = ["note", "update", "customer_update", "assigned", "escalated", "reclassified"]
        if not self.acked:
            kinds.append("acknowledged")
        if self.finished == "resolved":
            return [*kinds, "closed", "reopened"]
        if self.paused:
            kinds.append("resumed")
        else:
            kinds.append("paused")
        if not self.mitigated:
            kinds.append("mitigated")
        return [*kinds, "resolved"]

    def apply(self, event: dict[str, str]) -> None:
        kind = event["event"]
        self.events.append(kind)
        if kind == "acknowledged":
            self.acked = True
        elif kind == "assigned":
            self.owner = event["to"]
        elif kind == "escalated":
            self.level = event["level"]
            self.owner = event.get("to", self.owner)
        elif kind == "reclassified":
            self.severity = event["severity"]
        elif kind == "paused":
            self.paused = True
        elif kind == "resumed":
            self.paused = False
        elif kind == "mitigated":
            self.mitigated = True
        elif kind == "resolved":
            self.paused = False
            self.finished = "resolved"
        elif kind == "closed":
            self.finished = "closed"
        elif kind == "reopened":
            self.finished = None
            self.mitigated = False
            self.acked = True


def _model_of(data: dict[str, Any]) -> Model:
    model = Model(data["owner"], data["level"], data["severity"])
    for event in data.get("timeline") or []:
        model.apply(event)
    return model


texts = st.text(
    st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30
) | st.sampled_from(
    ["a: b", "# not a comment", "{{ x }}", "it's", 'say "hi"', "- x", "true", "x,y"]
)


@st.composite
def _event(draw: st.DrawFn, model: Model, after: datetime) -> dict[str, str]:
    kind = draw(st.sampled_from(model.allowed()))
    at = after + timedelta(minutes=draw(st.integers(0, 3000)))
    event = {"at": at.astimezone(draw(st.sampled_from(ZONES))).isoformat(), "event": kind}
    event["by"] = draw(st.sampled_from(PEOPLE))
    if kind == "assigned":
        event["to"] = draw(st.sampled_from([p for p in PEOPLE if p != model.owner]))
    elif kind == "escalated":
        event["level"] = draw(st.sampled_from([lv for lv in LEVELS if lv != model.level]))
        if draw(st.booleans()):
            event["to"] = draw(st.sampled_from(PEOPLE))
    elif kind == "reclassified":
        event["severity"] = draw(st.sampled_from([s for s in SEVERITIES if s != model.severity]))
    elif kind == "paused":
        event["reason"] = draw(st.sampled_from(REASONS))
    if kind in ("note", "update", "customer_update") or draw(st.booleans()):
        event["text"] = draw(texts)
    if draw(st.booleans()):
        event["channel"] = draw(st.sampled_from(CHANNELS))
    return event


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(variant=st.sampled_from(VARIANTS), data=st.data())
def test_allowed_events_keep_the_file_valid_and_every_line(
    repo: Repo, variant: tuple[str, str, bytes], data: st.DataObject
) -> None:
    _, relative, raw = variant
    text = raw.decode("utf-8")  # the BOM stays in the text as U+FEFF
    record = load(text.lstrip("\ufeff"), relative)
    model = _model_of(record)
    steps = data.draw(st.integers(1, 8), label="steps")
    current = text
    for _ in range(steps):
        record = load(current.lstrip("\ufeff"), relative)
        last = max(
            [parse_instant(record["opened_at"])]
            + [parse_instant(e["at"]) for e in record.get("timeline") or []]
        )
        event = data.draw(_event(model, last), label="event")
        state = check_event(record, event, repo.policy)  # an allowed event is never refused
        current = append_event(current, event, relative)
        model.apply(event)
        assert state.status == model.status

    # the file validates, with every check `escalate validate` makes
    assert candidate_errors(repo, relative, "escalation", current.encode("utf-8")) == []
    # every original line survives unchanged and in order: the diff only inserts
    matcher = difflib.SequenceMatcher(None, text.splitlines(), current.splitlines(), autojunk=False)
    assert {tag for tag, *_ in matcher.get_opcodes()} <= {"equal", "insert"}, current
    # a BOM and CRLF line endings stay
    assert current.startswith("\ufeff") == text.startswith("\ufeff")
    if "\r\n" in text:
        assert "\n" not in current.replace("\r\n", "")
    # and the derived state is the model's
    state, problems = derive(load(current.lstrip("\ufeff"), relative))
    assert problems == []
    assert (state.status, state.owner, state.level, state.severity) == (
        model.status,
        model.owner,
        model.level,
        model.severity,
    )
