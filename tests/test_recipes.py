"""skgxp.recipes: unfitted models of the documented structure, clone, small fits."""

import pickle

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.base import clone
from sklearn.ensemble import VotingRegressor
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_is_fitted

import skgxp
from skgxp import DeepGXPRegressor, KmerCounts, PromoterEncoder, QuantileCalibrator, recipes
from skgxp.datasets import load_dream_demo
from skgxp.metrics import pearson_scorer
from conftest import TINY


@pytest.fixture(scope="module")
def demo():
    X, y = load_dream_demo(return_X_y=True)
    return X[:300], y[:300], X[300:340]


@pytest.mark.parametrize("recipe", [recipes.bhi, recipes.kmer_ridge])
def test_recipe_is_an_unfitted_pipeline(recipe):
    model = recipe()
    assert isinstance(model, Pipeline)
    assert not model.__sklearn_is_fitted__()


@pytest.mark.parametrize("recipe", [recipes.bhi, recipes.kmer_ridge])
def test_each_call_returns_a_new_model(recipe):
    first, second = recipe(), recipe()
    assert first is not second
    assert all(a is not b for (_, a), (_, b) in zip(first.steps, second.steps))


@pytest.mark.parametrize("recipe", [recipes.bhi, recipes.kmer_ridge])
def test_recipe_clones_with_its_parameters(recipe):
    model = recipe()
    twin = clone(model)
    for (name, step), (twin_name, twin_step) in zip(model.steps, twin.steps, strict=True):
        assert twin_name == name and twin_step is not step
        _assert_same_params(step, twin_step)


def _assert_same_params(step, twin_step):
    params, twin_params = step.get_params(deep=False), twin_step.get_params(deep=False)
    # skorch's _params_to_validate is a set: its repr's order may differ.
    assert params.pop("_params_to_validate", None) == twin_params.pop(
        "_params_to_validate", None)
    # repr: the parameters include arrays (RidgeCV's alphas), which == cannot compare.
    assert repr(twin_params) == repr(params)


def test_bhi_is_promoter_encoder_then_regressor():
    steps = recipes.bhi().steps
    assert [name for name, _ in steps] == ["promoterencoder", "deepgxpregressor"]
    assert type(steps[0][1]) is PromoterEncoder
    assert type(steps[1][1]) is DeepGXPRegressor


def test_bhi_has_the_default_encoder_and_bhis_defaults():
    encoder, regressor = (step for _, step in recipes.bhi().steps)
    assert encoder.get_params() == PromoterEncoder().get_params()
    params = regressor.get_params()
    assert {key: params[key] for key in (
        "lr", "max_epochs", "batch_size", "optimizer__weight_decay", "tta",
        "target_center", "random_state", "iterator_train__shuffle",
        "iterator_train__drop_last",
    )} == {
        "lr": 1.5e-3, "max_epochs": 15, "batch_size": 512, "optimizer__weight_decay": 0.01,
        "tta": 10, "target_center": 11.0, "random_state": 40,
        "iterator_train__shuffle": True, "iterator_train__drop_last": True,
    }


def test_kmer_ridge_is_canonical_1_to_6_mers_then_ridge_cv():
    counts, dense, ridge = (step for _, step in recipes.kmer_ridge().steps)
    assert type(counts) is KmerCounts and counts.get_params() == {"k": (1, 6), "canonical": True}
    assert type(dense) is FunctionTransformer
    assert type(ridge) is RidgeCV
    np.testing.assert_array_equal(ridge.alphas, recipes.KMER_RIDGE_ALPHAS)
    assert ridge.gcv_mode == "svd"


def test_kmer_ridge_fits_on_demo_rows_and_predicts_finite_values(demo):
    X, y, X_new = demo
    model = recipes.kmer_ridge().fit(X, y)
    check_is_fitted(model)
    pred = model.predict(X_new)
    assert pred.shape == (len(X_new),)
    assert np.isfinite(pred).all()


def test_kmer_ridge_learns_something_from_demo_rows(demo):
    X, y, _ = demo
    model = recipes.kmer_ridge().fit(X[:250], y[:250])
    assert np.corrcoef(model.predict(X[250:]), y[250:])[0, 1] > 0.1


def test_fitted_kmer_ridge_pickles(demo):
    X, y, X_new = demo
    model = recipes.kmer_ridge().fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X_new), model.predict(X_new))


# -- small_data ---------------------------------------------------------------------------


def _tiny_small_data():
    """small_data() with a tiny network trained for one epoch: a fit in seconds."""
    model = recipes.small_data()
    return model.set_params(**{
        f"deepgxp__deepgxpregressor__{key}": value
        for key, value in {**TINY, "max_epochs": 1, "verbose": 0, "device": "cpu"}.items()})


@pytest.fixture(scope="module")
def small(demo):
    X, y, _ = demo
    return _tiny_small_data().fit(X, y)


def test_small_data_is_an_unfitted_voting_regressor():
    model = recipes.small_data()
    assert type(model) is VotingRegressor
    assert not hasattr(model, "estimators_")


def test_small_data_members_are_the_ridge_and_one_network():
    names = [name for name, _ in recipes.small_data().estimators]
    assert names == ["kmer_ridge", "deepgxp"]


def test_small_data_ridge_member_is_kmer_ridge():
    ridge = recipes.small_data().named_estimators["kmer_ridge"]
    baseline = recipes.kmer_ridge()
    assert repr(ridge.get_params(deep=True)) == repr(baseline.get_params(deep=True))


def test_small_data_network_has_the_recipe_settings_and_bhis_otherwise():
    network = recipes.small_data().named_estimators["deepgxp"]
    encoder, regressor = (step for _, step in network.steps)
    assert encoder.get_params() == PromoterEncoder().get_params()
    params = regressor.get_params(deep=False)
    defaults = DeepGXPRegressor().get_params(deep=False)
    assert {key for key in params if params[key] != defaults.get(key, object())} == {
        *recipes.SMALL_DATA_NETWORK, "_params_to_validate"}
    assert {key: params[key] for key in recipes.SMALL_DATA_NETWORK} == (
        recipes.SMALL_DATA_NETWORK)


def test_small_data_weights_are_the_chosen_ones():
    assert recipes.small_data().weights == [0.5, 0.5] == list(recipes.SMALL_DATA_WEIGHTS)


def test_small_data_clones_with_its_parameters():
    model = recipes.small_data()
    twin = clone(model)
    assert twin.weights == model.weights
    for (name, member), (twin_name, twin_member) in zip(
            model.estimators, twin.estimators, strict=True):
        assert twin_name == name and twin_member is not member
        for (_, step), (_, twin_step) in zip(member.steps, twin_member.steps, strict=True):
            _assert_same_params(step, twin_step)


def test_small_data_predicts_the_weighted_mean_of_its_members(small, demo):
    *_, X_new = demo
    members = np.array([member.predict(X_new) for member in small.estimators_])
    expected = np.average(members, axis=0, weights=small.weights)
    np.testing.assert_allclose(small.predict(X_new), expected, rtol=1e-12)


def test_fitted_small_data_pickles(small, demo):
    *_, X_new = demo
    again = pickle.loads(pickle.dumps(small))
    np.testing.assert_array_equal(again.predict(X_new), small.predict(X_new))


def test_fitted_small_data_saves_and_loads(small, demo, tmp_path):
    *_, X_new = demo
    loaded = skgxp.load(skgxp.save(small, tmp_path / "small"), device="cpu")
    assert type(loaded) is VotingRegressor and loaded.weights == small.weights
    np.testing.assert_array_equal(loaded.predict(X_new), small.predict(X_new))


def test_grid_search_over_small_data_weights(demo):
    X, y, _ = demo
    grid = [[1.0, 0.0], [0.5, 0.5]]
    search = GridSearchCV(_tiny_small_data(), {"weights": grid}, cv=KFold(2),
                          scoring=pearson_scorer).fit(X, y)
    assert [params["weights"] for params in search.cv_results_["params"]] == grid
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.weights in grid


def test_quantile_calibrator_around_small_data(demo):
    X, y, X_new = demo
    model = QuantileCalibrator(_tiny_small_data()).fit(X, y)
    assert type(model.regressor_) is VotingRegressor
    raw = model.regressor_.predict(X_new)
    expected = norm.cdf((raw - y.mean()) / y.std())
    np.testing.assert_allclose(model.predict(X_new), expected, rtol=1e-12)
