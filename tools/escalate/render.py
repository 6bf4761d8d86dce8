"""The one home of Jinja2: the template environment, its filters, and clean errors.

Templates are Jinja2 with `StrictUndefined` (a misspelt variable is an error, not an empty
string) and `keep_trailing_newline`. A repository's own `templates/<name>.j2` wins over the
built-in one. Every failure (bad syntax in a repository's override, an unknown variable) is
a `TemplateError` naming the template file and line, never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .edits import yaml_scalar
from .errors import EscalateError

if TYPE_CHECKING:
    from jinja2 import Environment


class TemplateError(EscalateError):
    """A template that cannot be rendered: bad syntax, an unknown variable, bad output."""

    rule = "template"


def builtin_template_dir() -> Path:
    return Path(__file__).resolve().parent / "templates"


# --- filters ------------------------------------------------------------------------------------

# Markdown's inline markup characters; `_` only where it could start or end emphasis.
_MD_SPECIAL = re.compile(r"([\\`*\[\]|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_MD_BLOCK_START = re.compile(r"^([#>+=-]|\d+[.)])")


def markdown_text(value: object) -> str:
    """Text for a Markdown paragraph: shown as written, never as markup or HTML."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # A paragraph that starts like a heading, quote or list item must not become one.
    match = _MD_BLOCK_START.match(text)
    if match is not None:
        token = match.group(1)
        text = (token[:-1] + "\\" + token[-1] if len(token) > 1 else "\\" + token) + text[
            len(token) :
        ]
    return text


def markdown_cell(value: object) -> str:
    """Text for a Markdown table cell: one line, `|` escaped."""
    text = markdown_text(value) if value not in (None, "") else ""
    return text or " "


def environment(root: Path | None) -> Environment:
    """The Jinja2 environment: the repo's templates/ first, then the built-in ones."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    paths = [str(builtin_template_dir())]
    if root is not None and (root / "templates").is_dir():
        paths.insert(0, str(root / "templates"))
    env = Environment(
        loader=FileSystemLoader(paths),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML and Markdown: the filters below do the escaping
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["yaml"] = yaml_scalar
    env.filters["md"] = markdown_text
    env.filters["cell"] = markdown_cell
    env.filters["flow"] = lambda values: "[" + ", ".join(yaml_scalar(v) for v in values) + "]"
    env.filters["slack"] = slack_text
    env.filters["oneline"] = lambda value: " ".join(str(value).split())
    return env


def slack_text(value: object) -> str:
    """Text for Slack mrkdwn: `&`, `<` and `>` are control characters there."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_template(env: Environment, name: str, values: Mapping[str, Any]) -> str:
    """Render one template; every Jinja failure becomes a TemplateError at file and line."""
    from jinja2 import TemplateError as JinjaError
    from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError

    try:
        template = env.get_template(name)
        rendered = template.render(values)
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"template syntax error: {exc.message}; fix the template",
            path=_shown(exc.filename or name),
            line=exc.lineno,
        ) from None
    except TemplateNotFound:
        raise TemplateError(
            f"no template {name}; add it under templates/ or restore the built-in one"
        ) from None
    except UndefinedError as exc:
        file, line = _template_frame(exc, name)
        raise TemplateError(
            f"{exc.message}; use one of the variables the comms templates get "
            "(see docs/playbook/communication.md)",
            path=file,
            line=line,
        ) from None
    except JinjaError as exc:
        file, line = _template_frame(exc, name)
        raise TemplateError(f"template error: {exc}", path=file, line=line) from None
    return rendered.strip("\n") + "\n"


def _shown(filename: str) -> str:
    """A template's path as the user wrote it: relative to the working directory if inside."""
    path = Path(filename)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return filename


def _template_frame(exc: BaseException, name: str) -> tuple[str, int]:
    """The template file and line a rendering error happened on (Jinja rewrites tracebacks)."""
    found = (name, 0)
    trace = exc.__traceback__
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (_shown(filename), trace.tb_lineno)
        trace = trace.tb_next
    return found
