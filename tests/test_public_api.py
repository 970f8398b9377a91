"""The public surface: exactly these names, documented, and a light import."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import autolog

PUBLIC = [
    "set_tracking_uri",
    "get_tracking_uri",
    "set_experiment",
    "get_experiment",
    "get_experiment_by_name",
    "search_experiments",
    "start_run",
    "end_run",
    "active_run",
    "last_active_run",
    "get_run",
    "search_runs",
    "log_param",
    "log_params",
    "log_metric",
    "log_metrics",
    "set_tag",
    "set_tags",
    "delete_tag",
    "flush",
    "enable_system_metrics_logging",
    "disable_system_metrics_logging",
    "log_artifact",
    "log_artifacts",
    "log_text",
    "log_dict",
    "log_figure",
    "get_artifact_uri",
    "Client",
    "ActiveRun",
    "Run",
    "RunInfo",
    "RunData",
    "Metric",
    "Param",
    "RunTag",
    "Experiment",
    "RunStatus",
    "ViewType",
    "FileInfo",
    "errors",
    # models
    "log_model",
    "save_model",
    "load_model",
    "flavors",
    "Flavor",
    "LoadedModel",
    "ModelInfo",
    "infer_signature",
    "Signature",
    "Schema",
    "ColSpec",
    "TensorSpec",
    "ParamSchema",
    "ParamSpec",
    # model registry
    "register_model",
    # autologging
    "enable",
    "disable",
    "enabled",
    # projects
    "projects",
]

HEAVY = ["numpy", "pandas", "sqlalchemy", "sklearn", "torch", "xgboost", "yaml", "matplotlib", "psutil", "pynvml"]


def test_all_is_exactly_the_public_names() -> None:
    assert sorted(autolog.__all__) == sorted(PUBLIC)
    assert len(set(autolog.__all__)) == len(autolog.__all__)
    for name in autolog.__all__:
        assert hasattr(autolog, name), name


def test_public_functions_and_client_methods_are_documented() -> None:
    undocumented = [
        name
        for name in autolog.__all__
        if callable(getattr(autolog, name)) and not inspect.getdoc(getattr(autolog, name))
    ]
    undocumented += [
        f"Client.{name}"
        for name, member in vars(autolog.Client).items()
        if not name.startswith("_") and callable(member) and not inspect.getdoc(member)
    ]
    assert undocumented == []


def test_import_is_light() -> None:
    code = (
        f"import sys, json, autolog; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
