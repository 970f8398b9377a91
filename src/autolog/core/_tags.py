"""System tag names, written when a run starts. Users may read them; they should not set them."""

from __future__ import annotations

from typing import Final

RUN_NAME: Final = "autolog.runName"
PARENT_RUN_ID: Final = "autolog.parentRunId"
USER: Final = "autolog.user"
SOURCE_NAME: Final = "autolog.source.name"  # the script or notebook that ran
ENTRY_POINT: Final = "autolog.source.entry_point"  # the command line that started it
GIT_COMMIT: Final = "autolog.source.git.commit"
GIT_DIRTY: Final = "autolog.source.git.dirty"  # "true" / "false"
HOST: Final = "autolog.host"
PID: Final = "autolog.pid"
PYTHON_VERSION: Final = "autolog.python_version"
AUTOLOG_VERSION: Final = "autolog.version"
NOTE: Final = "autolog.note.content"  # the run's description, as MLflow keeps it
LOGGED_MODELS: Final = "autolog.log-model.history"
AUTOLOG_FLAVOR: Final = "autolog.autologging"  # which flavor's autolog made this run

# project runs (autolog run, autolog.projects)
SOURCE_TYPE: Final = "autolog.source.type"  # "PROJECT"
GIT_REPO_URL: Final = "autolog.source.git.repoURL"  # a project fetched from a git URL
GIT_BRANCH: Final = "autolog.source.git.branch"  # when --version named a branch
PROJECT_NAME: Final = "autolog.project.name"
PROJECT_ENTRY_POINT: Final = "autolog.project.entryPoint"
PROJECT_VERSION: Final = "autolog.project.version"  # --version as given
PROJECT_BACKEND: Final = "autolog.project.backend"
PROJECT_ENV: Final = "autolog.project.env"  # the environment manager
