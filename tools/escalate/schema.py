"""JSON Schemas: where they live, how they are compiled, and how their errors read.

The repository's own `schema/` wins over the copies shipped with the package, so a team can
extend a schema without forking the tool. Each schema is compiled twice, lazily: a
`jsonschema-rs` validator answers the common question "is this valid?" in microseconds, and
only for a file that is not does `jsonschema` walk it to collect *every* error with its path.
Format checks (date-time, date) really run in both.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import Finding, PolicyError
from .yamlio import pointer

KINDS = (
    "escalation",
    "postmortem",
    "severity",
    "matrix",
    "scoring",
    "calendars",
    "roster",
    "publishing",
    "volumes",
)

_TZ_RE = re.compile(r"(Z|z|[+-]\d\d:?\d\d)$")
_DATE_TIME_RE = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?(Z|z|[+-]\d\d:\d\d)")


def is_date_time(value: object) -> bool:
    """RFC 3339 date-time with a required offset, and a real calendar date and time."""
    if not isinstance(value, str):
        return True  # formats apply to strings only; `type` reports the rest
    if not _DATE_TIME_RE.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False
    return True


def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def builtin_schema_dir() -> Path:
    """The schemas shipped with the package, or the source tree's `schema/` in a checkout."""
    packaged = resources.files("escalate").joinpath("_schema")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schema"


@dataclass
class CompiledSchema:
    kind: str
    path: Path
    document: dict[str, Any]
    digest: str

    @cached_property
    def fast(self) -> Any:
        """A compiled validator for the common question "is this valid?" (jsonschema-rs)."""
        import jsonschema_rs  # imported here: `escalate --help` must stay light

        # Our own format functions, so that the fast and the full validator agree on every
        # timestamp (jsonschema-rs alone would take 23:59:60 and refuse a space for the T).
        return jsonschema_rs.validator_for(
            self.document,
            formats={"date-time": is_date_time, "date": is_date},
            validate_formats=True,
        )

    @cached_property
    def full(self) -> Any:
        from jsonschema import Draft202012Validator, FormatChecker

        checker = FormatChecker(formats=())
        checker.checks("date-time")(is_date_time)
        checker.checks("date")(is_date)
        return Draft202012Validator(self.document, format_checker=checker)

    def is_valid(self, instance: Any) -> bool:
        return bool(self.fast.is_valid(instance))

    def errors(self, instance: Any, file: str) -> list[Finding]:
        """Every schema error of one instance, as findings without line numbers yet."""
        if self.is_valid(instance):
            return []
        findings: list[Finding] = []
        for error in self.full.iter_errors(instance):
            findings.extend(_describe(error, file))
        if not findings:  # the two validators disagree; trust the stricter one's verdict
            findings.append(
                Finding(file=file, rule="schema", message=f"does not match {self.kind} schema")
            )
        return sorted(set(findings))


@dataclass
class SchemaStore:
    """Finds and compiles the schema of each kind once per run."""

    repo_dir: Path | None = None
    _compiled: dict[str, CompiledSchema] = field(default_factory=dict)

    def path(self, kind: str) -> Path:
        name = f"{kind}.schema.json"
        if self.repo_dir is not None:
            local = self.repo_dir / "schema" / name
            if local.is_file():
                return local
        return builtin_schema_dir() / name

    def get(self, kind: str) -> CompiledSchema:
        if kind not in self._compiled:
            path = self.path(kind)
            try:
                raw = path.read_bytes()
                document = json.loads(raw)
            except (OSError, ValueError) as exc:
                raise PolicyError(
                    f"cannot load the {kind} schema: {exc}", path=str(path), rule="schema-file"
                ) from None
            import hashlib

            digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
            self._compiled[kind] = CompiledSchema(kind, path, document, digest)
        return self._compiled[kind]

    def digest(self, kinds: Iterable[str] = KINDS) -> str:
        return ",".join(self.get(kind).digest for kind in kinds)


# --- error messages ----------------------------------------------------------------------

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "nothing",
}


def _type_of(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "nothing (empty)"
    return "a number"


def _expected(schema_type: object) -> str:
    if isinstance(schema_type, list):
        return " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in schema_type)
    return _TYPE_NAMES.get(str(schema_type), str(schema_type))


def suggest(word: str, choices: Iterable[str]) -> str:
    """'; did you mean X?' when a choice is close to the word, else ''."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def _describe(error: Any, file: str) -> list[Finding]:
    where = pointer(error.absolute_path)
    kind = error.validator
    value = error.instance
    schema = error.schema

    def finding(message: str, at: str = where, rule: str = f"schema/{kind}") -> Finding:
        return Finding(file=file, pointer=at, rule=rule, message=message)

    if kind == "additionalProperties" and isinstance(value, Mapping):
        known = set(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        extra = [
            key for key in value if key not in known and not any(p.search(key) for p in patterns)
        ]
        return [
            finding(
                f"unknown key {key!r}{suggest(key, known) or '; allowed: ' + ', '.join(sorted(known))}",
                at=f"{where}/{key}",
                rule="schema/unknown-key",
            )
            for key in extra
        ]
    if kind == "required":
        missing = [key for key in error.validator_value if key not in value]
        return [finding(f"missing required key {key!r}", rule="schema/required") for key in missing]
    if kind == "type":
        return [finding(f"expected {_expected(error.validator_value)}, found {_type_of(value)}")]
    if kind == "enum":
        options = ", ".join(str(option) for option in error.validator_value)
        hint = suggest(str(value), [str(o) for o in error.validator_value])
        return [finding(f"{value!r} is not one of {options}{hint}")]
    if kind == "format":
        fmt = error.validator_value
        if fmt == "date-time" and isinstance(value, str):
            if not _TZ_RE.search(value):
                return [
                    finding(
                        f"timestamp {value!r} has no timezone; add the offset, "
                        "e.g. 2026-11-20T09:12:00+01:00 or ...Z",
                        rule="timezone",
                    )
                ]
            return [
                finding(
                    f"{value!r} is not a real date and time (RFC 3339, e.g. "
                    "2026-11-20T09:12:00+01:00)",
                    rule="schema/date-time",
                )
            ]
        if fmt == "date":
            return [finding(f"{value!r} is not a real date (YYYY-MM-DD)", rule="schema/date")]
        return [finding(f"{value!r} is not a valid {fmt}")]
    if kind == "pattern":
        description = schema.get("description")
        hint = f" ({description})" if description else ""
        return [finding(f"{value!r} does not have the expected form{hint}")]
    if kind == "const":
        return [finding(f"must be {error.validator_value!r}")]
    if kind in {"anyOf", "oneOf"}:
        description = schema.get("description")
        hint = f": {description}" if description else ""
        meant = _meant_duration(value, error.validator_value)
        return [finding(f"{value!r} is not valid here{meant}{hint}")]
    return [finding(error.message)]


def _meant_duration(value: object, alternatives: object) -> str:
    """' (did you mean 15m?)' for `15 mins` where the alternatives' patterns take `15m`."""
    from .duration import suggest_duration

    suggestion = suggest_duration(value)
    if suggestion is None or not isinstance(alternatives, list):
        return ""
    patterns = [alt.get("pattern") for alt in alternatives if isinstance(alt, Mapping)]
    if any(isinstance(p, str) and re.search(p, suggestion) for p in patterns):
        return f" (did you mean {suggestion}?)"
    return ""
