"""`escalate validate [PATH…]`: schema and cross-file checks of the whole repository."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import EXIT_FINDINGS, EXIT_OK, Context, echo_json, format_option

if TYPE_CHECKING:
    from ..errors import Finding


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@format_option("text", "json", "github")
@click.pass_obj
def validate(ctx: Context, paths: tuple[Path, ...], output_format: str) -> int:
    """Check records, postmortems and policy; report every problem of every file at once.

    With PATHs, only problems in those files or directories are reported (the whole
    repository is still read, so cross-file references are checked). Exit 1 on any error.
    """
    from ..validation import FILE_CHECKS
    from ..validation import validate as run_validation

    repo = ctx.repo(derive=(FILE_CHECKS,))  # files parsed anew are checked in the same pass
    selected = None
    if paths:
        selected = []
        for path in paths:
            absolute = path.resolve()
            try:
                selected.append(absolute.relative_to(repo.root).as_posix().replace(".", "", 0))
            except ValueError:
                raise click.BadParameter(
                    f"{path} is outside the repository {repo.root}", param_hint="PATH"
                ) from None
        selected = ["" if s == "." else s for s in selected]
    report = run_validation(repo, selected)

    if output_format == "json":
        echo_json(report.as_json())
    elif output_format == "github":
        for finding in report.findings:
            level = "error" if finding.severity == "error" else "warning"
            message = (
                f"{finding.pointer}: {finding.message}" if finding.pointer else finding.message
            )
            click.echo(
                f"::{level} file={finding.file},line={finding.line or 1},"
                f"col={finding.column or 1},title={_escape_property(finding.rule)}::"
                f"{_escape_data(message)}"
            )
        click.echo(_summary(report.records, report.errors, len(report.warnings)))
    else:
        for finding in report.findings:
            prefix = "" if finding.severity == "error" else "warning: "
            click.echo(f"{prefix}{finding}", err=False)
        click.echo(_summary(report.records, report.errors, len(report.warnings)), err=True)
    return EXIT_OK if report.ok else EXIT_FINDINGS


def _summary(records: int, errors: list[Finding], warnings: int) -> str:
    """`ok: 32 escalation records valid`, or how many errors in how many files."""
    tail = f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
    checked = f"{records} escalation record{'s' * (records != 1)}"
    if not errors:
        return f"ok: {checked} valid{tail}"
    files = len({finding.file for finding in errors})
    count = len(errors)
    return (
        f"{count} error{'s' * (count != 1)}{tail} in {files} file{'s' * (files != 1)} "
        f"({checked} checked)"
    )


def _escape_data(text: str) -> str:
    # GitHub workflow commands: %, CR and LF must be escaped in the message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
