"""torch autologging for plain training loops: what is patched, and the wrappers.

A training loop has no ``fit`` to wrap, so the parts every loop uses are watched:

- ``torch.optim.Optimizer.__init__`` (the base class: every optimizer calls it through
  ``super().__init__``): opens a session (``_session``) for the module whose parameters it
  optimizes (found as ``_model`` explains) and its run, named after the model class.
- ``DataLoader.__iter__`` and the DataLoader iterators' ``__next__`` (defined once on their
  base class): a pass starts, its first batch gives the signature example, and exhaustion
  (``StopIteration``) ends the epoch or validation pass.
- ``torch.nn.modules.loss._Loss.__call__`` (every ``nn.*Loss``, set on the base class and
  removed again by ``disable()``) and the ``torch.nn.functional`` losses in
  ``_losses.LOSS_FUNCTIONS``: each loss value is added, on its device, to the current pass.
  A loss module's own call to a functional loss counts once, not twice.

Per batch and per loss the wrappers do one thread-local lookup, and for losses one detach and
one in-place add: no ``.item()``, no device synchronisation. These patches are ``hot``: plain
function wrappers, which cost about half of a wrapt proxy per call in a training loop. Under
``torch.distributed`` with a rank other than 0 no session is opened, so nothing at all is
recorded there.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from typing import Any

from autolog.autologging import Recorder, safe
from autolog.autologging._safe import is_strict, report
from autolog.flavors.torch import _model, _session
from autolog.flavors.torch._losses import LOSS_FUNCTIONS
from autolog.models._flavor import Patch

def declare_patches(recorder: Recorder) -> Sequence[Patch]:
    """Patches for what is imported now (the core asks again after later imports)."""
    patches: list[Patch] = []
    optimizer = sys.modules.get("torch.optim.optimizer")
    if optimizer is not None:
        patches.append(Patch(optimizer.Optimizer, "__init__", functools.partial(_wrap_optimizer_init, recorder)))
    dataloader = sys.modules.get("torch.utils.data.dataloader")
    if dataloader is not None:
        patches.append(Patch(dataloader.DataLoader, "__iter__", functools.partial(_wrap_iter, recorder)))
        patches.append(Patch(dataloader._BaseDataLoaderIter, "__next__", functools.partial(_wrap_next, recorder), hot=True))
    loss_wrapper = functools.partial(_wrap_loss, recorder)
    losses = sys.modules.get("torch.nn.modules.loss")
    if losses is not None:
        patches.append(Patch(losses._Loss, "__call__", loss_wrapper, hot=True))
    functional = sys.modules.get("torch.nn.functional")
    if functional is not None:
        for name in LOSS_FUNCTIONS:
            if callable(getattr(functional, name, None)):
                patches.append(Patch(functional, name, loss_wrapper, hot=True))
    return patches


def _failed(site: str, exc: Exception) -> None:
    """``safe`` for the per-step paths, without a context manager's cost."""
    if is_strict():
        raise exc
    report(site, exc)


# -- wrappers ---------------------------------------------------------------------------------
def _wrap_optimizer_init(
    recorder: Recorder, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    wrapped(*args, **kwargs)
    if instance is None or not recorder.should_record():
        return
    with safe("torch optimizer"):
        if _other_rank():
            return
        _start_session(recorder, instance, sys._getframe(1))


def _start_session(recorder: Recorder, optimizer: Any, frame: Any) -> None:
    module = _model.find_module(optimizer, frame)
    session = _session.current()
    if session is not None:
        if session.trains(optimizer, module):
            session.optimizer = optimizer  # a new optimizer for the same model: its lr from now on
            return
        session.call.finish()  # another model: the previous one's run ends here
    name = type(module).__name__ if module is not None else f"{type(optimizer).__name__} training"
    tags = {"model_class": f"{type(module).__module__}.{type(module).__qualname__}"} if module is not None else {}
    call = recorder.training(module, run_name=name, tags=tags).start()
    if call.run_id is None:  # the store failed: nothing to log into, nothing to watch
        _session.set_current(None)
        return
    session = _session.Session(recorder, call, optimizer, module)
    _session.set_current(session)
    session.start_logging()


def _other_rank() -> bool:
    distributed = sys.modules.get("torch.distributed")
    return bool(
        distributed is not None
        and distributed.is_available()
        and distributed.is_initialized()
        and distributed.get_rank() != 0
    )


def _wrap_iter(recorder: Recorder, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    iterator = wrapped(*args, **kwargs)
    session = _session.current()
    if session is not None:
        with safe("torch epoch start"):
            session.begin_pass(instance, iterator)
    return iterator


def _wrap_next(recorder: Recorder, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    session = _session.current()
    if session is None:
        return wrapped(*args, **kwargs)
    try:
        batch = wrapped(*args, **kwargs)
    except StopIteration:
        try:
            session.exhausted(instance)
        except Exception as exc:
            _failed("torch epoch end", exc)
        raise
    if session.wants_example:
        try:
            session.take_example(batch)
        except Exception as exc:
            _failed("torch example batch", exc)
    return batch


def _wrap_loss(recorder: Recorder, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    session = _session.current()
    if session is None or session.in_loss:
        return wrapped(*args, **kwargs)
    # a loss module calling a functional loss counts once (the session is this thread's)
    session.in_loss = True
    try:
        loss = wrapped(*args, **kwargs)
    finally:
        session.in_loss = False
    try:
        session.add_loss(loss)
    except Exception as exc:
        _failed("torch loss", exc)
    return loss
