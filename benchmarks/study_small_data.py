"""How ``skgxp.recipes.small_data()`` is chosen: cross-validation on the training split only.

Run: python benchmarks/study_small_data.py [--folds 3] [--cache DIR] [--threads 1]

The demo split of issue 12 (``train_test_split(test_size=0.1, random_state=0)``
of the bundled demo set: 5,733 training rows) is cut into ``--folds`` folds
(``KFold(shuffle=True, random_state=0)``). Every candidate is fitted on the
other folds and predicts its fold; the out-of-fold predictions are cached per
(candidate, fold) in ``--cache``, so an interrupted study resumes. Printed:
each candidate's per-fold Pearson r and mean, the mean of networks that
differ only in their seed or epochs (``ENSEMBLES``), then blends of each network
with the k-mer ridge, ``w * network + (1 - w) * ridge`` for w in 0, 0.1, ...,
1, how alike the candidates' out-of-fold predictions are (Pearson r between
them), and the choice (the best mean CV r). Nothing here reads the leaderboard.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from _common import machine
from sklearn.model_selection import KFold, train_test_split
from sklearn.pipeline import make_pipeline

from skgxp import DeepGXPRegressor, PromoterEncoder
# The demo's reduced width (conv 64 / LSTM 64 / conv 32), as small_data() uses it.
from skgxp._demo import CPU_MODULE as REDUCED
from skgxp.datasets import load_dream_demo
from skgxp.metrics import pearson_r
from skgxp.recipes import kmer_ridge

#: The networks tried: the reduced width for 7 epochs of batches of 64
#: (``skgxp demo``'s), BHI's recipe otherwise, at two seeds; for 12, 20 and 30
#: epochs; and for 20 epochs with less dropout before the dense layers (BHI: 0.5).
NETWORKS = {
    "deepgxp_64_e7": dict(max_epochs=7, batch_size=64, **REDUCED),
    "deepgxp_64_e7_seed41": dict(max_epochs=7, batch_size=64, random_state=41, **REDUCED),
    "deepgxp_64_e12": dict(max_epochs=12, batch_size=64, **REDUCED),
    "deepgxp_64_e20": dict(max_epochs=20, batch_size=64, **REDUCED),
    "deepgxp_64_e30": dict(max_epochs=30, batch_size=64, **REDUCED),
    "deepgxp_64_e20_dropout0.3": dict(max_epochs=20, batch_size=64, module__dropout=0.3,
                                      **REDUCED),
}
#: Ensembles: the mean of these networks' predictions (over seeds, over epochs).
ENSEMBLES = {
    "deepgxp_64_e7 x 2 seeds": ("deepgxp_64_e7", "deepgxp_64_e7_seed41"),
    "deepgxp_64_e20 + e30": ("deepgxp_64_e20", "deepgxp_64_e30"),
}


def candidate(name):
    if name == "kmer_ridge":
        return kmer_ridge()
    return make_pipeline(PromoterEncoder(), DeepGXPRegressor(
        device="cpu", verbose=0, **NETWORKS[name]))


def out_of_fold(name, X, y, folds, cache):
    """Out-of-fold predictions of one candidate, fold by fold, cached."""
    oof = np.full(len(y), np.nan)
    for k, (train, test) in enumerate(folds):
        path = cache / f"{name}_fold{k}.npy"
        if path.exists():
            oof[test] = np.load(path)
            continue
        start = time.perf_counter()
        pred = candidate(name).fit(X[train], y[train]).predict(X[test])
        np.save(path, pred)
        oof[test] = pred
        print(f"  {name} fold {k}: r {pearson_r(y[test], pred):.4f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    return oof


def fold_rs(y, pred, folds):
    return np.array([pearson_r(y[test], pred[test]) for _, test in folds])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path("small-data-study"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.cache.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}", flush=True)
    X, y = load_dream_demo(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.1, random_state=0)
    folds = list(KFold(args.folds, shuffle=True, random_state=0).split(X_train))
    print(f"{len(X_train)} training rows, {args.folds}-fold CV (KFold(shuffle=True, "
          "random_state=0)); Pearson r per fold")
    oof = {name: out_of_fold(name, X_train, y_train, folds, args.cache)
           for name in ["kmer_ridge", *args.networks]}
    ensembles = {name: members for name, members in ENSEMBLES.items()
                 if all(member in oof for member in members)}
    for name, members in ensembles.items():
        oof[name] = np.mean([oof[member] for member in members], axis=0)
    rows = {name: fold_rs(y_train, pred, folds) for name, pred in oof.items()}
    for net in [name for name in oof if name != "kmer_ridge"]:
        for w in np.round(np.arange(0.1, 1.0, 0.1), 1):
            blend = w * oof[net] + (1 - w) * oof["kmer_ridge"]
            rows[f"{w:.1f} x {net} + {1 - w:.1f} x kmer_ridge"] = fold_rs(
                y_train, blend, folds)
    width = max(map(len, rows))
    print(f"\n{'candidate':<{width}}  mean CV r  per fold")
    for name, values in sorted(rows.items(), key=lambda item: -item[1].mean()):
        print(f"{name:<{width}}  {values.mean():9.4f}  "
              + ", ".join(f"{v:.4f}" for v in values))
    # How alike two candidates err: blends gain most from members that differ.
    print("\ncorrelation of out-of-fold predictions")
    for net in args.networks:
        print(f"  {net} with kmer_ridge: {np.corrcoef(oof[net], oof['kmer_ridge'])[0, 1]:.3f}")
    for name, members in ensembles.items():
        print(f"  members of {name}: {np.corrcoef([oof[m] for m in members])[0, 1]:.3f}")
    best = max(rows, key=lambda name: rows[name].mean())
    print(f"\nSUMMARY small-data study: best by mean {args.folds}-fold CV r: {best} "
          f"({rows[best].mean():.4f}); kmer_ridge alone {rows['kmer_ridge'].mean():.4f}")


if __name__ == "__main__":
    main()
