"""autolog: records machine-learning training by itself.

The tracking API keeps MLflow's fluent names::

    import autolog

    with autolog.start_run():
        autolog.log_param("lr", 0.01)
        autolog.log_metric("loss", 0.25, step=1)

``autolog.Client`` has the explicit, run-id-taking versions; errors live in ``autolog.errors``.
Importing autolog imports no numpy, pandas, SQLAlchemy or ML library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autolog._version import __version__ as __version__

from autolog import errors
from autolog.tracking._client import Client
from autolog.core._entities import (
    Experiment,
    FileInfo,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from autolog.tracking._fluent import (
    ActiveRun,
    active_run,
    delete_tag,
    end_run,
    flush,
    get_artifact_uri,
    get_experiment,
    get_experiment_by_name,
    get_run,
    get_tracking_uri,
    last_active_run,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_text,
    search_experiments,
    search_runs,
    set_experiment,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)

__all__ = [
    # tracking: where and which experiment
    "set_tracking_uri",
    "get_tracking_uri",
    "set_experiment",
    "get_experiment",
    "get_experiment_by_name",
    "search_experiments",
    # runs
    "start_run",
    "end_run",
    "active_run",
    "last_active_run",
    "get_run",
    "search_runs",
    # run data
    "log_param",
    "log_params",
    "log_metric",
    "log_metrics",
    "set_tag",
    "set_tags",
    "delete_tag",
    "flush",
    # system metrics (loaded on first use)
    "enable_system_metrics_logging",
    "disable_system_metrics_logging",
    # artifacts
    "log_artifact",
    "log_artifacts",
    "log_text",
    "log_dict",
    "log_figure",
    "get_artifact_uri",
    # classes
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
    # models (loaded on first use, see __getattr__ below)
    "log_model",
    "save_model",
    "load_model",
    "flavors",
    "Flavor",
    "LoadedModel",
    "ModelInfo",
    # signatures (loaded on first use)
    "infer_signature",
    "Signature",
    "Schema",
    "ColSpec",
    "TensorSpec",
    "ParamSchema",
    "ParamSpec",
    # model registry (loaded on first use)
    "register_model",
    # autologging (loaded on first use)
    "enable",
    "disable",
    "enabled",
    # projects: autolog.projects.run(...) (the package, loaded on first use)
    "projects",
]

if TYPE_CHECKING:
    from autolog.autologging import disable, enable, enabled
    from autolog.models import Flavor, LoadedModel, ModelInfo, load_model, log_model, save_model
    from autolog.tracking._register import register_model
    from autolog.tracking.system_metrics._settings import (
        disable_system_metrics_logging,
        enable_system_metrics_logging,
    )
    from autolog.models._signature import (
        ColSpec,
        ParamSchema,
        ParamSpec,
        Schema,
        Signature,
        TensorSpec,
        infer_signature,
    )

# name -> module holding it; these load on first use so that `import autolog` stays light.
# `flavors` is the package autolog.flavors itself, which is callable: autolog.flavors();
# `projects` is the package autolog.projects
_LAZY = {
    "log_model": "autolog.models",
    "save_model": "autolog.models",
    "load_model": "autolog.models",
    "Flavor": "autolog.models",
    "LoadedModel": "autolog.models",
    "ModelInfo": "autolog.models",
    "infer_signature": "autolog.models._signature",
    "Signature": "autolog.models._signature",
    "Schema": "autolog.models._signature",
    "ColSpec": "autolog.models._signature",
    "TensorSpec": "autolog.models._signature",
    "ParamSchema": "autolog.models._signature",
    "ParamSpec": "autolog.models._signature",
    "register_model": "autolog.tracking._register",
    "enable_system_metrics_logging": "autolog.tracking.system_metrics._settings",
    "disable_system_metrics_logging": "autolog.tracking.system_metrics._settings",
    "enable": "autolog.autologging",
    "disable": "autolog.autologging",
    "enabled": "autolog.autologging",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name in ("flavors", "migrate", "projects"):  # subpackages reached as attributes, loaded on use
        return importlib.import_module(f"autolog.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autolog' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
