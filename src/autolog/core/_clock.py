"""The one clock: wall time in milliseconds since the epoch, as every timestamp is stored."""

from __future__ import annotations

import time


def now_ms() -> int:
    """Milliseconds since the epoch (integer arithmetic on ``time_ns``: no float rounding)."""
    return time.time_ns() // 1_000_000
