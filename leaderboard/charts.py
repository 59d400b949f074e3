"""Charts as server-side SVG: interval plots, the reliability diagram and per-group bars.

Plain functions that return SVG text (no Django, no JavaScript): a page embeds them inline and
works offline. Every piece of text that reaches the SVG goes through `_text`, which escapes it
and drops the control characters XML forbids.
"""

import html
import math
import re

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FONT = 'font-family="system-ui,sans-serif"'
POINT_COLOUR = "#16324f"
INTERVAL_COLOUR = "#2f7ed8"
PROVISIONAL_COLOUR = "#b58900"
GRID_COLOUR = "#e3e6ea"


def _text(value):
    return html.escape(_CONTROL.sub("", str(value)))


def _f(value):
    """A coordinate: short, and the same text for the same number."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _finite(*values):
    return all(value is not None and math.isfinite(value) for value in values)


def axis_domain(estimates, step=0.05):
    """(low, high) of an axis shared by every estimate ({low, high}): their range, widened to
    whole steps, kept in [0, 1] where they are, and never narrower than one step."""
    ends = [end for estimate in estimates for end in (estimate.get("low"), estimate.get("high"))
            if _finite(end)]
    if not ends:
        return 0.0, 1.0
    low = math.floor(min(ends) / step + 1e-9) * step
    high = math.ceil(max(ends) / step - 1e-9) * step
    if high - low < step:
        high = low + step
    if min(ends) >= 0:
        low = max(low, 0.0)
    if max(ends) <= 1:
        high = min(high, 1.0)
    return round(low, 10), round(high, 10)


def ticks(domain, target=5):
    """Round tick values inside the domain, about `target` of them."""
    low, high = domain
    raw = (high - low) / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9)
    values = []
    k = first
    while k * step <= high + 1e-9:
        values.append(round(k * step, 10))
        k += 1
    return values


class Scale:
    """Maps a value of the domain to an x pixel between left and right."""

    def __init__(self, domain, left, right):
        self.low, self.high = domain
        self.left, self.right = left, right

    def __call__(self, value):
        clipped = min(max(value, self.low), self.high)
        return self.left + (clipped - self.low) / (self.high - self.low) * (self.right - self.left)


def _interval_marks(estimate, scale, y, provisional=False):
    """The line from low to high and the point, at height y; nothing for a missing value."""
    if not _finite(estimate.get("value"), estimate.get("low"), estimate.get("high")):
        return ""
    colour = PROVISIONAL_COLOUR if provisional else INTERVAL_COLOUR
    low, high, point = scale(estimate["low"]), scale(estimate["high"]), scale(estimate["value"])
    return (
        f'<line x1="{_f(low)}" x2="{_f(high)}" y1="{_f(y)}" y2="{_f(y)}" stroke="{colour}" '
        f'stroke-width="3" stroke-linecap="round"/>'
        f'<circle cx="{_f(point)}" cy="{_f(y)}" r="3.5" fill="{POINT_COLOUR}"/>'
    )


def _grid(domain, scale, top, bottom):
    return "".join(
        f'<line x1="{_f(scale(t))}" x2="{_f(scale(t))}" y1="{_f(top)}" y2="{_f(bottom)}" '
        f'stroke="{GRID_COLOUR}"/>'
        for t in ticks(domain)
    )


CELL_MARGIN = 12  # room for the first and last tick labels of axis_cell()


def interval_cell(estimate, domain, width=180, height=18, provisional=False):
    """One table row's interval on the shared axis: a tiny SVG of `width` pixels. The numbers
    go beside it as text, and the grid behind it (grid_background), so that a board of many
    rows stays light."""
    scale = Scale(domain, CELL_MARGIN, width - CELL_MARGIN)
    return (
        f'<svg class="interval" width="{width}" height="{height}" aria-hidden="true">'
        f"{_interval_marks(estimate, scale, height / 2, provisional)}</svg>"
    )


def grid_background(domain, width=180, height=18):
    """The axis grid of interval_cell()s as a CSS url() value: one image for every row."""
    scale = Scale(domain, CELL_MARGIN, width - CELL_MARGIN)
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>"
           + "".join(f"<line x1='{_f(scale(t))}' x2='{_f(scale(t))}' y1='0' y2='{height}' "
                     f"stroke='{GRID_COLOUR.replace('#', '%23')}'/>" for t in ticks(domain))
           + "</svg>")
    return f'url("data:image/svg+xml,{svg}")'


def axis_cell(domain, width=180, height=18):
    """The shared axis drawn above a column of interval_cell()s: tick labels only."""
    scale = Scale(domain, CELL_MARGIN, width - CELL_MARGIN)
    labels = "".join(
        f'<text x="{_f(scale(t))}" y="{height - 4}" text-anchor="middle" font-size="10" '
        f'{FONT} fill="#57606a">{t:g}</text>'
        for t in ticks(domain)
    )
    return (f'<svg class="axis" xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" aria-hidden="true">{labels}</svg>')


def interval_plot(rows, domain=None, width=720, row_height=18, label_width=220, reference=None):
    """A standalone interval plot: one row per entry, names on the left, every interval on
    one shared axis. rows: dicts with label, estimate ({value, low, high}) and provisional;
    reference: a value drawn as a red line across the rows (0 for differences)."""
    estimates = [row["estimate"] for row in rows]
    if reference is not None:
        estimates.append({"low": reference, "high": reference})
    domain = domain or axis_domain(estimates)
    top, bottom_margin = 8, 28
    height = top + row_height * len(rows) + bottom_margin
    scale = Scale(domain, label_width + 8, width - 12)
    parts = [_grid(domain, scale, top, height - bottom_margin)]
    if reference is not None:
        parts.append(f'<line x1="{_f(scale(reference))}" x2="{_f(scale(reference))}" y1="{top}" '
                     f'y2="{height - bottom_margin}" stroke="#c62828" stroke-dasharray="4 3"/>')
    for index, row in enumerate(rows):
        y = top + row_height * index + row_height / 2
        label = row["label"] if len(row["label"]) <= 34 else row["label"][:33] + "…"
        parts.append(
            f'<text x="{label_width}" y="{_f(y + 4)}" text-anchor="end" font-size="12" {FONT}>'
            f"{_text(label)}</text>"
            + _interval_marks(row["estimate"], scale, y, row.get("provisional", False))
        )
    axis_y = height - bottom_margin + 14
    parts += [
        f'<text x="{_f(scale(t))}" y="{axis_y}" text-anchor="middle" font-size="11" {FONT} '
        f'fill="#57606a">{t:g}</text>'
        for t in ticks(domain)
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="score intervals">'
        f'<rect width="{width}" height="{height}" fill="#fff"/>{"".join(parts)}</svg>'
    )


def reliability_diagram(bins, width=360, height=300):
    """Accuracy against mean confidence per confidence bin, over the diagonal of perfect
    calibration; a bar's shade says how many items the bin holds.

    bins: one dict per bin with low, high, count, mean_confidence, accuracy (None when empty).
    """
    left, right, top, bottom = 44, width - 12, 12, height - 36
    x = Scale((0.0, 1.0), left, right)

    def y(value):
        return bottom - value * (bottom - top)

    largest = max((b["count"] for b in bins), default=0) or 1
    parts = [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
             f'fill="#fff" stroke="{GRID_COLOUR}"/>']
    for t in (0.2, 0.4, 0.6, 0.8):
        parts.append(f'<line x1="{left}" x2="{right}" y1="{_f(y(t))}" y2="{_f(y(t))}" '
                     f'stroke="{GRID_COLOUR}"/>')
    for b in bins:
        if not b["count"]:
            continue
        opacity = 0.25 + 0.75 * b["count"] / largest
        bar_left, bar_right = x(b["low"]) + 1, x(b["high"]) - 1
        parts.append(
            f'<rect x="{_f(bar_left)}" y="{_f(y(b["accuracy"]))}" width="{_f(bar_right - bar_left)}" '
            f'height="{_f(bottom - y(b["accuracy"]))}" fill="{INTERVAL_COLOUR}" '
            f'fill-opacity="{opacity:.2f}"><title>confidence {b["low"]:g}–{b["high"]:g}: '
            f'{b["count"]} items, accuracy {b["accuracy"]:.3f}, mean confidence '
            f'{b["mean_confidence"]:.3f}</title></rect>'
            f'<circle cx="{_f(x(b["mean_confidence"]))}" cy="{_f(y(b["accuracy"]))}" r="3" '
            f'fill="{POINT_COLOUR}"/>'
        )
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{top}" stroke="#c62828" '
                 f'stroke-dasharray="4 3"/>')
    for t in (0, 0.5, 1):
        parts.append(f'<text x="{_f(x(t))}" y="{bottom + 14}" text-anchor="middle" '
                     f'font-size="11" {FONT}>{t:g}</text>')
        parts.append(f'<text x="{left - 6}" y="{_f(y(t) + 4)}" text-anchor="end" font-size="11" '
                     f'{FONT}>{t:g}</text>')
    parts.append(f'<text x="{_f((left + right) / 2)}" y="{height - 6}" text-anchor="middle" '
                 f'font-size="11" {FONT}>confidence</text>')
    parts.append(f'<text x="12" y="{_f((top + bottom) / 2)}" text-anchor="middle" font-size="11" '
                 f'{FONT} transform="rotate(-90 12 {_f((top + bottom) / 2)})">accuracy</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="reliability diagram">'
            f'{"".join(parts)}</svg>')


SERIES_COLOURS = ("#2f7ed8", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2")


def group_bars(groups, series, width=560, bar_height=11, label_width=150, domain=(0.0, 1.0)):
    """Horizontal bars of rates in [0, 1]: one block per group, one bar per series in it (a
    colour each, with a legend), so groups compare at a glance on one axis.

    groups: dicts with label, values (one per series; None: no data) and optional count;
    series: the names of the values (e.g. the benchmark's labels, or accuracy, selection
    rate, ...).
    """
    legend_height = 18
    block = bar_height * len(series) + 8
    top = legend_height + 4
    height = top + block * len(groups) + 20
    scale = Scale(domain, label_width + 8, width - 56)
    parts = [_grid(domain, scale, top, height - 20)]
    x = label_width + 8
    for index, name in enumerate(series):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        parts.append(f'<rect x="{_f(x)}" y="4" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{_f(x + 14)}" y="13" font-size="11" {FONT}>{_text(name)}</text>')
        x += 24 + 6.5 * len(str(name))
    for row, group in enumerate(groups):
        y0 = top + block * row
        count = f" ({group['count']:,})" if group.get("count") is not None else ""
        parts.append(f'<text x="{label_width}" y="{_f(y0 + block / 2 + 2)}" text-anchor="end" '
                     f'font-size="12" {FONT}>{_text(group["label"])}{count}</text>')
        for index, (name, value) in enumerate(zip(series, group["values"])):
            y = y0 + index * bar_height
            if not _finite(value):
                parts.append(f'<text x="{_f(scale.left + 2)}" y="{_f(y + bar_height - 2)}" '
                             f'font-size="9" {FONT} fill="#57606a">no data</text>')
                continue
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            parts.append(
                f'<rect x="{_f(scale.left)}" y="{_f(y)}" width="{_f(scale(value) - scale.left)}" '
                f'height="{bar_height - 1}" fill="{colour}"><title>{_text(group["label"])}, '
                f'{_text(name)}: {value:.3f}</title></rect>'
                f'<text x="{_f(scale(value) + 3)}" y="{_f(y + bar_height - 2)}" font-size="9" '
                f'{FONT}>{value:.3f}</text>'
            )
    parts += [
        f'<text x="{_f(scale(t))}" y="{height - 6}" text-anchor="middle" font-size="10" {FONT} '
        f'fill="#57606a">{t:g}</text>'
        for t in ticks(domain)
    ]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="per-group rates">'
            f'{"".join(parts)}</svg>')
