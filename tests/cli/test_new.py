"""`escalate new` and `escalate renumber` through the CLI."""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalate.cli import main
from escalate.yamlio import load

MAIN = Path(__file__).resolve().parents[2]
NOW = "2026-11-23T12:00:00+01:00"
DOC_EXAMPLE = [
    "new", "--title", "EU card payments failing at checkout",
    "--severity", "sev2", "--category", "payments", "--customer", "Acme GmbH",
    "--tier", "enterprise", "--arr", "240000", "--product-area", "checkout",
    "--reported-by", "bob", "--summary", "Card payments for EU customers fail with 3DS timeouts.",
    "--now", NOW,
]  # fmt: skip


@dataclass
class Result:
    code: int
    out: str
    err: str


def run(root: Path, *args: str, input: str | None = None) -> Result:
    runner = CliRunner()
    with runner.isolation(input=input) as (out, err, _):
        code = main(["--repo", str(root), *args])
    return Result(code, out.getvalue().decode(), err.getvalue().decode())


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    ignore = shutil.ignore_patterns("*.tmp", "__pycache__", ".*")
    for name in ("policy", "schema", "incidents"):
        shutil.copytree(MAIN / name, root / name, ignore=ignore)
    monkeypatch.setenv("ESCALATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ESCALATE_NOW", raising=False)
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted((root / "incidents").rglob("*"))
        if p.is_file()
    }


def test_the_handbook_example(repo: Path) -> None:
    from escalate.policy import load_policy
    from escalate.rotation import on_call
    from escalate.schema import SchemaStore

    result = run(repo, *DOC_EXAMPLE)
    assert result.code == 0, result.err
    assert result.out == "incidents/2026/ESC-2026-0033/escalation.yaml\n"
    text = (repo / result.out.strip()).read_text(encoding="utf-8")
    assert text.startswith(
        "# yaml-language-server: $schema=../../../schema/escalation.schema.json\n"
    )
    data = load(text, "")
    assert data["id"] == "ESC-2026-0033"
    assert data["opened_at"] == NOW
    assert data["customer"] == {"name": "Acme GmbH", "tier": "enterprise", "arr": 240000}
    assert data["impact"]["summary"] == "Card payments for EU customers fail with 3DS timeouts."
    assert data["timeline"] == []
    # routed: sev2 goes to the specialists (L2), to whoever is on call there at --now
    policy, _ = load_policy(repo, SchemaStore(repo))
    rotation = next(r for r in policy.rotations if r["team"] == "support-specialists")
    assert data["level"] == "L2"
    assert data["owner"] == on_call(rotation, datetime.fromisoformat(NOW))
    assert run(repo, "validate").code == 0
    shown = run(repo, "show", "ESC-2026-0033", "--now", NOW)
    assert "status:    open" in shown.out


def test_every_flag(repo: Path) -> None:
    result = run(
        repo, "new", "--title", 'Exports: "broken" # again', "--severity", "sev4",
        "--category", "data-integrity", "--customer", "O'Brien & Co: Ltd", "--tier", "standard",
        "--region", "apac", "--reported-by", "maya", "--summary", "Line one\nline two",
        "--owner", "rosa", "--level", "L4", "--flag", "data", "--flag", "compliance",
        "--customers-affected", "3", "--revenue-at-risk", "99.5", "--reputational-risk", "low",
        "--ticket", "ZD-1", "--ticket", "#2, [x]", "--drill", "--now", "2027-01-01T00:30:00+01:00",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out == "incidents/2027/ESC-2027-0001/escalation.yaml\n"
    data = load((repo / result.out.strip()).read_text(encoding="utf-8"), "")
    assert data["title"] == 'Exports: "broken" # again'
    assert data["customer"] == {"name": "O'Brien & Co: Ltd", "tier": "standard", "region": "apac"}
    assert data["impact"] == {
        "customers_affected": 3,
        "revenue_at_risk": 99.5,
        "reputational_risk": "low",
        "flags": ["data", "compliance"],
        "summary": "Line one\nline two",
    }
    assert (data["owner"], data["level"], data["drill"]) == ("rosa", "L4", True)
    assert data["references"]["tickets"] == ["ZD-1", "#2, [x]"]
    assert run(repo, "validate").code == 0


def test_ids_count_up_and_the_first_event_is_one_small_diff(repo: Path) -> None:
    first = run(repo, *DOC_EXAMPLE).out.strip()
    second = run(repo, *DOC_EXAMPLE).out.strip()
    assert (first, second) == (
        "incidents/2026/ESC-2026-0033/escalation.yaml",
        "incidents/2026/ESC-2026-0034/escalation.yaml",
    )
    before = (repo / first).read_text(encoding="utf-8")
    assert run(repo, "ack", "ESC-2026-0033", "--by", "alice", "--at", NOW).code == 0
    after = (repo / first).read_text(encoding="utf-8")
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert len(changed) == 3  # `timeline: []` becomes `timeline:` and the event follows
    assert changed[-1] == f"+  - {{at: {NOW}, event: acknowledged, by: alice}}"


def test_missing_flags_are_all_named_without_a_terminal(repo: Path) -> None:
    before = tree(repo)
    result = run(repo, "new", "--title", "Something broke", "--tier", "business")
    assert result.code == 2
    assert "missing --severity, --category, --customer, --reported-by, --summary" in result.err
    assert tree(repo) == before


def test_prompts_for_missing_values_on_a_terminal(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import escalate.cli.scaffold as cli_scaffold

    monkeypatch.setattr(cli_scaffold, "stdin_is_terminal", lambda: True)
    answers = "Checkout down for everyone\nsev1\navailability\nNorthwind\nenterprise\nbob\nAll buyers see 502.\n"
    result = run(repo, "new", "--now", NOW, input=answers)
    assert result.code == 0, result.err
    path = result.out.strip().splitlines()[-1]
    data = load((repo / path).read_text(encoding="utf-8"), "")
    assert (data["title"], data["severity"], data["category"]) == (
        "Checkout down for everyone",
        "sev1",
        "availability",
    )
    assert data["impact"]["summary"] == "All buyers see 502."


def test_unknown_values_are_all_named_and_nothing_is_left(repo: Path) -> None:
    before = tree(repo)
    result = run(
        repo, "new", "--title", "Something broke", "--severity", "sev9", "--category", "pay",
        "--customer", "X", "--tier", "gold", "--reported-by", "bobb", "--summary", "s",
        "--owner", "nobody", "--now", NOW,
    )  # fmt: skip
    assert result.code == 1
    for part in (
        "--severity 'sev9' is not in policy/severity.yaml",
        "--category 'pay' is not in policy/matrix.yaml",
        "--tier 'gold'",
        "--reported-by 'bobb' is not in policy/roster.yaml; did you mean 'bob'?",
        "--owner 'nobody'",
    ):
        assert part in result.err
    assert tree(repo) == before
    assert sorted(p.name for p in (repo / "incidents" / "2026").iterdir())[-1] == "ESC-2026-0032"


def test_a_record_that_would_not_validate_is_not_written(repo: Path) -> None:
    before = tree(repo)
    args = [a if a != "EU card payments failing at checkout" else "Oops" for a in DOC_EXAMPLE]
    result = run(repo, *args)
    assert result.code == 1
    assert "the new record would not validate" in result.err and "/title" in result.err
    assert tree(repo) == before
    assert not (repo / "incidents" / "2026" / "ESC-2026-0033").exists()


def test_an_owner_that_cannot_be_routed_must_be_given(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import escalate.scaffold as scaffold

    monkeypatch.setattr(
        scaffold, "route", lambda *a, **k: scaffold.Routing("L2", "x", None, "team x has no on-call rotation")
    )  # fmt: skip
    result = run(repo, *DOC_EXAMPLE)
    assert result.code == 2
    assert (
        "missing --owner: no owner could be routed (team x has no on-call rotation)" in result.err
    )
    assert run(repo, *DOC_EXAMPLE, "--owner", "alice").code == 0


def test_a_repository_template_wins(repo: Path) -> None:
    builtin = (MAIN / "tools" / "escalate" / "templates" / "escalation.yaml.j2").read_text()
    (repo / "templates").mkdir()
    (repo / "templates" / "escalation.yaml.j2").write_text(
        builtin.replace("steps_tried: []", "steps_tried: []  # our house rule: list them"),
        encoding="utf-8",
    )
    result = run(repo, *DOC_EXAMPLE)
    assert result.code == 0, result.err
    assert "# our house rule: list them" in (repo / result.out.strip()).read_text()


def test_two_runs_at_the_same_instant_get_different_ids(repo: Path, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "escalate"
    env = {"ESCALATE_CACHE_DIR": str(tmp_path / "cache2"), "PATH": str(script.parent)}
    processes = [
        subprocess.Popen(
            [str(script), "--repo", str(repo), *DOC_EXAMPLE],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], outputs
    paths = sorted(out.strip() for out, _ in outputs)
    assert paths == [f"incidents/2026/ESC-2026-{n:04d}/escalation.yaml" for n in range(33, 37)]
    assert run(repo, "validate").code == 0


# --- renumber -----------------------------------------------------------------------------------


def changed_lines(before: bytes, after: bytes) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(
            before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0
        )
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


def test_renumber_moves_the_record_its_postmortem_and_every_reference(repo: Path) -> None:
    incidents = repo / "incidents" / "2026"
    record = (incidents / "ESC-2026-0006" / "escalation.yaml").read_bytes()
    postmortem = (incidents / "ESC-2026-0006" / "postmortem.md").read_bytes()
    referring = {n: (incidents / n / "escalation.yaml").read_bytes() for n in ("ESC-2026-0018", "ESC-2026-0030")}  # fmt: skip
    result = run(repo, "renumber", "ESC-2026-0006")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == (
        "ESC-2026-0006 -> ESC-2026-0033: incidents/2026/ESC-2026-0006/escalation.yaml "
        "moved to incidents/2026/ESC-2026-0033/"
    )
    assert not (incidents / "ESC-2026-0006").exists()
    moved = incidents / "ESC-2026-0033"
    assert changed_lines(record, (moved / "escalation.yaml").read_bytes()) == [
        "-id: ESC-2026-0006",
        "+id: ESC-2026-0033",
    ]
    assert changed_lines(postmortem, (moved / "postmortem.md").read_bytes()) == [
        "-id: ESC-2026-0006",
        "+id: ESC-2026-0033",
    ]
    for name, before in referring.items():
        after = (incidents / name / "escalation.yaml").read_bytes()
        diff = changed_lines(before, after)
        assert (
            len(diff) == 2 and diff[0].startswith("-related:") and diff[1].startswith("+related:")
        )
        assert "ESC-2026-0033" in diff[1] and "ESC-2026-0006" not in diff[1]
    assert run(repo, "validate").code == 0


def test_renumber_moves_the_later_of_two_duplicates(repo: Path) -> None:
    incidents = repo / "incidents" / "2026"
    shutil.copytree(incidents / "ESC-2026-0030", incidents / "ESC-2026-0030-copy")
    copy = incidents / "ESC-2026-0030-copy" / "escalation.yaml"
    copy.write_text(
        copy.read_text().replace("opened_at: 2026-11-17T07:30:00+11:00", "opened_at: 2026-11-17T07:31:00+11:00")
    )  # fmt: skip
    original = (incidents / "ESC-2026-0030" / "escalation.yaml").read_bytes()
    assert run(repo, "validate").code == 1
    refused = run(repo, "ack", "ESC-2026-0030", "--by", "alice")
    assert refused.code == 1 and "run `escalate renumber ESC-2026-0030` first" in refused.err
    result = run(repo, "renumber", "ESC-2026-0030")
    assert result.code == 0, result.err
    assert (
        "incidents/2026/ESC-2026-0030-copy/escalation.yaml moved to incidents/2026/ESC-2026-0033/"
        in result.out
    )
    assert (incidents / "ESC-2026-0030" / "escalation.yaml").read_bytes() == original
    assert (
        load((incidents / "ESC-2026-0033" / "escalation.yaml").read_text(), "")["id"]
        == "ESC-2026-0033"
    )
    assert run(repo, "validate").code == 0


def test_renumber_the_record_at_a_path(repo: Path) -> None:
    incidents = repo / "incidents" / "2026"
    shutil.copytree(incidents / "ESC-2026-0030", incidents / "ESC-2026-0030-copy")
    result = run(repo, "renumber", "ESC-2026-0030", str(incidents / "ESC-2026-0030"))
    assert result.code == 0, result.err
    assert "incidents/2026/ESC-2026-0030/escalation.yaml moved to" in result.out
    assert (incidents / "ESC-2026-0030-copy").is_dir()


def test_renumber_an_unknown_id(repo: Path) -> None:
    before = tree(repo)
    result = run(repo, "renumber", "ESC-2026-0999")
    assert result.code == 1
    assert "no escalation 'ESC-2026-0999'" in result.err
    assert tree(repo) == before
