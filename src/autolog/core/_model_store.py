"""``RegistryStore``: the registry half of a tracking store.

A plain base class, not abstract: a third-party Store that does not mix it in still works for
tracking, and ``Client`` tells the user its store has no registry. The built-in stores mix in
an implementation (``autolog.store.sql._registry``, ``autolog.store._memory_registry``).

Stores take already-validated arguments (``autolog.core._model_rules``) and do each change,
with its history event, in one transaction. Filters and ordering are applied by the caller
(``autolog.registry._search``) on the lists ``list_registered_models``/``list_model_versions``
return.
"""

from __future__ import annotations

from autolog.errors import StoreError
from autolog.core._model_entities import ModelEvent, ModelVersion, RegisteredModel


class RegistryStore:
    """Registered models, versions, tags, aliases and their event history."""

    def _unsupported(self) -> StoreError:
        return StoreError(
            f"the tracking store {type(self).__name__} has no model registry; use a SQL "
            "(sqlite:///, postgresql://, a directory) or memory: tracking URI"
        )

    # -- registered models ---------------------------------------------------------------
    def create_registered_model(
        self, name: str, description: str, tags: dict[str, str], user_id: str
    ) -> RegisteredModel:
        """A new registered model; InvalidInputError if the name is taken."""
        raise self._unsupported()

    def get_registered_model(self, name: str) -> RegisteredModel:
        """NotFoundError listing the existing names if unknown."""
        raise self._unsupported()

    def list_registered_models(self) -> list[RegisteredModel]:
        raise self._unsupported()

    def rename_registered_model(self, name: str, new_name: str, user_id: str) -> RegisteredModel:
        raise self._unsupported()

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        raise self._unsupported()

    def delete_registered_model(self, name: str) -> None:
        """Removes the model, its versions, aliases, tags and history."""
        raise self._unsupported()

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        raise self._unsupported()

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        raise self._unsupported()

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
        """The next version number of ``name`` (1, 2, ...), atomically, even across processes.

        ``create_model`` creates the registered model when it does not exist yet; otherwise
        an unknown name is a NotFoundError. Numbers of deleted versions are never reused.
        ``version`` asks for that number instead (an imported version keeps its number): it
        must be higher than every number the model has used (InvalidInputError otherwise),
        and the numbers in between are skipped as if deleted.
        """
        raise self._unsupported()

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        raise self._unsupported()

    def list_model_versions(self, name: str | None = None) -> list[ModelVersion]:
        """Every version (of one model when ``name`` is given)."""
        raise self._unsupported()

    def update_model_version(self, name: str, version: int, description: str) -> ModelVersion:
        raise self._unsupported()

    def delete_model_version(self, name: str, version: int, user_id: str) -> list[str]:
        """Delete a version and the aliases pointing at it; returns those aliases."""
        raise self._unsupported()

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        raise self._unsupported()

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        raise self._unsupported()

    # -- aliases and history ---------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: int, user_id: str) -> None:
        raise self._unsupported()

    def delete_registered_model_alias(self, name: str, alias: str, user_id: str) -> None:
        raise self._unsupported()

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        raise self._unsupported()

    def get_registered_model_events(self, name: str) -> list[ModelEvent]:
        """The model's history, oldest first."""
        raise self._unsupported()
