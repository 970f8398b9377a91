"""Loss values, summed where they were computed and read once.

``RunningMean.add`` is what runs per training step: one detach and one in-place add on the
loss's own device, no ``.item()`` and no host/device synchronisation. ``value()`` reads the
sum once (one ``.item()``), at the end of an epoch or of the run.
"""

from __future__ import annotations

from typing import Any

#: the ``torch.nn.functional`` losses that are watched (the ``nn.*Loss`` modules call these
#: too, and are also watched as a whole through ``_Loss.__call__``)
LOSS_FUNCTIONS = (
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "ctc_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
)


class RunningMean:
    """The mean of loss tensors, accumulated on their device."""

    __slots__ = ("count", "total")

    def __init__(self) -> None:
        self.total: Any = None
        self.count = 0

    def add(self, loss: Any) -> None:
        detach = getattr(loss, "detach", None)
        if detach is None:  # not a tensor (a custom loss returning something else)
            return
        value = detach()
        if value.dim():  # reduction="none": one value per sample; the call counts once
            value = value.mean()
        total = self.total
        if total is None:
            import torch

            # a copy: adding in place into the caller's own loss tensor would change it
            self.total = value.to(torch.float32, copy=True)
        else:
            try:
                # no device comparison per step: reading .device builds an object each time
                total.add_(value)
            except RuntimeError:  # the loss moved devices mid-pass (rare): sum where it started
                total.add_(value.to(total.device))
        self.count += 1

    def value(self) -> float | None:
        """The mean (one ``.item()``), or None when nothing was added."""
        if not self.count:
            return None
        return float(self.total.item()) / self.count
