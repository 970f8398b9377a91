"""Which ``nn.Module`` an optimizer trains, and what to record about it and the optimizer.

An optimizer only holds parameter tensors; a tensor does not know its module. When the
optimizer is built, the module is almost always a local (or global) variable of the code
building it, or an attribute of one (``self.model`` in a trainer class). So we look at the
variables of the few frames above the optimizer's constructor, and at the attributes of the
objects held there, for modules owning those parameters: the module covering most of them
wins, the larger one on a tie (the whole model rather than its head, when only the head is
trained). No garbage-collector walk, no per-call hook on every module: it costs a few
dictionary scans once per optimizer.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

#: frames above the optimizer's constructor that are searched
MAX_FRAMES = 8


def optimized_ids(optimizer: Any) -> set[int]:
    return {id(p) for group in optimizer.param_groups for p in group["params"]}


def find_module(optimizer: Any, frame: FrameType | None) -> Any:
    """The module whose parameters ``optimizer`` optimizes (None when none is found)."""
    import torch

    module_type = torch.nn.Module
    wanted = optimized_ids(optimizer)
    if not wanted:
        return None
    candidates: dict[int, Any] = {}
    depth = 0
    while frame is not None and depth < MAX_FRAMES:
        for value in list(frame.f_locals.values()):
            if isinstance(value, module_type):
                candidates[id(value)] = value
            elif hasattr(value, "__dict__") and not isinstance(value, type) and type(value).__module__ != "builtins":
                try:
                    attributes = list(vars(value).values())
                except TypeError:
                    continue
                for attribute in attributes:
                    if isinstance(attribute, module_type):
                        candidates[id(attribute)] = attribute
        frame = frame.f_back
        depth += 1
    best, best_key = None, (0, 0)
    for module in candidates.values():
        owned = [id(p) for p in module.parameters()]
        key = (len(wanted.intersection(owned)), len(owned))
        if key[0] and key > best_key:
            best, best_key = module, key
    return unwrap(best)


def unwrap(module: Any) -> Any:
    """The module inside DistributedDataParallel / DataParallel wrappers."""
    parallel = sys.modules.get("torch.nn.parallel")
    wrappers = tuple(
        t for t in (getattr(parallel, "DistributedDataParallel", None), getattr(parallel, "DataParallel", None)) if t
    )
    while wrappers and isinstance(module, wrappers):
        module = module.module
    return module


def optimizer_params(optimizer: Any) -> dict[str, Any]:
    """The optimizer class and its hyperparameters (``defaults``: lr, betas, momentum, ...)."""
    found: dict[str, Any] = {"optimizer": type(optimizer).__name__}
    for key, value in optimizer.defaults.items():
        found[key] = _plain(value)
    if len(optimizer.param_groups) > 1:
        found["param_groups"] = len(optimizer.param_groups)
    return found


def model_params(module: Any) -> dict[str, Any]:
    parameters = list(module.parameters())
    return {
        "model_class": type(module).__name__,
        "total_params": sum(p.numel() for p in parameters),
        "trainable_params": sum(p.numel() for p in parameters if p.requires_grad),
    }


def learning_rates(optimizer: Any) -> dict[str, float]:
    """``lr`` for one param group, ``lr_0``, ``lr_1``... for several (schedulers show)."""
    groups = optimizer.param_groups
    if len(groups) == 1:
        return {"lr": float(groups[0]["lr"])}
    return {f"lr_{i}": float(g["lr"]) for i, g in enumerate(groups)}


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "numel") and value.numel() == 1:  # a tensor learning rate
        return float(value)
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(str(_plain(v)) for v in value) + ")"
    return str(value)
