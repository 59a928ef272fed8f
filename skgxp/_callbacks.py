"""Callbacks of the DeepGXP recipe."""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback
from skorch.history import History

from ._batching import _arrays_of
from ._checkpoint import (
    fingerprint_mismatch,
    read_checkpoint,
    rng_state,
    set_rng_state,
    training_fingerprint,
    write_checkpoint,
)
from ._safejson import ModelFileError, plain_json


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


def restart_seed(random_state, attempt):
    """Seed of training attempt ``attempt`` (0 is ``random_state`` itself).

    Restarts draw their seeds deterministically from ``random_state`` with
    :class:`numpy.random.SeedSequence`, so a rerun restarts the same way.

    Parameters
    ----------
    random_state : int or None
        The regressor's ``random_state``; None gives None (no seeding).
    attempt : int
        0 for the first attempt, k for the k-th restart.

    Returns
    -------
    seed : int or None
        The seed of that attempt.

    Examples
    --------
    >>> from skgxp.callbacks import restart_seed
    >>> restart_seed(40, 0), restart_seed(40, 1) == restart_seed(40, 1)
    (40, True)
    """
    if random_state is None or attempt == 0:
        return random_state
    return int(np.random.SeedSequence([int(random_state), attempt]).generate_state(1)[0])


class RestartTraining(Exception):
    """Raised by :class:`ConvergenceMonitor` inside ``fit`` to restart with a new seed."""

    def __init__(self, record):
        super().__init__(record["message"])
        self.record = record


class ConvergenceError(RuntimeError):
    """Training did not converge with any of the seeds tried."""


def _moments(y_pred, y_true):
    """``[sum (p-p̄)^2, sum (t-t̄)^2, sum (p-p̄)(t-t̄)]`` of one batch."""
    p = y_pred.detach().float().cpu().ravel().double()
    t = torch.as_tensor(y_true).detach().cpu().ravel().double()
    p, t = p - p.mean(), t - t.mean()
    return [float((p * p).sum()), float((t * t).sum()), float((p * t).sum())]


def _pearson(moments):
    """Pooled within-batch Pearson r; 0 for constant predictions, None for constant targets.

    Within-batch moments compare predictions made with the same weights, so a
    dead network whose output drifts between batches still scores 0.
    """
    spp, stt, spt = np.sum(moments, axis=0)
    if not stt > 0:
        return None
    if not spp > 1e-12 * stt:
        return 0.0
    return float(spt / np.sqrt(spp * stt))


class ConvergenceMonitor(Callback):
    """Detect a stalled or diverging start and restart training with a new seed.

    BHI reported that DeepGXP never converges for some seeds, and that this is
    visible early. After ``check_steps`` optimizer steps of a fit, this
    callback compares the first and the last ``window`` steps: training is
    stalled if the mean training loss did not fall below its initial level, if
    the training predictions are uncorrelated with ``y`` (mean per-batch
    Pearson r below ``min_pearson``; constant predictions count as 0), or, when
    a validation set exists, if the Pearson r of up to ``valid_rows``
    validation predictions is below ``min_pearson``. Then
    :meth:`DeepGXPRegressor.fit` re-initializes and starts again with a seed
    derived deterministically from ``random_state``, with a
    :class:`~sklearn.exceptions.ConvergenceWarning`; every restart is recorded
    in the regressor's ``restarts_``. When ``max_restarts`` restarts did not
    help, ``on_failure="raise"`` raises :class:`ConvergenceError` and
    ``"warn"`` warns and lets the last attempt train on.

    Divergence is caught sooner: during the first ``check_steps`` steps, a
    training loss above ``max_loss_ratio`` times the first step's loss fails
    the attempt at once, even in fits shorter than ``check_steps``. Otherwise
    fits shorter than ``check_steps`` steps are not checked. The check reads
    the batch history, so a fit resumed from a checkpoint decides the same way.
    Disable it with ``callbacks__convergence=None``.

    Parameters
    ----------
    check_steps : int, default=300
        Optimizer steps after which the start is judged.
    window : int or None, default=None
        Steps averaged at each end; None means ``max(check_steps // 5, 1)``.
    min_pearson : float, default=0.05
        Pearson r below which predictions count as uncorrelated.
    max_restarts : int, default=3
        Restarts with new seeds before giving up.
    valid_rows : int, default=512
        Validation rows predicted at the check (0 skips the validation check).
    max_loss_ratio : float or None, default=100.0
        A training loss this many times the first step's marks divergence;
        None turns this rule off.
    on_failure : {"raise", "warn"}, default="raise"
        What to do when the last allowed attempt is stalled too.

    See Also
    --------
    restart_seed : The seed of each restart.

    Examples
    --------
    It is one of DeepGXPRegressor's default callbacks, named ``"convergence"``:

    >>> from skgxp import DeepGXPRegressor
    >>> net = DeepGXPRegressor(callbacks__convergence__check_steps=500,
    ...                        callbacks__convergence__max_restarts=5)
    >>> monitor = dict(net.initialize().callbacks_)["convergence"]
    >>> monitor.check_steps, monitor.max_restarts
    (500, 5)
    """

    def __init__(self, check_steps=300, window=None, min_pearson=0.05, max_restarts=3,
                 valid_rows=512, max_loss_ratio=100.0, on_failure="raise"):
        self.check_steps = check_steps
        self.window = window
        self.min_pearson = min_pearson
        self.max_restarts = max_restarts
        self.valid_rows = valid_rows
        self.max_loss_ratio = max_loss_ratio
        self.on_failure = on_failure

    def initialize(self):
        if self.on_failure not in ("raise", "warn"):
            raise ValueError(
                f"on_failure must be 'raise' or 'warn'; got {self.on_failure!r}."
            )
        for name, low in (("check_steps", 1), ("max_restarts", 0), ("valid_rows", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an int >= {low}; got {value!r}.")
        self.restartable_ = False  # set by DeepGXPRegressor.fit for each attempt
        self.step_ = 0
        self.dataset_valid_ = None
        return self

    def _window(self):
        return self.window or max(self.check_steps // 5, 1)

    def on_epoch_begin(self, net, dataset_valid=None, **kwargs):
        self.step_ = completed_steps(net.history)
        self.dataset_valid_ = dataset_valid

    def on_epoch_end(self, net, **kwargs):
        self.dataset_valid_ = None  # not kept (nor pickled) with the fitted net

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if not training:
            return
        self.step_ += 1
        if self.check_steps - self._window() < self.step_ <= self.check_steps:
            # Sums, not a per-batch r: pooled over the window, and resumable.
            net.history.record_batch("train_moments", _moments(y_pred, batch[1]))
        if self.max_loss_ratio is not None and self.step_ <= self.check_steps:
            self._check_divergence(net)
        if self.step_ == self.check_steps:
            self._check(net)

    def _check_divergence(self, net):
        first = net.history[0]["batches"][0]["train_loss"]  # this attempt's first step
        loss = net.history[-1]["batches"][-1]["train_loss"]
        if loss > self.max_loss_ratio * first:
            self._fail(net, [
                f"the training loss diverged ({loss:.4g} at step {self.step_}, more than "
                f"max_loss_ratio={self.max_loss_ratio} times the first step's {first:.4g})"
            ])

    def _check(self, net):
        rows = [b for row in net.history for b in row["batches"] if "train_loss" in b]
        w = self._window()
        first = float(np.mean([b["train_loss"] for b in rows[:w]]))
        last = float(np.mean([b["train_loss"] for b in rows[-w:]]))
        reasons = []
        if not last < first:
            reasons.append(
                f"the training loss did not fall below its initial level (mean "
                f"{first:.4g} over steps 1-{w}, {last:.4g} over the last {w})"
            )
        r_train = _pearson([b["train_moments"] for b in rows if "train_moments" in b])
        if r_train is not None and r_train < self.min_pearson:
            reasons.append(
                f"the training predictions are uncorrelated with y (Pearson r "
                f"{r_train:.3f} over the last {w} steps < min_pearson={self.min_pearson})"
            )
        r_valid = self._valid_pearson(net)
        if r_valid is not None and r_valid < self.min_pearson:
            reasons.append(
                f"the validation Pearson r is {r_valid:.3f} < min_pearson="
                f"{self.min_pearson}"
            )
        net.history.record("convergence_check", {
            "step": self.step_, "loss_first": first, "loss_last": last,
            "train_pearson": r_train, "valid_pearson": r_valid, "ok": not reasons,
        })
        if reasons:
            self._fail(net, reasons)

    def _valid_pearson(self, net):
        arrays = _arrays_of(self.dataset_valid_) if self.dataset_valid_ is not None else None
        if not self.valid_rows or arrays is None or arrays[1] is None:
            return None
        X, y, rows = arrays
        take = np.sort((rows if rows is not None else np.arange(len(X)))[: self.valid_rows])
        pred = net.forward(X[take])
        return _pearson([_moments(pred, torch.from_numpy(y[take]))])

    def _fail(self, net, reasons):
        restarts = getattr(net, "restarts_", [])
        seed = restart_seed(net.random_state, len(restarts))
        what = f"DeepGXPRegressor did not converge with seed {seed}: " + "; ".join(reasons)
        if self.restartable_ and len(restarts) < self.max_restarts:
            new_seed = restart_seed(net.random_state, len(restarts) + 1)
            message = (f"{what}. Restarting with seed {new_seed} (restart "
                       f"{len(restarts) + 1} of at most {self.max_restarts}).")
            warnings.warn(message, ConvergenceWarning, stacklevel=2)
            raise RestartTraining({"seed": seed, "next_seed": new_seed, "step": self.step_,
                                   "reasons": reasons, "message": message})
        message = (
            f"{what}, after {len(restarts)} restart(s) (see restarts_). Lower lr, check "
            "that y depends on X, raise callbacks__convergence__max_restarts, or disable "
            "the check with callbacks__convergence=None."
        )
        if self.on_failure == "raise":
            raise ConvergenceError(message)
        warnings.warn(message, ConvergenceWarning, stacklevel=2)


class TrainingCheckpoint(Callback):
    """Save everything needed to resume training at the end of every epoch.

    Writes ``training_checkpoint.pt`` in ``dirname`` through a temporary file
    and :func:`os.replace`, so a process killed at any moment leaves the
    previous complete checkpoint: network weights, optimizer state, history,
    the states of the torch, numpy, ``random`` (and CUDA) generators,
    ``target_scale_``, ``restarts_``, the epoch count and a fingerprint of the
    data and training parameters. Read back with ``torch.load(...,
    weights_only=True)``.

    When :meth:`DeepGXPRegressor.fit` starts and this directory holds a
    checkpoint with the same fingerprint, it restores all of it and trains
    only the remaining epochs: the total number of optimizer steps, the
    learning-rate schedule and (on the CPU) the final weights equal those of
    an uninterrupted fit. At most the epoch in progress is lost. A checkpoint
    of a different fit (other data or parameters) raises a ValueError rather
    than being overwritten; a finished checkpoint makes ``fit`` train 0 more
    epochs. Place this callback after scoring callbacks so their scores are in
    the saved history, and use one directory per fit (not shared by
    cross-validation folds or parallel jobs). ``partial_fit`` writes
    checkpoints but does not resume from them. Other callbacks' own state
    (e.g. ``EarlyStopping``'s patience counter) is not saved.

    Parameters
    ----------
    dirname : str or path-like
        Directory of the checkpoint; created when first written.
    resume : bool, default=True
        Resume from an existing checkpoint in ``fit``; False ignores and
        overwrites it.

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

    def __init__(self, dirname, resume=True):
        self.dirname = dirname
        self.resume = resume

    def initialize(self):
        self.fingerprint_ = None
        self.pending_rng_ = None
        return self

    @property
    def path(self):
        """Path of the checkpoint file."""
        return Path(self.dirname) / self.filename

    def restore(self, net, X, y):
        """Restore a matching checkpoint into ``net``; return the epochs it holds.

        Called by :meth:`DeepGXPRegressor.fit` after initializing the network.
        """
        self.fingerprint_ = training_fingerprint(net, X, y)
        if not self.resume or not self.path.exists():
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
        net.target_scale_ = state["target_scale"]
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
        state = {
            "epochs": len(net.history),
            "module": {k: v.detach().cpu() for k, v in net.module_.state_dict().items()},
            "optimizer": net.optimizer_.state_dict(),
            "history": json.dumps(plain_json(list(net.history), [], "history")),
            "rng": rng_state(),
            "target_scale": float(net.target_scale_),
            "restarts": json.dumps(plain_json(getattr(net, "restarts_", []))),
            "fingerprint": json.dumps(self.fingerprint_),
        }
        write_checkpoint(self.path, state)
