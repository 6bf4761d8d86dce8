"""Building the site with the real mkdocs for the site tests; the fixtures are in conftest.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

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


def target_edit(repo: Path) -> tuple[str, str]:
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
