"""`escalate postmortem ID` through the CLI."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalate.cli import main
from escalate.repo import split_front_matter
from escalate.yamlio import load

MAIN = Path(__file__).resolve().parents[2]
NOW = "2026-12-01T23:30:00Z"  # 2 December in Berlin, the repo's default zone


@dataclass
class Result:
    code: int
    out: str
    err: str


def run(root: Path, *args: str) -> Result:
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
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


def front_matter(path: Path) -> dict[str, object]:
    front, _ = split_front_matter(path.read_text(encoding="utf-8"), str(path))
    data: dict[str, object] = load(front, str(path))
    return data


def test_a_postmortem_prefilled_from_the_record(repo: Path) -> None:
    record = repo / "incidents" / "2026" / "ESC-2026-0002" / "escalation.yaml"
    record_data = load(record.read_text(encoding="utf-8"), "")
    result = run(repo, "postmortem", "ESC-2026-0002", "--now", NOW)
    assert result.code == 0, result.err
    assert result.out == "incidents/2026/ESC-2026-0002/postmortem.md\n"
    path = record.parent / "postmortem.md"
    data = front_matter(path)
    shown = run(repo, "show", "ESC-2026-0002", "--format", "json", "--now", NOW)
    import json

    view = json.loads(shown.out)
    assert data["id"] == "ESC-2026-0002"
    assert data["title"] == record_data["title"]
    assert data["status"] == "draft"
    assert data["authors"] == [view["owner"]]
    assert data["created"] == "2026-12-02"
    assert data["root_cause"] == {"category": "unknown", "summary": "To be determined"}
    assert data["actions"] == record_data.get("actions", [])
    assert data["contributing_factors"] == [] and data["lessons"] == []
    text = path.read_text(encoding="utf-8")
    assert f"- Severity: {view['severity']}" in text
    assert "- Score: " in text
    for section in ("Summary", "Impact", "Timeline", "Root cause", "What went well", "What went wrong", "Actions", "Lessons"):  # fmt: skip
        assert f"\n## {section}\n" in text
    rows = [line for line in text.splitlines() if line.startswith("| 20")]
    assert len(rows) == len(record_data["timeline"])
    assert run(repo, "validate").code == 0


def test_refuses_to_overwrite(repo: Path) -> None:
    path = repo / "incidents" / "2026" / "ESC-2026-0001" / "postmortem.md"
    before = path.read_bytes()
    result = run(repo, "postmortem", "ESC-2026-0001", "--now", NOW)
    assert result.code == 1
    assert "incidents/2026/ESC-2026-0001/postmortem.md already exists" in result.err
    assert path.read_bytes() == before


def test_unknown_and_invalid_records(repo: Path) -> None:
    result = run(repo, "postmortem", "ESC-2026-0999", "--now", NOW)
    assert result.code == 1 and "no escalation 'ESC-2026-0999'" in result.err
    record = repo / "incidents" / "2026" / "ESC-2026-0002" / "escalation.yaml"
    record.write_text(record.read_text().replace("severity: sev", "severty: sev", 1))
    result = run(repo, "postmortem", "ESC-2026-0002", "--now", NOW)
    assert result.code == 1
    assert "incidents/2026/ESC-2026-0002/escalation.yaml does not validate" in result.err
    assert "run `escalate validate incidents/2026/ESC-2026-0002/escalation.yaml`" in result.err
    assert not (record.parent / "postmortem.md").exists()


def test_a_record_with_an_error_against_the_policy_gets_no_postmortem(repo: Path) -> None:
    directory = repo / "incidents" / "2026" / "ESC-2026-0002"
    record = directory / "escalation.yaml"
    text = record.read_text(encoding="utf-8")
    tier = next(line for line in text.splitlines() if "tier:" in line)
    record.write_text(text.replace(tier, tier.split("tier:")[0] + "tier: gold", 1))
    before = sorted(p.name for p in directory.iterdir())
    result = run(repo, "postmortem", "ESC-2026-0002", "--now", NOW)
    assert result.code == 1
    assert "incidents/2026/ESC-2026-0002/escalation.yaml does not validate" in result.err
    assert "'gold'" in result.err and "run `escalate validate" in result.err
    assert result.err.count("\n") == 1 and result.out == ""
    assert sorted(p.name for p in directory.iterdir()) == before


def test_hostile_record_text_stays_text(repo: Path) -> None:
    record = repo / "incidents" / "2026" / "ESC-2026-0002" / "escalation.yaml"
    hostile = '<script>alert(1)</script> | "q" # {{ x }}'
    assert (
        run(repo, "note", "ESC-2026-0002", "--by", "alice", "--text", hostile, "--now", NOW).code
        == 0
    )
    assert run(repo, "postmortem", "ESC-2026-0002", "--now", NOW).code == 0
    text = (record.parent / "postmortem.md").read_text(encoding="utf-8")
    assert "<script>" not in text
    assert '&lt;script&gt;alert(1)&lt;/script&gt; \\| "q" # {{ x }}' in text
    assert run(repo, "validate").code == 0


def test_a_repository_template_wins(repo: Path) -> None:
    builtin = (MAIN / "tools" / "escalate" / "templates" / "postmortem.md.j2").read_text()
    (repo / "templates").mkdir()
    (repo / "templates" / "postmortem.md.j2").write_text(
        builtin.replace(
            "## Lessons", "## Lessons\n\nAsk: what would have caught this a week earlier?"
        )
    )
    assert run(repo, "postmortem", "ESC-2026-0003", "--now", NOW).code == 0
    text = (repo / "incidents" / "2026" / "ESC-2026-0003" / "postmortem.md").read_text()
    assert "what would have caught this a week earlier?" in text


def test_a_template_that_breaks_the_front_matter_is_refused(repo: Path) -> None:
    (repo / "templates").mkdir()
    (repo / "templates" / "postmortem.md.j2").write_text("---\nid: {{ id }}\n---\n")
    result = run(repo, "postmortem", "ESC-2026-0003", "--now", NOW)
    assert result.code == 1
    assert (
        "the postmortem would not validate" in result.err and "missing required key" in result.err
    )
    assert not (repo / "incidents" / "2026" / "ESC-2026-0003" / "postmortem.md").exists()
