"""The built-in flavors, one module per library: sklearn, xgboost, torch, onnx, python.

Each is registered in our own pyproject.toml under the entry-point group ``autolog.flavors``,
exactly as a third-party flavor is; nothing in the core lists them. This package imports
nothing heavy, so importing one flavor never imports the others or their libraries.

The package is also the function ``autolog.flavors()``: Python sets ``autolog.flavors`` to
this package as soon as any flavor module is imported, so the package itself answers the
call with the list of registered flavors (``autolog.models.FlavorRecord``).
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallablePackage(types.ModuleType):
    def __call__(self) -> list[Any]:
        """Every registered flavor: name, distribution, version, library version, supported
        range, and whether it is available here (or why not)."""
        from autolog.models._discovery import flavor_records

        return flavor_records()


sys.modules[__name__].__class__ = _CallablePackage
