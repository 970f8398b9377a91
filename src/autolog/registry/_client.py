"""``RegistryClient``: the registry methods of ``autolog.Client`` (mixed into it).

Arguments are validated here, once, before the store sees them; stores do each change and
its history event in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autolog.errors import InvalidInputError, NotFoundError
from autolog.core import _model_rules as check
from autolog.core import _rules

if TYPE_CHECKING:
    from autolog.core._model_entities import ModelEvent, ModelVersion, RegisteredModel
    from autolog.core._model_store import RegistryStore
    from autolog.core._store import Store

def _tags(tags: dict[str, Any] | None) -> dict[str, str]:
    return {
        _rules.check_key(k, "tag key"): _rules.tag_value(k, v)
        for k, v in (tags or {}).items()
    }


def run_id_of(source: str) -> str | None:
    """The run id in a ``runs:/<run_id>/<path>`` URI, else None."""
    if not source.startswith("runs:"):
        return None
    run_id = source[len("runs:") :].lstrip("/").partition("/")[0]
    return run_id or None


class RegistryClient:
    """Registered models, versions, aliases and their history (MLflow's client names)."""

    @property
    def store(self) -> Store:  # provided by Client
        raise NotImplementedError

    def _user(self) -> str:
        """Who makes a change, for the model's history (provided by Client)."""
        raise NotImplementedError

    @property
    def _registry(self) -> RegistryStore:
        from autolog.core._model_store import RegistryStore

        store = self.store
        if not isinstance(store, RegistryStore):
            raise RegistryStore._unsupported(store)  # type: ignore[arg-type]
        return store

    # -- registered models ---------------------------------------------------------------
    def create_registered_model(
        self, name: str, tags: dict[str, Any] | None = None, description: str | None = None
    ) -> RegisteredModel:
        """Create an empty registered model; a name in use raises InvalidInputError."""
        return self._registry.create_registered_model(
            check.model_name(name), check.text(description, "description"), _tags(tags), self._user()
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The registered model with its tags, aliases and latest version number."""
        return self._registry.get_registered_model(check.model_name(name))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; its versions, aliases and history follow. Old URIs stop working."""
        return self._registry.rename_registered_model(
            check.model_name(name), check.model_name(new_name), self._user()
        )

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        """Replace the model's description."""
        return self._registry.update_registered_model(
            check.model_name(name), check.text(description, "description")
        )

    def delete_registered_model(self, name: str) -> None:
        """Delete the model with all its versions, aliases, tags and history (model files stay)."""
        self._registry.delete_registered_model(check.model_name(name))

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set (or replace) one tag on a registered model."""
        (key, text), = _tags({key: value}).items()
        self._registry.set_registered_model_tag(check.model_name(name), key, text)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove one tag; NotFoundError listing the tags if it is not set."""
        self._registry.delete_registered_model_tag(check.model_name(name), key)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
    ) -> list[RegisteredModel]:
        """Registered models matching a filter such as ``"name LIKE 'fraud%' AND tags.team = 'risk'"``.

        Attributes: name, description, creation_timestamp, last_updated_timestamp; tags.<key>.
        Default order: by name.
        """
        from autolog.registry import _search

        node = _search.parse_filter(filter_string)
        keys = _search.parse_order_by(order_by)
        found = _search.select(self._registry.list_registered_models(), node, keys, _search.MODEL_ORDER)
        return found[: _max(max_results)]

    def _source(self, source: Any) -> tuple[str, str | None]:
        """Check a model URI given as a version's source; models:/ URIs are resolved first."""
        import os

        if isinstance(source, os.PathLike):
            source = os.fspath(source)
        if not isinstance(source, str) or not source.strip():
            raise InvalidInputError(f"a model source must be a non-empty model URI or path, got {source!r}")
        if source.startswith("models:"):
            version = self.get_model_version_by_uri(source)
            return version.source, version.run_id
        from autolog.store._by_uri import uri_scheme

        if uri_scheme(source) == "file":
            path = os.path.abspath(os.path.expanduser(source.removeprefix("file://")))
            if not os.path.isdir(path):
                raise InvalidInputError(
                    f"model source {source!r} is not a directory; pass the model directory "
                    "save_model wrote, or a runs:/<run_id>/<path> URI"
                )
            return path, None
        return source, run_id_of(source)

    def get_model_version_by_uri(self, uri: str) -> ModelVersion:
        """The version a ``models:/<name>/<version>``, ``models:/<name>@<alias>`` or
        ``models:/<name>/latest`` URI names (NotFoundError listing what exists)."""
        from autolog.registry._uri import parse

        parsed = parse(uri)
        if parsed.alias is not None:
            return self.get_model_version_by_alias(parsed.name, parsed.alias)
        if parsed.latest:
            return self.get_latest_version(parsed.name)
        assert parsed.version is not None
        return self.get_model_version(parsed.name, parsed.version)

    def _register(self, model_uri: str, name: str, tags: dict[str, Any] | None) -> ModelVersion:
        """The next version of ``name`` for ``model_uri``, creating the model when new."""
        name = check.model_name(name)
        source, run_id = self._source(model_uri)
        if run_id is not None:
            self._check_run(run_id)  # an unknown run fails here, before anything is written
        return self._registry.create_model_version(
            name, source, run_id, _tags(tags), "", self._user(), create_model=True
        )

    def _check_run(self, run_id: str) -> None:
        """NotFoundError when the tracking store has no run ``run_id`` (provided by Client)."""
        raise NotImplementedError

    # -- versions -------------------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        description: str | None = None,
    ) -> ModelVersion:
        """A new version of an existing registered model pointing at the model URI ``source``.

        Versions count 1, 2, 3, ... per name, safely across processes.
        """
        source, found_run = self._source(source)
        return self._registry.create_model_version(
            check.model_name(name), source, run_id or found_run, _tags(tags),
            check.text(description, "description"), self._user(), create_model=False,
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """One version; NotFoundError listing the existing versions if unknown."""
        return self._registry.get_model_version(check.model_name(name), check.version(version))

    def get_latest_version(self, name: str) -> ModelVersion:
        """The highest-numbered existing version of a model."""
        name = check.model_name(name)
        model = self._registry.get_registered_model(name)
        if model.latest_version is None:
            raise NotFoundError(f"registered model {name!r} has no versions yet; register one first")
        return self._registry.get_model_version(name, model.latest_version)

    def get_latest_versions(self, name: str) -> list[ModelVersion]:
        """``[get_latest_version(name)]``, or [] when the model has no versions (MLflow's name)."""
        try:
            return [self.get_latest_version(name)]
        except NotFoundError:
            self.get_registered_model(name)  # an unknown name still raises
            return []

    def update_model_version(self, name: str, version: int | str, description: str) -> ModelVersion:
        """Replace a version's description."""
        return self._registry.update_model_version(
            check.model_name(name), check.version(version), check.text(description, "description")
        )

    def delete_model_version(self, name: str, version: int | str) -> list[str]:
        """Delete a version. Aliases pointing at it are removed too: returns them, and logs a
        warning on the ``autolog.registry`` logger naming them."""
        name, number = check.model_name(name), check.version(version)
        removed = self._registry.delete_model_version(name, number, self._user())
        if removed:
            import logging

            logging.getLogger("autolog.registry").warning(
                "deleted version %d of %r and the aliases that pointed at it: %s",
                number, name, ", ".join(removed),
            )
        return removed

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: Any) -> None:
        """Set (or replace) one tag on a model version."""
        (key, text), = _tags({key: value}).items()
        self._registry.set_model_version_tag(check.model_name(name), check.version(version), key, text)

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        """Remove one tag of a model version."""
        self._registry.delete_model_version_tag(check.model_name(name), check.version(version), key)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int = 10_000,
    ) -> list[ModelVersion]:
        """Versions matching a filter such as ``"name = 'fraud' AND version >= 3"`` or
        ``"run_id = '...'"``. Attributes: name, version, run_id, source, user_id, status,
        description, creation_timestamp, last_updated_timestamp; tags.<key>. Default order:
        name, then newest version first."""
        from autolog.registry import _search

        node = _search.parse_filter(filter_string, versions=True)
        keys = _search.parse_order_by(order_by, versions=True)
        found = _search.select(self._registry.list_model_versions(), node, keys, _search.VERSION_ORDER)
        return found[: _max(max_results)]

    # -- aliases and history ---------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        """Point ``alias`` (e.g. 'champion') at a version, moving it if it pointed elsewhere.

        Aliases that read like versions ('v3', '3', 'latest') are refused.
        """
        self._registry.set_registered_model_alias(
            check.model_name(name), check.alias(alias), check.version(version), self._user()
        )

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias; NotFoundError listing the aliases if it does not exist."""
        self._registry.delete_registered_model_alias(check.model_name(name), alias, self._user())

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at."""
        return self._registry.get_model_version_by_alias(check.model_name(name), alias)

    def get_registered_model_events(self, name: str) -> list[ModelEvent]:
        """The model's history, oldest first: creation, versions created or deleted, every
        alias set, moved or removed, renames; each with its time (ms) and user."""
        return self._registry.get_registered_model_events(check.model_name(name))


def _max(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"max_results must be a positive integer, got {value!r}")
    return value

