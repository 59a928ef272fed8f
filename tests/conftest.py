"""Shared fixtures: tiny model settings, a slice of the bundled demo data, and
BHI's padding / shifting / one-hot rules re-typed in plain Python (from the
reference description of BHI's ``data.py``), independent of skgxp's code.

The tiny module settings are defined here once: tests take them from the
``tiny`` / ``sensitive`` fixtures, or, where no fixture reaches (module-level
parametrization), as ``from conftest import TINY``. The benchmarks have their
own copy in ``benchmarks/_common.py`` (they do not import test code), and
docstrings and examples spell the settings out, since each must run alone.
"""

import types

import numpy as np
import pytest
import torch

from skgxp import PromoterEncoder
from skgxp.datasets import load_dream_demo

#: BHI's vector flanks (data.py), typed here rather than imported from skgxp.
VECTOR_LEFT = "GCTAGCAGGAATGATGCAAAAGGTTCCCGATTCGAAC"
VECTOR_RIGHT = (
    "TCTTAATTAAAAAAAGATAGAAAACATTAGGAGTGTAACACAAGACTTTCGGATCCTGAGCAGGCAAGATAAACGA"
)
#: Module settings small enough for a fit in well under a second.
TINY = {
    "module__conv1_channels": 4,
    "module__lstm_hidden_size": 4,
    "module__conv2_channels": 4,
    "module__fc_size": 4,
}
#: TINY widened so that the fitted network's predictions vary with its input
#: (at the default random_state), for tests that need defined correlations.
SENSITIVE = {**TINY, "module__conv1_channels": 8, "module__fc_size": 8}


def bhi_pad(seq, mode, max_length=110):
    """BHI's ``_pad`` with the random draw replaced by ``mode``."""
    if len(seq) > max_length:
        return seq[:max_length]
    if len(seq) == max_length:
        return seq
    pad = max_length - len(seq)
    if mode == "3p":
        return seq + VECTOR_RIGHT[:pad]
    if mode == "5p":
        return VECTOR_LEFT[-pad:] + seq
    left = pad // 2
    right = pad - left
    if right > 0:
        seq = seq + VECTOR_RIGHT[:right]
    if left > 0:
        seq = VECTOR_LEFT[-left:] + seq
    return seq


def bhi_shift(seq, shift):
    """BHI's ``_get_shifted_sequence`` (test-time shifts)."""
    if shift == 0:
        return seq
    if shift < 0:
        k = -shift
        return "CGATTCGAAC"[-k:] + seq[:-k]
    return seq[shift:] + "TCTTAATTAA"[:shift]


def bhi_onehot(seq):
    """``(4, L)`` one-hot, channels A C G T, N as zeros (BHI's one_hot_matrix)."""
    rows = {"A": 0, "C": 1, "G": 2, "T": 3}
    out = np.zeros((4, len(seq)), dtype=np.float32)
    for pos, base in enumerate(seq):
        if base in rows:
            out[rows[base], pos] = 1.0
    return out


def decode(codes):
    """Letters of code rows, vector bit ignored: 0-4 and 8-12 -> A C G T N."""
    codes = np.asarray(codes)
    return ["".join("ACGTN"[c & 7] for c in row) for row in codes]


def random_sequences(rng, n, low, high, alphabet="ACGT"):
    """``n`` random sequences with lengths in ``[low, high]``."""
    lengths = rng.integers(low, high + 1, size=n)
    letters = np.array(list(alphabet))
    return ["".join(rng.choice(letters, size=k)) for k in lengths]


@pytest.fixture
def bhi():
    """BHI's sequence rules and a decoder of skgxp codes, as plain functions."""
    return types.SimpleNamespace(
        pad=bhi_pad, shift=bhi_shift, onehot=bhi_onehot, decode=decode,
        random_sequences=random_sequences, left=VECTOR_LEFT, right=VECTOR_RIGHT,
    )


@pytest.fixture(scope="session")
def tiny():
    """Module settings small enough for a fit in well under a second."""
    return dict(TINY)


@pytest.fixture(scope="session")
def sensitive():
    """Tiny module settings whose fitted predictions vary with the input."""
    return dict(SENSITIVE)


@pytest.fixture(scope="session")
def demo():
    """First 200 promoters of the bundled demo set and their expression."""
    X, y = load_dream_demo(return_X_y=True)
    return X[:200], y[:200]


@pytest.fixture(scope="session")
def demo_codes(demo):
    X, y = demo
    return PromoterEncoder().fit_transform(X), y



@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Tiny models gain nothing from intra-op threads, and on a shared 2-core
    machine OpenMP spin-waiting made the suite several times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
