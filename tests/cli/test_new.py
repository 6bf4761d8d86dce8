"""`escalate new` and `escalate renumber` through the CLI."""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
from dataclasses import dataclass
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
    "--flag", "payment", "--now", NOW,
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
    # routed by the matrix's triggers: a payment-flagged sev2 needs payments engineering
    # (L4) from the start; Ivan covers Dan's turn in Black Friday week (an override)
    assert (data["level"], data["owner"]) == ("L4", "ivan")
    assert run(repo, "validate").code == 0
    shown = run(repo, "show", "ESC-2026-0033", "--now", NOW)
    assert "status:    open" in shown.out
    assert "needs:" not in shown.out  # it starts where its triggers want it


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


def opening(severity: str, category: str, *flags: str) -> list[str]:
    """`escalate new` for a business customer at NOW, with the given classification."""
    args = [
        "new", "--title", "Something is broken for this customer", "--severity", severity,
        "--category", category, "--customer", "Initech", "--tier", "business",
        "--reported-by", "bob", "--summary", "It is broken.", "--now", NOW,
    ]  # fmt: skip
    for flag in flags:
        args += ["--flag", flag]
    return args


@pytest.mark.parametrize(
    ("severity", "category", "flags", "level", "owner"),
    [
        ("sev4", "billing", (), "L1", "liam"),  # no trigger: the first level
        ("sev3", "payments", ("payment",), "L1", "liam"),  # payment only matters at sev1/sev2
        ("sev1", "payments", (), "L3", "grace"),  # sev1-needs-escalation-manager
        ("sev2", "billing", ("compliance",), "L3", "grace"),  # compliance
        ("sev3", "security", ("security",), "L4", "sam"),  # security-or-safety
        ("sev1", "payments", ("payment",), "L4", "ivan"),  # the highest trigger wins
    ],
)
def test_the_starting_level_is_what_the_triggers_require(
    repo: Path, severity: str, category: str, flags: tuple[str, ...], level: str, owner: str
) -> None:
    result = run(repo, *opening(severity, category, *flags))
    assert result.code == 0, result.err
    data = load((repo / result.out.strip()).read_text(encoding="utf-8"), "")
    assert (data["level"], data["owner"]) == (level, owner)
    shown = run(repo, "show", data["id"], "--now", NOW)
    assert shown.code == 0 and "needs:" not in shown.out, shown.out
    oncall = run(repo, "oncall", "--at", NOW, "--format", "json")
    assert owner in oncall.out


def test_a_level_below_the_triggers_is_kept_with_a_note(repo: Path) -> None:
    result = run(repo, *opening("sev1", "payments"), "--level", "L2")
    assert result.code == 0, result.err
    data = load((repo / result.out.strip()).read_text(encoding="utf-8"), "")
    assert (data["level"], data["owner"]) == ("L2", "nora")
    assert "trigger sev1-needs-escalation-manager requires L3" in result.err


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_nobody_on_call_because_the_rotation_has_not_started(repo: Path) -> None:
    replace_in(
        repo / "policy" / "roster.yaml",
        "team: support-frontline\n    description: Frontline duty lead - watches the queue for "
        'sev1/sev2 and routes them.\n    start: "2026-01-05T09:00:00+01:00"',
        "team: support-frontline\n    description: Frontline duty lead - watches the queue for "
        'sev1/sev2 and routes them.\n    start: "2027-01-04T09:00:00+01:00"',
    )
    before = tree(repo)
    oncall = run(repo, "oncall", "support-frontline", "--at", NOW)
    assert "nobody" in oncall.out, oncall.out
    result = run(repo, *opening("sev4", "billing"))
    assert result.code == 2
    assert "missing --owner: nobody could be routed (" in result.err
    assert "rotation support-frontline-weekly starts 2027-01-04 08:00Z" in result.err
    assert result.err.rstrip().endswith("pass --owner HANDLE")
    assert result.err.strip().splitlines()[-1].startswith("Error: missing --owner")
    assert tree(repo) == before
    assert run(repo, *opening("sev4", "billing"), "--owner", "bob").code == 0


def test_nobody_on_call_because_the_override_names_someone_of_another_team(repo: Path) -> None:
    # The week of NOW is Liam's; an override hands it to Ivan, who is payments engineering.
    replace_in(
        repo / "policy" / "roster.yaml",
        'handle: bob, reason: "Liam on annual leave; Bob covers the rest of the week."}',
        'handle: bob, reason: "Liam on annual leave; Bob covers the rest of the week."}\n'
        '      - {start: "2026-11-23T09:00:00+01:00", end: "2026-11-24T09:00:00+01:00", '
        'handle: ivan, reason: "A mistake."}',
    )
    before = tree(repo)
    gaps = run(repo, "roster", "check", "--from", NOW)
    assert gaps.code == 1 and "ivan is in team payments-eng" in gaps.out + gaps.err
    result = run(repo, *opening("sev4", "billing"))
    assert result.code == 2
    assert "ivan is in team payments-eng, not support-frontline" in result.err
    assert "pass --owner HANDLE" in result.err
    assert tree(repo) == before


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


# --- two branches took the same ID ----------------------------------------------------------------


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=check,
    )


def opened_on_two_branches(root: Path, ours_at: str, theirs_at: str, *ours_then: list[str]) -> Path:
    """A merge of two branches that each ran `escalate new` (ours then ran `ours_then`)."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "policy", "schema", "incidents")
    git(root, "commit", "-q", "-m", "start")
    for branch, at, then in (("ours", ours_at, ours_then), ("theirs", theirs_at, ())):
        git(root, "switch", "-q", "-c", branch, "main")
        args = opening("sev3", "data-integrity")
        args[args.index("--now") + 1] = at
        args[args.index("--title") + 1] = f"Exports are empty ({branch})"
        for command in (args, *then):
            result = run(root, *command)
            assert result.code == 0, result.err
        git(root, "add", "incidents")
        git(root, "commit", "-q", "-m", branch)
    git(root, "switch", "-q", "ours")
    merged = git(root, "merge", "theirs", "-m", "merge", check=False)
    assert merged.returncode != 0 and "CONFLICT (add/add)" in merged.stdout, merged.stdout
    return root / "incidents" / "2026" / "ESC-2026-0033" / "escalation.yaml"


def side(root: Path, branch: str) -> bytes:
    return git(
        root, "show", f"{branch}:incidents/2026/ESC-2026-0033/escalation.yaml"
    ).stdout.encode()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_record_both_branches_created_is_named_and_split_by_renumber(repo: Path) -> None:
    conflicted = opened_on_two_branches(
        repo,
        "2026-11-23T12:00:00+01:00",
        "2026-11-23T12:30:00+01:00",
        ["ack", "ESC-2026-0033", "--by", "liam", "--now", "2026-11-23T12:05:00+01:00"],
    )
    before = conflicted.read_bytes()
    assert b"<<<<<<< HEAD" in before
    advice = (
        "incidents/2026/ESC-2026-0033/escalation.yaml has git conflict markers (<<<<<<< at "
        "line 3): two branches changed it; if both took ESC-2026-0033 for a new case, run "
        "`escalate renumber ESC-2026-0033` to keep one here and give the other its own ID"
    )
    for args in (
        ["show", "ESC-2026-0033"],
        ["postmortem", "ESC-2026-0033"],
        ["note", "ESC-2026-0033", "--by", "liam", "--text", "x"],
    ):
        refused = run(repo, *args, "--now", "2026-11-23T13:00:00+01:00")
        assert refused.code == 1 and advice in refused.err, refused.err
    score = run(repo, "score", "ESC-2026-0033")
    assert score.code == 1 and advice in score.err, score.err
    assert conflicted.read_bytes() == before
    assert not (conflicted.parent / "postmortem.md").exists()

    result = run(repo, "renumber", "ESC-2026-0033")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "ESC-2026-0033 -> ESC-2026-0034: incidents/2026/ESC-2026-0033/escalation.yaml held two "
        "records (a git conflict); the HEAD side stays ESC-2026-0033, the theirs side moved "
        "to incidents/2026/ESC-2026-0034/",
        "  run `escalate validate`, then `git add incidents/2026/ESC-2026-0033 "
        "incidents/2026/ESC-2026-0034` to finish the merge",
    ]
    # the earlier case keeps the ID byte for byte; the later one differs only in its id
    assert conflicted.read_bytes() == side(repo, "ours")
    moved = repo / "incidents" / "2026" / "ESC-2026-0034" / "escalation.yaml"
    assert changed_lines(side(repo, "theirs"), moved.read_bytes()) == [
        "-id: ESC-2026-0033",
        "+id: ESC-2026-0034",
    ]
    assert run(repo, "validate").code == 0


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_split_moves_the_later_case_even_when_it_is_ours(repo: Path) -> None:
    conflicted = opened_on_two_branches(
        repo, "2026-11-23T14:00:00+01:00", "2026-11-23T12:30:00+01:00"
    )
    result = run(repo, "renumber", "ESC-2026-0033")
    assert result.code == 0, result.err
    assert "the theirs side stays ESC-2026-0033, the HEAD side moved to" in result.out
    assert conflicted.read_bytes() == side(repo, "theirs")
    assert run(repo, "validate").code == 0


def test_a_conflict_inside_one_case_is_not_split(repo: Path) -> None:
    # Both branches added an event to the same record: that is one case, not two.
    path = repo / "incidents" / "2026" / "ESC-2026-0030" / "escalation.yaml"
    text = path.read_text(encoding="utf-8")
    last = "event: assigned, by: victor, to: uma, text: Weekend on-call handover}\n"
    assert last in text
    path.write_text(
        text.replace(
            last,
            last
            + "<<<<<<< HEAD\n  - {at: 2026-11-30T10:00:00+11:00, event: note, by: hugo, text: a}\n"
            + "=======\n  - {at: 2026-11-30T11:00:00+11:00, event: note, by: hugo, text: b}\n"
            + ">>>>>>> other\n",
        ),
        encoding="utf-8",
    )
    before = tree(repo)
    result = run(repo, "renumber", "ESC-2026-0030")
    assert result.code == 1
    assert "both sides of the conflict are the same case (ESC-2026-0030)" in result.err
    assert "keep the events of both in time order, delete the marker lines" in result.err
    assert tree(repo) == before
