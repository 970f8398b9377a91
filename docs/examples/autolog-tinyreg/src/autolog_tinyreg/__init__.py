"""autolog flavor for tinyreg models: saved as JSON, loaded without running any code."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from autolog import Flavor

_FILE = "model.json"


class TinyRegFlavor(Flavor):
    """Saves, loads and predicts ``tinyreg.LinearRegression`` models."""

    name = "tinyreg"  # must equal the entry-point name in pyproject.toml
    module = "tinyreg"  # the library's import name: its presence makes the flavor usable
    formats = ("json",)  # the first is the default
    package = "autolog-tinyreg"  # pip distribution of the library, for requirements.txt
    requirement = "autolog-tinyreg>=0.1"  # supported versions, shown by autolog.flavors()
    pickle_formats = ()  # JSON: loading it runs no code from the file

    def handles(self, model: Any) -> bool:
        # never import the library here: if it is not imported, this cannot be its model
        tinyreg = sys.modules.get("tinyreg")
        return tinyreg is not None and isinstance(model, tinyreg.LinearRegression)

    def save(self, model: Any, path: Path, format: str) -> dict[str, Any]:
        (path / _FILE).write_text(json.dumps(model.to_dict()), encoding="utf-8")
        return {"files": [_FILE], "n_features": len(model.coef)}

    def load(self, path: Path, meta: dict[str, Any]) -> Any:
        import tinyreg

        return tinyreg.LinearRegression.from_dict(json.loads((path / _FILE).read_text(encoding="utf-8")))

    def predict(self, native: Any, data: Any) -> Any:
        if hasattr(data, "tolist"):  # numpy arrays and pandas frames become lists of rows
            data = data.values.tolist() if hasattr(data, "values") else data.tolist()
        return native.predict(data)
