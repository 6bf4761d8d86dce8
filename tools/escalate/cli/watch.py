"""`escalate watch`: keep one GitHub issue listing the overdue SLA clocks, through `gh`.

The decision is `escalate.tracking.plan`; this module only gets the report (measured in
process, or read from `--report FILE`), reads the open issues with the GitHub CLI and runs
the one `gh` command the plan asks for. Running it twice changes nothing the second time.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ..tracking import LABEL, Action, find_duplicates, find_issue, plan
from .common import EXIT_FINDINGS, EXIT_OK, Context, now_option

LIST_FIELDS = "number,title,body"


class GhFailed(Exception):
    """A `gh` command that could not be run or exited non-zero."""

    def __init__(self, argv: Sequence[str], detail: str, returncode: int | None = None) -> None:
        self.argv = list(argv)
        self.detail = detail.strip()
        self.returncode = returncode
        super().__init__(self.describe())

    def describe(self) -> str:
        how = f" failed (exit {self.returncode})" if self.returncode is not None else " failed"
        return f"`{shlex.join(self.argv)}`{how}" + (f":\n{self.detail}" if self.detail else "")


class Gh:
    """Runs `gh` with the given repository; in a dry run, prints the commands that write."""

    def __init__(self, repo: str | None, *, dry_run: bool) -> None:
        self.repo_args = ["--repo", repo] if repo else []
        self.dry_run = dry_run

    def run(self, args: Sequence[str], *, stdin: str | None = None, writes: bool = True) -> str:
        argv = ["gh", *args, *self.repo_args]
        if self.dry_run and writes:
            command = shlex.join(argv)
            if stdin is None:
                click.echo(command)
            else:
                click.echo(f"{command} <<'ESCALATE_BODY'\n{stdin.rstrip()}\nESCALATE_BODY")
            return ""
        executable = shutil.which("gh")
        if executable is None:
            raise GhFailed(
                argv, "gh (the GitHub CLI) is not on PATH; install it: https://cli.github.com"
            )
        try:
            # No stdin unless a body is piped in: gh must never wait for an answer.
            done = subprocess.run(
                [executable, *argv[1:]],
                input=stdin if stdin is not None else "",
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError as exc:
            raise GhFailed(argv, str(exc)) from exc
        if done.returncode != 0:
            raise GhFailed(argv, done.stderr or done.stdout, done.returncode)
        return done.stdout

    def open_issues(self, label: str) -> list[dict[str, Any]]:
        args = ["issue", "list", "--label", label, "--state", "open"]
        args += ["--json", LIST_FIELDS, "--limit", "100"]
        out = self.run(args, writes=False)
        try:
            issues = json.loads(out or "[]")
        except json.JSONDecodeError as exc:
            raise GhFailed(["gh", *args], f"not JSON: {exc}: {out[:200]!r}") from exc
        if not isinstance(issues, list):
            raise GhFailed(["gh", *args], f"expected a JSON list, got: {out[:200]!r}")
        return [issue for issue in issues if isinstance(issue, dict)]


@click.command()
@now_option("The instant to measure at (ignored with --report).")
@click.option(
    "--report",
    "report_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use a saved `escalate sla check --format json` report instead of measuring.",
)
@click.option(
    "--label",
    default=LABEL,
    show_default=True,
    help="The label that marks the tracking issue (created when missing).",
)
@click.option(
    "--gh-repo",
    metavar="OWNER/NAME",
    help="The GitHub repository of the issue (default: gh's own: $GH_REPO or the git remote).",
)
@click.option(
    "--repo-url",
    metavar="URL",
    help="Link records under this URL (default: $GITHUB_SERVER_URL/$GITHUB_REPOSITORY when set).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the gh commands that would change the issue instead of running them "
    "(the open issues are still read).",
)
@click.pass_obj
def watch(
    ctx: Context,
    now: datetime,
    report_file: Path | None,
    label: str,
    gh_repo: str | None,
    repo_url: str | None,
    dry_run: bool,
) -> int:
    """Keep one GitHub issue listing every overdue SLA clock, using the gh CLI.

    Opens the issue when a clock is overdue and none is open, rewrites its table when the
    set of overdue clocks (or their owners, severities, deadlines) changes, leaves it alone
    when nothing changed, and closes it when nothing is overdue. If several tracking issues
    are open (the marker or the title), the oldest is kept and the others are closed with a
    comment pointing at it. Needs `gh` on PATH and a token (GH_TOKEN) allowed to write
    issues.

    Exit 0 whether or not clocks are overdue: the issue is the signal, and a scheduled run
    that turned red every hour while a case is late would only be noise in the Actions tab.
    To fail a job on overdue clocks, run `escalate sla check` (exit 1 on overdue). Exit 1
    when a gh command fails.
    """
    report = _report(ctx, now, report_file)
    if repo_url is None:
        server, repository = (
            os.environ.get("GITHUB_SERVER_URL"),
            os.environ.get("GITHUB_REPOSITORY"),
        )
        repo_url = f"{server.rstrip('/')}/{repository}" if server and repository else None

    gh = Gh(gh_repo, dry_run=dry_run)
    try:
        issues = gh.open_issues(label)
        action = plan(
            find_issue(issues), report, repo_url=repo_url, duplicates=find_duplicates(issues)
        )
        message = _carry_out(gh, action, label)
    except GhFailed as exc:
        click.echo(f"escalate watch: {exc.describe()}", err=True)
        return EXIT_FINDINGS
    click.echo(("(dry run) " if dry_run else "") + message, err=dry_run)
    return EXIT_OK


def _report(ctx: Context, now: datetime, report_file: Path | None) -> dict[str, Any]:
    if report_file is not None:
        try:
            data = json.loads(report_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise click.BadParameter(
                f"{report_file}: not an `sla check --format json` report: {exc}",
                param_hint="--report",
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("overdue"), list):
            raise click.BadParameter(
                f"{report_file}: not an `sla check --format json` report (no `overdue` list)",
                param_hint="--report",
            )
        return data

    from ..sla import REPORT, check

    measured = check(ctx.repo(derive=REPORT), now, live_only=True)
    data = measured.as_json()
    for finding in data.get("skipped") or []:
        click.echo(f"warning: {finding.get('file')}: {finding.get('message')}", err=True)
    return data


def _carry_out(gh: Gh, action: Action, label: str) -> str:
    """Run the gh commands of a plan; return what was done, in one line."""
    done = _carry_out_main(gh, action, label)
    for number in action.duplicates:
        gh.run(["issue", "close", str(number), "--comment", action.duplicate_comment])
    if action.duplicates:
        closed = ", ".join(f"#{number}" for number in action.duplicates)
        done += f"; closed duplicate{'s' * (len(action.duplicates) != 1)} {closed}"
    return done


def _carry_out_main(gh: Gh, action: Action, label: str) -> str:
    clocks = f"{action.overdue} overdue clock{'s' * (action.overdue != 1)}"
    if action.kind == "open":
        description = "Overdue SLA clocks, kept up to date by escalate watch"
        gh.run(["label", "create", label, "--color", "B60205", "--force", "-d", description])
        out = gh.run(
            ["issue", "create", "--title", action.title, "--body-file", "-", "--label", label],
            stdin=action.body,
        )
        found = re.search(r"/issues/(\d+)", out)
        return f"opened {'#' + found.group(1) if found else 'the tracking issue'}: {clocks}"
    if action.kind == "update":
        gh.run(["issue", "edit", str(action.number), "--body-file", "-"], stdin=action.body)
        return f"updated #{action.number}: {clocks}"
    if action.kind == "close":
        gh.run(["issue", "close", str(action.number), "--comment", action.comment])
        return f"closed #{action.number}: nothing overdue"
    if action.number is not None:
        return f"#{action.number} is up to date: {clocks}"
    return "nothing overdue and no tracking issue open"
