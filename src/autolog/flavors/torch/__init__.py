"""PyTorch: any ``torch.nn.Module``.

Formats (the first is the default):

- ``pickle``: the whole module through ``torch.save`` (with cloudpickle, so classes from a
  script or notebook are kept too), ``model.pt``. Loading it runs code from the file.
- ``state_dict``: the weights, ``state_dict.pt``, plus the class as ``module:qualname``.
  ``load`` imports the class and builds it, so the class must be importable where the model
  is loaded and constructible without arguments, or keep its constructor arguments in a
  dict attribute ``hparams`` (as Lightning's ``save_hyperparameters()`` does; they are saved
  as plain values in ``init_kwargs.pt``). No pickle is loaded: weights load with
  ``weights_only=True``.
- ``torchscript``: ``torch.jit.script``, or ``torch.jit.trace`` on the example input when
  scripting fails, ``model.torchscript.pt``.
- ``export``: a ``torch.export`` program with a free batch dimension, ``model.pt2``; needs
  an example input. ``load`` returns the program's ``.module()``.
- ``onnx``: ``torch.onnx.export`` (the legacy TorchScript exporter; the newer one needs
  onnxscript), ``model.onnx`` with a free batch dimension, served by the ``onnx`` flavor;
  needs an example input.

Tracing formats run the module in eval mode and restore its mode afterwards. ``load`` maps
tensors to the CPU unless told otherwise (``map_location=`` or the environment variable
``AUTOLOG_TORCH_MAP_LOCATION``, e.g. ``cuda``). ``predict`` turns numpy arrays or DataFrames
into tensors (floating data in the dtype of the model's first floating parameter, integers
and booleans unchanged; a tuple is several positional inputs, a dict keyword inputs), runs
the module in eval mode under ``torch.no_grad()`` and returns numpy arrays::

    import autolog

    info = autolog.log_model(net, "model", input_example=X[:2],
                             formats=["state_dict", "onnx"])
    autolog.load_model(info.model_uri).predict(X)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, ClassVar

from autolog.errors import FlavorUnavailable, InvalidInputError, ModelError
from autolog.models._flavor import Flavor

__all__ = ["TorchFlavor"]

MAP_LOCATION_ENV = "AUTOLOG_TORCH_MAP_LOCATION"


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise FlavorUnavailable(
            "torch",
            f"the torch flavor needs torch, which cannot be imported ({exc}); "
            "install it with: pip install 'autolog[torch]'",
        ) from exc
    return torch


class TorchFlavor(Flavor):
    """PyTorch modules: pickle, state_dict, TorchScript, torch.export and ONNX."""

    name: ClassVar[str] = "torch"
    module: ClassVar[str] = "torch"
    formats: ClassVar[tuple[str, ...]] = ("pickle", "state_dict", "torchscript", "export", "onnx")
    package: ClassVar[str] = "torch"
    requirement: ClassVar[str] = "torch>=2.2"
    extra: ClassVar[str] = "torch"
    pickle_formats: ClassVar[tuple[str, ...]] = ("pickle",)

    def handles(self, model: Any) -> bool:
        """Any ``torch.nn.Module`` (TorchScript modules included)."""
        torch = sys.modules.get("torch")
        module_cls = getattr(getattr(torch, "nn", None), "Module", None)
        return module_cls is not None and isinstance(model, module_cls)

    def save(
        self, model: Any, path: Path, format: str, *, example: Any = None
    ) -> dict[str, Any]:
        """Write ``model`` in ``format`` under ``path`` (see the module docs for the files)."""
        torch = _import_torch()
        from autolog.flavors.torch import _formats

        if not isinstance(model, torch.nn.Module):
            raise InvalidInputError(
                f"the torch flavor saves a torch.nn.Module, got {type(model).__name__}"
            )
        if format == "onnx":
            return _formats.save_onnx(model, path, example)
        if format == "pickle":
            meta = _formats.save_pickle(model, path)
        elif format == "state_dict":
            meta = _formats.save_state_dict(model, path)
        elif format == "torchscript":
            meta = _formats.save_torchscript(model, path, example)
        elif format == "export":
            meta = _formats.save_export(model, path, example)
        else:
            raise InvalidInputError(
                f"the torch flavor has no format {format!r}; choose one of "
                f"{', '.join(self.formats)}"
            )
        return {"format": format, "library_version": str(torch.__version__), **meta}

    def load(
        self, path: Path, meta: dict[str, Any], *, map_location: Any = None
    ) -> Any:
        """The module back, in eval mode, on ``map_location`` (default: the CPU)."""
        _import_torch()
        from autolog.flavors.torch import _formats

        if map_location is None:
            map_location = os.environ.get(MAP_LOCATION_ENV) or "cpu"
        fmt = meta.get("format", "pickle")
        if fmt == "pickle":
            module = _formats.load_pickle(path, meta, map_location)
        elif fmt == "state_dict":
            module = _formats.load_state_dict(path, meta, map_location)
        elif fmt == "torchscript":
            module = _formats.load_torchscript(path, meta, map_location)
        elif fmt == "export":
            return _formats.load_export(path, meta)  # exported programs are already eval
        else:
            raise ModelError(
                f"the torch flavor cannot load format {fmt!r}; ONNX files are loaded with "
                "flavor='onnx'"
            )
        module.eval()
        return module

    def predict(self, native: Any, data: Any) -> Any:
        """Run ``native`` on ``data`` in eval mode without gradients; numpy out."""
        torch = _import_torch()
        from autolog.flavors.torch._tensors import model_dtype_device, to_inputs, to_numpy

        if getattr(native, "training", False):
            try:
                native.eval()
            except NotImplementedError:  # exported programs cannot switch, and need not
                pass
        dtype, device = model_dtype_device(native)
        args, kwargs = to_inputs(data, dtype, device)
        with torch.no_grad():
            return to_numpy(native(*args, **kwargs))

    def autolog(self, recorder: Any) -> Any:
        """Patches that make plain training loops log themselves: optimizers, DataLoader
        passes and losses (see ``_autolog`` and docs/autologging.md)."""
        from autolog.flavors.torch._autolog import declare_patches

        return declare_patches(recorder)
