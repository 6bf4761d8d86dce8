"""The benchmark corpus generator writes records that `escalate validate` accepts.

Only correctness is tested here; how fast anything runs is measured by `make bench`.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from escalate.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "benchmark_generate", ROOT / "benchmarks" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    return _generator()


def test_sixty_generated_records_are_valid(
    generate: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = tmp_path / "repo"
    generate.generate(repo, 60, seed=7, source=ROOT)
    monkeypatch.setenv("ESCALATE_CACHE_DIR", str(tmp_path / "cache"))

    code = main(["--repo", str(repo), "validate", "--format", "json"])

    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == []
    assert code == 0
    assert report["ok"] is True
    assert report["records"] == 60

    records = sorted(repo.glob("incidents/*/*/escalation.yaml"))
    assert len(records) == 60
    assert {path.parts[-3] for path in records} <= {"2024", "2025", "2026"}
    average = sum(path.stat().st_size for path in records) / len(records)
    assert 1500 <= average <= 3000, f"average record size {average:.0f} bytes"


def test_the_corpus_is_deterministic_for_a_seed(generate: ModuleType, tmp_path: Path) -> None:
    def files(directory: Path) -> dict[str, bytes]:
        return {
            path.relative_to(directory).as_posix(): path.read_bytes()
            for path in sorted(directory.glob("incidents/**/*"))
            if path.is_file()
        }

    generate.generate(tmp_path / "a", 25, seed=3, source=ROOT)
    generate.generate(tmp_path / "b", 25, seed=3, source=ROOT)
    generate.generate(tmp_path / "c", 25, seed=4, source=ROOT)
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert files(tmp_path / "a") != files(tmp_path / "c")


def test_the_corpus_mixes_lifecycles_and_writes_postmortems(
    generate: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalate.repo import Repo

    repo_dir = tmp_path / "repo"
    generate.generate(repo_dir, 600, seed=7, source=ROOT)
    monkeypatch.setenv("ESCALATE_CACHE_DIR", str(tmp_path / "cache"))
    repo = Repo.load(repo_dir, use_cache=False, jobs=1)

    assert len(repo.escalations) == 600
    statuses = {escalation.state.status for escalation in repo.escalations.values()}
    assert statuses == {
        "open",
        "acknowledged",
        "waiting_on_customer",
        "mitigated",
        "resolved",
        "closed",
    }
    assert any(e.state.reopened_count for e in repo.escalations.values())
    assert repo.postmortems, "some resolved sev1/sev2 cases have a postmortem"
    assert all(source.valid for source in repo.sources)
