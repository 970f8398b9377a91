"""``registered_sampler``: a system-metrics sampler registered for the duration of a test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from autolog.tracking.system_metrics import Sampler


@contextmanager
def registered_sampler(sampler_class: type[Sampler], name: str) -> Iterator[None]:
    """Register ``sampler_class`` under ``name`` through the real registry (entry-point group
    ``autolog.system_samplers``) for a block; what was registered there before comes back.
    Sampling started inside the block uses it (the thread loads samplers when it starts)."""
    from autolog import _plugins

    with _plugins.system_samplers.registered(name, sampler_class):
        yield
