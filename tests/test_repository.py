"""The repository itself: its own files follow the rules it asks of its users."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
YAML_FILES = sorted(
    [*ROOT.glob("policy/*.yaml"), *ROOT.glob("incidents/*/*/escalation.yaml")],
    key=str,
)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_names_its_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first.split("$schema=", 1)[1].strip()).resolve()
    assert target.is_file(), f"{path}: modeline points at {target}, which does not exist"
    kind = "escalation" if path.name == "escalation.yaml" else path.stem
    assert target.name == f"{kind}.schema.json"


@pytest.mark.parametrize("path", sorted(ROOT.glob("schema/*.schema.json")), ids=lambda p: p.name)
def test_schemas_are_valid_draft_2020_12(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)
    assert document.get("additionalProperties") is False, "top level must be closed"


def test_the_pre_commit_hook_validates_this_repository() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "escalate-validate")
    command = shlex.split(hook["entry"])
    assert command[0] == "escalate"
    script = Path(sys.executable).parent / "escalate"
    result = subprocess.run(
        [str(script), *command[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stderr


def test_readme_quick_start_is_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make site" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
