"""The registry half of ``RestStore``: MLflow's registered-models and model-versions endpoints,
and our event history (``/api/autolog/v1/registered-models/events``).

Registry changes are never spooled: they name models other people use, so each one is done on
the server at the call, or fails with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autolog.core._model_entities import ModelEvent, ModelVersion, RegisteredModel
from autolog.core._model_store import RegistryStore
from autolog.errors import AlreadyExistsError
from autolog.store.rest import _wire

if TYPE_CHECKING:
    from autolog.store.rest._http import Http

_RM = "/api/2.0/mlflow/registered-models"
_MV = "/api/2.0/mlflow/model-versions"


class RestRegistry(RegistryStore):
    """Registered models, versions, aliases and history, kept by the server."""

    uri: str

    @property
    def http(self) -> Http:  # provided by RestStore
        raise NotImplementedError

    def _call(self, method: str, path: str, doc: dict[str, Any] | None = None, *, again: Any = None, **params: Any) -> dict[str, Any]:
        # a registry write is re-sent only where a repeat changes nothing (again=...)
        from autolog.store.rest._http import SAME

        return self.http.call(method, path, doc, params=params or None, again=SAME if method == "GET" else again)

    def _model(self, answer: dict[str, Any]) -> RegisteredModel:
        return _wire.registered_model(answer["registered_model"])

    def _version(self, answer: dict[str, Any]) -> ModelVersion:
        return _wire.model_version(self.uri, answer["model_version"])

    # -- registered models ---------------------------------------------------------------
    def create_registered_model(
        self, name: str, description: str, tags: dict[str, str], user_id: str
    ) -> RegisteredModel:
        doc = {"name": name, "description": description, "tags": _wire.key_values(tags), "user_id": user_id}
        return self._model(self._call("POST", f"{_RM}/create", doc))

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._model(self._call("GET", f"{_RM}/get", name=name))

    def list_registered_models(self) -> list[RegisteredModel]:
        return [_wire.registered_model(d) for d in self._pages("GET", f"{_RM}/search", "registered_models", 1000)]

    def rename_registered_model(self, name: str, new_name: str, user_id: str) -> RegisteredModel:
        return self._model(self._call("POST", f"{_RM}/rename", {"name": name, "new_name": new_name, "user_id": user_id}))

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        doc = {"name": name, "description": description}
        return self._model(self._call("PATCH", f"{_RM}/update", doc, again=doc))

    def delete_registered_model(self, name: str) -> None:
        self._call("DELETE", f"{_RM}/delete", {"name": name})

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        doc = {"name": name, "key": key, "value": value}
        self._call("POST", f"{_RM}/set-tag", doc, again=doc)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._call("DELETE", f"{_RM}/delete-tag", {"name": name, "key": key})

    # -- versions -------------------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        tags: dict[str, str],
        description: str,
        user_id: str,
        create_model: bool,
        version: int | None = None,
    ) -> ModelVersion:
        if create_model:
            try:
                self.create_registered_model(name, "", {}, user_id)
            except AlreadyExistsError:
                pass
        doc: dict[str, Any] = {
            "name": name, "source": _wire.to_server(self.uri, source), "tags": _wire.key_values(tags),
            "description": description, "user_id": user_id,
        }
        if run_id:
            doc["run_id"] = run_id
        if version is not None:  # ours: an imported version keeps its number
            doc["version"] = str(version)
        return self._version(self._call("POST", f"{_MV}/create", doc))

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        return self._version(self._call("GET", f"{_MV}/get", name=name, version=str(version)))

    def list_model_versions(self, name: str | None = None) -> list[ModelVersion]:
        params = {"filter": f"name = '{_quote(name)}'"} if name is not None else {}
        found = self._pages("GET", f"{_MV}/search", "model_versions", 10_000, **params)
        return [_wire.model_version(self.uri, d) for d in found]

    def update_model_version(self, name: str, version: int, description: str) -> ModelVersion:
        doc = {"name": name, "version": str(version), "description": description}
        return self._version(self._call("PATCH", f"{_MV}/update", doc, again=doc))

    def delete_model_version(self, name: str, version: int, user_id: str) -> list[str]:
        aliases = list(self.get_model_version(name, version).aliases)
        self._call("DELETE", f"{_MV}/delete", {"name": name, "version": str(version), "user_id": user_id})
        return sorted(aliases)

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        doc = {"name": name, "version": str(version), "key": key, "value": value}
        self._call("POST", f"{_MV}/set-tag", doc, again=doc)

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        self._call("DELETE", f"{_MV}/delete-tag", {"name": name, "version": str(version), "key": key})

    # -- aliases and history ---------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: int, user_id: str) -> None:
        self._call("POST", f"{_RM}/alias", {"name": name, "alias": alias, "version": str(version), "user_id": user_id})

    def delete_registered_model_alias(self, name: str, alias: str, user_id: str) -> None:
        self._call("DELETE", f"{_RM}/alias", {"name": name, "alias": alias, "user_id": user_id})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self._version(self._call("GET", f"{_RM}/alias", name=name, alias=alias))

    def get_registered_model_events(self, name: str) -> list[ModelEvent]:
        answer = self._call("GET", "/api/autolog/v1/registered-models/events", name=name)
        return [_wire.model_event(e) for e in answer.get("events") or ()]

    def _pages(self, method: str, path: str, field: str, size: int, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = dict(params, max_results=size, **({"page_token": token} if token else {}))
            answer = self._call(method, path, **page)
            found.extend(answer.get(field) or ())
            token = answer.get("next_page_token")
            if not token:
                return found


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")
