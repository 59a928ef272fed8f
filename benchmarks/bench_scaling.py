"""Fit time and peak RSS against the number of sequences (tiny module, 1 epoch).

Run: python benchmarks/bench_scaling.py [--sizes 10000 100000 1000000]

Each size is fitted in a fresh child process by ``bench_memory.py``'s
measurement (pipeline of PromoterEncoder and a tiny DeepGXPRegressor, one
epoch, peak RSS from the kernel's high-water mark reset just before ``fit``).
The table gives the time and memory per sequence between consecutive sizes:
constant increments mean linear growth.
"""

import argparse

from _common import machine, mb
from bench_memory import measure


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 keeps a shared machine's timings steady)")
    args = parser.parse_args()
    print(f"machine: {machine()}; torch threads in the fits: {args.threads}")

    rows = [measure(n, args.threads) for n in sorted(args.sizes)]
    print(f"{'sequences':>10} | {'fit s':>7} | {'ms/1k seq':>9} | {'peak RSS MiB':>12} | "
          f"{'added MiB':>9} | {'added B/seq':>11} | increment from previous size")
    previous = None
    for r in rows:
        step = ""
        if previous:
            dn = r["n"] - previous["n"]
            step = (f"{(r['fit_s'] - previous['fit_s']) / dn * 1e6:.1f} ms/1k seq, "
                    f"{(r['added'] - previous['added']) / dn:.0f} B/seq")
        print(f"{r['n']:>10,} | {r['fit_s']:7.1f} | {r['fit_s'] / r['n'] * 1e6:9.1f} | "
              f"{mb(r['peak']):12.0f} | {mb(r['added']):9.0f} | "
              f"{r['added'] / r['n']:11.0f} | {step}")
        previous = r
    first, last = rows[0], rows[-1]
    time_slope = (last["fit_s"] - first["fit_s"]) / (last["n"] - first["n"]) * 1e6
    mem_slope = (last["added"] - first["added"]) / (last["n"] - first["n"])
    print(
        f"SUMMARY scaling: {first['n']:,} -> {last['n']:,} sequences: fit "
        f"{first['fit_s']:.1f} -> {last['fit_s']:.1f} s ({time_slope:.1f} ms per 1k "
        f"sequences), peak RSS added {mb(first['added']):.0f} -> {mb(last['added']):.0f} "
        f"MiB ({mem_slope:.0f} bytes per sequence)"
    )


if __name__ == "__main__":
    main()
