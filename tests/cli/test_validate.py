"""`escalate validate`: the examples, the output formats, PATH filtering, exit codes, the cache."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "examples"
SCRIPT = Path(sys.executable).parent / "escalate"  # the installed console script
RECORD = "incidents/2026/ESC-2026-0001/escalation.yaml"
BASE_RECORD = (EXAMPLES / "base-record.yaml").read_text(encoding="utf-8")

# The fixtures of tests/conftest.py, as callables.
RunCli = Callable[..., Any]
WriteRecord = Callable[..., Path]
MakeRecord = Callable[..., dict[str, Any]]
CopyExample = Callable[[Path | str, Path], Path]


# --- the examples ------------------------------------------------------------------------


def _examples(kind: str) -> list[Any]:
    """One pytest param per example directory; an `xfail` in expected.yaml marks a known bug."""
    params = []
    for case in sorted(p for p in (EXAMPLES / kind).iterdir() if p.is_dir()):
        spec = _spec(case)
        marks = []
        if spec.get("xfail"):
            marks.append(pytest.mark.xfail(strict=True, reason=spec["xfail"]))
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def _spec(case: Path) -> dict[str, Any]:
    """expected.yaml: a list of findings, or a mapping with `findings` and options.

    Options: `xfail` (a known bug, why), `subprocess` (run the real script: the case can
    crash the interpreter, which in-process would take pytest down), `forbidden` (findings,
    by file and rule, that must not appear).
    """
    path = case / "expected.yaml"
    if not path.exists():
        return {"findings": []}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(loaded, list):
        return {"findings": loaded}
    assert isinstance(loaded, dict), f"{path}: a list of findings or a mapping"
    return loaded


def _validate_json(repo: Path, spec: dict[str, Any], run_cli: RunCli) -> tuple[int, Any]:
    if spec.get("subprocess"):
        done = subprocess.run(
            [str(SCRIPT), "--repo", str(repo), "validate", "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode >= 0, f"killed by signal {-done.returncode}: {done.stderr[-2000:]}"
        return done.returncode, json.loads(done.stdout)
    result = run_cli(["validate", "--format", "json"], repo)
    return result.exit_code, result.json()


def _matches(finding: dict[str, Any], expected: dict[str, Any]) -> bool:
    return (
        finding["file"] == expected["file"]
        and finding["line"] == expected["line"]
        and finding["rule"] == expected["rule"]
        and expected["message_contains"] in finding["message"]
        and ("column" not in expected or finding["column"] == expected["column"])
    )


def test_there_are_enough_examples() -> None:
    assert len(_examples("invalid")) >= 28
    assert len(_examples("valid")) >= 10
    for case in (EXAMPLES / "invalid").iterdir():
        assert _spec(case)["findings"], f"{case.name}: name the findings it must produce"


@pytest.mark.parametrize("case", _examples("invalid"))
def test_invalid_example(
    case: Path, repo_copy: Path, run_cli: RunCli, copy_example: CopyExample
) -> None:
    spec = _spec(case)
    copy_example(case, repo_copy)
    code, report = _validate_json(repo_copy, spec, run_cli)
    shown = json.dumps(report["errors"], indent=1, ensure_ascii=False)
    assert code == 1, shown
    assert report["ok"] is False
    for expected in spec["findings"]:
        assert any(_matches(f, expected) for f in report["errors"]), (
            f"missing {expected}\nin {shown}"
        )
    for forbidden in spec.get("forbidden", []):
        assert not any(
            f["file"] == forbidden["file"] and f["rule"] == forbidden["rule"]
            for f in report["errors"]
        ), f"unexpected {forbidden}\nin {shown}"


@pytest.mark.parametrize("case", _examples("valid"))
def test_valid_example(
    case: Path, repo_copy: Path, run_cli: RunCli, copy_example: CopyExample
) -> None:
    copy_example(case, repo_copy)
    result = run_cli(["validate", "--format", "json"], repo_copy)
    report = result.json()
    assert report["errors"] == [], json.dumps(report["errors"], indent=1, ensure_ascii=False)
    assert report["ok"] is True
    assert result.exit_code == 0
    assert report["records"] >= 1


def test_yaml_1_1_words_stay_text(
    repo_copy: Path, run_cli: RunCli, copy_example: CopyExample
) -> None:
    # A title must be 5 characters or more, so `NO` is the customer's name here; `17:00` is
    # the title (YAML 1.1 would read it as the number 1020, and NO, yes, on as booleans).
    copy_example(EXAMPLES / "valid" / "yaml-1-1-booleans-and-sexagesimals-stay-text", repo_copy)
    result = run_cli(
        ["show", "ESC-2026-0001", "--format", "json", "--now", "2026-11-21T00:00:00Z"], repo_copy
    )
    assert result.exit_code == 0, result
    view = result.json()
    assert view["title"] == "17:00"
    assert view["customer"]["name"] == "NO"
    assert view["customer"]["contact"] == "yes"
    assert view["impact"]["summary"] == "on"
    assert view["product_area"] == "no"


def test_unicode_survives_into_json(
    repo_copy: Path, run_cli: RunCli, copy_example: CopyExample
) -> None:
    copy_example(EXAMPLES / "valid" / "unicode-text", repo_copy)
    result = run_cli(
        ["show", "ESC-2026-0001", "--format", "json", "--now", "2026-11-21T00:00:00Z"], repo_copy
    )
    assert result.json()["title"] == "Zahlungen schlagen fehl – Müller & Söhne 決済エラー 💳🔥"


def test_deep_nesting_does_not_crash_the_real_script(
    repo_copy: Path, copy_example: CopyExample
) -> None:
    copy_example(EXAMPLES / "invalid" / "deeply-nested-brackets", repo_copy)
    record = (repo_copy / RECORD).read_bytes()
    assert record.count(b"[" * 30000) == 1 and 55_000 < len(record) < 70_000
    done = subprocess.run(
        [str(SCRIPT), "--repo", str(repo_copy), "validate"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, f"exit {done.returncode} (-11 is a segfault)\n{done.stderr}"
    assert f"{RECORD}:34:72: collections nested deeper than 64 levels" in done.stdout


@pytest.mark.parametrize(
    ("case", "rule"),
    [("invalid/alias-bomb", "alias-bomb"), ("invalid/deeply-nested-brackets", "depth")],
)
def test_hostile_input_is_refused_quickly(
    case: str, rule: str, repo_copy: Path, run_cli: RunCli, copy_example: CopyExample
) -> None:
    copy_example(case, repo_copy)
    started = time.perf_counter()
    result = run_cli(["validate", "--format", "json"], repo_copy)
    assert time.perf_counter() - started < 5  # a guard against blow-ups, not a benchmark
    assert result.exit_code == 1
    assert [e["rule"] for e in result.json()["errors"]] == [rule]


# --- every error in one run, and the formats -----------------------------------------------


@pytest.fixture
def three_broken(repo_copy: Path, write_record: WriteRecord, make_record: MakeRecord) -> Path:
    """Three records with one error each (all located by a pointer), and one valid record."""
    write_record(repo_copy, make_record(severity="sev9"))
    write_record(
        repo_copy,
        make_record(id="ESC-2026-0002", customer={"name": "Beta AG", "tier": "gold"}),
    )
    write_record(repo_copy, make_record(id="ESC-2026-0003", owner="nobody"))
    write_record(repo_copy, make_record(id="ESC-2026-0004"))
    return repo_copy


def test_every_error_of_every_file_in_one_run(three_broken: Path, run_cli: RunCli) -> None:
    result = run_cli(["validate", "--format", "json"], three_broken)
    assert result.exit_code == 1
    report = result.json()
    assert report["records"] == 4
    found = {(e["file"], e["pointer"], e["rule"]) for e in report["errors"]}
    assert found == {
        (RECORD, "/severity", "unknown-severity"),
        ("incidents/2026/ESC-2026-0002/escalation.yaml", "/customer/tier", "unknown-tier"),
        ("incidents/2026/ESC-2026-0003/escalation.yaml", "/owner", "unknown-person"),
    }


def test_parse_workers_find_what_one_process_finds(
    three_broken: Path, copy_example: CopyExample, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalate import repo as repo_module
    from escalate.validation import FILE_CHECKS, validate

    copy_example(EXAMPLES / "invalid" / "schema-errors-beside-cross-file-errors", three_broken)
    serial = validate(repo_module.Repo.load(three_broken, use_cache=False, jobs=1))
    monkeypatch.setattr(repo_module, "PARALLEL_THRESHOLD", 1)  # a pool even for five files
    pooled = repo_module.Repo.load(three_broken, use_cache=False, jobs=2, derive=(FILE_CHECKS,))
    assert all("checks" in s.derived for s in pooled.sources), "the workers checked each file"
    assert validate(pooled).findings == serial.findings
    assert len(serial.findings) >= 7


TEXT_LINE = re.compile(r"^(?P<path>[^:\s]+):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (/\S*): .+$")


def test_text_format(three_broken: Path, run_cli: RunCli) -> None:
    result = run_cli(["validate"], three_broken)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    for line in lines:
        assert TEXT_LINE.match(line), line
    assert any(
        line.startswith("incidents/2026/ESC-2026-0002/escalation.yaml:")
        and line.endswith(
            ": /customer/tier: 'gold' is not one of enterprise, business, standard"
            " (the tiers in policy/matrix.yaml)"
        )
        for line in lines
    ), lines
    # The summary goes to stderr, so stdout stays a clean list of findings.
    assert result.stderr.strip() == "3 errors in 3 files (4 escalation records checked)"


def test_text_format_when_valid(
    repo_copy: Path, write_record: WriteRecord, run_cli: RunCli
) -> None:
    write_record(repo_copy, BASE_RECORD)
    result = run_cli(["validate"], repo_copy)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.strip() == "ok: 1 escalation record valid"


def test_json_format(three_broken: Path, run_cli: RunCli) -> None:
    result = run_cli(["validate", "--format", "json"], three_broken)
    report = result.json()
    assert list(report) == ["ok", "records", "errors", "warnings"]
    assert report["ok"] is False
    assert isinstance(report["warnings"], list)
    for error in report["errors"]:
        assert list(error) == ["file", "line", "column", "pointer", "rule", "message"]
        assert isinstance(error["line"], int) and error["line"] >= 1
        assert isinstance(error["column"], int) and error["column"] >= 1
    assert result.stderr == ""


def test_json_format_of_the_base_record(
    repo_copy: Path, write_record: WriteRecord, run_cli: RunCli
) -> None:
    write_record(repo_copy, BASE_RECORD)
    result = run_cli(["validate", "--format", "json"], repo_copy)
    assert result.json() == {"ok": True, "records": 1, "errors": [], "warnings": []}


GITHUB_LINE = re.compile(
    r"^::error file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+)(,title=[^:]*)?::(?P<message>.+)$"
)


def test_github_format(three_broken: Path, run_cli: RunCli) -> None:
    result = run_cli(["validate", "--format", "github"], three_broken)
    assert result.exit_code == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 3
    parsed = [GITHUB_LINE.match(line) for line in annotations]
    assert all(parsed), annotations
    files = {match["file"] for match in parsed if match}
    assert files == {
        RECORD,
        "incidents/2026/ESC-2026-0002/escalation.yaml",
        "incidents/2026/ESC-2026-0003/escalation.yaml",
    }
    tier = next(m for m in parsed if m and "0002" in m["file"])
    located = run_cli(["validate", "--format", "json"], three_broken).json()["errors"]
    expected = next(e for e in located if "0002" in e["file"])
    assert (int(tier["line"]), int(tier["col"])) == (expected["line"], expected["column"])
    assert tier["message"].startswith("/customer/tier: 'gold' is not one of")


def test_github_format_escapes_workflow_command_characters(
    repo_copy: Path, write_record: WriteRecord, run_cli: RunCli, make_record: MakeRecord
) -> None:
    # '%' starts an escape in a workflow command, and ':' or ',' would end a property.
    write_record(repo_copy, make_record(customer={"name": "Acme", "tier": "50%"}))
    result = run_cli(["validate", "--format", "github"], repo_copy)
    (annotation,) = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert annotation.startswith(f"::error file={RECORD},line=10,col=9,title=schema/pattern::")
    assert "'50%25' does not have the expected form" in annotation
    assert "'50%'" not in annotation


# --- PATH filtering --------------------------------------------------------------------------


def test_path_reports_only_that_directory(three_broken: Path, run_cli: RunCli) -> None:
    result = run_cli(["validate", "--format", "json", "incidents/2026/ESC-2026-0002"], three_broken)
    assert result.exit_code == 1
    report = result.json()
    assert {e["file"] for e in report["errors"]} == {"incidents/2026/ESC-2026-0002/escalation.yaml"}
    assert report["records"] == 1


def test_path_to_a_file_and_to_a_valid_record(three_broken: Path, run_cli: RunCli) -> None:
    only = run_cli(
        ["validate", "--format", "json", "incidents/2026/ESC-2026-0003/escalation.yaml"],
        three_broken,
    ).json()
    assert [e["pointer"] for e in only["errors"]] == ["/owner"]
    clean = run_cli(["validate", "incidents/2026/ESC-2026-0004"], three_broken)
    assert clean.exit_code == 0, clean
    both = run_cli(
        [
            "validate",
            "--format",
            "json",
            "incidents/2026/ESC-2026-0001",
            "incidents/2026/ESC-2026-0003",
        ],
        three_broken,
    ).json()
    assert {e["file"] for e in both["errors"]} == {
        RECORD,
        "incidents/2026/ESC-2026-0003/escalation.yaml",
    }


def test_path_still_checks_references_to_other_records(
    repo_copy: Path, write_record: WriteRecord, run_cli: RunCli, make_record: MakeRecord
) -> None:
    write_record(repo_copy, make_record())
    write_record(repo_copy, make_record(id="ESC-2026-0002", related=["ESC-2026-0001"]))
    result = run_cli(["validate", "incidents/2026/ESC-2026-0002"], repo_copy)
    assert result.exit_code == 0, result


def test_path_relative_to_a_subdirectory(three_broken: Path, run_cli: RunCli) -> None:
    result = run_cli(
        ["validate", "--format", "json", "ESC-2026-0002"],
        three_broken,
        cwd=three_broken / "incidents" / "2026",
    )
    assert {e["file"] for e in result.json()["errors"]} == {
        "incidents/2026/ESC-2026-0002/escalation.yaml"
    }


def test_path_outside_the_repository_is_a_usage_error(
    three_broken: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    result = run_cli(["validate", str(tmp_path)], three_broken)
    assert result.exit_code == 2
    assert "outside the repository" in result.stderr


# --- exit codes ------------------------------------------------------------------------------


def test_unknown_option_is_a_usage_error(repo_copy: Path, run_cli: RunCli) -> None:
    result = run_cli(["validate", "--no-such-option"], repo_copy)
    assert result.exit_code == 2
    assert "No such option" in result.stderr


def test_unknown_format_is_a_usage_error(repo_copy: Path, run_cli: RunCli) -> None:
    assert run_cli(["validate", "--format", "xml"], repo_copy).exit_code == 2


def test_repo_without_policy_is_a_usage_error(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli(["--repo", str(tmp_path), "validate"], cwd=tmp_path)
    assert result.exit_code == 2
    assert "no policy/ directory" in result.stderr


def test_outside_any_repository_is_a_usage_error(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli(["validate"], cwd=tmp_path)
    assert result.exit_code == 2
    assert "not inside a playbook repository" in result.stderr


def test_repo_found_from_a_subdirectory(three_broken: Path, run_cli: RunCli) -> None:
    result = run_cli(["validate", "--format", "json"], cwd=three_broken / "incidents")
    assert result.exit_code == 1
    assert result.json()["records"] == 4


def test_empty_repository_is_valid(repo_copy: Path, run_cli: RunCli) -> None:
    result = run_cli(["validate", "--format", "json"], repo_copy)
    assert result.exit_code == 0
    assert result.json() == {"ok": True, "records": 0, "errors": [], "warnings": []}


def test_this_repository_validates(run_cli: RunCli) -> None:
    result = run_cli(["validate", "--format", "json"], ROOT)
    report = result.json()
    assert report["errors"] == [], json.dumps(report["errors"], indent=1)
    assert result.exit_code == 0
    assert report["records"] == len(list(ROOT.glob("incidents/*/*/escalation.yaml")))


# --- the parse cache -----------------------------------------------------------------------


def test_second_run_gives_identical_output(three_broken: Path, run_cli: RunCli) -> None:
    first = run_cli(["validate"], three_broken)
    assert any(Path(os.environ["ESCALATE_CACHE_DIR"]).iterdir()), "the first run fills the cache"
    second = run_cli(["validate"], three_broken)
    assert (second.exit_code, second.stdout, second.stderr) == (
        first.exit_code,
        first.stdout,
        first.stderr,
    )
    fresh = run_cli(["--no-cache", "validate"], three_broken)
    assert (fresh.exit_code, fresh.stdout) == (first.exit_code, first.stdout)


def test_an_edited_file_is_checked_again(
    repo_copy: Path, write_record: WriteRecord, run_cli: RunCli
) -> None:
    path = write_record(repo_copy, BASE_RECORD)
    assert run_cli(["validate"], repo_copy).exit_code == 0
    path.write_text(BASE_RECORD.replace("tier: enterprise", "tier: gold"), encoding="utf-8")
    broken = run_cli(["validate", "--format", "json"], repo_copy)
    assert broken.exit_code == 1
    assert [e["rule"] for e in broken.json()["errors"]] == ["unknown-tier"]
    path.write_text(BASE_RECORD.replace("title: Card", "titel: Card"), encoding="utf-8")
    typo = run_cli(["validate", "--format", "json"], repo_copy).json()["errors"]
    assert ("schema/unknown-key", 3) in {(e["rule"], e["line"]) for e in typo}
    path.write_text(BASE_RECORD, encoding="utf-8")
    assert run_cli(["validate"], repo_copy).exit_code == 0


def test_an_edited_schema_empties_the_cache(
    repo_copy: Path, write_record: WriteRecord, run_cli: RunCli
) -> None:
    write_record(repo_copy, BASE_RECORD)
    assert run_cli(["validate"], repo_copy).exit_code == 0
    schema_path = repo_copy / "schema" / "escalation.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["properties"]["title"]["maxLength"] = 10
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    result = run_cli(["validate", "--format", "json"], repo_copy)
    assert result.exit_code == 1
    assert [e["pointer"] for e in result.json()["errors"]] == ["/title"]


def test_no_cache_reads_every_file_afresh(
    repo_copy: Path, write_record: WriteRecord, run_cli: RunCli
) -> None:
    path = write_record(repo_copy, BASE_RECORD)
    cache_dir = Path(os.environ["ESCALATE_CACHE_DIR"])
    assert run_cli(["--no-cache", "validate"], repo_copy).exit_code == 0
    assert not any(cache_dir.iterdir()), "--no-cache writes no cache"

    # Poison the cache: a clean run stores the record, then the record breaks and its cache
    # entry is made to claim the new content is the old, clean one. The cached run trusts
    # the entry; --no-cache must not look at it.
    assert run_cli(["validate"], repo_copy).exit_code == 0
    (cache_file,) = cache_dir.iterdir()
    path.write_text(BASE_RECORD.replace("tier: enterprise", "tier: gold"), encoding="utf-8")
    blob = marshal.loads(cache_file.read_bytes())
    entry = list(blob["entries"][RECORD])
    entry[0] = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()  # its data stays
    assert marshal.loads(blob["data"][RECORD])["customer"]["tier"] == "enterprise"
    blob["entries"][RECORD] = tuple(entry)
    cache_file.write_bytes(marshal.dumps(blob))
    assert run_cli(["validate"], repo_copy).exit_code == 0, "the poisoned entry is used"
    assert run_cli(["--no-cache", "validate"], repo_copy).exit_code == 1


def test_a_corrupt_cache_is_ignored(
    repo_copy: Path, write_record: WriteRecord, run_cli: RunCli
) -> None:
    write_record(repo_copy, BASE_RECORD)
    assert run_cli(["validate"], repo_copy).exit_code == 0
    for cache_file in Path(os.environ["ESCALATE_CACHE_DIR"]).iterdir():
        cache_file.write_bytes(b"\x00not marshal")
    assert run_cli(["validate"], repo_copy).exit_code == 0


def test_an_unchanged_repository_replays_no_timeline(
    repo_copy: Path, write_record: WriteRecord, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_record(repo_copy, BASE_RECORD)
    assert run_cli(["validate"], repo_copy).exit_code == 0

    def refuse(*_: object) -> None:
        raise AssertionError("a warm run replayed a timeline")

    monkeypatch.setattr("escalate.records.derive", refuse)
    assert run_cli(["validate"], repo_copy).exit_code == 0, "the cached checks are used"


def test_an_edited_policy_checks_every_record_again(
    repo_copy: Path, write_record: WriteRecord, run_cli: RunCli
) -> None:
    write_record(repo_copy, BASE_RECORD.replace("owner: alice", "owner: zed"))
    first = run_cli(["validate", "--format", "json"], repo_copy)
    assert [e["rule"] for e in first.json()["errors"]] == ["unknown-person"]
    roster = repo_copy / "policy" / "roster.yaml"
    original = roster.read_text(encoding="utf-8")
    person = "  - {handle: zed, name: Zed Ruiz, team: support-frontline, timezone: Europe/Berlin, contact: zed@example.com}\n"
    roster.write_text(original.replace("people:\n", "people:\n" + person, 1), encoding="utf-8")
    assert run_cli(["validate"], repo_copy).exit_code == 0, "the new person is known"
    roster.write_text(original, encoding="utf-8")
    again = run_cli(["validate", "--format", "json"], repo_copy)
    assert [e["rule"] for e in again.json()["errors"]] == ["unknown-person"]


def test_an_unchanged_policy_is_not_schema_checked_again(
    repo_copy: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalate.schema import CompiledSchema

    assert run_cli(["validate"], repo_copy).exit_code == 0
    checked: list[str] = []
    real = CompiledSchema.errors

    def spy(self: CompiledSchema, instance: Any, file: str) -> Any:
        checked.append(self.kind)
        return real(self, instance, file)

    monkeypatch.setattr(CompiledSchema, "errors", spy)
    assert run_cli(["validate"], repo_copy).exit_code == 0
    assert checked == []
    matrix = repo_copy / "policy" / "matrix.yaml"
    matrix.write_text(matrix.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert run_cli(["validate"], repo_copy).exit_code == 0
    assert checked == ["matrix"], "only the edited file is checked again"


def test_every_broken_calendar_is_reported_at_once(repo_copy: Path, run_cli: RunCli) -> None:
    calendars = repo_copy / "policy" / "calendars.yaml"
    text = calendars.read_text(encoding="utf-8")
    text = text.replace("timezone: Europe/Berlin\n    hours:", "timezone: Europe/Berln\n    hours:")
    text = text.replace('mon: ["08:00-18:00"]', 'mon: ["18:00-08:00"]')
    calendars.write_text(text, encoding="utf-8")
    result = run_cli(["validate", "--format", "json"], repo_copy)
    errors = [e for e in result.json()["errors"] if e["file"] == "policy/calendars.yaml"]
    assert len(errors) == 2, errors
    assert {e["pointer"].split("/")[2] for e in errors} == {"1", "2"}


# --- startup -------------------------------------------------------------------------------


def test_help_does_not_import_heavy_libraries(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from escalate.cli import main\n"
        "code = main(['--help'])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'jsonschema', 'jinja2', 'mkdocs', 'jsonschema_rs'})\n"
        "print(code, ','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=tmp_path,
    )
    code, _, heavy = done.stdout.strip().rpartition("\n")[2].partition(" ")
    assert code == "0"
    assert heavy == "", f"escalate --help imported {heavy}"
