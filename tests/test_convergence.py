"""Failure modes of training: stalled starts, non-finite losses, GPU out of memory."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.datasets import load_dream_demo
from skgxp.callbacks import ConvergenceError, restart_seed
from conftest import SENSITIVE



class _Linear(torch.nn.Module):
    """One linear layer over the one-hot input: learns GC content in a few steps."""

    def __init__(self, input_length=110):
        super().__init__()
        self.linear = torch.nn.Linear(4 * input_length, 1)

    def forward(self, x):
        return self.linear(x.flatten(1))


class _Constant(_Linear):
    """Predicts one learned number for every input: a dead network."""

    def forward(self, x):
        return self.linear.bias.expand(len(x), 1)


class _DeadFirst(_Linear):
    """Dead in the first instance built, healthy afterwards (a seed that never converges)."""

    built = 0

    def __init__(self, input_length=110):
        super().__init__(input_length)
        type(self).built += 1
        self.dead = type(self).built == 1

    def forward(self, x):
        return self.linear.bias.expand(len(x), 1) if self.dead else super().forward(x)


class _Noise(_Linear):
    """Predictions that vary but do not depend on the input."""

    def forward(self, x):
        return self.linear.bias + torch.randn(len(x), 1)


class _FlickeringDead(_Linear):
    """Dead, but on every third training step spread like dropout noise (1e-3 of y's)."""

    def __init__(self, input_length=110):
        super().__init__(input_length)
        self.calls = 0

    def forward(self, x):
        out = self.linear.bias.expand(len(x), 1)
        self.calls += self.training
        if self.training and self.calls % 3 == 0:
            out = out + 1e-3 * torch.randn(len(x), 1)
        return out


class _Counted(_Linear):
    """Counts how often it is built (a restart builds it anew)."""

    built = 0

    def __init__(self, input_length=110):
        super().__init__(input_length)
        type(self).built += 1


class _InfAt(_Linear):
    """Returns inf at the ``call``-th training forward pass."""

    def __init__(self, input_length=110, call=0):
        super().__init__(input_length)
        self.call, self.calls = call, 0

    def forward(self, x):
        self.calls += self.training
        out = super().forward(x)
        return out * float("inf") if self.training and self.calls == self.call else out


@pytest.fixture(scope="module")
def gc_data():
    """256 random 110-bp promoters whose expression is their GC content (learnable)."""
    rng = np.random.default_rng(0)
    gc = rng.uniform(0.1, 0.9, 256)
    seqs = ["".join(rng.choice(list("ACGT"), 110, p=[(1 - g) / 2, g / 2, g / 2, (1 - g) / 2]))
            for g in gc]
    y = np.array([17 * (s.count("G") + s.count("C")) / 110 for s in seqs])
    return PromoterEncoder().transform(seqs), y


def _net(module, **params):
    settings = {"max_epochs": 2, "batch_size": 16, "tta": 2, "verbose": 0,
                "callbacks__convergence__check_steps": 16}
    settings.update(params)
    return DeepGXPRegressor(module, **settings)


# -- convergence monitor ---------------------------------------------------------------


def test_restart_seeds_are_derived_from_random_state():
    seeds = [restart_seed(40, k) for k in range(4)]
    assert seeds[0] == 40
    assert len(set(seeds)) == 4
    assert seeds == [restart_seed(40, k) for k in range(4)]
    assert restart_seed(None, 2) is None


def test_healthy_fit_does_not_restart(gc_data, tiny):
    codes, y = gc_data
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        net = DeepGXPRegressor(max_epochs=2, batch_size=16, tta=2, verbose=0,
                               callbacks__convergence__check_steps=30,
                               **{**tiny, **SENSITIVE}).fit(codes, y)
    check = net.history[1]["convergence_check"]
    assert check["ok"] and check["step"] == 30
    assert check["loss_last"] < check["loss_first"]
    assert check["train_pearson"] > 0.5
    assert net.restarts_ == []


def test_constant_output_collapses_restarts_then_raises(gc_data):
    codes, y = gc_data
    net = _net(_Constant, callbacks__convergence__max_restarts=2)
    with pytest.warns(ConvergenceWarning, match="Restarting with seed") as caught:
        with pytest.raises(ConvergenceError, match=(
            r"did not converge with seed \d+: the predictions collapsed to a constant "
            r"\(their median spread over 10 steps, to step 10, was below min_spread=0.0001 "
            r"times the targets'\), after 2 restart\(s\) \(see restarts_\)\. All 3 attempt\(s\) "
            r"failed the same way; what to check: the predictions collapsed to a constant: "
            r"a peak learning rate too high .* add a warm-up "
            r"\(callbacks__lr_schedule__warmup_steps\) or lower lr")):
            net.fit(codes, y)
    assert len([w for w in caught if w.category is ConvergenceWarning]) == 2
    assert [r["seed"] for r in net.restarts_] == [40, restart_seed(40, 1)]
    assert [r["next_seed"] for r in net.restarts_] == [restart_seed(40, 1), restart_seed(40, 2)]
    assert [r["kinds"] for r in net.restarts_] == [["collapse"], ["collapse"]]


def test_collapse_is_caught_after_collapse_steps_not_at_check_steps(gc_data):
    codes, y = gc_data
    net = _net(_Constant, callbacks__convergence__check_steps=1000,
               callbacks__convergence__collapse_steps=4,
               callbacks__convergence__max_restarts=1)
    with pytest.warns(ConvergenceWarning), pytest.raises(ConvergenceError):
        net.fit(codes, y)
    assert net.restarts_[0]["step"] == 4


def test_collapse_is_caught_when_some_steps_spread_above_min_spread(gc_data):
    codes, y = gc_data
    net = _net(_FlickeringDead, callbacks__convergence__max_restarts=0)
    with pytest.raises(ConvergenceError, match="median spread over 10 steps, to step 10,"):
        net.fit(codes, y)
    spreads = [b["train_spread"] for row in net.history for b in row["batches"]][:10]
    assert sum(s >= 1e-4 for s in spreads) == 3  # an every-step rule would not fire


def test_different_failures_are_listed_per_seed(gc_data):
    codes, y = gc_data
    _DeadFirst.built = 0
    # The first attempt collapses; the second learns, but a huge lr makes it diverge.
    net = _net(_DeadFirst, lr=10.0, callbacks__convergence__max_restarts=1)
    with pytest.warns(ConvergenceWarning), pytest.raises(ConvergenceError, match=(
        rf"The attempts failed in different ways \(seed 40: collapse; seed "
        rf"{restart_seed(40, 1)}: divergence\)")):
        net.fit(codes, y)


def test_stalled_start_recovers_after_a_restart(gc_data):
    codes, y = gc_data
    _DeadFirst.built = 0
    with pytest.warns(ConvergenceWarning, match="did not converge with seed 40"):
        net = _net(_DeadFirst).fit(codes, y)
    assert len(net.restarts_) == 1
    assert net.history[-1]["epoch"] == 2  # the restarted attempt trained fully
    assert [row["convergence_check"]["ok"] for row in net.history
            if "convergence_check" in row] == [True]
    assert np.corrcoef(net.predict(codes), y)[0, 1] > 0.5


def test_exhausted_restarts_can_warn_and_train_on(gc_data):
    codes, y = gc_data
    net = _net(_Constant, callbacks__convergence__max_restarts=0,
               callbacks__convergence__on_failure="warn")
    with pytest.warns(ConvergenceWarning, match=r"after 0 restart\(s\)"):
        net.fit(codes, y)
    assert len(net.history) == 2
    assert net.restarts_ == []


def test_huge_learning_rate_is_detected(gc_data, tiny):
    codes, y = gc_data
    net = DeepGXPRegressor(max_epochs=2, batch_size=16, tta=2, verbose=0, lr=10.0,
                           callbacks__convergence__check_steps=16,
                           callbacks__convergence__max_restarts=0, **tiny)
    with pytest.raises(ConvergenceError, match="did not converge with seed 40"):
        net.fit(codes, y)


def test_diverging_loss_is_detected_before_check_steps(gc_data, tiny):
    codes, y = gc_data
    net = DeepGXPRegressor(max_epochs=2, batch_size=16, tta=2, verbose=0, lr=10.0,
                           callbacks__convergence__max_restarts=1, **tiny)  # 32 steps < 300
    with pytest.warns(ConvergenceWarning, match="the training loss diverged"):
        with pytest.raises(ConvergenceError, match=r"the training loss diverged \(.* at step "
                                                   r"\d+, more than max_loss_ratio=100.0 times"):
            net.fit(codes, y)
    assert len(net.restarts_) == 1 and net.restarts_[0]["step"] < 32


def test_validation_correlation_no_better_than_chance_is_detected(gc_data):
    codes, y = gc_data
    # Validation targets that contradict the training ones.
    valid = predefined_split(Dataset(codes[:64], (-y[:64, None]).astype(np.float32)))
    net = _net(_Linear, train_split=valid, callbacks__convergence__max_restarts=0)
    with pytest.raises(ConvergenceError, match=(
        r"the validation predictions are not correlated with y better than chance "
        r"\(Pearson r -0\.\d+ over 64 rows, Fisher z -\d+\.\d+ < min_z=3.0\)")):
        net.fit(codes, y)


def test_uncorrelated_training_predictions_stall_the_start(gc_data):
    codes, y = gc_data
    shuffled = np.random.default_rng(1).permutation(y)  # y unrelated to X
    net = _net(_Noise, callbacks__convergence__max_restarts=0)
    with pytest.raises(ConvergenceError, match=(
        r"the training predictions are not correlated with y better than chance "
        r"\(pooled Pearson r -?0\.\d+ over the last 3 steps, Fisher z -?\d+\.\d+ < "
        r"min_z=3.0\)")):
        net.fit(codes, shuffled)


def test_fit_shorter_than_check_steps_is_not_judged_for_a_stall(gc_data):
    codes, y = gc_data
    shuffled = np.random.default_rng(1).permutation(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        net = _net(_Noise, callbacks__convergence__check_steps=1000).fit(codes, shuffled)
    assert all("convergence_check" not in row for row in net.history)


def test_warm_started_fit_is_never_restarted(gc_data):
    codes, y = gc_data
    _Counted.built = 0
    net = _net(_Counted, warm_start=True).fit(codes, y)
    net.set_params(lr=50.0)
    with pytest.raises(ConvergenceError, match=(
        r"the training loss diverged .*\. This fit continued a trained network \(warm "
        r"start or partial_fit\), which is not restarted: a restart would discard the "
        r"weights it started from\. The network now holds this fit's failed weights\. "
        r"What to check: the loss diverged: lower lr")):
        net.fit(codes, y)
    assert _Counted.built == 1
    assert net.restarts_ == []


def test_partial_fit_is_never_restarted(gc_data):
    codes, y = gc_data
    _Counted.built = 0
    net = _net(_Counted).partial_fit(codes, y)
    net.set_params(lr=50.0)
    with pytest.raises(ConvergenceError, match="This fit continued a trained network"):
        net.partial_fit(codes, y)
    assert _Counted.built == 1


def test_tiny_deepgxp_that_collapses_at_seed_40_is_restarted(tiny):
    """The smallest real reproduction: tiny DeepGXP, 512 demo rows, batch 32, seed 40."""
    X, y = load_dream_demo(return_X_y=True)
    codes, y = PromoterEncoder().transform(X[:512]), y[:512]
    settings = dict(max_epochs=4, batch_size=32, tta=2, verbose=0, **tiny)
    dead = DeepGXPRegressor(callbacks__convergence=None, **settings).fit(codes, y)
    assert np.std(dead.predict(codes)) < 1e-5 * np.std(y)  # what users got before
    with pytest.warns(ConvergenceWarning, match="collapsed to a constant"):
        net = DeepGXPRegressor(**settings).fit(codes, y)
    assert net.restarts_ and all(r["kinds"] == ["collapse"] for r in net.restarts_)
    assert all(r["step"] < 64 for r in net.restarts_)  # within this fit's 64 steps
    assert np.std(net.predict(codes)) > 1e-4 * np.std(y)


def test_monitor_can_be_disabled(gc_data):
    codes, y = gc_data
    net = DeepGXPRegressor(_Constant, max_epochs=20, batch_size=16, tta=2, verbose=0,
                           callbacks__convergence=None).fit(codes, y)  # 320 steps
    assert "convergence" not in dict(net.callbacks_)
    assert net.restarts_ == []


@pytest.mark.parametrize("name, value, message", [
    ("min_spread", "x", "min_spread must be a number > 0; got 'x'"),
    ("min_z", 0.0, "min_z must be a number > 0; got 0.0"),
    ("max_loss_ratio", -1.0, "max_loss_ratio must be a number > 0 or None; got -1.0"),
    ("window", 0, "window must be None or an int >= 1; got 0"),
    ("check_steps", 2.5, "check_steps must be an int >= 1; got 2.5"),
])
def test_invalid_monitor_settings_are_rejected(gc_data, name, value, message):
    codes, y = gc_data
    with pytest.raises(ValueError, match=message):
        _net(_Linear, **{f"callbacks__convergence__{name}": value}).fit(codes, y)


def test_numpy_integers_are_valid_monitor_settings(gc_data):
    codes, y = gc_data
    _net(_Linear, callbacks__convergence__check_steps=np.int64(16)).fit(codes, y)


def test_exhausted_restarts_warn_once(gc_data):
    codes, y = gc_data
    # A constant network with a huge lr both collapses and diverges.
    net = _net(_Constant, lr=50.0, callbacks__convergence__max_restarts=0,
               callbacks__convergence__on_failure="warn")
    with pytest.warns(ConvergenceWarning) as caught:
        net.fit(codes, y)
    assert len([w for w in caught if w.category is ConvergenceWarning]) == 1


def test_invalid_on_failure_is_rejected(gc_data):
    codes, y = gc_data
    with pytest.raises(ValueError, match="on_failure must be 'raise' or 'warn'; got 'ignore'"):
        _net(_Linear, callbacks__convergence__on_failure="ignore").fit(codes, y)


# -- non-finite loss -----------------------------------------------------------------------


def test_infinite_loss_names_epoch_and_batch(gc_data):
    codes, y = gc_data
    # 256 rows / 16 = 16 steps per epoch: training call 19 is epoch 2, batch 3.
    net = _net(_InfAt, module__call=19)
    with pytest.raises(FloatingPointError, match=r"Training loss is inf at epoch 2, batch 3; "
                                                 r"training stopped. Lower lr \(now 0.0015\)"):
        net.fit(codes, y)


def test_exploding_learning_rate_stops_with_a_clear_error(gc_data, tiny):
    codes, y = gc_data
    # Without the monitor, which would restart on the first huge finite loss.
    net = DeepGXPRegressor(max_epochs=2, batch_size=16, tta=2, verbose=0, lr=1e6,
                           callbacks__convergence=None, **tiny)
    with pytest.raises(FloatingPointError, match=r"Training loss is (inf|nan) at epoch 1, "
                                                 r"batch \d+; training stopped. Lower lr "
                                                 r"\(now 1000000.0\)"):
        net.fit(codes, y)


# -- GPU out of memory ---------------------------------------------------------------------


def _raise_oom(*args, **kwargs):
    raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")


def test_out_of_memory_in_training_names_the_batch_size(gc_data, monkeypatch):
    codes, y = gc_data
    monkeypatch.setattr(_Linear, "forward", _raise_oom)
    with pytest.raises(torch.cuda.OutOfMemoryError,
                       match=r"(?s)CUDA ran out of memory with batch_size=16 \(x2 strands in "
                             r"training, x2 views in prediction\)\. Lower batch_size.*Tried to "
                             r"allocate 20.00 GiB"):
        _net(_Linear).fit(codes, y)


def test_out_of_memory_in_prediction_names_what_to_lower(gc_data, monkeypatch):
    codes, y = gc_data
    net = _net(_Linear, max_epochs=1).fit(codes, y)
    monkeypatch.setattr(_Linear, "forward", _raise_oom)
    with pytest.raises(torch.cuda.OutOfMemoryError,
                       match=r"batch_size=16 .*iterator_valid__batch_size / tta for prediction"):
        net.predict(codes)
