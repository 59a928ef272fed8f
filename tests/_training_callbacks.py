"""Callbacks the checkpoint and resume tests share: a simulated crash, an epoch counter."""

from skorch.callbacks import Callback


class Crash(Callback):
    """Raise at the end of an epoch, after the checkpoint of that epoch is written."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise RuntimeError("simulated crash")


class CountEpochs(Callback):
    """Count the epochs this fit ran (a resumed fit runs only the rest)."""

    def initialize(self):
        self.epochs_ = 0
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.epochs_ += 1
