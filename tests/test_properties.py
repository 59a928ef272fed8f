"""Property-based bad-input tests (hypothesis) for PromoterEncoder and DeepGXPRegressor.

Every input either works (right shape, valid codes) or raises a ValueError /
TypeError whose message names the offending row and the rule; never another
exception type and never a wrong shape.
"""

import random
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.pipeline import make_pipeline

from skgxp import DeepGXPRegressor, PromoterEncoder

BASES = "ACGTNacgtn"
VALID_CODES = {0, 1, 2, 3, 4, 8, 9, 10, 11, 12}
FAST = settings(max_examples=80, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
FITS = settings(max_examples=6, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

dna = st.text(alphabet=BASES, min_size=1, max_size=150)
# Any code point, surrogates and control characters included.
unicode_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)
whitespaced = st.builds(lambda s, ws, k: s[:k] + ws + s[k:], dna,
                        st.sampled_from([" ", "\t", "\n", "\r\n", "\u00a0", "\u3000"]),
                        st.integers(0, 150))
not_a_string = st.one_of(
    st.none(), st.just(float("nan")), st.just(pd.NA), st.binary(max_size=20),
    st.integers(), st.floats(), st.booleans(), st.lists(dna, max_size=2),
)


def _outcome(call):
    """Result of ``call()``, or its ValueError / TypeError; any other exception fails."""
    try:
        return call()
    except (ValueError, TypeError) as exc:
        return exc


def _is_bad(seq):
    return seq == "" or any(c not in BASES for c in seq)


def _check_codes(codes, seqs, length=110):
    assert codes.shape == (len(seqs), length + 113)
    assert codes.dtype == np.uint8
    assert set(np.unique(codes)) <= VALID_CODES
    for row, seq in zip(codes, seqs):
        insert = row[row < 8]
        assert "".join("ACGTN"[c] for c in insert) == seq.upper()[:length]


# -- PromoterEncoder ---------------------------------------------------------------------


@FAST
@given(st.lists(st.one_of(dna, unicode_text, whitespaced), min_size=1, max_size=12))
def test_encoder_on_any_strings(seqs):
    result = _outcome(lambda: PromoterEncoder().transform(seqs))
    bad = [i for i, s in enumerate(seqs) if _is_bad(s)]
    if not bad:
        _check_codes(result, seqs)
        return
    assert isinstance(result, ValueError)
    match = re.match(r"X\[(\d+)\] (is an empty string; every row needs at least one base"
                     r"|has invalid character (.+) at position (\d+); only A, C, G, T and N "
                     r"\(any case\) are allowed)", str(result), re.S)
    assert match, str(result)
    row = int(match.group(1))
    assert row in bad
    if match.group(3) is not None:
        char = seqs[row][int(match.group(4))]
        assert match.group(3) == repr(char) and char not in BASES


@FAST
@given(st.lists(dna, max_size=8), not_a_string, st.integers(0, 8))
def test_encoder_names_the_first_row_that_is_not_a_string(seqs, value, position):
    rows = list(seqs)
    rows.insert(min(position, len(rows)), value)
    result = _outcome(lambda: PromoterEncoder().transform(rows))
    assert isinstance(result, TypeError)
    row = next(i for i, s in enumerate(rows) if not isinstance(s, str))
    assert re.match(rf"X\[{row}\] is .* of type \w+; every row must be a str of A, C, G, T, N",
                    str(result), re.S), str(result)


@FAST
@given(st.one_of(
    st.dictionaries(st.text(max_size=3), dna, max_size=3),
    st.sets(dna, max_size=3),
    st.builds(lambda seqs: (s for s in seqs), st.lists(dna, max_size=3)),
    dna, st.binary(max_size=5), st.integers(), st.floats(), st.none(),
))
def test_encoder_rejects_containers_that_are_not_1d(X):
    result = _outcome(lambda: PromoterEncoder().transform(X))
    assert isinstance(result, TypeError)
    assert "X must be a 1-D array-like of str" in str(result)


@FAST
@given(st.integers(0, 6), st.integers(2, 6), st.booleans())
def test_encoder_rejects_arrays_of_the_wrong_width(n, width, three_d):
    shape = (n, width, 2) if three_d else (n, width)
    result = _outcome(lambda: PromoterEncoder().transform(np.full(shape, "ACGT", dtype=object)))
    assert isinstance(result, ValueError)
    assert f"got an array of shape {shape}" in str(result)


@pytest.mark.parametrize("X", [[], (), np.array([], dtype=object), pd.Series([], dtype=object),
                               pd.DataFrame({"seq": []})], ids=repr)
def test_encoder_rejects_zero_rows(X):
    with pytest.raises(ValueError, match="X has 0 sequences; at least one is required"):
        PromoterEncoder().transform(X)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10_000), st.integers(0, 2**32 - 1)),
                min_size=1, max_size=4),
       st.integers(1, 160))
def test_encoder_on_any_length(rows, length):
    seqs = ["".join(random.Random(seed).choices(BASES, k=k)) for k, seed in rows]
    _check_codes(PromoterEncoder(length=length).transform(seqs), seqs, length)
    onehot = PromoterEncoder(length=length, output="onehot").transform(seqs)
    assert onehot.shape == (len(seqs), 4, length)
    assert set(np.unique(onehot)) <= {0.0, 1.0}
    assert (onehot.sum(axis=1) <= 1).all()
    for hot, seq in zip(onehot, seqs):
        head = seq.upper()[:length]
        expected = [("ACGT".index(b) if b in "ACGT" else -1) for b in head]
        got = [(int(col.argmax()) if col.any() else -1) for col in hot.T[: len(head)]]
        assert got == expected


@FAST
@given(st.lists(dna, min_size=1, max_size=6), st.sampled_from(["list", "tuple", "array",
                                                                "series", "frame", "column"]))
def test_encoder_accepts_every_documented_container(seqs, kind):
    X = {"list": list(seqs), "tuple": tuple(seqs), "array": np.array(seqs, dtype=object),
         "series": pd.Series(seqs), "frame": pd.DataFrame({"s": seqs}),
         "column": np.array(seqs, dtype=object)[:, None]}[kind]
    _check_codes(PromoterEncoder().transform(X), seqs)


# -- DeepGXPRegressor ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def data(demo_codes):
    codes, y = demo_codes
    return codes[:24], y[:24]


@pytest.fixture(scope="module")
def fitted(tiny):
    X = ["".join(random.Random(i).choices("ACGT", k=110)) for i in range(32)]
    y = np.arange(32.0) % 17
    return make_pipeline(PromoterEncoder(), DeepGXPRegressor(
        max_epochs=1, batch_size=16, verbose=0, **tiny)).fit(X, y)


def _net(tiny, **params):
    return DeepGXPRegressor(**{"max_epochs": 1, "batch_size": 8, "verbose": 0, **tiny, **params})


@FAST
@given(width=st.integers(1, 113))
def test_regressor_rejects_codes_of_the_wrong_width(tiny, data, width):
    codes, y = data
    result = _outcome(lambda: _net(tiny).fit(codes[:, :width], y))
    assert isinstance(result, ValueError)
    assert str(result).startswith(f"X has {width} columns of uint8 codes")


@FAST
@given(st.integers(0, 23), st.integers(0, 222),
       st.integers(0, 255).filter(lambda v: v not in VALID_CODES))
def test_regressor_names_an_invalid_code(tiny, data, row, col, value):
    codes, y = data
    codes = codes.copy()
    codes[row, col] = value
    result = _outcome(lambda: _net(tiny).fit(codes, y))
    assert isinstance(result, ValueError)
    assert str(result).startswith(f"X[{row}, {col}] = {value} is not a PromoterEncoder code")


@FAST
@given(st.integers(0, 23), st.sampled_from([np.nan, np.inf, -np.inf]))
def test_regressor_names_a_non_finite_target(tiny, data, row, value):
    codes, y = data
    y = y.copy()
    y[row] = value
    result = _outcome(lambda: _net(tiny).fit(codes, y))
    assert isinstance(result, ValueError)
    assert str(result) == f"y[{row}] is {value}; targets must be finite numbers."


@FAST
@given(st.integers(0, 23), st.one_of(st.text(max_size=3), st.none(), st.booleans(),
                                     st.lists(st.integers(), max_size=2)))
def test_regressor_names_a_target_that_is_not_a_number(tiny, data, row, value):
    codes, y = data
    y = y.astype(object)
    y[row] = value
    result = _outcome(lambda: _net(tiny).fit(codes, y))
    assert isinstance(result, TypeError)
    assert str(result).startswith(f"y[{row}] is {value!r} of type {type(value).__name__}; "
                                  "targets must be numbers")


@FAST
@given(st.integers(0, 30).filter(lambda m: m != 24))
def test_regressor_rejects_x_y_length_mismatch(tiny, data, m):
    codes, y = data
    result = _outcome(lambda: _net(tiny).fit(codes, np.resize(y, m)))
    assert isinstance(result, ValueError)
    assert str(result) == f"X has 24 rows but y has {m}; they must match."


@FAST
@given(st.integers(0, 23), st.integers(0, 3), st.integers(0, 19),
       st.sampled_from([np.nan, np.inf]), st.booleans())
def test_regressor_names_a_non_finite_onehot_row(tiny, data, row, channel, pos, value, flat):
    _, y = data
    onehot = np.zeros((24, 4, 20), dtype=np.float32)
    onehot[row, channel, pos] = value
    X = onehot.reshape(24, -1) if flat else onehot
    result = _outcome(lambda: _net(tiny, tta=2).fit(X, y))
    assert isinstance(result, ValueError)
    assert str(result).startswith(f"X[{row}] contains ")
    assert f"at column {channel * 20 + pos}; one-hot input must be finite" in str(result)


@FAST
@given(st.integers(1, 40).filter(lambda w: w % 4), st.integers(1, 4))
def test_regressor_rejects_onehot_of_the_wrong_width(tiny, data, width, n):
    _, y = data
    result = _outcome(lambda: _net(tiny, tta=2).fit(np.zeros((n, width), np.float32), y[:n]))
    assert isinstance(result, ValueError)
    assert "one-hot X must have 4 channels (A, C, G, T)" in str(result)


@pytest.mark.parametrize("X", [np.zeros((0, 223), np.uint8), np.zeros((0, 4, 110), np.float32)],
                         ids=["codes", "onehot"])
def test_regressor_rejects_zero_rows(tiny, X):
    with pytest.raises(ValueError, match=r"X has 0 rows \(shape \(0, .*\)\); at least one"):
        _net(tiny, tta=2).fit(X, np.zeros(0))


@FITS
@given(n=st.integers(1, 6), batch_size=st.integers(1, 8))
def test_regressor_fits_and_predicts_any_small_number_of_rows(tiny, data, n, batch_size):
    codes, y = data
    net = _net(tiny, batch_size=batch_size).fit(codes[:n], y[:n])
    # drop_last never leaves an epoch without a step: a lone partial batch is kept.
    assert net.history[-1]["train_batch_count"] == max(n // batch_size, 1)
    pred = net.predict(codes[:n])
    assert pred.shape == (n,) and np.isfinite(pred).all()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(dna, st.integers(1, 10_000).map(lambda k: "A" * k)),
                min_size=1, max_size=5))
def test_pipeline_predicts_one_value_per_sequence(fitted, seqs):
    pred = fitted.predict(seqs)
    assert pred.shape == (len(seqs),) and np.isfinite(pred).all()


@FAST
@given(st.lists(st.one_of(dna, unicode_text, not_a_string), min_size=1, max_size=6))
def test_pipeline_prediction_errors_name_the_row(fitted, rows):
    result = _outcome(lambda: fitted.predict(rows))
    if isinstance(result, Exception):
        assert re.match(r"X\[\d+\] ", str(result)), str(result)
    else:
        assert all(isinstance(s, str) and not _is_bad(s) for s in rows)
        assert result.shape == (len(rows),)


@FAST
@given(st.sampled_from([np.array([["ACGT"] * 3]), np.array(["ACGT", "TTTT"], dtype="S4"),
                        np.zeros((3, 223), np.uint8)]))
def test_pipeline_rejects_non_string_tables(fitted, X):
    result = _outcome(lambda: fitted.predict(X))
    assert isinstance(result, ValueError | TypeError)
