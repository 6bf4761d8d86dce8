"""What every command shares: the context, option types, and the one error boundary."""

from __future__ import annotations

import os
import sys
import traceback as traceback_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from ..repo import Derivation, Repo

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130


@dataclass
class Context:
    repo_dir: str | None = None
    use_cache: bool = True
    traceback: bool = False
    _repo: Repo | None = field(default=None, repr=False)

    def root(self) -> Path:
        from ..errors import UsageError
        from ..repo import find_root

        if self.repo_dir is not None:
            root = Path(self.repo_dir)
            if not (root / "policy").is_dir():
                raise UsageError(
                    f"--repo {self.repo_dir}: no policy/ directory there; "
                    "point --repo at a playbook repository"
                )
            return root.resolve()
        found = find_root(Path.cwd())
        if found is None:
            raise UsageError(
                "not inside a playbook repository (no policy/ directory here or above); "
                "cd into one or pass --repo DIR"
            )
        return found

    def repo(self, *, derive: Sequence[Derivation] = ()) -> Repo:
        """The repository, loaded once per command (`derive`: see `Repo.load`)."""
        if self._repo is None:
            from ..repo import Repo

            self._repo = Repo.load(self.root(), use_cache=self.use_cache, derive=derive)
        return self._repo


class Instant(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """An RFC 3339 instant with a timezone (`2026-11-20T09:12:00+01:00`, `…Z`) or `now`."""

    name = "instant"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        if text == "now":
            return datetime.now(UTC)
        try:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            self.fail(
                f"{text!r} is not a time; write 2026-11-20T09:12:00+01:00 or ...Z", param, ctx
            )
        if parsed.tzinfo is None:
            self.fail(f"{text!r} has no timezone; add an offset such as +01:00 or Z", param, ctx)
        return parsed


INSTANT = Instant()


F = TypeVar("F", bound=Callable[..., Any])


def now_option(
    help_text: str = "The instant to compute for (default: the current time).",
) -> Callable[[F], F]:
    return click.option(
        "--now",
        type=INSTANT,
        default=lambda: os.environ.get("ESCALATE_NOW") or "now",
        show_default="now, or $ESCALATE_NOW",
        help=help_text,
    )


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def run_guarded(command: click.Command, args: list[str]) -> int:
    """Run a command; map every outcome to one of the documented exit codes."""
    from ..errors import EscalateError, UsageError

    try:
        result = command.main(args=args, prog_name="escalate", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except UsageError as exc:
        click.echo(f"escalate: {exc}", err=True)
        return EXIT_USAGE
    except EscalateError as exc:
        click.echo(f"escalate: {exc}", err=True)
        return EXIT_FINDINGS
    except Exception as exc:
        if "--traceback" in args:
            traceback_module.print_exc()
        click.echo(
            f"escalate: unexpected error: {type(exc).__name__}: {exc}\n"
            "This is a bug in escalate; rerun with --traceback and include the output "
            "when you report it.",
            err=True,
        )
        return EXIT_UNEXPECTED
    return int(result or 0)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def echo_json(value: Any, *, indent: bool = True) -> None:
    """Write a command's JSON output: UTF-8, indented by two spaces unless `indent` is False.

    orjson, because `sla check` writes megabytes of it and json's encoder took a tenth of a
    second per 14 MB. The output is the same JSON (numbers, key order, text), compact or
    indented as json.dumps would, but never escapes non-ASCII text.
    """
    import orjson

    options = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    click.echo(orjson.dumps(value, option=options))  # bytes: written as they are
