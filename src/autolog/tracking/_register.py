"""``register_model``: the one-call way to give a logged model a name and a version."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autolog.core._model_entities import ModelVersion


def register_model(model_uri: str, name: str, tags: dict[str, Any] | None = None) -> ModelVersion:
    """Register the model at ``model_uri`` (``runs:/<run_id>/<path>``, a directory, any model
    URI) as the next version of ``name``, creating the registered model when it is new.

    Versions count 1, 2, 3, ... per name with no duplicate or skipped number, also when
    several processes register at once. Returns the new ``ModelVersion``; load it with
    ``autolog.load_model(version.model_uri)`` (``models:/<name>/<version>``).
    """
    from autolog.tracking._client import Client

    return Client()._register(model_uri, name, tags)
