"""PromoterEncoder vs a per-sequence Python encoder written like BHI's original.

Run: python benchmarks/bench_encoding.py [--n 1000000] [--n-reference 20000]

The reference trims or 3'-pads each string in Python and fills a float32
(4, 110) array with one dictionary lookup per base, as BHI's ``data.py``
does in ``__getitem__``. It is timed on a subsample (it is slow) and
reported as a rate. PromoterEncoder is timed on all ``--n`` sequences.
Two ratios, both against the reference's float32 one-hot: the default output
(uint8 codes, what the regressor trains on; the target) and, like for like,
``output="onehot"`` (the reference's own arrays). Target: at least 50x.
"""

import argparse

import numpy as np
from _common import machine, random_sequences, timed
from _plain import onehot, pad

from skgxp import PromoterEncoder


def reference_encode(seq):
    """One sequence the plain way: trim or 3'-pad, then one-hot base by base."""
    return onehot(pad(seq, "3p"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--n-reference", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    X = random_sequences(args.n, 100, 120, seed=0)
    sub = X[: args.n_reference]

    ref_s, ref_all, ref_out = timed(
        lambda: np.stack([reference_encode(s) for s in sub]), args.repeats
    )
    ours_s, ours_all, codes = timed(lambda: PromoterEncoder().fit_transform(X), args.repeats)
    onehot_s, onehot_all, onehot = timed(
        lambda: PromoterEncoder(output="onehot").fit_transform(sub), args.repeats
    )
    # Same numbers as the reference on the sequences both encoded.
    assert np.array_equal(onehot, ref_out), "one-hot differs from the reference encoder"
    assert codes.shape == (args.n, 223) and codes.dtype == np.uint8

    ref_rate = len(sub) / ref_s
    ours_rate = args.n / ours_s
    onehot_rate = len(sub) / onehot_s
    print(f"reference (per-sequence dict lookup): {ref_rate:12,.0f} seq/s "
          f"(median of {args.repeats} on {len(sub):,}; runs {[round(t, 2) for t in ref_all]} s)")
    print(f"PromoterEncoder uint8 codes (default):{ours_rate:12,.0f} seq/s "
          f"(median of {args.repeats} on {args.n:,}; runs {[round(t, 3) for t in ours_all]} s)")
    print(f"PromoterEncoder output='onehot':      {onehot_rate:12,.0f} seq/s "
          f"(median of {args.repeats} on {len(sub):,}; float32, equal to the reference's "
          f"arrays; runs {[round(t, 4) for t in onehot_all]} s)")
    ratio = ours_rate / ref_rate
    print(
        f"SUMMARY encoding: PromoterEncoder uint8 codes {ours_rate:,.0f} seq/s vs reference "
        f"float32 one-hot {ref_rate:,.0f} seq/s = {ratio:.1f}x (different outputs; target "
        f">= 50x: {'met' if ratio >= 50 else 'NOT met'}); like for like, "
        f"PromoterEncoder float32 one-hot {onehot_rate:,.0f} seq/s = "
        f"{onehot_rate / ref_rate:.1f}x"
    )


if __name__ == "__main__":
    main()
