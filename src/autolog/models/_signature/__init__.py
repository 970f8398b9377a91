"""Model signatures: the one import point for the rest of ``autolog.models``.

- ``_schema.py``  the data: ``Signature``, ``Schema``, ``ColSpec``, ``TensorSpec``, params
- ``_infer.py``   ``infer_signature`` from example data
- ``_enforce.py`` ``compile_enforcer`` / ``enforce_input`` / ``enforce_params`` at predict,
  with the enforcer of each schema kind in ``_columns.py`` and ``_tensors.py`` and the
  error they raise built in ``_problems.py``
- ``_casts.py``   which dtype conversions are allowed (lossless only) and how they run

User documentation: docs/signatures.md.
"""

from __future__ import annotations

from autolog.models._signature._enforce import compile_enforcer, enforce_input, enforce_params, make_enforcer
from autolog.models._signature._infer import infer_param_schema, infer_schema, infer_signature
from autolog.models._signature._schema import (
    COLUMN_TYPES,
    TENSOR_DTYPES,
    ColSpec,
    ParamSchema,
    ParamSpec,
    Schema,
    Signature,
    TensorSpec,
)

__all__ = [
    "COLUMN_TYPES",
    "TENSOR_DTYPES",
    "ColSpec",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "Signature",
    "TensorSpec",
    "compile_enforcer",
    "enforce_input",
    "enforce_params",
    "infer_param_schema",
    "infer_schema",
    "infer_signature",
    "make_enforcer",
]
