"""`escalate new`, `escalate renumber ID` and `escalate postmortem ID`: files from templates."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click

from .common import INSTANT, Context
from .lifecycle import resolve_now

FLAGS = ("payment", "safety", "compliance", "data", "security")
RISKS = ("low", "medium", "high", "critical")
REGIONS = ("emea", "amer", "apac")
# The flags `escalate new` cannot do without, in the order it asks for them.
REQUIRED = (
    ("title", "--title", "Title"),
    ("severity", "--severity", "Severity"),
    ("category", "--category", "Category"),
    ("customer", "--customer", "Customer name"),
    ("tier", "--tier", "Customer tier"),
    ("reported_by", "--reported-by", "Reported by (handle)"),
    ("summary", "--summary", "Impact summary"),
)


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


now_flag = click.option(
    "--now",
    "now",
    type=INSTANT,
    default=None,
    help="What now is for this run (default: $ESCALATE_NOW, else the clock).",
)


@click.command()
@click.option("--title", help="One line: what is broken, for whom.")
@click.option("--severity", help="From policy/severity.yaml, e.g. sev2.")
@click.option("--category", help="Incident type from policy/matrix.yaml, e.g. payments.")
@click.option("--customer", help="The customer's name.")
@click.option("--tier", help="The customer's tier from policy/matrix.yaml.")
@click.option("--arr", type=click.FloatRange(min=0), help="Annual recurring revenue.")
@click.option("--region", type=click.Choice(REGIONS))
@click.option("--product-area", help="Product area, e.g. checkout.")
@click.option("--reported-by", metavar="HANDLE", help="Who reported it (a roster handle).")
@click.option("--summary", help="The impact in a sentence or two.")
@click.option(
    "--owner",
    metavar="HANDLE",
    help="Owner at opening (default: whoever of the category's team at the level is on call).",
)
@click.option(
    "--level",
    help="Level at opening (default: the highest level the matrix's triggers require at "
    "opening, else the first level).",
)
@click.option("--flag", "flags", multiple=True, type=click.Choice(FLAGS), help="Impact flag.")
@click.option("--customers-affected", type=click.IntRange(min=0))
@click.option("--revenue-at-risk", type=click.FloatRange(min=0))
@click.option("--reputational-risk", type=click.Choice(RISKS))
@click.option("--ticket", "tickets", multiple=True, help="A ticket reference (repeatable).")
@click.option("--drill", is_flag=True, help="A drill or tabletop exercise (excluded from metrics).")
@click.option(
    "--now",
    "now",
    type=INSTANT,
    default=None,
    help="When the case opened, and the instant on-call is looked up at "
    "(default: $ESCALATE_NOW, else the clock).",
)
@click.pass_obj
def new(ctx: Context, /, **values: object) -> None:
    """Open an escalation: allocate the next ID and write its record from the template.

    Prompts for missing required values on a terminal; elsewhere names every missing flag.
    Prints the path of the new record.
    """
    from ..edits import candidate_errors, instant_text, summarize
    from ..errors import RecordError
    from ..render import environment
    from ..routing import route
    from ..scaffold import (
        NewRecord,
        check_new_record,
        record_ids,
        render_record,
        reserve_id,
    )
    from ..yamlio import atomic_write

    repo = ctx.repo()
    policy = repo.policy
    now = resolve_now(values.pop("now"), policy.default_timezone)  # type: ignore[arg-type]
    interactive = stdin_is_terminal()
    missing = [(key, flag, label) for key, flag, label in REQUIRED if values.get(key) is None]
    if missing and not interactive:
        raise click.UsageError(
            "missing " + ", ".join(flag for _, flag, _ in missing) + " (no terminal to ask on)"
        )
    for key, _, label in missing:
        choices = {
            "severity": list(policy.severities),
            "category": list(policy.categories),
            "tier": list(policy.tiers),
        }.get(key)
        values[key] = click.prompt(label, type=click.Choice(choices) if choices else str)

    def text(key: str) -> str | None:
        value = values.get(key)
        return None if value is None else str(value)

    problems = check_new_record(
        policy,
        {
            "--severity": text("severity"),
            "--category": text("category"),
            "--tier": text("tier"),
            "--level": text("level"),
            "--reported-by": text("reported_by"),
            "--owner": text("owner"),
        },
    )
    if problems:
        raise RecordError("; ".join(problems), rule="new")
    flags = [str(f) for f in values["flags"]]  # type: ignore[attr-defined]
    level = text("level")
    owner = text("owner")
    routed = route(
        policy, str(values["category"]), str(values["severity"]), flags, str(values["tier"]),
        now, level=level,
    )  # fmt: skip
    if level is not None and routed.triggers:
        required = routed.triggers[0]
        if policy.level_rank(required.level) > policy.level_rank(level):
            click.echo(
                f"escalate: note: trigger {required.trigger} requires {required.level} "
                f"({required.reason}); the case starts below it, at {level}",
                err=True,
            )
    level = routed.level
    if owner is None:
        owner = routed.owner
    if owner is None:
        if not interactive:
            raise click.UsageError(
                f"missing --owner: nobody could be routed ({routed.reason}); pass --owner HANDLE"
            )
        owner = click.prompt(f"Owner ({routed.reason})", type=click.Choice(list(policy.people)))

    record = NewRecord(
        id="",
        title=str(values["title"]),
        opened_at=instant_text(now),
        reported_by=str(values["reported_by"]),
        severity=str(values["severity"]),
        category=str(values["category"]),
        customer=str(values["customer"]),
        tier=str(values["tier"]),
        summary=str(values["summary"]),
        owner=str(owner),
        level=str(level),
        product_area=text("product_area"),
        arr=values.get("arr"),  # type: ignore[arg-type]
        region=text("region"),
        customers_affected=values.get("customers_affected"),  # type: ignore[arg-type]
        revenue_at_risk=values.get("revenue_at_risk"),  # type: ignore[arg-type]
        reputational_risk=text("reputational_risk"),
        flags=flags,
        tickets=[str(t) for t in values["tickets"]],  # type: ignore[attr-defined]
        drill=bool(values.get("drill")),
    )
    env = environment(repo.root)
    escalation_id, directory = reserve_id(
        repo.root, policy.id_prefix, int(record.opened_at[:4]), record_ids(repo)
    )
    try:
        record.id = escalation_id
        text_out = render_record(env, record)
        relative = f"{directory.relative_to(repo.root).as_posix()}/escalation.yaml"
        errors = candidate_errors(repo, relative, "escalation", text_out.encode("utf-8"))
        if errors:
            raise RecordError(
                f"the new record would not validate: {summarize(errors, 5)}", rule="new"
            )
        atomic_write(directory / "escalation.yaml", text_out)
    except BaseException:
        for leftover in directory.iterdir():
            leftover.unlink()
        directory.rmdir()
        raise
    click.echo(relative)


@click.command()
@click.argument("escalation_id", metavar="ID")
@click.argument("record", required=False, metavar="[PATH]")
@click.pass_obj
def renumber(ctx: Context, /, escalation_id: str, record: str | None) -> None:
    """Give a record the next free ID: the later of two that share ID, or the one at PATH.

    Rewrites its `id:` (and its postmortem's) and every `related:` reference to it, and
    moves its directory. References to an ID two records share are left for you to check.

    When two branches both created the record, git leaves both in one file with conflict
    markers: renumber splits it, keeping the earlier case there and writing the later one
    under the new ID.
    """
    from ..scaffold import (
        apply_renumbering,
        apply_split,
        choose_duplicate,
        conflicted_record,
        plan_renumbering,
        plan_split,
    )

    repo = ctx.repo()
    relative = record
    if relative is not None:
        try:
            relative = Path(relative).resolve().relative_to(repo.root).as_posix()
        except ValueError:
            raise click.BadParameter(
                f"{record} is outside the repository {repo.root}", param_hint="PATH"
            ) from None
    conflicted = conflicted_record(repo, escalation_id, relative)
    if conflicted is not None:
        split = plan_split(repo, escalation_id, conflicted)
        apply_split(repo.root, split)
        moved_to = split.target_dir.relative_to(repo.root).as_posix()
        click.echo(
            f"{escalation_id} -> {split.new_id}: {conflicted} held two records (a git "
            f"conflict); the {split.kept} side stays {escalation_id}, the {split.moved} side "
            f"moved to {moved_to}/"
        )
        click.echo(
            f"  run `escalate validate`, then `git add {Path(conflicted).parent.as_posix()} "
            f"{moved_to}` to finish the merge"
        )
        for path in split.ambiguous:
            click.echo(
                f"  related: {path} names {escalation_id}, which both records had; "
                f"check which one it means (now {escalation_id} or {split.new_id})",
                err=True,
            )
        return
    chosen = choose_duplicate(repo, escalation_id, relative)
    plan = plan_renumbering(repo, escalation_id, chosen)
    apply_renumbering(repo.root, plan)
    moved_to = plan.target_dir.relative_to(repo.root).as_posix()
    click.echo(f"{escalation_id} -> {plan.new_id}: {chosen} moved to {moved_to}/")
    for path in plan.references:
        click.echo(f"  related: updated in {path}")
    for path in plan.ambiguous:
        click.echo(
            f"  related: {path} names {escalation_id}, which two records shared; "
            f"check which one it means (now {escalation_id} or {plan.new_id})",
            err=True,
        )


@click.command()
@click.argument("escalation_id", metavar="ID")
@now_flag
@click.pass_obj
def postmortem(ctx: Context, /, escalation_id: str, now: datetime | None) -> None:
    """Write a draft postmortem.md beside the record, prefilled from it (never overwrites)."""
    from ..edits import candidate_errors, conflict_refusal, file_errors, record_source, summarize
    from ..errors import RecordError
    from ..render import environment
    from ..scaffold import postmortem_context, render_postmortem, score_of
    from ..yamlio import atomic_write

    repo = ctx.repo()
    source = record_source(repo, escalation_id)
    conflicted = conflict_refusal(repo, source.path, escalation_id)
    if conflicted is not None:
        raise conflicted
    escalation = repo.escalations.get(escalation_id)
    # Like the lifecycle verbs: a postmortem copies the record's facts, so they must hold.
    errors = file_errors(repo, source.path)
    if errors or escalation is None or escalation.path != source.path:
        found = f": {summarize(errors)}" if errors else ""
        raise RecordError(
            f"{source.path} does not validate, so no postmortem is written from it{found}; "
            f"run `escalate validate {source.path}` and fix it first",
            rule="invalid-record",
        )
    path = repo.root / source.path
    target = path.parent / "postmortem.md"
    relative = f"{Path(source.path).parent.as_posix()}/postmortem.md"
    if target.exists():
        raise RecordError(
            f"{relative} already exists; edit it, or delete it to start over", rule="exists"
        )
    moment = resolve_now(now, repo.policy.default_timezone)
    context = postmortem_context(escalation, repo.policy, moment, score_of(escalation, repo.policy))
    text = render_postmortem(environment(repo.root), context)
    errors = candidate_errors(repo, relative, "postmortem", text.encode("utf-8"))
    if errors:
        raise RecordError(
            f"the postmortem would not validate: {summarize(errors, 5)}", rule="postmortem"
        )
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise RecordError(f"{relative} already exists", rule="exists") from None
    os.close(fd)
    atomic_write(target, text)
    click.echo(relative)
