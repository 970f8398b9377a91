"""Enforcing a signature at predict time: ``compile_enforcer``, ``enforce_input``, params.

``compile_enforcer(schema)`` analyses the schema once and returns a function that checks and
converts one predict input (the enforcers live in ``_columns.py`` and ``_tensors.py``, the
conversion rules in ``_casts.py``).

Column schemas hand the model a pandas DataFrame in the schema's column order (extra columns
dropped, optional missing columns filled with missing values); an unnamed single-column schema
(from a list of strings or a Series) hands back the 1-d data as given. Tensor schemas hand back
the array (or a dict of arrays for named tensors). Every problem found is reported at once in
one ``SignatureError`` with the expected and the received layout.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from autolog.errors import InvalidInputError, SignatureError
from autolog.models._signature._columns import ColumnEnforcer
from autolog.models._signature._tensors import TensorEnforcer
from autolog.models._signature._infer import _plain
from autolog.models._signature._schema import ParamSchema, Schema, _check_param

__all__ = ["compile_enforcer", "make_enforcer", "enforce_input", "enforce_params"]


def compile_enforcer(schema: Schema | None) -> Callable[[Any], Any]:
    """Return ``enforce(data) -> data`` for ``schema`` (identity when it is None).

    The returned function raises ``SignatureError`` listing every problem, expected vs got.
    """
    if schema is None:
        return _identity
    if schema.is_tensor:
        return TensorEnforcer(schema)
    return ColumnEnforcer(schema)


def make_enforcer(signature: Any) -> Callable[[Any], Any]:
    """``compile_enforcer`` for a whole ``Signature``: checks its inputs (identity when none)."""
    return compile_enforcer(getattr(signature, "inputs", None))


@functools.lru_cache(maxsize=128)
def _cached(schema: Schema) -> Callable[[Any], Any]:
    return compile_enforcer(schema)


def enforce_input(schema: Schema | None, data: Any) -> Any:
    """Check ``data`` against ``schema`` and return it converted, ready for the model."""
    return _identity(data) if schema is None else _cached(schema)(data)


def _identity(data: Any) -> Any:
    return data


def enforce_params(schema: ParamSchema | None, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check inference params against ``schema``; return every declared param, defaults filled."""
    given = dict(params or {})
    if schema is None:
        if given:
            raise SignatureError(
                f"this model declares no inference params, got {sorted(given)}; log it with a "
                "signature that has params (infer_signature(..., params={...})) to pass them"
            )
        return {}
    declared = {p.name: p for p in schema}
    unknown = sorted(set(given) - set(declared))
    problems = [f"param {n!r}: unknown; the model accepts {sorted(declared)}" for n in unknown]
    out: dict[str, Any] = {}
    for name, spec in declared.items():
        if name not in given or given[name] is None:
            out[name] = spec.default
            continue
        value = _plain(given[name])
        if isinstance(value, list):
            value = [_plain(v) for v in value]
        try:
            out[name] = _check_param(spec.type, spec.shape, value, f"param {name!r}")
        except InvalidInputError as exc:
            problems.append(str(exc))
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        expected = ", ".join(
            f"{p.name}: {p.type}{'[]' if p.shape else ''} = {p.default!r}" for p in schema
        )
        raise SignatureError(
            f"inference params do not match the model signature:\n{lines}\nexpected: {expected}"
        )
    return out
