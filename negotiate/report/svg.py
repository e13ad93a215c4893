"""Charts drawn as SVG text directly: bars, lines, points, heat cells, axes.

Small and fast (a 56-row report draws in milliseconds, where a matplotlib
figure per chart took seconds), deterministic (the same input gives the same
bytes), and readable without scripts. Coordinates are rounded to 0.1 px.
"""

from __future__ import annotations

import html
import math

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#7f7f7f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#17becf")
FONT = "font-family='Helvetica,Arial,sans-serif'"


def colour(k: int) -> str:
    return PALETTE[k % len(PALETTE)]


def esc(text) -> str:
    return html.escape(str(text), quote=True)


def f(v: float) -> str:
    """A coordinate: 0.1 px, no trailing zeros."""
    text = f"{v:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, n)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(lo / step + 1e-9) * step
    out, v = [], start
    while v <= hi + step * 1e-9:
        out.append(round(v, 12))
        v += step
    if out and out[-1] < hi - 1e-12:
        out.append(round(out[-1] + step, 12))
    return out


def tick_label(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-3:
        return f"{v:.3g}"
    return f"{v:.6g}"


class Scale:
    """A linear map from a data domain to pixels."""

    def __init__(self, lo: float, hi: float, p0: float, p1: float):
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        self.lo, self.hi, self.p0, self.p1 = lo, hi, p0, p1

    def __call__(self, v: float) -> float:
        return self.p0 + (v - self.lo) / (self.hi - self.lo) * (self.p1 - self.p0)


class Canvas:
    """An SVG document built element by element."""

    def __init__(self, width: float, height: float, label: str = ""):
        self.width, self.height = width, height
        self.items: list[str] = []
        self.label = label

    def add(self, item: str) -> None:
        self.items.append(item)

    def rect(self, x, y, w, h, fill, title: str | None = None, **attrs) -> None:
        extra = "".join(f" {k.replace('_', '-')}='{esc(v)}'" for k, v in attrs.items())
        tip = f"<title>{esc(title)}</title>" if title else ""
        self.add(f"<rect x='{f(x)}' y='{f(y)}' width='{f(max(w, 0))}' height='{f(max(h, 0))}' fill='{fill}'{extra}>"
                 f"{tip}</rect>" if tip else
                 f"<rect x='{f(x)}' y='{f(y)}' width='{f(max(w, 0))}' height='{f(max(h, 0))}' fill='{fill}'{extra}/>")

    def line(self, x1, y1, x2, y2, stroke="#999", width=1.0, dash: str | None = None) -> None:
        d = f" stroke-dasharray='{dash}'" if dash else ""
        self.add(f"<line x1='{f(x1)}' y1='{f(y1)}' x2='{f(x2)}' y2='{f(y2)}' stroke='{stroke}' "
                 f"stroke-width='{width}'{d}/>")

    def polyline(self, points, stroke, width=1.6, dash: str | None = None) -> None:
        if len(points) < 2:
            return
        d = f" stroke-dasharray='{dash}'" if dash else ""
        pts = " ".join(f"{f(x)},{f(y)}" for x, y in points)
        self.add(f"<polyline points='{pts}' fill='none' stroke='{stroke}' stroke-width='{width}'"
                 f" stroke-linejoin='round'{d}/>")

    def circle(self, x, y, r, fill, stroke="none", title: str | None = None, width=1.0) -> None:
        tip = f"<title>{esc(title)}</title>" if title else ""
        self.add(f"<circle cx='{f(x)}' cy='{f(y)}' r='{f(r)}' fill='{fill}' stroke='{stroke}' "
                 f"stroke-width='{width}'>{tip}</circle>")

    def diamond(self, x, y, r, fill, stroke, title: str | None = None) -> None:
        tip = f"<title>{esc(title)}</title>" if title else ""
        pts = f"{f(x)},{f(y - r)} {f(x + r)},{f(y)} {f(x)},{f(y + r)} {f(x - r)},{f(y)}"
        self.add(f"<polygon points='{pts}' fill='{fill}' stroke='{stroke}' stroke-width='1.5'>{tip}</polygon>")

    def text(self, x, y, s, size=11, anchor="start", fill="#333", weight="normal", rotate: float | None = None,
             baseline: str | None = None) -> None:
        rot = f" transform='rotate({rotate} {f(x)} {f(y)})'" if rotate is not None else ""
        bl = f" dominant-baseline='{baseline}'" if baseline else ""
        w = f" font-weight='{weight}'" if weight != "normal" else ""
        self.add(f"<text x='{f(x)}' y='{f(y)}' font-size='{size}' text-anchor='{anchor}' fill='{fill}'{w}{rot}{bl}>"
                 f"{esc(s)}</text>")

    def y_axis(self, scale: Scale, x0: float, x1: float, ticks: list[float], label: str = "") -> None:
        for t in ticks:
            y = scale(t)
            self.line(x0, y, x1, y, "#e6e6e6" if t != 0 else "#999", 1)
            self.text(x0 - 4, y + 3.5, tick_label(t), 10, "end", "#555")
        if label:
            self.text(12, (scale.p0 + scale.p1) / 2, label, 10, "middle", "#555", rotate=-90)

    def x_axis(self, scale: Scale, y: float, ticks: list[float], label: str = "", labels: dict | None = None) -> None:
        self.line(scale.p0, y, scale.p1, y, "#999", 1)
        for t in ticks:
            x = scale(t)
            self.line(x, y, x, y + 4, "#999", 1)
            self.text(x, y + 15, (labels or {}).get(t, tick_label(t)), 10, "middle", "#555")
        if label:
            self.text((scale.p0 + scale.p1) / 2, y + 30, label, 10, "middle", "#555")

    def svg(self) -> str:
        aria = f" role='img' aria-label='{esc(self.label)}'" if self.label else ""
        return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{f(self.width)}' height='{f(self.height)}' "
                f"viewBox='0 0 {f(self.width)} {f(self.height)}' {FONT}{aria}>" + "".join(self.items) + "</svg>")


def spread_labels(ys: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Label positions near `ys`, at least `gap` apart, inside [lo, hi] (for end-of-line labels)."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = [0.0] * len(ys)
    last = lo - gap
    for i in order:
        out[i] = max(ys[i], last + gap)
        last = out[i]
    overflow = last - hi
    if overflow > 0:  # push back up from the bottom
        nxt = hi + gap
        for i in reversed(order):
            out[i] = min(out[i], nxt - gap)
            nxt = out[i]
    return out
