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
enough to find in the text that remains - and a hidden customer name in every form it is
written in: without its legal form, without trailing generic words, its long leading word,
and the record's `customer.aliases`.
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
    "customer_name_variants",
    "hidden_items",
    "hidden_paths",
    "hidden_values",
    "profile_named",
    "redact",
]

DEFAULT_PROFILE = "internal"
REDACTED = "[hidden]"
# Paths a profile hides along with another: aliases are other spellings of the name.
HIDDEN_WITH = {"customer.name": ("customer.aliases",)}

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


def hidden_paths(profile: Profile | Iterable[str]) -> tuple[str, ...]:
    """The paths a profile hides, with those hidden along with them (`HIDDEN_WITH`)."""
    hide = list(profile.hide if isinstance(profile, Profile) else profile)
    for path in list(hide):
        hide.extend(extra for extra in HIDDEN_WITH.get(path, ()) if extra not in hide)
    return tuple(hide)


def redact(data: Mapping[str, Any], profile: Profile | Iterable[str]) -> dict[str, Any]:
    """A copy of a record without the fields the profile hides (the input is not changed)."""
    hide = hidden_paths(profile)
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
    hide = hidden_paths(profile)
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
_LEGAL_FORM = re.compile(
    r"[\s,]+(GmbH & Co\. KG|GmbH|AG|SE|KG|SA|SAS|SARL|S\.A\.|S\.p\.A\.|BV|B\.V\.|NV|N\.V\.|"
    r"Ltd\.?|Limited|LLC|Inc\.?|Corp\.?|Co\.|plc|PLC|Pty|AB|ApS|AS|A/S|Oy|Srl|S\.r\.l\.)$"
)
# Words that say what kind of business a customer is, not who: "Southern Cross Pharmacy
# Group" is called "Southern Cross" in a postmortem, so these are taken off the end of a name
# one by one, each shorter form scrubbed too. A leading word from this list ("Studio Falk")
# is not distinctive on its own.
_GENERIC_TEXT = """
    & + and und et y co company companies group gruppe groupe holding holdings partners
    services solutions systems technologies technology tech international global trading
    industries enterprises ventures labs studio studios atelier café cafe boulangerie
    bakery shop shops store stores market markets supply supplies outdoor outfitters
    retail retailers grocers grocery foods food wine wines beverages brewery restaurant
    restaurants hotel hotels resort resorts travel reiser reisen tours airlines freight
    logistics logistik transport shipping pharmacy pharma health healthcare medical dental
    clinic clinics care insurance versicherung versicherungen agency bank banking capital
    finance financial bookkeeping accounting title escrow law legal consulting engineering
    civil construction baustoffe keramik architekten architects design mode fashion books
    media publishing yoga fitness sports education school university software cloud digital
    online data networks telecom energy north south east west northern southern eastern
    western central national general united royal first new
"""
_GENERIC_WORDS = frozenset(_GENERIC_TEXT.split())
_CONNECTORS = frozenset({"&", "+", "and", "und", "et", "y", "co"})
_DOMAIN_PART = re.compile(r"[^\W_]+")
_MIN_TEXT = 4
_MIN_LEADING_WORD = 6
_NAME_WORD = re.compile(r"[^\W\d_][\w'’-]{2,}")
_MIN_NUMBER = 1000


@dataclass
class Scrubber:
    """Replaces hidden values where visible free text quotes them.

    `texts` match in any case (a hidden note, a contact's full name, "Nordlicht Mode");
    `words` are single words that match only as written ("Nordlicht", "Jana"), so a
    customer called Cascade does not take the lower-case word with it. `keep` holds the
    published names of people: "Nora Lindqvist" stays even where "Lindqvist" alone is the
    short name of a customer and is scrubbed.
    """

    texts: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    numbers: set[int] = field(default_factory=set)
    keep: set[str] = field(default_factory=set)
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
        self.keep.update(item for item in public if " " in item.strip())
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
                texts, words = _text_variants(text, key)
                for variant in texts:
                    if variant.casefold() not in public_set:
                        self.texts.add(variant)
                for word in words:
                    if word.casefold() in public_set:
                        continue
                    # A contact's first name is also a colleague's: "Hi Priya" may be either.
                    if key == "contact" and word.casefold() in public_words:
                        continue
                    self.words.add(word)
        self._pattern = None

    @property
    def pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None and (self.texts or self.words or self.numbers):
            alternatives = []
            if self.texts:
                texts = {text.casefold() for text in self.texts}
                alternatives.append(rf"(?P<text>(?i:(?<!\w){_trie_pattern(texts)}(?!\w)))")
            if self.keep:
                # Tried after the hidden texts and before the single words: a colleague's
                # full name is kept whole, a hidden name that starts the same way is not.
                alternatives.append(rf"(?P<keep>(?<!\w){_trie_pattern(self.keep)}(?!\w))")
            if self.words:
                alternatives.append(rf"(?<!\w){_trie_pattern(self.words)}(?!\w)")
            if self.numbers:
                variants = {v for number in self.numbers for v in _number_variants(number)}
                alternatives.append(rf"(?<![\d.,]){_trie_pattern(variants)}(?![\d]|[.,]\d)")
            self._pattern = re.compile("|".join(alternatives))
        return self._pattern

    def __call__(self, text: str) -> str:
        pattern = self.pattern
        if pattern is None or not text:
            return text
        return pattern.sub(_replacement, text)

    def scrub(self, value: Any) -> Any:
        """Scrub every string inside a value (a record, a list, a string)."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Mapping):
            return {key: self.scrub(child) for key, child in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub(child) for child in value]
        return value


def _replacement(match: re.Match[str]) -> str:
    return match.group(0) if match.lastgroup == "keep" else REDACTED


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


def customer_name_variants(name: str) -> tuple[set[str], set[str]]:
    """The forms a customer's name is written in: (texts in any case, words as written).

    "Harbourline Grocers Pty Ltd" is also "Harbourline Grocers", "harbourline-grocers",
    "harbourlinegrocers" (a domain) and, its leading word being long and distinctive,
    "Harbourline"; "Southern Cross Pharmacy Group" is also "Southern Cross Pharmacy" and
    "Southern Cross", but not "Southern". A form of one word is matched as written only.
    """
    short = name.strip()
    while (stripped := _LEGAL_FORM.sub("", short).strip()) != short:
        short = stripped
    words = short.split()
    forms = [short]
    while len(words) > 1 and words[-1].casefold() in _GENERIC_WORDS:
        words = words[:-1]
        if words[-1].casefold() not in _CONNECTORS:
            forms.append(" ".join(words))
    leading = words[0] if words else ""
    if (
        len(short.split()) > 1
        and len(leading) >= _MIN_LEADING_WORD
        and leading[:1].isupper()
        and _NAME_WORD.fullmatch(leading)
        and leading.casefold() not in _GENERIC_WORDS
    ):
        forms.append(leading)
    texts, single = {name.strip()}, set()
    for form in forms:
        if " " in form:
            parts = _DOMAIN_PART.findall(form.lower())
            texts.update((form, "-".join(parts), "".join(parts)))
        else:
            single.add(form)
    if " " not in short:
        texts.add(short.lower())  # the name itself, one word: also as a domain or handle
    return {t for t in texts if len(t) >= _MIN_TEXT}, {w for w in single if len(w) >= _MIN_TEXT}


def _text_variants(text: str, key: str) -> tuple[set[str], set[str]]:
    """(texts, words) to scrub for one hidden value found under `key`."""
    if key == "name":
        return customer_name_variants(text)
    if key == "aliases":
        # An alias is chosen because the customer is called so: in any case it is them.
        texts, words = customer_name_variants(text)
        return texts | {text.strip()}, words - {text.strip()}
    texts, words = {text}, set()
    if key == "contact":
        # "Jana Wiegand, Head of E-Commerce": the person's name is what leaks, also as "Hi Jana".
        name = text.split(",", 1)[0].split("<", 1)[0].strip()
        parts = name.split()
        if len(name) >= _MIN_TEXT:
            texts.add(name)
        if 1 < len(parts) <= 4 and all(part[:1].isupper() for part in parts):
            words.update(part for part in parts if _NAME_WORD.fullmatch(part))
    return texts, words


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
