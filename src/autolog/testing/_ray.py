"""A single-node Ray head on loopback, for testing projects on the ray backend."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def local_ray_head(num_cpus: int = 2, timeout: float = 180.0) -> Iterator[str]:
    """Start ``ray start --head`` bound to 127.0.0.1 and yield its job server's address
    (``http://127.0.0.1:PORT``, for ``backend_config={"address": ...}``).

    Every port is a free one and Ray's files go to a temp dir of its own, so it never meets
    another Ray on the machine; only the dashboard (which holds the job server) is started
    beside the core. On exit the head is stopped: ``ray start --block`` stops what it
    started, and what is left of its process group is killed. Needs ``autolog[ray]``.
    """
    ray = shutil.which("ray", path=os.path.dirname(sys.executable)) or shutil.which("ray")
    if ray is None:
        raise RuntimeError("the ray command is not installed: pip install 'autolog[ray]'")
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's unix sockets live in it
    ports = _free_ports(9)
    env = {
        **os.environ,
        # the project's `python` on the cluster is this interpreter
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        "RAY_USAGE_STATS_ENABLED": "0",
        # without it Ray swaps 127.0.0.1 for the machine's outward address
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    }
    names = ("--port", "--dashboard-port", "--ray-client-server-port", "--dashboard-agent-listen-port",
             "--dashboard-agent-grpc-port", "--metrics-export-port", "--runtime-env-agent-port",
             "--node-manager-port", "--object-manager-port")
    command = [
        ray, "start", "--head", "--block", "--disable-usage-stats", "--node-ip-address", "127.0.0.1",
        "--include-dashboard", "true", "--dashboard-host", "127.0.0.1",
        "--num-cpus", str(num_cpus), "--num-gpus", "0", "--object-store-memory", str(100 * 2**20),
        "--temp-dir", temp,
    ]
    for name, port in zip(names, ports):
        command += [name, str(port)]
    log_path = os.path.join(temp, "ray-start.log")
    with open(log_path, "wb") as log:
        head = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    address = f"http://127.0.0.1:{ports[1]}"
    try:
        _wait_until_up(address, head, timeout, log_path)
        yield address
    finally:
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(head.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        head.wait()
        shutil.rmtree(temp, ignore_errors=True)


def _wait_until_up(address: str, head: subprocess.Popen[bytes], timeout: float, log_path: str) -> None:
    from ray.job_submission import JobSubmissionClient

    deadline = time.monotonic() + timeout
    while True:
        try:
            JobSubmissionClient(address).list_jobs()
            return
        except Exception:
            if head.poll() is not None or time.monotonic() > deadline:
                with open(log_path, errors="replace") as log:
                    raise RuntimeError(f"the Ray head did not start:\n{log.read()[-3000:]}") from None
            time.sleep(0.5)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
