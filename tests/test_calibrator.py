"""QuantileCalibrator: BHI's normal formula, the empirical quantile, its score,
frozen regressors and parameter routing in searches."""

import numpy as np
import pytest
from scipy import stats
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold

from skgxp import QuantileCalibrator
from skgxp.metrics import spearman_scorer


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = 11 + 2.4 * (X @ np.array([0.7, -0.3, 0.2]) + 0.3 * rng.normal(size=120))
    return X, y


def test_normal_is_phi_of_standardized_prediction(data):
    X, y = data
    calibrated = QuantileCalibrator(LinearRegression()).fit(X, y)
    raw = LinearRegression().fit(X, y).predict(X)
    expected = stats.norm.cdf((raw - y.mean()) / y.std())
    np.testing.assert_allclose(calibrated.predict(X), expected, rtol=1e-12)


def test_normal_equals_bhis_postprocessing_in_standardized_units(data):
    # BHI: norm.cdf(x, loc=mean of standardized training targets) on x = (yhat - 11) / std.
    X, y = data
    calibrated = QuantileCalibrator(LinearRegression()).fit(X, y)
    raw = LinearRegression().fit(X, y).predict(X)
    std = np.std(y)
    bhi = stats.norm.cdf((raw - 11.0) / std, loc=np.mean((y - 11.0) / std), scale=1.0)
    np.testing.assert_allclose(calibrated.predict(X), bhi, rtol=1e-10)


def test_empirical_is_hazens_plotting_position_of_the_mid_rank(data):
    X, y = data
    calibrated = QuantileCalibrator(LinearRegression(), method="empirical").fit(X, y)
    raw = LinearRegression().fit(X, y).predict(X)
    below = (y[None, :] < raw[:, None]).sum(axis=1)
    equal = (y[None, :] == raw[:, None]).sum(axis=1)
    expected = (below + equal / 2 + 0.5) / (len(y) + 1)
    np.testing.assert_allclose(calibrated.predict(X), expected, rtol=1e-15)


def test_empirical_counts_ties_half_below_and_half_above():
    calibrated = QuantileCalibrator(LinearRegression(), method="empirical")
    calibrated.fit(np.arange(4.0)[:, None], [1.0, 2.0, 2.0, 3.0])
    # n = 4: (n_below + n_equal / 2 + 1 / 2) / 5.
    np.testing.assert_allclose(
        calibrated.transform_predictions([0.5, 1.0, 2.0, 2.5, 9.0]),
        [0.1, 0.2, 0.5, 0.7, 0.9], rtol=1e-15,
    )


def test_empirical_stays_strictly_inside_0_and_1_beyond_the_targets(data):
    X, y = data
    calibrated = QuantileCalibrator(LinearRegression(), method="empirical").fit(X, y)
    ends = calibrated.transform_predictions([-1e300, 1e300])
    np.testing.assert_allclose(ends, [0.5 / 121, 120.5 / 121], rtol=1e-15)


def test_normal_rounds_to_1_more_than_8_3_sd_above_the_mean(data):
    # The float64 limit that QuantileCalibrator.predict documents.
    X, y = data
    calibrated = QuantileCalibrator(LinearRegression()).fit(X, y)
    above = calibrated.transform_predictions(y.mean() + np.array([8.2, 8.4]) * y.std())
    assert above[0] < 1.0
    assert above[1] == 1.0


def test_score_is_the_pearson_r_of_the_quantiles_with_y(data):
    X, y = data
    calibrated = QuantileCalibrator(LinearRegression()).fit(X, y)
    quantiles = stats.norm.cdf((LinearRegression().fit(X, y).predict(X) - y.mean()) / y.std())
    assert calibrated.score(X, y) == pytest.approx(np.corrcoef(quantiles, y)[0, 1], rel=1e-12)


def test_default_scoring_in_a_search_prefers_the_informative_model():
    # y is the small difference of two correlated features: a heavily shrunk
    # Ridge points the wrong way (Pearson r about 0.24, against 0.97). The
    # R-squared of (0, 1) quantiles against y of spread 0.003 would prefer it.
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=120)
    x1 = x0 + 0.3 * rng.normal(size=120)
    y = 0.01 * (x1 - x0 + 0.05 * rng.normal(size=120))
    search = GridSearchCV(
        QuantileCalibrator(Ridge()), {"regressor__alpha": [1e6, 0.01]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(np.c_[x0, x1], y)
    assert search.best_params_ == {"regressor__alpha": 0.01}


def test_calibration_keeps_the_ranking(data):
    X, y = data
    raw = LinearRegression().fit(X, y).predict(X)
    for method in ("normal", "empirical"):
        calibrated = QuantileCalibrator(LinearRegression(), method=method).fit(X, y)
        assert stats.spearmanr(raw, calibrated.predict(X))[0] > 0.99


def test_frozen_regressor_is_not_refitted(data):
    X, y = data
    fitted = LinearRegression().fit(X[:60], y[:60])
    coef = fitted.coef_.copy()
    calibrated = QuantileCalibrator(FrozenEstimator(fitted)).fit(X[60:], y[60:])
    np.testing.assert_array_equal(fitted.coef_, coef)
    np.testing.assert_array_equal(calibrated.regressor_.predict(X), fitted.predict(X))
    # The target statistics come from the calibration rows.
    assert calibrated.target_mean_ == pytest.approx(y[60:].mean())
    assert calibrated.target_std_ == pytest.approx(y[60:].std())


def test_unfrozen_regressor_is_cloned_not_modified(data):
    X, y = data
    regressor = LinearRegression()
    calibrated = QuantileCalibrator(regressor).fit(X, y)
    assert calibrated.regressor_ is not regressor
    assert not hasattr(regressor, "coef_")


def test_regressor_parameters_are_reachable_in_a_search(data):
    X, y = data
    search = GridSearchCV(
        QuantileCalibrator(Ridge()),
        {"regressor__alpha": [0.01, 1000.0], "method": ["normal", "empirical"]},
        scoring=spearman_scorer,
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, y)
    assert search.best_params_["regressor__alpha"] == 0.01
    assert search.best_estimator_.regressor_.alpha == 0.01
    assert len(search.cv_results_["params"]) == 4


def test_unknown_method_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="'method' parameter of QuantileCalibrator"):
        QuantileCalibrator(LinearRegression(), method="beta").fit(X, y)


def test_non_finite_target_names_its_row(data):
    X, y = data
    y = y.copy()
    y[4] = np.nan
    with pytest.raises(ValueError, match=r"^y\[4\] is nan; targets must be finite numbers\.$"):
        QuantileCalibrator(LinearRegression()).fit(X, y)


def test_constant_targets_do_not_divide_by_zero():
    calibrated = QuantileCalibrator(LinearRegression()).fit(np.arange(5.0)[:, None], [3.0] * 5)
    assert calibrated.target_std_ == 1.0
    assert calibrated.transform_predictions([3.0]) == pytest.approx([0.5])


def test_complex_target_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match=r"^Complex data not supported: y has dtype complex128\.$"):
        QuantileCalibrator(LinearRegression()).fit(X, y.astype(complex))


def test_n_features_in_comes_from_the_fitted_regressor(data):
    X, y = data
    calibrator = QuantileCalibrator(LinearRegression())
    assert not hasattr(calibrator, "n_features_in_")
    assert calibrator.fit(X, y).n_features_in_ == 3
