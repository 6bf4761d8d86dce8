"""The YAML home: 1.2 scalars, refusals with locations, hostile input, locate(), atomic writes."""

from __future__ import annotations

import math
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from escalate import yamlio
from escalate.errors import ParseError


def load(text: str) -> Any:
    return yamlio.load(text, "t.yaml")


def refusal(text: str) -> ParseError:
    with pytest.raises(ParseError) as caught:
        load(text)
    return caught.value


# --- scalars: YAML 1.2 core schema ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # YAML 1.1 booleans, sexagesimals, dates and underscores are text in 1.2.
        ("NO", "NO"),
        ("no", "no"),
        ("yes", "yes"),
        ("Yes", "Yes"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("n", "n"),
        ("17:00", "17:00"),
        ("12:30:45", "12:30:45"),
        ("2026-01-01", "2026-01-01"),
        ("2026-11-20T09:12:00+01:00", "2026-11-20T09:12:00+01:00"),
        ("1_000", "1_000"),
        ("0b101", "0b101"),
        ("sev2", "sev2"),
        ("L4", "L4"),
        ("-x", "-x"),
        (".", "."),
        ("nULL", "nULL"),
        ("tRUE", "tRUE"),
        ("+", "+"),
        ("1.2.3", "1.2.3"),
        # Core-schema booleans and nulls.
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("FALSE", False),
        ("~", None),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        # Integers: 010 is decimal ten in 1.2 (octal needs 0o).
        ("010", 10),
        ("0", 0),
        ("-17", -17),
        ("+5", 5),
        ("0x1f", 31),
        ("0o17", 15),
        # Floats.
        ("1.5", 1.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("-2.5e3", -2500.0),
        ("1e3", 1000.0),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("+.INF", math.inf),
    ],
)
def test_plain_scalar(text: str, expected: object) -> None:
    value = load(f"key: {text}\n")["key"]
    assert value == expected
    assert type(value) is type(expected)


def test_nan() -> None:
    assert math.isnan(load("key: .nan\n")["key"])


@pytest.mark.parametrize("text", ["key:\n", "key: \n", "key: ~\n", "key: null\n"])
def test_empty_and_null_values_are_none(text: str) -> None:
    assert load(text) == {"key": None}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"5"', "5"),
        ("'5'", "5"),
        ('"true"', "true"),
        ("'~'", "~"),
        ('""', ""),
        ("''", ""),
        ("|\n  5\n", "5\n"),
        (">-\n  0x1f\n", "0x1f"),
        ("!!int '7'", 7),
        ("!!float 1", 1.0),
        ("!!bool true", True),
        ("!!null ''", None),
    ],
)
def test_quoted_block_and_tagged_scalars(text: str, expected: object) -> None:
    value = load(f"key: {text}\n")["key"]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("!!str 5", "5"), ("!!str true", "true"), ("!!str", ""), ("! 17:00", "17:00")],
)
def test_explicit_str_tag_keeps_text(text: str, expected: str) -> None:
    assert load(f"key: {text}\n")["key"] == expected


def test_keys_are_names() -> None:
    assert load("1: a\nyes: b\ntrue: c\n~: d\n0x10: e\n") == {
        "1": "a",
        "yes": "b",
        "true": "c",
        "~": "d",
        "0x10": "e",
    }


def test_collections_and_empty_document() -> None:
    assert load("a: [1, b, {c: NO}]\nd: {}\ne: []\n") == {
        "a": [1, "b", {"c": "NO"}],
        "d": {},
        "e": [],
    }
    assert load("") is None
    assert load("# only a comment\n") is None
    assert load("---\n...\n") is None


def test_key_order_is_kept() -> None:
    assert list(load("z: 1\na: 2\nm: 3\n")) == ["z", "a", "m"]


# --- refusals, each with its place ----------------------------------------------------------


def test_duplicate_key_has_line_and_column() -> None:
    error = refusal("id: A\ntitle: x\ncustomer:\n  tier: a\n  tier: b\n")
    assert (error.rule, error.path, error.line, error.column) == ("duplicate-key", "t.yaml", 5, 3)
    assert "duplicate key 'tier'" in error.message


def test_duplicate_key_spelled_differently() -> None:
    # `1` and "1" are the same key once keys are names.
    assert refusal('1: a\n"1": b\n').rule == "duplicate-key"


def test_duplicate_key_in_flow_mapping() -> None:
    error = refusal("- {at: x, by: a, by: b}\n")
    assert (error.line, error.column) == (1, 18)


def test_merge_key_is_refused() -> None:
    error = refusal("base: &b {a: 1}\nother:\n  <<: *b\n  c: 2\n")
    assert (error.rule, error.line, error.column) == ("merge-key", 3, 3)


def test_quoted_merge_key_is_an_ordinary_key() -> None:
    assert load('"<<": 1\n') == {"<<": 1}


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a: 1\nb: !!python/object:os.system {}\n", 2, 4),
        ("a: !!python/name:os.system x\n", 1, 4),
        ("a: !!binary aGVsbG8=\n", 1, 4),
        ("a: !!timestamp 2026-01-01\n", 1, 4),
        ("a: !local x\n", 1, 4),
        ("a: !!set {x, y}\n", 1, 4),
        ("a: !!omap [x: 1]\n", 1, 4),
        ("a: !!int twelve\n", 1, 4),
        ("a: !!float many\n", 1, 4),
        ("a: !!bool yes\n", 1, 4),
    ],
)
def test_foreign_and_wrong_tags_are_refused(text: str, line: int, column: int) -> None:
    error = refusal(text)
    assert (error.rule, error.line, error.column) == ("tag", line, column)


def test_complex_key_is_refused() -> None:
    error = refusal("? [a, b]\n: c\n")
    assert (error.rule, error.line) == ("key", 1)


@pytest.mark.parametrize(
    ("text", "line", "column", "contains"),
    [
        ("a: b: c\n", 1, 5, "quote the value"),
        ("a:\n\tb: 1\n", 2, 1, "indent with spaces"),
        ("a: [1, 2\nb: 3\n", 2, 2, "invalid YAML"),
        ("a: 'unterminated\n", 2, 1, "invalid YAML"),
        ("- a\nb: c\n", 2, 1, "invalid YAML"),
        ("a: 1\n---\nb: 2\n", 2, 1, "invalid YAML"),
    ],
)
def test_malformed_yaml_is_located(text: str, line: int, column: int, contains: str) -> None:
    error = refusal(text)
    assert error.rule == "yaml"
    assert (error.line, error.column) == (line, column)
    assert contains in error.message


# --- hostile input -----------------------------------------------------------------------------


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = [f"l0: &a0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_quickly() -> None:
    started = time.perf_counter()
    error = refusal(_alias_bomb())
    assert time.perf_counter() - started < 5  # a guard, not a benchmark
    assert error.rule == "alias-bomb"
    assert error.line == 5  # the anchor whose reuse crosses the bound (l5 repeats l4)
    assert "200,000" in error.message


def test_small_aliases_are_fine() -> None:
    data = load("a: &x [1, 2]\nb: *x\nc: *x\n")
    assert data == {"a": [1, 2], "b": [1, 2], "c": [1, 2]}


def test_aliases_are_charged_at_every_use() -> None:
    # 5 levels of 9 is ~66,000 values after expansion: under the bound; 6 levels is not.
    load(_alias_bomb(levels=5))
    assert refusal(_alias_bomb(levels=6)).rule == "alias-bomb"


def test_deep_flow_nesting_is_refused_before_libyaml_sees_it() -> None:
    text = "a: " + "[" * 30000 + "]" * 30000 + "\n"
    error = refusal(text)
    assert (error.rule, error.line, error.column) == ("depth", 1, 4 + yamlio.MAX_DEPTH)


def test_flow_nesting_at_the_bound_is_fine() -> None:
    depth = yamlio.MAX_DEPTH - 1  # the value sits one level below its key's mapping
    assert load("a: " + "[" * depth + "]" * depth + "\n") is not None


def test_deep_block_nesting_is_refused() -> None:
    lines = [f"{'  ' * level}k{level}:" for level in range(yamlio.MAX_DEPTH + 5)]
    error = refusal("\n".join(lines) + " x\n")
    assert error.rule == "depth"
    assert error.line > yamlio.MAX_DEPTH


def test_brackets_in_quotes_and_comments_do_not_count() -> None:
    brackets = "[" * 100
    text = f"a: '{brackets}'\nb: \"{brackets}\"\n# {brackets}\nc: x  # {brackets}\n"
    assert load(text) == {"a": brackets, "b": brackets, "c": "x"}


def test_an_apostrophe_in_plain_text_does_not_hide_deep_nesting() -> None:
    levels = 30_000
    text = "a: the '26 release\nb: " + "[" * levels + "x" + "]" * levels + "\n"
    with pytest.raises(ParseError) as caught:
        yamlio._check_nesting(text, "t.yaml")  # refused before the composer recurses
    assert (caught.value.rule, caught.value.line) == ("depth", 2)


def test_compact_block_sequences_are_refused_before_composing() -> None:
    text = "a:\n  " + "- " * 30_000 + "x\n"
    with pytest.raises(ParseError) as caught:
        yamlio._check_nesting(text, "t.yaml")
    error = caught.value
    assert (error.rule, error.line, error.column) == ("depth", 2, 3 + 2 * yamlio.MAX_DEPTH)


def test_compact_block_sequences_below_the_scan_are_refused_by_the_constructor() -> None:
    text = "a:\n  " + "- " * (yamlio.MAX_DEPTH + 10) + "x\n"
    assert refusal(text).rule == "depth"


def test_files_with_many_indicators_but_shallow_nesting_load() -> None:
    # Over the scan's bound (so the event scan runs) yet only three levels deep.
    rows = [f"  - {{at: 2026-11-20T09:{m % 60:02d}:00Z, event: note, by: a}}" for m in range(400)]
    text = "timeline:\n" + "\n".join(rows) + "\n"
    assert yamlio._nesting_bound(text) > yamlio.COMPOSE_SAFE_DEPTH
    assert len(load(text)["timeline"]) == 400


@pytest.mark.parametrize("kind", ["flow", "block"])
def test_thirty_thousand_levels_do_not_crash_the_process(kind: str) -> None:
    # A crash would be a signal, not an exception, so the load runs in a child process.
    body = "[" * 30_000 + "]" * 30_000 if kind == "flow" else "\n  " + "- " * 30_000 + "x"
    script = (
        "import sys; from escalate import yamlio; from escalate.errors import ParseError\n"
        "try:\n    yamlio.load(sys.stdin.read(), 't.yaml')\n"
        "except ParseError as e:\n    print(e.rule)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input="a: " + body + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(yamlio.__file__).parents[1])},
    )
    assert (done.returncode, done.stdout.strip()) == (0, "depth"), done.stderr


# --- bytes to text -------------------------------------------------------------------------------


def test_decode_strips_a_byte_order_mark() -> None:
    assert yamlio.decode(b"\xef\xbb\xbfa: 1\n", "t.yaml") == "a: 1\n"


def test_decode_locates_a_bad_byte() -> None:
    with pytest.raises(ParseError) as caught:
        yamlio.decode(b"a: 1\nb: M\xfcller\n", "t.yaml")
    error = caught.value
    assert (error.rule, error.line, error.column) == ("encoding", 2, 5)
    assert "0xfc" in error.message


def test_decode_column_counts_characters() -> None:
    with pytest.raises(ParseError) as caught:
        yamlio.decode("b: ü".encode() + b"\xff\n", "t.yaml")
    assert caught.value.column == 5


def test_read_refuses_large_files(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * yamlio.MAX_BYTES + b"\n")
    with pytest.raises(ParseError) as caught:
        yamlio.read(path, "big.yaml")
    assert caught.value.rule == "size"


def test_read_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError) as caught:
        yamlio.read(tmp_path / "nope.yaml")
    assert caught.value.rule == "io"


def test_load_file_handles_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: NO\r\nb: [1, 2]\r\n")
    assert yamlio.load_file(path) == {"a": "NO", "b": [1, 2]}


# --- locate ------------------------------------------------------------------------------------

RECORD = """\
# a comment
id: ESC-2026-0001
customer:
  name: Acme
  tier: gold
timeline:
  - {at: x, event: acknowledged, by: alice}
  - at: y
    event: resolved
a/b: 1
t~1: 2
"""


@pytest.mark.parametrize(
    ("pointer", "key", "expected"),
    [
        ("", False, (2, 1)),
        ("/id", False, (2, 5)),
        ("/id", True, (2, 1)),
        ("/customer", False, (4, 3)),
        ("/customer", True, (3, 1)),
        ("/customer/tier", False, (5, 9)),
        ("/customer/tier", True, (5, 3)),
        ("/timeline/0", False, (7, 5)),
        ("/timeline/0/by", False, (7, 38)),
        ("/timeline/0/by", True, (7, 34)),
        ("/timeline/1/event", False, (9, 12)),
        ("/a~1b", True, (10, 1)),
        ("/t~01", False, (11, 6)),
        # Pointers past the data land on the nearest existing parent: where the fix goes.
        ("/customer/region", False, (4, 3)),
        ("/customer/region", True, (4, 3)),
        ("/timeline/7/at", False, (7, 3)),
        ("/timeline/1/text", False, (8, 5)),
        ("/missing", False, (2, 1)),
    ],
)
def test_locate(pointer: str, key: bool, expected: tuple[int, int]) -> None:
    assert yamlio.locate(RECORD, pointer, key=key) == expected


def test_locate_in_text_that_is_not_yaml() -> None:
    assert yamlio.locate("a: [\n", "/a") == (0, 0)
    assert yamlio.locate("", "/a") == (1, 1)


def test_pointer_escapes() -> None:
    assert yamlio.pointer(["timeline", 3, "a/b", "t~x"]) == "/timeline/3/a~1b/t~0x"
    assert yamlio.pointer([]) == ""


# --- atomic writes -----------------------------------------------------------------------------


def test_atomic_write_replaces_content_and_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o600)
    yamlio.atomic_write(path, "new: ü\r\n")
    assert path.read_bytes() == "new: ü\r\n".encode()  # no newline translation
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]


def test_atomic_write_creates_file_and_directories(tmp_path: Path) -> None:
    path = tmp_path / "incidents" / "2026" / "ESC-2026-0001" / "escalation.yaml"
    yamlio.atomic_write(path, "id: x\n")
    assert path.read_text(encoding="utf-8") == "id: x\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["escalation.yaml"]


def test_atomic_write_leaves_the_old_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("old\n", encoding="utf-8")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        yamlio.atomic_write(path, "new\n")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.yaml"]
