"""Charts drawn on the server as SVG (issue 11 item 8): bars for a distribution (marks «5»…«2»),
bars or lines over time (performance and attendance by month or period). Black and white
printable: bars are told apart by hatching and every bar carries its number; no colour carries
meaning alone. No JavaScript, nothing from the internet. The same numbers are always in a table
of the report, so a screen reader loses nothing (the SVG has a title and a description)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 44, 48
PATTERNS = ("solid", "hatch", "dots", "cross", "back", "empty")


@dataclass(frozen=True)
class Chart:
    """A chart of a report: ``svg`` is a complete ``<svg>`` element (safe: built from numbers and
    escaped text only)."""

    title: str
    svg: str


def _num(value: float | int | Decimal) -> str:
    text = f"{float(value):.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _defs(key: str) -> str:
    return (
        f"<defs>"
        f'<pattern id="hatch{key}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="2"/>'
        "</pattern>"
        f'<pattern id="dots{key}" width="5" height="5" patternUnits="userSpaceOnUse">'
        '<rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1.2" fill="#000"/></pattern>'
        f'<pattern id="cross{key}" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" fill="#fff"/><path d="M0 3H6M3 0V6" stroke="#000" stroke-width="1"/></pattern>'
        f'<pattern id="back{key}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">'
        '<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="1"/>'
        "</pattern>"
        "</defs>")


def _fill(i: int, key: str) -> str:
    kind = PATTERNS[i % len(PATTERNS)]
    return {"solid": "#333", "empty": "#fff"}.get(kind, f"url(#{kind}{key})")


def _key(*parts: object) -> str:
    """Ids unique per chart: several charts share a page, each must name its own title and patterns."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:8]


def _frame(title: str, description: str, body: str, key: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
            f'height="{HEIGHT}" role="img" aria-labelledby="t{key} d{key}" font-family="DejaVu Sans, sans-serif" '
            f'font-size="12"><title id="t{key}">{escape(title)}</title><desc id="d{key}">{escape(description)}</desc>'
            f'{_defs(key)}<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>'
            f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>{body}</svg>')


def _axis(top: float, unit: str) -> tuple[str, float]:
    """The value axis: gridlines at a round step, the step's scale factor for bars."""
    plot_h = HEIGHT - TOP - BOTTOM
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 50_000, 10**6)
                if top / s <= 6) if top > 0 else 1
    high = step * max(1, -(-int(top) // step)) if top else step
    parts = []
    for k in range(0, int(high / step) + 1):
        v = k * step
        y = HEIGHT - BOTTOM - plot_h * v / high
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#bbb" '
                     f'stroke-width="0.5"/><text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_num(v)}{unit}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
                 'stroke="#000"/>')
    return "".join(parts), plot_h / high


def bars(title: str, labels: list[str], values: list[float | int | Decimal | None], unit: str = "") -> Chart:
    """One bar per label, each with its number above it; a missing value is a gap marked «—»."""
    key = _key(title, labels, values)
    top = max((float(v) for v in values if v is not None), default=0)
    grid, scale = _axis(top, unit)
    n = max(1, len(labels))
    slot = (WIDTH - LEFT - RIGHT) / n
    width = min(60, slot * 0.6)
    parts = [grid]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + slot * i + (slot - width) / 2
        if value is None:
            parts.append(f'<text x="{x + width / 2:.1f}" y="{HEIGHT - BOTTOM - 4}" text-anchor="middle">—</text>')
        else:
            h = float(value) * scale
            y = HEIGHT - BOTTOM - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" fill="{_fill(i, key)}" '
                         f'stroke="#000"/><text x="{x + width / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
                         f"{_num(value)}{unit}</text>")
        parts.append(f'<text x="{x + width / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                     f"{escape(label)}</text>")
    description = "; ".join(f"{label}: {'нет' if v is None else _num(v) + unit}" for label, v in
                            zip(labels, values, strict=True))
    return Chart(title, _frame(title, description, "".join(parts), key))


def lines(title: str, labels: list[str], series: dict[str, list[float | int | Decimal | None]],
          unit: str = "") -> Chart:
    """One line per series over the labels (months, periods); points marked by shape so the
    lines are told apart in black and white, each point labelled with its number."""
    top = max((float(v) for vs in series.values() for v in vs if v is not None), default=0)
    grid, scale = _axis(top, unit)
    n = max(1, len(labels))
    slot = (WIDTH - LEFT - RIGHT) / n
    parts = [grid]
    dashes = ("", "6 3", "2 3", "8 3 2 3")
    shapes = ("circle", "square", "triangle", "diamond")
    legend = []
    for s, (name, values) in enumerate(series.items()):
        points = [(LEFT + slot * i + slot / 2, HEIGHT - BOTTOM - float(v) * scale, v)
                  for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{'M' if k == 0 else 'L'}{x:.1f} {y:.1f}" for k, (x, y, _) in enumerate(points))
            parts.append(f'<path d="{path}" fill="none" stroke="#000" stroke-width="1.5"'
                         + (f' stroke-dasharray="{dashes[s % len(dashes)]}"' if dashes[s % len(dashes)] else "")
                         + "/>")
        for x, y, v in points:
            parts.append(_marker(shapes[s % len(shapes)], x, y)
                         + f'<text x="{x:.1f}" y="{y - 7:.1f}" text-anchor="middle" font-size="10">{_num(v)}</text>')
        lx = LEFT + s * 150
        legend.append(_marker(shapes[s % len(shapes)], lx + 6, HEIGHT - 12)
                      + f'<text x="{lx + 14}" y="{HEIGHT - 8}">{escape(name)}</text>')
    for i, label in enumerate(labels):
        parts.append(f'<text x="{LEFT + slot * i + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                     f"{escape(label)}</text>")
    description = "; ".join(f"{name}: " + ", ".join(f"{label} {'нет' if v is None else _num(v) + unit}"
                                                   for label, v in zip(labels, vs, strict=True))
                            for name, vs in series.items())
    return Chart(title, _frame(title, description, "".join(parts) + "".join(legend), _key(title, labels, series)))


def _marker(shape: str, x: float, y: float) -> str:
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="#fff" stroke="#000"/>'
    if shape == "triangle":
        return f'<path d="M{x:.1f} {y - 4.5:.1f}L{x + 4.5:.1f} {y + 3.5:.1f}L{x - 4.5:.1f} {y + 3.5:.1f}Z" fill="#000"/>'
    if shape == "diamond":
        return f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y:.1f}L{x:.1f} {y + 5:.1f}L{x - 5:.1f} {y:.1f}Z" fill="#fff" ' \
               'stroke="#000"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#000"/>'
