"""Detect a collapsed, diverging or stalled start of training, and restart it."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

from ._batching import _arrays_of
from ._schedule import completed_steps


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


#: What to check, per kind of failure, when every attempt failed the same way.
_ADVICE = {
    "collapse": (
        "the predictions collapsed to a constant: a peak learning rate too high for "
        "this network at this data size is the usual cause; add a warm-up "
        "(callbacks__lr_schedule__warmup_steps) or lower lr, and check that y varies"
    ),
    "divergence": "the loss diverged: lower lr, and check X and y for extreme values",
    "loss": "the loss did not fall: check that y depends on X, or lower lr",
    "train_r": "the predictions are unrelated to y: check that y depends on X",
    "valid_r": "the validation predictions are unrelated to y: check the validation "
               "split and that y depends on X",
}


def _moments(y_pred, y_true, scale):
    """``[sum (p-p̄)^2, sum (t-t̄)^2, sum (p-p̄)(t-t̄), rows]`` of one batch.

    Targets are divided by ``scale`` (the net's standardization, per output)
    so that they are in the units of the predictions; means are per output.
    """
    p = y_pred.detach().float().cpu().double()
    p = p.reshape(len(p), -1)
    t = torch.as_tensor(y_true).detach().cpu().double()
    t = t.reshape(len(t), -1) / torch.as_tensor(scale, dtype=torch.float64)
    p, t = p - p.mean(0), t - t.mean(0)
    return [float((p * p).sum()), float((t * t).sum()), float((p * t).sum()), len(p)]


def _pearson(moments):
    """Pooled within-batch Pearson r and its degrees of freedom.

    r is 0 for constant predictions and None for constant targets. Within-batch
    moments compare predictions made with the same weights, so a dead network
    whose output drifts between batches still scores 0.
    """
    moments = np.asarray(moments, dtype=float)
    spp, stt, spt = moments[:, :3].sum(axis=0)
    dof = int(moments[:, 3].sum() - len(moments))  # one mean removed per batch
    if not stt > 0:
        return None, dof
    if not spp > 1e-12 * stt:
        return 0.0, dof
    return float(spt / np.sqrt(spp * stt)), dof


def significance(r, dof):
    """Fisher z statistic of Pearson ``r`` against 0 with ``dof`` degrees of freedom."""
    r = min(max(r, -0.999999), 0.999999)
    return math.atanh(r) * math.sqrt(max(dof - 2, 1))


class ConvergenceMonitor(Callback):
    """Detect a collapsed, diverging or stalled start and restart with a new seed.

    BHI reported that DeepGXP does not converge for some seeds, and at the
    full size on small data its predictions can collapse to a constant within
    tens of steps. Every rule below is relative (to the targets' spread, to
    the first loss, to chance), so it holds for any assay and target units:

    * **collapse**, at any step: the median, over the last ``collapse_steps``
      steps, of the spread (standard deviation) of the strand-averaged
      training predictions falls below ``min_spread`` times the batch
      targets' spread. The median, not every step, because training
      predictions carry dropout's noise: a network whose output no longer
      depends on its input still spreads around 1e-4 on the steps where
      dropout masks differ (seen with the tiny module on an AVX2 CPU);
    * **divergence**, during the first ``check_steps`` steps: a training loss
      above ``max_loss_ratio`` times the first step's;
    * **stall**, judged once after ``check_steps`` steps: the mean training
      loss of the last ``window`` steps is not below that of the first
      ``window``; or the training predictions of the last ``window`` steps
      (pooled within-batch Pearson r) or up to ``valid_rows`` validation
      predictions are not correlated with ``y`` better than chance: Fisher
      ``z = atanh(r) * sqrt(dof - 2)`` below ``min_z``. Fits shorter than
      ``check_steps`` are not judged for a stall.

    On a failure in a fit that started from fresh weights,
    :meth:`DeepGXPRegressor.fit` re-initializes and starts again with a seed
    derived deterministically from ``random_state`` (a
    :class:`~sklearn.exceptions.ConvergenceWarning` says so; every restart is
    recorded in the regressor's ``restarts_``). A warm-started fit or a
    ``partial_fit`` continues a trained network, which a restart would throw
    away: there a collapse or divergence fails at once (below) and the stall
    rules, which judge a start, do not apply. When ``max_restarts`` restarts
    did not help, ``on_failure="raise"`` raises :class:`ConvergenceError`,
    naming every attempt and what to check; ``"warn"`` warns and lets the last
    attempt train on. The rules read the batch history (``"train_spread"``
    and ``"train_moments"`` are recorded there), so a fit resumed from a
    checkpoint decides the same way. Disable the monitor with
    ``callbacks__convergence=None``.

    Parameters
    ----------
    check_steps : int, default=300
        Steps after which a stall is judged; also the span of the divergence rule.
    window : int or None, default=None
        Steps averaged at each end for the stall rules; None means
        ``max(check_steps // 5, 1)``.
    min_spread : float, default=1e-4
        Relative spread of the training predictions below which the median
        of ``collapse_steps`` steps counts as collapsed. At BHI's full size on
        the demo set, the median of every 10-step window of a healthy fit was
        5.8e-3 or more, collapsed fits fell to 9.2e-6 or less
        (``docs/benchmarks.md``, row 9).
    collapse_steps : int, default=10
        Steps whose median spread is judged (the last ones, at every step).
    min_z : float, default=3.0
        Fisher z below which a correlation counts as chance.
    max_restarts : int, default=5
        Restarts with new seeds before giving up. At BHI's full size on the
        demo set about half the seeds collapsed (``docs/benchmarks.md``), so
        five restarts leave about 1 fit in 60 without a healthy attempt.
    valid_rows : int, default=512
        Validation rows predicted at the stall check (0 skips the validation rule).
    max_loss_ratio : float or None, default=100.0
        A training loss this many times the first step's marks divergence;
        None turns this rule off.
    on_failure : {"raise", "warn"}, default="raise"
        What to do when the last allowed attempt fails too.

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

    def __init__(self, check_steps=300, window=None, min_spread=1e-4, collapse_steps=10,
                 min_z=3.0, max_restarts=5, valid_rows=512, max_loss_ratio=100.0,
                 on_failure="raise"):
        self.check_steps = check_steps
        self.window = window
        self.min_spread = min_spread
        self.collapse_steps = collapse_steps
        self.min_z = min_z
        self.max_restarts = max_restarts
        self.valid_rows = valid_rows
        self.max_loss_ratio = max_loss_ratio
        self.on_failure = on_failure

    def initialize(self):
        if self.on_failure not in ("raise", "warn"):
            raise ValueError(
                f"on_failure must be 'raise' or 'warn'; got {self.on_failure!r}."
            )
        for name, low in (("check_steps", 1), ("collapse_steps", 1), ("max_restarts", 0),
                          ("valid_rows", 0)):
            value = getattr(self, name)
            if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an int >= {low}; got {value!r}.")
        if self.window is not None and (
            not isinstance(self.window, Integral) or isinstance(self.window, bool)
            or self.window < 1
        ):
            raise ValueError(f"window must be None or an int >= 1; got {self.window!r}.")
        for name, optional in (("min_spread", False), ("min_z", False),
                               ("max_loss_ratio", True)):
            value = getattr(self, name)
            if value is None and optional:
                continue
            if not isinstance(value, Real) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"{name} must be a number > 0{' or None' * optional}; "
                                 f"got {value!r}.")
        self.begin_attempt(0, fresh=False)
        self.dataset_valid_ = None
        return self

    def begin_attempt(self, start_epoch, fresh):
        """Judge the training that starts at history row ``start_epoch``.

        Called by :meth:`DeepGXPRegressor.fit` and ``partial_fit`` before each
        training call; ``fresh`` says whether it started from new weights
        (only those are restarted and judged for a stall).
        """
        self.start_epoch_ = start_epoch
        self.fresh_ = fresh
        self.judging_ = True
        self.step_ = 0

    def _window(self):
        return self.window or max(self.check_steps // 5, 1)

    def _rows(self, net):
        return [b for row in list(net.history)[self.start_epoch_:] for b in row["batches"]
                if "train_loss" in b]

    def on_epoch_begin(self, net, dataset_valid=None, **kwargs):
        self.step_ = completed_steps(list(net.history)[self.start_epoch_:])
        self.dataset_valid_ = dataset_valid

    def on_epoch_end(self, net, **kwargs):
        self.dataset_valid_ = None  # not kept (nor pickled) with the fitted net

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if not training or not self.judging_:
            return
        self.step_ += 1
        moments = _moments(y_pred, batch[1], net.target_scale_)
        if self.check_steps - self._window() < self.step_ <= self.check_steps:
            # Sums, not a per-batch r: pooled over the window, and resumable.
            net.history.record_batch("train_moments", moments)
        checks = []
        if moments[1] > 0:
            # Relative to the targets' spread (both in standardized units).
            spread = math.sqrt(moments[0] / moments[1])
            net.history.record_batch("train_spread", spread)
            checks.append(self._check_collapse)
        if self.max_loss_ratio is not None and self.step_ <= self.check_steps:
            checks.append(self._check_divergence)
        if self.step_ == self.check_steps and self.fresh_:
            checks.append(self._check_stall)
        for check in checks:
            if self.judging_:  # after a warning ("warn"), the attempt trains on unjudged
                check(net)

    def _check_collapse(self, net):
        recent = [b.get("train_spread") for b in self._rows(net)[-self.collapse_steps:]]
        if (len(recent) == self.collapse_steps and None not in recent
                and np.median(recent) < self.min_spread):
            self._fail(net, [(
                "collapse",
                f"the predictions collapsed to a constant (their median spread over "
                f"{self.collapse_steps} steps, to step {self.step_}, was below "
                f"min_spread={self.min_spread} times the targets')",
            )])

    def _check_divergence(self, net):
        rows = self._rows(net)
        first, loss = rows[0]["train_loss"], rows[-1]["train_loss"]
        if loss > self.max_loss_ratio * first:
            self._fail(net, [(
                "divergence",
                f"the training loss diverged ({loss:.4g} at step {self.step_}, more than "
                f"max_loss_ratio={self.max_loss_ratio} times the first step's {first:.4g})",
            )])

    def _check_stall(self, net):
        rows = self._rows(net)
        w = self._window()
        first = float(np.mean([b["train_loss"] for b in rows[:w]]))
        last = float(np.mean([b["train_loss"] for b in rows[-w:]]))
        reasons = []
        if not last < first:
            reasons.append(("loss", (
                f"the training loss did not fall below its initial level (mean "
                f"{first:.4g} over steps 1-{w}, {last:.4g} over the last {w})"
            )))
        r_train, dof = _pearson([b["train_moments"] for b in rows if "train_moments" in b])
        z_train = None if r_train is None else significance(r_train, dof)
        if z_train is not None and z_train < self.min_z:
            reasons.append(("train_r", (
                f"the training predictions are not correlated with y better than chance "
                f"(pooled Pearson r {r_train:.3f} over the last {w} steps, Fisher z "
                f"{z_train:.2f} < min_z={self.min_z})"
            )))
        r_valid = self._valid_pearson(net)
        z_valid = None if r_valid is None else significance(*r_valid)
        if z_valid is not None and z_valid < self.min_z:
            reasons.append(("valid_r", (
                f"the validation predictions are not correlated with y better than "
                f"chance (Pearson r {r_valid[0]:.3f} over {r_valid[1] + 1} rows, Fisher z "
                f"{z_valid:.2f} < min_z={self.min_z})"
            )))
        net.history.record("convergence_check", {
            "step": self.step_, "loss_first": first, "loss_last": last,
            "train_pearson": r_train, "valid_pearson": r_valid and r_valid[0],
            "ok": not reasons,
        })
        if reasons:
            self._fail(net, reasons)

    def _valid_pearson(self, net):
        arrays = _arrays_of(self.dataset_valid_) if self.dataset_valid_ is not None else None
        if not self.valid_rows or arrays is None or arrays[1] is None:
            return None
        X, y, rows = arrays[:3]
        take = np.sort((rows if rows is not None else np.arange(len(X)))[: self.valid_rows])
        r, dof = _pearson([_moments(net.forward(X[take]), torch.from_numpy(y[take]),
                                    net.target_scale_)])
        return None if r is None else (r, dof)

    def _fail(self, net, reasons):
        restarts = getattr(net, "restarts_", [])
        seed = restart_seed(net.random_state, len(restarts))
        kinds = [kind for kind, _ in reasons]
        text = "; ".join(message for _, message in reasons)
        what = f"DeepGXPRegressor did not converge with seed {seed}: {text}"
        if self.fresh_ and len(restarts) < self.max_restarts:
            new_seed = restart_seed(net.random_state, len(restarts) + 1)
            message = (f"{what}. Restarting with seed {new_seed} (restart "
                       f"{len(restarts) + 1} of at most {self.max_restarts}).")
            warnings.warn(message, ConvergenceWarning, stacklevel=2)
            raise RestartTraining({
                "seed": seed, "next_seed": new_seed, "step": self.step_, "kinds": kinds,
                "reasons": [m for _, m in reasons], "message": message,
            })
        message = self._final_message(what, restarts, seed, kinds)
        if self.on_failure == "raise":
            raise ConvergenceError(message)
        self.judging_ = False  # the last attempt trains on; warn once
        warnings.warn(message, ConvergenceWarning, stacklevel=2)

    def _final_message(self, what, restarts, seed, kinds):
        if not self.fresh_:
            return (f"{what}. This fit continued a trained network (warm start or "
                    "partial_fit), which is not restarted: a restart would discard the "
                    "weights it started from. The network now holds this fit's failed "
                    f"weights. What to check: {_ADVICE[kinds[0]]}.")
        seeds = [r["seed"] for r in restarts] + [seed]
        attempts = [set(r["kinds"]) for r in restarts] + [set(kinds)]
        shared = set.intersection(*attempts)
        if shared:
            kind = next(k for k in _ADVICE if k in shared)
            how = (f"All {len(attempts)} attempt(s) failed the same way; what to check: "
                   f"{_ADVICE[kind]}")
        else:
            how = "The attempts failed in different ways (" + "; ".join(
                f"seed {s}: {', '.join(sorted(a))}" for s, a in zip(seeds, attempts)
            ) + ")"
        return (f"{what}, after {len(restarts)} restart(s) (see restarts_). {how}. "
                "For more attempts raise callbacks__convergence__max_restarts; to "
                "disable the check, callbacks__convergence=None.")
