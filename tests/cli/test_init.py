"""`escalate init DIR`: a new playbook repository that validates and builds, never an overwrite."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from escalate.starter import STARTER_PATHS, starter_root

ROOT = Path(__file__).resolve().parents[2]
RunCli = Callable[..., Any]


def test_a_new_repository_validates_with_no_records(tmp_path: Path, run_cli: RunCli) -> None:
    target = tmp_path / "acme-playbook"
    result = run_cli(["init", str(target)], cwd=tmp_path)
    assert result.exit_code == 0, result
    assert result.stdout.startswith(f"created {target} (")
    for part in (*STARTER_PATHS, "schema", "README.md", ".gitignore", "incidents/README.md"):
        assert (target / part).exists(), part
    assert (target / "policy" / "roster.yaml").read_bytes() == (
        ROOT / "policy" / "roster.yaml"
    ).read_bytes()
    assert not list((target / "incidents").glob("*/*/escalation.yaml"))
    checked = run_cli(["validate", "--format", "json"], target)
    assert checked.exit_code == 0, checked
    assert checked.json()["records"] == 0


def test_a_non_empty_directory_is_refused_untouched(tmp_path: Path, run_cli: RunCli) -> None:
    target = tmp_path / "existing"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    result = run_cli(["init", str(target)], cwd=tmp_path)
    assert result.exit_code == 2
    assert "is not empty" in result.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


@pytest.mark.site
def test_a_new_repository_builds_its_site(tmp_path: Path, run_cli: RunCli) -> None:
    target = tmp_path / "fresh"
    assert run_cli(["init", str(target)], cwd=tmp_path).exit_code == 0
    mkdocs = Path(sys.executable).with_name("mkdocs")
    done = subprocess.run(
        [str(mkdocs), "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=target,
        env={**os.environ, "ESCALATE_NOW": "2026-12-01T12:00:00Z", "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "status" / "index.html").is_file()


def test_the_wheel_ships_every_starter_path() -> None:
    # In a checkout the starter files are the source tree; in a wheel they are mapped to
    # escalate/_starter by pyproject.toml: every path must be mapped, or init breaks there.
    assert starter_root() == ROOT
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mapped = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert mapped["schema"] == "escalate/_schema"
    for part in STARTER_PATHS:
        assert mapped[part] == f"escalate/_starter/{part}", part
