"""Publishing profiles: which record fields a build of the site leaves out.

`policy/publishing.yaml` names, per profile, the paths to hide. A path is dotted
(`customer.arr`); `list[key=value]` selects the items of a list whose key has that value
and hides them (`timeline[event=note]`); a further `.field` hides only that field of the
selected items (`timeline[event=update].text`). A plain segment that meets a list applies
to each of its items.

`redact` removes hidden fields before anything is rendered or derived, so they cannot
reach a page, the search index, tags or metrics. Free text that stays visible may still
*quote* a hidden value (a customer update that greets the contact by name, a postmortem
that cites a ticket number), so `Scrubber` replaces every hidden value that is distinctive
enough to find in the text that remains.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import PolicyError

__all__ = [
    "DEFAULT_PROFILE",
    "Profile",
    "Scrubber",
    "hidden_items",
    "hidden_values",
    "profile_named",
    "redact",
]

DEFAULT_PROFILE = "internal"
REDACTED = "[hidden]"

_SEGMENT = re.compile(
    r"(?P<key>[a-z_][a-z0-9_]*)(?:\[(?P<sel_key>[a-z_][a-z0-9_]*)=(?P<sel_value>[A-Za-z0-9_.-]+)\])?"
)


@dataclass(frozen=True)
class Profile:
    id: str
    hide: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class _Segment:
    key: str
    selector: tuple[str, str] | None


def profile_named(publishing: Mapping[str, Any], name: str | None) -> Profile:
    """The profile `name` (the default one when None) from policy/publishing.yaml's data.

    Without a publishing policy only the default profile, hiding nothing, exists; asking for
    any other is an error rather than a silent publish-everything.
    """
    profiles = list(publishing.get("profiles") or [])
    if name is None:
        for entry in profiles:
            if entry.get("default"):
                name = str(entry["id"])
                break
        else:
            name = DEFAULT_PROFILE
    for entry in profiles:
        if entry.get("id") == name:
            return Profile(
                str(entry["id"]), tuple(entry.get("hide") or ()), entry.get("description", "")
            )
    if name == DEFAULT_PROFILE and not profiles:
        return Profile(DEFAULT_PROFILE)
    known = ", ".join(str(entry.get("id")) for entry in profiles) or "none"
    raise PolicyError(
        f"no publishing profile {name!r} in policy/publishing.yaml (profiles: {known})",
        path="policy/publishing.yaml",
        rule="publishing/profile",
    )


def parse_path(path: str) -> list[_Segment]:
    segments = []
    for part in path.split("."):
        match = _SEGMENT.fullmatch(part)
        if match is None:
            raise ValueError(f"not a field path: {path!r}")
        selector = None
        if match["sel_key"]:
            selector = (match["sel_key"], match["sel_value"])
        segments.append(_Segment(match["key"], selector))
    return segments


def _selected(item: Any, selector: tuple[str, str]) -> bool:
    return isinstance(item, Mapping) and str(item.get(selector[0])) == selector[1]


def _remove(node: Any, segments: list[_Segment], removed: list[tuple[str, Any]]) -> Any:
    """Remove what `segments` names from `node` (already a private copy); collect it."""
    if isinstance(node, list):
        return [_remove(item, segments, removed) for item in node]
    if not isinstance(node, dict) or not segments:
        return node
    head, rest = segments[0], segments[1:]
    if head.key not in node:
        return node
    if head.selector is None:
        if rest:
            node[head.key] = _remove(node[head.key], rest, removed)
        else:
            removed.append((head.key, node.pop(head.key)))
        return node
    value = node[head.key]
    if not isinstance(value, list):
        return node
    if rest:
        node[head.key] = [
            _remove(item, rest, removed) if _selected(item, head.selector) else item
            for item in value
        ]
    else:
        removed.extend((head.key, item) for item in value if _selected(item, head.selector))
        node[head.key] = [item for item in value if not _selected(item, head.selector)]
    return node


def redact(data: Mapping[str, Any], profile: Profile | Iterable[str]) -> dict[str, Any]:
    """A copy of a record without the fields the profile hides (the input is not changed)."""
    hide = profile.hide if isinstance(profile, Profile) else tuple(profile)
    result: dict[str, Any] = copy.deepcopy(dict(data))
    for path in hide:
        _remove(result, parse_path(path), [])
    return result


def hidden_values(data: Mapping[str, Any], profile: Profile | Iterable[str]) -> list[Any]:
    """The values `redact` removes from this record, one entry per removed field or item."""
    return [value for _, value in hidden_items(data, profile)]


def hidden_items(
    data: Mapping[str, Any], profile: Profile | Iterable[str]
) -> list[tuple[str, Any]]:
    """(key, value) of everything `redact` removes: the key is the field's last name."""
    hide = profile.hide if isinstance(profile, Profile) else tuple(profile)
    removed: list[tuple[str, Any]] = []
    scratch: dict[str, Any] = copy.deepcopy(dict(data))
    for path in hide:
        _remove(scratch, parse_path(path), removed)
    return removed


def leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """(key, scalar) for every scalar inside a value, with the key it was found under."""
    if isinstance(value, Mapping):
        for child_key, child in value.items():
            yield from leaves(child, str(child_key))
    elif isinstance(value, list | tuple):
        for child in value:
            yield from leaves(child, key)
    else:
        yield key, value


# Keys whose values are structure, not content: a timestamp, a handle, an enum. Hiding the
# item they belong to hides the fact; the value itself is public elsewhere on the site.
_STRUCTURAL_KEYS = frozenset(
    {"at", "by", "to", "event", "level", "severity", "reason", "channel", "type", "currency",
     "granted_by", "approved_by", "id", "due", "done_at", "owner", "tier", "region"}
)  # fmt: skip
_LEGAL_FORMS = re.compile(
    r"[\s,]+(GmbH|AG|SE|KG|SA|SAS|SARL|S\.A\.|S\.p\.A\.|BV|B\.V\.|NV|N\.V\.|Ltd\.?|Limited|"
    r"LLC|Inc\.?|Corp\.?|Co\.|plc|PLC|Pty|Pty Ltd|AB|ApS|AS|Oy|Srl|S\.r\.l\.|GmbH & Co\. KG)$"
)
_MIN_TEXT = 4
_NAME_WORD = re.compile(r"[^\W\d_][\w'’-]{2,}")
_MIN_NUMBER = 1000


@dataclass
class Scrubber:
    """Replaces hidden values where visible free text quotes them."""

    texts: set[str] = field(default_factory=set)
    numbers: set[int] = field(default_factory=set)
    _pattern: re.Pattern[str] | None = None

    def add_record(
        self, data: Mapping[str, Any], profile: Profile, public: Iterable[str] = ()
    ) -> None:
        """Learn the distinctive hidden values of one record.

        `public` names what is published anyway (roster handles and people's names): a
        hidden value equal to one of them, or a contact's first name shared with a colleague,
        is not scrubbed, or the on-call page would lose its names.
        """
        public_set = {item.casefold() for item in public}
        public_words = public_set | {word.casefold() for item in public for word in item.split()}
        for field_key, removed in hidden_items(data, profile):
            for key, value in leaves(removed, field_key):
                if key in _STRUCTURAL_KEYS or isinstance(value, bool) or value is None:
                    continue
                if isinstance(value, int | float):
                    if abs(value) >= _MIN_NUMBER and float(value).is_integer():
                        self.numbers.add(int(value))
                    continue
                text = str(value).strip()
                if len(text) < _MIN_TEXT or text.casefold() in public_set:
                    continue
                for variant in _text_variants(text, key):
                    if variant.casefold() in public_set:
                        continue
                    if " " not in variant and variant.casefold() in public_words:
                        continue
                    self.texts.add(variant)
        self._pattern = None

    @property
    def pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None and (self.texts or self.numbers):
            alternatives = []
            if self.texts:
                alternatives.append(rf"(?<!\w){_trie_pattern(self.texts)}(?!\w)")
            if self.numbers:
                variants = {v for number in self.numbers for v in _number_variants(number)}
                alternatives.append(rf"(?<![\d.,]){_trie_pattern(variants)}(?![\d]|[.,]\d)")
            self._pattern = re.compile("|".join(alternatives))
        return self._pattern

    def __call__(self, text: str) -> str:
        pattern = self.pattern
        if pattern is None or not text:
            return text
        return pattern.sub(REDACTED, text)

    def scrub(self, value: Any) -> Any:
        """Scrub every string inside a value (a record, a list, a string)."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Mapping):
            return {key: self.scrub(child) for key, child in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub(child) for child in value]
        return value


def _trie_pattern(words: Iterable[str]) -> str:
    """One regular expression matching any of the words, factored by common prefixes.

    A flat alternation of a few hundred names is tried name by name at every position; the
    factored form decides on the first character, which keeps scrubbing a site cheap.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Longest match first: an optional tail is tried before stopping here.
        return f"(?:{body})?" if ends else body

    return build(trie)


def _text_variants(text: str, key: str) -> set[str]:
    variants = {text}
    if key == "name":
        # "Nordlicht Mode GmbH" is also written "Nordlicht Mode", and "nordlicht-mode.de".
        short = _LEGAL_FORMS.sub("", text).strip()
        lower = short.lower()
        for variant in (short, lower, lower.replace(" ", "-"), lower.replace(" ", "")):
            if len(variant) >= _MIN_TEXT:
                variants.add(variant)
    if key == "contact":
        # "Jana Wiegand, Head of E-Commerce": the person's name is what leaks, also as "Hi Jana".
        name = text.split(",", 1)[0].split("<", 1)[0].strip()
        words = name.split()
        if len(name) >= _MIN_TEXT:
            variants.add(name)
        if 1 < len(words) <= 4 and all(word[:1].isupper() for word in words):
            variants.update(word for word in words if _NAME_WORD.fullmatch(word))
    return variants


def _number_variants(number: int) -> list[str]:
    plain = str(number)
    grouped = f"{number:,}"
    return sorted(
        {
            plain,
            grouped,
            grouped.replace(",", "."),
            grouped.replace(",", " "),
            grouped.replace(",", "\u202f"),
        },
        key=len,
        reverse=True,
    )
