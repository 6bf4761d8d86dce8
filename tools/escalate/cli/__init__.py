"""The `escalate` command line: a thin Click adapter over the core library.

Each command lives in its own module and only turns options into a call of the core and
the result into output. Heavy libraries are imported inside the commands, so that
`escalate --help` starts in a few tens of milliseconds.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from .common import Context, run_guarded
from .comms import comms, notify
from .init import init
from .lifecycle import COMMANDS as LIFECYCLE_COMMANDS
from .metrics import metrics
from .reports import show, status
from .routing import oncall, roster, triggers
from .scaffold import new, postmortem, renumber
from .score import score
from .sla import sla
from .standup import standup
from .validate import validate
from .watch import watch

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--repo",
    "repo_dir",
    type=click.Path(file_okay=False, path_type=str),
    help="The playbook repository (default: the nearest parent directory holding policy/).",
)
@click.option("--no-cache", is_flag=True, help="Parse every file afresh; ignore the parse cache.")
@click.option("--traceback", is_flag=True, help="Show the full traceback of an unexpected error.")
@click.version_option(package_name="escalate")
@click.pass_context
def cli(ctx: click.Context, repo_dir: str | None, no_cache: bool, traceback: bool) -> None:
    """Escalation playbooks as code: records, policy and SLA clocks kept in git."""
    ctx.obj = Context(repo_dir=repo_dir, use_cache=not no_cache, traceback=traceback)


cli.add_command(validate)
cli.add_command(show)
cli.add_command(status)
cli.add_command(new)
cli.add_command(renumber)
cli.add_command(postmortem)
for _command in LIFECYCLE_COMMANDS:
    cli.add_command(_command)
cli.add_command(sla)
cli.add_command(metrics)
cli.add_command(watch)
cli.add_command(score)
cli.add_command(oncall)
cli.add_command(roster)
cli.add_command(triggers)
cli.add_command(comms)
cli.add_command(standup)
cli.add_command(notify)
cli.add_command(init)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `escalate` and `esc` scripts; returns the exit code."""
    return run_guarded(cli, list(argv) if argv is not None else sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
