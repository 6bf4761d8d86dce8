"""Builds of the site with the real mkdocs, once per session, at a fixed instant.

Three builds: the repository as it is (internal profile); and a scratch copy holding a hostile
record and hostile policy text, with a changed severity target, built with the internal and
with the public profile. Helpers live in sitebuild.py (a unique module name: several test
folders have a conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hostile_record import ID as HOSTILE_ID
from hostile_record import POSTMORTEM, RECORD
from sitebuild import HOSTILE_POLICY, ROOT, Build, built, scratch_copy, target_edit


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def repo_site(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Build:
    """The repository itself, internal profile."""
    return built(ROOT, tmp_path_factory.mktemp("repo-site"), cache_dir)


@pytest.fixture(scope="session")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = scratch_copy(tmp_path_factory.mktemp("hostile-repo"))
    case = repo / "incidents" / "2026" / HOSTILE_ID
    case.mkdir(parents=True)
    (case / "escalation.yaml").write_text(
        yaml.safe_dump(RECORD, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    (case / "postmortem.md").write_text(POSTMORTEM, encoding="utf-8")
    edits = [("severity.yaml", *target_edit(repo)), *HOSTILE_POLICY]
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
