"""A new playbook repository: `escalate init DIR`.

The starting point is this project's own playbook: its policy (a realistic support
organisation's severity taxonomy, matrix, scoring, calendars and roster to edit), the
schemas the policy files point their editors at, the written handbook and site config, the
CI workflows and the pre-commit hook. No records: `incidents/` starts empty. The files ship
with the package (mapped to `escalate/_starter` at build time) and are read from the source
tree in a checkout.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import UsageError
from .schema import builtin_schema_dir

# What a new repository gets, relative to the starter root (directories are copied whole);
# schema/ comes from the package's schemas.
STARTER_PATHS = (
    "policy",
    "docs",
    "overrides",
    "mkdocs.yml",
    ".github/workflows",
    ".pre-commit-config.yaml",
)

GITIGNORE = """\
/site/
.escalate/
__pycache__/
"""

INCIDENTS_README = """\
# Escalation records

One directory per escalation: `incidents/<year>/<ID>/escalation.yaml`, with
`postmortem.md` beside it once there is one. Create records with `escalate new`;
`escalate validate` checks them all.
"""

README = """\
# Escalation playbook

Our customer-escalation playbook as code: the rules in `policy/`, every escalation in
`incidents/`, the written handbook in `docs/`. Checked by `escalate validate` on every pull
request and published as a site by `mkdocs build`.

```sh
pip install escalate          # the tool, with MkDocs and the site plugin
escalate validate             # every record and policy file
mkdocs serve -a 127.0.0.1:8000
```

Start by editing `policy/roster.yaml` (your people, teams and rotations) and
`policy/matrix.yaml` (your categories and the teams that own them); `escalate validate`
says what else has to follow.
"""


@dataclass(frozen=True)
class Created:
    root: Path
    files: int


def starter_root() -> Path:
    """Where the starter files are: the package's copy, or the source tree in a checkout."""
    packaged = resources.files("escalate").joinpath("_starter")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2]


def create(target: Path, source: Path | None = None) -> Created:
    """Write a new playbook repository into target, which must be new or empty.

    Raises UsageError when target holds files already: nothing is overwritten.
    """
    source = source or starter_root()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(
            f"{target} is not empty; give a new directory (escalate init never overwrites)"
        )
    missing = [part for part in STARTER_PATHS if not (source / part).exists()]
    if missing:
        raise UsageError(f"the starter files are incomplete (missing {', '.join(missing)})")
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for part in STARTER_PATHS:
        origin = source / part
        destination = target / part
        if origin.is_dir():
            shutil.copytree(origin, destination, ignore=shutil.ignore_patterns("__pycache__"))
            count += sum(len(files) for _, _, files in os.walk(destination))
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, destination)
            count += 1
    # The schemas are the package's own copy (escalate/_schema in a wheel).
    shutil.copytree(builtin_schema_dir(), target / "schema")
    count += len(list((target / "schema").iterdir()))
    for relative, text in (
        (".gitignore", GITIGNORE),
        ("README.md", README),
        ("incidents/README.md", INCIDENTS_README),
    ):
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        count += 1
    return Created(target, count)
