"""Resumable training: the checkpoint callback and the loop of attempts of a fit.

A fit is one or more *attempts*: the convergence monitor may abandon one and
ask for a fresh start with a derived seed. The first attempt of a fit may
resume from a :class:`TrainingCheckpoint` of the same fit.
"""

from pathlib import Path

import numpy as np

from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.history import History

from ._checkpoint import (
    fingerprint_mismatch,
    fit_directory,
    read_checkpoint,
    rng_state,
    set_rng_state,
    training_fingerprint,
    write_checkpoint,
)
from ._convergence import ConvergenceMonitor, RestartTraining
from ._jsonio import ModelFileError, canonical, plain_json
from ._schedule import CosinePerBatch


def fit_attempts(net, X, y, data, fit_params):
    """Train ``net`` for one fit: resume, restart on request, never on a warm start.

    ``X`` and ``y`` identify the fit's checkpoint (the validated arrays; ``y``
    with the sample weights beside it, if any); ``data`` is the ``(X, y)``
    skorch trains on (the arrays, or a weighted dataset and None).
    """
    net.restarts_ = []
    while True:
        restarted = bool(net.restarts_)
        net._seed(attempt=len(net.restarts_))
        fresh = restarted or not net.warm_start or not net.initialized_
        start_epoch = 0 if fresh else len(net.history)
        if fresh:
            net.initialize()
        done = 0
        for _, cb in net.callbacks_:
            if isinstance(cb, TrainingCheckpoint):
                # Never resume on a restart: the checkpoint is the abandoned attempt's.
                done = cb.restore(net, X, y, resume=fresh and not restarted)
        begin_training(net, start_epoch, fresh, net.max_epochs)
        try:
            NeuralNet.partial_fit(net, *data, epochs=max(net.max_epochs - done, 0),
                                  _routing_method="fit", **fit_params)
        except RestartTraining as restart:
            net.restarts_.append(
                {k: v for k, v in restart.record.items() if k != "message"})
            continue
        return net


def begin_training(net, start_epoch, fresh, epochs):
    """Tell the schedule and the monitor where this training call's epochs begin.

    ``epochs`` is the length of the schedule, counted from ``start_epoch``.
    """
    for _, cb in net.callbacks_:
        if isinstance(cb, CosinePerBatch):
            cb.begin_schedule(start_epoch, epochs)
        elif isinstance(cb, ConvergenceMonitor):
            cb.begin_attempt(start_epoch, fresh)


class TrainingCheckpoint(Callback):
    """Save everything needed to resume training at the end of every epoch.

    Writes ``training_checkpoint.pt`` in a subdirectory of ``dirname`` named
    after the fit (a digest of its data and training parameters, see
    ``per_fit``) through a temporary file and :func:`os.replace`, so a
    process killed at any moment leaves the previous complete checkpoint:
    network weights, optimizer state, history, the states of the torch,
    numpy, ``random`` (and CUDA) generators, ``target_scale_``,
    ``restarts_``, the epoch count and a fingerprint of the data and training
    parameters. Read back with ``torch.load(..., weights_only=True)``.

    When :meth:`DeepGXPRegressor.fit` starts and this directory holds a
    checkpoint with the same fingerprint, it restores all of it and trains
    only the remaining epochs: the total number of optimizer steps, the
    learning-rate schedule and (on the CPU) the final weights equal those of
    an uninterrupted fit. At most the epoch in progress is lost. A finished
    checkpoint makes ``fit`` train 0 more epochs. Place this callback after
    scoring callbacks so their scores are in the saved history.
    ``partial_fit`` writes checkpoints (in the subdirectory of the data of
    that call) but does not resume from them. Other callbacks' own state
    (e.g. ``EarlyStopping``'s patience counter) is not saved.

    Clones share ``dirname`` (``GridSearchCV``, ``cross_validate``): each of
    their fits has other data or parameters, hence its own subdirectory, so
    folds and grid points fitted side by side, in processes or on other
    machines of a shared file system, never write the same file. A fit
    identical to one that is running (same data, parameters and seed) would
    write the same file: run it once.

    Parameters
    ----------
    dirname : str or path-like
        Directory of the checkpoints; created when first written.
    resume : bool, default=True
        Resume from an existing checkpoint in ``fit``; False ignores and
        overwrites it.
    per_fit : bool, default=True
        Write in ``dirname/<digest>/``, the digest naming the fit's data and
        training parameters: a fit with other ones starts afresh in its own
        subdirectory. False writes ``dirname/training_checkpoint.pt`` for a
        directory that serves one fit only; a checkpoint there of a different
        fit then raises a ValueError rather than being overwritten.

    Attributes
    ----------
    fingerprint_ : dict or None
        What identifies the fit being trained (hashes of ``X`` and ``y``, the
        training parameters); None until ``fit`` has seen the data.

    Examples
    --------
    >>> import tempfile
    >>> from skgxp import DeepGXPRegressor, PromoterEncoder
    >>> from skgxp.callbacks import TrainingCheckpoint
    >>> from skgxp.datasets import load_dream_demo
    >>> X, y = load_dream_demo(return_X_y=True)
    >>> codes = PromoterEncoder().transform(X[:128])
    >>> tiny = dict(module__conv1_channels=4, module__lstm_hidden_size=4,
    ...             module__conv2_channels=4, module__fc_size=4)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     net = DeepGXPRegressor(max_epochs=2, batch_size=64, verbose=0, **tiny,
    ...                            callbacks=[TrainingCheckpoint(d)])
    ...     timings = net.fit(codes, y[:128]).history[:, "dur"]
    ...     # a rerun restores the finished checkpoint and trains 0 more epochs
    ...     net.fit(codes, y[:128]).history[:, "dur"] == timings
    True
    """

    filename = "training_checkpoint.pt"

    def __init__(self, dirname, resume=True, per_fit=True):
        self.dirname = dirname
        self.resume = resume
        self.per_fit = per_fit

    def initialize(self):
        self.fingerprint_ = None
        self.pending_rng_ = None
        return self

    @property
    def path(self):
        """Path of the checkpoint file; with ``per_fit``, known once ``fit`` has seen the data."""
        if not self.per_fit:
            return Path(self.dirname) / self.filename
        fingerprint = getattr(self, "fingerprint_", None)
        if fingerprint is None:
            raise AttributeError(
                "TrainingCheckpoint.path is known once fit has seen the data: with "
                "per_fit=True each fit writes in a subdirectory of dirname named after "
                "its data and parameters."
            )
        return Path(self.dirname) / fit_directory(fingerprint) / self.filename

    def restore(self, net, X, y, resume=True):
        """Restore a matching checkpoint into ``net``; return the epochs it holds.

        Called by :meth:`DeepGXPRegressor.fit` after initializing the network;
        with ``resume=False`` (a restart) it only notes which fit it serves.
        """
        self.fingerprint_ = training_fingerprint(net, X, y)
        if not (resume and self.resume) or not self.path.exists():
            return 0
        state = read_checkpoint(self.path)
        diff = fingerprint_mismatch(state["fingerprint"], self.fingerprint_)
        if diff:
            raise ValueError(
                f"{self.path} was written by a fit with other data or parameters "
                f"(differs in: {', '.join(diff)}); resume it with the same ones, or "
                "delete the file or choose another dirname to start over."
            )
        try:
            net.module_.load_state_dict(state["module"])
            net.optimizer_.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError, KeyError) as exc:
            raise ModelFileError(f"{self.path} does not fit this network: {exc}") from None
        net.history_ = History(state["history"])
        scale = state["target_scale"]
        net.target_scale_ = np.asarray(scale) if isinstance(scale, list) else scale
        net.restarts_ = state["restarts"]
        self.pending_rng_ = state["rng"]
        if net.verbose:
            print(f"Resuming from {self.path}: {state['epochs']} of {net.max_epochs} "
                  "epochs done.")
        return state["epochs"]

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        if self.fingerprint_ is None:
            self.fingerprint_ = training_fingerprint(net, X, y)

    def on_epoch_begin(self, net, **kwargs):
        # Restored here, after the data split, so both runs split the same way.
        if self.pending_rng_ is not None:
            set_rng_state(self.pending_rng_)
            self.pending_rng_ = None

    def on_epoch_end(self, net, **kwargs):
        accelerator = getattr(net, "accelerator", None)  # skorch's AccelerateMixin
        if accelerator is not None and not accelerator.is_main_process:
            return  # a data-parallel fit: the main process writes the one file
        state = {
            "epochs": len(net.history),
            "module": {k: v.detach().cpu() for k, v in net.module_.state_dict().items()},
            "optimizer": net.optimizer_.state_dict(),
            "history": canonical(plain_json(list(net.history), [], "history")),
            "rng": rng_state(),
            "target_scale": np.asarray(net.target_scale_, dtype=float).tolist(),
            "restarts": canonical(plain_json(getattr(net, "restarts_", []))),
            "fingerprint": canonical(self.fingerprint_),
        }
        write_checkpoint(self.path, state)
