"""skgxp.interpret.attributions against finite differences and IG's completeness.

The reference derivative is a central finite difference in float64: a float64
copy of the network, fed the model's test-time views built here from strings
(conftest's re-typed BHI shifts and one-hot), each view's window perturbed at
the column where the insert's perturbed cell lands (``p - shift``; on the
reverse strand the window is flipped after the perturbation). With eps 1e-6
in float64 the difference is exact to ~1e-9 and crosses no ReLU kink in
practice, so what is left is the float32 rounding of the attributions'
backward pass: atol 1e-4 of the map's largest value (float32 carries ~7
digits; measured: ~1e-6 of it; a view mapped wrongly is off by 0.3-0.8).

Integrated gradients' completeness is checked against ``predict``: the sum of
a map is ``predict(x) - predict(baseline)`` up to the quadrature error and the
float32 rounding of predictions near 11 (~1e-6): rtol 1e-2 plus atol 1e-5.
"""

import copy
import re
import sys

import numpy as np
import pytest
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.interpret import attributions
from conftest import SENSITIVE, bhi_onehot, bhi_shift

pytest.importorskip("captum")

LENGTH = 110
SHIFTS = {1: (0,), 2: (0,), 10: (-2, -1, 0, 1, 2)}


def fit_model(X, y, **params):
    regressor = DeepGXPRegressor(max_epochs=1, batch_size=32, verbose=0, **SENSITIVE, **params)
    return make_pipeline(PromoterEncoder(), regressor).fit(X, y)


@pytest.fixture(scope="module")
def model(demo):
    return fit_model(*demo)


@pytest.fixture(scope="module")
def seqs(demo):
    X, _ = demo
    full = [s for s in X if len(s) == LENGTH][:3]  # inserts filling the window
    with_n = full[2][:40] + "N" + full[2][41:]
    return [full[0], full[1], with_n]


def reference_forward(regressor, seq, output=0):
    """``f(inserts) -> predictions``: predict's view mean for (m, 4, 110) insert one-hots.

    In float64, from ``seq``'s own windows (its vector flanks) with the insert
    columns replaced; only for 110-bp inserts.
    """
    module = copy.deepcopy(regressor.module_).cpu().double().eval()
    shifts = SHIFTS[regressor.tta]
    both = regressor.tta != 1
    windows = [bhi_onehot(bhi_shift(seq, s)).astype(np.float64) for s in shifts]
    scale = np.broadcast_to(regressor.target_scale_, (regressor.n_outputs_,))[output]
    center = np.broadcast_to(regressor.target_center_, (regressor.n_outputs_,))[output]

    def forward(inserts):
        views = []
        for shift, window in zip(shifts, windows):
            view = np.repeat(window[None], len(inserts), axis=0)
            for column in range(LENGTH):  # window column j shows insert position j + shift
                if 0 <= column + shift < LENGTH:
                    view[:, :, column] = inserts[:, :, column + shift]
            views.append(view)
        if both:
            views += [view[:, ::-1, ::-1] for view in views]
        with torch.no_grad():
            out = np.stack([module(torch.from_numpy(np.ascontiguousarray(v))).numpy()
                            for v in views])
        return out.mean(0)[:, output] * scale + center

    return forward


def finite_difference_saliency(regressor, seq, output=0, eps=1e-6):
    forward = reference_forward(regressor, seq, output)
    x = bhi_onehot(seq).astype(np.float64)
    steps = np.zeros((4 * LENGTH, 4, LENGTH))
    steps[np.arange(4 * LENGTH), *np.unravel_index(np.arange(4 * LENGTH), (4, LENGTH))] = eps
    gradient = (forward(x + steps) - forward(x - steps)) / (2 * eps)
    return gradient.reshape(4, LENGTH)


@pytest.fixture(scope="module")
def saliency(model, seqs):
    return attributions(model, seqs)


def test_shape_and_dtype(saliency, seqs):
    assert saliency.shape == (len(seqs), 4, LENGTH)
    assert saliency.dtype == np.float32


def test_saliency_equals_finite_differences_through_the_ten_views(model, seqs, saliency):
    for i, seq in enumerate(seqs):
        want = finite_difference_saliency(model[-1], seq)
        assert np.abs(want).max() > 1e-4  # the model does respond
        np.testing.assert_allclose(saliency[i], want, rtol=0, atol=1e-4 * np.abs(want).max())


@pytest.mark.parametrize("tta", [1, 2])
def test_saliency_follows_the_models_views(model, seqs, saliency, tta):
    regressor = model[-1].set_params(tta=tta)
    try:
        got = attributions(model, seqs[:1])[0]
        want = finite_difference_saliency(regressor, seqs[0])
    finally:
        regressor.set_params(tta=10)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * np.abs(want).max())
    assert np.abs(got - saliency[0]).max() > 1e-2 * np.abs(want).max()


def test_saliency_of_an_n_is_the_gradient_there(saliency):
    assert (saliency[2, :, 40] != 0).all()


def test_input_x_gradient_is_the_saliency_of_the_present_base(model, seqs, saliency):
    got = attributions(model, seqs, "input_x_gradient")
    onehot = np.stack([bhi_onehot(s) for s in seqs])
    np.testing.assert_array_equal(got, saliency * onehot)
    assert (got[2, :, 40] == 0).all()  # an N has no base


def test_integrated_gradients_sum_to_the_prediction_gap_from_n(model, seqs):
    maps = attributions(model, seqs, "integrated_gradients", n_steps=100)
    gap = model.predict(seqs) - model.predict(["N" * LENGTH])
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), gap, rtol=1e-2, atol=1e-5)
    assert (maps[2, :, 40] == 0).all()  # the path does not move at an N


def test_integrated_gradients_from_a_uniform_baseline(model, seqs):
    maps = attributions(model, seqs[:1], "integrated_gradients", baseline="uniform",
                        n_steps=100)
    forward = reference_forward(model[-1], seqs[0])
    x = bhi_onehot(seqs[0]).astype(np.float64)
    gap = forward(x[None])[0] - forward(np.full((1, 4, LENGTH), 0.25))[0]
    np.testing.assert_allclose(maps[0].sum(), gap, rtol=1e-2, atol=1e-5)
    # The same baseline as an array, one per sequence.
    array = attributions(model, seqs[:1], "integrated_gradients", n_steps=100,
                         baseline=np.full((1, 4, LENGTH), 0.25))
    np.testing.assert_array_equal(array, maps)


def test_a_shorter_insert_has_zeros_past_its_end_and_keeps_completeness(model, demo):
    short = demo[0][0][:70]
    maps = attributions(model, [short], "integrated_gradients", n_steps=100)
    assert (maps[0, :, 70:] == 0).all()
    assert (attributions(model, [short])[0, :, 70:] == 0).all()
    # The vector past the end stays on the path: the baseline is 70 N's.
    gap = model.predict([short])[0] - model.predict(["N" * 70])[0]
    np.testing.assert_allclose(maps[0].sum(), gap, rtol=1e-2, atol=1e-5)


def test_a_regressor_alone_and_a_frozen_pipeline_equal_the_pipeline(model, seqs, saliency):
    np.testing.assert_array_equal(attributions(model[-1], seqs), saliency)
    np.testing.assert_array_equal(attributions(FrozenEstimator(model), seqs), saliency)


def test_batch_size_does_not_change_the_maps(model, seqs, saliency):
    np.testing.assert_allclose(attributions(model, seqs, batch_size=2), saliency,
                               rtol=0, atol=1e-6 * np.abs(saliency).max())
    ig = attributions(model, seqs, "integrated_gradients", n_steps=20)
    np.testing.assert_allclose(
        attributions(model, seqs, "integrated_gradients", n_steps=20, batch_size=7), ig,
        rtol=0, atol=1e-6 * np.abs(ig).max())


def test_several_outputs_attribute_the_chosen_target(demo, seqs):
    X, y = demo
    model = fit_model(X, np.column_stack([y, np.sqrt(y)]), target_center="mean")
    got = attributions(model, seqs[:1], target=1)[0]
    want = finite_difference_saliency(model[-1], seqs[0], output=1)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * np.abs(want).max())
    message = "This model predicts 2 outputs; choose the one to attribute with target= (0 to 1)."
    with pytest.raises(ValueError, match=re.escape(message)):
        attributions(model, seqs[:1])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_attributions_despite_cudnn_lstm_eval_mode(demo, seqs):
    # cuDNN refuses an LSTM backward in evaluation mode; attributions must not.
    model = fit_model(*demo, device="cuda", precision="fp32")
    got = attributions(model, seqs[:1])[0]
    want = finite_difference_saliency(model[-1], seqs[0])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * np.abs(want).max())
    maps = attributions(model, seqs, "integrated_gradients", n_steps=100)
    gap = model.predict(seqs) - model.predict(["N" * LENGTH])
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), gap, rtol=1e-2, atol=1e-5)


# -- bad input ---------------------------------------------------------------------


def test_an_unknown_method_is_refused(model, seqs):
    message = ("method must be one of 'saliency', 'input_x_gradient', "
               "'integrated_gradients'; got 'deeplift'.")
    with pytest.raises(ValueError, match=re.escape(message)):
        attributions(model, seqs, "deeplift")


def test_a_baseline_without_integrated_gradients_is_refused(model, seqs):
    message = "baseline is for method='integrated_gradients'; got method='saliency'."
    with pytest.raises(ValueError, match=re.escape(message)):
        attributions(model, seqs, baseline="uniform")


@pytest.mark.parametrize("baseline, message", [
    ("shuffle", "baseline must be None, 'uniform' or an array; got 'shuffle'."),
    (np.zeros((4, 80)), "baseline must have shape (4, 110) or (3, 4, 110) (bases x insert "
                        "positions); got (4, 80)."),
    (np.full((4, 110), np.nan), "baseline has NaN or infinite values."),
])
def test_a_bad_baseline_is_refused(model, seqs, baseline, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        attributions(model, seqs, "integrated_gradients", baseline=baseline)


@pytest.mark.parametrize("n_steps", [0, 2.5, True])
def test_a_bad_n_steps_is_refused(model, seqs, n_steps):
    with pytest.raises(ValueError, match=re.escape(
            f"n_steps must be a positive int; got {n_steps!r}.")):
        attributions(model, seqs, "integrated_gradients", n_steps=n_steps)


@pytest.mark.parametrize("target", [1, -1, "0"])
def test_a_bad_target_is_refused(model, seqs, target):
    message = f"target must be an int from 0 to 0 (the model predicts 1 output); got {target!r}."
    with pytest.raises(ValueError, match=re.escape(message)):
        attributions(model, seqs, target=target)


def test_a_bad_base_is_reported_with_its_row(model, seqs):
    with pytest.raises(ValueError, match=re.escape("X[1] has invalid character 'U'")):
        attributions(model, [seqs[0], "ACGUA"])


def test_without_captum_the_error_says_what_to_install(model, seqs, monkeypatch):
    monkeypatch.setitem(sys.modules, "captum.attr", None)  # import captum.attr fails
    message = ("skgxp.interpret.attributions needs captum; install it with pip install "
               "'skgxp[interpret]' (or pip install captum).")
    with pytest.raises(ImportError, match=re.escape(message)):
        attributions(model, seqs)
