"""BHI's augmentations as parameters: padding, its probabilities, shifts, strands."""

import re

import numpy as np
import pytest
import torch

from skgxp import DeepGXPRegressor
from skgxp._views import PADDING_PROBABILITIES, draw_padding_modes, one_hot, shifted_windows


def _net(tiny, **params):
    return DeepGXPRegressor(**{"max_epochs": 1, "batch_size": 32, "verbose": 0,
                               "callbacks__convergence": None, **tiny, **params})


def test_default_padding_probabilities_are_bhis():
    assert PADDING_PROBABILITIES == pytest.approx((0.333, 0.2228, 0.4442), abs=5e-5)
    assert DeepGXPRegressor().padding_probabilities == PADDING_PROBABILITIES


def test_padding_probabilities_set_the_mode_frequencies():
    modes = draw_padding_modes(200_000, generator=torch.Generator().manual_seed(0),
                               probabilities=(0.1, 0.6, 0.3))
    freq = torch.bincount(modes, minlength=3).double() / len(modes)
    np.testing.assert_allclose(freq.numpy(), [0.1, 0.6, 0.3], atol=0.005)


def test_padding_off_places_short_inserts_3p_without_drawing(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, padding=False).fit(codes, y)
    batch = torch.from_numpy(np.asarray(codes[:16]))
    state = torch.get_rng_state()
    x = net._training_input(batch)
    assert torch.equal(torch.get_rng_state(), state)
    # The unshifted test-time window is the 3'-only placement.
    forward = one_hot(shifted_windows(batch, net.input_length_, (0,), offset=37))
    assert torch.equal(x[:16], forward)


def test_rc_conjoin_off_trains_and_predicts_the_forward_strand_only(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, rc_conjoin=False).fit(codes, y)
    batch = torch.from_numpy(np.asarray(codes[:8]))
    assert net._training_input(batch).shape[0] == 8
    assert net._view_predictions(batch).shape[:2] == (5, 8)  # 5 shifts, one strand


def test_tta_shifts_choose_the_views(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, tta_shifts=(-3, 0, 3)).fit(codes, y)
    net.module_.eval()
    views = net._view_predictions(torch.from_numpy(np.asarray(codes[:4])))
    assert views.shape[:2] == (6, 4)  # 3 shifts x 2 strands
    net.set_params(tta_shifts=None, tta=2)
    manual = net._view_predictions(torch.from_numpy(np.asarray(codes[:4])))
    torch.testing.assert_close(views[[1, 4]], manual)


@pytest.mark.parametrize(("params", "message"), [
    ({"padding_probabilities": (0.5, 0.5, 0.5)},
     "padding_probabilities must be three probabilities (3'-only, 5'-only, both sides) "
     "that sum to 1; got (0.5, 0.5, 0.5)."),
    ({"tta_shifts": (0, 0)},
     "tta_shifts must be None or a non-empty tuple of distinct ints (bases to shift the "
     "insert by at prediction); got (0, 0)."),
    ({"rc_conjoin": 1}, "rc_conjoin must be True or False; got 1."),
    ({"target_center": "median"},
     "target_center must be a finite number, one per target, or 'mean'; got 'median'."),
])
def test_invalid_augmentation_parameters_are_named(tiny, demo_codes, params, message):
    codes, y = demo_codes
    with pytest.raises(ValueError, match=re.escape(message)):
        _net(tiny, **params).fit(codes, y)
