"""`escalate init DIR`: a new playbook repository to start from."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a playbook repository in DIRECTORY (new or empty): policy, schemas, the
    handbook and site config, CI workflows and the pre-commit hook; no records yet."""
    from ..starter import create

    created = create(directory)
    click.echo(f"created {created.root} ({created.files} files)")
    click.echo(
        "next: edit policy/roster.yaml and policy/matrix.yaml, run `escalate validate`, "
        "then `git init` and commit"
    )
