"""Correlation scorers and the DREAM 2022 weighted score."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import UndefinedMetricWarning

from skgxp.datasets import load_public_leaderboard
from skgxp.metrics import (
    DREAM_WEIGHTS,
    dream_score,
    pearson_r,
    pearson_scorer,
    spearman_r,
    spearman_scorer,
)

# Ten test indices: four "random", three "high_exp" (one shared), six SNV members.
LABELS = pd.DataFrame(
    {
        "index": [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
        "subset": ["random", "random", "random,high_exp", "random,high_exp", "high_exp",
                   "SNVs", "SNVs", "SNVs", "SNVs", "SNVs"],
        "expression": [0.1, 0.5, 0.9, 1.3, 0.2, 0.8, 0.4, 1.0, -0.3, 0.6],
    }
)
PAIRS = pd.DataFrame(
    {"index_ref": [14, 16, 18], "index_alt": [15, 17, 19], "subset": ["SNVs"] * 3}
)
PRED = pd.Series(
    [0.3, 0.2, 1.1, 1.0, 0.6, 0.7, 0.9, 1.2, 0.1, 0.4],
    index=[10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
)


def _r(a, b):
    return np.corrcoef(a, b)[0, 1]


def test_weights_sum_to_4_65():
    assert sum(DREAM_WEIGHTS.values()) == pytest.approx(4.65)


def test_every_subset_is_scored_on_the_public_leaderboard():
    labels = load_public_leaderboard()
    noisy = labels["expression"].to_numpy() + np.random.default_rng(0).normal(size=len(labels))
    score = dream_score(noisy)
    assert list(score.table.index) == list(DREAM_WEIGHTS)
    assert score.table["weight"].sum() == pytest.approx(4.65)
    assert 0 < score.pearson_score < 1


def test_perfect_predictions_score_one():
    labels = load_public_leaderboard()
    score = dream_score(labels["expression"].to_numpy())
    assert score.pearson_score == pytest.approx(1.0)
    assert score.spearman_score == pytest.approx(1.0)


def test_weighted_score_by_hand():
    truth = LABELS.set_index("index")["expression"]
    subsets = {
        "all": [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
        "random": [10, 11, 12, 13],
        "high_exp": [12, 13, 14],
    }
    pearson = {s: _r(truth[i], PRED[i]) for s, i in subsets.items()}
    spearman = {s: stats.spearmanr(truth[i], PRED[i])[0] for s, i in subsets.items()}
    alt, ref = [15, 17, 19], [14, 16, 18]
    d_true = truth[alt].to_numpy() - truth[ref].to_numpy()
    d_pred = PRED[alt].to_numpy() - PRED[ref].to_numpy()
    pearson["SNVs"] = _r(d_true, d_pred)
    spearman["SNVs"] = stats.spearmanr(d_true, d_pred)[0]
    weights = {"all": 1.0, "random": 0.3, "high_exp": 0.3, "SNVs": 1.25}
    total = sum(weights.values())
    expected_pearson = sum(w * pearson[s] ** 2 for s, w in weights.items()) / total
    expected_spearman = sum(w * spearman[s] for s, w in weights.items()) / total

    score = dream_score(PRED, LABELS, PAIRS)
    assert score.pearson_score == pytest.approx(expected_pearson, rel=1e-12)
    assert score.spearman_score == pytest.approx(expected_spearman, rel=1e-12)
    assert score.table.loc["SNVs", "n"] == 3
    assert score.table.loc["all", "n"] == 10


def test_pairs_are_scored_on_alt_minus_ref_differences():
    # Each pair shares a large offset: raw values are poor, differences exact.
    truth = LABELS.set_index("index")["expression"]
    offsets = pd.Series([0, 0, 0, 0, 5, 5, -3, -3, 9, 9], index=truth.index)
    score = dream_score(truth * 2 + offsets, LABELS, PAIRS)
    assert score.table.loc["SNVs", "pearson_r"] == pytest.approx(1.0)
    assert score.table.loc["all", "pearson_r"] < 0.9


def test_array_dict_and_series_predictions_agree():
    series = dream_score(PRED, LABELS, PAIRS).pearson_score
    as_array = dream_score(PRED.to_numpy(), LABELS, PAIRS).pearson_score
    as_dict = dream_score(PRED.to_dict(), LABELS, PAIRS).pearson_score
    assert series == as_array == as_dict


def test_without_pairs_paired_subsets_are_left_out():
    score = dream_score(PRED, LABELS)
    assert "SNVs" not in score.table.index
    assert score.table["weight"].sum() == pytest.approx(1.6)


def test_missing_prediction_raises():
    with pytest.raises(
        ValueError,
        match=r"^y_pred has no prediction for 1 labelled test indices \(first: 13\)\.$",
    ):
        dream_score(PRED.drop(13), LABELS, PAIRS)


def test_non_finite_prediction_raises():
    pred = PRED.copy()
    pred[12] = np.nan
    with pytest.raises(ValueError, match=r"^y_pred contains NaN or infinite predictions\.$"):
        dream_score(pred, LABELS, PAIRS)


def test_misaligned_array_raises():
    with pytest.raises(ValueError, match=r"^y_pred has 9 values but labels has 10 rows;"):
        dream_score(PRED.to_numpy()[:9], LABELS)


def test_labels_without_a_column_raise():
    with pytest.raises(ValueError, match=r"^labels lacks column 'expression';"):
        dream_score(PRED, LABELS.drop(columns="expression"))


def test_str_shows_both_scores_and_the_table():
    text = str(dream_score(PRED, LABELS, PAIRS))
    assert text.startswith("DREAM Pearson score  ")
    assert "SNVs" in text


@pytest.mark.parametrize("scorer", [pearson_scorer, spearman_scorer])
def test_scorers_pickle(scorer):
    assert pickle.loads(pickle.dumps(scorer))._score_func is scorer._score_func


class _ColumnPredictor(RegressorMixin, BaseEstimator):
    """Returns predictions as an (n, 1) column, as some regressors do."""

    def __init__(self, values):
        self.values = values

    def predict(self, X):
        return np.asarray(self.values, dtype=np.float64)[: len(X), None]


@pytest.mark.parametrize(
    "scorer, reference",
    [(pearson_scorer, lambda a, b: stats.pearsonr(a, b)[0]),
     (spearman_scorer, lambda a, b: stats.spearmanr(a, b)[0])],
)
def test_scorers_accept_column_predictions_and_targets(scorer, reference):
    rng = np.random.default_rng(0)
    y = rng.normal(size=30)
    pred = y + rng.normal(size=30)
    restored = pickle.loads(pickle.dumps(scorer))
    value = restored(_ColumnPredictor(pred), np.zeros((30, 1)), y[:, None])
    assert value == pytest.approx(reference(y, pred), rel=1e-12)


def test_correlations_of_a_constant_are_nan():
    assert np.isnan(pearson_r([1, 2, 3], [4, 4, 4]))
    assert np.isnan(spearman_r([1, 1, 1], [1, 2, 3]))


def test_correlations_of_unequal_lengths_raise():
    with pytest.raises(ValueError, match=r"^y_true has 3 values but y_pred has 2\.$"):
        pearson_r([1, 2, 3], [1, 2])


def test_dream_score_is_nan_when_a_subset_correlation_is_undefined():
    labels = load_public_leaderboard()
    constant = np.zeros(len(labels))
    with pytest.warns(UndefinedMetricWarning):
        score = dream_score(constant)
    assert np.isnan(score.pearson_score) and np.isnan(score.spearman_score)


def test_constant_predictions_warn_naming_the_subsets_and_the_cause():
    constant = pd.Series(0.5, index=PRED.index)
    with pytest.warns(UndefinedMetricWarning) as record:
        dream_score(constant, LABELS, PAIRS)
    assert [str(w.message) for w in record] == [
        "y_pred is constant on subset(s) all, high_exp, random, SNVs (for paired subsets: "
        "its alt - ref differences); a correlation with a constant is undefined, so their "
        "pearson_r and spearman are NaN, and so are both scores."
    ]


def test_constant_pair_differences_warn_naming_only_the_paired_subset():
    # alt - ref is exactly 0.5 for every pair; the single-sequence subsets vary.
    pred = PRED.copy()
    pred[[14, 16, 18]] = [0.25, 1.0, 0.75]
    pred[[15, 17, 19]] = [0.75, 1.5, 1.25]
    with pytest.warns(UndefinedMetricWarning, match=r"^y_pred is constant on subset\(s\) SNVs "):
        score = dream_score(pred, LABELS, PAIRS)
    assert np.isnan(score.table.loc["SNVs", "pearson_r"])
    assert np.isfinite(score.table.loc["all", "pearson_r"])


def test_varying_predictions_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dream_score(PRED, LABELS, PAIRS)


def test_pair_with_an_unlabelled_index_names_the_missing_ids():
    pairs = pd.DataFrame({"index_ref": [14, 98, 18], "index_alt": [15, 99, 98],
                          "subset": ["SNVs"] * 3})
    with pytest.raises(
        ValueError, match=r"^pairs name 2 test indices that labels lacks: 98, 99\.$"
    ):
        dream_score(PRED, LABELS, pairs)


def test_pairs_without_a_column_raise():
    with pytest.raises(ValueError, match=r"^pairs lacks column 'index_alt';"):
        dream_score(PRED, LABELS, PAIRS.drop(columns="index_alt"))
