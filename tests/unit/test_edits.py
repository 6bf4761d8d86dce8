"""Text edits of records: one event appended, one value replaced, nothing else touched."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from escalate.edits import (
    EditError,
    append_event,
    check_event,
    instant_text,
    is_plain_safe,
    newline_of,
    replace_front_matter_scalar,
    replace_scalar,
    yaml_scalar,
)
from escalate.errors import RecordError
from escalate.policy import Policy, load_policy
from escalate.records import derive
from escalate.schema import SchemaStore
from escalate.yamlio import load

ROOT = Path(__file__).resolve().parents[2]
EVENT = {"at": "2026-12-01T10:00:00+01:00", "event": "note", "by": "alice", "text": "Checked"}


def added_lines(before: str, after: str) -> list[str]:
    """The diff of an edit as (+/-)lines; an edit that only appends has no '-' lines."""
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


# --- scalars ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("alice", "alice"),
        ("Provider failover enabled.", "Provider failover enabled."),
        ("2026-11-20T09:20:00+01:00", "2026-11-20T09:20:00+01:00"),
        ("NO", "NO"),  # YAML 1.2: a string, and the loader agrees
        ("17:00", "17:00"),
        ("Müller & Söhne", '"Müller & Söhne"'),
        ("Grüße", "Grüße"),
        ("true", '"true"'),
        ("null", '"null"'),
        ("42", '"42"'),
        ("1.5", '"1.5"'),
        ("", '""'),
        (" padded", '" padded"'),
        ("key: value", '"key: value"'),
        ("ends with:", '"ends with:"'),
        ("a # comment", '"a # comment"'),
        ("a, b", '"a, b"'),
        ("[x]", '"[x]"'),
        ("{{ x }}", '"{{ x }}"'),
        ("- item", '"- item"'),
        ("it's", '"it\'s"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("two\nlines", '"two\\nlines"'),
        ("tab\there", '"tab\\there"'),
        ("line\u2028separator", '"line\\u2028separator"'),
        ("bell\x07", '"bell\\u0007"'),
        ("@handle", '"@handle"'),
        ("%x", '"%x"'),
        ("`tick", '"`tick"'),
    ],
)
def test_yaml_scalar_writes_plain_only_when_it_reads_back(value: str, written: str) -> None:
    assert yaml_scalar(value) == written
    assert load(f"k: {written}", "") == {"k": value}
    assert load(f"{{k: {written}}}", "") == {"k": value}


def test_yaml_scalar_non_strings() -> None:
    assert yaml_scalar(None) == "null"
    assert yaml_scalar(True) == "true"
    assert yaml_scalar(240000) == "240000"
    assert yaml_scalar(240000.0) == "240000"
    assert yaml_scalar(0.5) == "0.5"
    assert not is_plain_safe("")


def test_instant_text() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    assert instant_text(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05+00:00"
    plus_one = timezone(timedelta(hours=1))
    assert instant_text(datetime(2026, 1, 2, 3, 4, 5, 120, plus_one)).endswith(".000120+01:00")
    with pytest.raises(ValueError):
        instant_text(datetime(2026, 1, 2))


# --- appending an event ---------------------------------------------------------------------------

FLOW = """\
# a comment at the top
id: ESC-2026-0100
x-unknown: 'kept'   # unknown keys survive
timeline:
  - {at: 2026-12-01T09:00:00+01:00, event: acknowledged, by: alice}  # trailing comment
  # a comment after the last event

actions: []
"""


def test_append_to_flow_items_adds_one_line_after_the_last_item() -> None:
    edited = append_event(FLOW, EVENT)
    assert added_lines(FLOW, edited) == [
        "+  - {at: 2026-12-01T10:00:00+01:00, event: note, by: alice, text: Checked}"
    ]
    lines = edited.splitlines()
    assert lines[4].startswith("  - {at: 2026-12-01T09:00")
    assert lines[5].startswith("  - {at: 2026-12-01T10:00")
    assert lines[6] == "  # a comment after the last event"


def test_append_quotes_what_needs_quoting() -> None:
    event = dict(EVENT, text='He said: "no" # really, {twice}')
    edited = append_event(FLOW, event)
    assert load(edited, "")["timeline"][-1]["text"] == event["text"]
    assert len(added_lines(FLOW, edited)) == 1


def test_append_keys_in_the_tool_order() -> None:
    event = {"text": "t", "to": "dan", "level": "L4", "by": "alice", "event": "escalated"}
    edited = append_event(FLOW, {"at": "2026-12-01T10:00:00+01:00", **event})
    assert (
        "{at: 2026-12-01T10:00:00+01:00, event: escalated, by: alice, level: L4, to: dan, text: t}"
        in edited
    )


BLOCK = """\
id: ESC-2026-0100
timeline:
  - {at: 2026-12-01T09:00:00+01:00, event: acknowledged, by: alice}
  - at: 2026-12-01T09:30:00+01:00
    event: customer_update
    by: alice
    text: >-
      We are looking into it and
      will update you soon.

# actions follow
actions: []
"""


def test_append_after_a_block_mapping_item_writes_a_block_mapping() -> None:
    edited = append_event(BLOCK, EVENT)
    assert added_lines(BLOCK, edited) == [
        "+  - at: 2026-12-01T10:00:00+01:00",
        "+    event: note",
        "+    by: alice",
        "+    text: Checked",
    ]
    assert "will update you soon.\n  - at: 2026-12-01T10:00" in edited


def test_append_after_a_keep_chomped_block_scalar_keeps_its_trailing_lines() -> None:
    text = BLOCK.replace(">-", "|+")
    edited = append_event(text, EVENT)
    data = load(edited, "")
    assert data["timeline"][1]["text"] == "We are looking into it and\nwill update you soon.\n\n"
    assert data["timeline"][2]["text"] == "Checked"


def test_append_to_an_indentless_sequence_copies_its_prefix() -> None:
    text = "id: X\ntimeline:\n- {at: 2026-12-01T09:00:00+01:00, event: acknowledged, by: a}\nz: 1\n"
    edited = append_event(text, EVENT)
    assert added_lines(text, edited) == [
        "+- {at: 2026-12-01T10:00:00+01:00, event: note, by: alice, text: Checked}"
    ]


def test_append_to_a_wide_prefix() -> None:
    text = "id: X\ntimeline:\n    -   {at: 2026-12-01T09:00:00+01:00, event: acknowledged, by: a}\n"
    edited = append_event(text, EVENT)
    assert edited.endswith(
        "\n    -   {at: 2026-12-01T10:00:00+01:00, event: note, by: alice, text: Checked}\n"
    )


@pytest.mark.parametrize("empty", ["[]", "[ ]", "", "~", "null"])
def test_append_to_an_empty_timeline(empty: str) -> None:
    text = f"id: X\ntimeline: {empty}  # nothing yet\nactions: []\n"
    edited = append_event(text, EVENT)
    kept = "   # nothing yet" if not empty else "  # nothing yet"
    assert edited == (
        f"id: X\ntimeline:{kept}\n"
        "  - {at: 2026-12-01T10:00:00+01:00, event: note, by: alice, text: Checked}\n"
        "actions: []\n"
    )


def test_append_to_an_empty_timeline_at_the_end_without_newline() -> None:
    edited = append_event("id: X\ntimeline: []", EVENT)
    assert edited == (
        "id: X\ntimeline:\n  - {at: 2026-12-01T10:00:00+01:00, event: note, by: alice, text: Checked}"
    )


def test_append_without_a_timeline_key_adds_it_at_the_end() -> None:
    edited = append_event("id: X\nactions: []  # none\n", EVENT)
    assert edited == (
        "id: X\nactions: []  # none\ntimeline:\n"
        "  - {at: 2026-12-01T10:00:00+01:00, event: note, by: alice, text: Checked}\n"
    )


def test_append_to_a_flow_sequence_stays_flow() -> None:
    text = "id: X\ntimeline: [{at: 2026-12-01T09:00:00+01:00, event: acknowledged, by: a}]  # c\n"
    edited = append_event(text, EVENT)
    assert edited == (
        "id: X\ntimeline: [{at: 2026-12-01T09:00:00+01:00, event: acknowledged, by: a}, "
        "{at: 2026-12-01T10:00:00+01:00, event: note, by: alice, text: Checked}]  # c\n"
    )


def test_append_to_a_file_without_a_final_newline() -> None:
    text = FLOW.rstrip("\n").replace("\n\nactions: []", "")
    assert text.endswith("# a comment after the last event")
    edited = append_event(text, EVENT)
    assert not edited.endswith("\n")
    assert added_lines(text, edited) == [
        "+  - {at: 2026-12-01T10:00:00+01:00, event: note, by: alice, text: Checked}"
    ]
    text = "id: X\ntimeline:\n  - {at: 2026-12-01T09:00:00+01:00, event: acknowledged, by: a}"
    edited = append_event(text, EVENT)
    assert (
        edited
        == text + "\n  - {at: 2026-12-01T10:00:00+01:00, event: note, by: alice, text: Checked}"
    )


def test_append_keeps_crlf_and_bom() -> None:
    text = "\ufeff" + FLOW.replace("\n", "\r\n")
    edited = append_event(text, EVENT)
    assert edited.startswith("\ufeff# a comment")
    assert "\n" not in edited.replace("\r\n", "")
    assert edited.count("\r\n") == text.count("\r\n") + 1
    assert len(added_lines(text, edited)) == 1


def test_append_counts_lines_as_yaml_does() -> None:
    # A line separator inside a quoted value is a line break to libyaml: marks count it.
    text = 'id: X\ntitle: "a\u2028b"\ntimeline:\n  - {at: 2026-12-01T09:00:00+01:00, event: acknowledged, by: a}\n'
    edited = append_event(text, EVENT)
    assert len(added_lines(text, edited)) == 1
    assert load(edited, "")["title"] == load(text, "")["title"]


def test_append_refuses_layouts_it_cannot_edit() -> None:
    with pytest.raises(EditError, match="flow mapping"):
        append_event("{id: X, timeline: []}", EVENT)
    with pytest.raises(EditError, match="not a list"):
        append_event("id: X\ntimeline: nothing\n", EVENT)
    with pytest.raises(EditError, match="not a mapping"):
        append_event("- a\n", EVENT)


def test_newline_of() -> None:
    assert newline_of("a\r\nb\n") == "\r\n"
    assert newline_of("a\nb\r\n") == "\n"
    assert newline_of("a") == "\n"


@pytest.mark.parametrize(
    "path", sorted(ROOT.glob("incidents/*/*/escalation.yaml")), ids=lambda p: p.parent.name
)
def test_append_to_every_example_record(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    edited = append_event(text, EVENT, str(path))
    diff = added_lines(text, edited)
    assert diff and all(line.startswith("+") for line in diff)
    assert load(edited, "")["timeline"][-1] == EVENT


# --- replacing one value ----------------------------------------------------------------------------


def test_replace_scalar_keeps_everything_else() -> None:
    text = "# c\nid: ESC-2026-0001  # the id\nrelated: [ESC-2026-0002, 'ESC-2026-0003']\n"
    edited = replace_scalar(text, "/id", "ESC-2026-0009")
    assert edited == "# c\nid: ESC-2026-0009  # the id\nrelated: [ESC-2026-0002, 'ESC-2026-0003']\n"
    edited = replace_scalar(edited, "/related/1", "ESC-2026-0010")
    assert edited.endswith("related: [ESC-2026-0002, 'ESC-2026-0010']\n")
    assert replace_scalar('id: "X-1"\n', "/id", 'a"b') == 'id: "a\\"b"\n'
    with pytest.raises(EditError):
        replace_scalar(text, "/nothing", "x")


def test_replace_front_matter_scalar() -> None:
    text = "---\r\nid: ESC-2026-0001\r\ntitle: T  # c\r\n---\r\n\r\n# Body id: ESC-2026-0001\r\n"
    edited = replace_front_matter_scalar(text, "/id", "ESC-2026-0042")
    assert edited == text.replace("id: ESC-2026-0001\r\n", "id: ESC-2026-0042\r\n", 1)
    with pytest.raises(EditError):
        replace_front_matter_scalar("no front matter\n", "/id", "x")


# --- lifecycle checks ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def policy() -> Policy:
    loaded, findings = load_policy(ROOT, SchemaStore(ROOT))
    assert not findings
    return loaded


RECORD = {
    "id": "ESC-2026-0100",
    "opened_at": "2026-12-01T09:00:00+01:00",
    "owner": "alice",
    "level": "L2",
    "severity": "sev2",
    "timeline": [{"at": "2026-12-01T09:10:00+01:00", "event": "acknowledged", "by": "alice"}],
}


def at(time: str, **event: str) -> dict[str, str]:
    return {"at": f"2026-12-01T{time}:00+01:00", **event}


def test_check_event_returns_the_new_state(policy: Policy) -> None:
    state = check_event(
        RECORD, at("10:00", event="escalated", by="alice", level="L4", to="dan"), policy
    )
    assert (state.level, state.owner, state.status) == ("L4", "dan", "acknowledged")
    state = check_event(RECORD, at("09:10", event="resolved", by="alice"), policy)
    assert state.status == "resolved"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (at("10:00", event="note", by="zed", text="x"), "'zed' is not a person"),
        (at("10:00", event="assigned", by="alice", to="dna"), "did you mean 'dan'"),
        (at("10:00", event="escalated", by="alice", level="L9"), "one of L1, L2, L3, L4, L5"),
        (at("10:00", event="reclassified", by="alice", severity="sev7"), "is not a severity"),
        (at("09:05", event="note", by="alice", text="x"), "earlier than the last event"),
        (at("08:00", event="note", by="alice", text="x"), "before the case was opened"),
        (at("10:00", event="acknowledged", by="alice"), "already acknowledged"),
        (at("10:00", event="resumed", by="alice"), "not paused"),
        (at("10:00", event="closed", by="alice"), "only a resolved case can be closed"),
        (at("10:00", event="reopened", by="alice"), "only a resolved or closed case"),
        (at("10:00", event="escalated", by="alice", level="L2"), "already at L2"),
        (at("10:00", event="assigned", by="alice", to="alice"), "already owns"),
    ],
)
def test_check_event_refusals(policy: Policy, event: dict[str, str], message: str) -> None:
    with pytest.raises(RecordError, match=message):
        check_event(RECORD, event, policy)


def test_check_event_names_the_cli_options(policy: Policy) -> None:
    with pytest.raises(RecordError, match=r"^--by 'zed'"):
        check_event(RECORD, at("10:00", event="note", by="zed", text="x"), policy, {"by": "--by"})


def test_check_event_agrees_with_derive(policy: Policy) -> None:
    event = at("10:00", event="paused", by="alice", reason="waiting_on_customer")
    state = check_event(RECORD, event, policy)
    replayed, problems = derive({**RECORD, "timeline": [*RECORD["timeline"], event]})
    assert not problems
    assert state == replayed


def test_resuming_a_case_never_acknowledged_makes_it_open_again() -> None:
    timeline = [
        {
            "at": "2026-12-01T09:10:00+01:00",
            "event": "paused",
            "by": "a",
            "reason": "waiting_on_vendor",
        },
        {"at": "2026-12-01T09:20:00+01:00", "event": "resumed", "by": "a"},
    ]
    state, problems = derive({**RECORD, "timeline": timeline})
    assert not problems
    assert state.status == "open"


# --- records of a repository ----------------------------------------------------------------------


def repository_with_one_record(root: Path) -> Path:
    import shutil

    for name in ("policy", "schema"):
        shutil.copytree(ROOT / name, root / name)
    record = root / "incidents" / "2026" / "ESC-2026-0001" / "escalation.yaml"
    record.parent.mkdir(parents=True)
    record.write_bytes((ROOT / "tests" / "examples" / "base-record.yaml").read_bytes())
    return record


def test_prepare_event_checks_the_bytes_given_not_the_copy_loaded(tmp_path: Path) -> None:
    from escalate.edits import prepare_event
    from escalate.repo import Repo

    record = repository_with_one_record(tmp_path)
    repo = Repo.load(tmp_path, use_cache=False)
    resolved = "  - {at: 2026-11-20T16:00:00+01:00, event: resolved, by: dan}\n"
    text = record.read_text(encoding="utf-8")
    # Someone closed the case after this repository was loaded (another process, say).
    closed = text.replace(
        resolved, resolved + "  - {at: 2026-11-21T09:00:00+01:00, event: closed, by: dan}\n"
    )
    event = {"at": "2026-11-21T10:00:00+01:00", "event": "resolved", "by": "dan"}
    with pytest.raises(RecordError, match="the case is closed"):
        prepare_event(repo, "ESC-2026-0001", closed.encode(), event)
    edit = prepare_event(repo, "ESC-2026-0001", closed.encode(), {**event, "event": "reopened"})
    assert edit.before.status == "closed" and edit.after.status == "acknowledged"
    assert (
        "event: closed, by: dan}\n  - {at: 2026-11-21T10:00:00+01:00, event: reopened" in edit.text
    )
    # ... or broke it: the bytes are refused though the loaded copy was fine.
    broken = text.replace("tier: enterprise", "tier: gold").encode()
    with pytest.raises(RecordError, match=r"does not validate.*'gold' is not one of"):
        prepare_event(repo, "ESC-2026-0001", broken, event)


def test_a_remedy_in_another_currency_than_the_limit_is_a_warning(tmp_path: Path) -> None:
    # Lives here for the one-record repository above; the remedy errors are example cases
    # (tests/examples/invalid/remedy-*), which cannot hold a warning.
    from escalate.repo import Repo
    from escalate.validation import validate

    record = repository_with_one_record(tmp_path)
    remedy = "  - {type: service_credit, amount: 400, currency: CHF, granted_by: alice, at: 2026-11-21T10:00:00+01:00}\n"  # fmt: skip
    record.write_text(record.read_text(encoding="utf-8") + "remedies:\n" + remedy)
    report = validate(Repo.load(tmp_path, use_cache=False))
    assert report.errors == []
    [warning] = report.warnings
    assert (warning.rule, warning.pointer, warning.line) == (
        "remedy-currency",
        "/remedies/0/currency",
        35,
    )
    assert warning.message == (
        "400 CHF cannot be checked against the limit of alice (L2: up to 500 EUR); "
        "policy/matrix.yaml limits are in EUR: write the amount converted to EUR at the "
        "day's rate"
    )
    # in the limit's currency, the same remedy is simply within it
    record.write_text(record.read_text(encoding="utf-8").replace("CHF", "EUR"))
    assert validate(Repo.load(tmp_path, use_cache=False)).findings == []
