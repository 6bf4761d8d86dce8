"""Reading a built site: pages parsed with html.parser, links resolved against the site dir."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

_SKIP_TEXT = frozenset({"script", "style"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]


@dataclass
class ParsedPage:
    path: Path
    elements: list[Element] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)

    @cached_property
    def text(self) -> str:
        """Visible text, whitespace collapsed (what a reader sees)."""
        return re.sub(r"\s+", " ", "".join(self.text_parts)).strip()

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [
            element
            for element in self.elements
            if element.tag == tag
            and all(
                element.attrs.get(key.replace("_", "-")) == value for key, value in attrs.items()
            )
        ]


class _Parser(HTMLParser):
    def __init__(self, page: ParsedPage) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.elements.append(Element(tag, {k: v or "" for k, v in attrs}))
        if tag in _SKIP_TEXT:
            self.stack.append(tag)
            self.page.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.page.scripts[-1] += data
        else:
            self.page.text_parts.append(data)


def parse(path: Path) -> ParsedPage:
    page = ParsedPage(path)
    parser = _Parser(page)
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return page


# Rows of a table: the text of each <tr data-id=…>, in order.
def rows_with(page_path: Path, attribute: str) -> list[str]:
    return [
        e.attrs[attribute]
        for e in parse(page_path).elements
        if e.tag == "tr" and attribute in e.attrs
    ]


URL_ATTRIBUTES = {
    "a": "href",
    "link": "href",
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
}


def internal_targets(site: Path, page: ParsedPage) -> list[tuple[str, Path, str]]:
    """(href, the file it resolves to, fragment) for every same-site link of a page."""
    found = []
    for element in page.elements:
        attribute = URL_ATTRIBUTES.get(element.tag)
        if attribute is None or attribute not in element.attrs:
            continue
        href = element.attrs[attribute]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("//"):
            continue
        if not parts.path:
            found.append((href, page.path, parts.fragment))
            continue
        if parts.path.startswith("/"):
            target = site / unquote(parts.path).lstrip("/")
        else:
            target = (page.path.parent / unquote(parts.path)).resolve()
        if href.endswith("/") or target.is_dir():
            target = target / "index.html"
        found.append((href, target, parts.fragment))
    return found


def readable_corpus(path: Path) -> str:
    """What a file says once decoded: text and attributes of HTML, strings of JSON, else text."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        page = parse(path)
        values = [value for element in page.elements for value in element.attrs.values()]
        return normalize(" ".join([page.text, *values, *page.scripts]))
    if path.suffix == ".json":
        strings: list[str] = []
        _strings(json.loads(raw), strings)
        return normalize(" ".join(html.unescape(s) for s in strings))
    return normalize(html.unescape(raw))


def _strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
        # Material's search index stores section text with HTML tags: strip them too.
        out.append(re.sub(r"<[^>]+>", " ", value))
    elif isinstance(value, dict):
        for key, child in value.items():
            out.append(str(key))
            _strings(child, out)
    elif isinstance(value, list):
        for child in value:
            _strings(child, out)


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text)


class _TableReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def tables(path: Path) -> list[list[list[str]]]:
    """Every table of a page: rows of cell texts (header rows included)."""
    reader = _TableReader()
    reader.feed(path.read_text(encoding="utf-8"))
    reader.close()
    return reader.tables
