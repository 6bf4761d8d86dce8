"""The one home of YAML: a fast, safe loader with locations, and atomic writes.

Loading goes through libyaml's C composer with PyYAML's *base* resolver, then a small
constructor of our own. That gives us three things the stock `CSafeLoader` does not:

* YAML 1.2 core-schema scalars: `NO`, `on` and `17:00` stay strings (YAML 1.1 would make
  them `False`, `True` and 1020) and timestamps stay strings, so JSON Schema's `date-time`
  format checks what people wrote;
* duplicate mapping keys, foreign tags and alias bombs are errors with a line and column;
* about twice the speed, because plain scalars are resolved by a few string tests rather
  than by a regular expression per implicit type.

Locations are not kept on the fast path: `locate()` re-composes a failing file and finds
the line and column of a JSON pointer, which costs nothing for the files that are valid.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import ParseError

try:  # libyaml is the fast path; the pure-Python parser is a correct fallback.
    from yaml import CBaseLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import BaseLoader as _BaseLoader  # type: ignore[assignment]

# Bounds that keep hostile input from exhausting the machine. PyYAML's composer recurses
# once per nesting level and crashes the process (a segmentation fault, not an exception)
# at a few tens of thousands of levels, so nesting is measured before it composes the text.
MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000  # after alias expansion: what a consumer walking the data would visit
COMPOSE_SAFE_DEPTH = 1_000  # levels PyYAML's recursive composer takes without harm (tested)
_TOO_DEEP = f"collections nested deeper than {MAX_DEPTH} levels; flatten the data"
_COLLECTION_START = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_COLLECTION_END = (yaml.SequenceEndEvent, yaml.MappingEndEvent)

_STR = "tag:yaml.org,2002:str"
# What our resolver tags an untagged plain scalar with, so that `5` (a number) and `!!str 5`
# (text, by the author's explicit wish) stay apart: the base resolver tags both str.
_PLAIN = "tag:escalate,2026:plain"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT_RE = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOATS = {
    ".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
    "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
    "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}  # fmt: skip
# The first characters a plain scalar can have if it is anything but a string.
_NON_STRING_START = frozenset("0123456789+-.~nNtTfF")


class _Loader(_BaseLoader):
    """libyaml's parser and composer with a resolver that only tells plain from tagged."""

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return _SEQ if kind is SequenceNode else _MAP


def decode(raw: bytes, path: str) -> str:
    """Bytes to text: UTF-8 only, a byte-order mark tolerated, a bad byte located."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        # Columns count characters, as YAML marks do; the bytes before the bad one are valid.
        column = len(raw[line_start : exc.start].decode("utf-8")) + 1
        raise ParseError(
            f"invalid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            path=path,
            line=line,
            column=column,
            rule="encoding",
        ) from None


def read(path: str | Path, display: str | None = None) -> str:
    """Read a YAML or Markdown file as text, with the checks every file gets."""
    shown = display or str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ParseError(f"cannot read: {exc.strerror}", path=shown, rule="io") from None
    if len(raw) > MAX_BYTES:
        raise ParseError(
            f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB; split it",
            path=shown,
            rule="size",
        )
    return decode(raw, shown)


def _nesting_bound(text: str) -> int:
    """An upper bound on the nesting depth of text, found without parsing it.

    Every collection starts at one of these characters (`[`, `{`, a `-` or `?` indicator,
    the `:` of a mapping's first key) and each character starts at most one, so their count
    bounds the depth. Counting them in text, comments and timestamps only overcounts.
    """
    return sum(text.count(char) for char in "[{-:?")


def _check_nesting(text: str, path: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before the composer recurses through it.

    PyYAML's C composer recurses once per level with no limit of its own, and builds of
    libyaml older than 0.2.6 accept any depth, so 30,000 levels (60 KB of `[` or `- `)
    crash the process. libyaml's event parser keeps its own stack, so counting its events
    is safe at any depth. Below COMPOSE_SAFE_DEPTH the composer is safe and the
    constructor enforces MAX_DEPTH, so ordinary files skip the scan.
    """
    if _nesting_bound(text) <= COMPOSE_SAFE_DEPTH:
        return
    mark = _first_too_deep(text)
    if mark is not None:
        raise ParseError(
            _TOO_DEEP, path=path, line=mark.line + 1, column=mark.column + 1, rule="depth"
        )


def _first_too_deep(text: str) -> Any:
    """The mark (C or Python parser's own class) where the first collection deeper than
    MAX_DEPTH starts, found by counting parse events; None when there is none."""
    parser = _Loader(text)
    depth = -1  # the depth of the collection just started; the top one is 0, as when built
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, _COLLECTION_START):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark
            elif isinstance(event, _COLLECTION_END):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # libyaml 0.2.6 stops at 1,000 levels while its scanner looks ahead for a possible
        # key, before any event of that line is out. The text before the stop nests less,
        # so counting its events finds the level that is too deep.
        stop = exc.problem_mark
        if stop is not None and "nesting depth" in (exc.problem or "") and stop.index > 0:
            return _first_too_deep(text[: stop.index])
        return None  # not YAML: the composer reports where, well within a safe depth
    finally:
        parser.dispose()
    return None


def _mark_error(exc: yaml.MarkedYAMLError, text: str, path: str) -> ParseError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    hint = ""
    line_text = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
    if "\t" in line_text[: len(line_text) - len(line_text.lstrip())]:
        hint = "; indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        hint = "; quote the value if it contains ': '"
    elif "could not find expected ':'" in problem:
        hint = "; a key needs a ':' after it (or quote the text)"
    return ParseError(
        f"invalid YAML: {problem}{hint}",
        path=path,
        line=mark.line + 1 if mark else 0,
        column=mark.column + 1 if mark else 0,
        rule="yaml",
    )


def compose(text: str, path: str) -> Node | None:
    """Parse text into a node tree (with marks); ParseError on anything that is not YAML."""
    _check_nesting(text, path)
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _mark_error(exc, text, path) from None
    except yaml.YAMLError as exc:  # pragma: no cover - libyaml reports marks for all we know
        raise ParseError(f"invalid YAML: {exc}", path=path, rule="yaml") from None
    except RecursionError:
        raise ParseError(
            "YAML nested too deeply; flatten the data", path=path, rule="depth"
        ) from None
    finally:
        loader.dispose()


def _node_error(node: Node, path: str, message: str, rule: str) -> ParseError:
    return ParseError(
        message,
        path=path,
        line=node.start_mark.line + 1,
        column=node.start_mark.column + 1,
        rule=rule,
    )


class _Constructor:
    """Nodes to plain Python data (dict, list, str, int, float, bool, None)."""

    __slots__ = ("expanded", "memo", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.expanded = 0
        # Aliased nodes are built once; their expanded size is still charged at each use,
        # because that is what anything walking the result (a schema validator) will pay.
        self.memo: dict[int, tuple[Any, int]] = {}

    def build(self, node: Node, depth: int = 0) -> Any:
        value, _ = self._build(node, depth)
        return value

    def _charge(self, size: int, node: Node) -> None:
        self.expanded += size
        if self.expanded > MAX_NODES:
            raise _node_error(
                node,
                self.path,
                f"aliases expand to more than {MAX_NODES:,} values; remove the anchors",
                "alias-bomb",
            )

    def _build(self, node: Node, depth: int) -> tuple[Any, int]:
        key = id(node)
        seen = self.memo.get(key)
        if seen is not None:
            self._charge(seen[1], node)
            return seen
        if depth > MAX_DEPTH:
            raise _node_error(node, self.path, _TOO_DEEP, "depth")
        if isinstance(node, ScalarNode):
            result: tuple[Any, int] = (self._scalar(node), 1)
            self._charge(1, node)
        elif isinstance(node, MappingNode):
            result = self._mapping(node, depth)
        else:
            assert isinstance(node, SequenceNode)
            result = self._sequence(node, depth)
        self.memo[key] = result
        return result

    def _scalar(self, node: ScalarNode) -> Any:
        value: str = node.value
        tag = node.tag
        if tag == _PLAIN:
            if not value:
                return None
            if value[0] not in _NON_STRING_START:
                return value
            return _resolve_plain(value)
        if tag == _STR:  # quoted, block, or tagged !!str: text as written
            return value
        if tag == _INT:
            try:
                return int(value, 0) if value[:2] in ("0o", "0x") else int(value)
            except ValueError:
                raise _node_error(
                    node, self.path, f"!!int {value!r} is not an integer", "tag"
                ) from None
        if tag == _FLOAT:
            try:
                return float(value)
            except ValueError:
                raise _node_error(
                    node, self.path, f"!!float {value!r} is not a number", "tag"
                ) from None
        if tag == _BOOL and value in _BOOLS:
            return _BOOLS[value]
        if tag == _NULL and value in _NULLS:
            return None
        raise _node_error(node, self.path, f"the tag {tag} is not allowed here; remove it", "tag")

    def _mapping(self, node: MappingNode, depth: int) -> tuple[dict[Any, Any], int]:
        if node.tag != _MAP:
            raise _node_error(node, self.path, f"the tag {node.tag} is not allowed here", "tag")
        result: dict[Any, Any] = {}
        size = 1
        self._charge(1, node)
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode:
                raise _node_error(key_node, self.path, "a mapping key must be a plain value", "key")
            key = self._scalar(key_node)
            if key == "<<" and key_node.tag == _PLAIN:
                raise _node_error(
                    key_node,
                    self.path,
                    "merge keys (<<) are not supported; write the keys out",
                    "merge-key",
                )
            if not isinstance(key, str):
                key = key_node.value  # keys are names: `1:` and `yes:` mean the text
            if key in result:
                raise _node_error(
                    key_node,
                    self.path,
                    f"duplicate key {key!r}; a key may appear once in a mapping",
                    "duplicate-key",
                )
            value, child = self._build(value_node, depth + 1)
            result[key] = value
            size += child + 1
        return result, size

    def _sequence(self, node: SequenceNode, depth: int) -> tuple[list[Any], int]:
        if node.tag != _SEQ:
            raise _node_error(node, self.path, f"the tag {node.tag} is not allowed here", "tag")
        self._charge(1, node)
        items = []
        size = 1
        for child in node.value:
            value, child_size = self._build(child, depth + 1)
            items.append(value)
            size += child_size
        return items, size


def _resolve_plain(value: str) -> Any:
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return _BOOLS[value]
    if _INT_RE.fullmatch(value):
        return int(value, 0) if value[:2] in ("0o", "0x") else int(value)
    if _FLOAT_RE.fullmatch(value):
        return float(value)
    special = _SPECIAL_FLOATS.get(value)
    if special is not None:
        return special
    return value


def load(text: str, path: str) -> Any:
    """Parse one YAML document into plain data; an empty document is None."""
    node = compose(text, path)
    if node is None:
        return None
    return _Constructor(path).build(node)


def load_file(path: str | Path, display: str | None = None) -> Any:
    shown = display or str(path)
    return load(read(path, shown), shown)


# --- locations ---------------------------------------------------------------------------


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def pointer(parts: Iterator[Any] | list[Any] | tuple[Any, ...]) -> str:
    """A JSON pointer (RFC 6901) from path parts."""
    return "".join("/" + _escape(str(part)) for part in parts)


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def compose_quiet(text: str) -> Node | None:
    """The node tree of text for locating findings; None if it is empty or not YAML."""
    try:
        return compose(text, "")
    except ParseError:
        return None


def locate_in(root: Node, json_pointer: str, *, key: bool = False) -> tuple[int, int]:
    """Line and column (1-based) of the value at a JSON pointer, or of its key with `key`.

    When the pointer goes further than the data (a missing key), the nearest existing
    parent is located, which is where the fix goes.
    """
    where: Node = root
    parts = [_unescape(p) for p in json_pointer.split("/")[1:]] if json_pointer else []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if isinstance(where, MappingNode):
            for key_node, value_node in where.value:
                if isinstance(key_node, ScalarNode) and key_node.value == part:
                    where = key_node if (last and key) else value_node
                    break
            else:
                break
        elif isinstance(where, SequenceNode) and part.isdigit() and int(part) < len(where.value):
            where = where.value[int(part)]
        else:
            break
    return (where.start_mark.line + 1, where.start_mark.column + 1)


def locate(text: str, json_pointer: str, *, key: bool = False) -> tuple[int, int]:
    """Line and column of a JSON pointer in text; (0, 0) when the text is not YAML."""
    root = compose_quiet(text)
    if root is None:
        return (0, 0) if text.strip() else (1, 1)
    return locate_in(root, json_pointer, key=key)


# --- writing -----------------------------------------------------------------------------


def atomic_write(path: str | Path, text: str) -> None:
    """Replace a file's content all at once: a crash leaves the old file or the new one."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@contextmanager
def directory_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on a directory while its files are read, checked and replaced.

    The lock is `flock` on the directory's own descriptor: no lock file appears in the
    work tree, and the kernel drops the lock when the process ends, however it ends. Every
    tool edit of a record takes it, so two edits started together run one after the other
    and the second one sees the first one's event. Where `flock` is missing, nothing is
    locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
