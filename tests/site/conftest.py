"""Builds of the site with the real mkdocs, once per session, at a fixed instant.

Three builds: the repository as it is (internal profile); and a scratch copy holding a hostile
record and a changed severity target, built with the internal and with the public profile.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hostile_record import ID as HOSTILE_ID
from hostile_record import POSTMORTEM, RECORD

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-22T12:00:00Z"
COPIED = ("mkdocs.yml", "docs", "overrides", "policy", "schema", "incidents")
# policy/severity.yaml in the scratch copy: sev1's acknowledge target becomes this.
CHANGED_TARGET = ("sev1", "acknowledge", "15m", "17m")
HOSTILE_SEVERITY_NAME = (
    "Critical <script>alert(9)</script> {: onclick=alert(9) } [x](javascript:alert(9))"
)
HOSTILE_PERSON_NAME = "Bob <img src=x onerror=alert(8)> Fischer"
HOSTILE_POLICY = [
    ("severity.yaml", "name: Critical", f'name: "{HOSTILE_SEVERITY_NAME}"'),
    ("roster.yaml", "name: Bob Fischer,", f'name: "{HOSTILE_PERSON_NAME}",'),
    ("calendars.yaml", "name: EMEA business hours", 'name: "EMEA <script>alert(7)</script> hours"'),
    ("scoring.yaml", "name: Technical severity", 'name: "Technical <b>severity</b> {{ 7*7 }}"'),
]


@dataclass(frozen=True)
class Build:
    repo: Path
    site: Path
    seconds: float


def build(
    repo: Path, site: Path, cache: Path, profile: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ESCALATE_PROFILE", "ESCALATE_NOW")}
    env.update(ESCALATE_NOW=NOW, ESCALATE_CACHE_DIR=str(cache), NO_MKDOCS_2_WARNING="1")
    if profile:
        env["ESCALATE_PROFILE"] = profile
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "-f",
        str(repo / "mkdocs.yml"),
        "-d",
        str(site),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=repo)


def built(repo: Path, site: Path, cache: Path, profile: str | None = None) -> Build:
    import time

    started = time.perf_counter()
    result = build(repo, site, cache, profile)
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return Build(repo, site, time.perf_counter() - started)


def scratch_copy(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        elif source.is_file():
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def repo_site(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Build:
    """The repository itself, internal profile."""
    return built(ROOT, tmp_path_factory.mktemp("repo-site"), cache_dir)


def _target_edit(repo: Path) -> tuple[str, str]:
    """The text edit that changes CHANGED_TARGET in policy/severity.yaml (one unique line)."""
    level, clock, old, new = CHANGED_TARGET
    text = (repo / "policy" / "severity.yaml").read_text(encoding="utf-8")
    start = text.index(f"- id: {level}")
    at = text.index(f"{clock}: {old}", start)
    line_start = text.rindex("\n", 0, at) + 1
    line_end = text.index("\n", at)
    line = text[line_start:line_end]
    assert text.count(line) == 1
    return line, line.replace(f"{clock}: {old}", f"{clock}: {new}")


@pytest.fixture(scope="session")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = scratch_copy(tmp_path_factory.mktemp("hostile-repo"))
    case = repo / "incidents" / "2026" / HOSTILE_ID
    case.mkdir(parents=True)
    (case / "escalation.yaml").write_text(
        yaml.safe_dump(RECORD, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    (case / "postmortem.md").write_text(POSTMORTEM, encoding="utf-8")
    edits = [("severity.yaml", *_target_edit(repo)), *HOSTILE_POLICY]
    for name, old_text, new_text in edits:
        target = repo / "policy" / name
        content = target.read_text(encoding="utf-8")
        assert old_text in content, (name, old_text)
        target.write_text(content.replace(old_text, new_text, 1), encoding="utf-8")
    return repo


@pytest.fixture(scope="session")
def hostile_site(
    tmp_path_factory: pytest.TempPathFactory, hostile_repo: Path, cache_dir: Path
) -> Build:
    return built(hostile_repo, tmp_path_factory.mktemp("hostile-site"), cache_dir)


@pytest.fixture(scope="session")
def public_site(
    tmp_path_factory: pytest.TempPathFactory, hostile_repo: Path, cache_dir: Path
) -> Build:
    return built(hostile_repo, tmp_path_factory.mktemp("public-site"), cache_dir, profile="public")
