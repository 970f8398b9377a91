"""The model registry: names, numbered versions, aliases and their history, in the tracking store.

    import autolog

    version = autolog.register_model("runs:/<run_id>/model", "fraud")   # version 1, 2, ...
    autolog.Client().set_registered_model_alias("fraud", "champion", version.version)
    model = autolog.load_model("models:/fraud@champion")

See docs/registry.md. Names load on first use: ``autolog.Client`` imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ModelEvent", "ModelVersion", "RegisteredModel"]

if TYPE_CHECKING:
    from autolog.core._model_entities import ModelEvent, ModelVersion, RegisteredModel

_LAZY = {
    "ModelEvent": "autolog.core._model_entities",
    "ModelVersion": "autolog.core._model_entities",
    "RegisteredModel": "autolog.core._model_entities",
}


def __getattr__(name: str) -> Any:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autolog.registry' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
