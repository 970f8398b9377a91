"""The model registry of the ``memory:`` store: plain dicts behind the store's lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

from autolog.core._clock import now_ms
from autolog.errors import AlreadyExistsError, InvalidInputError
from autolog.core import _messages as msg
from autolog.core._model_entities import EventKind, ModelEvent, ModelVersion, RegisteredModel
from autolog.core._model_store import RegistryStore




@dataclass
class _Model:
    record: RegisteredModel  # without aliases/latest_version: filled in by snapshot()
    next_version: int = 1
    versions: dict[int, ModelVersion] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    events: list[ModelEvent] = field(default_factory=list)


@dataclass
class _State:
    lock: threading.RLock = field(default_factory=threading.RLock)
    models: dict[str, _Model] = field(default_factory=dict)


_init_lock = threading.Lock()


class MemoryRegistry(RegistryStore):
    """Mixed into ``MemoryStore``; state is created on first use."""

    _registry_state: _State

    @property
    def _reg(self) -> _State:
        try:
            return self._registry_state
        except AttributeError:
            with _init_lock:
                if not hasattr(self, "_registry_state"):
                    self._registry_state = _State()
            return self._registry_state

    def _model(self, name: str) -> _Model:
        found = self._reg.models.get(name)
        if found is None:
            raise msg.no_model(name, self._reg.models)
        return found

    def _version(self, name: str, version: int) -> tuple[_Model, ModelVersion]:
        model = self._model(name)
        found = model.versions.get(version)
        if found is None:
            raise msg.no_version(name, version, model.versions)
        return model, found

    @staticmethod
    def _snapshot(model: _Model) -> RegisteredModel:
        return replace(
            model.record,
            tags=dict(model.record.tags),
            aliases=dict(sorted(model.aliases.items())),
            latest_version=max(model.versions) if model.versions else None,
        )

    @staticmethod
    def _with_aliases(model: _Model, version: ModelVersion) -> ModelVersion:
        aliases = tuple(sorted(a for a, v in model.aliases.items() if v == version.version))
        return replace(version, tags=dict(version.tags), aliases=aliases)

    @staticmethod
    def _event(model: _Model, kind: EventKind, user_id: str, **fields: object) -> None:
        model.events.append(ModelEvent(model.record.name, kind, now_ms(), user_id, **fields))  # type: ignore[arg-type]

    def _touch(self, model: _Model, now: int | None = None) -> None:
        model.record = replace(model.record, last_updated_timestamp=now or now_ms())

    # -- registered models ---------------------------------------------------------------
    def create_registered_model(
        self, name: str, description: str, tags: dict[str, str], user_id: str
    ) -> RegisteredModel:
        with self._reg.lock:
            if name in self._reg.models:
                raise AlreadyExistsError(f"a registered model named {name!r} already exists")
            return self._snapshot(self._create(name, description, tags, user_id))

    def _create(self, name: str, description: str, tags: dict[str, str], user_id: str) -> _Model:
        now = now_ms()
        model = _Model(RegisteredModel(name, now, now, description, dict(tags)))
        self._reg.models[name] = model
        self._event(model, "model_created", user_id)
        return model

    def get_registered_model(self, name: str) -> RegisteredModel:
        with self._reg.lock:
            return self._snapshot(self._model(name))

    def list_registered_models(self) -> list[RegisteredModel]:
        with self._reg.lock:
            return [self._snapshot(m) for m in self._reg.models.values()]

    def rename_registered_model(self, name: str, new_name: str, user_id: str) -> RegisteredModel:
        with self._reg.lock:
            model = self._model(name)
            if new_name == name:
                return self._snapshot(model)
            if new_name in self._reg.models:
                raise AlreadyExistsError(f"a registered model named {new_name!r} already exists")
            del self._reg.models[name]
            model.record = replace(model.record, name=new_name)
            model.versions = {n: replace(v, name=new_name) for n, v in model.versions.items()}
            model.events = [replace(e, name=new_name) for e in model.events]
            self._reg.models[new_name] = model
            self._touch(model)
            self._event(model, "model_renamed", user_id, detail=name)
            return self._snapshot(model)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        with self._reg.lock:
            model = self._model(name)
            model.record = replace(model.record, description=description)
            self._touch(model)
            return self._snapshot(model)

    def delete_registered_model(self, name: str) -> None:
        with self._reg.lock:
            self._model(name)
            del self._reg.models[name]

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        with self._reg.lock:
            model = self._model(name)
            model.record.tags[key] = value
            self._touch(model)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        with self._reg.lock:
            model = self._model(name)
            if key not in model.record.tags:
                raise msg.no_tag(f"registered model {name!r}", key, model.record.tags)
            del model.record.tags[key]
            self._touch(model)

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
        with self._reg.lock:
            model = self._reg.models.get(name)
            if model is None:
                if not create_model:
                    raise msg.no_model(name, self._reg.models)
                model = self._create(name, "", {}, user_id)
            if version is not None and version < model.next_version:
                raise msg.version_used(name, version, model.next_version)
            number = model.next_version if version is None else version
            model.next_version = number + 1
            now = now_ms()
            created = ModelVersion(
                name, number, now, now, source, run_id, description, user_id, "READY", dict(tags)
            )
            model.versions[number] = created
            self._touch(model, now)
            self._event(model, "version_created", user_id, version=number)
            return self._with_aliases(model, created)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        with self._reg.lock:
            model, found = self._version(name, version)
            return self._with_aliases(model, found)

    def list_model_versions(self, name: str | None = None) -> list[ModelVersion]:
        with self._reg.lock:
            models = [self._model(name)] if name is not None else list(self._reg.models.values())
            return [self._with_aliases(m, v) for m in models for v in m.versions.values()]

    def update_model_version(self, name: str, version: int, description: str) -> ModelVersion:
        with self._reg.lock:
            model, found = self._version(name, version)
            found = replace(found, description=description, last_updated_timestamp=now_ms())
            model.versions[version] = found
            return self._with_aliases(model, found)

    def delete_model_version(self, name: str, version: int, user_id: str) -> list[str]:
        with self._reg.lock:
            model, _ = self._version(name, version)
            removed = sorted(a for a, v in model.aliases.items() if v == version)
            for alias in removed:
                del model.aliases[alias]
                self._event(model, "alias_deleted", user_id, alias=alias, previous_version=version)
            del model.versions[version]
            self._touch(model)
            self._event(model, "version_deleted", user_id, version=version)
            return removed

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        with self._reg.lock:
            model, found = self._version(name, version)
            model.versions[version] = replace(found, tags={**found.tags, key: value})

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        with self._reg.lock:
            model, found = self._version(name, version)
            if key not in found.tags:
                raise msg.no_tag(f"version {version} of {name!r}", key, found.tags)
            model.versions[version] = replace(
                found, tags={k: v for k, v in found.tags.items() if k != key}
            )

    # -- aliases and history ---------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: int, user_id: str) -> None:
        with self._reg.lock:
            model, _ = self._version(name, version)
            previous = model.aliases.get(alias)
            model.aliases[alias] = version
            self._touch(model)
            self._event(
                model, "alias_set", user_id, alias=alias, version=version, previous_version=previous
            )

    def delete_registered_model_alias(self, name: str, alias: str, user_id: str) -> None:
        with self._reg.lock:
            model = self._model(name)
            if alias not in model.aliases:
                raise msg.no_alias(name, alias, model.aliases)
            previous = model.aliases.pop(alias)
            self._touch(model)
            self._event(model, "alias_deleted", user_id, alias=alias, previous_version=previous)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        with self._reg.lock:
            model = self._model(name)
            if alias not in model.aliases:
                raise msg.no_alias(name, alias, model.aliases)
            return self._with_aliases(model, model.versions[model.aliases[alias]])

    def get_registered_model_events(self, name: str) -> list[ModelEvent]:
        with self._reg.lock:
            return list(self._model(name).events)
