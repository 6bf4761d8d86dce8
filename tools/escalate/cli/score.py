"""`escalate score ID [--explain]` and `escalate score calibrate`: one record's priority score
with every term, and how the scoring model sorts the whole history.

`score` is a group whose only listed subcommand is `calibrate`; anything else in the first
place is an escalation ID and goes to a hidden default command, so `escalate score
ESC-2026-0042 --explain` and `escalate score calibrate` both read the way the design names
them. IDs never collide with `calibrate` (they carry the ID prefix).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from .common import Context, echo_json, format_option, now_option

if TYPE_CHECKING:
    from ..calibration import Calibration
    from ..policy import Policy
    from ..records import Escalation
    from ..scoring import Score

_BY_ID = "by-id"  # the hidden default command


class ScoreGroup(click.Group):
    """A group that treats a first argument it does not know as an ID for `by-id`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args:
            raise click.UsageError("give an escalation ID, or calibrate", ctx)
        if args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [_BY_ID, *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "ID [--explain] [--format text|json]")
        formatter.write_usage(ctx.command_path, "calibrate [--now T] [--format text|json]")


class _ByIdContext(click.Context):
    @property
    def command_path(self) -> str:
        # `escalate score`, not `escalate score by-id`: the name is never typed.
        return self.parent.command_path if self.parent is not None else super().command_path


class _ByIdCommand(click.Command):
    """The hidden `by-id` command, whose usage and hints read `escalate score ID …`."""

    context_class = _ByIdContext

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "ID [--explain] [--format text|json]")


@click.group(cls=ScoreGroup)
def score() -> None:
    """Priority score of one escalation (score ID), or of all of them (score calibrate).

    score ID prints the score, its band (priority) and the level the band must involve;
    --explain shows every term: weight × value per factor, the sum, the floor forced by an
    impact flag, the rounding and the band.
    """


# --- score ID ------------------------------------------------------------------------------


def _number(value: float) -> str:
    """21 -> 21.0, 11.25 -> 11.25: points keep one decimal at least, two at most."""
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _shown(raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return str(raw)
    return f"{raw:,}" if abs(raw) >= 10000 else f"{raw:g}"


def _input_words(factor: Mapping[str, Any], raw: Any) -> str:
    """What the factor read and how it turned into a value."""
    field = str(factor["field"])
    if raw is None:
        return f"{field} is not set"
    said = f"{field} is {_shown(raw)}"
    if "table" in factor:
        table = factor["table"]
        try:
            listed = raw in table or str(raw) in table
        except TypeError:
            listed = False
        return said if listed else f"{said}, which the table does not list"
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return f"{said}, not a number"
    steps = [step["min"] for step in factor.get("steps", []) if float(step["min"]) <= raw]
    if not steps:
        return f"{said}, below every step"
    return f"{said} (step ≥ {_shown(max(steps, key=float))})"


def explain(escalation: Escalation, result: Score, policy: Policy) -> list[str]:
    """The score in sentences a steering committee can check with a calculator."""
    factors = {str(factor["id"]): factor for factor in policy.scoring.get("factors", [])}
    lines = []
    for term in result.factors:
        factor = factors.get(term.factor, {"field": term.factor})
        name = result.names.get(term.factor, term.factor)
        words = _input_words(factor, result.inputs.get(term.factor))
        lines.append(
            f"{name}: {words} → {term.value:.2f} × weight {term.weight:g} = "
            f"{_number(term.points)} points"
        )
    addends = " + ".join(_number(term.points) for term in result.factors) or "0"
    lines.append(f"Sum: {addends} = {_number(result.weighted_sum)} points")
    floor = result.floor
    if floor is None:
        lines.append("No impact flag sets a floor.")
    else:
        reason = " ".join(floor.reason.split())
        because = f" ({reason})" if reason else ""
        if result.floored:
            lines.append(
                f"{floor.flag} flag raises the score to at least {floor.min_score:g}{because}"
            )
        else:
            lines.append(
                f"{floor.flag} flag sets a floor of {floor.min_score:g}{because}; "
                f"the sum {_number(result.weighted_sum)} is already at or above it"
            )
    before = max(result.weighted_sum, floor.min_score if floor else 0.0)
    if before != result.total:
        lines.append(f"Rounded half up: {_number(before)} → {result.total}")
    band = _band(policy, result.priority)
    minimum = f" (≥ {float(band['min']):g})" if band is not None else ""
    lines.append(
        f"score {result.total} → band {result.priority or 'none'}{minimum}: "
        f"involve {result.involve or 'nobody in particular'}"
    )
    level = escalation.state.level
    if result.involve and policy.level_rank(level) < policy.level_rank(result.involve):
        lines.append(f"The case is at {level}, below {result.involve}: raise it.")
    elif result.involve:
        lines.append(f"The case is at {level}: {result.involve} or above is involved.")
    return lines


def _band(policy: Policy, priority: str) -> Mapping[str, Any] | None:
    for band in policy.scoring.get("bands", []):
        if str(band["priority"]) == priority:
            return dict(band)
    return None


def score_json(escalation: Escalation, result: Score, policy: Policy) -> dict[str, Any]:
    """The `score ID --format json` document (contract keys first, then extras)."""
    floor = result.floor
    factors = {str(factor["id"]): factor for factor in policy.scoring.get("factors", [])}
    return {
        "id": escalation.id,
        "score": result.total,
        "priority": result.priority,
        "involve": result.involve,
        "factors": [
            {
                "factor": term.factor,
                "weight": term.weight,
                "value": term.value,
                "points": term.points,
                "name": result.names.get(term.factor, term.factor),
                "field": factors.get(term.factor, {}).get("field"),
                "input": result.inputs.get(term.factor),
            }
            for term in result.factors
        ],
        "floor": None
        if floor is None
        else {
            "flag": floor.flag,
            "min_score": floor.min_score,
            "reason": " ".join(floor.reason.split()),
            "applied": result.floored,
        },
        "weighted_sum": result.weighted_sum,
        "band": _band(policy, result.priority),
        "severity": escalation.state.severity,
        "level": escalation.state.level,
    }


def _require_scoring(policy: Policy) -> None:
    from ..errors import PolicyError

    if not policy.usable("scoring"):
        raise PolicyError(
            "policy/scoring.yaml has errors; run `escalate validate` and fix them first",
            path=policy.file("scoring"),
            rule="policy/unusable",
        )


@score.command(_BY_ID, cls=_ByIdCommand, hidden=True)
@click.argument("escalation_id", metavar="ID")
@click.option("--explain", "explain_terms", is_flag=True, help="Show every term in words.")
@format_option("text", "json")
@click.pass_obj
def score_one(ctx: Context, escalation_id: str, explain_terms: bool, output_format: str) -> None:
    """Score one escalation: its score, band (priority) and the level to involve."""
    from ..edits import loaded_record
    from ..scoring import score as compute

    repo = ctx.repo()
    _require_scoring(repo.policy)
    escalation = loaded_record(repo, escalation_id)
    result = compute(escalation, repo.policy)
    if output_format == "json":
        view = score_json(escalation, result, repo.policy)
        if explain_terms:
            view["explain"] = explain(escalation, result, repo.policy)
        echo_json(view)
        return
    click.echo(
        f"{escalation.id}  score {result.total}  {result.priority or '-'}  "
        f"involve {result.involve or '-'}  {escalation.title}"
    )
    if explain_terms:
        for line in explain(escalation, result, repo.policy):
            click.echo(f"  {line}")


# --- score calibrate -------------------------------------------------------------------------


def _calibration_text(report: Calibration) -> list[str]:
    from ..calibration import BUCKET_POINTS, sparkline

    lines = [
        f"Score distribution per severity: {report.records} records"
        + (f", drills excluded ({report.drills})" if report.drills else "")
        + f"; one column per {BUCKET_POINTS} points, 0 at the left, 100 at the right"
    ]
    scale = max((max(dist.histogram) for dist in report.distributions), default=0)
    width = max((len(dist.severity) for dist in report.distributions), default=8)
    lines.append(f"  {'':<{width}}  {'n':>3}  {'min':>4}  {'median':>6}  {'max':>4}  expects")
    for dist in report.distributions:
        expected = report.expected.get(dist.severity, "-")
        lines.append(
            f"  {dist.severity:<{width}}  {dist.count:>3}  {dist.minimum:>4}  "
            f"{dist.median:>6g}  {dist.maximum:>4}  {expected:<7}  "
            f"▕{sparkline(dist.histogram, scale)}▏"
        )
    pairs = ", ".join(f"{severity} ↔ {band}" for severity, band in report.expected.items())
    lines.append(
        f"Expected bands: {pairs or 'none'} (severities in policy/severity.yaml order against "
        "bands from the highest min down)"
    )
    lines.append("")
    if not report.disagreements:
        lines.append("No record's band disagrees with its severity or its outcome.")
    else:
        lines.append(f"Records whose band disagrees ({len(report.disagreements)}):")
        for entry in report.disagreements:
            lines.append(
                f"  {entry.escalation.id}  {entry.severity}  {entry.result.total:>3} "
                f"{entry.result.priority}  {'; '.join(entry.reasons)}"
            )
    lines.extend(f"note: {note}" for note in report.notes)
    return lines


@score.command("calibrate")
@now_option("The instant resolve clocks are measured at (default: the current time).")
@format_option("text", "json")
@click.pass_obj
def calibrate(ctx: Context, now: datetime, output_format: str) -> None:
    """Score every non-drill record: distribution per severity, and the disagreements.

    A record disagrees when its band is not the one its severity expects (sev1 ↔ P1 …, by
    position), or when it is in the lower half of the bands (P3/P4) yet reached L4/L5, was
    reclassified upward, or missed its resolve target.
    """
    from ..calibration import calibrate as run

    repo = ctx.repo()
    _require_scoring(repo.policy)
    report = run(repo.escalations.values(), repo.policy, now)
    if output_format == "json":
        echo_json(report.as_json())
        return
    click.echo("\n".join(_calibration_text(report)))
