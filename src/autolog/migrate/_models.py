"""MLflow model directories (an ``MLmodel`` file and the flavors' files) to autolog models.

Where autolog reads MLflow's files as they are, they are copied and described in a
``model.yaml`` (no pickle is opened): sklearn ``pickle``/``cloudpickle``, xgboost's native
files, torch pickles (``data/model.pth``) and ``torch.export`` programs (``data/model.pt2``),
ONNX. Two need a load and a save: sklearn's ``skops`` files (read with skops, saved as a
pickle) and pyfunc ``python_model`` pickles (see ``_pyfunc``). Anything else is not
converted: the importer keeps the files as plain artifacts and says why in the report.

The MLflow signature (JSON strings of column, tensor and param specs) becomes autolog's
signature dict; a dataframe or ndarray input example comes along.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from autolog.errors import ModelError
from autolog.models._flavor import Flavor

MLMODEL = "MLmodel"


class NotConvertible(ModelError):
    """The model stays plain artifacts; the message says why."""


@dataclass
class Plan:
    """How one MLflow model becomes an autolog model."""

    flavor: Flavor
    format: str
    model: Any  # the native object (load+save) or the MLflow directory (copy)
    signature: dict[str, Any] | None
    example: Any
    notes: list[str] = field(default_factory=list)


class _Copied(Flavor):
    """Writes MLflow's files of one format unchanged, described for autolog flavor ``target``."""

    name: ClassVar[str] = "mlflow-import"

    def __init__(self, target: str, fmt: str, files: list[str], meta: dict[str, Any]) -> None:
        self.target, self.fmt, self.files, self.meta = target, fmt, files, meta

    def save(self, model: Any, path: Path, format: str, *, example: Any = None) -> dict[str, Any]:
        import shutil

        for rel in self.files:
            dest = path / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(model) / rel, dest)
        return {"flavor": self.target, "format": self.fmt, "files": list(self.files), **self.meta}


def read_mlmodel(root: Path) -> dict[str, Any]:
    import yaml

    try:
        doc = yaml.load((root / MLMODEL).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except Exception as exc:
        raise NotConvertible(f"its MLmodel file is unreadable ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("flavors"), dict):
        raise NotConvertible("its MLmodel file lists no flavors")
    return doc


def plan(root: Path, load: bool = True) -> Plan:
    """Decide how the MLflow model at ``root`` converts; NotConvertible says why not.

    ``load=False`` (a dry run) decides without opening a model file: the plan's ``model``
    is then None where converting would load the model."""
    doc = read_mlmodel(root)
    flavors: dict[str, Any] = doc["flavors"]
    signature, notes = translate_signature(doc.get("signature"))
    example = _example(root, doc, signature)
    for name, builder in _BUILDERS:
        if name in flavors:
            flavor, fmt, model = builder(root, flavors[name] or {}, load)
            return Plan(flavor, fmt, model, signature, example, notes)
    listed = ", ".join(sorted(flavors)) or "none"
    raise NotConvertible(f"its flavors ({listed}) have no autolog equivalent")


def _file(root: Path, rel: Any, what: str) -> str:
    if not isinstance(rel, str) or not (root / rel).is_file():
        raise NotConvertible(f"its {what} file {rel!r} is missing")
    return rel


def _sklearn(root: Path, conf: dict[str, Any], load: bool) -> tuple[Flavor, str, Any]:
    fmt = conf.get("serialization_format") or "cloudpickle"
    rel = _file(root, conf.get("pickled_model"), "sklearn model")
    meta = {"library_version": conf.get("sklearn_version")}
    if fmt in ("pickle", "cloudpickle"):
        return _Copied("sklearn", "pickle", [rel], meta), "pickle", root
    if fmt == "skops":
        try:
            import skops.io as sio
        except ImportError as exc:
            raise NotConvertible(
                "it is saved in sklearn's skops format, which needs skops to read "
                "(pip install 'autolog[migrate]', then import again)"
            ) from exc
        from autolog.models._discovery import get_flavor

        if not load:
            return get_flavor("sklearn"), "pickle", None
        path = str(root / rel)
        # the types skops does not trust by default are the model's own classes: the
        # user's store, imported on purpose
        native = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        return get_flavor("sklearn"), "pickle", native
    raise NotConvertible(f"its sklearn serialization format {fmt!r} is unknown")


def _xgboost(root: Path, conf: dict[str, Any], load: bool) -> tuple[Flavor, str, Any]:
    rel = _file(root, conf.get("data"), "xgboost model")
    meta: dict[str, Any] = {"library_version": conf.get("xgb_version")}
    cls = str(conf.get("model_class") or "xgboost.core.Booster")
    if cls != "xgboost.core.Booster":
        module, _, name = cls.rpartition(".")
        meta["model_class"] = f"{module}:{name}"
    return _Copied("xgboost", "native", [rel], meta), "native", root


def _pytorch(root: Path, conf: dict[str, Any], load: bool) -> tuple[Flavor, str, Any]:
    data = str(conf.get("model_data") or "data")
    meta = {"library_version": conf.get("pytorch_version")}
    if (root / data / "model.pt2").is_file():
        return _Copied("torch", "export", [f"{data}/model.pt2"], meta), "export", root
    if (root / data / "model.pth").is_file():
        return _Copied("torch", "pickle", [f"{data}/model.pth"], meta), "pickle", root
    raise NotConvertible(f"its torch model file ({data}/model.pt2 or {data}/model.pth) is missing")


def _onnx(root: Path, conf: dict[str, Any], load: bool) -> tuple[Flavor, str, Any]:
    rel = _file(root, conf.get("data") or "model.onnx", "ONNX model")
    return _Copied("onnx", "onnx", [rel], {"library_version": conf.get("onnx_version")}), "onnx", root


def _pyfunc(root: Path, conf: dict[str, Any], load: bool) -> tuple[Flavor, str, Any]:
    if not conf.get("python_model"):
        raise NotConvertible(
            f"its python_function flavor loads through {conf.get('loader_module')!r}, "
            "which autolog has no equivalent for"
        )
    from autolog.migrate._pyfunc import MlflowPythonModel, read_python_model
    from autolog.models._discovery import get_flavor

    rel = _file(root, conf["python_model"], "python model")
    if not load:
        return get_flavor("python"), "pickle", None
    with open(root / rel, "rb") as f:
        inner = read_python_model(f)
    artifacts = {
        name: str(root / entry["path"])
        for name, entry in (conf.get("artifacts") or {}).items()
        if isinstance(entry, dict) and entry.get("path")
    }
    config = conf.get("model_config") or {}
    return get_flavor("python"), "pickle", MlflowPythonModel(inner, artifacts, dict(config))


#: in order of preference: a model with several flavors converts through the first listed
_BUILDERS = (
    ("sklearn", _sklearn),
    ("xgboost", _xgboost),
    ("pytorch", _pytorch),
    ("onnx", _onnx),
    ("python_function", _pyfunc),
)


# -- signatures and examples -------------------------------------------------------------------

def _specs(text: Any) -> list[dict[str, Any]] | None:
    if text in (None, "", "null"):
        return None
    items = json.loads(text) if isinstance(text, str) else text
    out = []
    for item in items:
        if item.get("type") == "tensor":
            spec = item.get("tensor-spec") or {}
            entry = {"type": "tensor", "dtype": spec["dtype"], "shape": list(spec["shape"])}
        elif item.get("type") in ("object", "array", "map", "any"):
            raise ValueError(f"the {item['type']} type of {item.get('name')!r}")
        else:
            entry = {"type": item["type"], "required": bool(item.get("required", True))}
            if "default" in item:  # a param spec
                entry = {"type": item["type"], "default": item.get("default"), "shape": item.get("shape")}
        if item.get("name") is not None:
            entry = {"name": item["name"], **entry}
        out.append(entry)
    return out


def translate_signature(doc: Any) -> tuple[dict[str, Any] | None, list[str]]:
    """MLflow's signature (JSON strings) as autolog's signature dict, and notes."""
    if not isinstance(doc, dict):
        return None, []
    try:
        parts = {part: _specs(doc.get(part)) for part in ("inputs", "outputs", "params")}
        from autolog.models._signature import Signature

        # from_dict refuses what autolog cannot enforce
        signature = Signature.from_dict({k: v for k, v in parts.items() if v is not None}).to_dict()
    except Exception as exc:
        return None, [f"signature not translated ({exc}); the model has none"]
    return signature or None, []


def _example(root: Path, doc: dict[str, Any], signature: dict[str, Any] | None) -> Any:
    info = doc.get("saved_input_example_info") or {}
    path = root / str(info.get("artifact_path") or "input_example.json")
    if not info or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if info.get("type") == "dataframe" and isinstance(data, dict) and "columns" in data:
            import pandas as pd

            return pd.DataFrame(data["data"], columns=data["columns"])
        if info.get("type") == "ndarray" and isinstance(data, list):
            import numpy as np

            tensors = (signature or {}).get("inputs") or []
            dtype = tensors[0].get("dtype") if tensors and tensors[0].get("type") == "tensor" else None
            return np.asarray(data, dtype=dtype)
    except Exception:  # an example is a convenience: a model without one is still whole
        return None
    return None


def write(p: Plan, dest: Path, *, run_id: str, artifact_path: str, metadata: dict[str, Any]) -> None:
    """Write the autolog model directory ``dest`` (new; written aside and renamed in)."""
    from autolog.models._directory import write_model

    write_model(
        p.model, p.flavor, [p.format], dest, signature=p.signature, input_example=p.example,
        pip_requirements=None, metadata=metadata, run_id=run_id, artifact_path=artifact_path,
    )


def has_mlmodel(files: list[str]) -> bool:
    return MLMODEL in files


def model_dirs(files: list[str]) -> list[str]:
    """Directories (relative, '' for the root) that hold an MLmodel file, outermost first."""
    found = sorted({os.path.dirname(f) for f in files if os.path.basename(f) == MLMODEL}, key=len)
    outer: list[str] = []
    for d in found:
        if not any(d == o or d.startswith(o + "/") for o in outer if o) and "" not in outer:
            outer.append(d)
    return outer
