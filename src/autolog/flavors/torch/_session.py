"""One training session: a model, its optimizer, its DataLoader passes, its run.

A plain PyTorch loop has no call that spans the training, so the session is opened by the
first optimizer built for a model and lives on until its run ends: the user's ``end_run``, the
end of the script (interpreter exit), or an optimizer built for a *different* model in the
same thread. Its run is the thread's active run meanwhile, so the user's own ``log_metric``
calls land in it too.

Epochs: every ``DataLoader`` iteration started while a session is open is a *pass*; a pass
started with gradients enabled and the model in training mode is a training epoch, any other
a validation pass. It ends when its iterator is exhausted (or, if abandoned by a ``break``,
when the same loader is iterated again or the run ends). Losses computed while passes are
open go to the most recently started one; losses computed outside any pass go to run-wide
means (``train_loss_mean``/``val_loss_mean``, by gradient mode), logged when the run ends.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from autolog.autologging import Recorder, TrainingCall, safe
from autolog.flavors.torch import _model
from autolog.flavors.torch._losses import RunningMean

#: rows of the first batch kept (on the CPU) for the model's signature
EXAMPLE_ROWS = 2

_local = threading.local()


def current() -> Session | None:
    """This thread's open session (None when there is none or its run has ended)."""
    session: Session | None = getattr(_local, "session", None)
    if session is not None and session.closed:
        _local.session = None
        return None
    return session


def set_current(session: Session | None) -> None:
    _local.session = session


class Pass:
    """One iteration over a DataLoader."""

    __slots__ = ("iterator", "loader", "losses", "started", "training")

    def __init__(self, loader: Any, iterator: Any, training: bool) -> None:
        self.loader = weakref.ref(loader)
        # weak: holding a worker-backed iterator would keep its worker processes alive
        self.iterator = weakref.ref(iterator)
        self.training = training
        self.losses = RunningMean()
        self.started = time.perf_counter()


class Session:
    """A model being trained, and the run it logs into."""

    def __init__(self, recorder: Recorder, call: TrainingCall, optimizer: Any, module: Any) -> None:
        self.recorder = recorder
        self.call = call
        self.optimizer = optimizer
        self.module = module
        self.param_ids = _model.optimized_ids(optimizer)
        self.passes: list[Pass] = []
        self.loose_train = RunningMean()
        self.loose_val = RunningMean()
        self.epochs = 0
        self.val_passes = 0
        self.example: Any = None
        self.wants_example = True
        self.closed = False
        #: a watched loss is running (in this session's thread): losses inside it are its parts
        self.in_loss = False
        self._lock = threading.Lock()

    # -- which model ------------------------------------------------------------------------
    def trains(self, optimizer: Any, module: Any) -> bool:
        """Does ``optimizer`` (for ``module``) train this session's model?"""
        if module is not None and self.module is not None:
            return module is self.module
        return not self.param_ids.isdisjoint(_model.optimized_ids(optimizer))

    # -- per batch / per loss (hot paths: no sync, nothing that grows) -------------------------
    def add_loss(self, loss: Any) -> None:
        if self.passes:
            self.passes[-1].losses.add(loss)
            return
        import torch

        (self.loose_train if torch.is_grad_enabled() else self.loose_val).add(loss)

    def take_example(self, batch: Any) -> None:
        self.wants_example = False
        import torch

        data = batch[0] if isinstance(batch, (tuple, list)) and batch else batch
        if isinstance(data, torch.Tensor) and data.dim():
            self.example = data[:EXAMPLE_ROWS].detach().to("cpu", copy=True)

    # -- passes ---------------------------------------------------------------------------------
    def begin_pass(self, loader: Any, iterator: Any) -> None:
        import torch

        for old in [p for p in self.passes if p.loader() is loader or p.iterator() is iterator]:
            self.end_pass(old)  # abandoned by a break: what it saw still counts
        module = self.module
        training = torch.is_grad_enabled() and (module is None or bool(module.training))
        self.passes.append(Pass(loader, iterator, training))

    def exhausted(self, iterator: Any) -> None:
        for p in self.passes:
            if p.iterator() is iterator:
                self.end_pass(p)
                return

    def end_pass(self, done: Pass) -> None:
        self.passes.remove(done)
        seconds = time.perf_counter() - done.started
        mean = done.losses.value()
        if done.training:
            metrics = {"epoch_time": seconds}
            if mean is not None:
                metrics["train_loss"] = mean
            with safe("torch learning rate"):
                metrics.update(_model.learning_rates(self.optimizer))
            step, self.epochs = self.epochs, self.epochs + 1
        else:
            metrics = {"val_time": seconds}
            if mean is not None:
                metrics["val_loss"] = mean
            step, self.val_passes = self.val_passes, self.val_passes + 1
        with safe("torch epoch metrics"):
            self.call.log_metrics(metrics, step=step)

    # -- the end ----------------------------------------------------------------------------------
    def start_logging(self) -> None:
        """Params and the model summary, right after the run opened."""
        with safe("torch optimizer params"):
            self.call.log_params(_model.optimizer_params(self.optimizer))
        if self.module is not None:
            with safe("torch model description"):
                self.call.log_params(_model.model_params(self.module))
                self.call.log_text(str(self.module), "model_summary.txt")
        self.call.at_end(self.at_end)

    def at_end(self) -> None:
        """Runs right before the run ends (however it ends): what is pending, then the model."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
        with safe("torch epoch metrics"):
            for pending in list(self.passes):
                self.end_pass(pending)
        with safe("torch loss means"):
            means = {"train_loss_mean": self.loose_train.value(), "val_loss_mean": self.loose_val.value()}
            self.call.log_metrics({k: v for k, v in means.items() if v is not None})
        if self.module is not None and self.recorder.config.log_models:
            with safe("torch model"):
                self._log_model()

    def _log_model(self) -> None:
        config = self.recorder.config
        example = self.example.numpy() if self.example is not None else None
        signature = None
        if config.log_signatures and example is not None:
            import autolog
            from autolog.models import _discovery

            module = self.module
            was_training = bool(module.training)
            try:
                with self.recorder.suppressed(), safe("torch signature"):
                    output = _discovery.get_flavor("torch").predict(module, example)
                    signature = autolog.infer_signature(example, output)
            finally:
                module.train(was_training)  # predict switched it to eval mode
        self.call.log_model(
            self.module,
            signature=signature,
            input_example=example if config.log_input_examples else None,
        )
