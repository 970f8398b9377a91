"""Models: the Flavor interface, the model directory, signatures, LoadedModel.

Only ``Flavor`` and its companions are imported eagerly (every flavor module imports them);
the rest loads on first use so that ``import autolog`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autolog.models._flavor import Flavor, Patch, Recorder

if TYPE_CHECKING:  # the lazy names below, for type checkers
    from autolog.models._discovery import FlavorRecord
    from autolog.models._discovery import flavor_records as flavors
    from autolog.models._load import LoadedModel, load_model
    from autolog.models._save import ModelInfo, log_model, save_model

__all__ = [
    "Flavor",
    "Patch",
    "Recorder",
    "FlavorRecord",
    "LoadedModel",
    "ModelInfo",
    "flavors",
    "load_model",
    "log_model",
    "save_model",
]

_LAZY = {
    "FlavorRecord": ("autolog.models._discovery", "FlavorRecord"),
    "flavors": ("autolog.models._discovery", "flavor_records"),
    "LoadedModel": ("autolog.models._load", "LoadedModel"),
    "load_model": ("autolog.models._load", "load_model"),
    "ModelInfo": ("autolog.models._save", "ModelInfo"),
    "log_model": ("autolog.models._save", "log_model"),
    "save_model": ("autolog.models._save", "save_model"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'autolog.models' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value
