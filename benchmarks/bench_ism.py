"""Saturation mutagenesis throughput vs ``predict`` on as many forward sequences.

Run: python benchmarks/bench_ism.py [--n 4] [--device cpu] [--repeats 3] [--full]
[--threads 1]

``skgxp.interpret.saturation_mutagenesis`` on ``--n`` random 110-bp
sequences puts 3 x 110 mutants and the sequence itself, 331 forward
sequences per input, through the model's test-time views (10 by default).
Like for like, ``DeepGXPRegressor.predict`` runs on ``n x 331`` random
110-bp sequences (codes encoded beforehand, so ISM alone pays for encoding)
with the same views and the same batch size. Both rates are forward
sequences per second (median of ``--repeats`` runs, the two interleaved
after one warm-up run each); target: ISM >= 0.9x predict.

The model: on CUDA the full network; on the CPU the reduced network of
``skgxp demo`` (conv1 64, LSTM 64, conv2 32) unless ``--full``. It is
trained for one epoch on 256 random sequences: the weights do not change
the work. The load average is printed before and after: the figures are
only comparable on a machine otherwise idle.
"""

import argparse
import os

import numpy as np
import torch
from _common import literal_params, machine, random_sequences, random_targets, timed
from sklearn.pipeline import make_pipeline

from skgxp import DeepGXPRegressor, PromoterEncoder
# The CPU width of ``skgxp demo``.
from skgxp._demo import CPU_MODULE as REDUCED
from skgxp.interpret import saturation_mutagenesis

LENGTH = 110


def sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4, help="sequences mutated")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=512,
                        help="forward sequences per batch (both methods)")
    parser.add_argument("--tta", type=int, default=10)
    parser.add_argument("--full", action="store_true", help="full network on the CPU too")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's own)")
    parser.add_argument("--params", nargs="*", default=[], metavar="NAME=VALUE",
                        help="more DeepGXPRegressor parameters, e.g. module__fc_size=32")
    args = parser.parse_args()

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    on_cpu = torch.device(args.device).type == "cpu"
    reduced = on_cpu and not args.full
    params = {**(REDUCED if reduced else {}), **literal_params(args.params)}
    name = "CPU" if on_cpu else torch.cuda.get_device_name(args.device)
    print(f"machine: {machine()}; device: {name}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    width = "reduced" if reduced else "full"
    if args.params:
        extra = literal_params(args.params)
        width += " with " + ", ".join(f"{k}={v}" for k, v in extra.items())
    print(f"model: {width} network ({params or 'the defaults'}), tta={args.tta}, "
          f"batch_size={args.batch_size}")

    regressor = DeepGXPRegressor(max_epochs=1, batch_size=64, device=args.device, verbose=0,
                                 **params)
    model = make_pipeline(PromoterEncoder(), regressor)
    model.fit(random_sequences(256, LENGTH, LENGTH, seed=2), random_targets(256))
    regressor.set_params(batch_size=args.batch_size, tta=args.tta)

    X = random_sequences(args.n, LENGTH, LENGTH, seed=0)
    forward = args.n * (3 * LENGTH + 1)  # mutants and references
    codes = PromoterEncoder().fit_transform(random_sequences(forward, LENGTH, LENGTH, seed=1))

    def run_ism():
        out = saturation_mutagenesis(model, X)
        sync(args.device)
        return out

    def run_predict():
        out = regressor.predict(codes)
        sync(args.device)
        return out

    run_ism(), run_predict()  # warm-up
    ism_times, predict_times = [], []
    for _ in range(args.repeats):  # interleaved: a change of load hits both
        ism_times += timed(run_ism, 1)[1]
        predict_times += timed(run_predict, 1)[1]
    effects, predictions = run_ism(), run_predict()
    assert effects.shape == (args.n, 4, LENGTH) and np.isfinite(effects).all()
    assert predictions.shape == (forward,)

    ism_s, predict_s = float(np.median(ism_times)), float(np.median(predict_times))
    ism_rate, predict_rate = forward / ism_s, forward / predict_s
    print(f"saturation_mutagenesis: {args.n} sequences x 331 = {forward:,} forward "
          f"sequences, median {ism_s:.3f} s ({[round(t, 3) for t in ism_times]}): "
          f"{ism_rate:,.0f} seq/s ({args.n * 3 * LENGTH / ism_s:,.0f} mutants/s)")
    print(f"predict: {forward:,} sequences, median {predict_s:.3f} s "
          f"({[round(t, 3) for t in predict_times]}): {predict_rate:,.0f} seq/s")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ratio = ism_rate / predict_rate
    print(f"SUMMARY ism ({name}, {width} network, {args.tta} views): {ism_rate:,.0f} vs "
          f"predict {predict_rate:,.0f} forward seq/s = {ratio:.2f}x (target >= 0.9x: "
          f"{'met' if ratio >= 0.9 else 'NOT met'})")


if __name__ == "__main__":
    main()
