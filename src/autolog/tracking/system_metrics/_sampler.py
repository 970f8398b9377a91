"""The sampler interface: one group of system readings (the host's CPU, one kind of GPU...)."""

from __future__ import annotations

from collections.abc import Mapping


class Sampler:
    """Reads one group of system metrics; the sampler thread calls it every interval.

    Register a subclass under the entry-point group ``autolog.system_samplers``; the built-in
    ``cpu``, ``disk``, ``network`` and ``nvidia`` samplers are registered the same way, and
    warnings name a sampler by its entry-point name. The thread builds each sampler with no
    arguments, calls ``start()`` once, then ``sample()`` every interval, and ``close()`` when
    sampling stops.

    - ``start()`` returns False when there is nothing to sample on this machine (no such GPU,
      its library not installed): the sampler is then left out without a word.
    - ``sample()`` returns metric names (without the ``system/`` prefix, e.g.
      ``gpu_0_utilization_percentage``) mapped to numbers. A name may be missing from some
      samples; each logged point averages the values the name had.
    - An exception from ``start()`` or ``sample()`` costs one ``AutologWarning`` naming the
      sampler, which is then left out; the other samplers and the training go on.

    Both run in the sampler thread, never in the training thread: they may block for a few
    milliseconds, but should not hold the GIL for long (prefer C calls to Python loops).
    """

    def start(self) -> bool:
        """Prepare (open the device library, prime counters); False: nothing to sample here."""
        return True

    def sample(self) -> Mapping[str, float]:
        """One reading: metric name -> value."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what ``start()`` opened."""
