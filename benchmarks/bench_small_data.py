"""``small_data()`` against ``kmer_ridge()``: a learning curve, then the public leaderboard.

Run: python benchmarks/bench_small_data.py [--threads 2] [--sizes 1000 2000 4000 5733]
     [--figure docs/images/learning_curve.png] [--no-bhi] [--precision auto]

The demo split of issue 12 (``train_test_split(test_size=0.1, random_state=0)``
of the bundled demo set: 5,733 training rows, 637 held out). For each size
``n`` the recipes are fitted on the first ``n`` rows of one fixed shuffle of
the training rows (nested subsets; ``n = 5733`` is the whole split, in its
own order) and scored by Pearson r on the 637 held-out rows:

* ``kmer_ridge()``;
* ``small_data()``, and its DeepGXP members alone;
* ``bhi()``, BHI's recipe (15 epochs of batches of 512, AdamW at 1.5e-3, 10
  test-time views) but at the demo's reduced width (conv 64 / LSTM 64 /
  conv 32): the full width trains at 20-45 sequences/s on a 2-core CPU, too
  slow for a curve of four sizes. ``--no-bhi`` leaves it out.

After the curve, and only then, the two recipes fitted on the whole split are
scored once on the bundled public-leaderboard labels (8,570 sequences): DREAM
Pearson and Spearman scores and all-sequence Pearson r, side by side with
each fit time and their ratio. Nothing was chosen by these labels: the
recipe comes from ``benchmarks/study_small_data.py`` (cross-validation on the
training split).
"""

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch
from _common import machine
from sklearn.model_selection import train_test_split
from study_small_data import REDUCED

from skgxp.datasets import load_dream_demo, load_public_leaderboard
from skgxp.metrics import dream_score, pearson_r
from skgxp.recipes import bhi, kmer_ridge, small_data


def reduced_bhi():
    return bhi().set_params(**{f"deepgxpregressor__{key}": value
                               for key, value in REDUCED.items()})


RECIPES = {"kmer_ridge": kmer_ridge, "small_data": small_data, "bhi (reduced width)": reduced_bhi}


def fit(name, X, y, precision="auto"):
    model = RECIPES[name]()
    # Every DeepGXP member's, e.g. small_data()'s deepgxp__deepgxpregressor__precision.
    model.set_params(**{key: precision for key in model.get_params()
                        if key.endswith("deepgxpregressor__precision")})
    start = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - start


def curve(names, sizes, X_train, y_train, X_valid, y_valid, precision):
    """Validation r of each recipe at each size; the models fitted on the whole split."""
    order = np.random.default_rng(0).permutation(len(X_train))
    rows, whole = [], {}
    for n in sizes:
        idx = np.arange(len(X_train)) if n == len(X_train) else order[:n]
        for name in names:
            model, seconds = fit(name, X_train[idx], y_train[idx], precision)
            scores = {name: pearson_r(y_valid, model.predict(X_valid))}
            if name == "small_data":  # its members alone, from the same fit
                for member, estimator in model.named_estimators_.items():
                    if member != "kmer_ridge":
                        scores[f"small_data: {member}"] = pearson_r(
                            y_valid, estimator.predict(X_valid))
            for label, r in scores.items():
                rows.append({"n": n, "recipe": label, "r": r, "fit_s": seconds})
                print(f"n {n:>5}: {label:<28} validation r {r:.4f} "
                      f"(fit {seconds:.0f} s)", flush=True)
            if n == len(X_train):
                whole[name] = (model, seconds)
    return rows, whole


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for label in dict.fromkeys(row["recipe"] for row in rows):
        points = [(row["n"], row["r"]) for row in rows if row["recipe"] == label]
        ax.plot(*zip(*points), marker="o", label=label,
                linestyle=":" if label.startswith("small_data:") else "-")
    ax.set(xlabel="training rows", ylabel="Pearson r, 637 held-out demo rows",
           title="DREAM demo: how much data does each recipe need?")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    print(f"figure: {path}")


def leaderboard(whole):
    labels = load_public_leaderboard()
    sequences = labels["sequence"].to_numpy(dtype=object)
    scored = {}
    for name in ("kmer_ridge", "small_data"):
        model, seconds = whole[name]
        pred = model.predict(sequences)
        score = dream_score(pred)
        scored[name] = (seconds, score.pearson_score, score.spearman_score,
                        pearson_r(labels["expression"].to_numpy(), pred))
        print(f"public leaderboard: {name:<10} fit {seconds:7.1f} s; DREAM Pearson score "
              f"{scored[name][1]:.4f}, Spearman score {scored[name][2]:.4f}, "
              f"all-sequence r {scored[name][3]:.4f}")
    ours, base = scored["small_data"], scored["kmer_ridge"]
    print(f"SUMMARY small_data vs kmer_ridge: DREAM Pearson {ours[1]:.4f} vs {base[1]:.4f} "
          f"({ours[1] - base[1]:+.4f}); all-sequence r {ours[3]:.4f} vs {base[3]:.4f} "
          f"({ours[3] - base[3]:+.4f}); fit {ours[0] / 60:.1f} min vs {base[0] / 60:.1f} min "
          f"(x{ours[0] / base[0]:.0f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000, 5733])
    parser.add_argument("--figure", type=Path, default=Path("learning_curve.png"))
    parser.add_argument("--csv", type=Path, default=None, help="also write the curve here")
    parser.add_argument("--no-bhi", action="store_true")
    parser.add_argument("--precision", default="auto", choices=("auto", "bf16", "fp32"),
                        help="the DeepGXP members' training precision ('auto': bf16 "
                        "autocast on CPUs with native bf16, else fp32)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {machine()}", flush=True)
    X, y = load_dream_demo(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.1, random_state=0)
    names = [name for name in RECIPES if not (args.no_bhi and name.startswith("bhi"))]
    print(f"DeepGXP training precision: {args.precision}", flush=True)
    rows, whole = curve(names, args.sizes, X_train, y_train, X_valid, y_valid,
                        args.precision)
    plot(rows, args.figure)
    if args.csv is not None:
        with args.csv.open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    if {"kmer_ridge", "small_data"} <= set(whole):
        leaderboard(whole)


if __name__ == "__main__":
    main()
