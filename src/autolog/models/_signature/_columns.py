"""The enforcer ``compile_enforcer`` builds for column schemas (pandas DataFrames).

It does its schema analysis in ``__init__`` and caches a conversion plan per input dtype, so
the common call (right columns in the right order with the right dtypes) is a handful of
comparisons and returns the input object itself. Problems are collected and raised together in
one ``SignatureError``, expected vs got.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from autolog.models._signature import _casts
from autolog.models._signature._infer import _OBJECT_KINDS, _OBJECT_SRC
from autolog.models._signature._problems import fail as _fail
from autolog.models._signature._schema import COLUMN_TYPES, ColSpec, Schema

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    #: one of ``_casts.apply_*``: (value, plan, dst dtype) -> (converted value, problem or None)
    _Apply: TypeAlias = "Callable[[Any, _casts.Plan, str], tuple[Any, str | None]]"

__all__ = ["ColumnEnforcer"]


def _dtypes(df: Any) -> list[Any]:
    """The column dtypes of ``df`` in order."""
    # DataFrame.dtypes builds a Series (~15 us, a third of the 1-row budget); the block
    # manager holds the same list. Use the public property whenever that is not there.
    get = getattr(getattr(df, "_mgr", None), "get_dtypes", None)
    if get is not None:
        found = list(get())
        if len(found) == df.shape[1]:
            return found
    return list(df.dtypes)


def _values(df: Any, i: int) -> Any:
    """The values of column ``i`` of ``df`` (cheap: no Series is built where pandas allows)."""
    get = getattr(getattr(df, "_mgr", None), "iget_values", None)
    return get(i) if get is not None else df.iloc[:, i].array


class _ColumnRule:
    """Converts one pandas column to one ColSpec; plans are cached per input dtype."""

    def __init__(self, spec: ColSpec) -> None:
        self.spec = spec
        self.dst = COLUMN_TYPES[spec.type]  # numpy name, or "str" / "bytes" / "datetime"
        self.plans: dict[Any, _casts.Plan] = {}
        self.label = f"column {spec.name!r}" if spec.name is not None else "the input"

    def plan_for(self, dtype: Any) -> _casts.Plan:
        found = self.plans.get(dtype)
        if found is None:
            found = self.plans[dtype] = self._plan(dtype)
        return found

    def _plan(self, dtype: Any) -> _casts.Plan:
        import numpy as np
        import pandas as pd

        if isinstance(dtype, np.dtype):
            src = _casts.numpy_name(dtype)
            if src == "object":
                return "object", 0, 0  # values are inspected on each call
        elif isinstance(dtype, pd.CategoricalDtype):
            # a categorical goes to the model unchanged when its categories have the right kind
            inner = _ColumnRule(self.spec).plan_for(dtype.categories.dtype)
            if inner[0] in (_casts.PASS, _casts.CAST, "object"):
                return _casts.PASS, 0, 0
            return f"a category of {dtype.categories.dtype} does not match {self.spec.type}", 0, 0
        elif isinstance(dtype, pd.DatetimeTZDtype):
            src = "datetime"
        elif isinstance(dtype, pd.StringDtype):
            src = "str"
        elif dtype.kind in "biuf" and hasattr(dtype, "numpy_dtype"):
            src = np.dtype(dtype.numpy_dtype).name
        else:
            src = None
        if src is None:
            return f"dtype {dtype} is not supported", 0, 0
        return _casts.plan(src, self.dst)

    def apply(self, col: Any, problems: list[str]) -> Any:
        """``col`` converted to this spec; a problem is appended and ``col`` returned on failure."""
        p = self.plan_for(col.dtype)
        if p[0] == _casts.PASS:
            return col
        if p[0] == "object":
            return self._apply_object(col, problems)
        if not _casts.is_action(p):
            problems.append(f"{self.label}: expected {self.spec.type}, got {col.dtype}; {p[0]}")
            return col
        return self._convert(col, p, str(col.dtype), problems)

    def keeps(self, dtype: Any, df: Any, i: int) -> bool:
        """True when column ``i`` of ``df`` (of ``dtype``) goes to the model unchanged."""
        action = self.plan_for(dtype)[0]
        if action == _casts.PASS:
            return True
        if action != "object" or self.dst not in ("str", "bytes", "datetime"):
            return False
        from pandas.api.types import infer_dtype

        kind = _OBJECT_KINDS.get(infer_dtype(_values(df, i), skipna=True))
        return kind is not None and _OBJECT_SRC[kind] == self.dst

    def _apply_object(self, col: Any, problems: list[str]) -> Any:
        from pandas.api.types import infer_dtype

        found = infer_dtype(col, skipna=True)
        if found == "empty":  # only missing values: a missing column of our type
            return self.missing(col.index) if len(col) else col
        kind = _OBJECT_KINDS.get(found)
        if kind is None:
            seen = sorted({type(v).__name__ for v in col.iloc[:1000] if v is not None})
            problems.append(
                f"{self.label}: expected {self.spec.type}, got object values of mixed types "
                f"({', '.join(seen)})"
            )
            return col
        src = _OBJECT_SRC[kind]
        p = _casts.plan(src, self.dst)
        if p[0] == _casts.PASS and self.dst in ("str", "bytes", "datetime"):
            return col
        if not _casts.is_action(p):
            problems.append(
                f"{self.label}: expected {self.spec.type}, got {kind} values (object); {p[0]}"
            )
            return col
        return self._convert(col, p, f"{kind} values (object)", problems)

    def _convert(self, col: Any, p: _casts.Plan, got: str, problems: list[str]) -> Any:
        import numpy as np

        has_na = bool(col.hasnans)
        if p[0] in (_casts.RANGE, _casts.WHOLE):
            values = col.to_numpy(dtype="float64" if p[0] == _casts.WHOLE else None, na_value=np.nan)
            if values.dtype == object:
                values = values.astype("float64")
            present = values[~np.isnan(values)] if values.dtype.kind == "f" else values
            if present.size:
                finite = bool(np.isfinite(present).all()) if present.dtype.kind == "f" else True
                whole = True
                if finite and present.dtype.kind == "f":
                    whole = bool((present == np.trunc(present)).all())
                mn, mx = (present.min().item(), present.max().item()) if finite else (0, 0)
                problem = _casts.check_values(p, self.dst, mn, mx, whole, finite)
                if problem:
                    problems.append(f"{self.label}: expected {self.spec.type}, got {got}; {problem}")
                    return col
        return col.astype(self._target(has_na))

    def _target(self, has_na: bool) -> str:
        if not has_na or self.dst.startswith("float"):
            return self.dst
        if self.dst == "bool":
            return "boolean"
        return "UInt" + self.dst[4:] if self.dst.startswith("uint") else "Int" + self.dst[3:]

    def missing(self, index: Any) -> Any:
        """A column of missing values of this spec's type (for an absent optional column)."""
        import pandas as pd

        n = len(index)
        if self.dst.startswith("float"):
            return pd.Series(float("nan"), index=index, dtype=self.dst)
        if self.dst == "datetime":
            return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
        if self.dst in ("str", "bytes"):
            return pd.Series([None] * n, index=index, dtype=object)
        return pd.Series(pd.NA, index=index, dtype=self._target(True))


class ColumnEnforcer:
    """Enforces a column schema (see the module docstring for what it returns)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.rules = [_ColumnRule(s) for s in schema.specs]  # type: ignore[arg-type]
        self.names = [s.name for s in schema.specs]
        self.named = schema.has_names

    def __call__(self, data: Any) -> Any:
        if not self.named:
            return self._positional(data)
        pd = sys.modules.get("pandas")
        if pd is None or type(data) is not pd.DataFrame:
            data = self._to_frame(data)
        return self._frame(data)

    def _to_frame(self, data: Any) -> Any:
        import numpy as np
        import pandas as pd

        problem = None
        try:
            if isinstance(data, pd.DataFrame):
                return data
            if isinstance(data, pd.Series) and len(self.names) == 1:
                return data.to_frame(self.names[0])
            if isinstance(data, Mapping):
                if all(np.isscalar(v) or v is None for v in data.values()):
                    return pd.DataFrame([data])
                return pd.DataFrame(dict(data))
            if isinstance(data, (list, tuple)) and data and all(isinstance(r, Mapping) for r in data):
                return pd.DataFrame.from_records(list(data))
            if isinstance(data, np.ndarray) and data.ndim == 2:
                if data.shape[1] == len(self.names):  # positional, by documented choice
                    return pd.DataFrame(data, columns=self.names)
                problem = (
                    f"a 2-d array needs {len(self.names)} columns, one per schema column; "
                    f"got {data.shape[1]}"
                )
            if len(self.names) == 1 and isinstance(data, (list, tuple, np.ndarray)):
                return pd.DataFrame({self.names[0]: list(data) if isinstance(data, tuple) else data})
        except ValueError as exc:  # e.g. columns of different lengths
            problem = f"cannot make a table of the input: {exc}"
        problem = problem or (
            f"expected a pandas DataFrame, a dict of columns, a list of records or a 2-d array; "
            f"got {type(data).__name__}"
        )
        raise _fail([problem], self.schema, data)

    def _frame(self, df: Any) -> Any:
        cols = df.columns.tolist()
        dtypes = _dtypes(df)
        if cols == self.names or [str(c) for c in cols] == self.names:
            # the common call: columns in order, dtypes fine as they are -> the frame itself
            for i, rule in enumerate(self.rules):
                if not rule.keeps(dtypes[i], df, i):
                    break
            else:
                return df
        labels: dict[str, tuple[int, Any]] = {}
        for i, lab in enumerate(cols):
            labels.setdefault(lab if isinstance(lab, str) else str(lab), (i, lab))
        if len(labels) != len(cols):
            names = [str(c) for c in cols]
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise _fail([f"duplicate column names {dupes}"], self.schema, df)
        problems: list[str] = []
        out: dict[Any, Any] = {}
        changed = False
        for rule in self.rules:
            name = rule.spec.name
            if name not in labels:
                if rule.spec.required:
                    problems.append(f"column {name!r}: missing; it is required ({rule.spec.type})")
                else:
                    out[name], changed = rule.missing(df.index), True
                continue
            i, lab = labels[name]
            if rule.keeps(dtypes[i], df, i):
                out[lab] = None  # taken from df below
            else:
                out[lab], changed = rule.apply(df[lab], problems), True
        if problems:
            raise _fail(problems, self.schema, df)
        if not changed:  # only reordered or dropped: one take
            return df[list(out)]
        import pandas as pd

        columns = {lab: df[lab] if v is None else v for lab, v in out.items()}
        return pd.DataFrame(columns, index=df.index)

    def _positional(self, data: Any) -> Any:
        import numpy as np
        import pandas as pd

        problems: list[str] = []
        if len(self.rules) == 1:
            rule = self.rules[0]
            if isinstance(data, pd.DataFrame) and data.shape[1] == 1:
                data = data.iloc[:, 0]
            if isinstance(data, pd.Series):
                out = rule.apply(data, problems)
            elif isinstance(data, (list, tuple)) or (isinstance(data, np.ndarray) and data.ndim == 1):
                values = list(data) if isinstance(data, tuple) else data
                col = pd.Series(values, dtype=None if len(values) else object)
                converted = rule.apply(col, problems)
                out = data if converted is col else (
                    converted.to_numpy() if isinstance(data, np.ndarray) else converted.tolist()
                )
            else:
                problems.append(
                    f"expected a list, 1-d array or Series of {rule.spec.type}; "
                    f"got {type(data).__name__}"
                )
        else:
            frame = pd.DataFrame(data) if isinstance(data, np.ndarray) and data.ndim == 2 else data
            if not isinstance(frame, pd.DataFrame) or frame.shape[1] != len(self.rules):
                problems.append(
                    f"expected a DataFrame or 2-d array of {len(self.rules)} columns (by position)"
                )
            else:
                cols = {
                    frame.columns[i]: r.apply(frame.iloc[:, i], problems)
                    for i, r in enumerate(self.rules)
                }
                out = pd.DataFrame(cols, index=frame.index)
        if problems:
            raise _fail(problems, self.schema, data)
        return out
