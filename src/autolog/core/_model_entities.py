"""The registry's records: registered models, their versions, and the history of changes.

All are frozen dataclasses, like the tracking entities; stores build them, callers read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: what a registry event records
EventKind = Literal[
    "model_created",
    "model_renamed",
    "version_created",
    "version_deleted",
    "alias_set",
    "alias_deleted",
]


@dataclass(frozen=True)
class ModelVersion:
    """One numbered version of a registered model; ``source`` is the model URI it points at."""

    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    source: str
    run_id: str | None = None
    description: str = ""
    user_id: str = ""
    status: str = "READY"
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    @property
    def model_uri(self) -> str:
        """``models:/<name>/<version>``: the URI that loads exactly this version."""
        return f"models:/{self.name}/{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "creation_timestamp": self.creation_timestamp,
            "last_updated_timestamp": self.last_updated_timestamp,
            "source": self.source,
            "run_id": self.run_id,
            "description": self.description,
            "user_id": self.user_id,
            "status": self.status,
            "tags": dict(self.tags),
            "aliases": list(self.aliases),
        }


@dataclass(frozen=True)
class RegisteredModel:
    """A model name with its versions' summary: aliases (alias -> version) and the latest."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    #: the highest existing version number, None when every version was deleted
    latest_version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "creation_timestamp": self.creation_timestamp,
            "last_updated_timestamp": self.last_updated_timestamp,
            "description": self.description,
            "tags": dict(self.tags),
            "aliases": dict(self.aliases),
            "latest_version": self.latest_version,
        }


@dataclass(frozen=True)
class ModelEvent:
    """One change in a registered model's history: who did what, when.

    ``version`` is the version created/deleted or the one an alias now points at;
    ``previous_version`` is where the alias pointed before (None if it is new); for a rename,
    ``alias`` is unused and ``detail`` holds the old name.
    """

    name: str
    kind: EventKind
    timestamp: int
    user_id: str
    version: int | None = None
    alias: str | None = None
    previous_version: int | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "timestamp": self.timestamp,
            "user_id": self.user_id,
            "version": self.version,
            "alias": self.alias,
            "previous_version": self.previous_version,
            "detail": self.detail,
        }
