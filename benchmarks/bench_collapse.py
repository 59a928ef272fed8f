"""How often does BHI's full-size network collapse in its first epoch, ours vs a plain loop?

Run: python benchmarks/bench_collapse.py [--seeds 40 41 ... --loops ours plain]

The demo split of the issue (``train_test_split(test_size=0.1, random_state=0)``
of the bundled demo set, 5,733 training rows), the full-size DeepGXP, batch 64,
the learning-rate schedule of a 7-epoch fit, stopped after its first epoch
(89 steps). For every seed, two loops:

* ``ours``: ``DeepGXPRegressor(max_epochs=7, batch_size=64, device="cpu")``
  with the convergence monitor off (``callbacks__convergence=None``), so what
  is measured is the recipe, not the rescue; ``--monitor`` keeps the
  library's monitor on and prints each restart (the figures are then the last
  attempt's); ``--set name=value`` adds parameters (for example
  ``--set callbacks__lr_schedule__warmup_steps=60``).
* ``plain``: BHI's loop written out (``benchmarks/_plain.py``): strings
  padded in Python with ``random`` in a ``DataLoader``, two forward passes,
  the mean of two Huber losses, AdamW, ``LambdaLR`` cosine per batch.

Both in the same precision (``--precision``, bf16 autocast by default, as the
library's CPU training default on CPUs with native bf16). A run is
*collapsed* when the standard deviation of its predictions on the 637
validation rows (forward and reverse strand averaged, in standardized units) is
below ``--collapsed-sd`` (1e-3; a target has sd 1). Printed per run: the
spread of the training predictions at steps 10/30/60/89, the first step from
which every training batch's spread stayed below 1e-3, the validation spread
and Pearson r, and the quietest 10-step median of the training spread (the
smallest, over windows of 10 steps, of the window's median: what the
convergence monitor compares with ``min_spread``); then the fraction
collapsed per loop. ``--out FILE`` appends
one JSON line per run, so a long run can be read while it goes on.
"""

import argparse
import json
import sys
import warnings
import time

import numpy as np
import torch
from _common import literal_params, machine
import _plain
from scipy.stats import pearsonr
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from skorch.callbacks import Callback

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.datasets import load_dream_demo

EPOCHS, BATCH = 7, 64
TRAIN_SD_FLOOR = 1e-3


class _StepSpread(Callback):
    """Record the training predictions' spread per step; stop after ``epochs`` epochs."""

    def __init__(self, epochs):
        self.epochs = epochs

    def initialize(self):
        self.spread_ = []
        return self

    def on_batch_end(self, net, training=False, y_pred=None, **kwargs):
        if training:
            self.spread_.append(float(y_pred.detach().float().std()))

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) >= self.epochs:
            raise KeyboardInterrupt  # skorch ends fit cleanly on it


def _quietest_window(spread, steps=10):
    """The smallest, over windows of ``steps`` consecutive steps, of the window's median spread.

    The convergence monitor calls a fit collapsed when the median of one
    window is below its threshold; this is how close a run came to that.
    """
    return min(float(np.median(spread[i:i + steps])) for i in range(len(spread) - steps + 1))


def _first_dead_step(spread):
    """First step from which every later step's spread is below the floor, or None."""
    alive = [i for i, sd in enumerate(spread) if sd >= TRAIN_SD_FLOOR]
    last_alive = alive[-1] + 1 if alive else 0
    return last_alive + 1 if last_alive < len(spread) else None


def run_ours(seed, data, precision, extra):
    codes, y, valid_codes, _ = data
    spread = _StepSpread(1)
    net = DeepGXPRegressor(
        max_epochs=EPOCHS, batch_size=BATCH, device="cpu", precision=precision,
        random_state=seed, verbose=0, callbacks=[("step_spread", spread)],
        **extra,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # restarts are printed below
        net.fit(codes, y)
    for restart in net.restarts_:
        print(f"  seed {restart['seed']}: {', '.join(restart['kinds'])} detected at step "
              f"{restart['step']}; restarted with seed {restart['next_seed']}", flush=True)
    net.set_params(tta=2)
    pred = (net.predict(valid_codes) - _plain.CENTER) / float(np.std(y))
    return spread.spread_, pred


def run_plain(seed, data, precision, extra):
    _, y, _, (train_seqs, valid_seqs) = data
    model, loader, scale = _plain.seeded_start(seed, train_seqs, y, BATCH)
    spread = []
    _plain.train(model, loader, total_steps=len(loader) * EPOCHS,
                 autocast=precision == "bf16",
                 on_step=lambda loss, pred: spread.append(float(pred.std())))
    view = _plain.onehot_batch([_plain.shifted(s, 0) for s in valid_seqs])
    pred = _plain.predict(model, [view], batch_size=256)
    return spread, (pred - _plain.CENTER) / scale


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(40, 48)))
    parser.add_argument("--loops", nargs="+", default=["ours", "plain"],
                        choices=["ours", "plain"])
    parser.add_argument("--precision", default="bf16", choices=["bf16", "fp32"])
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="extra DeepGXPRegressor parameter for 'ours' (Python literal)")
    parser.add_argument("--monitor", action="store_true",
                        help="keep the library's convergence monitor on for 'ours' (the "
                             "figures are then those of the last attempt)")
    parser.add_argument("--collapsed-sd", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", help="append one JSON line per run here")
    parser.add_argument("--summarize", nargs="+", metavar="FILE",
                        help="train nothing: print the table and the summary of the runs "
                             "saved by --out in these files")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    # What is measured is the recipe, not the rescue, unless --monitor.
    extra = {**({} if args.monitor else {"callbacks__convergence": None}),
             **literal_params(args.set)}
    if args.summarize:
        return summarize(args.summarize, args.collapsed_sd)
    print(f"machine: {machine()}")
    print(f"precision {args.precision}, batch {BATCH}, schedule of {EPOCHS} epochs, "
          f"first epoch only; ours with {extra or 'library defaults'}")

    X, y = load_dream_demo(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.1, random_state=0)
    encoder = PromoterEncoder()
    data = (encoder.transform(X_train), y_train, encoder.transform(X_valid),
            (X_train, X_valid))
    runners = {"ours": run_ours, "plain": run_plain}
    collapsed = {loop: [] for loop in args.loops}
    print(f"{'seed':>11} {'loop':>5} {'sd@10':>8} {'sd@30':>8} {'sd@60':>8} {'sd@end':>8} "
          f"{'dead from':>9} {'valid sd':>9} {'valid r':>7} {'quietest':>8} {'s':>5}")
    for seed in args.seeds:
        for loop in args.loops:
            start = time.perf_counter()
            spread, pred = runners[loop](seed, data, args.precision, extra)
            seconds = time.perf_counter() - start
            valid_sd = float(np.std(pred))
            r = float(pearsonr(pred, y_valid)[0]) if valid_sd > 0 else float("nan")
            row = {
                "seed": seed, "loop": loop, "precision": args.precision, "extra": item_str(extra),
                "steps": len(spread), "spread": spread, "dead_from": _first_dead_step(spread),
                "valid_sd": valid_sd, "valid_r": r, "seconds": seconds,
                "collapsed": valid_sd < args.collapsed_sd,
            }
            collapsed[loop].append(row["collapsed"])
            at = [spread[min(k, len(spread)) - 1] for k in (10, 30, 60, len(spread))]
            print(f"{seed:>11} {loop:>5} " + " ".join(f"{v:8.1e}" for v in at)
                  + f" {str(row['dead_from']):>9} {valid_sd:9.2e} {r:7.3f} "
                  f"{_quietest_window(spread):8.1e} {seconds:5.0f}",
                  flush=True)
            if args.out:
                with open(args.out, "a") as out:
                    out.write(json.dumps(row) + "\n")
    for loop, flags in collapsed.items():
        print(f"{loop}: {sum(flags)} of {len(flags)} seeds collapsed in the first epoch "
              f"(validation prediction sd < {args.collapsed_sd})")


def summarize(paths, collapsed_sd):
    """Reprint saved runs, then per loop the collapsed fraction and the quietest windows."""
    rows = [json.loads(line) for path in paths for line in open(path) if line.strip()]
    print(f"{'seed':>11} {'loop':>5} {'dead from':>9} {'valid sd':>9} {'valid r':>7} "
          f"{'quietest 10-step median':>23}")
    for row in rows:
        print(f"{row['seed']:>11} {row['loop']:>5} {str(row['dead_from']):>9} "
              f"{row['valid_sd']:9.2e} {row['valid_r']:7.3f} "
              f"{_quietest_window(row['spread']):23.2e}")
    for loop in sorted({row["loop"] for row in rows}):
        runs = [row for row in rows if row["loop"] == loop]
        dead = [row for row in runs if row["valid_sd"] < collapsed_sd]
        healthy = [row for row in runs if row["valid_sd"] >= collapsed_sd]
        line = (f"{loop}: {len(dead)} of {len(runs)} seeds collapsed in the first epoch "
                f"(validation prediction sd < {collapsed_sd})")
        if dead:
            line += f"; dead from steps {sorted(row['dead_from'] for row in dead)}"
        if healthy:
            line += (f"; healthy runs' quietest 10-step median: "
                     f"{min(_quietest_window(row['spread']) for row in healthy):.2e}")
        print(line)


def item_str(extra):
    return ", ".join(f"{k}={v!r}" for k, v in extra.items())


if __name__ == "__main__":
    sys.exit(main())
