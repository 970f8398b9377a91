"""``LoggedModelStore``: MLflow 3's logged models, the part of a tracking store that keeps them.

Like ``RegistryStore``, a plain base class mixed into the built-in stores; a third-party Store
without it still works for everything else. Listing returns every model of the experiments
asked for; callers filter and page them (an experiment holds tens or hundreds of models, not
millions), the same way for every backend.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from autolog.errors import InvalidInputError, StoreError
from autolog.core._entities import LoggedModel

#: the states a logged model moves through
STATUSES = ("PENDING", "READY", "FAILED")
_MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise InvalidInputError(f"a logged model's status is one of {', '.join(STATUSES)}, got {status!r}")
    return status


def check_model_id(model_id: object) -> str:
    if not isinstance(model_id, str) or not _MODEL_ID.match(model_id):
        from autolog.errors import NotFoundError

        raise NotFoundError(f"no logged model with id {model_id!r} (ids look like m-<32 hex digits>)")
    return model_id


def clean_pairs(items: dict[str, Any] | None, what: str) -> dict[str, str]:
    """Tags or params checked by the tracking key/value rules."""
    from autolog.core import _rules as check

    return {check.check_key(k, f"{what} key"): check.tag_value(k, v) for k, v in (items or {}).items()}


def model_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 500:
        raise InvalidInputError(
            f"a logged model's name must be a non-empty string of at most 500 characters, got {name!r}"
        )
    return name


class LoggedModelStore:
    """Create, read, finalize, tag and delete logged models."""

    def _no_logged_models(self) -> StoreError:
        return StoreError(f"the tracking store {type(self).__name__} does not keep logged models")

    def create_logged_model(
        self,
        experiment_id: str,
        name: str,
        source_run_id: str | None = None,
        model_type: str | None = None,
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> LoggedModel:
        """A new PENDING model with id ``m-<32 hex>``, its files under the experiment's
        artifact location at ``models/<model_id>/artifacts``."""
        raise self._no_logged_models()

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """NotFoundError if unknown (or deleted)."""
        raise self._no_logged_models()

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        """Set the model's status (READY or FAILED once its files are uploaded)."""
        raise self._no_logged_models()

    def set_logged_model_tags(self, model_id: str, tags: dict[str, str]) -> None:
        raise self._no_logged_models()

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """NotFoundError if the model has no such tag."""
        raise self._no_logged_models()

    def delete_logged_model(self, model_id: str) -> None:
        """The model is gone from reads and searches; its files stay where they are."""
        raise self._no_logged_models()

    def list_logged_models(self, experiment_ids: Sequence[str]) -> list[LoggedModel]:
        """Every model of these experiments, oldest first."""
        raise self._no_logged_models()
