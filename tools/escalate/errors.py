"""One exception hierarchy and one finding type for everything the core reports.

The core never prints or exits: it returns findings (for validation, where every problem of a
run is collected) or raises an `EscalateError` (for a command that cannot go on). Both carry
the file, line, column and JSON pointer, so every adapter can say where the problem is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Finding:
    """One problem found in one file: `path:line:column: pointer: message`."""

    file: str
    line: int = 0
    column: int = 0
    pointer: str = ""
    rule: str = ""
    message: str = field(default="", compare=False)
    severity: str = field(default="error", compare=False)  # "error" or "warning"

    def location(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        pointer = f" {self.pointer}:" if self.pointer else ""
        return f"{self.location()}:{pointer} {self.message}"

    def as_tuple(self) -> tuple[str, int, int, str, str, str, str]:
        """The fields in order, as plain data for the parse cache: `Finding(*t)` is the inverse."""
        return (
            self.file,
            self.line,
            self.column,
            self.pointer,
            self.rule,
            self.message,
            self.severity,
        )

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
            "rule": self.rule,
            "message": self.message,
        }


class EscalateError(Exception):
    """An error the user can fix; carries where it is and what to do about it."""

    rule = "error"

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int = 0,
        column: int = 0,
        pointer: str = "",
        rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.pointer = pointer
        if rule is not None:
            self.rule = rule

    def as_finding(self) -> Finding:
        return Finding(
            file=self.path or "",
            line=self.line,
            column=self.column,
            pointer=self.pointer,
            rule=self.rule,
            message=self.message,
        )

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        return str(self.as_finding())


class ParseError(EscalateError):
    """A file that cannot be read as YAML (or as front matter)."""

    rule = "parse"


class PolicyError(EscalateError):
    """Policy that cannot be used: an unknown zone, an inverted calendar range, a bad duration."""

    rule = "policy"


class RecordError(EscalateError):
    """A record the command cannot work on: unknown ID, impossible transition."""

    rule = "record"


class UsageError(EscalateError):
    """Arguments that do not make sense together (exit code 2 in the CLI)."""

    rule = "usage"
