"""What a model takes and returns: ``Signature``, ``Schema``, ``ColSpec``, ``TensorSpec``, params.

Pure data: frozen dataclasses that compare by value and turn into plain, readable dicts
(``to_dict``) that survive JSON and YAML ``safe_dump`` unchanged, and back (``from_dict``).
Nothing here imports numpy or pandas; inference lives in ``_infer.py`` and enforcement at
predict time in ``_enforce.py``.

Stored form::

    {"inputs":  [{"name": "age", "type": "long", "required": true}, ...],
     "outputs": [{"type": "tensor", "dtype": "float32", "shape": [-1, 1]}],
     "params":  [{"name": "top_k", "type": "long", "default": 3, "shape": null}]}
"""

from __future__ import annotations

import base64
import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Union

from autolog.errors import InvalidInputError

__all__ = [
    "COLUMN_TYPES",
    "TENSOR_DTYPES",
    "ColSpec",
    "TensorSpec",
    "Schema",
    "ParamSpec",
    "ParamSchema",
    "Signature",
]

#: column type name -> the numpy dtype name it stands for ("str"/"bytes"/"datetime" are kinds)
COLUMN_TYPES: Final[Mapping[str, str]] = {
    "boolean": "bool",
    "int8": "int8",
    "int16": "int16",
    "integer": "int32",
    "long": "int64",
    "uint8": "uint8",
    "uint16": "uint16",
    "uint32": "uint32",
    "uint64": "uint64",
    "float": "float32",
    "double": "float64",
    "string": "str",
    "binary": "bytes",
    "datetime": "datetime",
}

#: other spellings accepted for a column type; stored under the name on the right
_COLUMN_ALIASES: Final[Mapping[str, str]] = {
    "bool": "boolean",
    "int32": "integer",
    "int": "long",
    "int64": "long",
    "float32": "float",
    "float64": "double",
    "str": "string",
    "bytes": "binary",
    "datetime64": "datetime",
}

#: tensor dtype name -> (kind, bits); kinds follow numpy: b bool, i int, u uint, f float,
#: c complex, U str, S bytes. bfloat16 only ever comes from torch.
TENSOR_DTYPES: Final[Mapping[str, tuple[str, int]]] = {
    "bool": ("b", 8),
    "int8": ("i", 8),
    "int16": ("i", 16),
    "int32": ("i", 32),
    "int64": ("i", 64),
    "uint8": ("u", 8),
    "uint16": ("u", 16),
    "uint32": ("u", 32),
    "uint64": ("u", 64),
    "float16": ("f", 16),
    "bfloat16": ("f", 16),
    "float32": ("f", 32),
    "float64": ("f", 64),
    "complex64": ("c", 64),
    "complex128": ("c", 128),
    "str": ("U", 0),
    "bytes": ("S", 0),
}


def _column_type(value: Any) -> str:
    name = str(value)
    name = _COLUMN_ALIASES.get(name, name)
    if name not in COLUMN_TYPES:
        raise InvalidInputError(
            f"unknown column type {value!r}; expected one of {', '.join(COLUMN_TYPES)}"
        )
    return name


def _tensor_dtype(value: Any) -> str:
    if not isinstance(value, str):  # a numpy dtype or scalar type: numpy is loaded already
        import numpy as np

        value = np.dtype(value).name
    name: str = {"bool_": "bool", "str_": "str", "bytes_": "bytes", "object": "str"}.get(value, value)
    if name.startswith("<U") or name.startswith("str"):
        name = "str"
    if name not in TENSOR_DTYPES:
        raise InvalidInputError(
            f"unknown tensor dtype {value!r}; expected one of {', '.join(TENSOR_DTYPES)}"
        )
    return name


@dataclass(frozen=True)
class ColSpec:
    """One column: its type name (see ``COLUMN_TYPES``), its name, and whether it must be given.

    ``required=False`` means the column may be absent at predict time or hold missing values;
    inference sets it when the example data has missing values in that column.
    """

    type: str
    name: str | None = None
    required: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", _column_type(self.type))
        if self.name is not None and not isinstance(self.name, str):
            raise InvalidInputError(f"column name must be a string or None, got {self.name!r}")
        if not isinstance(self.required, bool):
            raise InvalidInputError(f"required must be True or False, got {self.required!r}")

    def to_dict(self) -> dict[str, Any]:
        """The readable stored form, e.g. ``{"name": "age", "type": "long", "required": True}``."""
        out: dict[str, Any] = {} if self.name is None else {"name": self.name}
        out["type"] = self.type
        out["required"] = self.required
        return out

    def __str__(self) -> str:
        text = f"{self.name}: {self.type}" if self.name is not None else self.type
        return text if self.required else f"{text} (optional)"


@dataclass(frozen=True)
class TensorSpec:
    """One tensor: dtype name (see ``TENSOR_DTYPES``), shape with -1 for free dims, and a name.

    The first dimension is the batch and is -1 when inferred.
    """

    dtype: str
    shape: tuple[int, ...]
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtype", _tensor_dtype(self.dtype))
        try:
            shape = tuple(int(d) for d in self.shape)
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"tensor shape must be a sequence of ints, got {self.shape!r}"
            ) from None
        if any(d < -1 for d in shape):
            raise InvalidInputError(f"tensor shape dims must be >= 0 or -1 (free), got {shape}")
        object.__setattr__(self, "shape", shape)
        if self.name is not None and not isinstance(self.name, str):
            raise InvalidInputError(f"tensor name must be a string or None, got {self.name!r}")

    def to_dict(self) -> dict[str, Any]:
        """The stored form, e.g. ``{"type": "tensor", "dtype": "float32", "shape": [-1, 20]}``."""
        out: dict[str, Any] = {} if self.name is None else {"name": self.name}
        out.update(type="tensor", dtype=self.dtype, shape=list(self.shape))
        return out

    def __str__(self) -> str:
        text = f"{self.dtype}{list(self.shape)}"
        return f"{self.name}: {text}" if self.name is not None else text


Spec = Union[ColSpec, TensorSpec]


@dataclass(frozen=True)
class Schema:
    """An ordered list of specs, all ``ColSpec`` or all ``TensorSpec``, all named or none."""

    specs: tuple[Spec, ...]

    def __init__(self, specs: Iterable[Spec]) -> None:
        specs = tuple(specs)
        if not specs:
            raise InvalidInputError("a schema needs at least one ColSpec or TensorSpec")
        kinds = {type(s) for s in specs}
        if not kinds <= {ColSpec, TensorSpec} or len(kinds) != 1:
            got = ", ".join(sorted({type(s).__name__ for s in specs}))
            raise InvalidInputError(
                f"a schema holds only ColSpecs or only TensorSpecs, got {got}"
            )
        names = [s.name for s in specs]
        if any(n is None for n in names) and any(n is not None for n in names):
            raise InvalidInputError(
                f"either every spec of a schema has a name or none has; got names {names}"
            )
        dupes = sorted({n for n in names if n is not None and names.count(n) > 1})
        if dupes:
            raise InvalidInputError(f"duplicate names in schema: {dupes}")
        object.__setattr__(self, "specs", specs)

    @property
    def is_tensor(self) -> bool:
        """True for a tensor schema, False for a column schema."""
        return isinstance(self.specs[0], TensorSpec)

    @property
    def names(self) -> tuple[str | None, ...]:
        """The spec names in order (all None for an unnamed schema)."""
        return tuple(s.name for s in self.specs)

    @property
    def has_names(self) -> bool:
        """True when the specs are matched by name, False when by position."""
        return self.specs[0].name is not None

    def __iter__(self) -> Any:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def to_dict(self) -> list[dict[str, Any]]:
        """The stored form: a list of spec dicts."""
        return [s.to_dict() for s in self.specs]

    @classmethod
    def from_dict(cls, items: Sequence[Mapping[str, Any]]) -> Schema:
        """Inverse of ``to_dict``."""
        if not isinstance(items, (list, tuple)):
            raise InvalidInputError(f"a stored schema is a list of specs, got {items!r}")
        specs: list[Spec] = []
        for item in items:
            if not isinstance(item, Mapping) or "type" not in item:
                raise InvalidInputError(f"a stored spec is a mapping with a 'type', got {item!r}")
            if item["type"] == "tensor":
                specs.append(TensorSpec(item["dtype"], item["shape"], item.get("name")))
            else:
                specs.append(ColSpec(item["type"], item.get("name"), item.get("required", True)))
        return cls(specs)

    def __str__(self) -> str:
        return "[" + ", ".join(str(s) for s in self.specs) + "]"


def _param_value(type_: str, value: Any, what: str) -> Any:
    """Check one scalar parameter value against a column type name; return it canonical."""
    kind = COLUMN_TYPES[type_]
    ok: bool
    if kind == "bool":
        ok = isinstance(value, bool)
    elif kind.startswith(("int", "uint")):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind.startswith("float"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok:
            value = float(value)
    elif kind == "str":
        ok = isinstance(value, str)
    elif kind == "bytes":
        ok = isinstance(value, bytes)
    else:  # datetime
        ok = isinstance(value, _dt.datetime)
    if not ok:
        raise InvalidInputError(f"{what}: expected a {type_} value, got {value!r}")
    return value


def _check_param(type_: str, shape: tuple[int, ...] | None, value: Any, what: str) -> Any:
    if shape is None:
        return _param_value(type_, value, what)
    if not isinstance(value, (list, tuple)):
        raise InvalidInputError(f"{what}: expected a list of {type_}, got {value!r}")
    return [_param_value(type_, v, f"{what}[{i}]") for i, v in enumerate(value)]


def _encode_param(type_: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_encode_param(type_, v) for v in value]
    if type_ == "datetime":
        return value.isoformat()
    if type_ == "binary":
        return base64.b64encode(value).decode("ascii")
    return value


def _decode_param(type_: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_decode_param(type_, v) for v in value]
    if type_ == "datetime" and isinstance(value, str):
        return _dt.datetime.fromisoformat(value)
    if type_ == "binary" and isinstance(value, str):
        return base64.b64decode(value)
    return value


@dataclass(frozen=True)
class ParamSpec:
    """One inference parameter: name, column type name, default, and shape.

    ``shape`` is None for a scalar and ``(-1,)`` for a list of values.
    """

    name: str
    type: str
    default: Any
    shape: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidInputError(f"param name must be a non-empty string, got {self.name!r}")
        object.__setattr__(self, "type", _column_type(self.type))
        if self.shape is not None:
            shape = tuple(int(d) for d in self.shape)
            if shape != (-1,):
                raise InvalidInputError(
                    f"param {self.name!r}: shape must be None (scalar) or (-1,) (list), got {shape}"
                )
            object.__setattr__(self, "shape", shape)
        default = _check_param(self.type, self.shape, self.default, f"param {self.name!r} default")
        object.__setattr__(self, "default", default)

    def to_dict(self) -> dict[str, Any]:
        """The stored form; datetimes as ISO strings, bytes as base64."""
        return {
            "name": self.name,
            "type": self.type,
            "default": _encode_param(self.type, self.default),
            "shape": None if self.shape is None else list(self.shape),
        }

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> ParamSpec:
        """Inverse of ``to_dict``."""
        type_ = _column_type(item["type"])
        shape = item.get("shape")
        return cls(item["name"], type_, _decode_param(type_, item["default"]), shape)


@dataclass(frozen=True)
class ParamSchema:
    """The inference parameters a model accepts, each with its default."""

    params: tuple[ParamSpec, ...]

    def __init__(self, params: Iterable[ParamSpec]) -> None:
        params = tuple(params)
        names = [p.name for p in params]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InvalidInputError(f"duplicate param names: {dupes}")
        object.__setattr__(self, "params", params)

    def __iter__(self) -> Any:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def to_dict(self) -> list[dict[str, Any]]:
        """The stored form: a list of param dicts."""
        return [p.to_dict() for p in self.params]

    @classmethod
    def from_dict(cls, items: Sequence[Mapping[str, Any]]) -> ParamSchema:
        """Inverse of ``to_dict``."""
        return cls(ParamSpec.from_dict(i) for i in items)


@dataclass(frozen=True)
class Signature:
    """What a model takes (``inputs``), returns (``outputs``) and accepts as ``params``."""

    inputs: Schema | None = None
    outputs: Schema | None = None
    params: ParamSchema | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-safe dict; absent parts are left out."""
        out: dict[str, Any] = {}
        if self.inputs is not None:
            out["inputs"] = self.inputs.to_dict()
        if self.outputs is not None:
            out["outputs"] = self.outputs.to_dict()
        if self.params is not None:
            out["params"] = self.params.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Signature:
        """Inverse of ``to_dict``; ``Signature.from_dict(s.to_dict()) == s``."""
        if not isinstance(d, Mapping):
            raise InvalidInputError(f"a stored signature is a mapping, got {d!r}")
        unknown = set(d) - {"inputs", "outputs", "params"}
        if unknown:
            raise InvalidInputError(
                f"unknown keys in stored signature: {sorted(unknown)}; "
                "expected inputs, outputs, params"
            )
        inputs, outputs, params = d.get("inputs"), d.get("outputs"), d.get("params")
        return cls(
            None if inputs is None else Schema.from_dict(inputs),
            None if outputs is None else Schema.from_dict(outputs),
            None if params is None else ParamSchema.from_dict(params),
        )

    def __str__(self) -> str:
        parts = [f"inputs: {self.inputs}", f"outputs: {self.outputs}"]
        if self.params is not None:
            parts.append("params: [" + ", ".join(f"{p.name}: {p.type}" for p in self.params) + "]")
        return "\n".join(parts)
