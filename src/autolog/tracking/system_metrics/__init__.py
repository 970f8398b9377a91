"""System metrics of a run: CPU, memory, disk, network and GPU, sampled in the background.

Turned on per run (``start_run(log_system_metrics=True)``), for every run of the process
(``enable_system_metrics_logging()``, ``autolog.enable(log_system_metrics=True)``) or by the
environment (``AUTOLOG_ENABLE_SYSTEM_METRICS=true``). One daemon thread per process reads the
samplers every interval and queues the averaged readings as ordinary metrics named
``system/...`` for every run being sampled; the background writer stores them like any other
metric. See docs/system-metrics.md.

A third party adds a sampler (another kind of GPU, an accelerator, a custom counter) by
subclassing ``Sampler`` and registering it under the entry-point group
``autolog.system_samplers``.
"""

from __future__ import annotations

from autolog.tracking.system_metrics._sampler import Sampler

__all__ = ["Sampler"]
