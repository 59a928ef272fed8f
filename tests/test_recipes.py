"""skgxp.recipes: unfitted pipelines of the documented structure, clone, a small fit."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_is_fitted

from skgxp import DeepGXPRegressor, KmerCounts, PromoterEncoder, recipes
from skgxp.datasets import load_dream_demo


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
        # repr: the parameters include arrays (RidgeCV's alphas), which == cannot compare.
        assert repr(twin_step.get_params(deep=False)) == repr(step.get_params(deep=False))


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
