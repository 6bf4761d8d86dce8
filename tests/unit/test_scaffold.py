"""Templates and IDs: every template rendered and its output validated."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from escalate.edits import candidate_errors
from escalate.errors import RecordError
from escalate.policy import Policy
from escalate.render import TemplateError, environment, markdown_cell, markdown_text
from escalate.repo import Repo, split_front_matter
from escalate.scaffold import (
    NewRecord,
    conflict_sides,
    postmortem_context,
    render_postmortem,
    render_record,
    reserve_id,
    used_numbers,
)
from escalate.schema import SchemaStore
from escalate.yamlio import load

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = [
    "Plain enough title",
    "Quotes 'single' and \"double\"",
    "Colon: space and # hash",
    "Line one\nline two\n",
    "{{ not a template }} {% nor this %}",
    "- starts like a list item",
    "true",
    "<script>alert(1)</script> & | pipes |",
    "  padded  ",
    "Tab\tand unicode: Grüße, 日本, \u2028 separator",
    "@at `tick` *star* _under_ [link](x)",
]


@pytest.fixture(scope="module")
def repo() -> Repo:
    return Repo.load(ROOT, use_cache=False)  # no parse cache: nothing is written


@pytest.fixture(scope="module")
def policy(repo: Repo) -> Policy:
    return repo.policy


def new_record(text: str, **changes: object) -> NewRecord:
    values: dict[str, object] = {
        "id": "ESC-2026-0900",
        "title": text if len(text.strip()) >= 5 else text + " title",
        "opened_at": "2026-12-01T09:00:00+01:00",
        "reported_by": "bob",
        "severity": "sev2",
        "category": "payments",
        "customer": text,
        "tier": "enterprise",
        "summary": text,
        "owner": "alice",
        "level": "L2",
    }
    values.update(changes)
    return NewRecord(**values)  # type: ignore[arg-type]


RELATIVE = "incidents/2026/ESC-2026-0900/escalation.yaml"


@pytest.mark.parametrize("text", HOSTILE)
def test_the_record_template_renders_hostile_text_that_validates(repo: Repo, text: str) -> None:
    record = new_record(
        text,
        product_area="checkout",
        arr=240000.0,
        region="emea",
        customers_affected=12,
        revenue_at_risk=1500.5,
        reputational_risk="high",
        flags=["payment", "data"],
        tickets=[text, "ZD-1"],
        drill=True,
    )
    rendered = render_record(environment(None), record)
    assert rendered.endswith("\n") and rendered.startswith("# yaml-language-server: $schema=")
    data = load(rendered, RELATIVE)
    assert data["customer"]["name"] == text
    assert data["impact"]["summary"] == text
    assert data["references"]["tickets"] == [text, "ZD-1"]
    assert data["customer"]["arr"] == 240000 and data["impact"]["revenue_at_risk"] == 1500.5
    assert data["drill"] is True and data["timeline"] == []
    assert candidate_errors(repo, RELATIVE, "escalation", rendered.encode()) == []


def test_the_record_template_with_only_the_required_values(repo: Repo) -> None:
    rendered = render_record(environment(None), new_record("Checkout down"))
    data = load(rendered, RELATIVE)
    assert set(data) == {
        "id", "title", "opened_at", "reported_by", "severity", "category", "customer",
        "impact", "owner", "level", "references", "steps_tried", "timeline",
    }  # fmt: skip
    assert candidate_errors(repo, RELATIVE, "escalation", rendered.encode()) == []


def test_a_repository_template_wins(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "escalation.yaml.j2").write_text("id: {{ id | yaml }}\n")
    assert render_record(environment(tmp_path), new_record("Checkout down")) == (
        "id: ESC-2026-0900\n"
    )
    # the postmortem template is still the built-in one
    assert (
        environment(tmp_path)
        .get_template("postmortem.md.j2")
        .filename.startswith(str(ROOT / "tools"))
    )


def test_templates_are_strict(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    override = tmp_path / "templates" / "escalation.yaml.j2"
    override.write_text("# a team's own record template\nid: {{ idd }}\n")
    with pytest.raises(TemplateError) as caught:
        render_record(environment(tmp_path), new_record("Checkout down"))
    error = caught.value
    assert "'idd' is undefined" in error.message
    assert (Path(error.path or "").name, error.line) == ("escalation.yaml.j2", 2)


def test_a_syntax_error_in_an_override_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "postmortem.md.j2").write_text("---\n{% if %}\n---\n")
    with pytest.raises(TemplateError) as caught:
        render_postmortem(environment(tmp_path), {})
    assert (Path(caught.value.path or "").name, caught.value.line) == ("postmortem.md.j2", 2)
    assert "syntax error" in caught.value.message


PM_RELATIVE = "incidents/2026/{}/postmortem.md"


@pytest.mark.parametrize(
    "escalation_id", ["ESC-2026-0001", "ESC-2026-0027", "ESC-2026-0029", "ESC-2026-0032"]
)
def test_the_postmortem_template_for_real_records(repo: Repo, escalation_id: str) -> None:
    escalation = repo.escalations[escalation_id]
    now = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    rendered = render_postmortem(
        environment(None), postmortem_context(escalation, repo.policy, now)
    )
    relative = PM_RELATIVE.format(escalation_id)
    front, _ = split_front_matter(rendered, relative)
    data = load(front, relative)
    assert data["status"] == "draft" and data["authors"] == [escalation.state.owner]
    assert data["created"] == "2026-12-02"  # the date in the repo's zone (Europe/Berlin)
    assert data["root_cause"] == {"category": "unknown", "summary": "To be determined"}
    assert data["actions"] == list(escalation.data.get("actions") or [])
    sections = [line for line in rendered.splitlines() if line.startswith("## ")]
    assert sections == [
        "## Summary", "## Impact", "## Timeline", "## Root cause",
        "## What went well", "## What went wrong", "## Actions", "## Lessons",
    ]  # fmt: skip
    rows = rendered.split("## Timeline")[1].split("## Root")[0].splitlines()
    assert sum(1 for row in rows if row.startswith("| 2026-")) == len(escalation.events)
    assert candidate_errors(repo, relative, "postmortem", rendered.encode()) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_the_postmortem_template_escapes_hostile_record_text(repo: Repo, text: str) -> None:
    from escalate.records import Escalation

    base = repo.escalations["ESC-2026-0001"]
    data = dict(base.data)
    data["title"] = text if len(text.strip()) >= 5 else text + " title"
    data["impact"] = {**data["impact"], "summary": text}
    data["customer"] = {**data["customer"], "name": text}
    data["timeline"] = [
        {**data["timeline"][0], "text": text},
        *data["timeline"][1:],
    ]
    data["actions"] = [{"id": "A1", "title": text, "owner": "dan", "due": "2026-12-24"}]
    escalation = Escalation.from_data(base.path, data)
    context = postmortem_context(escalation, repo.policy, datetime(2026, 12, 1, tzinfo=UTC), None)
    rendered = render_postmortem(environment(None), context)
    relative = PM_RELATIVE.format("ESC-2026-0001")
    front, body_line = split_front_matter(rendered, relative)
    front_data = load(front, relative)
    assert front_data["title"] == data["title"]
    assert front_data["actions"][0]["title"] == text
    assert candidate_errors(repo, relative, "postmortem", rendered.encode()) == []
    body = "\n".join(rendered.splitlines()[body_line - 1 :])
    assert "<script>" not in body
    table = [row for row in body.splitlines() if row.startswith("| 2026-")]
    # each row has its four cells, whatever the text held
    assert all(row.replace("\\|", "").count("|") == 5 for row in table)


def test_the_postmortem_shows_the_score_when_there_is_one(repo: Repo) -> None:
    from escalate.scaffold import score_of

    escalation = repo.escalations["ESC-2026-0001"]
    score = score_of(escalation, repo.policy)
    context = postmortem_context(escalation, repo.policy, datetime(2026, 12, 1, tzinfo=UTC), score)
    rendered = render_postmortem(environment(None), context)
    if score is None:
        assert "- Score:" not in rendered
    else:
        assert f"- Score: {score.total} ({score.priority})" in rendered
    assert "- Severity: sev2\n" in rendered


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("plain words", "plain words"),
        ("a | b", "a \\| b"),
        ("<b>bold</b> & co", "&lt;b&gt;bold&lt;/b&gt; &amp; co"),
        ("snake_case stays", "snake_case stays"),
        ("_emphasis_ and *star*", "\\_emphasis\\_ and \\*star\\*"),
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("1. first", "1\\. first"),
        ("two\nlines", "two lines"),
        ("`code` [link]", "\\`code\\` \\[link\\]"),
    ],
)
def test_markdown_text(value: str, shown: str) -> None:
    assert markdown_text(value) == shown


def test_markdown_cell() -> None:
    assert markdown_cell("") == " "
    assert markdown_cell(None) == " "
    assert markdown_cell("a|b") == "a\\|b"


# --- IDs ---------------------------------------------------------------------------------------------


def test_reserve_id_takes_the_next_free_number(tmp_path: Path) -> None:
    year = tmp_path / "incidents" / "2026"
    for name in ("ESC-2026-0001", "ESC-2026-0007", "notes", "ESC-2025-0099"):
        (year / name).mkdir(parents=True)
    assert used_numbers(tmp_path, "ESC", 2026, ["ESC-2026-0009", "ESC-2027-0001"]) == {1, 7, 9}
    escalation_id, directory = reserve_id(tmp_path, "ESC", 2026, ["ESC-2026-0009"])
    assert escalation_id == "ESC-2026-0010"
    assert directory == year / "ESC-2026-0010" and directory.is_dir()
    assert reserve_id(tmp_path, "OPS", 2027)[0] == "OPS-2027-0001"
    assert reserve_id(tmp_path, "ESC", 2026)[0] == "ESC-2026-0011"


def test_reserve_id_never_hands_out_one_id_twice(tmp_path: Path) -> None:
    results: list[str] = []
    barrier = threading.Barrier(16)

    def take() -> None:
        barrier.wait()
        results.append(reserve_id(tmp_path, "ESC", 2026)[0])

    threads = [threading.Thread(target=take) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 16
    assert sorted(results) == [f"ESC-2026-{n:04d}" for n in range(1, 17)]


def test_reserve_id_skips_a_directory_created_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import escalate.scaffold as scaffold

    (tmp_path / "incidents" / "2026").mkdir(parents=True)
    real_mkdir = scaffold.os.mkdir
    calls: list[str] = []

    def racing_mkdir(path: str | Path, *args: object) -> None:
        if "ESC-" in str(path):
            calls.append(str(path))
        if len(calls) == 1 and str(path).endswith("ESC-2026-0001"):  # another process wins it
            real_mkdir(path)
            raise FileExistsError(path)
        real_mkdir(path)

    monkeypatch.setattr(scaffold.os, "mkdir", racing_mkdir)
    assert reserve_id(tmp_path, "ESC", 2026)[0] == "ESC-2026-0002"
    assert [Path(c).name for c in calls] == ["ESC-2026-0001", "ESC-2026-0002"]


def test_schemas_of_the_templates_exist() -> None:
    store = SchemaStore(ROOT)
    assert store.get("escalation").document["title"] == "Escalation record"
    assert store.get("postmortem").document["title"] == "Postmortem front matter"


# --- conflicts ---------------------------------------------------------------------------------


def test_conflict_sides_keeps_the_shared_lines_on_both_sides() -> None:
    text = "a\n<<<<<<< HEAD\nours 1\n=======\ntheirs 1\n>>>>>>> branch\nshared\n<<<<<<< HEAD\n=======\ntheirs 2\n>>>>>>> branch\n"
    sides = conflict_sides(text, "x.yaml")
    assert sides is not None
    assert (sides.ours, sides.theirs) == ("a\nours 1\nshared\n", "a\ntheirs 1\nshared\ntheirs 2\n")
    assert (sides.ours_label, sides.theirs_label) == ("HEAD", "branch")


def test_conflict_sides_drops_a_diff3_base_and_keeps_crlf() -> None:
    text = "a\r\n<<<<<<< ours\r\nx\r\n||||||| base\r\nold\r\n=======\r\ny\r\n>>>>>>> theirs\r\n"
    sides = conflict_sides(text)
    assert sides is not None and (sides.ours, sides.theirs) == ("a\r\nx\r\n", "a\r\ny\r\n")


def test_conflict_sides_of_a_file_without_markers_is_none() -> None:
    assert conflict_sides("title: ====== and <<<<<<< inside text\n") is None


@pytest.mark.parametrize(
    "text",
    ["<<<<<<< HEAD\nx\n=======\ny\n", "a\n=======\nb\n", "<<<<<<< HEAD\n>>>>>>> b\n"],
)
def test_conflict_sides_refuses_markers_out_of_place(text: str) -> None:
    with pytest.raises(RecordError, match="resolve"):
        conflict_sides(text, "x.yaml")
