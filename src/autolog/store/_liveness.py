"""Is the process that owns a RUNNING run still there?

A run records the host and pid of the process that started it (tags ``autolog.host`` and
``autolog.pid``). A process killed with SIGKILL, or lost with its machine, never ends its run,
so stores ask this module when they read a RUNNING run: if its process is gone, they report and
persist the run as KILLED. The answer is True only when we are sure: same host, and the pid is
free, a zombie, or now belongs to a process that started after the run did (a reused pid).
Runs from other hosts are never judged here.
"""

from __future__ import annotations

import functools
import os
import socket

# a process start time read from /proc is exact to a clock tick, but the boot time it is
# added to is a whole second, and wall clocks get adjusted: a generous margin keeps a live
# process from ever being mistaken for a newer one
_START_MARGIN_MS = 60_000


@functools.lru_cache(maxsize=1)
def this_host() -> str:
    """The host name runs record (the same as ``socket.gethostname()``)."""
    return socket.gethostname()


def is_process_gone(host: str, pid: int, *, started_by_ms: int | None = None) -> bool:
    """Whether process ``pid`` on ``host`` has certainly ended.

    ``started_by_ms`` (the run's start time, ms since the epoch) lets a reused pid count as
    gone: a process that started well after the run cannot be the one that started it.
    """
    if host != this_host() or pid <= 0 or os.name == "nt":
        # another machine's processes are out of sight; on Windows signal 0 means CTRL_C
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, it is someone else's
    except OSError:
        return False
    stat = _proc_stat(pid)
    if stat is None:
        return False
    state, start_ms = stat
    if state == "Z":  # killed, not yet reaped by its parent
        return True
    return started_by_ms is not None and start_ms > started_by_ms + _START_MARGIN_MS


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in ms since the epoch) from Linux's /proc, else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # the command name is in parentheses and may itself contain spaces and ')'
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        state, start_ticks = fields[0], int(fields[19])
        boot = _boot_time_s()
    except (IndexError, ValueError, OSError):
        return None
    return state, int((boot + start_ticks / os.sysconf("SC_CLK_TCK")) * 1000)


@functools.lru_cache(maxsize=1)
def _boot_time_s() -> int:
    with open("/proc/stat", "rb") as f:
        for line in f:
            if line.startswith(b"btime "):
                return int(line.split()[1])
    raise OSError("no btime in /proc/stat")
