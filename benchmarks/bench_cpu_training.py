"""DeepGXPRegressor vs a plain PyTorch loop on the CPU, full-size model.

Run: python benchmarks/bench_cpu_training.py [--batch-size 64 --batches 3 --repeats 3]

Training: ``DeepGXPRegressor(max_epochs=1).fit(codes, y)`` against the plain
loop of ``benchmarks/_plain.py`` (same ``skgxp.DeepGXP`` at full size, same
batch, both strands with the mean of their Huber losses, AdamW, cosine per
batch), fed one-hot tensors built beforehand the plain way. Both timings
include building the network and the optimizer. Two pairs are timed, each like
with like: ours with ``precision="fp32"`` against the plain loop in float32
(the target), and ours with the default ``precision="auto"`` (bf16 autocast
for training on CPUs with native bf16) against the plain loop under bf16
autocast; "auto" against the plain float32 loop is printed too, labelled.
Prediction: ``predict`` with the default 10 views against the plain loop over
the same 10 views (built beforehand), both float32. Runs are interleaved, the
plain loop first; the figures are medians. Targets: ratio >= 0.95 for the
float32 fit and for prediction. Also checks that the two prediction paths
agree to float tolerance with the same weights.
"""

import argparse
import statistics
import time

import numpy as np
import torch
from _common import machine, random_sequences, random_targets
import _plain

from skgxp import DeepGXP, DeepGXPRegressor, PromoterEncoder
from skgxp._constructs import TTA_SHIFTS
from skgxp._device import _cpu_bf16


def interleaved(fns, repeats, warmup=1):
    """Median seconds of each of ``fns`` (name -> callable), one of each per round."""
    times = {name: [] for name in fns}
    for round_ in range(warmup + repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            if round_ >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(v), v) for name, v in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=3, help="training batches per fit")
    parser.add_argument("--predict-rows", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 keeps a shared machine's timings steady)")
    parser.add_argument("--seed", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {machine()}")

    batch, n = args.batch_size, args.batch_size * args.batches
    seqs = random_sequences(n, 100, 120, seed=0)
    y = random_targets(n)
    codes = PromoterEncoder().fit_transform(seqs)
    scale = float(np.std(y))
    onehot = _plain.onehot_batch([_plain.pad(s) for s in seqs])
    auto_bf16 = _cpu_bf16()

    def ours_fit(precision="fp32"):
        return DeepGXPRegressor(max_epochs=1, batch_size=batch, device="cpu", verbose=0,
                                precision=precision, random_state=args.seed).fit(codes, y)

    def plain_fit(autocast=False):
        torch.manual_seed(args.seed)
        return _plain.train(DeepGXP(), _plain.tensor_batches(onehot, y, batch, scale),
                            total_steps=args.batches, autocast=autocast)

    fit = interleaved({
        "plain fp32": plain_fit,
        "ours fp32": ours_fit,
        "plain bf16": lambda: plain_fit(autocast=True),
        "ours auto": lambda: ours_fit("auto"),
    }, args.repeats)

    reg = ours_fit()
    rows = args.predict_rows
    views = [_plain.onehot_batch([_plain.shifted(s, k) for s in seqs[:rows]])
             for k in TTA_SHIFTS]
    plain_model = DeepGXP()
    plain_model.load_state_dict(reg.module_.state_dict())
    pred = interleaved({"plain": lambda: _plain.predict(plain_model, views, batch),
                        "ours": lambda: reg.predict(codes[:rows])}, args.repeats)

    ours_pred = reg.predict(codes[:rows])
    plain_pred = _plain.predict(plain_model, views, batch) * reg.target_scale_ + _plain.CENTER
    max_diff = float(np.abs(ours_pred - plain_pred).max())
    agree = np.allclose(ours_pred, plain_pred, rtol=1e-5, atol=1e-5)

    rates = {}
    for what, result, count in (("fit", fit, n), ("predict", pred, rows)):
        for name, (median, runs) in result.items():
            rates[what, name] = count / median
            print(f"{what:>7} {name:>10}: {count / median:7.2f} samples/s "
                  f"(median of {[round(t, 2) for t in runs]} s for {count} rows)")
    print(f"precision='auto' trains in {'bf16' if auto_bf16 else 'fp32'} on this CPU "
          f"(native bf16: {auto_bf16}); the plain bf16 loop uses bf16 autocast either way")
    fit_ratio = rates["fit", "ours fp32"] / rates["fit", "plain fp32"]
    auto_bf16_ratio = rates["fit", "ours auto"] / rates["fit", "plain bf16"]
    auto_fp32_ratio = rates["fit", "ours auto"] / rates["fit", "plain fp32"]
    pred_ratio = rates["predict", "ours"] / rates["predict", "plain"]
    # Predictions are float32 on the CPU under "fp32" and "auto".
    print(f"predictions, same weights, 10 views: max |ours - plain| = {max_diff:.2e} "
          f"({'equal to float tolerance' if agree else 'DIFFERENT'}; spread of the "
          f"predictions: sd {np.std(ours_pred):.3g})")
    met = fit_ratio >= 0.95 and pred_ratio >= 0.95
    print(
        f"SUMMARY cpu training: fit fp32 {rates['fit', 'ours fp32']:.1f} vs plain fp32 loop "
        f"{rates['fit', 'plain fp32']:.1f} samples/s = {fit_ratio:.3f}x; predict (10 views, "
        f"fp32) {rates['predict', 'ours']:.1f} vs {rates['predict', 'plain']:.1f} samples/s = "
        f"{pred_ratio:.3f}x (target >= 0.95: {'met' if met else 'NOT met'}); default "
        f"precision='auto' fit {rates['fit', 'ours auto']:.1f} samples/s = "
        f"{auto_bf16_ratio:.2f}x the plain bf16-autocast loop "
        f"({rates['fit', 'plain bf16']:.1f}), {auto_fp32_ratio:.2f}x the plain fp32 loop; "
        f"predictions agree: {agree} (max diff {max_diff:.1e})"
    )
    if not agree:
        raise SystemExit("fast-path predictions differ from the plain loop")


if __name__ == "__main__":
    main()
