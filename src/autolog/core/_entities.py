"""The tracking entities: frozen dataclasses shared by every layer.

Times are milliseconds since the epoch (ints), like MLflow. ``RunData.metrics`` holds each
metric's latest value (highest step, then latest timestamp); the whole history comes from
``Client.get_metric_history``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class RunStatus(str, enum.Enum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @property
    def is_terminated(self) -> bool:
        return self not in (RunStatus.RUNNING, RunStatus.SCHEDULED)


class LifecycleStage(str, enum.Enum):
    ACTIVE = "active"
    DELETED = "deleted"


class ViewType(str, enum.Enum):
    """Which runs/experiments a search returns (MLflow's ``run_view_type``)."""

    ACTIVE_ONLY = "active"
    DELETED_ONLY = "deleted"
    ALL = "all"

    @classmethod
    def coerce(cls, value: "ViewType | str | int") -> "ViewType":
        if isinstance(value, ViewType):
            return value
        # MLflow users pass ViewType.ACTIVE_ONLY == 1, DELETED_ONLY == 2, ALL == 3
        ints = {1: cls.ACTIVE_ONLY, 2: cls.DELETED_ONLY, 3: cls.ALL}
        if isinstance(value, int) and value in ints:
            return ints[value]
        text = str(value).strip().lower().replace("_only", "")
        for member in cls:
            if text in (member.value, member.name.lower()):
                return member
        raise ValueError(
            f"run_view_type must be one of 'active', 'deleted', 'all' (got {value!r})"
        )


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int = 0


@dataclass(frozen=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: RunStatus
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    parent_run_id: str | None = None

    @property
    def run_uuid(self) -> str:  # MLflow's older name, still in people's code
        return self.run_id


@dataclass(frozen=True)
class RunData:
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    info: RunInfo
    data: RunData

    def to_dict(self) -> dict[str, Any]:
        """A flat dict with MLflow's DataFrame column names (``metrics.x``, ``params.y``...)."""
        row: dict[str, Any] = {
            "run_id": self.info.run_id,
            "experiment_id": self.info.experiment_id,
            "status": self.info.status.value,
            "artifact_uri": self.info.artifact_uri,
            "start_time": self.info.start_time,
            "end_time": self.info.end_time,
            "run_name": self.info.run_name,
            "user_id": self.info.user_id,
            "parent_run_id": self.info.parent_run_id,
            "lifecycle_stage": self.info.lifecycle_stage.value,
        }
        row.update({f"metrics.{k}": v for k, v in self.data.metrics.items()})
        row.update({f"params.{k}": v for k, v in self.data.params.items()})
        row.update({f"tags.{k}": v for k, v in self.data.tags.items()})
        return row


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


@dataclass(frozen=True)
class FileInfo:
    """One entry of ``list_artifacts``: a path relative to the run's artifact root."""

    path: str
    is_dir: bool
    file_size: int | None = None


class PagedList(list):  # type: ignore[type-arg]
    """A page of results; ``token`` fetches the next page (None on the last one)."""

    def __init__(self, items: Any = (), token: str | None = None) -> None:
        super().__init__(items)
        self.token = token


@dataclass(frozen=True)
class LoggedModel:
    """A model logged in an experiment, apart from any run (MLflow 3's "logged model").

    MLflow 3's clients create one per ``log_model`` call and upload its files under
    ``artifact_location``; ``status`` goes from PENDING to READY (or FAILED) when the upload
    is done. ``source_run_id`` names the run that logged it, if any.
    """

    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    status: str = "PENDING"
    source_run_id: str | None = None
    model_type: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
