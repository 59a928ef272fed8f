"""CosinePerBatch: one whole cosine per fit call, warm starts, partial_fit, warm-up."""

import math

import numpy as np
import pytest

from skgxp import DeepGXPRegressor
from skgxp.callbacks import CosinePerBatch


def _cosine(lr, steps):
    """BHI's CosineAnnealingLR(T_max=steps), stepped every batch, typed out."""
    return [lr * (1 + math.cos(math.pi * k / steps)) / 2 for k in range(steps)]


def _lrs(net, epochs):
    return [b["lr"] for row in net.history[-epochs:] for b in row["batches"] if "lr" in b]


def _net(tiny, **params):
    # 200 rows / 32 = 6 steps an epoch; the monitor is tested elsewhere.
    return DeepGXPRegressor(batch_size=32, tta=2, verbose=0, callbacks__convergence=None,
                            **{**tiny, **params})


def test_warm_started_fit_runs_its_own_whole_schedule(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, max_epochs=2, warm_start=True).fit(codes, y)
    net.set_params(max_epochs=3).fit(codes, y)
    assert len(net.history) == 5
    np.testing.assert_allclose(_lrs(net, 3), _cosine(1.5e-3, 18), rtol=1e-12)
    assert net.optimizer_.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-18)


def test_first_fit_of_a_warm_start_is_unchanged(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, max_epochs=2, warm_start=True).fit(codes, y)
    np.testing.assert_allclose(_lrs(net, 2), _cosine(1.5e-3, 12), rtol=1e-12)


def test_each_partial_fit_runs_a_whole_schedule(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, max_epochs=1)
    net.partial_fit(codes, y)
    first_weights = {k: v.clone() for k, v in net.module_.state_dict().items()}
    net.partial_fit(codes, y)
    assert len(net.history) == 2
    np.testing.assert_allclose(_lrs(net, 1), _cosine(1.5e-3, 6), rtol=1e-12)
    np.testing.assert_allclose(
        [b["lr"] for b in net.history[0]["batches"]], _cosine(1.5e-3, 6), rtol=1e-12)
    # The second call trained on from the first call's weights.
    assert any((v != first_weights[k]).any() for k, v in net.module_.state_dict().items())


def test_partial_fit_keeps_the_first_calls_standardization(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, max_epochs=1).partial_fit(codes, y)
    scale = net.target_scale_
    net.partial_fit(codes[:64], y[:64] * 10)
    assert net.target_scale_ == scale


def test_warm_up_rises_linearly_then_anneals(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, max_epochs=2, callbacks__lr_schedule__warmup_steps=3).fit(codes, y)
    expected = [1.5e-3 * k / 3 for k in (1, 2, 3)] + _cosine(1.5e-3, 9)
    np.testing.assert_allclose(_lrs(net, 2), expected, rtol=1e-12)


def test_warm_up_longer_than_half_the_fit_is_cut_to_half():
    schedule = CosinePerBatch(warmup_steps=10).initialize()
    schedule.total_steps_ = 4
    lrs = [schedule.lr_at(1.0, k) for k in range(5)]  # step 4: after the last batch
    assert lrs == pytest.approx([0.5, 1.0, 1.0, 0.5, 0.0])


def test_partial_fit_epochs_set_the_schedule_length(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, max_epochs=4).partial_fit(codes, y, epochs=1)
    assert len(net.history) == 1
    np.testing.assert_allclose(_lrs(net, 1), _cosine(1.5e-3, 6), rtol=1e-12)
    assert net.optimizer_.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-18)


def test_warm_started_fit_keeps_the_fitted_standardization(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, max_epochs=1, warm_start=True).fit(codes, y)
    center, scale = net.target_center_, net.target_scale_
    net.set_params(target_center=0.0).fit(codes, 2 * y)
    assert (net.target_center_, net.target_scale_) == (center, scale)


@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_invalid_warm_up_is_refused(tiny, demo_codes, bad):
    codes, y = demo_codes
    with pytest.raises(ValueError, match=f"warmup_steps must be an int >= 0; got {bad!r}"):
        _net(tiny, max_epochs=1, callbacks__lr_schedule__warmup_steps=bad).fit(codes, y)
