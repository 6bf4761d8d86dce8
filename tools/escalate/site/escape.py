"""The one place where record text becomes output for the site.

Generated pages are Markdown documents whose record-derived parts are HTML blocks. MkDocs
(with Material) passes raw HTML in Markdown straight into the page, and Python-Markdown
runs some preprocessors (fenced code) *before* it sets HTML blocks aside, so text has to be
safe in both languages at once:

* `escape_text` turns every character that means something in HTML or Markdown (`<`, `&`,
  quotes, backticks, tildes, brackets, braces, `*`, `_`, `|`, `#`, `!`, `=`, backslash) and every
  line break into a numeric character reference. The browser shows the same text; neither
  Markdown nor HTML (nor any template engine looking for `{{`) sees syntax in it.
* `render_markdown` is for free text that may use Markdown (a postmortem body): it renders
  with raw HTML switched off, then `sanitize_html` re-serialises the result through an
  allow-list of tags and attributes and keeps links only to https:, mailto: and #anchors.
* `render_inline_markdown` is the same for short free text (a summary, a timeline text, a
  step, an action title): emphasis, code and links only, never headings or blocks.
* `finalize` is the Jinja2 hook: every `{{ value }}` in a site template goes through
  `escape_text` unless it is already `Markup` made here.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Mapping
from html import escape as html_escape
from html import unescape as html_unescape
from html.parser import HTMLParser
from typing import Any

from markupsafe import Markup

__all__ = [
    "escape_text",
    "finalize",
    "render_inline_markdown",
    "render_markdown",
    "render_markdown_sections",
    "safe_url",
    "sanitize_html",
]

# C0 controls except tab and newline, DEL, C1 controls, and the STX/ETX Python-Markdown uses
# for its placeholders: none of them belongs in published text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_ENTITIES = {ord(char): f"&#{ord(char)};" for char in "&<>\"'`~[]{}*_|#!=\\"}
_ENTITIES[ord("\n")] = "&#10;"
_ENTITIES[ord("\r")] = ""
_ENTITIES[ord("\t")] = " "
# Inside attribute values and already-serialised HTML only these need care.
# ("=" too, so no text ever reads like an attribute, even to a grep.)
_MARKDOWN_ONLY = {ord(char): f"&#{ord(char)};" for char in "`~{}="}

_SAFE_SCHEMES = ("https:", "mailto:")


def escape_text(value: object) -> str:
    """Any value as text that displays literally in HTML and in Markdown."""
    if value is None:
        return ""
    text = _CONTROL.sub("", str(value))
    return text.translate(_ENTITIES)


def finalize(value: Any) -> Any:
    """Jinja2 `finalize`: escape everything that is not already trusted Markup."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    if isinstance(value, bool):
        return Markup("yes" if value else "no")
    return Markup(escape_text(value))


def safe_url(url: object) -> str | None:
    """The URL when it is https:, mailto: or a same-page #anchor; otherwise None."""
    if not isinstance(url, str):
        return None
    cleaned = _CONTROL.sub("", url).strip()
    # Browsers ignore tabs and newlines inside a scheme ("java\tscript:"): compare without them.
    probe = re.sub(r"[\s]+", "", cleaned).lower()
    if probe.startswith(_SAFE_SCHEMES) and len(cleaned) > len("https:"):
        return cleaned
    if re.fullmatch(r"#[A-Za-z0-9_.:-]+", cleaned):
        return cleaned
    return None


def attribute(value: object) -> Markup:
    """A value for a double-quoted HTML attribute (an href, a data- timestamp)."""
    text = _CONTROL.sub("", "" if value is None else str(value))
    return Markup(html_escape(text, quote=True).translate(_MARKDOWN_ONLY))


# --- sanitising HTML -------------------------------------------------------------------------

_ALLOWED: dict[str, frozenset[str]] = {
    tag: frozenset()
    for tag in (
        "p", "br", "hr", "em", "strong", "b", "i", "code", "pre", "blockquote", "ul", "ol",
        "li", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "del", "sup",
        "sub", "dl", "dt", "dd", "span", "div",
    )
}  # fmt: skip
_ALLOWED["a"] = frozenset({"href", "title"})
_ALLOWED["img"] = frozenset({"src", "alt", "title"})
_ALLOWED["th"] = frozenset({"style"})
_ALLOWED["td"] = frozenset({"style"})
_ALLOWED["code"] = frozenset({"class"})
_VOID = frozenset({"br", "hr", "img"})
_DROP_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "svg", "math", "noscript", "textarea", "title"})  # fmt: skip
_STYLE = re.compile(r"text-align: ?(left|right|center);?")
_CLASS = re.compile(r"language-[A-Za-z0-9_+-]+")
# A document's own h1 becomes an h2 under the page's title; deeper headings shift with it.
_HEADING_SHIFT = {"h1": "h2", "h2": "h3", "h3": "h4", "h4": "h5", "h5": "h6", "h6": "h6"}


class _Sanitizer(HTMLParser):
    def __init__(self, allowed: Mapping[str, frozenset[str]] = _ALLOWED) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self.dropping += 1
            return
        if self.dropping:
            return
        tag = _HEADING_SHIFT.get(tag, tag)
        if tag not in self.allowed:
            if tag == "img":  # an image where none may be: its description stays
                alt = dict(attrs).get("alt")
                if alt:
                    self.handle_data(alt)
            return
        kept = []
        for name, value in attrs:
            if name not in self.allowed[tag] or value is None:
                continue
            if name in ("href", "src"):
                value = safe_url(value)
                if value is None or (name == "src" and not value.lower().startswith("https:")):
                    continue
            elif (name == "style" and not _STYLE.fullmatch(value)) or (
                name == "class" and not _CLASS.fullmatch(value)
            ):
                continue
            kept.append(f' {name}="{attribute(value)}"')
        if tag == "a":
            kept.append(' rel="nofollow noopener noreferrer"')
        if tag == "img" and not any(part.startswith(" src=") for part in kept):
            return
        self.out.append(f"<{tag}{''.join(kept)}>")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and not self.dropping and self.open and self.open[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping:
            return
        tag = _HEADING_SHIFT.get(tag, tag)
        if tag not in self.open:
            return
        while self.open:
            closing = self.open.pop()
            self.out.append(f"</{closing}>")
            if closing == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        text = _CONTROL.sub("", data)
        # A line break as a character reference: a blank line inside a generated HTML block
        # would end the block, and Markdown would read what follows.
        self.out.append(
            html_escape(text, quote=False).translate(_MARKDOWN_ONLY).replace("\n", "&#10;")
        )

    def close(self) -> None:
        super().close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")


def sanitize_html(html: str, allowed: Mapping[str, frozenset[str]] = _ALLOWED) -> Markup:
    """Re-serialise HTML through an allow-list: unknown tags vanish, their text stays."""
    sanitizer = _Sanitizer(allowed)
    sanitizer.feed(html)
    sanitizer.close()
    return Markup("".join(sanitizer.out))


def render_markdown(text: str) -> Markup:
    """Free text written in Markdown, as safe HTML: raw HTML shows as text, links are checked."""
    # Imported here (the CLI never renders Markdown), and untyped: Markdown ships no stubs.
    markdown: Any = importlib.import_module("markdown")
    md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    # Raw HTML, as a block or inline, is not markup here: it is shown as the text it is.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return sanitize_html(md.convert(_CONTROL.sub("", text)))


class _Sections(_Sanitizer):
    """A sanitiser that also notes where each top-level heading starts and ends in `out`."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[int, int, int]] = []  # (start, end, level as written)
        self._heading: tuple[int, int] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        top = not self.open and not self.dropping
        if top and re.fullmatch(r"h[1-6]", tag):
            self._heading = (len(self.out), int(tag[1]))
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        super().handle_endtag(tag)
        if self._heading is not None and not self.open:
            start, level = self._heading
            self.marks.append((start, len(self.out), level))
            self._heading = None


def render_markdown_sections(text: str) -> tuple[Markup, list[tuple[int, str, Markup]]]:
    """A Markdown document as safe HTML cut at its top-level headings.

    Returns the part before the first heading, then (level as written, heading as plain
    text, the HTML up to the next heading) for each heading, so a page can write the
    headings as its own (in its table of contents) and the sections between them as HTML.
    """
    markdown: Any = importlib.import_module("markdown")
    md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    sections = _Sections()
    sections.feed(md.convert(_CONTROL.sub("", text)))
    sections.close()
    out = sections.out
    starts = [start for start, _, _ in sections.marks] + [len(out)]
    intro = Markup("".join(out[: starts[0]]))
    found = []
    for index, (start, end, level) in enumerate(sections.marks):
        heading = re.sub(r"<[^>]+>", "", "".join(out[start:end]))
        found.append(
            (level, html_unescape(heading).strip(), Markup("".join(out[end : starts[index + 1]])))
        )
    return intro, found


# Inline Markdown for one-line and short free text (an impact summary, a timeline text, a
# step, an action title): emphasis, code, links and line breaks; no headings, lists or code
# blocks, which would break the page around the text.
_INLINE_ALLOWED = {
    tag: _ALLOWED[tag] for tag in ("em", "strong", "b", "i", "code", "del", "sup", "sub", "br", "a")
}
# Without one of these a text has no inline Markdown: it is escaped, not parsed (fast path).
_INLINE_SYNTAX = re.compile(r"[*_`\[\]<\\~]|https?:|mailto:|  \n")


@functools.cache
def _inline_markdown() -> Any:
    """One Markdown converter for inline text, reused (building one costs more than a page)."""
    markdown: Any = importlib.import_module("markdown")
    blockprocessors: Any = importlib.import_module("markdown.blockprocessors")
    util: Any = importlib.import_module("markdown.util")
    md = markdown.Markdown(extensions=[], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    # Paragraphs only: "# x", "- x", "    x" and "> x" stay the text they are.
    paragraphs = util.Registry()
    paragraphs.register(blockprocessors.ParagraphProcessor(md.parser), "paragraph", 10)
    md.parser.blockprocessors = paragraphs
    return md


def render_inline_markdown(text: object) -> Markup:
    """Free text with inline Markdown as safe HTML: raw HTML shows as text, links are checked."""
    if text is None:
        return Markup("")
    source = _CONTROL.sub("", str(text))
    if not _INLINE_SYNTAX.search(source):
        return Markup(escape_text(source))
    md = _inline_markdown()
    md.reset()
    html = md.convert(source).replace("</p>\n<p>", "\n\n")
    return sanitize_html(html, _INLINE_ALLOWED)
