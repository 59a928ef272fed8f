"""BHI's k-fold protocol: folds, best epoch, Table 1."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

from skgxp import DeepGXPRegressor
from skgxp.protocol import BHI_CV_SEED, best_epoch, cross_validate_bhi, table1


@pytest.fixture(scope="module")
def run(tiny):
    from skgxp.datasets import load_dream_demo

    X, y = load_dream_demo(return_X_y=True)
    X, y = X[:150], y[:150]
    net = DeepGXPRegressor(max_epochs=3, batch_size=32, verbose=0, **tiny)
    nets = []
    results = cross_validate_bhi(net, X, y, n_splits=3,
                                 on_fold=lambda row, net: nets.append((row, net)))
    return X, y, results, nets


def test_best_epoch_is_the_highest_validation_pearson():
    history = [{"valid_pearson": r} for r in (0.1, 0.6, 0.6, 0.2)]
    assert best_epoch(history) == 1


def test_best_epoch_counts_nan_as_worst():
    assert best_epoch([{"valid_pearson": float("nan")}, {"valid_pearson": -0.5}]) == 1


def test_best_epoch_needs_the_score_every_epoch():
    with pytest.raises(ValueError, match="epoch 2 of the history has no 'valid_pearson'"):
        best_epoch([{"valid_pearson": 0.1}, {"train_loss": 1.0}])


def test_folds_are_bhis_kfold(run):
    X, _, results, _ = run
    splits = list(KFold(3, shuffle=True, random_state=BHI_CV_SEED).split(X))
    assert results.index.tolist() == [1, 2, 3]
    assert results["n_valid"].tolist() == [len(valid) for _, valid in splits]
    assert results["n_train"].tolist() == [len(train) for train, _ in splits]


def test_each_fold_validates_on_its_held_out_rows_with_both_strands(run):
    _, _, _, nets = run
    for row, net in nets:
        assert net.tta == 2
        assert len(net.history[0]["batches"]) > 0
        assert net.history[0]["valid_batch_count"] == -(-row["n_valid"] // 32)


def test_rows_report_the_best_epoch_of_each_fold(run):
    _, _, results, nets = run
    for row, net in nets:
        scores = [h["valid_pearson"] for h in net.history]
        best = int(np.nanargmax(scores))
        assert row["best_epoch"] == best + 1
        assert row["valid_pearson"] == scores[best]
        assert row["train_huber"] == net.history[best, "train_loss"]
        assert results.loc[row["fold"], "valid_spearman"] == net.history[best,
                                                                         "valid_spearman"]


def test_only_the_requested_folds_run(tiny):
    from skgxp.datasets import load_dream_demo

    X, y = load_dream_demo(return_X_y=True)
    net = DeepGXPRegressor(max_epochs=1, batch_size=32, verbose=0, **tiny)
    results = cross_validate_bhi(net, X[:100], y[:100], n_splits=4, folds=[2])
    assert results.index.tolist() == [2]


def test_unknown_fold_is_refused():
    with pytest.raises(ValueError, match="fold 6 does not exist; folds are 1 to 5"):
        cross_validate_bhi(DeepGXPRegressor(), ["ACGT"] * 10, np.arange(10.0), folds=[6])


def test_table1_gives_mean_and_sample_sd():
    folds = pd.DataFrame({f"{side}_{m}": [0.1, 0.3] for side in ("train", "valid")
                          for m in ("huber", "pearson", "spearman")})
    table = table1(folds)
    assert table.index.tolist() == ["train", "validation"]
    assert table.columns.tolist() == ["Huber loss", "Pearson r", "Spearman rho"]
    assert table.loc["train", "Huber loss"] == f"0.2000 ({np.std([0.1, 0.3], ddof=1):.4f})"


def test_table1_does_not_skip_a_nan_fold():
    folds = pd.DataFrame({f"{side}_{m}": [0.5, np.nan] for side in ("train", "valid")
                          for m in ("huber", "pearson", "spearman")})
    assert table1(folds).loc["validation", "Pearson r"] == "nan (nan)"


def test_table1_of_one_fold_has_no_sd():
    folds = pd.DataFrame({f"{side}_{m}": [0.5] for side in ("train", "valid")
                          for m in ("huber", "pearson", "spearman")})
    assert table1(folds).loc["train", "Spearman rho"] == "0.5000 (n/a)"
