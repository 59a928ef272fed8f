"""The k-mer ridge baseline (``skgxp.recipes.kmer_ridge()``) on the public leaderboard.

Run: python benchmarks/bench_kmer_ridge.py [--threads 1] [--select]

Fits the recipe on the demo split of issue 12 (``train_test_split(test_size=0.1,
random_state=0)`` of the bundled demo set: 5,733 training rows) and prints the
fit time, the validation Pearson r (the 637 held-out demo rows), and the DREAM
Pearson and Spearman scores and all-sequence Pearson r on the bundled
public-leaderboard labels (8,570 sequences). The leaderboard labels are only
read to score, once, after the fit.

``--select`` first prints the study the recipe's settings came from: five-fold
cross-validated Pearson r on the training split alone, unscaled counts against
``MaxAbsScaler`` and ``StandardScaler``, each with the recipe's penalty search.
"""

import argparse
import time

import torch
from _common import machine
from sklearn.base import clone
from sklearn.model_selection import KFold, cross_val_score, train_test_split
from sklearn.preprocessing import MaxAbsScaler, StandardScaler
from threadpoolctl import threadpool_limits

from skgxp.datasets import load_dream_demo, load_public_leaderboard
from skgxp.metrics import dream_score, pearson_r, pearson_scorer
from skgxp.recipes import kmer_ridge


def select(X_train, y_train):
    folds = KFold(5, shuffle=True, random_state=0)
    for name, scaler in [("none", None), ("MaxAbsScaler", MaxAbsScaler()),
                         ("StandardScaler", StandardScaler())]:
        model = kmer_ridge()
        if scaler is not None:
            model.steps.insert(2, ("scaler", clone(scaler)))
        start = time.perf_counter()
        r = cross_val_score(model, X_train, y_train, cv=folds, scoring=pearson_scorer)
        alpha = model.fit(X_train, y_train)[-1].alpha_
        print(f"select: scaling {name}: 5-fold CV r {r.mean():.4f} (folds "
              f"{', '.join(f'{v:.3f}' for v in r)}); alpha on the whole split {alpha:.4g}; "
              f"{time.perf_counter() - start:.0f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--select", action="store_true",
                        help="print the training-split CV study behind the recipe first")
    args = parser.parse_args()
    # The ridge's SVD runs in BLAS, the counting in one thread.
    threadpool_limits(args.threads)
    torch.set_num_threads(args.threads)
    print(f"machine: {machine()}")
    X, y = load_dream_demo(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.1, random_state=0)
    if args.select:
        select(X_train, y_train)
    start = time.perf_counter()
    model = kmer_ridge().fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    labels = load_public_leaderboard()
    pred = model.predict(labels["sequence"].to_numpy(dtype=object))
    score = dream_score(pred)
    all_r = pearson_r(labels["expression"].to_numpy(), pred)
    valid_r = pearson_r(y_valid, model.predict(X_valid))
    print(f"kmer_ridge: {len(X_train)} training rows; alpha {model[-1].alpha_:.4g}; fit "
          f"{fit_seconds:.1f} s; validation r {valid_r:.3f}; public leaderboard: DREAM "
          f"Pearson score {score.pearson_score:.4f}, Spearman score "
          f"{score.spearman_score:.4f}, all-sequence r {all_r:.3f}")
    print(score.table.to_string(float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
