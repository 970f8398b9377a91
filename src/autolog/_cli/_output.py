"""Printing for the command line: aligned tables for people, JSON for scripts."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any

_MAX_CELL = 48


class CliError(Exception):
    """A user error the command line reports in one line, exit code 1."""


def wants_json(args: Any) -> bool:
    return bool(getattr(args, "json", False))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, allow_nan=True) + "\n")


def cell(value: Any, limit: int = _MAX_CELL) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], limit: int = _MAX_CELL) -> None:
    """Columns padded to their widest cell; long cells are cut with '…'."""
    cells = [[cell(v, limit) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(t.ljust(w) for t, w in zip(row, widths)).rstrip() for row in cells]
    sys.stdout.write("\n".join(lines) + "\n")


def print_pairs(title: str, pairs: dict[str, Any]) -> None:
    sys.stdout.write(f"{title}:\n")
    if not pairs:
        sys.stdout.write("  (none)\n")
        return
    width = max(len(k) for k in pairs)
    for key, value in pairs.items():
        sys.stdout.write(f"  {key.ljust(width)}  {cell(value, 200)}\n")


def when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))


def duration(start: int | None, end: int | None) -> str:
    if start is None or end is None:
        return "-"
    seconds = max(0, end - start) / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{seconds / 60:.1f}m"
    return f"{seconds / 3600:.1f}h"


def size(n: int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def note(text: str) -> None:
    """A line for people on stderr (never mixed into --json output)."""
    sys.stderr.write(text + "\n")


class Progress:
    """A one-line progress bar on stderr, drawn only for big transfers to a terminal."""

    def __init__(self, total: int, label: str, threshold: int = 8 * 1024 * 1024) -> None:
        self.total, self.label, self.done = total, label, 0
        self.enabled = total >= threshold and sys.stderr.isatty()
        self._last = 0.0

    def advance(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and self.done < self.total:
            return
        self._last = now
        filled = int(30 * self.done / max(self.total, 1))
        sys.stderr.write(
            f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] "
            f"{size(self.done)} / {size(self.total)}"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
