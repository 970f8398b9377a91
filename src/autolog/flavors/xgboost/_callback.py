"""The callback ``xgboost.train`` gets from autolog. Imported only once xgboost is.

It keeps a reference to the evals log that xgboost maintains anyway: per boosting round it
does one attribute assignment, and the whole history is read once, after training. Before
training it notes how many rounds the booster already has, which is where the log starts when
training continues a model (``xgb_model=...``).
"""

from __future__ import annotations

from typing import Any

from xgboost.callback import TrainingCallback


class HistoryKeeper(TrainingCallback):
    """Remembers xgboost's own evals log (``{eval name: {metric: [values]}}``)."""

    def __init__(self) -> None:
        super().__init__()
        self.history: Any = None
        #: boosting rounds the booster had before this training (training continuation)
        self.start = 0

    def before_training(self, model: Any) -> Any:
        self.start = model.num_boosted_rounds()
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self.history = evals_log
        return False  # never asks training to stop
