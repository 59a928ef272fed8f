"""The learning-rate schedule of the recipe: cosine annealing stepped every batch."""

import math
from numbers import Integral

from skorch.callbacks import Callback


def completed_steps(epochs):
    """Optimizer steps of the completed epochs among skorch history rows ``epochs``."""
    return sum(row.get("train_batch_count", 0) for row in epochs)


class CosinePerBatch(Callback):
    """Cosine annealing stepped every batch, from ``lr`` to ``eta_min`` over one fit.

    Every call to ``fit`` (also a warm-started one) and every call to
    ``partial_fit`` runs one whole schedule over its own ``max_epochs``: the
    number of steps is computed when its training starts, from this call's
    training rows, batch size and ``max_epochs`` (as BHI's
    ``CosineAnnealingLR(T_max=len(train_loader) * epochs)``), so it is right for
    every cross-validation fold. A fit resumed from a
    :class:`~skgxp.callbacks.TrainingCheckpoint` continues the curve of the
    interrupted fit. The learning rate of each batch is recorded in the batch
    history as ``"lr"``; after the last batch the optimizer's learning rate is
    ``eta_min``.

    With ``warmup_steps=k > 0`` the first ``k`` steps rise linearly from
    ``lr / k`` to ``lr`` and the cosine anneals over the remaining steps; a
    warm-up longer than half the fit is cut to half, so that the schedule
    still ends at ``eta_min``. BHI's recipe has no warm-up (``warmup_steps=0``).

    Parameters
    ----------
    eta_min : float, default=0.0
        Final learning rate.
    warmup_steps : int, default=0
        Steps of linear warm-up at the start of each fit.

    Examples
    --------
    >>> from skgxp.callbacks import CosinePerBatch
    >>> schedule = CosinePerBatch(warmup_steps=2).initialize()
    >>> schedule.total_steps_ = 6
    >>> [round(schedule.lr_at(1.0, step), 3) for step in range(7)]
    [0.5, 1.0, 1.0, 0.854, 0.5, 0.146, 0.0]
    """

    def __init__(self, eta_min=0.0, warmup_steps=0):
        self.eta_min = eta_min
        self.warmup_steps = warmup_steps

    def initialize(self):
        w = self.warmup_steps
        if not isinstance(w, Integral) or isinstance(w, bool) or w < 0:
            raise ValueError(f"warmup_steps must be an int >= 0; got {w!r}.")
        self.total_steps_ = None
        self.step_ = 0
        self.start_epoch_ = None
        self.epochs_ = None
        return self

    def begin_schedule(self, start_epoch, epochs):
        """Make the coming training call's schedule span ``epochs`` from ``start_epoch``.

        :meth:`DeepGXPRegressor.fit` calls it so that a resumed fit counts
        the restored epochs of its own schedule, and ``partial_fit`` so that
        its ``epochs`` argument sets the length; without the call, the
        schedule starts with the training call's first epoch and spans
        ``max_epochs``.
        """
        self.start_epoch_ = start_epoch
        self.epochs_ = epochs

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.total_steps_ = None
        if self.start_epoch_ is None:
            self.start_epoch_ = len(net.history)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.start_epoch_ = self.epochs_ = None

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if self.total_steps_ is None:
            batches = len(net.get_iterator(dataset_train, training=True))
            self.total_steps_ = max(batches * (self.epochs_ or net.max_epochs), 1)
            self.step_ = completed_steps(list(net.history)[self.start_epoch_:])
            self._set_lr(net)

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            net.history.record_batch("lr", self._set_lr(net))

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.step_ += 1
            self._set_lr(net)

    def lr_at(self, base_lr, step):
        """Learning rate of step ``step`` (0-based) of this schedule."""
        warmup = min(self.warmup_steps, self.total_steps_ // 2)
        if step < warmup:
            return base_lr * (step + 1) / warmup
        span = max(self.total_steps_ - warmup, 1)
        progress = min((step - warmup) / span, 1.0)
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * progress)) / 2

    def _set_lr(self, net):
        lr = self.lr_at(net.lr, self.step_)
        for group in net.optimizer_.param_groups:
            group["lr"] = lr
        return lr
