"""The ``ray`` backend: the command as a job on a Ray cluster, through the Ray Jobs API.

The project directory is uploaded as the job's ``working_dir``; the tracking URI and run id
travel as environment variables in its ``runtime_env``, with the project's dependencies as
its ``pip`` (``--env-manager virtualenv``) or ``uv`` list (``--env-manager uv``; with
``local`` the cluster's own Python runs it). Status is polled and mapped to the run's status,
the job's log is streamed back, and ``cancel()`` stops the job.

``--backend-config`` (JSON): ``address`` (default ``$RAY_ADDRESS``, else
``http://127.0.0.1:8265``), ``num_cpus``, ``num_gpus``, ``memory`` (bytes) and ``resources``
({name: amount}) reserved for the command, ``excludes`` (paths not to upload), and
``runtime_env`` (more runtime_env fields, merged under ours).

Ray is imported only when this backend is used: ``pip install 'autolog[ray]'``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from typing import Any

from autolog.errors import InvalidInputError, MissingDependencyError, ProjectError
from autolog.projects._backend import Backend, Execution, Job
from autolog.core._entities import RunStatus

DEFAULT_ADDRESS = "http://127.0.0.1:8265"
POLL_S = 0.5
STOP_TIMEOUT_S = 60.0
_KEYS = {"address", "num_cpus", "num_gpus", "memory", "resources", "excludes", "runtime_env"}
_STATUS = {"SUCCEEDED": RunStatus.FINISHED, "FAILED": RunStatus.FAILED, "STOPPED": RunStatus.KILLED}


class RayBackend(Backend):
    """Submits the command to a Ray cluster's job server."""

    name = "ray"

    def check_config(self, config: Mapping[str, Any]) -> None:
        import importlib.util

        if importlib.util.find_spec("ray") is None:  # refused before anything starts
            raise MissingDependencyError(
                "ray", "ray", "the ray backend needs Ray: pip install 'autolog[ray]'"
            )
        unknown = set(config) - _KEYS
        if unknown:
            raise InvalidInputError(
                f"unknown ray --backend-config keys {sorted(unknown)}; known: {sorted(_KEYS)}"
            )
        for key in ("num_cpus", "num_gpus", "memory"):
            value = config.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                raise InvalidInputError(f"ray --backend-config {key} must be a number >= 0, got {value!r}")
        for key, kind in (("resources", dict), ("runtime_env", dict), ("excludes", list)):
            if key in config and not isinstance(config[key], kind):
                raise InvalidInputError(f"ray --backend-config {key} must be a JSON {kind.__name__}")

    def submit(self, job: Job, config: Mapping[str, Any]) -> Execution:
        from ray.job_submission import JobSubmissionClient

        address = config.get("address") or os.environ.get("RAY_ADDRESS") or DEFAULT_ADDRESS
        try:
            client = JobSubmissionClient(address)
        except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
            raise ProjectError(f"cannot reach the Ray job server at {address}: {exc}") from exc
        runtime_env = dict(config.get("runtime_env") or {})
        runtime_env["working_dir"] = job.project_dir
        if config.get("excludes"):
            runtime_env["excludes"] = list(config["excludes"])
        runtime_env["env_vars"] = {**runtime_env.get("env_vars", {}), **job.env_vars}
        manager = job.environment.manager
        if manager in ("virtualenv", "uv"):
            requirements = job.environment.spec.requirement_lines()
            if requirements:
                runtime_env["pip" if manager == "virtualenv" else "uv"] = requirements
        job.output(f"autolog: submitting to the Ray cluster at {address}\n".encode())
        try:
            job_id = client.submit_job(
                entrypoint=job.command,
                submission_id=f"autolog-{job.run_id}",
                runtime_env=runtime_env,
                metadata={"autolog_run_id": job.run_id, "autolog_tracking_uri": job.tracking_uri},
                entrypoint_num_cpus=config.get("num_cpus"),
                entrypoint_num_gpus=config.get("num_gpus"),
                entrypoint_memory=config.get("memory"),
                entrypoint_resources=config.get("resources"),
            )
        except Exception as exc:
            raise ProjectError(f"the Ray job server at {address} refused the job: {exc}") from exc
        return RayExecution(client, job_id, address)


class RayExecution(Execution):
    def __init__(self, client: Any, job_id: str, address: str) -> None:
        self.client = client
        self.job_id = job_id
        self.tags = {"autolog.project.ray.job_id": job_id, "autolog.project.ray.address": address}

    def output(self) -> Iterator[bytes]:
        import asyncio
        import warnings

        loop = asyncio.new_event_loop()
        chunks = self.client.tail_job_logs(self.job_id)
        try:
            while True:
                try:
                    with warnings.catch_warnings():
                        # Ray's log tail hands aiohttp ssl=None, which aiohttp deprecates
                        warnings.filterwarnings("ignore", "ssl=None", DeprecationWarning)
                        text = loop.run_until_complete(chunks.__anext__())
                except StopAsyncIteration:
                    return
                except Exception as exc:  # the job goes on: wait() still reports how it ended
                    yield f"autolog: the job's log stream broke off ({exc})\n".encode()
                    return
                yield text.encode("utf-8", "replace")
        finally:
            try:
                loop.run_until_complete(chunks.aclose())
            except Exception:
                pass
            loop.close()

    def status(self) -> RunStatus:
        """The run status the job's current state maps to (SCHEDULED while pending)."""
        state = str(self.client.get_job_status(self.job_id))
        return _STATUS.get(state, RunStatus.SCHEDULED if state == "PENDING" else RunStatus.RUNNING)

    def wait(self) -> RunStatus:
        while True:
            status = self.status()
            if status.is_terminated:
                return status
            time.sleep(POLL_S)

    def cancel(self) -> None:
        try:
            self.client.stop_job(self.job_id)
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while not self.status().is_terminated and time.monotonic() < deadline:
                time.sleep(POLL_S)  # Ray signals the job, then kills it after its own grace
        except Exception:
            pass  # already ended, or the job server is gone
