"""torch autologging of plain training loops: sessions, epochs, loss means, the model at the
end of the run, DDP, and the conformance suite."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

import autolog
from autolog.testing import AutologConformance
from autolog.testing._autolog import flavor_runs


class MLP(nn.Module):
    def __init__(self, n_in: int = 4, hidden: int = 8, n_out: int = 2) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def _data(n: int = 96, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 4, generator=generator)
    return X, (X[:, 0] + X[:, 1] > 0).long()


@pytest.fixture
def autologged() -> Iterator[None]:
    from autolog.autologging import _recorder, _safe

    _safe.strict(True)
    autolog.enable(flavors=["torch"])
    try:
        yield
    finally:
        autolog.disable()
        _safe.strict(None)
        _recorder.reset()


def _history(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in autolog.Client().get_metric_history(run_id, key)]


def _one_run() -> Any:
    runs = flavor_runs("torch")
    assert len(runs) == 1, [r.info.run_name for r in runs]
    return runs[0]


def test_epochs_train_and_val_losses_lr_params_summary_and_model(autologged: None) -> None:
    torch.manual_seed(0)
    X, y = _data(160)
    train = DataLoader(TensorDataset(X[:128], y[:128]), batch_size=16, shuffle=True)
    val = DataLoader(TensorDataset(X[128:], y[128:]), batch_size=8)
    model = MLP()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    criterion = nn.CrossEntropyLoss()
    train_means, val_means, lrs = [], [], []
    for _ in range(5):
        model.train()
        seen = []
        lrs.append(optimizer.param_groups[0]["lr"])
        for xb, yb in train:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            seen.append(loss.item())
        train_means.append(np.mean(seen))
        model.eval()
        with torch.no_grad():
            seen = [F.cross_entropy(model(xb), yb).item() for xb, yb in val]
        val_means.append(np.mean(seen))
        scheduler.step()
    run_id = autolog.active_run().info.run_id  # the session's run stays open across epochs
    autolog.end_run()

    run = _one_run()
    assert run.info.run_id == run_id and run.info.run_name == "MLP"
    assert run.info.status.value == "FINISHED"
    assert [s for s, _ in _history(run_id, "train_loss")] == [0, 1, 2, 3, 4]
    assert [v for _, v in _history(run_id, "train_loss")] == pytest.approx(train_means, rel=1e-5)
    assert [v for _, v in _history(run_id, "val_loss")] == pytest.approx(val_means, rel=1e-5)
    assert [v for _, v in _history(run_id, "lr")] == pytest.approx(lrs) == [0.2, 0.2, 0.1, 0.1, 0.05]
    assert len(_history(run_id, "epoch_time")) == 5 and len(_history(run_id, "val_time")) == 5
    params = run.data.params
    assert params["optimizer"] == "SGD" and params["lr"] == "0.2" and params["momentum"] == "0.9"
    assert params["model_class"] == "MLP" and params["total_params"] == "58" == params["trainable_params"]
    summary = Path(autolog.Client().download_artifacts(run_id, "model_summary.txt")).read_text()
    assert summary == str(model)
    loaded = autolog.load_model(f"runs:/{run_id}/model")
    assert loaded.signature is not None
    with torch.no_grad():
        expected = model(X).numpy()
    np.testing.assert_allclose(loaded.predict(X.numpy()), expected, rtol=1e-6)
    assert not model.training  # the signature prediction put the mode back as it was


def _count_syncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Calls made by autolog's code that read a tensor back to the host, counted through
    wrappers this test installs (torch's own, e.g. Adam's step counter, are not ours)."""
    calls: list[str] = []
    for name in ("item", "cpu", "tolist", "numpy", "__float__"):
        original = getattr(torch.Tensor, name)

        def counting(self: torch.Tensor, *args: Any, __name: str = name, __original: Any = original, **kwargs: Any) -> Any:
            if str(sys._getframe(1).f_globals.get("__name__")).startswith("autolog."):
                calls.append(__name)
            return __original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counting)
    return calls


@pytest.mark.parametrize("batches", [2, 12])
def test_host_reads_per_epoch_do_not_grow_with_steps(autologged: None, batches: int) -> None:
    X, y = _data(batches * 8)
    train = DataLoader(TensorDataset(X, y), batch_size=8)
    val = DataLoader(TensorDataset(X, y), batch_size=8)
    model = MLP()
    optimizer = torch.optim.Adam(model.parameters())
    with pytest.MonkeyPatch.context() as patch:
        calls = _count_syncs(patch)
        for _ in range(3):
            model.train()
            for xb, yb in train:
                optimizer.zero_grad()
                F.mse_loss(model(xb)[:, 0], yb.float()).backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                for xb, yb in val:
                    F.mse_loss(model(xb)[:, 0], yb.float())
    # one read per pass: the train and the val loss sums; nothing per step
    assert calls == ["item"] * 6
    autolog.end_run()
    assert len(_history(_one_run().info.run_id, "train_loss")) == 3


def test_loop_without_dataloader_logs_params_model_and_run_mean(autologged: None) -> None:
    X, y = _data(64)
    model = MLP()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.1)
    seen = []
    for _ in range(3):
        for xb, yb in zip(torch.split(X, 16), torch.split(y, 16)):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            seen.append(loss.item())
    with torch.no_grad():
        val = F.cross_entropy(model(X), y).item()
    autolog.end_run()
    run = _one_run()
    assert run.data.params["optimizer"] == "AdamW" and run.data.params["weight_decay"] == "0.1"
    assert run.data.metrics["train_loss_mean"] == pytest.approx(np.mean(seen), rel=1e-5)
    assert run.data.metrics["val_loss_mean"] == pytest.approx(val, rel=1e-5)
    assert "train_loss" not in run.data.metrics
    loaded = autolog.load_model(f"runs:/{run.info.run_id}/model")
    assert loaded.signature is None  # no batch was seen through a DataLoader
    with torch.no_grad():
        np.testing.assert_allclose(loaded.predict(X.numpy()), model(X).numpy(), rtol=1e-6)


def test_custom_loss_module_counts_once(autologged: None) -> None:
    class Combined(nn.modules.loss._Loss):
        def forward(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            return F.cross_entropy(out, target) + 0.5 * F.l1_loss(out[:, 0], target.float())

    X, y = _data(32)
    model = MLP()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    criterion, values = Combined(), []
    for xb, yb in DataLoader(TensorDataset(X, y), batch_size=8):
        loss = criterion(model(xb), yb)
        values.append(loss.item())
        loss.backward()
        optimizer.step()
    autolog.end_run()
    assert _one_run().data.metrics["train_loss"] == pytest.approx(np.mean(values), rel=1e-5)


def test_runs_follow_models_and_user_runs(autologged: None) -> None:
    first, second = MLP(), MLP(hidden=4)
    torch.optim.SGD(first.parameters(), lr=0.1)
    torch.optim.SGD(first.parameters(), lr=0.01)  # same model: same run
    torch.optim.Adam(second.parameters())  # another model: the first run ends, a new one opens
    autolog.end_run()
    runs = sorted(flavor_runs("torch"), key=lambda r: (r.info.start_time, r.info.end_time))
    assert [r.data.params["optimizer"] for r in runs] == ["SGD", "Adam"]
    assert all(r.info.status.value == "FINISHED" for r in runs)
    with autolog.start_run(run_name="mine") as mine:
        MLP(n_out=1)
        model = MLP(n_out=3)
        torch.optim.RMSprop(model.parameters())
    stored = autolog.get_run(mine.info.run_id)
    assert stored.data.params["model_class"] == "MLP" and stored.data.params["optimizer"] == "RMSprop"
    assert stored.data.params["total_params"] == str(sum(p.numel() for p in model.parameters()))
    assert [f.path for f in autolog.Client().list_artifacts(mine.info.run_id)] == ["model", "model_summary.txt"]


def test_module_found_through_an_attribute(autologged: None) -> None:
    class Trainer:
        def __init__(self) -> None:
            self.net = MLP(hidden=5)
            self.optimizer = torch.optim.SGD(self.net.body[2].parameters(), lr=0.1)  # the head only

    Trainer()
    autolog.end_run()
    run = _one_run()
    assert run.info.run_name == "MLP" and run.data.params["total_params"] == str(4 * 5 + 5 + 5 * 2 + 2)


_SCRIPT_PREAMBLE = """
import os, sys, torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
import autolog

def data():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 4, generator=g)
    return TensorDataset(X, (X[:, 0] > 0).long())
"""

_AT_EXIT = _SCRIPT_PREAMBLE + """
autolog.enable(flavors=["torch"])
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(2):
    for xb, yb in DataLoader(data(), batch_size=16):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(xb), yb).backward()
        optimizer.step()
print("done")
"""

_DDP = _SCRIPT_PREAMBLE + """
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

def work(rank, port):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    autolog.enable(flavors=["torch"])
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
    dataset = data()
    sampler = DistributedSampler(dataset, num_replicas=2, rank=rank)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        for xb, yb in DataLoader(dataset, batch_size=8, sampler=sampler):
            optimizer.zero_grad()
            nn.functional.cross_entropy(ddp(xb), yb).backward()
            optimizer.step()
    autolog.end_run()
    dist.destroy_process_group()

if __name__ == "__main__":
    mp.spawn(work, args=(int(sys.argv[1]),), nprocs=2, join=True)
    print("done")
"""


def _run_script(tmp_path: Path, text: str, *args: str) -> Any:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(text))
    store = tmp_path / "runs"
    env = {**os.environ, "AUTOLOG_TRACKING_URI": str(store), "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env.pop("AUTOLOG_TESTING_STRICT", None)
    done = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("done")
    autolog.set_tracking_uri(str(store))
    return _one_run()


def test_run_ends_and_model_is_logged_at_interpreter_exit(tmp_path: Path) -> None:
    run = _run_script(tmp_path, _AT_EXIT)
    assert run.info.status.value == "FINISHED" and run.info.run_name == "Sequential"
    assert len(_history(run.info.run_id, "train_loss")) == 2
    loaded = autolog.load_model(f"runs:/{run.info.run_id}/model")
    assert loaded.signature is not None
    assert loaded.predict(np.zeros((3, 4), dtype=np.float32)).shape == (3, 2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ddp_gloo_two_processes_log_one_run(tmp_path: Path) -> None:
    run = _run_script(tmp_path, _DDP, str(_free_port()))
    assert run.info.status.value == "FINISHED"
    assert run.data.params["model_class"] == "Sequential"  # the module inside the DDP wrapper
    assert len(_history(run.info.run_id, "train_loss")) == 2
    assert [f.path for f in autolog.Client().list_artifacts(run.info.run_id)] == ["model", "model_summary.txt"]


def test_disable_restores_every_patched_object() -> None:
    from torch.nn.modules.loss import _Loss
    from torch.utils.data.dataloader import _BaseDataLoaderIter

    before = {
        "init": vars(torch.optim.Optimizer)["__init__"],
        "iter": vars(DataLoader)["__iter__"],
        "next": vars(_BaseDataLoaderIter)["__next__"],
        "mse": F.mse_loss,
        "ce": F.cross_entropy,
    }
    autolog.enable(flavors=["torch"])
    assert F.mse_loss is not before["mse"] and "__call__" in vars(_Loss)
    autolog.disable()
    after = {
        "init": vars(torch.optim.Optimizer)["__init__"],
        "iter": vars(DataLoader)["__iter__"],
        "next": vars(_BaseDataLoaderIter)["__next__"],
        "mse": F.mse_loss,
        "ce": F.cross_entropy,
    }
    assert all(after[k] is before[k] for k in before)
    assert "__call__" not in vars(_Loss)


class _Failing(Dataset):  # type: ignore[type-arg]
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> Any:
        if index == 5:
            raise self.error
        return torch.zeros(4), torch.tensor(0)


class TestTorchConformance(AutologConformance):
    flavor = "torch"

    @pytest.fixture
    def train(self) -> Callable[[], Any]:
        def run() -> nn.Module:
            generator = torch.Generator().manual_seed(0)
            X = torch.randn(32, 4, generator=generator)
            y = (X[:, 0] > 0).long()
            model = MLP()
            with torch.no_grad():
                for p in model.parameters():
                    p.copy_(torch.randn(p.shape, generator=generator))
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            for _ in range(2):
                for xb, yb in DataLoader(TensorDataset(X, y), batch_size=8):
                    optimizer.zero_grad()
                    F.cross_entropy(model(xb), yb).backward()
                    optimizer.step()
            autolog.end_run()  # the end of the "script": the session's run ends here
            return model

        return run

    @pytest.fixture
    def train_raising(self) -> Callable[[BaseException], Any]:
        def run(error: BaseException) -> None:
            model = MLP()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            try:
                for xb, yb in DataLoader(_Failing(error), batch_size=2):
                    F.cross_entropy(model(xb), yb).backward()
                    optimizer.step()
            except BaseException:
                autolog.end_run("FAILED")  # what interpreter exit does after an uncaught error
                raise

        return run

    def assert_same_result(self, expected: Any, actual: Any) -> None:
        assert type(expected) is type(actual)
        a, b = expected.state_dict(), actual.state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
