"""Charts for the metrics page: inline SVG drawn at build time (no script, no CDN).

One shape serves every chart: horizontal bars, a label on the left, the value as text on the
right. A bar may carry a highlighted part from its start (out-of-hours time within active
time) and a tick (the 90th percentile beyond the median). Each chart is an `<svg role="img">`
named by its `<title>` and described in words by its `<desc>`, so a screen reader gets the
numbers the picture shows; the tables beside the charts hold the same values. Every text
goes through `escape`: labels are identifiers today, but a chart never trusts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from . import escape

__all__ = ["Bar", "bar_chart"]

WIDTH = 720
LABEL_WIDTH = 130
TEXT_WIDTH = 230
ROW = 26
BAR = 16
TOP = 6
LEGEND = 22


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # bar length in the chart's unit; None: no data for this row
    text: str  # the value as the page writes it ("14m / p90 22m", "92 % (23 of 25)")
    part: float | None = None  # a highlighted share from the start, in the same unit
    mark: float | None = None  # a tick, in the same unit


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    *,
    maximum: float | None = None,
    legend: Sequence[tuple[str, str]] = (),
) -> Markup:
    """One horizontal bar chart as an inline `<svg>`, scaled to `maximum` (else the largest)."""
    e, a = escape.finalize, escape.attribute
    peak = maximum or max((max(bar.value or 0.0, bar.mark or 0.0) for bar in bars), default=0.0)
    scale = (WIDTH - LABEL_WIDTH - TEXT_WIDTH - 10) / peak if peak > 0 else 0.0
    height = TOP + len(bars) * ROW + (LEGEND if legend else 0) + 4
    ident = a(chart_id)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="esc-chart-svg" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" style="max-width: {WIDTH}px">',
        f'<title id="{ident}-title">{e(title)}</title>',
        f'<desc id="{ident}-desc">{e(description)}</desc>',
    ]
    for index, bar in enumerate(bars):
        y = TOP + index * ROW
        middle = y + ROW / 2 + 4
        out.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{_number(middle)}" text-anchor="end" '
            f'class="esc-chart-label">{e(bar.label)}</text>'
        )
        x0 = LABEL_WIDTH
        if bar.value:
            length = max(bar.value * scale, 1.0)
            top = y + (ROW - BAR) / 2
            out.append(
                f'<rect x="{x0}" y="{_number(top)}" width="{_number(length)}" height="{BAR}" '
                f'class="esc-chart-bar"></rect>'
            )
            if bar.part:
                part = min(bar.part * scale, length)
                out.append(
                    f'<rect x="{x0}" y="{_number(top)}" width="{_number(part)}" '
                    f'height="{BAR}" class="esc-chart-part"></rect>'
                )
        if bar.mark:
            x = x0 + bar.mark * scale
            out.append(
                f'<line x1="{_number(x)}" x2="{_number(x)}" y1="{y + 3}" y2="{y + ROW - 3}" '
                f'class="esc-chart-mark"></line>'
            )
        text_x = WIDTH - TEXT_WIDTH + 6
        out.append(
            f'<text x="{text_x}" y="{_number(middle)}" class="esc-chart-value">{e(bar.text)}</text>'
        )
    if legend:
        y = TOP + len(bars) * ROW + 6
        x = LABEL_WIDTH
        for css_class, text in legend:
            if css_class == "esc-chart-mark":  # a tick is shown as one
                key = f'<line x1="{x + 6}" x2="{x + 6}" y1="{y}" y2="{y + 12}" class="esc-chart-mark"></line>'
            else:
                key = f'<rect x="{x}" y="{y}" width="12" height="12" class="{a(css_class)}"></rect>'
            out.append(
                key + f'<text x="{x + 16}" y="{y + 10}" class="esc-chart-legend">{e(text)}</text>'
            )
            x += 24 + 7 * len(text)
    out.append("</svg>")
    return Markup("\n".join(out))
