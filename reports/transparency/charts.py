"""Charts drawn on the server as SVG: no script, no inline style, no CDN.

Strict CSP allows SVG presentation attributes (``fill``, ``stroke``) and classes from
our static stylesheet, so the charts use nothing else. Each series has a fill *and* a
pattern (solid, diagonal hatch, dots), so they stay apart in greyscale and on a
black-and-white printer; every chart is paired with a data table in the page for screen
readers (the SVG itself is ``aria-hidden``). WeasyPrint draws the same SVG in the PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

INK = "#1a2330"
MUTED = "#4f5b6b"
GRID = "#d5dbe3"


@dataclass(frozen=True)
class Series:
    name: str
    fill: str  # "solid", "hatch", "dots" or "open"


SOLID_FILL = "#1f4e8c"


def _defs(uid: str) -> str:
    return (
        "<defs>"
        f'<pattern id="{uid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{INK}" stroke-width="2.4"/></pattern>'
        f'<pattern id="{uid}-dots" width="5" height="5" patternUnits="userSpaceOnUse">'
        '<rect width="5" height="5" fill="#ffffff"/>'
        f'<circle cx="2.5" cy="2.5" r="1.2" fill="{INK}"/></pattern>'
        "</defs>"
    )


def _paint(uid: str, fill: str) -> str:
    if fill == "solid":
        return f'fill="{SOLID_FILL}" stroke="{INK}" stroke-width="0.6"'
    if fill == "open":
        return f'fill="#ffffff" stroke="{INK}" stroke-width="0.8"'
    return f'fill="url(#{uid}-{fill})" stroke="{INK}" stroke-width="0.6"'


def _number(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _legend(uid: str, series: Sequence[Series], x: float, y: float) -> str:
    parts = []
    for s in series:
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="14" height="12" {_paint(uid, s.fill)}/>'
        )
        parts.append(
            f'<text x="{x + 20:.1f}" y="{y:.1f}" class="chart-legend" font-size="12" fill="{INK}">'
            f"{escape(s.name)}</text>"
        )
        x += 28 + 7.2 * len(s.name)
    return "".join(parts)


def _svg(uid: str, title: str, width: int, height: int, body: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every text node above is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{uid}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-hidden="true" font-family="DejaVu Sans, sans-serif">'
        f"<title>{escape(title)}</title>{_defs(uid)}{body}</svg>"
    )


def horizontal_stacked(
    *,
    uid: str,
    title: str,
    rows: Sequence[tuple[str, Sequence[int | str]]],
    series: Sequence[Series],
    width: int = 680,
) -> SafeString:
    """One bar per row (e.g. a country), its parts stacked (e.g. produced / not).
    A banded part ("0-249") is not drawn to scale: its band is written instead."""
    label_w, bar_h, gap, top = 170, 20, 10, 34
    plot_w = width - label_w - 90
    totals = [sum(v for v in values if isinstance(v, int)) for _label, values in rows]
    scale = plot_w / max([*totals, 1])
    height = top + len(rows) * (bar_h + gap) + 10
    body = [_legend(uid, series, label_w, 16)]
    for i, (label, values) in enumerate(rows):
        y = top + i * (bar_h + gap)
        body.append(
            f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{escape(label[:24])}</text>'
        )
        x = float(label_w)
        bands = []
        for value, s in zip(values, series, strict=True):
            if isinstance(value, str):
                bands.append(value)
                continue
            w = value * scale
            if w > 0:
                body.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                    f"{_paint(uid, s.fill)}/>"
                )
            x += w
        note = _number(totals[i]) if not bands else " / ".join(bands)
        body.append(
            f'<text x="{x + 6:.1f}" y="{y + 14}" font-size="12" fill="{MUTED}">'
            f"{escape(note)}</text>"
        )
    return _svg(uid, title, width, height, "".join(body))


def grouped_columns(
    *,
    uid: str,
    title: str,
    columns: Sequence[tuple[str, Sequence[int | str]]],
    series: Sequence[Series],
    width: int = 680,
    height: int = 260,
) -> SafeString:
    """Columns per period (e.g. half-years), one bar per series side by side."""
    left, bottom, top = 56, 36, 34
    plot_w, plot_h = width - left - 16, height - top - bottom
    values = [v for _label, vs in columns for v in vs if isinstance(v, int)]
    peak = max([*values, 1])
    step = _nice_step(peak)
    ceiling = step * -(-peak // step)
    body = [_legend(uid, series, left, 16)]
    for k in range(0, int(ceiling // step) + 1):
        tick = k * step
        y = top + plot_h - plot_h * tick / ceiling
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 16}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{MUTED}">{_number(tick)}</text>'
        )
    slot = plot_w / max(len(columns), 1)
    bar_w = min(34.0, (slot - 14) / max(len(series), 1))
    for i, (label, vs) in enumerate(columns):
        x0 = left + i * slot + (slot - bar_w * len(series)) / 2
        for j, (value, s) in enumerate(zip(vs, series, strict=True)):
            x = x0 + j * bar_w
            if isinstance(value, str):
                body.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - 4}" text-anchor="middle" '
                    f'font-size="9" fill="{MUTED}">{escape(value)}</text>'
                )
                continue
            h = plot_h * value / ceiling
            body.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{h:.1f}" {_paint(uid, s.fill)}/>'
            )
        body.append(
            f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - 14}" text-anchor="middle" '
            f'font-size="12" fill="{INK}">{escape(label)}</text>'
        )
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 16}" y2="{top + plot_h}" '
        f'stroke="{INK}" stroke-width="1"/>'
    )
    return _svg(uid, title, width, height, "".join(body))


def share_bar(
    *, uid: str, title: str, parts: Sequence[tuple[Series, int]], width: int = 680
) -> SafeString:
    """One 100 % bar split into parts (e.g. outcomes), each labelled with its share."""
    left, top, bar_h = 8, 34, 34
    plot_w = width - 2 * left
    total = sum(n for _s, n in parts) or 1
    body = [_legend(uid, [s for s, _n in parts], left, 16)]
    x = float(left)
    for s, n in parts:
        w = plot_w * n / total
        if w <= 0:
            continue
        body.append(
            f'<rect x="{x:.1f}" y="{top}" width="{w:.1f}" height="{bar_h}" {_paint(uid, s.fill)}/>'
        )
        if w > 44:
            body.append(
                f'<rect x="{x + w / 2 - 22:.1f}" y="{top + 9}" width="44" height="16" '
                'fill="#ffffff" '
                f'stroke="{INK}" stroke-width="0.5"/>'
                f'<text x="{x + w / 2:.1f}" y="{top + 21}" text-anchor="middle" font-size="11" '
                f'fill="{INK}">{100 * n / total:.0f} %</text>'
            )
        x += w
    return _svg(uid, title, width, top + bar_h + 10, "".join(body))


def _nice_step(peak: int) -> int:
    """A round grid step giving four to eight lines up to ``peak``."""
    step = 1
    while peak / step > 8:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if peak / step <= 8:
                break
    return max(step, 1)
