"""escape.py, the one place record text becomes page output: unit tables, no build needed."""

from __future__ import annotations

import html
import re

import pytest
from markupsafe import Markup

from escalate.site.escape import (
    attribute,
    escape_text,
    finalize,
    render_inline_markdown,
    render_markdown,
    render_markdown_sections,
    safe_url,
    sanitize_html,
)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "{{ 7*7 }} {% raw %}",
        "```\ncode\n```",
        "~~~\ncode\n~~~",
        "**bold** _em_ `tick` | pipe # hash ! bang \\ backslash",
        "a \"quoted\" 'text' & more",
        "line one\n\nline two",
    ],
)
def test_escaped_text_has_no_syntax_left_and_reads_the_same(text: str) -> None:
    escaped = escape_text(text)
    bare = re.sub(r"&#[0-9]+;", "", escaped)
    for char in "<>\"'`~[]{}*_|#!=\\\n&":
        assert char not in bare
    assert html.unescape(escaped) == text


def test_control_characters_are_dropped() -> None:
    # STX/ETX frame Python-Markdown's placeholders: text must never forge one.
    assert escape_text("a\x02wzxhzdk:0\x03b\x00c") == "awzxhzdk:0bc"
    assert escape_text(None) == ""


def test_finalize_escapes_strings_and_trusts_markup() -> None:
    assert finalize("<b>") == Markup("&#60;b&#62;")
    assert finalize(Markup("<b>ok</b>")) == Markup("<b>ok</b>")
    assert finalize(None) == Markup("")
    assert finalize(True) == Markup("yes")
    assert finalize(3) == Markup("3")


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.com/a?b=1", True),
        ("HTTPS://example.com", True),
        ("mailto:team@example.com", True),
        ("#section-2", True),
        ("http://example.com", False),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox", False),
        ("//evil.example.com", False),
        ("../escalations/ESC-2026-0001/", False),
        ("https:", False),
        ("#a b", False),
        (None, False),
    ],
)
def test_only_https_mailto_and_anchors_are_links(url: str | None, safe: bool) -> None:
    assert (safe_url(url) is not None) is safe


def test_attribute_values_cannot_break_out() -> None:
    value = attribute('https://x/" onmouseover="alert(1)')
    assert '"' not in value and "=" not in value
    assert html.unescape(value) == 'https://x/" onmouseover="alert(1)'


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<script>alert(1)</script>ok", "ok"),
        ("<style>p{}</style><p>ok</p>", "<p>ok</p>"),
        ('<p onclick="alert(1)">x</p>', "<p>x</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="nofollow noopener noreferrer">x</a>'),
        (
            '<a href="https://e.com/" target="_blank">x</a>',
            '<a href="https://e.com/" rel="nofollow noopener noreferrer">x</a>',
        ),
        ('<img src="http://e.com/x.png" onerror="alert(1)">', ""),
        ('<img src="https://e.com/x.png" alt="a">', '<img src="https://e.com/x.png" alt="a">'),
        ('<td style="text-align: left;">x</td>', '<td style="text-align: left;">x</td>'),
        ('<td style="background:url(javascript:alert(1))">x</td>', "<td>x</td>"),
        ("<iframe src=x>inner</iframe>after", "after"),
        ("<svg onload=alert(1)><circle/></svg>after", "after"),
        ("<blink><b>bold</b></blink>", "<b>bold</b>"),
        ("<h1>Title</h1>", "<h2>Title</h2>"),
        ("<p><em>open", "<p><em>open</em></p>"),
        ("</div>stray", "stray"),
        ("<p>{{ 7*7 }} `x` a=b</p>", "<p>&#123;&#123; 7*7 &#125;&#125; &#96;x&#96; a&#61;b</p>"),
        ('<code class="language-py">x</code>', '<code class="language-py">x</code>'),
        ('<code class="x" onclick="y">x</code>', "<code>x</code>"),
    ],
)
def test_sanitize_html_keeps_only_the_allow_list(dirty: str, clean: str) -> None:
    assert sanitize_html(dirty) == Markup(clean)


def test_markdown_free_text_renders_without_raw_html() -> None:
    rendered = str(
        render_markdown(
            "# Head\n\n**bold** [ok](https://e.com) [bad](javascript:alert(1)) <b>raw</b>\n\n"
            "<script>alert(1)</script>\n\n```\n<script>x</script>\n```\n\n| a |\n|---|\n| {{ 7*7 }} |\n"
        )
    )
    assert "<h2>Head</h2>" in rendered
    assert "<strong>bold</strong>" in rendered
    assert '<a href="https://e.com" rel="nofollow noopener noreferrer">ok</a>' in rendered
    assert '<a rel="nofollow noopener noreferrer">bad</a>' in rendered
    assert "&lt;b&gt;raw&lt;/b&gt;" in rendered and "<b>" not in rendered
    assert "<script" not in rendered and "&lt;script&gt;" in rendered
    assert "<table>" in rendered and "&#123;&#123; 7*7 &#125;&#125;" in rendered
    assert "`" not in rendered and "javascript" not in rendered.replace("(javascript:", "")


# --- inline Markdown in short free text ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**bold** and _em_", "<strong>bold</strong> and <em>em</em>"),
        ("run `make site`", "run <code>make site</code>"),
        (
            "[docs](https://example.com/a)",
            '<a href="https://example.com/a" rel="nofollow noopener noreferrer">docs</a>',
        ),
        (
            "[mail](mailto:ops@example.com)",
            '<a href="mailto:ops@example.com" rel="nofollow noopener noreferrer">mail</a>',
        ),
        ("[x](javascript:alert(1))", '<a rel="nofollow noopener noreferrer">x</a>'),
        ("![chart](https://example.com/x.png)", "chart"),  # no images in a line of text
        ("plain words, no syntax", "plain words, no syntax"),
    ],
)
def test_inline_markdown_renders_emphasis_code_and_safe_links(text: str, expected: str) -> None:
    assert render_inline_markdown(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script> **x**",
        "<b onmouseover=alert(1)>hover</b> *x*",
        "<img src=x onerror=alert(1)> `x`",
        "# heading?\n\n- a list?\n\n    indented code?\n\n> quote? _x_",
        "```\n<script>alert(1)</script>\n```",
        "{{ 7*7 }} {: onclick=alert(1) } ~~~ _x_",
    ],
)
def test_inline_markdown_keeps_raw_html_and_blocks_as_text(text: str) -> None:
    rendered = str(render_inline_markdown(text))
    tags = set(re.findall(r"</?([a-z0-9]+)", rendered))
    assert tags <= {"em", "strong", "code", "a"}, rendered
    assert "\n" not in rendered  # a blank line would end the page's HTML block
    assert not re.search(r"[`~{}=]", rendered)  # nothing Markdown or attr_list reads again
    visible = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    for part in ("<script>", "onmouseover", "<img", "# heading?", "{{ 7*7 }}", "onclick"):
        if part in text:
            assert part in visible, (part, rendered)


def test_a_document_is_cut_at_its_top_level_headings_only() -> None:
    intro, sections = render_markdown_sections(
        "before\n\n> ## quoted\n\n## Real <script>x</script>\n\ntext\n\n```\n# fenced\n```\n\n### Deeper"
    )
    assert "before" in intro and "<blockquote>" in intro and "quoted" in intro
    assert [(level, title) for level, title, _ in sections] == [
        (2, "Real <script>x</script>"),  # the title as text, for the page to escape
        (3, "Deeper"),
    ]
    body = str(sections[0][1] and sections[0][2])
    assert "<pre><code># fenced" in body and "<script>" not in body
    assert "\n" not in body  # no blank line can end the page's HTML block
