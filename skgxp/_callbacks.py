"""Callbacks of the DeepGXP recipe."""

import math

from skorch.callbacks import Callback


def completed_steps(history):
    """Optimizer steps of every completed epoch in a skorch history."""
    return sum(row.get("train_batch_count", 0) for row in history)


class CosinePerBatch(Callback):
    """Cosine annealing stepped every batch, from ``lr`` to 0 over the whole fit.

    The number of steps is computed when training starts, from this fit's
    training rows, batch size and ``max_epochs`` (as BHI's
    ``CosineAnnealingLR(T_max=len(train_loader) * epochs)``), so it is right for
    every cross-validation fold. The learning rate of each batch is recorded in
    the batch history as ``"lr"``; after the last batch the optimizer's learning
    rate is 0. The position is read off the history (completed steps modulo the
    steps of one schedule), so a fit resumed from a checkpoint continues the
    same curve and a warm-started fit of another ``max_epochs`` starts a new one.

    Parameters
    ----------
    eta_min : float, default=0.0
        Final learning rate.
    """

    def __init__(self, eta_min=0.0):
        self.eta_min = eta_min

    def initialize(self):
        self.total_steps_ = None
        self.step_ = 0
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.total_steps_ = None

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if self.total_steps_ is None:
            batches = len(net.get_iterator(dataset_train, training=True))
            self.total_steps_ = max(batches * net.max_epochs, 1)
            self.step_ = completed_steps(net.history) % self.total_steps_
            self._set_lr(net)

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            net.history.record_batch("lr", self._set_lr(net))

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.step_ += 1
            self._set_lr(net)

    def lr_at(self, base_lr, step):
        """Learning rate after ``step`` optimizer steps."""
        progress = min(step / self.total_steps_, 1.0)
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * progress)) / 2

    def _set_lr(self, net):
        lr = self.lr_at(net.lr, self.step_)
        for group in net.optimizer_.param_groups:
            group["lr"] = lr
        return lr
