"""The ray backend against a real single-node Ray head on 127.0.0.1, started for this module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _project_support import EXAMPLE, SLEEPER, wait_for, write_project

import autolog
import autolog.projects

pytest.importorskip("ray.job_submission", reason="the ray backend needs Ray: pip install 'autolog[ray]'")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A Ray head on 127.0.0.1 (2 CPUs, free ports, its own temp dir), stopped at the end."""
    from autolog.testing import local_ray_head

    with local_ray_head(num_cpus=2) as address:
        yield address


def test_the_example_project_runs_on_ray(ray_address: str) -> None:
    done = autolog.projects.run(
        str(EXAMPLE), entry_point="forest", parameters={"n_trees": 4}, backend="ray",
        backend_config={"address": ray_address, "num_cpus": 1},
    )
    assert done.status == autolog.RunStatus.FINISHED, done.logs()
    run = autolog.get_run(done.run_id)
    assert run.data.params["n_trees"] == "4" and run.data.params["n_estimators"] == "4"
    assert run.data.tags["autolog.project.backend"] == "ray"
    assert run.data.tags["autolog.project.ray.job_id"] == f"autolog-{done.run_id}"
    assert "trained 4 trees" in done.logs()
    artifacts = {f.path for f in autolog.Client().list_artifacts(done.run_id)}
    assert {"model", "project-output.log"} <= artifacts
    assert autolog.load_model(f"runs:/{done.run_id}/model").flavor == "sklearn"


def test_cancel_stops_the_job_and_marks_the_run_killed(ray_address: str, tmp_path: Path) -> None:
    from ray.job_submission import JobSubmissionClient

    project = write_project(tmp_path / "p", SLEEPER)
    handle = autolog.projects.run(
        str(project), entry_point="sleep.py", backend="ray", synchronous=False,
        backend_config={"address": ray_address}, parameters={"pidfile": str(tmp_path / "pid.txt")},
    )
    wait_for(lambda: autolog.get_run(handle.run_id).data.params.get("started"), "the job to start")
    handle.cancel()
    assert handle.status == autolog.RunStatus.KILLED
    status = JobSubmissionClient(ray_address).get_job_status(f"autolog-{handle.run_id}")
    assert str(status) == "STOPPED"


def test_two_projects_submitted_at_once_both_finish(ray_address: str, tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {
        "work.py": "import sys, autolog\nautolog.log_metric('n', float(sys.argv[2]))\nprint('done', sys.argv[2])\n",
    })
    handles = [
        autolog.projects.run(str(project), entry_point="work.py", parameters={"n": n}, backend="ray",
                             backend_config={"address": ray_address}, synchronous=False)
        for n in (1, 2)
    ]
    assert [h.wait(timeout=300) for h in handles] == [autolog.RunStatus.FINISHED] * 2
    assert [autolog.get_run(h.run_id).data.metrics["n"] for h in handles] == [1.0, 2.0]
    assert "done 2" in handles[1].logs()


def test_bad_ray_config_is_refused_before_anything_runs(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {"a.py": "print(1)\n"})
    with pytest.raises(autolog.errors.InvalidInputError, match="num_cpus"):
        autolog.projects.run(str(project), entry_point="a.py", backend="ray", backend_config={"num_cpus": "two"})
    with pytest.raises(autolog.errors.InvalidInputError, match="unknown ray --backend-config keys"):
        autolog.projects.run(str(project), entry_point="a.py", backend="ray", backend_config={"cpus": 2})
