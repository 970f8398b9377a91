"""Reporting every way a predict input breaks its signature, at once, expected vs got."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autolog.errors import SignatureError
from autolog.models._signature._schema import Schema


def fail(problems: list[str], schema: Schema, data: Any) -> SignatureError:
    shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
    lines = "\n".join(f"  - {p}" for p in shown)
    return SignatureError(
        f"predict input does not match the model signature:\n{lines}\n"
        f"expected: {short(str(schema))}\ngot: {short(describe(data))}"
    )


def short(text: str, limit: int = 1000) -> str:
    return text if len(text) <= limit else text[:limit] + " ..."


def describe(data: Any) -> str:
    name = type(data).__name__
    if name == "DataFrame":
        cols = ", ".join(f"{c}: {d}" for c, d in zip(data.columns, data.dtypes))
        rows = len(data)
        return f"DataFrame of {rows} row{'' if rows == 1 else 's'} with columns [{cols}]"
    if hasattr(data, "dtype") and hasattr(data, "shape"):
        return f"{name} of dtype {data.dtype} and shape {tuple(data.shape)}"
    if isinstance(data, Mapping):
        return f"dict with keys {list(data)[:50]}"
    if isinstance(data, (list, tuple)):
        return f"{name} of {len(data)} items"
    return f"{type(data).__module__}.{name}"
