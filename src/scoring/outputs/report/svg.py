"""Inline SVG charts: stacked bars of points by criterion group, and score histograms.

The report is printed in black and white and read by people who do not tell colours apart, so
series differ by fill pattern (solid greys, hatching, dots, grids) and every segment carries
its key as text; nothing depends on colour. Each chart is an `<svg role="img">` with a
`<title>` and an `aria-label` that states the figures, so a screen reader gets the numbers,
not a picture. Coordinates are rounded to one decimal place: the same data gives the same
bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from scoring.outputs.report.markup import Markup, el

__all__ = ["Bar", "Bin", "bin_scores", "histogram", "nice_step", "stacked_bars"]

INK = "#1a1a1a"
WIDTH = 900
_FONT = "font-family:inherit"


def _f(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


# --------------------------------------------------------------------------------- fills


def _hatch(pid: str, *lines: tuple[float, float, float, float], rotate: int = 0) -> Markup:
    return el("pattern",
              el("rect", width=6, height=6, fill="#fff"),
              [el("line", x1=_f(a), y1=_f(b), x2=_f(c), y2=_f(d), stroke=INK,
                  stroke_width="1.6") for a, b, c, d in lines],
              id=pid, width=6, height=6, patternUnits="userSpaceOnUse",
              patternTransform=f"rotate({rotate})" if rotate else None)


def _fill_defs(chart: str) -> tuple[Markup, list[str], str]:
    """Pattern definitions, the fill of each series in order, and the deductions' fill."""
    p = f"{chart}-p"
    defs = [
        _hatch(f"{p}1", (0, 0, 0, 6), rotate=45),
        el("pattern", el("rect", width=6, height=6, fill="#fff"),
           el("circle", cx=3, cy=3, r="1.5", fill=INK),
           id=f"{p}2", width=6, height=6, patternUnits="userSpaceOnUse"),
        _hatch(f"{p}3", (0, 3, 6, 3)),
        _hatch(f"{p}4", (0, 0, 0, 6), (0, 3, 6, 3)),
        _hatch(f"{p}5", (3, 0, 3, 6)),
        _hatch(f"{p}6", (0, 0, 0, 6), rotate=-45),
        _hatch(f"{p}x", (0, 0, 0, 6), (0, 0, 6, 0), rotate=45),
    ]
    fills = ["#3d3d3d", f"url(#{p}1)", "#a3a3a3", f"url(#{p}2)", "#e0e0e0", f"url(#{p}3)",
             f"url(#{p}4)", f"url(#{p}5)", f"url(#{p}6)"]
    return el("defs", defs), fills, f"url(#{p}x)"


def _label(x: float, y: float, text: str, anchor: str = "middle", size: int = 12,
           weight: str | None = None, halo: bool = False, rotate: int = 0,
           color: str = INK) -> Markup:
    return el("text", text, x=_f(x), y=_f(y), text_anchor=anchor, font_size=size,
              font_weight=weight, fill=color, style=_FONT,
              stroke="#fff" if halo else None, stroke_width="3" if halo else None,
              paint_order="stroke" if halo else None,
              transform=f"rotate({rotate} {_f(x)} {_f(y)})" if rotate else None)


def _steps() -> Iterator[Decimal]:
    """Round steps in increasing order: 0.001, 0.002, 0.0025, 0.005, 0.01 … 5 × 10^9."""
    for exponent in range(-3, 10):
        for mantissa in ("1", "2", "2.5", "5"):
            yield Decimal(mantissa).scaleb(exponent)


def nice_step(span: Decimal, most: int) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 × 10^k that cuts `span` into at most `most` parts."""
    if span <= 0:
        return Decimal(1)
    return next((step for step in _steps() if span / step <= most), span)


def _ticks(top: Decimal, most: int = 6) -> tuple[Decimal, list[Decimal]]:
    step = nice_step(top, most)
    end = (top / step).to_integral_value(ROUND_CEILING) * step
    count = int(end / step)
    return end, [step * i for i in range(count + 1)]


# --------------------------------------------------------------------------------- stacked bars


@dataclass(frozen=True)
class Bar:
    """One unit's bar: points per series (legend order), deductions (≥ 0), score as text."""

    label: str
    segments: tuple[Decimal, ...]
    deductions: Decimal
    total: str
    description: str  # the figures in words, for the tooltip and the aria-label


def _short(text: str, limit: int = 42) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


Format = Callable[[Decimal], str]


def stacked_bars(chart: str, title: str, legend: Sequence[tuple[str, str]],
                 bars: Sequence[Bar], fmt: Format, deductions_label: str) -> Markup:
    """Horizontal stacked bars, one per unit, with a pattern legend under the plot.

    `chart` prefixes the pattern ids (unique in the document); `legend` is (key, text) per
    series, in the order of `Bar.segments`: the key marks the segments, the text (which names
    the key) the swatches; `fmt` formats the axis numbers.
    """
    defs, fills, deduction_fill = _fill_defs(chart)
    left, right = 300.0, WIDTH - 60.0
    bar_h, gap, top = 22.0, 10.0, 28.0
    gross_max = max((sum(b.segments, Decimal(0)) for b in bars), default=Decimal(0))
    end, ticks = _ticks(max(gross_max, Decimal(1)))
    scale = (right - left) / float(end)
    parts: list[Markup] = [el("title", title), defs]
    grid = []
    for t in ticks:
        x = left + float(t) * scale
        grid.append(el("line", x1=_f(x), y1=_f(top - 4), x2=_f(x),
                       y2=_f(top + len(bars) * (bar_h + gap)), stroke="#8a8a8a",
                       stroke_width="0.6", stroke_dasharray="2 3"))
        grid.append(_label(x, top - 8, fmt(t), size=11))
    parts.append(el("g", grid, aria_hidden="true"))
    for i, bar in enumerate(bars):
        y = top + i * (bar_h + gap)
        items: list[Markup] = [el("title", bar.description),
                               _label(left - 8, y + bar_h / 2 + 4, _short(bar.label), "end")]
        x = left
        for j, value in enumerate(bar.segments):
            if value <= 0:
                continue
            width = float(value) * scale
            items.append(el("rect", x=_f(x), y=_f(y), width=_f(width), height=_f(bar_h),
                            fill=fills[j % len(fills)], stroke=INK, stroke_width="0.8"))
            if width >= 18:
                items.append(_label(x + width / 2, y + bar_h / 2 + 4, legend[j][0], size=11,
                                    weight="bold", halo=j % len(fills) != 0,
                                    color="#fff" if j % len(fills) == 0 else INK))
            x += width
        if bar.deductions > 0:
            width = min(float(bar.deductions) * scale, x - left)
            items.append(el("rect", x=_f(x - width), y=_f(y - 3), width=_f(width),
                            height=_f(bar_h + 6), fill=deduction_fill, fill_opacity="0.85",
                            stroke=INK, stroke_width="1.2", stroke_dasharray="3 2"))
        items.append(_label(x + 6, y + bar_h / 2 + 4, bar.total, "start", weight="bold"))
        parts.append(el("g", items))
    legend_top = top + len(bars) * (bar_h + gap) + 14
    swatches = [(text, fills[j % len(fills)], False) for j, (_key, text) in enumerate(legend)]
    swatches.append((deductions_label, deduction_fill, True))
    rows = (len(swatches) + 1) // 2  # two columns
    items = []
    for n, (label, fill, dashed) in enumerate(swatches):
        col, row = divmod(n, rows)
        x, y = 10 + col * (WIDTH / 2), legend_top + row * 20
        items.append(el("rect", x=_f(x), y=_f(y), width=26, height=14, fill=fill, stroke=INK,
                        stroke_width="1.2" if dashed else "0.8",
                        stroke_dasharray="3 2" if dashed else None))
        items.append(_label(x + 34, y + 11, _short(label, 64), "start", size=11))
    parts.append(el("g", items))
    height = legend_top + rows * 20 + 6
    summary = "; ".join(b.description for b in bars)
    return el("svg", parts, role="img", aria_label=f"{title}. {summary}",
              viewBox=f"0 0 {WIDTH} {_f(height)}", width="100%", class_="chart",
              preserveAspectRatio="xMinYMin meet")


# --------------------------------------------------------------------------------- histogram


@dataclass(frozen=True)
class Bin:
    low: Decimal
    high: Decimal
    count: int
    last: bool  # the last bin includes its upper edge


def bin_scores(scores: Sequence[Decimal], most: int = 10) -> list[Bin]:
    """Cut scores into at most `most` equal bins on round edges: [a, b), the last [a, b]."""
    if not scores:
        return []
    lo, hi = min(scores), max(scores)
    # Bins start on a multiple of the step, so the step must also cover the rounding down.
    for step in _steps():
        start = (lo / step).to_integral_value(ROUND_FLOOR) * step
        count = max(1, int(((hi - start) / step).to_integral_value(ROUND_CEILING)))
        if count <= most:
            break
    bins = []
    for i in range(count):
        low, high = start + i * step, start + (i + 1) * step
        last = i == count - 1
        n = sum(1 for s in scores if low <= s < high or (last and s == high))
        bins.append(Bin(low, high, n, last))
    return bins


def histogram(title: str, label: str, bins: Sequence[Bin], fmt: Format, axis_x: str,
              axis_y: str) -> Markup:
    """A histogram with counts above the bars, edges under them and both axes titled."""
    left, right, top, base = 60.0, WIDTH - 20.0, 24.0, 200.0
    most = max((b.count for b in bins), default=0)
    end, ticks = _ticks(Decimal(max(most, 1)), 5)
    ticks = [t for t in ticks if t == t.to_integral_value()]
    y_scale = (base - top) / float(end)
    width = (right - left) / max(len(bins), 1)
    parts: list[Markup] = [el("title", title)]
    axis = []
    for t in ticks:
        y = base - float(t) * y_scale
        axis.append(el("line", x1=_f(left), y1=_f(y), x2=_f(right), y2=_f(y), stroke="#8a8a8a",
                       stroke_width="0.6", stroke_dasharray="2 3"))
        axis.append(_label(left - 6, y + 4, str(int(t)), "end", size=11))
    axis.append(el("line", x1=_f(left), y1=_f(base), x2=_f(right), y2=_f(base), stroke=INK))
    parts.append(el("g", axis, aria_hidden="true"))
    for i, b in enumerate(bins):
        x = left + i * width
        h = b.count * y_scale
        group = [el("title", f"{fmt(b.low)}–{fmt(b.high)}: {b.count}")]
        if b.count:
            group.append(el("rect", x=_f(x + 3), y=_f(base - h), width=_f(width - 6),
                            height=_f(h), fill="#7a7a7a", stroke=INK, stroke_width="0.8"))
        group.append(_label(x + width / 2, base - h - 5, str(b.count), size=12, weight="bold"))
        group.append(_label(x, base + 16, fmt(b.low), size=11))
        if b.last:
            group.append(_label(x + width, base + 16, fmt(b.high), size=11))
        parts.append(el("g", group))
    parts.append(_label((left + right) / 2, base + 36, axis_x, size=12))
    parts.append(_label(16, (top + base) / 2, axis_y, size=12, rotate=-90))
    return el("svg", parts, role="img", aria_label=label, viewBox=f"0 0 {WIDTH} 250",
              width="100%", class_="chart", preserveAspectRatio="xMinYMin meet")
