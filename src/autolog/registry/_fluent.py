"""``register_model``: the one-call way to give a logged model a name and a version."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autolog.registry import _validate as check
from autolog.registry._client import _source, _tags, _user

if TYPE_CHECKING:
    from autolog.registry._entities import ModelVersion


def register_model(model_uri: str, name: str, tags: dict[str, Any] | None = None) -> ModelVersion:
    """Register the model at ``model_uri`` (``runs:/<run_id>/<path>``, a directory, any model
    URI) as the next version of ``name``, creating the registered model when it is new.

    Versions count 1, 2, 3, ... per name with no duplicate or skipped number, also when
    several processes register at once. Returns the new ``ModelVersion``; load it with
    ``autolog.load_model(version.model_uri)`` (``models:/<name>/<version>``).
    """
    from autolog.tracking._client import Client

    client = Client()
    name = check.model_name(name)
    source, run_id = _source(model_uri)
    if run_id is not None:
        client.get_run(run_id)  # an unknown run fails here, before anything is written
    return client._registry.create_model_version(
        name, source, run_id, _tags(tags), "", _user(), create_model=True
    )
