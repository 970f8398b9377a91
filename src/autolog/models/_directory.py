"""The model directory: writing it in one piece, reading it back, checking its files.

    model/
      model.yaml          everything below is described here (see docs/model-format.md)
      requirements.txt    package==version, one per line
      input_example.json  when an input example was given
      <flavor files>      what each format wrote (model.pkl, model.onnx, ...)

A save writes into a fresh sibling directory and renames it into place at the end, so a
failed save leaves nothing behind, and an existing non-empty directory is never touched.
"""

from __future__ import annotations

import datetime
import hashlib
import inspect
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from autolog.errors import FormatConversionWarning, IntegrityError, InvalidInputError, ModelError
from autolog.models import _discovery
from autolog.models._flavor import Flavor
from autolog.store.artifacts._paths import TEMP_PREFIX

FORMAT_VERSION = 1
MODEL_FILE = "model.yaml"
REQUIREMENTS_FILE = "requirements.txt"
INPUT_EXAMPLE_FILE = "input_example.json"
_RESERVED = {MODEL_FILE, REQUIREMENTS_FILE, INPUT_EXAMPLE_FILE}
_REQUIRED_KEYS = ("format_version", "flavors", "files")


def _yaml() -> Any:
    import yaml

    return yaml


def dump_yaml(doc: Mapping[str, Any]) -> str:
    yaml = _yaml()
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text: str = yaml.dump(dict(doc), Dumper=dumper, sort_keys=False, default_flow_style=False)
    return text


def load_yaml(text: str) -> Any:
    yaml = _yaml()
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sizes(root: Path) -> dict[str, int]:
    """Every file under ``root``: relative '/'-separated path -> size, sorted by path.
    (``os.scandir`` rather than ``Path.rglob``: a model is written inside the user's fit,
    and this walk runs several times per save.)"""
    found: dict[str, int] = {}
    stack = [("", os.fspath(root))]
    while stack:
        prefix, path = stack.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((f"{prefix}{entry.name}/", entry.path))
                elif entry.is_file():
                    found[prefix + entry.name] = entry.stat().st_size
    return dict(sorted(found.items()))


def _relative_files(root: Path) -> list[str]:
    return list(file_sizes(root))


@lru_cache(maxsize=None)
def _takes_example(cls: type) -> bool:
    """Does ``cls.save`` accept ``example=`` (flavors written before it was added do not)?"""
    try:
        params = inspect.signature(cast("type[Flavor]", cls).save).parameters
    except (TypeError, ValueError):
        return False
    return "example" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _save_formats(
    model: Any, flavor: Flavor, formats: Sequence[str], root: Path, example: Any
) -> dict[str, dict[str, Any]]:
    """Run ``flavor.save`` once per format: the first straight into ``root``, each later one
    into an empty directory whose files then move under ``root``. The first format must
    succeed; a later one that fails is a warning."""
    entries: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    flavor_type: type = type(flavor)  # a plain `type`: mypy rejects classes as lru_cache keys
    extra = {"example": example} if example is not None and _takes_example(flavor_type) else {}
    for i, fmt in enumerate(formats):
        # the first format writes straight into the (new, empty) model directory; a failure
        # there fails the whole save, which removes that directory
        in_place = i == 0
        stage = root if in_place else Path(tempfile.mkdtemp(prefix=f".{fmt}-", dir=root))
        try:
            meta = dict(flavor.save(model, stage, fmt, **extra) or {})
            target = str(meta.pop("flavor", flavor.name))
            files = _relative_files(stage)
            if not files:
                raise ModelError(f"flavor {flavor.name!r} wrote no file for format {fmt!r}")
            existing: set[str] = set() if in_place else set(_relative_files(root))
            clash = sorted(set(files) & (_RESERVED | existing))
            if clash:
                raise ModelError(
                    f"format {fmt!r} of flavor {flavor.name!r} wants to write {', '.join(clash)}, "
                    "which another part of the model directory already uses"
                )
            if target in entries:
                raise InvalidInputError(
                    f"formats {entries[target]['format']!r} and {fmt!r} are both served by flavor "
                    f"{target!r}; a model carries one format per flavor. Save them as two models."
                )
        except Exception as exc:
            if in_place:
                if isinstance(exc, (ModelError, InvalidInputError)):
                    raise
                raise ModelError(
                    f"flavor {flavor.name!r} could not save the model in format {fmt!r}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            shutil.rmtree(stage, ignore_errors=True)
            failed.append(f"format {fmt!r} was not written ({type(exc).__name__}: {exc})")
            continue
        if not in_place:
            for rel in files:
                dest = root / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(stage / rel, dest)
            shutil.rmtree(stage, ignore_errors=True)
        entries[target] = {"format": fmt, "files": files, **meta}
    written = ", ".join(repr(e["format"]) for e in entries.values())
    for problem in failed:
        warnings.warn(f"{problem}; the model is saved in {written}", FormatConversionWarning, stacklevel=5)
    return entries


def _library_info(name: str, entry: dict[str, Any], fallback: Flavor) -> list[str]:
    """Add library/plugin versions to a flavor entry; return the requirements it implies."""
    try:
        served_by = _discovery.get_flavor(name)
    except Exception:  # e.g. the onnx flavor broken here: record what we know
        served_by = fallback
    requirements = []
    package = getattr(served_by, "package", "")
    if package:
        entry.setdefault("library", package)
        version = _discovery.package_version(package)
        entry.setdefault("library_version", version)
        if version:
            requirements.append(f"{package}=={version}")
    plugin = _plugin_distribution(name)
    if plugin and plugin != "autolog":
        entry.setdefault("plugin", plugin)
        version = _discovery.package_version(plugin)
        if version:
            requirements.append(f"{plugin}=={version}")
    for extra in entry.get("requirements", ()):
        version = _discovery.package_version(str(extra))
        if version:
            requirements.append(f"{extra}=={version}")
    return requirements


def _plugin_distribution(name: str) -> str | None:
    from autolog import _plugins

    entry = _plugins.flavors.get(name)
    return entry.distribution if entry is not None else None


def write_model(
    model: Any,
    flavor: Flavor,
    formats: Sequence[str],
    dest: Path,
    *,
    signature: dict[str, Any] | None,
    input_example: Any,
    pip_requirements: Sequence[str] | None,
    metadata: Mapping[str, Any] | None,
    run_id: str | None = None,
    artifact_path: str | None = None,
) -> dict[str, Any]:
    """Write a complete model directory at ``dest`` (which must not hold anything yet)."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InvalidInputError(
            f"cannot save a model to {dest}: it already exists and is not an empty directory. "
            "Choose a new path, or delete the old model first."
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    # the artifact stores' temp prefix: a model being written straight into a run's local
    # artifacts is never listed or downloaded half-done
    staging = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{dest.name}-", dir=dest.parent))
    try:
        doc = _fill(model, flavor, formats, staging, signature, input_example,
                    pip_requirements, metadata, run_id, artifact_path)
        if dest.exists():
            dest.rmdir()  # empty, checked above
        os.rename(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return doc


def _fill(
    model: Any,
    flavor: Flavor,
    formats: Sequence[str],
    root: Path,
    signature: dict[str, Any] | None,
    input_example: Any,
    pip_requirements: Sequence[str] | None,
    metadata: Mapping[str, Any] | None,
    run_id: str | None,
    artifact_path: str | None,
) -> dict[str, Any]:
    entries = _save_formats(model, flavor, formats, root, input_example)
    requirements = [f"autolog=={_discovery.package_version('autolog') or _own_version()}"]
    for name, entry in entries.items():
        for req in _library_info(name, entry, flavor):
            if req not in requirements:
                requirements.append(req)
    for req in pip_requirements or ():
        if not isinstance(req, str) or not req.strip():
            raise InvalidInputError(f"pip_requirements must be strings like 'pkg==1.0', got {req!r}")
        if req.strip() not in requirements:
            requirements.append(req.strip())
    (root / REQUIREMENTS_FILE).write_text("\n".join(requirements) + "\n", encoding="utf-8")

    example_file = None
    if input_example is not None:
        (root / INPUT_EXAMPLE_FILE).write_text(
            json.dumps(example_to_json(input_example)), encoding="utf-8"
        )
        example_file = INPUT_EXAMPLE_FILE

    files = {rel: sha256(root / rel) for rel in _relative_files(root)}
    doc: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
        "run_id": run_id,
        "artifact_path": artifact_path,
        "flavors": entries,
        "signature": signature,
        "input_example": example_file,
        "requirements": requirements,
        "metadata": dict(metadata) if metadata else {},
        "files": files,
    }
    try:
        text = dump_yaml(doc)
    except Exception as exc:
        raise InvalidInputError(
            f"the model description cannot be written as YAML ({exc}); metadata and flavor "
            "metadata must hold only strings, numbers, booleans, None, lists and dicts"
        ) from exc
    (root / MODEL_FILE).write_text(text, encoding="utf-8")
    return doc


def _own_version() -> str:
    from autolog._version import __version__

    return __version__


def example_to_json(example: Any) -> dict[str, Any]:
    """An input example as JSON: a pandas frame by columns, an array with its dtype, else as is."""
    module = type(example).__module__.split(".", 1)[0]
    if module == "pandas" and hasattr(example, "to_json"):
        return {"type": "dataframe", **json.loads(example.to_json(orient="split", index=False))}
    if module == "torch" and hasattr(example, "detach"):
        example = example.detach().cpu().numpy()
        module = "numpy"
    if module == "numpy" and hasattr(example, "tolist"):
        return {"type": "ndarray", "dtype": str(example.dtype), "data": example.tolist()}
    try:
        json.dumps(example)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"input_example must be a pandas DataFrame, a numpy array or JSON-able data "
            f"(dicts, lists, strings, numbers); got {type(example).__name__}: {exc}"
        ) from exc
    return {"type": "json", "data": example}


def example_from_json(doc: dict[str, Any]) -> Any:
    kind = doc.get("type")
    if kind == "dataframe":
        import pandas as pd

        return pd.DataFrame(doc["data"], columns=doc["columns"])
    if kind == "ndarray":
        import numpy as np

        return np.asarray(doc["data"], dtype=doc["dtype"])
    return doc.get("data")


def read_model(root: Path) -> dict[str, Any]:
    """The parsed model.yaml of ``root``; ModelError saying what is missing otherwise."""
    root = Path(root)
    path = root / MODEL_FILE
    if not path.is_file():
        if not root.exists():
            raise ModelError(f"no model at {root}: the path does not exist")
        seen = sorted(p.name for p in root.iterdir())[:10] if root.is_dir() else []
        raise ModelError(
            f"{root} is not an autolog model directory: it has no {MODEL_FILE} "
            f"(found: {', '.join(seen) or 'nothing'}). Point load_model at the directory "
            "save_model or log_model wrote."
        )
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"))
    except Exception as exc:
        raise ModelError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise ModelError(f"{path} does not describe a model (expected a mapping, got {type(doc).__name__})")
    missing = [k for k in _REQUIRED_KEYS if k not in doc]
    if missing:
        raise ModelError(f"{path} lacks {', '.join(missing)}; it was not written by autolog")
    if not isinstance(doc["format_version"], int) or doc["format_version"] > FORMAT_VERSION:
        raise ModelError(
            f"{path} has format_version {doc['format_version']!r}; this autolog reads up to "
            f"{FORMAT_VERSION}. Upgrade autolog to load it."
        )
    if not isinstance(doc["flavors"], dict) or not doc["flavors"]:
        raise ModelError(f"{path} lists no flavor; the model cannot be loaded")
    return doc


def verify(root: Path, doc: dict[str, Any]) -> None:
    """Check every recorded sha256; IntegrityError names the first file that changed."""
    for rel, expected in doc["files"].items():
        path = root / rel
        if not path.is_file():
            raise ModelError(f"model file {path} is listed in {MODEL_FILE} but missing")
        actual = sha256(path)
        if actual != expected:
            raise IntegrityError(str(path), expected, actual)
