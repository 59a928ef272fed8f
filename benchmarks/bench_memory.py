"""Peak resident memory that fitting the pipeline adds, per sequence.

Run: python benchmarks/bench_memory.py [--n 1000000]

In a fresh child process: load ``--n`` random 100-120 bp sequences and their
targets, then fit ``make_pipeline(PromoterEncoder(), DeepGXPRegressor(tiny
module, 1 epoch))`` and read the peak RSS (the kernel's high-water mark,
reset just before ``fit``). The figure is that peak minus the RSS held just
before ``fit`` with X loaded, divided by ``--n``. Target: <= 300 bytes per
sequence (float32 one-hot alone would be 1,760).
"""

import argparse
import json
import sys
import time


def child(n):
    from _common import TINY, PeakRSS, random_sequences, random_targets
    from sklearn.pipeline import make_pipeline

    from skgxp import DeepGXPRegressor, PromoterEncoder

    X = random_sequences(n, 100, 120, seed=0)
    y = random_targets(n)
    model = make_pipeline(
        PromoterEncoder(),
        DeepGXPRegressor(max_epochs=1, device="cpu", verbose=0, **TINY),
    )
    start = time.perf_counter()
    with PeakRSS() as mem:
        model.fit(X, y)
    seconds = time.perf_counter() - start
    print(json.dumps(dict(n=n, baseline=mem.baseline, peak=mem.peak, added=mem.added,
                          method=mem.method, fit_s=seconds)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.n)

    from _common import machine, mb, run_child

    print(f"machine: {machine()}")
    r = run_child(__file__, "--n", args.n)
    per_seq = r["added"] / r["n"]
    print(f"RSS before fit (X, y loaded): {mb(r['baseline']):8.1f} MiB")
    print(f"peak RSS during fit:          {mb(r['peak']):8.1f} MiB ({r['method']})")
    print(f"added by fit:                 {mb(r['added']):8.1f} MiB; fit took {r['fit_s']:.1f} s")
    print(
        f"SUMMARY memory: fit on {r['n']:,} sequences adds {per_seq:.0f} bytes/sequence of "
        f"peak RSS (peak {mb(r['peak']):.0f} MiB; target <= 300: "
        f"{'met' if per_seq <= 300 else 'NOT met'})"
    )


if __name__ == "__main__":
    sys.exit(main())
