"""The repository: policy and every record, loaded once, from which everything is derived.

Reading is the expensive part of every command, so it is done here and only here:
records are parsed and schema-checked file by file (in parallel when there are many), and
each result is kept in a parse cache keyed by the file's content hash, outside the tracked
tree. A second run over unchanged files reads bytes and hashes them, nothing more.

What commands work out from one file and the policy alone (its cross-file findings, its SLA
clock plan: a `Derivation`) is computed in the same parallel pass and kept beside it, so an
unchanged repository is answered from the cache without decoding any file's contents.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import __version__
from .calendar import known_country_holidays, recall_country_holidays
from .errors import EscalateError, Finding, ParseError
from .policy import Policy, load_policy, locate_findings
from .records import Escalation
from .schema import SchemaStore
from .yamlio import MAX_BYTES, decode, load

RECORD_FILE = "escalation.yaml"
POSTMORTEM_FILE = "postmortem.md"
CACHE_FORMAT = 4  # bump when the shape of a cache entry changes: old caches are then ignored
PARALLEL_THRESHOLD = 400  # below this many files to parse, a process pool costs more than it saves


def find_root(start: Path) -> Path | None:
    """The nearest directory at or above start that holds policy/."""
    for candidate in (start, *start.parents):
        if (candidate / "policy").is_dir():
            return candidate
    return None


class SourceFile:
    """One record or postmortem file: its parsed data and its own (non cross-file) findings.

    A file found in the parse cache (or sent by a parse worker) gets its data when it is
    first asked for: its data is a marshal blob of its own, decoded on first use, so a
    command answered from the derivations alone (a warm `sla check` or `validate`) never
    decodes the records' contents.
    """

    __slots__ = (
        "_cached", "_data", "body_line", "derived", "digest", "findings", "key", "kind",
        "parsed", "path",
    )  # fmt: skip

    def __init__(
        self,
        path: str,
        kind: str,
        digest: str,
        data: Any,
        findings: list[Finding],
        body_line: int = 0,
        derived: dict[str, tuple[str, Any]] | None = None,
        *,
        cached: tuple[_CachedData, str | None] | None = None,
    ) -> None:
        self.path = path  # repo-relative, POSIX separators
        self.kind = kind  # "escalation" or "postmortem"
        self.digest = digest
        self.findings = findings
        self.body_line = body_line  # postmortems: the line where the Markdown body starts
        # What derivations worked out from this file under a policy: name -> (the key it was
        # computed under, the result), kept in the parse cache (see `Derivation`).
        self.derived: dict[str, tuple[str, Any]] = {} if derived is None else derived
        self._data = data  # None when the file could not be parsed (or is not decoded yet)
        self._cached = cached[0] if cached is not None else None
        self.parsed = cached is not None or data is not None
        # The id the file gives itself, known without decoding a cached file's data.
        self.key = cached[1] if cached is not None else _key_of(data)

    @property
    def data(self) -> Any:
        if self._cached is not None:
            self._data = self._cached.data(self.path)
            self._cached = None
        return self._data

    @property
    def valid(self) -> bool:
        return self.parsed and not any(f.severity == "error" for f in self.findings)

    def blob(self) -> bytes:
        """The data as marshal bytes (for the cache), from the blob it came in if it did."""
        if self._cached is not None:
            return self._cached.blobs[self.path]
        return marshal.dumps(self._data)

    def with_data(self, data: Any) -> SourceFile:
        """This file as if it held `data`, with its findings (derivations are made anew)."""
        return SourceFile(self.path, self.kind, self.digest, data, self.findings, self.body_line)

    def __repr__(self) -> str:
        return f"SourceFile({self.path!r}, {self.kind!r}, valid={self.valid})"


def _key_of(data: Any) -> str | None:
    return str(data["id"]) if isinstance(data, dict) and "id" in data else None


# --- reading one file --------------------------------------------------------------------


def split_front_matter(text: str, path: str) -> tuple[str, int]:
    """The YAML front matter of a Markdown file and the line its body starts on."""
    normalized = text.replace("\r\n", "\n")
    if not normalized.startswith("---\n"):
        raise ParseError(
            "a postmortem starts with YAML front matter between two '---' lines",
            path=path,
            line=1,
            column=1,
            rule="front-matter",
        )
    end = normalized.find("\n---\n", 3)
    if end < 0 and normalized.endswith("\n---"):
        end = len(normalized) - 4
    if end < 0:
        raise ParseError(
            "the front matter is not closed; add a line '---' after it",
            path=path,
            line=1,
            column=1,
            rule="front-matter",
        )
    # Keep the opening line as an empty line so YAML line numbers are file line numbers.
    front = "\n" + normalized[4 : end + 1]
    return front, front.count("\n") + 2


def parse_source(raw: bytes, path: str, kind: str, schemas: SchemaStore) -> SourceFile:
    """Parse and schema-check one file; every problem is a finding, never an exception."""
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
    body_line = 0
    try:
        if len(raw) > MAX_BYTES:
            raise ParseError(
                f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB; split it",
                path=path,
                rule="size",
            )
        text = decode(raw, path)
        source = text
        if kind == "postmortem":
            source, body_line = split_front_matter(text, path)
        data = load(source, path)
    except ParseError as exc:
        return SourceFile(
            path, kind, digest, None, [_conflict_finding(raw, path) or exc.as_finding()]
        )
    what = "an escalation record" if kind == "escalation" else "postmortem front matter"
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        finding = Finding(
            file=path,
            line=1,
            column=1,
            rule="schema/type",
            message=f"{what} must be a mapping of keys (id: …, title: …), found {found}",
        )
        return SourceFile(path, kind, digest, None, [finding], body_line)
    errors = schemas.get(kind).errors(data, path)
    if errors:
        errors = locate_findings(errors, source)
    return SourceFile(path, kind, digest, data, errors, body_line)


def _conflict_finding(raw: bytes, path: str) -> Finding | None:
    """A file git left with conflict markers, said as such rather than as broken YAML."""
    from .edits import conflict_advice, conflict_line

    text = raw.decode("utf-8", "replace")
    line = conflict_line(text)
    if line is None:
        return None
    found = re.search(r"^id:\s*(\S+)", text, re.MULTILINE)
    escalation_id = found.group(1) if found else PurePosixPath(path).parent.name
    return Finding(
        file=path, line=line, column=1, rule="git-conflict",
        message=conflict_advice(path, escalation_id, line).removeprefix(f"{path} has "),
    )  # fmt: skip


# --- the parse cache -----------------------------------------------------------------------


def cache_dir() -> Path:
    configured = os.environ.get("ESCALATE_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "escalate"


def _to_entry(source: SourceFile) -> tuple[Any, ...]:
    """A SourceFile but for its data, as plain data for marshal: the parse cache's entry
    (marshal reads it three times faster than pickle reads an object)."""
    return (
        source.digest,
        source.kind,
        [finding.as_tuple() for finding in source.findings],
        source.body_line,
        source.derived,
        source.key,
        source.parsed,
    )


def _from_entry(
    path: str, entry: tuple[Any, ...], data: Any = None, cached: _CachedData | None = None
) -> SourceFile:
    """The inverse of `_to_entry`, with the data given or left to `cached`."""
    digest, kind, findings, body_line, derived, key, parsed = entry
    findings = [Finding(*f) for f in findings]
    lazy = (cached, key) if cached is not None and parsed else None
    return SourceFile(path, kind, digest, data, findings, body_line, derived, cached=lazy)


class _CachedData:
    """The data of files read from the parse cache or sent by a parse worker: one marshal
    blob per file, decoded when that file's data is first asked for. Reading the blobs is a
    copy of bytes; a report that needs a few records' contents decodes only those."""

    def __init__(self, blobs: dict[str, bytes]) -> None:
        self.blobs = blobs

    def data(self, path: str) -> Any:
        blob = self.blobs.get(path)
        return None if blob is None else marshal.loads(blob)


def _blobs(sources: Iterable[SourceFile]) -> dict[str, bytes]:
    return {source.path: source.blob() for source in sources if source.parsed}


class ParseCache:
    """Parsed files by content hash, in one marshal file per repository.

    The salt holds the tool version and the schemas' digests, so a new release or an edited
    schema empties the cache. It is never inside the work tree.
    """

    def __init__(self, root: Path, salt: str) -> None:
        key = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
        self.path = cache_dir() / f"parse-{key}.marshal"
        self.salt = salt
        self.entries: dict[str, tuple[Any, ...]] = {}  # path -> `_to_entry`
        self._data = _CachedData({})  # the data of the entries read from the file
        # path -> the file, of the entries put since (its data is read when the cache is saved)
        self._fresh: dict[str, SourceFile] = {}
        # policy kind -> "<schema digest>:<text digest>" of the last copy found schema-valid
        self.policy_valid: dict[str, str] = {}
        self._policy_valid_read: dict[str, str] = {}
        # What the repository as a whole worked out (see `remember`), by name.
        self.memo: dict[str, Any] = {}
        self.dirty = False
        try:
            with open(self.path, "rb") as handle:
                blob = handle.read()
            # loads() of one read, not load() of the file: load() reads object by object,
            # which made a 20 MB cache take 0.7 s instead of 0.1 s.
            stored = marshal.loads(blob)
            if stored.get("salt") == salt:
                entries, data, memo = stored["entries"], stored["data"], stored["memo"]
                policy_valid = dict(stored["policy_valid"])
                if not (isinstance(entries, dict) and isinstance(data, dict)):
                    raise TypeError("not a parse cache of this format")
                self.entries, self._data, self.memo = entries, _CachedData(data), memo
                self.policy_valid, self._policy_valid_read = policy_valid, dict(policy_valid)
        except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError):
            pass  # an unreadable cache is an empty one

    def get(self, path: str, digest: str) -> SourceFile | None:
        entry = self.entries.get(path)
        if entry is None or entry[0] != digest:
            return None
        if path in self._fresh:
            return _from_entry(path, entry, self._fresh[path].data)
        return _from_entry(path, entry, cached=self._data)

    def put(self, source: SourceFile) -> None:
        self.entries[source.path] = _to_entry(source)
        if source._cached is not self._data:  # the data is not in the blob already
            self._fresh[source.path] = source
        self.dirty = True

    def remember(self, name: str, value: Any) -> None:
        """Keep plain data about the repository as a whole for the next run."""
        if self.memo.get(name) != value:
            self.memo[name] = value
            self.dirty = True

    def prune(self, keep: Iterable[str]) -> None:
        wanted = set(keep)
        for path in list(self.entries):
            if path not in wanted:
                del self.entries[path]
                self._fresh.pop(path, None)
                self.dirty = True

    def save(self) -> None:
        if not self.dirty and self.policy_valid == self._policy_valid_read:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A file's blob as it was read, unless the file was parsed again: an unchanged
            # file's data is never decoded to be written back.
            data = {
                path: blobs[path]
                for blobs in (self._data.blobs, _blobs(self._fresh.values()))
                for path in blobs
                if path in self.entries
            }
            blob = marshal.dumps(
                {
                    "salt": self.salt,
                    "entries": self.entries,
                    "data": data,
                    "policy_valid": self.policy_valid,
                    "memo": self.memo,
                }
            )
            temp = self.path.with_suffix(f".{os.getpid()}.tmp")
            temp.write_bytes(blob)
            os.replace(temp, self.path)
            self.dirty = False
            self._policy_valid_read = dict(self.policy_valid)
        except (OSError, ValueError):
            pass  # a cache that cannot be written only costs speed next time


def _cache_salt(schemas: SchemaStore) -> str:
    record_schemas = schemas.digest(("escalation", "postmortem"))
    return f"{__version__}|{CACHE_FORMAT}|{sys.version_info[:2]}|{record_schemas}"


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a repository's data is built.

    Parsed records are trees of dicts, lists and strings with no cycles, yet each of the
    hundreds of thousands of new containers counts towards the next collection, and the
    collections found nothing while taking a fifth of a warm run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What was built lives as long as the repository; frozen, no later collection
        # walks it again (a full one over 10,000 records costs 80 ms).
        gc.freeze()
        if was_enabled:
            gc.enable()


# --- parallel parsing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Derivation:
    """Something worked out from one parsed file and the policy alone, such as the file's
    cross-file findings or its SLA clock plan.

    The parse workers compute it beside the schema check, and the parse cache keeps it under
    the policy's digest, so a file unchanged under an unchanged policy is not worked on again
    (see `Repo.derived`). `compute` is called for every file that parsed to a mapping and
    returns plain data that marshal can keep: dicts, lists, tuples, str, int, float, None.
    """

    name: str  # its key in SourceFile.derived and in the cache
    compute: Callable[[Policy, SourceFile], Any]
    version: int = 1  # bump when what compute returns changes shape: kept results are then unused

    def key(self, policy: Policy) -> str:
        """What a kept result must have been computed under to be used."""
        return f"{policy.digest}/{self.version}"


@dataclass
class _Work:
    """What the parse workers need; set before they fork, so nothing is pickled for them."""

    schemas: SchemaStore
    policy: Policy
    derive: Sequence[Derivation]
    # Files read from the cache without some of the derivations, by path (see _derive_many).
    underived: dict[str, SourceFile] = field(default_factory=dict)

    def missing(self, source: SourceFile) -> list[Derivation]:
        """The derivations this file has no result of under the current policy."""
        policy = self.policy
        return [
            derivation
            for derivation in self.derive
            if source.derived.get(derivation.name, ("",))[0] != derivation.key(policy)
        ]


_WORK: _Work | None = None


def _parse_batch(batch: Sequence[tuple[str, str, str]]) -> list[SourceFile]:
    assert _WORK is not None
    results = []
    for absolute, relative, kind in batch:
        with open(absolute, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        source = parse_source(raw, relative, kind, _WORK.schemas)
        if isinstance(source.data, dict):
            _derive(_WORK, source, _WORK.derive)
        results.append(source)
    return results


def _derive(work: _Work, source: SourceFile, derivations: Iterable[Derivation]) -> None:
    policy = work.policy
    for derivation in derivations:
        source.derived[derivation.name] = (
            derivation.key(policy),
            derivation.compute(policy, source),
        )


def _parse_batch_remote(batch: Sequence[tuple[str, str, str]]) -> bytes:
    # Each file's data as a blob of its own, which the parent decodes only if it needs that
    # data (a report answered from the derivations does not); and the country holidays the
    # derivations looked up, so that the parent need not import the holidays package.
    sources = _parse_batch(batch)
    parsed = [(s.path, _to_entry(s)) for s in sources]
    return marshal.dumps((parsed, _blobs(sources), _learned()))


def _parse_many(todo: list[tuple[str, str, str]], work: _Work, jobs: int) -> list[SourceFile]:
    global _WORK
    _WORK = work
    for kind in {kind for _, _, kind in todo}:
        work.schemas.get(kind).fast  # noqa: B018 - compile once, before the workers fork
    if jobs <= 1 or len(todo) < PARALLEL_THRESHOLD or sys.platform == "win32":
        return _parse_batch(todo)
    size = max(1, len(todo) // (jobs * 4))
    batches = [todo[start : start + size] for start in range(0, len(todo), size)]
    sources: list[SourceFile] = []
    for parsed, data in _pooled(_parse_batch_remote, batches, work, jobs):
        cached = _CachedData(data)
        sources.extend(_from_entry(path, entry, cached=cached) for path, entry in parsed)
    return sources


def _derive_batch_remote(paths: Sequence[str]) -> bytes:
    assert _WORK is not None
    found = []
    for path in paths:
        source = _WORK.underived[path]
        _derive(_WORK, source, _WORK.missing(source))
        found.append((path, source.derived))
    return marshal.dumps((found, _learned()))


def _derive_many(sources: list[SourceFile], work: _Work, jobs: int) -> None:
    """Give files read from the cache the derivations they lack, in forked workers: the
    first `sla check` after a `validate` plans every record. (A few are left to
    `Repo.derived`, which computes one when it is asked for.)"""
    global _WORK
    if jobs <= 1 or len(sources) < PARALLEL_THRESHOLD or sys.platform == "win32":
        return
    work.underived = {source.path: source for source in sources}
    _WORK = work
    paths = list(work.underived)
    size = max(1, len(paths) // (jobs * 4))
    batches = [paths[start : start + size] for start in range(0, len(paths), size)]
    for (found,) in _pooled(_derive_batch_remote, batches, work, jobs):
        for path, derived in found:
            work.underived[path].derived.update(derived)


def _pooled(
    function: Callable[[Any], bytes], batches: Sequence[Any], work: _Work, jobs: int
) -> Iterator[tuple[Any, ...]]:
    """Each batch's result from forked workers (which see _WORK as the parent set it): the
    marshal tuple that function returned, but for what the calendars learned at its end
    (`_learned`), which is taken here so that this process need not work it out again."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    calendars = work.policy.calendars
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for blob in pool.map(function, batches):
            *result, (holidays, totals) = marshal.loads(blob)
            if holidays is not None:
                recall_country_holidays(holidays, kept=False)
            for calendar_id, learned in totals.items():
                if calendar_id in calendars:
                    calendars[calendar_id].learn(learned)
            yield tuple(result)


def _learned() -> tuple[Any, dict[str, tuple[int, list[int]]]]:
    """What a worker's calendars worked out, for its parent: the country holidays it looked
    up and each calendar's running totals."""
    assert _WORK is not None
    totals = {}
    for calendar in _WORK.policy.calendars.values():
        learned = calendar.learned()
        if learned is not None:
            totals[calendar.id] = learned
    return known_country_holidays(), totals


# --- the repository ------------------------------------------------------------------------


@dataclass
class Repo:
    root: Path
    schemas: SchemaStore
    policy: Policy
    policy_findings: list[Finding]
    sources: list[SourceFile] = field(default_factory=list)
    escalations: dict[str, Escalation] = field(default_factory=dict)
    postmortems: dict[str, SourceFile] = field(default_factory=dict)  # by escalation id
    _cache: ParseCache | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls,
        root: Path,
        *,
        use_cache: bool = True,
        jobs: int | None = None,
        derive: Sequence[Derivation] = (),
    ) -> Repo:
        """Load policy and every record under root (the directory holding policy/).

        Each file parsed anew also gets the `derive` derivations in the same (parallel)
        pass; `derived()` then finds them without computing them again.
        """
        root = root.resolve()
        if not (root / "policy").is_dir():
            raise EscalateError(
                f"{root} has no policy/ directory; run inside a playbook repository "
                "or pass --repo DIR (escalate init DIR creates one)",
                rule="repo",
            )
        schemas = SchemaStore(root)
        cache = ParseCache(root, _cache_salt(schemas)) if use_cache else None
        if cache is not None and "country_holidays" in cache.memo:
            recall_country_holidays(cache.memo["country_holidays"], kept=True)
        with _collector_paused():
            policy, policy_findings = load_policy(
                root, schemas, verified=cache.policy_valid if cache else None
            )
            repo = cls(root, schemas, policy, policy_findings, _cache=cache)
            repo.sources = repo._read_sources(jobs or os.cpu_count() or 1, derive)
        for source in repo.sources:
            if not source.valid:
                continue
            assert source.key is not None  # the schemas require an id
            if source.kind == "escalation":
                escalation = Escalation.of(source, source.path, source.key)
                repo.escalations.setdefault(source.key, escalation)
            else:
                repo.postmortems.setdefault(source.key, source)
        return repo

    def discover(self) -> list[tuple[str, str, str]]:
        """(absolute path, repo-relative path, kind) of every record and postmortem."""
        found = []
        incidents = self.root / "incidents"
        if not incidents.is_dir():
            return []
        for year in sorted(os.scandir(incidents), key=lambda entry: entry.name):
            if not year.is_dir():
                continue
            for case in sorted(os.scandir(year.path), key=lambda entry: entry.name):
                if not case.is_dir():
                    continue
                for name, kind in ((RECORD_FILE, "escalation"), (POSTMORTEM_FILE, "postmortem")):
                    absolute = os.path.join(case.path, name)
                    if os.path.isfile(absolute):
                        found.append((absolute, f"incidents/{year.name}/{case.name}/{name}", kind))
        return found

    def _read_sources(self, jobs: int, derive: Sequence[Derivation]) -> list[SourceFile]:
        files = self.discover()
        cache = self._cache
        results: dict[str, SourceFile] = {}
        todo = []
        for absolute, relative, kind in files:
            if cache is None:
                todo.append((absolute, relative, kind))
                continue
            with open(absolute, "rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
            hit = cache.get(relative, hashlib.blake2b(raw, digest_size=16).hexdigest())
            if hit is None:
                todo.append((absolute, relative, kind))
            else:
                results[relative] = hit
        work = _Work(self.schemas, self.policy, derive)
        if derive and cache is not None:
            underived = [s for s in results.values() if s.parsed and work.missing(s)]
            _derive_many(underived, work, jobs)
            for source in underived:
                if not work.missing(source):
                    cache.put(source)
        for source in _parse_many(todo, work, jobs):
            results[source.path] = source
            if cache is not None:
                cache.put(source)
        if cache is not None:
            cache.prune(results)
            cache.save()
        return [results[relative] for _, relative, _ in files]

    def derived(self, source: SourceFile, derivation: Derivation) -> Any:
        """What `derivation` works out from one file under the current policy: as the parse
        workers or an earlier run left it, else computed now and kept for the next run
        (`save_cache` writes it)."""
        key = derivation.key(self.policy)
        found = source.derived.get(derivation.name)
        if found is not None and found[0] == key:
            return found[1]
        value = derivation.compute(self.policy, source)
        source.derived[derivation.name] = (key, value)
        if self._cache is not None:
            self._cache.put(source)
        return value

    def save_cache(self) -> None:
        """Write the parse cache if this run added to it: parsed files, what derivations worked
        out, and the country holidays the calendars looked up."""
        if self._cache is not None:
            known = known_country_holidays()
            if known is not None:
                self._cache.remember("country_holidays", known)
            self._cache.save()

    def escalation(self, escalation_id: str) -> Escalation:
        """The record with this ID, or a RecordError saying which IDs are close."""
        from .errors import RecordError
        from .schema import suggest

        found = self.escalations.get(escalation_id)
        if found is None:
            hint = suggest(escalation_id, self.escalations) or "; `escalate status` lists them"
            raise RecordError(f"no escalation {escalation_id!r}{hint}", rule="unknown-id")
        return found

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()
