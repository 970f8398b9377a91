"""System metrics from the outside: real runs, the real sampler thread, real psutil.

The sampling interval is 0.05 s here (the default is 10 s) so that runs collect several
points quickly; waits are bounded loops on what the store holds, never timing assertions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

import autolog
from autolog.errors import AutologWarning, InvalidInputError, MissingDependencyError
from autolog.testing import registered_sampler
from autolog.tracking.system_metrics import Sampler

pytest.importorskip("psutil", reason="system metrics need psutil: pip install 'autolog[system]'")

THREAD = "autolog-system-metrics"
CPU = "system/cpu_utilization_percentage"
HOST_KEYS = {
    CPU,
    "system/system_memory_usage_megabytes",
    "system/system_memory_usage_percentage",
    "system/disk_usage_percentage",
    "system/disk_usage_megabytes",
    "system/disk_available_megabytes",
    "system/network_receive_megabytes",
    "system/network_transmit_megabytes",
}


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL", "0.05")
    for name in ("AUTOLOG_ENABLE_SYSTEM_METRICS", "AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING",
                 "AUTOLOG_SYSTEM_METRICS_NODE_ID", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK"):
        monkeypatch.delenv(name, raising=False)


def sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD]


def history(run_id: str, key: str) -> list[autolog.Metric]:
    return autolog.Client().get_metric_history(run_id, key)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll until ``condition()`` holds; fail after 30 s (a hang, not a slow machine)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def wait_for_points(run_id: str, count: int, key: str = CPU) -> None:
    wait_for(lambda: len(history(run_id, key)) >= count, f"{count} points of {key}")


def system_keys(run_id: str) -> set[str]:
    return {k for k in autolog.get_run(run_id).data.metrics if k.startswith("system/")}


# -- what a sampled run records ------------------------------------------------------------------
def test_a_sampled_run_has_system_histories_with_sensible_values() -> None:
    with autolog.start_run(log_system_metrics=True) as run:
        assert len(sampler_threads()) == 1
        autolog.log_metric("loss", 0.5)  # the training thread logs as usual meanwhile
        wait_for_points(run.info.run_id, 4)
    run_id = run.info.run_id

    assert sampler_threads() == []
    assert HOST_KEYS <= system_keys(run_id)
    cores = os.cpu_count() or 1
    cpu = history(run_id, CPU)
    assert all(0 <= m.value <= 100 * cores for m in cpu)
    steps = [m.step for m in cpu]
    assert steps == list(range(len(steps)))  # one step per point, increasing from 0
    assert [m.timestamp for m in cpu] == sorted(m.timestamp for m in cpu)
    assert all(m.value > 0 for m in history(run_id, "system/system_memory_usage_megabytes"))
    assert all(0 < m.value <= 100 for m in history(run_id, "system/system_memory_usage_percentage"))
    assert all(m.value > 0 for m in history(run_id, "system/disk_usage_megabytes"))
    assert all(m.value >= 0 for m in history(run_id, "system/network_receive_megabytes"))
    # every name has a point at every step: they are logged together
    assert len(history(run_id, "system/disk_usage_percentage")) == len(cpu)
    assert autolog.get_run(run_id).data.metrics["loss"] == 0.5
    # searchable like any metric
    found = autolog.search_runs(filter_string="metrics.`system/system_memory_usage_megabytes` > 0")
    assert [r.info.run_id for r in found] == [run_id]


def test_a_run_shorter_than_the_interval_still_gets_one_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL")  # the default, 10 s
    with autolog.start_run(log_system_metrics=True) as run:
        pass
    assert sampler_threads() == []
    assert [(m.step, m.key) for m in history(run.info.run_id, CPU)] == [(0, CPU)]
    assert HOST_KEYS <= system_keys(run.info.run_id)


def test_samples_before_logging_averages_readings_into_one_point() -> None:
    autolog.enable_system_metrics_logging(samples_before_logging=2)
    Counting.calls = 0
    with registered_sampler(Counting, "counting"):
        with autolog.start_run() as run:
            wait_for_points(run.info.run_id, 3, "system/counter")
    values = [m.value for m in history(run.info.run_id, "system/counter")]
    assert values[:3] == [1.5, 3.5, 5.5]  # means of readings (1, 2), (3, 4), (5, 6)
    assert [m.step for m in history(run.info.run_id, "system/counter")] == list(range(len(values)))


def test_the_thread_is_gone_after_an_exception_in_the_with_block() -> None:
    with pytest.raises(KeyError, match="boom"):
        with autolog.start_run(log_system_metrics=True) as run:
            wait_for_points(run.info.run_id, 2)
            raise KeyError("boom")
    assert sampler_threads() == []
    assert autolog.get_run(run.info.run_id).info.status == autolog.RunStatus.FAILED
    assert len(history(run.info.run_id, CPU)) >= 2


def test_no_thread_and_no_system_metrics_when_off() -> None:
    with autolog.start_run() as run:
        assert sampler_threads() == []
        autolog.log_metric("loss", 1.0)
    assert system_keys(run.info.run_id) == set()


def test_the_environment_turns_it_on_and_start_run_overrides_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLOG_ENABLE_SYSTEM_METRICS", "true")
    with autolog.start_run() as on:
        assert len(sampler_threads()) == 1
    with autolog.start_run(log_system_metrics=False) as off:
        assert sampler_threads() == []
    assert HOST_KEYS <= system_keys(on.info.run_id)
    assert system_keys(off.info.run_id) == set()


def test_enable_and_disable_switch_every_later_run() -> None:
    autolog.enable_system_metrics_logging()
    with autolog.start_run() as sampled:
        pass
    autolog.disable_system_metrics_logging()
    with autolog.start_run() as plain:
        assert sampler_threads() == []
    assert HOST_KEYS <= system_keys(sampled.info.run_id)
    assert system_keys(plain.info.run_id) == set()


def test_autolog_enable_turns_it_on_and_disable_stops_the_thread() -> None:
    autolog.enable(flavors=[], log_system_metrics=True)
    try:
        run = autolog.start_run()
        explicit = autolog.start_run(nested=True, log_system_metrics=True)
        wait_for_points(run.info.run_id, 2)
        autolog.disable()
        # the run enable() turned sampling on for stops being sampled; the one that asked
        # for it itself goes on, and so do both runs
        assert len(sampler_threads()) == 1
        autolog.end_run()
        assert sampler_threads() == []
        autolog.log_metric("after_disable", 1.0)
        autolog.end_run()
    finally:
        autolog.disable()
    with autolog.start_run() as later:
        assert sampler_threads() == []
    assert system_keys(later.info.run_id) == set()
    assert HOST_KEYS <= system_keys(explicit.info.run_id)


def test_an_autologged_torch_run_gets_system_metrics() -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    autolog.enable(flavors=["torch"], log_system_metrics=True, log_models=False)
    try:
        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)  # opens the run
        run = autolog.active_run()
        assert run is not None and len(sampler_threads()) == 1
        loader = DataLoader(TensorDataset(torch.randn(32, 4), torch.randint(0, 2, (32,))), batch_size=8)
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        autolog.end_run()
    finally:
        autolog.disable()
    assert sampler_threads() == []
    keys = set(autolog.get_run(run.info.run_id).data.metrics)
    assert "train_loss" in keys and HOST_KEYS <= keys


def test_nested_runs_keep_their_own_steps_and_the_thread_lives_while_one_is_sampled() -> None:
    with autolog.start_run(log_system_metrics=True) as parent:
        wait_for_points(parent.info.run_id, 3)
        with autolog.start_run(nested=True, log_system_metrics=True) as child:
            wait_for_points(child.info.run_id, 2)
        assert len(sampler_threads()) == 1
    assert sampler_threads() == []
    for run in (parent, child):
        steps = [m.step for m in history(run.info.run_id, CPU)]
        assert steps == list(range(len(steps)))


def test_a_resumed_run_goes_on_after_its_last_step() -> None:
    with autolog.start_run(log_system_metrics=True) as run:
        wait_for_points(run.info.run_id, 2)
    first = len(history(run.info.run_id, CPU))
    with autolog.start_run(run_id=run.info.run_id, log_system_metrics=True):
        wait_for_points(run.info.run_id, first + 2)
    steps = [m.step for m in history(run.info.run_id, CPU)]
    assert steps == list(range(len(steps)))


def test_a_run_ended_through_the_client_stops_being_sampled() -> None:
    run = autolog.start_run(log_system_metrics=True)
    wait_for_points(run.info.run_id, 2)
    autolog.Client().set_terminated(run.info.run_id)
    assert sampler_threads() == []
    count = len(history(run.info.run_id, CPU))
    autolog.end_run()  # the fluent API's own end of it: nothing more was queued
    autolog.flush()
    assert len(history(run.info.run_id, CPU)) == count


# -- node ids (several machines logging into one run) --------------------------------------------
def test_a_node_id_goes_into_the_metric_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLOG_SYSTEM_METRICS_NODE_ID", "node_7")
    with autolog.start_run(log_system_metrics=True) as run:
        pass
    keys = system_keys(run.info.run_id)
    assert "system/node_7/cpu_utilization_percentage" in keys
    assert all(k.startswith("system/node_7/") for k in keys)


def test_torchrun_across_several_nodes_names_the_node(monkeypatch: pytest.MonkeyPatch) -> None:
    # what torchrun sets in each process of a 2-node x 2-process job, on the second node
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    monkeypatch.setenv("GROUP_RANK", "1")
    with autolog.start_run(log_system_metrics=True) as run:
        pass
    assert "system/node_1/cpu_utilization_percentage" in system_keys(run.info.run_id)
    monkeypatch.setenv("WORLD_SIZE", "2")  # one node: plain names
    with autolog.start_run(log_system_metrics=True) as single:
        pass
    assert CPU in system_keys(single.info.run_id)


# -- bad settings: refused before any run exists -------------------------------------------------
@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL", "soon", "not a number"),
        ("AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL", "0", "seconds > 0"),
        ("AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING", "0.5", "whole number >= 1"),
        ("AUTOLOG_SYSTEM_METRICS_NODE_ID", "rack/3", "without '/'"),
        ("AUTOLOG_ENABLE_SYSTEM_METRICS", "maybe", "use true or false"),
    ],
)
def test_bad_environment_values_are_refused_at_start_run(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    if variable != "AUTOLOG_ENABLE_SYSTEM_METRICS":
        monkeypatch.setenv("AUTOLOG_ENABLE_SYSTEM_METRICS", "1")
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidInputError, match=message) as info:
        autolog.start_run()
    assert variable in str(info.value)
    assert autolog.active_run() is None and autolog.search_runs() == []


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="log_system_metrics must be True, False or None"):
        autolog.start_run(log_system_metrics="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="sampling_interval must be a number of seconds > 0"):
        autolog.enable_system_metrics_logging(sampling_interval=-1)
    with pytest.raises(InvalidInputError, match="samples_before_logging"):
        autolog.enable_system_metrics_logging(samples_before_logging=0)
    with pytest.raises(InvalidInputError, match="node_id"):
        autolog.enable_system_metrics_logging(node_id="")
    with pytest.raises(InvalidInputError, match="log_system_metrics"):
        autolog.enable(flavors=[], log_system_metrics=1)  # type: ignore[arg-type]
    assert autolog.search_runs() == []


def test_without_psutil_turning_it_on_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psutil", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'autolog\[system\]'") as info:
        autolog.start_run(log_system_metrics=True)
    assert (info.value.package, info.value.extra) == ("psutil", "system")
    assert isinstance(info.value, ImportError)
    assert autolog.search_runs() == []  # no half-started run
    with pytest.raises(MissingDependencyError):
        autolog.enable_system_metrics_logging()
    with pytest.raises(MissingDependencyError):
        autolog.enable(flavors=[], log_system_metrics=True)
    with autolog.start_run():  # off: psutil is not needed
        pass


# -- samplers: the plugin seam -------------------------------------------------------------------
class Counting(Sampler):
    """Reads 1, 2, 3, ... (shared across instances, reset by the test)."""

    calls = 0

    def sample(self) -> Mapping[str, float]:
        Counting.calls += 1
        return {"counter": float(Counting.calls)}


class RaisesInSample(Sampler):
    def sample(self) -> Mapping[str, float]:
        raise RuntimeError("sensor unplugged")


class RaisesInStart(Sampler):
    def start(self) -> bool:
        raise OSError("no such device")


class BadName(Sampler):
    def sample(self) -> Mapping[str, float]:
        return {"../escape": 1.0}


class BadValue(Sampler):
    def sample(self) -> Mapping[str, float]:
        return {"label": "warm"}  # type: ignore[dict-item]


class NothingHere(Sampler):
    def start(self) -> bool:
        return False

    def sample(self) -> Mapping[str, float]:
        raise AssertionError("never asked")


@pytest.mark.parametrize(
    ("sampler", "message"),
    [
        (RaisesInSample, "sensor unplugged"),
        (RaisesInStart, "no such device"),
        (BadName, r"'\.\.' path segment"),
        (BadValue, "label"),
        ("no_such_module_for_autolog:Sampler", "no_such_module_for_autolog"),
    ],
)
def test_a_failing_sampler_warns_once_and_the_others_and_the_run_go_on(sampler: object, message: str) -> None:
    with registered_sampler(sampler, "flaky"):  # type: ignore[arg-type]
        with pytest.warns(AutologWarning, match=rf"sampler 'flaky'.*{message}") as caught:
            with autolog.start_run(log_system_metrics=True) as run:
                autolog.log_metric("loss", 0.1)
                wait_for_points(run.info.run_id, 3)
    assert len([w for w in caught if "flaky" in str(w.message)]) == 1
    assert sampler_threads() == []
    assert autolog.get_run(run.info.run_id).info.status == autolog.RunStatus.FINISHED
    assert HOST_KEYS <= system_keys(run.info.run_id)
    assert not any("escape" in k or "label" in k for k in system_keys(run.info.run_id))


def test_a_sampler_with_nothing_to_sample_is_left_out_silently() -> None:
    with registered_sampler(NothingHere, "absent"):
        with autolog.start_run(log_system_metrics=True) as run:
            wait_for_points(run.info.run_id, 2)
    assert HOST_KEYS <= system_keys(run.info.run_id)


def test_the_builtin_samplers_are_entry_points() -> None:
    from autolog import _plugins

    entries = _plugins.system_samplers.entries
    assert {"cpu", "disk", "network", "nvidia"} <= set(entries)
    assert all(entries[name].distribution == "autolog" for name in ("cpu", "disk", "network", "nvidia"))


# -- NVIDIA: absent without a word on a machine without a GPU ------------------------------------
def _has_nvidia_gpu() -> bool:
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:
        return False
    try:
        return bool(pynvml.nvmlDeviceGetCount())
    finally:
        pynvml.nvmlShutdown()


@pytest.mark.skipif(_has_nvidia_gpu(), reason="this machine has an NVIDIA GPU")
@pytest.mark.parametrize("pynvml_installed", [True, False])
def test_without_an_nvidia_gpu_there_are_no_gpu_metrics_and_no_warning(
    monkeypatch: pytest.MonkeyPatch, pynvml_installed: bool
) -> None:
    from autolog.tracking.system_metrics._nvidia import NvidiaSampler

    if not pynvml_installed:
        monkeypatch.setitem(sys.modules, "pynvml", None)
    assert NvidiaSampler().start() is False
    with autolog.start_run(log_system_metrics=True) as run:  # warnings are errors here
        pass
    assert not any(k.startswith("system/gpu_") for k in system_keys(run.info.run_id))


@pytest.mark.skipif(not _has_nvidia_gpu(), reason="needs an NVIDIA GPU and its driver")
def test_an_nvidia_gpu_gets_mlflows_names() -> None:
    with autolog.start_run(log_system_metrics=True) as run:
        wait_for_points(run.info.run_id, 2, "system/gpu_0_memory_usage_megabytes")
    keys = system_keys(run.info.run_id)
    assert {"system/gpu_0_memory_usage_megabytes", "system/gpu_0_memory_usage_percentage"} <= keys
    for m in history(run.info.run_id, "system/gpu_0_memory_usage_percentage"):
        assert 0 <= m.value <= 100


# -- interpreter exit ----------------------------------------------------------------------------
EXIT_SCRIPT = """
    import atexit, json, threading, time
    import autolog

    # registered first, so it runs last: after autolog's own exit hooks
    atexit.register(lambda: print(json.dumps(
        {"threads": [t.name for t in threading.enumerate()], "run_id": run.info.run_id})))
    run = autolog.start_run(log_system_metrics=True)
    deadline = time.monotonic() + 30
    while len(autolog.Client().get_metric_history(run.info.run_id,
                                                  "system/cpu_utilization_percentage")) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    if FAIL:
        raise RuntimeError("training crashed")
"""


@pytest.mark.parametrize("fail", [False, True])
def test_interpreter_exit_stops_the_thread_and_ends_the_run(tmp_path: Path, fail: bool) -> None:
    uri = str(tmp_path / "runs")
    script = "FAIL = %r\n" % fail + textwrap.dedent(EXIT_SCRIPT)
    env = {**os.environ, "AUTOLOG_TRACKING_URI": uri, "AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL": "0.05"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == (1 if fail else 0), done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert THREAD not in report["threads"]
    autolog.set_tracking_uri(uri)
    run = autolog.get_run(report["run_id"])
    assert run.info.status == (autolog.RunStatus.FAILED if fail else autolog.RunStatus.FINISHED)
    assert len(history(run.info.run_id, CPU)) >= 2


def test_import_and_runs_without_system_metrics_do_not_import_psutil(tmp_path: Path) -> None:
    code = (
        "import sys, autolog\n"
        "with autolog.start_run(): autolog.log_metric('x', 1.0)\n"
        "print(sorted(m for m in ('psutil', 'pynvml') if m in sys.modules))\n"
    )
    env = {**os.environ, "AUTOLOG_TRACKING_URI": str(tmp_path / "runs")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.fixture(autouse=True)
def _no_thread_left() -> Iterator[None]:
    yield
    assert sampler_threads() == [], "a test left the sampler thread running"


def test_a_failed_background_write_is_left_for_the_user_to_see() -> None:
    from autolog.errors import BackgroundWriteError
    from autolog.tracking import _writer
    from autolog.tracking.system_metrics import _monitor

    client = autolog.Client()
    with autolog.start_run(log_system_metrics=True) as sampled:
        other = client.create_run(sampled.info.experiment_id)
        client.log_metric(other.info.run_id, "x", 1.0)  # queued...
        client.store.delete_run(other.info.run_id)  # ...for a run deleted behind the client's back
        wait_for(lambda: bool(_writer.writer().failures), "the failed write")
        points = _monitor._runs[sampled.info.run_id].points
        # the sampler queues its points meanwhile (not through a client read: that would report)
        wait_for(lambda: _monitor._runs[sampled.info.run_id].points >= points + 2, "2 more points")
        with pytest.raises(BackgroundWriteError, match=other.info.run_id):
            autolog.flush()
    assert HOST_KEYS <= system_keys(sampled.info.run_id)
