"""The estimators inside scikit-learn's machinery: Pipeline, cross_validate,
GridSearchCV, TransformedTargetRegressor, clone, set_params, pickle."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgxp import DeepGXPRegressor, PromoterEncoder, QuantileCalibrator, SequenceLengthWarning
from skgxp.metrics import pearson_scorer, spearman_scorer


@pytest.fixture(scope="module")
def settings(sensitive):
    # The fitted network's output varies with its input: correlations are defined.
    return dict(sensitive, max_epochs=1, batch_size=32, tta=2, verbose=0)


def _pipeline(settings, **params):
    return make_pipeline(PromoterEncoder(), DeepGXPRegressor(**dict(settings, **params)))


@pytest.fixture(scope="module")
def fitted(settings, demo):
    X, y = demo
    return _pipeline(settings).fit(X, y)


def test_pipeline_predicts_from_strings(fitted, demo):
    X, _ = demo
    pred = fitted.predict(list(X[:5]))
    assert pred.shape == (5,)
    assert np.isfinite(pred).all()


def test_cross_validate_in_two_processes_scores_as_in_one(settings, demo):
    X, y = demo

    def scores(n_jobs):
        result = cross_validate(
            _pipeline(settings), X, y, cv=KFold(3, shuffle=True, random_state=123456789),
            scoring={"pearson": pearson_scorer, "spearman": spearman_scorer},
            n_jobs=n_jobs,
        )
        return np.r_[result["test_pearson"], result["test_spearman"]]

    serial = scores(1)
    assert np.isfinite(serial).all()
    np.testing.assert_array_equal(scores(2), serial)


def test_grid_search_over_lr_and_a_module_knob(settings, demo):
    X, y = demo
    grid = {"deepgxpregressor__lr": [1e-3, 1.5e-3],
            "deepgxpregressor__module__lstm_hidden_size": [4, 6]}
    search = GridSearchCV(_pipeline(settings), grid, cv=2, scoring=pearson_scorer).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    best = search.best_estimator_[-1]
    assert best.module_.lstm.hidden_size == (
        search.best_params_["deepgxpregressor__module__lstm_hidden_size"]
    )
    assert best.lr == search.best_params_["deepgxpregressor__lr"]


def test_transformed_target_regressor_around_the_pipeline(settings, demo):
    X, y = demo
    # The scaler centres y already, so the regressor's own centre moves to 0.
    model = TransformedTargetRegressor(
        regressor=_pipeline(settings, target_center=0.0), transformer=StandardScaler()
    )
    with warnings.catch_warnings():
        # A (n, 1)-vs-(n,) broadcast in the loss would warn here.
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", SequenceLengthWarning)  # the demo's long rows
        model.fit(X, y)
    # By hand: the same pipeline fitted on the standardized target, its
    # predictions taken back to the units of y.
    inner = _pipeline(settings, target_center=0.0).fit(X, (y - y.mean()) / y.std())
    expected = inner.predict(X[:7]) * y.std() + y.mean()
    np.testing.assert_allclose(model.predict(X[:7]), expected, rtol=1e-6)


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(fitted):
    copy = clone(fitted)
    assert copy.get_params()["deepgxpregressor__module__fc_size"] == 8
    assert not hasattr(copy[-1], "target_scale_")
    assert copy[-1] is not fitted[-1]


def test_set_params_reaches_module_and_training(settings, demo):
    X, y = demo
    model = _pipeline(settings).set_params(
        deepgxpregressor__max_epochs=2, deepgxpregressor__module__fc_size=6
    )
    model.fit(X[:100], y[:100])
    assert model[-1].module_.head[0].out_features == 6
    assert len(model[-1].history) == 2


def test_pickled_pipeline_predicts_the_same(fitted, demo):
    X, _ = demo
    restored = pickle.loads(pickle.dumps(fitted))
    assert np.array_equal(restored.predict(X), fitted.predict(X))
    assert restored.get_params()["deepgxpregressor__device"] == "auto"


def test_pickled_calibrator_predicts_the_same(settings, demo):
    X, y = demo
    calibrated = QuantileCalibrator(_pipeline(settings)).fit(X, y)
    restored = pickle.loads(pickle.dumps(calibrated))
    pred = restored.predict(X)
    assert np.array_equal(pred, calibrated.predict(X))
    assert ((pred > 0) & (pred < 1)).all()
