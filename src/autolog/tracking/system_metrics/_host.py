"""The host's samplers, on psutil: CPU and memory, disk, network (MLflow's metric names).

psutil is imported in ``start()``, in the sampler thread, never by ``import autolog``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from autolog.tracking.system_metrics._sampler import Sampler

_MB = 1e6  # MLflow's megabytes are 10**6 bytes


class CpuSampler(Sampler):
    """``cpu_utilization_percentage`` (all cores, 0-100, averaged over the time since the
    previous sample), ``system_memory_usage_megabytes`` and ``system_memory_usage_percentage``."""

    def start(self) -> bool:
        import psutil

        self._psutil: Any = psutil
        # psutil measures CPU use between two calls (per calling thread): this first call
        # only sets the starting point, so the first sample covers the first interval
        psutil.cpu_percent()
        return True

    def sample(self) -> Mapping[str, float]:
        psutil = self._psutil
        memory = psutil.virtual_memory()
        return {
            "cpu_utilization_percentage": psutil.cpu_percent(),
            "system_memory_usage_megabytes": memory.used / _MB,
            "system_memory_usage_percentage": memory.used / memory.total * 100,
        }


class DiskSampler(Sampler):
    """Usage of the file system holding the root directory: ``disk_usage_percentage``,
    ``disk_usage_megabytes``, ``disk_available_megabytes``."""

    def start(self) -> bool:
        import psutil

        self._usage: Any = psutil.disk_usage
        self._root = os.path.abspath(os.sep)
        return True

    def sample(self) -> Mapping[str, float]:
        usage = self._usage(self._root)
        return {
            "disk_usage_percentage": usage.percent,
            "disk_usage_megabytes": usage.used / _MB,
            "disk_available_megabytes": usage.free / _MB,
        }


class NetworkSampler(Sampler):
    """All interfaces together, since sampling started in this process:
    ``network_receive_megabytes`` and ``network_transmit_megabytes``."""

    def start(self) -> bool:
        import psutil

        self._counters: Any = psutil.net_io_counters
        first = self._counters()
        if first is None:  # psutil's answer on a machine without network interfaces
            return False
        # the counters run since boot: keep the starting point, so runs show their own traffic
        self._received, self._sent = first.bytes_recv, first.bytes_sent
        return True

    def sample(self) -> Mapping[str, float]:
        now = self._counters()
        return {
            "network_receive_megabytes": (now.bytes_recv - self._received) / _MB,
            "network_transmit_megabytes": (now.bytes_sent - self._sent) / _MB,
        }
