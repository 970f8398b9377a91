"""The logged models of the ``memory:`` store: a dict behind the store's lock."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from autolog.errors import InvalidInputError, NotFoundError
from autolog.core._logged_model_store import (
    LoggedModelStore,
    check_model_id,
    check_status,
    clean_pairs,
    model_name,
)
from autolog.core._entities import LifecycleStage, LoggedModel


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class MemoryLoggedModels(LoggedModelStore):
    """Mixed into ``MemoryStore`` (which provides ``_lock``, ``_experiment`` and ``_run``)."""

    _lock: Any
    _logged: dict[str, LoggedModel]

    def _models(self) -> dict[str, LoggedModel]:
        if not hasattr(self, "_logged"):
            self._logged = {}
        return self._logged

    def create_logged_model(
        self,
        experiment_id: str,
        name: str,
        source_run_id: str | None = None,
        model_type: str | None = None,
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> LoggedModel:
        name = model_name(name)
        clean_tags, clean_params = clean_pairs(tags, "tag"), clean_pairs(params, "param")
        with self._lock:
            experiment = self._experiment(experiment_id)  # type: ignore[attr-defined]
            if experiment.lifecycle_stage is not LifecycleStage.ACTIVE:
                raise InvalidInputError(f"experiment {experiment_id} is deleted; restore it first")
            if source_run_id is not None:
                self._run(source_run_id)  # type: ignore[attr-defined]
            model_id = f"m-{uuid.uuid4().hex}"
            now = _now_ms()
            model = LoggedModel(
                model_id, experiment.experiment_id, name,
                os.path.join(experiment.artifact_location, "models", model_id, "artifacts"),
                now, now, "PENDING", source_run_id, model_type, clean_tags, clean_params,
            )
            self._models()[model_id] = model
            return model

    def get_logged_model(self, model_id: str) -> LoggedModel:
        check_model_id(model_id)
        with self._lock:
            found = self._models().get(model_id)
            if found is None:
                raise NotFoundError(f"no logged model with id {model_id!r}")
            return found

    def _replace(self, model_id: str, **changes: Any) -> LoggedModel:
        with self._lock:
            model = replace(self.get_logged_model(model_id), last_updated_timestamp=_now_ms(), **changes)
            self._models()[model_id] = model
            return model

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        return self._replace(model_id, status=check_status(status))

    def set_logged_model_tags(self, model_id: str, tags: dict[str, str]) -> None:
        clean = clean_pairs(tags, "tag")
        with self._lock:
            self._replace(model_id, tags={**self.get_logged_model(model_id).tags, **clean})

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        with self._lock:
            tags = dict(self.get_logged_model(model_id).tags)
            if tags.pop(key, None) is None:
                raise NotFoundError(f"logged model {model_id} has no tag {key!r}")
            self._replace(model_id, tags=tags)

    def delete_logged_model(self, model_id: str) -> None:
        with self._lock:
            self.get_logged_model(model_id)
            del self._models()[model_id]

    def list_logged_models(self, experiment_ids: Sequence[str]) -> list[LoggedModel]:
        wanted = {str(e) for e in experiment_ids}
        with self._lock:
            found = [m for m in self._models().values() if m.experiment_id in wanted]
        return sorted(found, key=lambda m: (m.creation_timestamp, m.model_id))
