"""Accuracy parity at BHI's full size: DeepGXPRegressor vs the plain loop, 7 epochs, batch 64.

Run: python benchmarks/bench_parity.py [--loops ours plain --seed 40 --plain-precision fp32]

The demo split of the collapse issue (``train_test_split(test_size=0.1,
random_state=0)`` of the bundled demo set: 5,733 training rows), the
full-size DeepGXP (6,875,137 parameters), 7 epochs at batch 64, lr 1.5e-3.

* ``ours``: ``DeepGXPRegressor(max_epochs=7, batch_size=64, device="cpu")``
  with every other parameter at the library's default (the convergence
  monitor on, precision "auto"); ``--set name=value`` adds parameters.
  Predictions: the default 10 views.
* ``plain``: BHI's loop written out (``benchmarks/_plain.py``), seeded like
  ours; predictions: the mean of the same 10 views.

Printed per loop: the restarts (ours), the validation Pearson r, and the
DREAM Pearson and Spearman scores and all-sequence Pearson r on the bundled
public-leaderboard labels (8,570 sequences), then ours minus plain. Nothing
is tuned here: the leaderboard labels are only read to score.
"""

import argparse
import json
import sys
import time

import torch
from _common import literal_params, machine
import _plain
from sklearn.model_selection import train_test_split

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp._constructs import TTA_SHIFTS
from skgxp.datasets import load_dream_demo, load_public_leaderboard
from skgxp.metrics import dream_score, pearson_r

EPOCHS, BATCH = 7, 64


def fit_ours(seed, X_train, y_train, extra):
    net = DeepGXPRegressor(max_epochs=EPOCHS, batch_size=BATCH, device="cpu",
                           random_state=seed, verbose=0, **extra)
    encoder = PromoterEncoder()
    net.fit(encoder.transform(X_train), y_train)
    return lambda seqs: net.predict(encoder.transform(seqs)), {"restarts": net.restarts_}


def fit_plain(seed, X_train, y_train, precision):
    model, loader, scale = _plain.seeded_start(seed, X_train, y_train, BATCH)
    total = len(loader) * EPOCHS
    # One optimizer and schedule across the epochs: train() takes the batches of all of them.
    batches = (batch for _ in range(EPOCHS) for batch in loader)
    _plain.train(model, batches, total_steps=total, autocast=precision == "bf16")

    def predict(seqs):
        trimmed = [s[: _plain.LENGTH] for s in seqs]
        views = [_plain.onehot_batch([_plain.shifted(s, k) for s in trimmed])
                 for k in TTA_SHIFTS]
        return _plain.predict(model, views, batch_size=256) * scale + _plain.CENTER

    return predict, {"precision": precision}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", nargs="+", default=["ours", "plain"],
                        choices=["ours", "plain"])
    parser.add_argument("--seed", type=int, default=40)
    parser.add_argument("--plain-precision", default="fp32", choices=["bf16", "fp32"])
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="extra DeepGXPRegressor parameter for 'ours' (Python literal)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", help="append one JSON line per loop here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    extra = literal_params(args.set)
    print(f"machine: {machine()}")
    X, y = load_dream_demo(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.1, random_state=0)
    labels = load_public_leaderboard()
    board = labels["sequence"].to_numpy(dtype=object)
    results = {}
    for loop in args.loops:
        start = time.perf_counter()
        if loop == "ours":
            predict, info = fit_ours(args.seed, X_train, y_train, extra)
            info["parameters"] = extra or "library defaults"
        else:
            predict, info = fit_plain(args.seed, X_train, y_train, args.plain_precision)
        fit_seconds = time.perf_counter() - start
        valid_r = pearson_r(y_valid, predict(X_valid))
        pred = predict(board)
        score = dream_score(pred)
        row = {"loop": loop, "seed": args.seed, **info, "fit_seconds": fit_seconds,
               "valid_r": valid_r, "pearson_score": score.pearson_score,
               "spearman_score": score.spearman_score,
               "all_r": pearson_r(labels["expression"].to_numpy(), pred)}
        results[loop] = row
        print(f"{loop}: {info}; fit {fit_seconds:.0f} s; validation r {valid_r:.3f}; "
              f"public leaderboard: DREAM Pearson score {row['pearson_score']:.4f}, "
              f"Spearman score {row['spearman_score']:.4f}, all-sequence r "
              f"{row['all_r']:.3f}", flush=True)
        if args.out:
            with open(args.out, "a") as out:
                out.write(json.dumps(row, default=str) + "\n")
    if len(results) == 2:
        ours, plain = results["ours"], results["plain"]
        print(f"ours - plain: DREAM Pearson score "
              f"{ours['pearson_score'] - plain['pearson_score']:+.4f}, all-sequence r "
              f"{ours['all_r'] - plain['all_r']:+.3f} (target: within 0.03)")


if __name__ == "__main__":
    sys.exit(main())
