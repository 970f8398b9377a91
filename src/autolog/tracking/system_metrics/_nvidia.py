"""NVIDIA GPUs through NVML (the ``nvidia-ml-py`` package, imported as ``pynvml``).

Absent without a word when the package is not installed, the driver's library cannot be
loaded, or there is no GPU. GPU ``i`` is NVML's index, the numbering ``nvidia-smi`` shows
(``CUDA_VISIBLE_DEVICES`` does not renumber it). Per GPU, with MLflow's names:

- ``gpu_<i>_utilization_percentage``: the share of the driver's last sample period (1/6 s
  to 1 s depending on the GPU) in which a kernel ran (``nvmlDeviceGetUtilizationRates().gpu``):
  a snapshot, which ``samples_before_logging`` > 1 averages
- ``gpu_<i>_memory_usage_megabytes`` and ``gpu_<i>_memory_usage_percentage``
  (``nvmlDeviceGetMemoryInfo``: used, used / total)
- ``gpu_<i>_power_usage_watts`` and ``gpu_<i>_power_usage_percentage``
  (``nvmlDeviceGetPowerUsage``, milliwatts, against ``nvmlDeviceGetEnforcedPowerLimit``)
- ``gpu_<i>_temperature_celsius`` (the die's sensor, ``NVML_TEMPERATURE_GPU``)

A reading a GPU does not support (power on some boards, utilization under MIG) is probed
once at start and left out for that GPU.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from autolog.tracking.system_metrics._sampler import Sampler

_MB = 1e6

#: one reading of one GPU: (nvml module, handle, power limit in mW) -> {suffix: value}
Reading = Callable[[Any, Any, float], dict[str, float]]


def _utilization(nvml: Any, handle: Any, _: float) -> dict[str, float]:
    return {"utilization_percentage": float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)}


def _memory(nvml: Any, handle: Any, _: float) -> dict[str, float]:
    memory = nvml.nvmlDeviceGetMemoryInfo(handle)
    return {
        "memory_usage_megabytes": memory.used / _MB,
        "memory_usage_percentage": memory.used / memory.total * 100,
    }


def _power(nvml: Any, handle: Any, limit_mw: float) -> dict[str, float]:
    milliwatts = nvml.nvmlDeviceGetPowerUsage(handle)
    return {
        "power_usage_watts": milliwatts / 1000,
        "power_usage_percentage": milliwatts / limit_mw * 100,
    }


def _temperature(nvml: Any, handle: Any, _: float) -> dict[str, float]:
    # nvmlDeviceGetTemperatureV replaces the deprecated nvmlDeviceGetTemperature; older
    # packages lack it, older drivers answer "function not found"
    versioned = getattr(nvml, "nvmlDeviceGetTemperatureV", None)
    if versioned is not None:
        try:
            return {"temperature_celsius": float(versioned(handle, nvml.NVML_TEMPERATURE_GPU))}
        except nvml.NVMLError:
            pass
    return {"temperature_celsius": float(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU))}


_READINGS: tuple[Reading, ...] = (_utilization, _memory, _power, _temperature)


class NvidiaSampler(Sampler):
    """Utilization, memory, power and temperature of every NVIDIA GPU NVML sees."""

    def start(self) -> bool:
        try:
            import pynvml
        except ImportError:
            return False
        try:
            pynvml.nvmlInit()  # fails without the driver's libnvidia-ml or without a GPU
        except pynvml.NVMLError:
            return False
        self._nvml: Any = pynvml
        self._gpus: list[tuple[str, Any, float, list[Reading]]] = []
        try:
            count = pynvml.nvmlDeviceGetCount()
        except pynvml.NVMLError:
            self.close()
            raise
        for index in range(count):
            try:  # a GPU this process may not query (permissions, lost) is left out
                handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            except pynvml.NVMLError:
                continue
            limit = self._power_limit(handle)
            readings = [r for r in _READINGS if self._supported(r, handle, limit)]
            if readings:
                self._gpus.append((f"gpu_{index}_", handle, limit, readings))
        if not self._gpus:
            self.close()
            return False
        return True

    def _power_limit(self, handle: Any) -> float:
        try:
            return float(self._nvml.nvmlDeviceGetEnforcedPowerLimit(handle))
        except self._nvml.NVMLError:
            return 0.0  # no limit known: the power reading is left out below

    def _supported(self, reading: Reading, handle: Any, limit: float) -> bool:
        if reading is _power and limit <= 0:
            return False
        try:
            reading(self._nvml, handle, limit)
        except self._nvml.NVMLError:
            return False
        return True

    def sample(self) -> Mapping[str, float]:
        values: dict[str, float] = {}
        nvml = self._nvml
        for prefix, handle, limit, readings in self._gpus:
            for reading in readings:
                for suffix, value in reading(nvml, handle, limit).items():
                    values[prefix + suffix] = value
        return values

    def close(self) -> None:
        try:
            self._nvml.nvmlShutdown()
        except self._nvml.NVMLError:
            pass
