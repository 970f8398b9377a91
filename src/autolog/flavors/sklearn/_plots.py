"""Evaluation plots as small SVG documents, drawn without matplotlib.

A confusion matrix (cells shaded by count) and line charts for ROC and precision-recall
curves, side by side in one SVG file (``panels``): each artifact file costs the artifact
store a durable write, so one file holds the three. Curves are thinned to at most
``MAX_POINTS`` points so a plot stays a few kilobytes whatever the training set size.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

MAX_POINTS = 200
_W, _H, _PAD = 360, 320, 48
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def confusion_matrix_svg(matrix: Any, labels: Sequence[Any], title: str = "Confusion matrix (training data)") -> str:
    k = len(labels)
    cell = max(14, min(60, 240 // max(k, 1)))
    left, top = 90, 50
    width, height = left + cell * k + 20, top + cell * k + 60
    peak = max(int(matrix.max()), 1)
    out = [_open(width, height), _text(width / 2, 20, title, anchor="middle", size=13)]
    for i in range(k):
        for j in range(k):
            value = int(matrix[i][j])
            shade = 255 - int(200 * value / peak)
            fill = f"rgb({shade},{shade},255)"
            x, y = left + j * cell, top + i * cell
            out.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" stroke="#fff"/>')
            if cell >= 20:
                color = "#fff" if value > peak * 0.6 else "#000"
                out.append(_text(x + cell / 2, y + cell / 2 + 4, str(value), anchor="middle", fill=color))
    for i, label in enumerate(labels):
        name = str(label)[:12]
        out.append(_text(left - 6, top + i * cell + cell / 2 + 4, name, anchor="end"))
        out.append(_text(left + i * cell + cell / 2, top + k * cell + 14, name, anchor="middle"))
    out.append(_text(left + k * cell / 2, top + k * cell + 36, "predicted", anchor="middle"))
    out.append(_text(14, top + k * cell / 2, "true", anchor="middle", rotate=True))
    out.append("</svg>")
    return "\n".join(out)


def curve_svg(
    curves: Sequence[tuple[str, tuple[Any, Any]]], title: str, xlabel: str, ylabel: str, diagonal: bool = False
) -> str:
    """Line chart on the unit square; ``curves`` are (label, (xs, ys))."""
    import numpy as np

    plot_w, plot_h = _W - 2 * _PAD, _H - 2 * _PAD

    def px(x: float) -> float:
        return _PAD + x * plot_w

    def py(y: float) -> float:
        return _H - _PAD - y * plot_h

    out = [_open(_W, _H), _text(_W / 2, 20, title, anchor="middle", size=13)]
    out.append(f'<rect x="{_PAD}" y="{_PAD}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#444"/>')
    for tick in (0.0, 0.5, 1.0):
        out.append(_text(px(tick), _H - _PAD + 14, f"{tick:g}", anchor="middle"))
        out.append(_text(_PAD - 6, py(tick) + 4, f"{tick:g}", anchor="end"))
    out.append(_text(_W / 2, _H - 12, xlabel, anchor="middle"))
    out.append(_text(14, _H / 2, ylabel, anchor="middle", rotate=True))
    if diagonal:
        out.append(
            f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(1)}" y2="{py(1)}" stroke="#aaa" stroke-dasharray="4 3"/>'
        )
    for n, (label, (xs, ys)) in enumerate(curves):
        color = _COLORS[n % len(_COLORS)]
        step = max(1, len(xs) // MAX_POINTS)
        idx = list(range(0, len(xs), step))
        if idx[-1] != len(xs) - 1:
            idx.append(len(xs) - 1)
        # whole arrays at once: a plot is drawn inside the user's fit call
        x_px = (np.asarray(xs, dtype=float)[idx] * plot_w + _PAD).tolist()
        y_px = (_H - _PAD - np.asarray(ys, dtype=float)[idx] * plot_h).tolist()
        points = " ".join(map("{:.1f},{:.1f}".format, x_px, y_px))
        out.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="1.6"/>')
        if len(curves) > 1 or label:
            out.append(f'<rect x="{_W - _PAD - 90}" y="{_PAD + 8 + 14 * n}" width="10" height="3" fill="{color}"/>')
            out.append(_text(_W - _PAD - 76, _PAD + 13 + 14 * n, str(label)[:14]))
    out.append("</svg>")
    return "\n".join(out)


def panels(svgs: Sequence[str]) -> str:
    """Several SVG documents of ours side by side in one."""
    import re

    x, height, parts = 0.0, 0.0, []
    for svg in svgs:
        size = re.search(r'width="([0-9.]+)" height="([0-9.]+)"', svg)
        w, h = (float(size.group(1)), float(size.group(2))) if size else (float(_W), float(_H))
        parts.append(svg.replace("<svg ", f'<svg x="{x:g}" y="0" ', 1))
        x += w
        height = max(height, h)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{x:g}" height="{height:g}" '
        f'viewBox="0 0 {x:g} {height:g}">\n' + "\n".join(parts) + "\n</svg>"
    )


def _open(width: float, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">'
        f'<rect width="100%" height="100%" fill="#fff"/>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 11, fill: str = "#000", rotate: bool = False) -> str:
    transform = f' transform="rotate(-90 {x} {y})"' if rotate else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}"{transform}>'
        f"{escape(text)}</text>"
    )
