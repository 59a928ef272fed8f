"""Reading a challenge-sized ``sequence<TAB>expression`` file into encoder input.

Run: python benchmarks/bench_reader.py [--rows 6739258]

Writes a synthetic file of ``--rows`` rows like the challenge's training file
(no header; random 100-120 bp inserts, most of them 110; expression with six
decimals) in a temporary folder, then, in a fresh child process, times
``skgxp.datasets.read_challenge_file`` and reads the process's peak RSS. The
file is deleted afterwards. Targets: under 30 s and peak RSS under 3 GB.
The reference is the plain way: ``pandas.read_csv`` with the C engine and
default dtypes.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np


def write_file(path, rows, seed=0, chunk=500_000):
    """A headerless ``sequence<TAB>expression`` file of ``rows`` random rows."""
    from _common import random_sequences

    rng = np.random.default_rng(seed)
    with open(path, "w") as out:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            lengths = np.where(rng.random(n) < 0.9, 110, rng.integers(100, 121, n))
            seqs = random_sequences(n, 110, 110, seed=seed + start)
            values = np.round(np.clip(rng.normal(11.0, 2.35, n), 0, 17), 6)
            out.write("".join(
                f"{s[:k] if k <= 110 else s + s[: k - 110]}\t{v}\n"
                for s, k, v in zip(seqs.tolist(), lengths.tolist(), values.tolist())
            ))


def child(path, how):
    import pandas as pd
    from _common import rss_bytes

    from skgxp import PromoterEncoder
    from skgxp.datasets import read_challenge_file

    before = rss_bytes()
    start = time.perf_counter()
    if how == "skgxp":
        X, y = read_challenge_file(path)
    else:
        frame = pd.read_csv(path, sep="\t", header=None, engine="c")
        X, y = frame[0].to_numpy(), frame[1].to_numpy()
    seconds = time.perf_counter() - start
    peak, held = _status("VmHWM"), rss_bytes()
    # Not part of the target: what the encoder then makes of X.
    start = time.perf_counter()
    codes = PromoterEncoder().fit_transform(X)
    encode_s = time.perf_counter() - start
    print(json.dumps(dict(rows=len(X), seconds=seconds, peak=peak, before=before, held=held,
                          x_type=type(X[0]).__name__, y_dtype=str(y.dtype),
                          encode_s=encode_s, codes=codes.nbytes,
                          peak_encoded=_status("VmHWM"))))


def _status(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status
                    if line.startswith(field + ":"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6_739_258)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)

    from _common import machine, mb, run_child

    print(f"machine: {machine()}")
    folder = tempfile.mkdtemp(prefix="skgxp-bench-reader-")
    try:
        path = os.path.join(folder, "train_sequences.txt")
        start = time.perf_counter()
        write_file(path, args.rows)
        print(f"wrote {args.rows:,} rows ({os.path.getsize(path) / 2**20:,.0f} MiB) "
              f"in {time.perf_counter() - start:.1f} s")
        results = {}
        for how in ("pandas", "skgxp"):
            r = results[how] = run_child(__file__, path, how)
            print(f"{how:>6}: {r['seconds']:6.1f} s, peak RSS {mb(r['peak']):7.0f} MiB "
                  f"(before reading {mb(r['before']):.0f} MiB, held after "
                  f"{mb(r['held']):.0f} MiB), X of {r['x_type']}, y {r['y_dtype']}; "
                  f"then PromoterEncoder: {r['encode_s']:.1f} s, codes "
                  f"{mb(r['codes']):.0f} MiB, peak RSS {mb(r['peak_encoded']):.0f} MiB")
    finally:
        shutil.rmtree(folder)
    ours = results["skgxp"]
    ok = ours["seconds"] < 30 and ours["peak"] < 3 * 2**30
    print(
        f"SUMMARY reader: {ours['rows']:,} rows in {ours['seconds']:.1f} s "
        f"({ours['rows'] / ours['seconds']:,.0f} rows/s), peak RSS "
        f"{ours['peak'] / 2**30:.2f} GB; plain pandas.read_csv "
        f"{results['pandas']['seconds']:.1f} s, {results['pandas']['peak'] / 2**30:.2f} GB "
        f"(targets < 30 s and < 3 GB: {'met' if ok else 'NOT met'})"
    )


if __name__ == "__main__":
    sys.exit(main())
