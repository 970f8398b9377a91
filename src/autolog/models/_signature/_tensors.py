"""The enforcer ``compile_enforcer`` builds for tensor schemas (numpy arrays, torch tensors,
scipy sparse matrices, lists and dicts of them).

It does its schema analysis in ``__init__`` and caches a conversion plan per input dtype, so
the common call (an array of the right dtype and shape) is a handful of comparisons and returns
the input object itself. Problems are collected and raised together in one ``SignatureError``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from autolog.models._signature import _casts
from autolog.models._signature._infer import _OBJECT_KINDS, _OBJECT_SRC, _is_scipy_sparse, _is_torch_tensor
from autolog.models._signature._problems import fail as _fail
from autolog.models._signature._schema import TENSOR_DTYPES, Schema, TensorSpec

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    #: one of ``_casts.apply_*``: (value, plan, dst dtype) -> (converted value, problem or None)
    _Apply: TypeAlias = "Callable[[Any, _casts.Plan, str], tuple[Any, str | None]]"

__all__ = ["TensorEnforcer"]

class _TensorRule:
    """Checks and converts one array-like to one TensorSpec; plans cached per input dtype."""

    def __init__(self, spec: TensorSpec) -> None:
        self.spec = spec
        self.dst = spec.dtype
        self.ndim = len(spec.shape)
        self.fixed = [(i, d) for i, d in enumerate(spec.shape) if d != -1]
        self.plans: dict[str, _casts.Plan] = {}
        self.fast: set[Any] = set()  # numpy dtypes that need nothing done
        self.label = f"tensor {spec.name!r}" if spec.name is not None else "the input"

    def shape_ok(self, shape: Any) -> bool:
        return len(shape) == self.ndim and all(shape[i] == d for i, d in self.fixed)

    def apply(self, value: Any, problems: list[str]) -> Any:
        import numpy as np

        apply: _Apply
        p: _casts.Plan | None
        if _is_torch_tensor(value):
            src = str(value.dtype).removeprefix("torch.")
            apply = _casts.apply_torch
        elif _is_scipy_sparse(value):
            src, apply = str(value.dtype.name), _casts.apply_sparse
        else:
            from_list = isinstance(value, (list, tuple))
            if type(value).__name__ in ("DataFrame", "Series"):
                value = value.to_numpy()
            elif not isinstance(value, np.ndarray):
                try:
                    value = np.asarray(value)
                except ValueError as exc:
                    problems.append(f"{self.label}: cannot make an array of it: {exc}")
                    return value
            src = _casts.numpy_name(value.dtype) or str(value.dtype)
            if src == "object":
                from pandas.api.types import infer_dtype

                kind = _OBJECT_KINDS.get(infer_dtype(value.ravel(), skipna=False))
                src = _OBJECT_SRC.get(kind or "", "object")
                if src in ("object", "datetime"):
                    problems.append(
                        f"{self.label}: expected {self.dst}, got an object array of "
                        f"{'datetimes' if src == 'datetime' else 'mixed values or None'}"
                    )
                    return value
                if src not in ("str", "bytes"):  # Python numbers or bools: give them a dtype
                    value = value.astype(src)
            if from_list:  # Python lists carry no width: their floats may fill any float dtype
                p = _casts.plan(src, self.dst, from_list=True)
                return self._finish(value, p, src, _casts.apply_numpy, problems)
            apply = _casts.apply_numpy
        p = self.plans.get(src)
        if p is None:
            if src in TENSOR_DTYPES:
                p = _casts.plan(src, self.dst)
            else:
                p = (f"dtype {src} is not supported", 0, 0)
            self.plans[src] = p
            if p[0] == _casts.PASS and apply is _casts.apply_numpy and value.dtype.kind != "O":
                self.fast.add(value.dtype)
        return self._finish(value, p, src, apply, problems)

    def _finish(self, value: Any, p: _casts.Plan, src: str, apply: _Apply, problems: list[str]) -> Any:
        shape = tuple(value.shape)
        if not self.shape_ok(shape):
            hint = "; for one row use x.reshape(1, -1)" if len(shape) + 1 == self.ndim else ""
            problems.append(
                f"{self.label}: expected shape {list(self.spec.shape)}, got {list(shape)}{hint}"
            )
        if not _casts.is_action(p):
            problems.append(f"{self.label}: expected {self.dst}, got {src}; {p[0]}")
            return value
        value, problem = apply(value, p, self.dst)
        if problem:
            problems.append(f"{self.label}: expected {self.dst}, got {src}; {problem}")
        return value


class TensorEnforcer:
    """Enforces a tensor schema: one array, or a dict of named arrays."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.rules = [_TensorRule(s) for s in schema.specs]  # type: ignore[arg-type]
        self.single = self.rules[0] if len(self.rules) == 1 and not schema.has_names else None

    def __call__(self, data: Any) -> Any:
        rule = self.single
        if rule is not None:
            np = sys.modules.get("numpy")
            if np is not None and type(data) is np.ndarray:
                # the common call: an array of a dtype already seen and fine, of the right shape
                if data.dtype in rule.fast and rule.shape_ok(data.shape):
                    return data
            if isinstance(data, Mapping):
                raise _fail(["expected one array, got a dict"], self.schema, data)
            problems: list[str] = []
            out = rule.apply(data, problems)
            if problems:
                raise _fail(problems, self.schema, data)
            return out
        if not self.schema.has_names:
            return self._positional(data)
        return self._named(data)

    def _positional(self, data: Any) -> Any:
        """Several unnamed tensors: a list or tuple of arrays, by position."""
        if not isinstance(data, (list, tuple)) or len(data) != len(self.rules):
            raise _fail([f"expected a list of {len(self.rules)} arrays"], self.schema, data)
        problems: list[str] = []
        out = [rule.apply(value, problems) for rule, value in zip(self.rules, data)]
        if problems:
            raise _fail(problems, self.schema, data)
        return out

    def _named(self, data: Any) -> Any:
        problems: list[str] = []
        if type(data).__name__ == "DataFrame":
            data = {str(c): data[c] for c in data.columns}
        elif not isinstance(data, Mapping):
            if len(self.rules) != 1:
                raise _fail([f"expected a dict of {len(self.rules)} named arrays"], self.schema, data)
            data = {self.rules[0].spec.name: data}
        out = {}
        for rule in self.rules:
            name = rule.spec.name
            if name not in data:
                problems.append(f"tensor {name!r}: missing")
                continue
            out[name] = rule.apply(data[name], problems)
        if problems:
            raise _fail(problems, self.schema, data)
        return out
