"""Several targets per sequence, and target scales other than the DREAM bins."""

import re
import warnings

import numpy as np
import pytest
import torch

from skgxp import DeepGXPRegressor, PromoterEncoder


def _net(tiny, **params):
    return DeepGXPRegressor(**{"max_epochs": 1, "batch_size": 32, "verbose": 0,
                               "callbacks__convergence": None, **tiny, **params})


@pytest.fixture(scope="module")
def two_targets(demo):
    X, y = demo
    rng = np.random.default_rng(0)
    Y = np.column_stack([y, 0.5 * y + rng.normal(0, 1, len(y))])
    return PromoterEncoder().transform(X), Y


def test_two_targets_train_a_two_output_network(tiny, two_targets):
    codes, Y = two_targets
    net = _net(tiny, target_center="mean").fit(codes, Y)
    assert net.module_.head[-1].out_features == 2
    assert net.predict(codes[:7]).shape == (7, 2)


def test_each_output_is_standardized_on_its_own(tiny, two_targets):
    codes, Y = two_targets
    net = _net(tiny, target_center="mean").fit(codes, Y)
    np.testing.assert_allclose(net.target_center_, Y.astype(np.float32).mean(0), rtol=1e-6)
    np.testing.assert_allclose(net.target_scale_, Y.astype(np.float32).std(0), rtol=1e-6)


def test_multi_output_loss_is_the_mean_of_per_output_conjoined_losses(tiny, two_targets):
    codes, Y = two_targets
    net = _net(tiny, target_center="mean").fit(codes, Y)
    rng = torch.Generator().manual_seed(0)
    forward, reverse = torch.randn(8, 2, generator=rng), torch.randn(8, 2, generator=rng)
    y = torch.from_numpy(Y[:8].astype(np.float32))
    loss = net.get_loss((forward, reverse), y)
    huber = torch.nn.HuberLoss()
    per_output = []
    for j in range(2):
        t = (y[:, j] - float(net.target_center_[j])) / float(net.target_scale_[j])
        per_output.append((huber(forward[:, j], t) + huber(reverse[:, j], t)) / 2)
    torch.testing.assert_close(loss, sum(per_output) / 2)


def test_one_column_y_predicts_one_dimension(tiny, demo_codes):
    codes, y = demo_codes
    assert _net(tiny).fit(codes, y[:, None]).predict(codes[:4]).shape == (4,)


def test_partial_fit_with_another_number_of_outputs_is_refused(tiny, two_targets):
    codes, Y = two_targets
    net = _net(tiny, target_center="mean").fit(codes, Y)
    with pytest.raises(ValueError, match=re.escape(
            "y has 1 output(s), but this model was fitted with 2.")):
        net.partial_fit(codes, Y[:, 0])


def test_target_center_mean_centres_on_the_training_mean(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, target_center="mean").fit(codes, y)
    assert net.target_center_ == pytest.approx(float(y.astype(np.float32).mean()), rel=1e-6)


def test_default_centre_far_from_the_targets_warns(tiny, demo_codes):
    codes, y = demo_codes
    log_ratio = (y - y.mean()) / 4  # human MPRA-like: near 0
    with pytest.warns(UserWarning, match=re.escape(
            "target_center=11 lies outside the training targets (")):
        _net(tiny).fit(codes, log_ratio)


def test_dream_targets_with_the_default_centre_do_not_warn(tiny, demo_codes):
    codes, y = demo_codes
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        _net(tiny).fit(codes, y)


def test_target_center_with_a_wrong_count_is_refused(tiny, two_targets):
    codes, Y = two_targets
    with pytest.raises(ValueError, match=re.escape(
            "target_center has 3 values but y has 2 outputs; give one number, one per "
            "output, or 'mean'.")):
        _net(tiny, target_center=(1.0, 2.0, 3.0)).fit(codes, Y)


def test_quantile_calibrator_calibrates_each_output_on_its_own(tiny, demo):
    from sklearn.pipeline import make_pipeline
    from skgxp import QuantileCalibrator

    X, y = demo
    Y = np.column_stack([y, -2 * y])
    model = QuantileCalibrator(make_pipeline(PromoterEncoder(), _net(tiny, target_center="mean")),
                               method="empirical").fit(X, Y)
    raw = model.regressor_.predict(X[:9])
    expected = [(np.searchsorted(np.sort(Y[:, j]), raw[:, j], "left")
                 + np.searchsorted(np.sort(Y[:, j]), raw[:, j], "right") + 1)
                / (2 * (len(Y) + 1)) for j in range(2)]
    np.testing.assert_allclose(model.predict(X[:9]), np.column_stack(expected))


def test_two_output_calibrated_model_saves_and_loads(tiny, demo, tmp_path):
    from sklearn.pipeline import make_pipeline
    import skgxp
    from skgxp import QuantileCalibrator

    X, y = demo
    model = QuantileCalibrator(make_pipeline(PromoterEncoder(), _net(
        tiny, target_center="mean"))).fit(X, np.column_stack([y, y ** 2]))
    skgxp.save(model, tmp_path / "m")
    np.testing.assert_array_equal(skgxp.load(tmp_path / "m").predict(X[:5]),
                                  model.predict(X[:5]))
