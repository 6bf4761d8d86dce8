"""Priority scores: policy/scoring.yaml applied to one escalation, with every term kept.

score = Σ weight × value over the factors, raised to the highest floor among the record's
impact flags, rounded half up to a whole number, then looked up in the bands (the band with
the highest `min` that is <= the score). Each factor maps one field to a value in [0, 1] by
a `table` (exact value) or by `steps` (highest `min` <= the field's number); a missing field,
or a value the table does not list, scores 0. The field `severity` is the *current* severity,
after `reclassified` events.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .policy import Policy
from .records import Escalation

__all__ = ["Floor", "Score", "Term", "field_value", "score"]

_MISSING = object()


class Term(NamedTuple):
    """One factor's contribution: points = weight × value."""

    factor: str
    weight: float
    value: float
    points: float


@dataclass(frozen=True)
class Floor:
    """An impact flag that forces a minimum score."""

    flag: str
    min_score: float
    reason: str = ""


@dataclass(frozen=True)
class Score:
    total: int
    priority: str
    involve: str
    factors: list[Term]
    floor: Floor | None  # the highest floor among the record's flags, applied or not
    weighted_sum: float = 0.0
    inputs: Mapping[str, Any] = field(default_factory=dict)  # factor id -> the field's value
    names: Mapping[str, str] = field(default_factory=dict)  # factor id -> display name

    @property
    def floored(self) -> bool:
        """Whether the floor, not the factors, decided the score."""
        return self.floor is not None and self.floor.min_score > self.weighted_sum


def field_value(escalation: Escalation, path: str) -> Any:
    """The value a factor reads: `severity` is the derived one, anything else a dotted path."""
    if path == "severity":
        return escalation.state.severity
    current: Any = escalation.data
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def _factor_value(factor: Mapping[str, Any], raw: Any) -> float:
    if raw is None:
        return 0.0
    if "table" in factor:
        table = factor["table"]
        try:
            found = table.get(raw, table.get(str(raw), _MISSING))
        except TypeError:  # a list or mapping cannot be a table key
            return 0.0
        return 0.0 if found is _MISSING else float(found)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return 0.0
    best: tuple[float, float] | None = None
    for step in factor.get("steps", []):
        minimum = float(step["min"])
        if minimum <= raw and (best is None or minimum >= best[0]):
            best = (minimum, float(step["value"]))
    return best[1] if best else 0.0


def round_half_up(value: float) -> int:
    """72.5 -> 73 (Python's round() would give 72: banker's rounding surprises people)."""
    return math.floor(value + 0.5)


def score(escalation: Escalation, policy: Policy) -> Score:
    """Score one escalation with the policy's scoring model, keeping every term."""
    model = policy.scoring
    terms: list[Term] = []
    inputs: dict[str, Any] = {}
    names: dict[str, str] = {}
    for factor in model.get("factors", []):
        raw = field_value(escalation, str(factor["field"]))
        value = _factor_value(factor, raw)
        weight = float(factor["weight"])
        terms.append(Term(str(factor["id"]), weight, value, weight * value))
        inputs[str(factor["id"])] = raw
        names[str(factor["id"])] = str(factor.get("name", factor["id"]))
    weighted_sum = sum(term.points for term in terms)

    flags = set((escalation.data.get("impact") or {}).get("flags") or [])
    floor: Floor | None = None
    for entry in model.get("floors", []):
        if entry["flag"] in flags and (floor is None or entry["min_score"] > floor.min_score):
            floor = Floor(str(entry["flag"]), float(entry["min_score"]), entry.get("reason", ""))
    total = round_half_up(max(weighted_sum, floor.min_score if floor else 0.0))

    priority, involve = "", ""
    for band in sorted(model.get("bands", []), key=lambda band: -float(band["min"])):
        if float(band["min"]) <= total:
            priority, involve = str(band["priority"]), str(band["involve"])
            break
    return Score(total, priority, involve, terms, floor, weighted_sum, inputs, names)
