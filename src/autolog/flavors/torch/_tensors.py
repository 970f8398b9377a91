"""Between numpy/pandas data and tensors, both ways."""

from __future__ import annotations

from typing import Any


def model_dtype_device(module: Any) -> tuple[Any, Any]:
    """The dtype of the module's first floating parameter (float32 if none) and its device."""
    import torch

    params = getattr(module, "parameters", None)
    for p in params() if callable(params) else ():
        if p.is_floating_point():
            return p.dtype, p.device
    return torch.float32, torch.device("cpu")


def to_tensor(data: Any, dtype: Any, device: Any) -> Any:
    """One tensor from a tensor, numpy array, DataFrame or nested list.

    Floating data takes ``dtype`` (the model's); integer and boolean data keep their type,
    so token ids and masks reach the model unchanged.
    """
    import numpy as np
    import torch

    if isinstance(data, torch.Tensor):
        tensor = data
    else:
        array = data.to_numpy() if hasattr(data, "to_numpy") else np.asarray(data)
        if array.dtype.kind not in "fiub":
            raise TypeError(
                f"the torch flavor predicts on numeric data; got {array.dtype} values"
            )
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.is_floating_point() and tensor.dtype != dtype:
        tensor = tensor.to(dtype)
    return tensor.to(device)


def to_inputs(data: Any, dtype: Any, device: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Positional and keyword arguments for ``module(...)``: a tuple is several positional
    inputs, a dict keyword inputs, anything else one input."""
    if isinstance(data, tuple):
        return tuple(to_tensor(d, dtype, device) for d in data), {}
    if isinstance(data, dict):
        return (), {k: to_tensor(v, dtype, device) for k, v in data.items()}
    return (to_tensor(data, dtype, device),), {}


def to_numpy(output: Any) -> Any:
    """Tensors in ``output`` (alone, in a tuple/list, or in a dict) as numpy arrays."""
    import torch

    if isinstance(output, torch.Tensor):
        return output.detach().cpu().numpy()
    if isinstance(output, dict):
        return {k: to_numpy(v) for k, v in output.items()}
    if isinstance(output, (tuple, list)):
        return [to_numpy(v) for v in output]
    return output
