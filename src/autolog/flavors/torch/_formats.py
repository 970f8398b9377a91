"""Writing and reading each torch format. Every ``save_*`` returns its metadata."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autolog.errors import ModelError
from autolog._plugins import resolve
from autolog.models._flavor import importable_reference
from autolog.flavors.torch._tensors import model_dtype_device, to_inputs

PICKLE_FILE = "model.pt"
STATE_DICT_FILE = "state_dict.pt"
INIT_KWARGS_FILE = "init_kwargs.pt"
TORCHSCRIPT_FILE = "model.torchscript.pt"
EXPORT_FILE = "model.pt2"
ONNX_FILE = "model.onnx"


@contextmanager
def eval_mode(module: Any) -> Iterator[None]:
    """Trace/export in eval mode (dropout off, batch-norm running stats), then restore."""
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


def _example_args(module: Any, example: Any, format: str) -> tuple[Any, ...]:
    """Positional example tensors of at least two rows (a batch of one would be baked in)."""
    if example is None:
        raise ModelError(
            f"the torch format {format!r} traces the model and needs an example input; give "
            "an input example (input_example=...) or choose 'pickle' or 'state_dict'"
        )
    if isinstance(example, dict):
        raise ModelError(f"the torch format {format!r} takes positional example inputs, not a dict")
    dtype, device = model_dtype_device(module)
    args, _ = to_inputs(example, dtype, device)
    return tuple(a if a.dim() == 0 or a.shape[0] > 1 else a.repeat(2, *[1] * (a.dim() - 1))
                 for a in args)


# -- pickle ------------------------------------------------------------------------------

def save_pickle(module: Any, path: Path) -> dict[str, Any]:
    import cloudpickle
    import torch

    # cloudpickle also stores classes defined in __main__ or a notebook by value
    torch.save(module, path / PICKLE_FILE, pickle_module=cloudpickle)
    return {"files": [PICKLE_FILE]}


def load_pickle(path: Path, meta: Mapping[str, Any], map_location: Any) -> Any:
    import torch

    file = path / (meta.get("files") or [PICKLE_FILE])[0]
    return torch.load(file, map_location=map_location, weights_only=False)


# -- state_dict --------------------------------------------------------------------------

def _init_kwargs(module: Any) -> dict[str, Any]:
    """Constructor arguments, where the module keeps them: a mapping ``hparams``, as
    Lightning's ``save_hyperparameters()`` does; else none."""
    hparams = getattr(module, "hparams", None)
    return dict(hparams) if isinstance(hparams, Mapping) else {}


def _check_rebuilds(module: Any, cls: type, kwargs: dict[str, Any]) -> None:
    """Build ``cls(**kwargs)`` on the meta device (no memory) and compare its weights' names
    and shapes with ``module``'s, so that a model that could not be loaded is never saved."""
    import torch

    given = f"with arguments {sorted(kwargs)}" if kwargs else "without arguments"
    try:
        with torch.device("meta"):
            probe = cls(**kwargs)
    except Exception as exc:
        raise ModelError(
            f"the 'state_dict' format rebuilds {cls.__qualname__} {given}, which fails "
            f"({type(exc).__name__}: {exc}); give every constructor argument a default, keep "
            "them in a dict attribute 'hparams', or choose the 'pickle' format"
        ) from exc
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    rebuilt = {k: tuple(v.shape) for k, v in probe.state_dict().items()}
    if rebuilt != expected:
        differing = sorted(set(expected) ^ set(rebuilt)) or sorted(
            k for k in expected if expected[k] != rebuilt[k]
        )
        raise ModelError(
            f"{cls.__qualname__} built {given} does not have the weights of this model "
            f"(they differ at {', '.join(differing[:5])}); the 'state_dict' format needs "
            "constructor defaults that build this architecture, or its arguments in a dict "
            "attribute 'hparams'; or choose the 'pickle' format"
        )


def save_state_dict(module: Any, path: Path) -> dict[str, Any]:
    import torch

    cls = type(module)
    reference = importable_reference(cls)
    if reference is None:
        raise ModelError(
            f"the 'state_dict' format rebuilds the model from its class, but {cls.__qualname__} "
            f"cannot be imported as {cls.__module__}:{cls.__qualname__}; define it at the top "
            "level of a module, or choose the 'pickle' format"
        )
    kwargs = _init_kwargs(module)
    _check_rebuilds(module, cls, kwargs)
    meta: dict[str, Any] = {"files": [STATE_DICT_FILE], "model_class": reference}
    torch.save(module.state_dict(), path / STATE_DICT_FILE)
    if kwargs:
        buffer = io.BytesIO()
        torch.save(kwargs, buffer)
        buffer.seek(0)
        try:
            torch.load(buffer, weights_only=True)  # what load will do: plain values only
        except Exception as exc:
            raise ModelError(
                f"the constructor arguments in 'hparams' must be plain values (numbers, "
                f"strings, lists, dicts, tuples) for the 'state_dict' format: {exc}"
            ) from exc
        (path / INIT_KWARGS_FILE).write_bytes(buffer.getvalue())
        meta["files"].append(INIT_KWARGS_FILE)
    return meta


def load_state_dict(path: Path, meta: Mapping[str, Any], map_location: Any) -> Any:
    import torch

    reference = str(meta.get("model_class", ""))
    try:
        cls = resolve(reference)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ModelError(
            f"the model class {reference!r} cannot be imported here ({exc}); the 'state_dict' "
            "format needs the code that defines it"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise ModelError(f"model_class {reference} is not a torch.nn.Module subclass")
    kwargs = {}
    if (path / INIT_KWARGS_FILE).is_file():
        kwargs = torch.load(path / INIT_KWARGS_FILE, weights_only=True)
    module = cls(**kwargs)
    state = torch.load(path / STATE_DICT_FILE, map_location="cpu", weights_only=True)
    module.load_state_dict(state)
    if isinstance(map_location, (str, torch.device)):  # a dict or function maps tensors only
        module = module.to(map_location)
    return module


# -- torchscript -------------------------------------------------------------------------

def save_torchscript(module: Any, path: Path, example: Any) -> dict[str, Any]:
    import torch

    try:
        compiled = torch.jit.script(module)
        method = "script"
    except Exception as script_error:
        if example is None:
            raise ModelError(
                f"torch.jit.script cannot compile {type(module).__qualname__} ({script_error}); "
                "give an input example so it can be traced instead, or choose 'pickle'"
            ) from script_error
        args = _example_args(module, example, "torchscript")
        with eval_mode(module), torch.no_grad():
            compiled = torch.jit.trace(module, args)
        method = "trace"
    torch.jit.save(compiled, str(path / TORCHSCRIPT_FILE))
    return {"files": [TORCHSCRIPT_FILE], "method": method}


def load_torchscript(path: Path, meta: Mapping[str, Any], map_location: Any) -> Any:
    import torch

    file = path / (meta.get("files") or [TORCHSCRIPT_FILE])[0]
    return torch.jit.load(str(file), map_location=map_location)


# -- torch.export ------------------------------------------------------------------------

def save_export(module: Any, path: Path, example: Any) -> dict[str, Any]:
    import torch

    args = _example_args(module, example, "export")
    batch = torch.export.Dim.DYNAMIC
    try:
        with eval_mode(module):
            program = torch.export.export(
                module, args, dynamic_shapes=tuple({0: batch} for _ in args)
            )
    except Exception as exc:
        raise ModelError(
            f"torch.export cannot export {type(module).__qualname__} with a free batch "
            f"dimension ({type(exc).__name__}: {exc}); choose 'pickle' or 'torchscript'"
        ) from exc
    torch.export.save(program, path / EXPORT_FILE)
    return {"files": [EXPORT_FILE]}


def load_export(path: Path, meta: Mapping[str, Any]) -> Any:
    import torch

    file = path / (meta.get("files") or [EXPORT_FILE])[0]
    return torch.export.load(file).module()


# -- onnx --------------------------------------------------------------------------------

def save_onnx(module: Any, path: Path, example: Any) -> dict[str, Any]:
    import torch

    args = _example_args(module, example, "onnx")
    names = ["input"] if len(args) == 1 else [f"input_{i}" for i in range(len(args))]
    axes = {name: {0: "batch"} for name in [*names, "output"]}
    try:
        with eval_mode(module), torch.no_grad():
            # the legacy exporter: the torch.export-based one needs onnxscript
            torch.onnx.export(
                module, args, str(path / ONNX_FILE), dynamo=False,
                input_names=names, output_names=["output"], dynamic_axes=axes,
            )
    except Exception as exc:
        raise ModelError(
            f"torch.onnx.export cannot export {type(module).__qualname__} "
            f"({type(exc).__name__}: {exc}); choose another format"
        ) from exc
    return {"flavor": "onnx", "format": "onnx", "files": [ONNX_FILE],
            "converter": f"torch=={torch.__version__}"}
