"""Minimal text edits of records: appending a timeline event, replacing one scalar.

A record is edited as text, never re-dumped. The YAML is composed (which keeps every
node's position), the place to change is found in the node tree, and only the characters
there change: comments, blank lines, key order, quoting, unknown keys and line endings
stay exactly as people wrote them. Every edit is checked by loading the result and
comparing it with the data the edit meant to produce; a mismatch is a bug and raises
`EditBug` instead of returning a file that says something else.

`check_event` is the lifecycle side: it says whether an event may be appended to a record
(known people, levels and severities, time order, and the transitions `records.derive`
allows), and `prepare_event` puts both together for a record of a loaded `Repo`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import EscalateError, Finding, ParseError, RecordError
from .records import State, derive, parse_instant
from .schema import suggest
from .yamlio import compose, load

if TYPE_CHECKING:
    from .policy import Policy
    from .records import Escalation
    from .repo import Repo, SourceFile

BOM = "\ufeff"
# The keys of an event, in the order the tool writes them.
EVENT_KEYS = ("at", "event", "by", "level", "to", "severity", "reason", "channel", "text")
# What libyaml counts as a line break; marks count lines and columns by these.
_BREAKS = "\r\n\x85\u2028\u2029"
_BREAK_RE = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
# Characters that make a plain scalar mean something else somewhere in YAML; a value with
# any of them is written double-quoted even where plain would happen to work.
_INDICATORS = frozenset(",[]{}#&*!|>'\"%@`")
_NULL_WORDS = ("~", "null", "Null", "NULL")


class EditError(EscalateError):
    """A file whose layout the tool will not edit (it would have to change more)."""

    rule = "edit"


class EditBug(RuntimeError):
    """An edit that would not read back as intended: a bug in the tool, never written."""


# --- scalars -------------------------------------------------------------------------------


def _yaml_printable(char: str) -> bool:
    code = ord(char)
    return (
        char in "\t"
        or 0x20 <= code <= 0x7E
        or (0xA0 <= code <= 0xD7FF and code not in (0x2028, 0x2029))
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
        or 0x10000 <= code <= 0x10FFFF
    )


def _double_quoted(value: str) -> str:
    """A JSON string, which is a YAML double-quoted scalar, with YAML's breaks escaped too."""
    quoted = json.dumps(value, ensure_ascii=False)
    return "".join(
        char if _yaml_printable(char) or char in "\n" else f"\\u{ord(char):04x}" for char in quoted
    )


def is_plain_safe(value: str) -> bool:
    """Whether a string may be written unquoted, in block and in flow context alike."""
    if not value or value != value.strip() or any(c in _INDICATORS for c in value):
        return False
    if ": " in value or value.endswith(":") or value.startswith(("- ", "? ", "-\t", "?\t")):
        return False
    if any(not _yaml_printable(char) or char == "\t" for char in value):
        return False
    for probe in (f"k: {value}", f"{{k: {value}}}"):
        try:
            if load(probe, "") != {"k": value}:
                return False
        except ParseError:
            return False
    return True


def yaml_scalar(value: object) -> str:
    """A value as YAML text: plain when that reads back as the same string, else quoted.

    Numbers and booleans are written as YAML numbers and booleans; None as `null`.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return repr(value)
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise EditError(f"{text!r} cannot be written as UTF-8", rule="encoding") from None
    return text if is_plain_safe(text) else _double_quoted(text)


def flow_mapping(values: Mapping[str, object]) -> str:
    return "{" + ", ".join(f"{key}: {yaml_scalar(value)}" for key, value in values.items()) + "}"


def ordered_event(event: Mapping[str, str]) -> dict[str, str]:
    """An event's keys in the order the tool writes them; unknown keys last."""
    ordered = {key: event[key] for key in EVENT_KEYS if key in event}
    ordered.update({key: value for key, value in event.items() if key not in ordered})
    return ordered


# --- text helpers ----------------------------------------------------------------------------


def newline_of(text: str) -> str:
    """The line ending a file uses: that of its first line (LF for a one-line file)."""
    match = _BREAK_RE.search(text)
    return "\r\n" if match is not None and match.group() == "\r\n" else "\n"


def _line_start(text: str, index: int) -> int:
    start = index
    while start > 0 and text[start - 1] not in _BREAKS:
        start -= 1
    return start


def _after_line(text: str, index: int) -> int | None:
    """The index just past the line break that ends the line holding index; None at EOF."""
    match = _BREAK_RE.search(text, index)
    return match.end() if match is not None else None


def split_bom(text: str) -> tuple[str, str]:
    if text.startswith(BOM):
        return BOM, text[1:]
    return "", text


# --- appending an event ----------------------------------------------------------------------


def _root_mapping(text: str, path: str) -> MappingNode:
    root = compose(text, path)
    if not isinstance(root, MappingNode):
        raise EditError("the record is not a mapping of keys; fix it first", path=path)
    if root.flow_style:
        raise EditError(
            "the record is written as one {…} flow mapping; write it in block style to edit it",
            path=path,
        )
    return root


def _find_key(root: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    for key_node, value_node in root.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _last_content_end(text: str, node: Node) -> int:
    """The index just after the last character that belongs to node."""
    while True:
        if isinstance(node, MappingNode) and node.value and not node.flow_style:
            node = node.value[-1][1]
        elif isinstance(node, SequenceNode) and node.value and not node.flow_style:
            node = node.value[-1]
        else:
            break
    end: int = node.end_mark.index
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        header = re.match(r"[|>][0-9+-]*", text[node.start_mark.index :])
        if end >= len(text):
            return len(text)
        if header is not None and "+" in header.group():
            # Keep chomping: trailing blank lines are part of the value; stay after them
            # (the index of the break before the next line, so the insert lands after it).
            return _line_start(text, end) - 1
        end = _line_start(text, end)
        while end > node.start_mark.index and text[end - 1] in " \t" + _BREAKS:
            end -= 1
    elif isinstance(node, ScalarNode) and not node.value and not node.style:
        raise EditError("the last timeline event ends with an empty value; fill it in first")
    return end


def _item_prefix(text: str, sequence: SequenceNode, item: Node) -> tuple[str, str]:
    """The `  - ` before an item and the indentation of the lines that continue it."""
    start = item.start_mark.index
    line_start = _line_start(text, start)
    before = text[line_start:start]
    match = re.fullmatch(r"([ ]*)-([ \t]+)", before)
    if match is None:
        dash = " " * sequence.start_mark.column
        return dash + "- ", dash + "  "
    return before, " " * len(before)


def _render_item(event: Mapping[str, str], prefix: str, indent: str, block: bool, nl: str) -> str:
    if not block:
        return prefix + flow_mapping(event) + nl
    lines = [
        (prefix if index == 0 else indent) + f"{key}: {yaml_scalar(value)}"
        for index, (key, value) in enumerate(event.items())
    ]
    return nl.join(lines) + nl


def _insert_line(text: str, end: int, line: str, nl: str) -> str:
    """Insert a whole line after the line holding index end (after its comment, if any)."""
    after = _after_line(text, end)
    if after is None:  # the last line of a file without a final newline
        return text + nl + line[: -len(nl)]
    return text[:after] + line + text[after:]


def append_event(text: str, event: Mapping[str, str], path: str = "") -> str:
    """Text with one event appended to its timeline, in the style of the items before it.

    A leading byte-order mark and the line endings are kept. Raises EditError when the
    layout is one the tool will not edit, and EditBug when the result would not read back
    as the original data plus this event.
    """
    bom, body = split_bom(text)
    event = ordered_event(event)
    nl = newline_of(body)
    root = _root_mapping(body, path)
    found = _find_key(root, "timeline")
    if found is None:
        column = root.start_mark.column
        end = _last_content_end(body, root)
        item = _render_item(event, " " * column + "  - ", "", False, nl)
        edited = _insert_line(body, end, " " * column + "timeline:" + nl + item, nl)
    else:
        key, value = found
        if isinstance(value, SequenceNode) and value.value and value.flow_style:
            # timeline: [{…}, {…}] stays a flow sequence: `, {new}` after the last item.
            last_end = value.value[-1].end_mark.index
            edited = body[:last_end] + ", " + flow_mapping(event) + body[last_end:]
        elif isinstance(value, SequenceNode) and value.value:
            last = value.value[-1]
            prefix, indent = _item_prefix(body, value, last)
            block = isinstance(last, MappingNode) and not last.flow_style
            end = _last_content_end(body, last)
            edited = _insert_line(body, end, _render_item(event, prefix, indent, block, nl), nl)
        elif (isinstance(value, SequenceNode) and value.flow_style) or (
            isinstance(value, ScalarNode) and not value.style and value.value in ("", *_NULL_WORDS)
        ):
            edited = _open_empty_timeline(body, key, event, nl, path)
        else:
            raise EditError(
                "timeline is not a list of events; fix it before adding one",
                path=path,
                line=value.start_mark.line + 1,
                column=value.start_mark.column + 1,
                pointer="/timeline",
            )
    _check_append(body, edited, event, path)
    return bom + edited


def _open_empty_timeline(
    text: str, key: ScalarNode, event: Mapping[str, str], nl: str, path: str
) -> str:
    """`timeline: []` (or an empty `timeline:`) becomes a block list holding the event."""
    colon = text.find(":", key.end_mark.index)
    line_break = _BREAK_RE.search(text, colon)
    after = line_break.end() if line_break is not None else None
    line_end = line_break.start() if line_break is not None else len(text)
    rest = text[colon + 1 : line_end]
    match = re.fullmatch(r"([ \t]*)(\[[ \t]*\]|~|null|Null|NULL)?([ \t]*(?:#.*)?)", rest)
    if match is None:
        raise EditError(
            "cannot add to this timeline layout; write `timeline: []` on one line",
            path=path,
            line=key.start_mark.line + 1,
            pointer="/timeline",
        )
    lead, token, tail = match.groups()
    comment = tail if token else lead + tail
    key_line = text[: colon + 1] + (comment if comment.strip() else "")
    item = " " * key.start_mark.column + "  - " + flow_mapping(event)
    if after is None:
        return key_line + nl + item
    return key_line + nl + item + nl + text[after:]


def _check_append(before: str, after: str, event: Mapping[str, str], path: str) -> None:
    expected = load(before, path)
    expected = copy.deepcopy(expected)
    expected["timeline"] = [*(expected.get("timeline") or []), dict(event)]
    try:
        actual = load(after, path)
    except ParseError as exc:
        raise EditBug(f"{path}: appending the event would break the file ({exc})") from exc
    if actual != expected:
        raise EditBug(f"{path}: appending the event would change more than the timeline")


# --- replacing one scalar ----------------------------------------------------------------------


def _node_at(root: Node, json_pointer: str) -> Node | None:
    node: Node | None = root
    for part in json_pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, MappingNode):
            found = _find_key(node, part)
            node = found[1] if found else None
        elif isinstance(node, SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
        else:
            return None
    return node


def _rewrite_scalar(original: ScalarNode, value: str) -> str:
    """The new value in the quoting style of the old one, where that style can hold it."""
    if original.style == "'" and "\n" not in value and all(_yaml_printable(c) for c in value):
        return "'" + value.replace("'", "''") + "'"
    if original.style == '"':
        return _double_quoted(value)
    return yaml_scalar(value)


def replace_scalar(text: str, json_pointer: str, value: str, path: str = "") -> str:
    """Text with the scalar at a JSON pointer replaced by value; all else byte for byte."""
    bom, body = split_bom(text)
    root = compose(body, path)
    node = _node_at(root, json_pointer) if root is not None else None
    if not isinstance(node, ScalarNode) or node.style in ("|", ">"):
        raise EditError(f"no single-line value at {json_pointer}", path=path, pointer=json_pointer)
    start, end = node.start_mark.index, node.end_mark.index
    edited = body[:start] + _rewrite_scalar(node, value) + body[end:]
    expected = _set_pointer(load(body, path), json_pointer, value)
    if load(edited, path) != expected:
        raise EditBug(f"{path}: replacing {json_pointer} would change more than that value")
    return bom + edited


def _set_pointer(data: Any, json_pointer: str, value: str) -> Any:
    data = copy.deepcopy(data)
    parts = [p.replace("~1", "/").replace("~0", "~") for p in json_pointer.split("/")[1:]]
    target = data
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(parts[-1])] = value
    else:
        target[parts[-1]] = value
    return data


def replace_front_matter_scalar(text: str, json_pointer: str, value: str, path: str = "") -> str:
    """A Markdown file with one scalar of its YAML front matter replaced; all else kept."""
    bom, body = split_bom(text)
    match = re.match(r"---[ \t]*(\r\n|\n)", body)
    end = re.search(r"(\r\n|\n)---[ \t]*(\r\n|\n|$)", body)
    if match is None or end is None:
        raise EditError("the file has no YAML front matter between two '---' lines", path=path)
    front = body[match.end() : end.start() + len(end.group(1))]
    edited = replace_scalar(front, json_pointer, value, path)
    return bom + body[: match.end()] + edited + body[end.start() + len(end.group(1)) :]


# --- lifecycle ---------------------------------------------------------------------------------

DEFAULT_OPTION_NAMES = {key: key for key in EVENT_KEYS}


def _known(
    value: str, choices: Mapping[str, Any], what: str, where: str, option: str
) -> RecordError | None:
    if value in choices:
        return None
    hint = suggest(value, choices)
    if not hint and len(choices) <= 12:
        hint = f" (one of {', '.join(choices)})"
    return RecordError(
        f"{option} {value!r} is not a {what} in {where}{hint}", rule=f"unknown-{what}"
    )


def check_event(
    data: Mapping[str, Any],
    event: Mapping[str, str],
    policy: Policy,
    option_names: Mapping[str, str] = DEFAULT_OPTION_NAMES,
) -> State:
    """The state after appending event to a valid record; RecordError if it may not be.

    Checks that the people, level and severity it names exist, that it is not earlier than
    the last event or opened_at, and that the lifecycle allows it where the record stands.
    """
    for kind in ("roster", "matrix", "severity"):
        if not policy.usable(kind):
            raise RecordError(
                f"{policy.file(kind)} has errors, so events cannot be checked; "
                "run `escalate validate` and fix it first",
                rule="policy",
            )
    checks: list[tuple[str, Mapping[str, Any], str, str]] = [
        ("by", policy.people, "person", "policy/roster.yaml"),
        ("to", policy.people, "person", "policy/roster.yaml"),
        ("level", policy.levels, "level", "policy/matrix.yaml"),
        ("severity", policy.severities, "severity", "policy/severity.yaml"),
    ]
    for key, choices, what, where in checks:
        if key in event:
            unknown = _known(event[key], choices, what, where, option_names.get(key, key))
            if unknown is not None:
                raise unknown
    at = parse_instant(event["at"])
    at_option = option_names.get("at", "at")
    opened = parse_instant(data["opened_at"])
    if at < opened:
        raise RecordError(
            f"{at_option} {event['at']} is before the case was opened "
            f"({data['opened_at']}); give the time the event happened",
            rule="timeline/before-opened",
        )
    timeline = list(data.get("timeline") or [])
    if timeline:
        latest = max(timeline, key=lambda raw: parse_instant(raw["at"]))
        if at < parse_instant(latest["at"]):
            raise RecordError(
                f"{at_option} {event['at']} is earlier than the last event "
                f"({latest['event']} at {latest['at']}); events are appended in time order, "
                "so give a later time (or edit the timeline by hand and add a note saying why)",
                rule="timeline/order",
            )
    candidate = dict(data)
    candidate["timeline"] = [*timeline, dict(event)]
    state, problems = derive(candidate)
    mine = f"/timeline/{len(timeline)}/"
    for problem in problems:
        if problem.pointer.startswith(mine):
            # derive's sentence tells someone editing the file what to change in it; a
            # refused command needs the way out in commands instead.
            before, _ = derive(data)
            why = _refusal(event, before, option_names) or problem.message
            raise RecordError(
                f"{data['id']}: cannot add {event['event']}: {why}", rule=problem.rule
            )
    return state


def _refusal(
    event: Mapping[str, str], before: State, option_names: Mapping[str, str]
) -> str | None:
    """Why the lifecycle refuses an event where the case stands, and the command that fits.

    The conditions are those of `records.derive`, in its order; it has decided already that
    the event is refused, this only words it.
    """
    kind, status = event["event"], before.status
    finished = status in ("resolved", "closed")
    option = option_names.get
    if status == "closed" and kind not in ("note", "reopened"):
        return "the case is closed; only `escalate note` and `escalate reopen` can follow"
    if kind == "acknowledged":
        return (
            "the case is already acknowledged; "
            "to record more, use `escalate note` or `escalate update`"
        )
    if kind == "paused":
        if before.paused:
            return f"the case is already paused ({before.pause_reason}); `escalate resume` it first"
        return f"a {status} case cannot be paused; `escalate reopen` it first"
    if kind == "resumed":
        return "the case is not paused, so there is nothing to resume"
    if kind == "mitigated":
        if finished:
            return (
                f"the case is already {status}; a mitigation comes before the resolution "
                "(`escalate update` records more detail)"
            )
        return "the case is already mitigated; `escalate update` records more detail"
    if kind == "resolved":
        return f"the case is already {status}; if the fix did not hold, `escalate reopen` it first"
    if kind == "closed":
        return f"only a resolved case can be closed (it is {status}); `escalate resolve` it first"
    if kind == "reopened":
        return f"only a resolved or closed case can be reopened (it is {status})"
    if kind == "escalated":
        return (
            f"the case is already at {before.level}; give {option('level', 'level')} another level"
        )
    if kind == "assigned":
        return f"{before.owner} already owns the case; give {option('to', 'to')} someone else"
    if kind == "reclassified":
        return (
            f"the case is already {before.severity}; "
            f"give {option('severity', 'severity')} another severity"
        )
    return None


def describe_event(event: Mapping[str, str], before: State, policy: Policy) -> str:
    """A few words for what an event did: `escalated to L4`, `paused (waiting_on_vendor)`."""
    kind = event["event"]
    if kind == "assigned":
        return f"assigned to {event['to']}"
    if kind == "escalated":
        up = policy.level_rank(event["level"]) > policy.level_rank(before.level)
        handed = f", handed to {event['to']}" if "to" in event else ""
        return f"{'escalated' if up else 'de-escalated'} to {event['level']}{handed}"
    if kind == "reclassified":
        return f"reclassified as {event['severity']}"
    if kind == "paused":
        return f"paused ({event['reason']})"
    if kind == "customer_update":
        return "customer update"
    return kind


# --- git conflicts ----------------------------------------------------------------------------

# The marker lines git writes into a file it could not merge (7 characters, the default).
CONFLICT_MARKERS = re.compile(r"^(<{7}|\|{7}|={7}|>{7})(?: .*)?\r?$", re.MULTILINE)


def conflict_line(text: str) -> int | None:
    """The line of the first git conflict marker (<<<<<<< …) in text, or None."""
    match = re.search(r"^<{7}(?: .*)?\r?$", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match is not None else None


def conflict_advice(path: str, escalation_id: str, line: int) -> str:
    """What to do about a record git left with conflict markers."""
    return (
        f"{path} has git conflict markers (<<<<<<< at line {line}): two branches changed it; "
        f"if both took {escalation_id} for a new case, run `escalate renumber {escalation_id}` "
        "to keep one here and give the other its own ID, else keep both sides' lines and "
        "delete the markers"
    )


def conflict_refusal(repo: Repo, relative: str, escalation_id: str) -> RecordError | None:
    """The error to refuse a record file with git conflict markers with, or None."""
    try:
        text = (repo.root / relative).read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None
    line = conflict_line(text)
    if line is None:
        return None
    return RecordError(conflict_advice(relative, escalation_id, line), rule="git-conflict")


# --- records of a repository ---------------------------------------------------------------------


def record_sources(repo: Repo, escalation_id: str) -> list[SourceFile]:
    """The record files that carry this ID (or sit in its directory), valid or not."""
    found = []
    for source in repo.sources:
        if source.kind != "escalation":
            continue
        data_id = source.data.get("id") if isinstance(source.data, dict) else None
        directory = source.path.split("/")[-2] if source.path.count("/") >= 1 else ""
        if data_id == escalation_id or (data_id is None and directory == escalation_id):
            found.append(source)
    return found


def record_source(repo: Repo, escalation_id: str) -> SourceFile:
    """The one record file of an ID; RecordError when there is none or more than one."""
    found = record_sources(repo, escalation_id)
    if not found:
        ids = [
            str(s.data["id"])
            for s in repo.sources
            if s.kind == "escalation" and isinstance(s.data, dict) and "id" in s.data
        ]
        hint = suggest(escalation_id, ids) or "; `escalate status --all` lists them"
        raise RecordError(f"no escalation {escalation_id!r}{hint}", rule="unknown-id")
    if len(found) > 1:
        paths = " and ".join(s.path for s in found)
        raise RecordError(
            f"{escalation_id} is used by {paths}; run `escalate renumber {escalation_id}` first",
            rule="duplicate-id",
        )
    return found[0]


def loaded_record(repo: Repo, escalation_id: str) -> Escalation:
    """The escalation of an ID as the repository loaded it, for reading.

    RecordError when there is no record with the ID (with the close ones), when two files
    share it, or when its file exists but does not validate well enough to be read.
    """
    found = repo.escalations.get(escalation_id)
    if found is not None and len(record_sources(repo, escalation_id)) == 1:
        return found
    source = record_source(repo, escalation_id)  # no such ID, or a duplicate: says so
    conflicted = conflict_refusal(repo, source.path, escalation_id)
    if conflicted is not None:
        raise conflicted
    raise RecordError(
        f"{source.path} does not validate, so {escalation_id} cannot be read; "
        f"run `escalate validate {source.path}` and fix it first",
        rule="invalid-record",
    )


def file_errors(repo: Repo, relative: str) -> list[Finding]:
    """The validation errors of one file of the repository (cross-file checks included)."""
    from .validation import validate

    return validate(repo, [relative]).errors


def candidate_errors(repo: Repo, relative: str, kind: str, raw: bytes) -> list[Finding]:
    """The validation errors a file would have if it held raw (nothing is written)."""
    from .records import Escalation
    from .repo import parse_source

    source = parse_source(raw, relative, kind, repo.schemas)
    sources = [s for s in repo.sources if s.path != relative]
    sources.append(source)
    escalations = dict(repo.escalations)
    postmortems = dict(repo.postmortems)
    if kind == "escalation":  # what the file held before counts no more
        escalations = {k: v for k, v in escalations.items() if v.path != relative}
    if source.valid and kind == "escalation":
        escalation = Escalation.from_data(relative, source.data)
        escalations.setdefault(escalation.id, escalation)
    elif source.valid:
        postmortems.setdefault(str(source.data["id"]), source)
    candidate = replace(repo, sources=sources, escalations=escalations, postmortems=postmortems)
    return file_errors(candidate, relative)


def summarize(findings: Sequence[Finding], limit: int = 3) -> str:
    shown = "; ".join(
        (f"line {f.line}: " if f.line else "") + (f"{f.pointer}: " if f.pointer else "") + f.message
        for f in findings[:limit]
    )
    more = len(findings) - limit
    return shown + (f" (and {more} more)" if more > 0 else "")


@dataclass(frozen=True)
class EventEdit:
    """An event ready to be written: the new text of the record and what it leads to."""

    relative: str
    text: str
    event: Mapping[str, str]
    before: State
    after: State


def prepare_event(
    repo: Repo,
    escalation_id: str,
    raw: bytes,
    event: Mapping[str, str],
    option_names: Mapping[str, str] = DEFAULT_OPTION_NAMES,
) -> EventEdit:
    """Check an event against a record (its file's current bytes) and build the new text.

    Refuses (RecordError) an unknown or duplicated ID, a record whose bytes do not validate
    as they are, and any event `check_event` refuses. Raises EditBug if the edited
    record would not validate.
    """
    from .yamlio import decode

    source = record_source(repo, escalation_id)
    # The bytes given, not the copy loaded with the repository: under a lock they are the
    # file as it is now.
    line = conflict_line(raw.decode("utf-8", errors="replace"))
    if line is not None:
        raise RecordError(conflict_advice(source.path, escalation_id, line), rule="git-conflict")
    errors = candidate_errors(repo, source.path, "escalation", raw)
    if errors:
        raise RecordError(
            f"{source.path} does not validate, so the tool will not edit it: "
            f"{summarize(errors)}; run `escalate validate {source.path}` and fix it first",
            rule="invalid-record",
        )
    text = decode(raw, source.path)
    data = load(text, source.path)
    before, _ = derive(data)
    after = check_event(data, event, repo.policy, option_names)
    bom = BOM if raw.startswith(BOM.encode()) else ""
    edited = bom + append_event(text, event, source.path)
    problems = candidate_errors(repo, source.path, "escalation", edited.encode("utf-8"))
    if problems:
        raise EditBug(
            f"{source.path}: the edited record would not validate ({summarize(problems)}); "
            "the file was left unchanged"
        )
    return EventEdit(source.path, edited, ordered_event(event), before, after)


def instant_text(value: datetime) -> str:
    """An aware datetime as RFC 3339, to the second unless it has a fraction."""
    if value.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return value.isoformat(timespec="seconds" if not value.microsecond else "microseconds")
