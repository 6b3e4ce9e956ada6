"""Pictures for the catalog site, drawn as inline SVG at build time.

No chart library and no request to anyone: each function returns SVG markup built from numbers and
escaped text. Colours and fonts come from classes the site's stylesheet defines (a strict
Content-Security-Policy forbids inline styles). Every picture carries a title and a description for
screen readers; the page puts a table with the same numbers next to it.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

MAP_FILE = "world-110m.json"
MAP_SOUTH_LIMIT = -58.0  # Antarctica holds no partner; cropping it gives the rest more room.


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str  # the accessible text of the bar, e.g. "2015: 4 agreements"


def _svg_open(width: float, height: float, ident: str, title: str, desc: str, cls: str) -> list[str]:
    return [
        f'<svg class="chart {cls}" viewBox="0 0 {width:g} {height:g}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(desc)}</desc>',
    ]


def nice_step(maximum: float, ticks: int = 4) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return float(m * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def timeline(counts: dict[int, int], *, ident: str, title: str, desc: str) -> Markup:
    """Vertical bars, one per year from the first to the last year in ``counts`` (gaps as zero)."""
    width, height = 640.0, 240.0
    left, right, top, bottom = 36.0, 8.0, 12.0, 28.0
    parts = _svg_open(width, height, ident, title, desc, "chart-timeline")
    if not counts:
        parts.append("</svg>")
        return Markup("".join(parts))
    first, last = min(counts), max(counts)
    years = list(range(first, last + 1))
    peak = max(counts.values())
    step = max(1.0, nice_step(peak))
    top_value = math.ceil(peak / step) * step
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / len(years)
    for i in range(int(top_value / step) + 1):
        value = i * step
        y = top + plot_h - plot_h * value / top_value
        parts.append(f'<line class="grid" x1="{left:g}" x2="{width - right:g}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{left - 6:g}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>'
        )
    label_every = next(k for k in (1, 2, 5, 10, 20, 50) if len(years) / k <= 12)
    for i, year in enumerate(years):
        x = left + i * slot
        n = counts.get(year, 0)
        if n:
            h = plot_h * n / top_value
            parts.append(
                f'<rect class="bar" x="{x + slot * 0.12:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{max(slot * 0.76, 1):.1f}" height="{h:.1f}"><title>{year}: {n}</title></rect>'
            )
        if year % label_every == 0:
            parts.append(
                f'<text class="tick" x="{x + slot / 2:.1f}" y="{height - 8:g}" '
                f'text-anchor="middle">{year}</text>'
            )
    parts.append(
        f'<line class="axis" x1="{left:g}" x2="{width - right:g}" '
        f'y1="{top + plot_h:.1f}" y2="{top + plot_h:.1f}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def grouped_bars(
    groups: Sequence[tuple[str, Sequence[Bar]]],
    *,
    ident: str,
    title: str,
    desc: str,
    value_text: Any,
) -> Markup:
    """Horizontal bars in separate groups (one per currency), each group on its own scale.

    ``value_text`` formats a bar's value for the label at its end.
    """
    width, label_w, value_w, row_h, head_h = 640.0, 240.0, 130.0, 24.0, 26.0
    bar_w = width - label_w - value_w - 8
    height = sum(head_h + row_h * len(bars) + 8 for _, bars in groups) or row_h
    parts = _svg_open(width, height, ident, title, desc, "chart-bars")
    y = 0.0
    for heading, bars in groups:
        parts.append(f'<text class="group" x="0" y="{y + 18:g}">{escape(heading)}</text>')
        y += head_h
        peak = max((b.value for b in bars), default=0) or 1
        for b in bars:
            w = max(bar_w * b.value / peak, 1.5)
            parts.append(
                f'<text class="label" x="{label_w - 8:g}" y="{y + 16:g}" text-anchor="end">'
                f"{escape(_shorten(b.label, 28))}</text>"
                f'<rect class="bar" x="{label_w:g}" y="{y + 4:g}" width="{w:.1f}" height="{row_h - 8:g}">'
                f"<title>{escape(b.note)}</title></rect>"
                f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + 16:g}">'
                f"{escape(value_text(b.value))}</text>"
            )
            y += row_h
        y += 8
    parts.append("</svg>")
    return Markup("".join(parts))


@functools.cache
def _world(map_dir: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(map_dir) / MAP_FILE).read_text(encoding="utf-8"))
    return data


def _map_height(world: dict[str, Any]) -> float:
    """The frame's height cropped at ``MAP_SOUTH_LIMIT`` (Equal Earth's y for that latitude)."""
    a1, a2, a3, a4, m = 1.340264, -0.081106, 0.000893, 0.003796, math.sqrt(3) / 2

    def y_of(lat: float) -> float:
        t = math.asin(m * math.sin(math.radians(lat)))
        return t * (a1 + a2 * t**2 + t**6 * (a3 + a4 * t**2))

    full = float(world["height"])
    y_max = y_of(90)
    return round(full / 2 + (full / 2) * (-y_of(MAP_SOUTH_LIMIT)) / y_max, 1)


BINS = ((1, 1), (2, 2), (3, 5), (6, 10), (11, None))


def bin_of(n: int) -> int:
    for i, (low, high) in enumerate(BINS):
        if n >= low and (high is None or n <= high):
            return i
    return 0


def bin_label(i: int) -> str:
    low, high = BINS[i]
    return f"{low}" if low == high else f"{low}+" if high is None else f"{low}–{high}"


def world_map(
    counts: dict[str, int],
    names: dict[str, str],
    *,
    map_dir: Path,
    ident: str,
    title: str,
    desc: str,
    legend: str,
) -> Markup:
    """A choropleth of ``counts`` (ISO 3166-1 alpha-2 → number) on Natural Earth's countries."""
    world = _world(str(map_dir))
    width = float(world["width"])
    map_h = _map_height(world)
    height = map_h + 44
    parts = _svg_open(width, height, ident, title, desc, "chart-map")
    parts.append(f'<rect class="sea" x="0" y="0" width="{width:g}" height="{map_h:g}"/>')
    for code, country in world["countries"].items():
        n = counts.get(code, 0)
        cls = f"land c{bin_of(n)}" if n else "land"
        name = names.get(code, country["name"])
        tip = f"{name}: {n}" if n else name
        parts.append(f'<path class="{cls}" d="{country["d"]}"><title>{escape(tip)}</title></path>')
    y = map_h + 14
    parts.append(f'<text class="tick" x="0" y="{y + 12:g}">{escape(legend)}</text>')
    x = 90.0
    for i in range(len(BINS)):
        parts.append(
            f'<rect class="land c{i}" x="{x:g}" y="{y:g}" width="18" height="16"/>'
            f'<text class="tick" x="{x + 24:g}" y="{y + 12:g}">{bin_label(i)}</text>'
        )
        x += 80
    parts.append("</svg>")
    return Markup("".join(parts))


BADGE_COLOURS = {"ok": "#2e7d32", "bad": "#b3261e", "unknown": "#5f6368"}


def _text_width(text: str) -> float:
    """The width of ``text`` in 11 px Verdana, near enough to size a badge (no font is read)."""
    narrow, wide = set("fijlrt.,:;!|'() "), set("mwMW@%")
    return sum(4.0 if c in narrow else 10.0 if c in wide else 7.0 for c in text)


def badge(label: str, message: str, state: str) -> str:
    """A standalone SVG badge (``label | message``) for other sites to embed; ``state`` picks the colour
    (``ok``, ``bad`` or ``unknown``). Its text is escaped and it carries a title for screen readers."""
    left = _text_width(label) + 12
    right = _text_width(message) + 12
    width = left + right
    colour = BADGE_COLOURS[state]
    words = escape(f"{label}: {message}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="20" '
        f'viewBox="0 0 {width:g} 20" role="img" aria-label="{words}">\n'
        f"<title>{words}</title>\n"
        f'<rect width="{left:g}" height="20" fill="#555"/>\n'
        f'<rect x="{left:g}" width="{right:g}" height="20" fill="{colour}"/>\n'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">\n'
        f'<text x="{left / 2:g}" y="14">{escape(label)}</text>\n'
        f'<text x="{left + right / 2:g}" y="14">{escape(message)}</text>\n'
        "</g>\n</svg>\n"
    )
