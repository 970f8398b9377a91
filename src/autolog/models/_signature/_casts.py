"""Which dtype conversions enforcement may do, and doing them on numpy, torch and scipy data.

One rule for every container: a conversion is done when it loses nothing.

- Same dtype: nothing to do.
- Widening that can never lose (int32 -> int64, uint8 -> int16, int16 -> float32,
  float32 -> float64): done quietly.
- Integers to a narrower integer or to a float: done when every value fits exactly (checked on
  the data with min/max); otherwise an error naming the offending range.
- Floats to an integer: done when every value is a whole number in range (NaN is allowed only
  in a pandas column, where it becomes a nullable integer); otherwise an error.
- Floats to a narrower float (float64 -> float32): always an error, because almost every value
  loses bits; Python lists of floats are the one exception (they carry no width).
- Strings and numbers, bools and numbers: never converted into each other.
"""

from __future__ import annotations

import sys
from typing import Any, Final

from autolog.models._signature._schema import TENSOR_DTYPES

__all__ = ["PASS", "CAST", "Plan", "plan", "numpy_name", "apply_numpy", "apply_torch", "apply_sparse"]

PASS: Final = "pass"  # nothing to do
CAST: Final = "cast"  # type-level lossless conversion
RANGE: Final = "range"  # int -> int/float: values must lie in [lo, hi]
WHOLE: Final = "whole"  # float -> int: values must be whole and lie in [lo, hi]

#: (action, lo, hi) or (error reason, 0, 0) where action is one of the constants above
Plan = tuple[str, int, int]

_MANTISSA: Final = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}
_ACTIONS: Final = (PASS, CAST, RANGE, WHOLE)


def _kind(name: str) -> str:
    if name in ("datetime", "object"):
        return name
    return TENSOR_DTYPES[name][0]


def _exact_range(name: str) -> tuple[int, int]:
    """The integers a dtype holds exactly."""
    kind, bits = TENSOR_DTYPES[name]
    if kind == "i":
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if kind == "u":
        return 0, 2**bits - 1
    if kind == "b":
        return 0, 1
    m = _MANTISSA[name]
    return -(2**m), 2**m


def plan(src: str, dst: str, from_list: bool = False) -> Plan:
    """How to turn data of dtype name ``src`` into ``dst`` (see the module docstring)."""
    if src == dst:
        return PASS, 0, 0
    sk, dk = _kind(src), _kind(dst)
    if dk in "iuf" and sk in "iu":
        lo, hi = _exact_range(src)
        dlo, dhi = _exact_range(dst)
        return (CAST, 0, 0) if dlo <= lo and hi <= dhi else (RANGE, dlo, dhi)
    if dk in "iu" and sk == "f":
        return (WHOLE, *_exact_range(dst))
    if dk == "f" and sk == "f":
        odd = {src, dst} == {"float16", "bfloat16"}
        if (TENSOR_DTYPES[src][1] <= TENSOR_DTYPES[dst][1] or from_list) and not odd:
            return CAST, 0, 0
        hint = f"convert it yourself (.astype('{dst}')) if you accept that"
        return f"{src} to {dst} loses precision; {hint}", 0, 0
    if dk == "c" and sk in "fc":
        if TENSOR_DTYPES[src][1] * (2 if sk == "f" else 1) <= TENSOR_DTYPES[dst][1]:
            return CAST, 0, 0
        return f"{src} to {dst} loses precision", 0, 0
    if dk in "US" and sk == dk:
        return PASS, 0, 0
    if "U" in (sk, dk) or "S" in (sk, dk):
        return f"{_word(sk)} are not converted to {_word(dk)}", 0, 0
    if "b" in (sk, dk):
        return f"{_word(sk)} are not converted to {_word(dk)}", 0, 0
    return f"{src} cannot be converted to {dst} without loss", 0, 0


def _word(kind: str) -> str:
    words = {"U": "strings", "S": "bytes", "b": "bools", "datetime": "datetimes", "object": "objects"}
    return words.get(kind, "numbers")


def numpy_name(dtype: Any) -> str | None:
    """Our dtype name for a numpy dtype; None when we do not handle it (timedelta, void, ...)."""
    kind = dtype.kind
    if kind in "biufc":
        return str(dtype.name)
    return {"U": "str", "S": "bytes", "O": "object", "M": "datetime"}.get(kind)


def is_action(p: Plan) -> bool:
    """True when the plan is doable (possibly after a value check), False for an error."""
    return p[0] in _ACTIONS


def _range_problem(mn: Any, mx: Any, lo: int, hi: int, dst: str) -> str | None:
    if mn < lo or mx > hi:
        return f"values from {mn} to {mx} do not fit {dst} exactly (it holds {lo}..{hi})"
    return None


def check_values(p: Plan, dst: str, mn: Any, mx: Any, whole: bool, finite: bool) -> str | None:
    """The reason a value check fails, or None; ``mn``/``mx`` over the non-missing values."""
    if p[0] == WHOLE:
        if not finite:
            return "it holds NaN or infinite values, which no integer type can hold"
        if not whole:
            return "it holds values that are not whole numbers"
    return _range_problem(mn, mx, p[1], p[2], dst)


def apply_numpy(arr: Any, p: Plan, dst: str) -> tuple[Any, str | None]:
    """Run plan ``p`` on a numpy array; returns (converted array, problem or None)."""
    import numpy as np

    action = p[0]
    if action == PASS:
        return arr, None
    if action in (RANGE, WHOLE) and arr.size:
        finite = bool(np.isfinite(arr).all()) if arr.dtype.kind == "f" else True
        whole = bool((arr == np.trunc(arr)).all()) if finite and arr.dtype.kind == "f" else True
        mn, mx = (arr.min().item(), arr.max().item()) if finite else (0, 0)
        problem = check_values(p, dst, mn, mx, whole, finite)
        if problem:
            return arr, problem
    return arr.astype(dst), None


def apply_torch(tensor: Any, p: Plan, dst: str) -> tuple[Any, str | None]:
    """Run plan ``p`` on a torch tensor (never moves it off its device)."""
    torch = sys.modules["torch"]
    action = p[0]
    if action == PASS:
        return tensor, None
    if _kind(dst) in "US":
        return tensor, "torch tensors cannot hold strings"
    if action in (RANGE, WHOLE) and tensor.numel():
        is_float = tensor.is_floating_point()
        finite = bool(torch.isfinite(tensor).all()) if is_float else True
        whole = bool((tensor == torch.trunc(tensor)).all()) if finite and is_float else True
        mn, mx = (tensor.min().item(), tensor.max().item()) if finite else (0, 0)
        problem = check_values(p, dst, mn, mx, whole, finite)
        if problem:
            return tensor, problem
    return tensor.to(getattr(torch, dst)), None


def apply_sparse(mat: Any, p: Plan, dst: str) -> tuple[Any, str | None]:
    """Run plan ``p`` on a scipy sparse matrix (implicit zeros fit every numeric type)."""
    if p[0] == PASS:
        return mat, None
    if p[0] in (RANGE, WHOLE):
        stored = mat if mat.format in ("csr", "csc", "coo", "bsr") else mat.tocsr()
        _, problem = apply_numpy(stored.data, p, dst)
        if problem:
            return mat, problem
    return mat.astype(dst), None
