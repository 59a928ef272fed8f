"""KmerCounts against scikit-learn's CountVectorizer: identical counts, then speed.

Run: python benchmarks/bench_kmer.py [--n 1000000] [--repeats 1] [--threads 1]

1. Counts: ``KmerCounts(k=(k1, k2), canonical=False)`` and
   ``CountVectorizer(analyzer="char", ngram_range=(k1, k2), lowercase=False)``
   on 2,000 random sequences of 1-150 bp (A, C, G, T), for several k ranges;
   columns are matched by k-mer name and every count compared exactly.
   CountVectorizer has no notion of N, so the comparison uses ACGT only.
2. Speed: both on the same ``--n`` random 110-bp sequences, k = 1..6,
   ``canonical=False`` (the same counts), repeats interleaved (KmerCounts,
   CountVectorizer, KmerCounts, ...) and medians printed, as sequences per
   second, with the ratio; then ``canonical=True`` (KmerCounts only).
   CountVectorizer takes about 4 minutes and 8 GB for 1,000,000 on 2 cores.
"""

import argparse
import statistics
import time

import numpy as np
import torch
from _common import machine, random_sequences
from sklearn.feature_extraction.text import CountVectorizer
from threadpoolctl import threadpool_limits

from skgxp import KmerCounts

K_RANGES = [(1, 1), (1, 6), (2, 4), (3, 8), (6, 6)]


def vectorizer(k_range):
    return CountVectorizer(analyzer="char", ngram_range=k_range, lowercase=False)


def check_counts():
    seqs = random_sequences(2000, low=1, high=150, seed=1)
    for k_range in K_RANGES:
        ours = KmerCounts(k=k_range, canonical=False)
        counts = ours.fit_transform(seqs)
        theirs = vectorizer(k_range)
        reference = theirs.fit_transform(seqs)
        names = ours.get_feature_names_out()
        # CountVectorizer lists only the k-mers it saw; every other column must be 0.
        seen = np.array([name in theirs.vocabulary_ for name in names])
        where = [theirs.vocabulary_[name] for name in names[seen]]
        same = (counts[:, np.flatnonzero(seen)] != reference[:, where]).nnz == 0
        unseen_zero = counts[:, np.flatnonzero(~seen)].nnz == 0
        equal = same and unseen_zero and seen.sum() == len(theirs.vocabulary_)
        print(f"counts k={k_range}: {counts.shape[1]} columns, {seen.sum()} seen by "
              f"CountVectorizer, {counts.sum()} k-mers: "
              f"{'identical' if equal else 'DIFFERENT'}", flush=True)
        if not equal:
            raise SystemExit("KmerCounts and CountVectorizer disagree")


def rate(n, seconds):
    return f"{n / seconds:,.0f} sequences/s ({seconds:.2f} s)"


def speed(n, repeats):
    seqs = random_sequences(n, low=110, high=110, seed=2)
    ours, theirs = [], []
    for _ in range(repeats):
        for times, fit in ((ours, KmerCounts(canonical=False)), (theirs, vectorizer((1, 6)))):
            start = time.perf_counter()
            counts = fit.fit_transform(seqs)
            times.append(time.perf_counter() - start)
            del counts  # frees its memory before the next run
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    print(f"speed n={n:,} 110-bp, k=1..6, canonical=False, median of {repeats}:")
    print(f"  KmerCounts      {rate(n, ours_s)}")
    print(f"  CountVectorizer {rate(n, theirs_s)}")
    print(f"  ratio {theirs_s / ours_s:.1f}x")
    start = time.perf_counter()
    KmerCounts().fit_transform(seqs)
    print(f"  KmerCounts canonical=True {rate(n, time.perf_counter() - start)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    threadpool_limits(args.threads)
    torch.set_num_threads(args.threads)
    print(f"machine: {machine()}")
    check_counts()
    speed(args.n, args.repeats)


if __name__ == "__main__":
    main()
