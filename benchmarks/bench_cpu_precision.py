"""bf16 autocast and torch.compile on the CPU: speed and accuracy against fp32.

Run: python benchmarks/bench_cpu_precision.py [--configs fp32 bf16 compile]

Speed: the full-size model trained on ``--batches`` batches of
``--batch-size`` for ``1 + --repeats`` epochs; samples/s is the median over
the epochs after the first (which pays for compilation), from skorch's
per-epoch timer; prediction is timed on its second call with 10 views.
Accuracy: a small model trained on the bundled demo set (same split, each of
``--seeds``) for each setting, scored by the Pearson correlation of its
10-view predictions on the held-out 20%. A setting counts as equally accurate
when its mean over the seeds lies within the larger of fp32's seed range and
0.01 of fp32's mean. A setting is worth adopting as the CPU default only if
it is at least 1.2x faster with the same accuracy. ``precision="auto"`` adopts
bf16 for training on CPUs with native bf16; prediction stays float32 so that
CPU predictions equal the plain float32 reference and do not depend on the
machine.
"""

import argparse
import statistics
import subprocess
import time

import numpy as np
import torch
from _common import machine, random_sequences, random_targets

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.datasets import load_dream_demo
from skgxp._device import _cpu_bf16
from skgxp.metrics import pearson_r

SETTINGS = {
    "fp32": dict(precision="fp32"),
    "bf16": dict(precision="bf16"),
    "compile": dict(precision="fp32", compile=True),
    "compile+bf16": dict(precision="bf16", compile=True),
}
SMALL = dict(module__conv1_channels=32, module__lstm_hidden_size=32,
             module__conv2_channels=16, module__fc_size=16)


def cpu_bf16_flags():
    try:
        flags = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.lower()
    except OSError:
        return "lscpu not available"
    found = sorted({f for f in flags.split() if "bf16" in f or f.startswith("amx")})
    return ", ".join(found) or "none"


def speed(setting, codes, y, batch, repeats):
    net = DeepGXPRegressor(max_epochs=1 + repeats, batch_size=batch, device="cpu",
                           verbose=0, **SETTINGS[setting])
    net.fit(codes, y)
    fit_s = statistics.median(net.history[1:, "dur"])
    net.predict(codes)  # the first call compiles the evaluation graph
    start = time.perf_counter()
    net.predict(codes)
    return len(codes) / fit_s, len(codes) / (time.perf_counter() - start)


def accuracy(setting, seed, split, epochs):
    X_train, y_train, X_valid, y_valid = split
    net = DeepGXPRegressor(max_epochs=epochs, batch_size=128, device="cpu", verbose=0,
                           random_state=seed, **SMALL, **SETTINGS[setting])
    start = time.perf_counter()
    net.fit(X_train, y_train)
    return pearson_r(y_valid, net.predict(X_valid)), time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["fp32", "bf16", "compile"],
                        choices=list(SETTINGS))
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4, help="epochs of the accuracy runs")
    parser.add_argument("--seeds", type=int, nargs="+", default=[40, 41, 42],
                        help="random_state of the accuracy runs")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 keeps a shared machine's timings steady)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {machine()}")
    print(f"CPU bf16 flags (lscpu): {cpu_bf16_flags()}; torch CPU capability: "
          f"{torch.backends.cpu.get_cpu_capability()}")

    n = args.batch_size * args.batches
    codes = PromoterEncoder().fit_transform(random_sequences(n, 100, 120, seed=0))
    y = random_targets(n)
    X, y_demo = load_dream_demo(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))
    cut = int(0.8 * len(X))
    demo_codes = PromoterEncoder().fit_transform(X)
    split = (demo_codes[order[:cut]], y_demo[order[:cut]],
             demo_codes[order[cut:]], y_demo[order[cut:]])

    results, pearsons = {}, {}
    # fp32 is the baseline of every comparison.
    for setting in ["fp32"] + [c for c in args.configs if c != "fp32"]:
        fit_rate, pred_rate = speed(setting, codes, y, args.batch_size, args.repeats)
        runs = [accuracy(setting, seed, split, args.epochs) for seed in args.seeds]
        pearsons[setting] = [run[0] for run in runs]
        r = float(np.mean(pearsons[setting]))
        results[setting] = (fit_rate, pred_rate, r)
        print(f"{setting:>12}: fit {fit_rate:6.2f} samples/s, predict (10 views) "
              f"{pred_rate:6.2f} samples/s (full size); small model on the demo set, "
              f"validation Pearson per seed {[round(run[0], 4) for run in runs]}, mean "
              f"{r:.4f} ({np.mean([run[1] for run in runs]):.0f} s per fit)")
    base_fit, base_pred, base_r = results["fp32"]
    noise = max(max(pearsons["fp32"]) - min(pearsons["fp32"]), 0.01)
    parts = []
    for setting, (fit_rate, pred_rate, r) in results.items():
        if setting == "fp32":
            continue
        same = abs(r - base_r) <= noise
        worth = [path for path, ratio in (("training", fit_rate / base_fit),
                                          ("prediction", pred_rate / base_pred))
                 if ratio >= 1.2 and same]
        parts.append(
            f"{setting} fit {fit_rate / base_fit:.2f}x, predict {pred_rate / base_pred:.2f}x, "
            f"Pearson {r:.3f} vs fp32 {base_r:.3f} ({'same' if same else 'different'} "
            f"within {noise:.3f}) -> >= 1.2x with the same accuracy for: "
            f"{' and '.join(worth) or 'nothing'}"
        )
    # What the default does here (prediction stays fp32 on purpose; see docs).
    parts.append(f"precision='auto' on this CPU: bf16 training {_cpu_bf16()}, "
                 "fp32 prediction")
    print("SUMMARY cpu precision: " + "; ".join(parts))


if __name__ == "__main__":
    main()
