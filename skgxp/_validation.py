"""Input checks with errors that name the row, the value and the rule."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse

from ._construct import Construct, construct_of
from ._constructs import (
    BASES, CONTEXT_3P, CONTEXT_5P, CONTEXT_WIDTH, VECTOR_BIT, VECTOR_N, decode,
)
from ._sequences import _CODE_TABLE
from ._device import resolve_device

_VALID_CODES = np.zeros(256, dtype=bool)
_VALID_CODES[[0, 1, 2, 3, 4, 8, 9, 10, 11, 12]] = True


def _first_nonfinite(values):
    bad = ~np.isfinite(values)
    return np.argwhere(bad)[0] if bad.any() else None


def check_features(X, onehot_width=None):
    """Return ``X`` as a code (uint8) or one-hot (float32) array, or raise.

    ``onehot_width`` (a fitted model's ``4 * length``) is the width required of
    2-D float input.
    """
    if scipy.sparse.issparse(X):
        raise TypeError("X is a sparse matrix; DeepGXPRegressor needs a dense array.")
    if isinstance(X, pd.DataFrame | pd.Series):
        X = X.to_numpy()
    X = np.asarray(X)
    if X.dtype.kind in "OUS":
        raise TypeError(
            f"X has dtype {X.dtype}; DeepGXPRegressor takes encoded sequences. Put a "
            "PromoterEncoder in front: make_pipeline(PromoterEncoder(), "
            "DeepGXPRegressor())."
        )
    if X.ndim not in (2, 3):
        raise ValueError(
            f"X must be 2-D (PromoterEncoder codes or flattened one-hot) or 3-D "
            f"one-hot (n, 4, length); got shape {X.shape}."
        )
    if X.shape[0] == 0:
        raise ValueError(f"X has 0 rows (shape {X.shape}); at least one is required.")
    if X.shape[-1] == 0:
        raise ValueError(
            f"X has 0 feature(s) (shape={X.shape}) while a minimum of 1 is required."
        )
    if X.dtype == np.uint8:
        if X.ndim != 2:
            raise ValueError(
                f"uint8 codes must be 2-D (n, length + 113); got {X.shape}. One-hot "
                "input must be float, of shape (n, 4, length) or (n, 4 * length)."
            )
        return X
    if X.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: X has dtype {X.dtype}.")
    if X.dtype.kind != "f":
        raise ValueError(
            f"X has dtype {X.dtype}; expected uint8 PromoterEncoder codes or float "
            "one-hot."
        )
    if onehot_width is not None and X.ndim == 2 and X.shape[1] != onehot_width:
        raise ValueError(
            f"X has {X.shape[1]} features, but DeepGXPRegressor is expecting "
            f"{onehot_width} features as input (flattened one-hot, 4 x the fitted "
            "length)."
        )
    channels_ok = X.shape[1] == 4 if X.ndim == 3 else X.shape[1] % 4 == 0
    if not channels_ok:
        raise ValueError(
            f"one-hot X must have 4 channels (A, C, G, T): shape (n, 4, length) or "
            f"(n, 4 * length); got shape {X.shape}."
        )
    bad = _first_nonfinite(X.reshape(len(X), -1))
    if bad is not None:
        raise ValueError(
            f"X[{bad[0]}] contains {X.reshape(len(X), -1)[tuple(bad)].item()!r} at "
            f"column {bad[1]}; one-hot input must be finite (no NaN or inf)."
        )
    flat = X.reshape(len(X), -1)
    bad = _first_outside(flat, 0.0, 1.0)
    if bad is not None:
        raise ValueError(
            f"X[{bad[0]}] contains {flat[tuple(bad)].item()!r} at column {bad[1]}; "
            "one-hot values lie in [0, 1]. PromoterEncoder codes must stay uint8."
        )
    return X.astype(np.float32, copy=False)


def _first_outside(values, low, high):
    bad = (values < low) | (values > high)
    return np.argwhere(bad)[0] if bad.any() else None


def check_target(y, n_samples):
    """Return ``y`` as float32 of shape ``(n_samples, k)``, or raise."""
    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None; give "
            "the measured expression of every row of X."
        )
    if isinstance(y, pd.DataFrame | pd.Series):
        y = y.to_numpy()
    y = np.asarray(y)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[1] == 0:
        raise ValueError(
            f"y must have shape (n,) or (n, k) (one row of k targets per row of X); "
            f"got {y.shape}."
        )
    if len(y) != n_samples:
        raise ValueError(f"X has {n_samples} rows but y has {len(y)}; they must match.")
    if y.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: y has dtype {y.dtype}.")
    if y.dtype.kind in "US":  # name the first string row, as for object arrays
        y = y.astype(object)
    if y.dtype.kind == "b" or y.dtype.kind not in "iufO":
        raise TypeError(f"y must be numeric; got dtype {y.dtype}.")
    if y.dtype.kind == "O":
        for flat, value in enumerate(y.ravel()):
            row, col = divmod(flat, y.shape[1])
            i = row if y.shape[1] == 1 else f"{row}, {col}"
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise TypeError(
                    f"y[{i}] is {value!r} of type {type(value).__name__}; targets "
                    "must be numbers."
                )
    y = y.astype(np.float64)
    for values, message in ((y, "is {}; targets must be finite numbers."),
                            (y.astype(np.float32), "= {} does not fit in float32; rescale "
                             "the targets.")):
        bad = _first_nonfinite(values)
        if bad is not None:
            at = f"{bad[0]}" if y.shape[1] == 1 else f"{bad[0]}, {bad[1]}"
            raise ValueError(f"y[{at}] " + message.format(y[tuple(bad)]))
    return y.astype(np.float32)


def check_sample_weight(sample_weight, n_samples):
    """Return sample weights as float32 of shape ``(n_samples,)``, or raise."""
    w = np.asarray(sample_weight)
    if w.ndim != 1 or len(w) != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per row of X; "
            f"got shape {w.shape}."
        )
    if w.dtype.kind == "b" or w.dtype.kind not in "iuf":
        raise TypeError(f"sample_weight must be numeric; got dtype {w.dtype}.")
    w = w.astype(np.float64)
    bad = _first_nonfinite(w)
    if bad is None and (w < 0).any():
        bad = np.argwhere(w < 0)[0]
    if bad is not None:
        raise ValueError(
            f"sample_weight[{bad[0]}] is {w[bad[0]]}; weights must be finite and >= 0."
        )
    if not w.sum() > 0:
        raise ValueError("sample_weight sums to 0; at least one row needs a weight > 0.")
    return w.astype(np.float32)


def _flank_codes_of(flank):
    return _CODE_TABLE[np.frombuffer(flank.encode("ascii"), np.uint8)] | VECTOR_BIT


def check_codes(X, construct, flanks=True, rows=65536):
    """Refuse anything but PromoterEncoder codes of ``construct``.

    Codes have a fixed layout: the construct's 5' flank, the insert (codes
    0-4) in one run from column ``construct.context_5p``, the 3' flank right
    after it, then vector N. One-hot stored as uint8 is refused, and (with
    ``flanks``) codes whose flank bases are another construct's.
    """
    c5, c3, width = construct.context_5p, construct.context_3p, construct.width
    if X.shape[1] != width:
        raise ValueError(
            f"X has {X.shape[1]} columns of uint8 codes, but codes of the model's "
            f"construct ({construct.describe()}) have {width}. Encode with the model's "
            "PromoterEncoder, or wrap codes of another construct as "
            "skgxp.PromoterCodes(X, construct).")
    before = f"in columns 0-{c5 - 1}" if c5 else "(none)"
    layout = (f"PromoterEncoder codes (vector codes {VECTOR_BIT}-{VECTOR_BIT + 4} {before}, "
              "then the insert's codes 0-4 in one run, then vector codes)")
    cols = np.arange(width)
    left, right = _flank_codes_of(construct.flank_5p), _flank_codes_of(construct.flank_3p)
    for start in range(0, len(X), rows):
        block = np.asarray(X[start : start + rows])
        bad = ~_VALID_CODES[block]
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"X[{start + row}, {col}] = {block[row, col]} is not a PromoterEncoder "
                f"code (insert 0-4, vector {VECTOR_BIT}-{VECTOR_BIT + 4})."
            )
        insert = block < VECTOR_BIT
        # The insert runs from c5 to the first vector code after it.
        end = c5 + np.argmax(np.pad(~insert[:, c5:], ((0, 0), (0, 1)), constant_values=True),
                             axis=1)
        inside = (cols >= c5) & (cols < np.maximum(end, c5 + 1)[:, None])
        bad = insert != inside
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"X[{start + row}] is not laid out as {layout}: column {col} holds "
                f"{block[row, col]}. One-hot input must be float, of shape (n, 4, "
                "length) or (n, 4 * length)."
            )
        long = np.flatnonzero(end - c5 > construct.length)
        if long.size:
            raise ValueError(
                f"X[{start + long[0]}] holds an insert of {end[long[0]] - c5} bases, longer "
                f"than the construct's length {construct.length}.")
        if not flanks:
            continue
        expected = np.full(block.shape, VECTOR_N, dtype=np.uint8)
        expected[:, :c5] = left
        expected[np.arange(len(block))[:, None], end[:, None] + np.arange(c3)] = right
        bad = ~inside & (block != expected)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"X[{start + row}] column {col} holds vector base "
                f"{BASES[block[row, col] & 7]!r} where the model's construct "
                f"({construct.describe()}) has {BASES[expected[row, col] & 7]!r}: the codes "
                "were encoded with other flanks. Encode with "
                "PromoterEncoder.from_construct(model.construct_).")


def dream_layout(X):
    """The construct of plain codes laid out as the DREAM construct's (37 + 76 columns).

    Codes from PromoterEncoder carry their construct; plain uint8 arrays are
    read with the DREAM context widths, the flank bases taken from row 0.
    """
    length = X.shape[1] - CONTEXT_WIDTH
    if length < 1:
        raise ValueError(
            f"X has {X.shape[1]} columns of uint8 codes; PromoterEncoder codes have "
            f"length + {CONTEXT_WIDTH} columns.")
    check_codes(X, Construct(length), flanks=False)
    row = np.asarray(X[0])
    end = CONTEXT_5P + int(np.argmax(np.append(row[CONTEXT_5P:] >= VECTOR_BIT, True)))
    return Construct(length, decode(row[:CONTEXT_5P]), decode(row[end : end + CONTEXT_3P]))


def check_model_input(X, fitted, shifted, tta):
    """``X`` checked as DeepGXPRegressor input, its length and its construct.

    ``fitted`` is a fitted model's ``(length, construct)`` (None at ``fit``;
    the construct is None for a model fitted on one-hot); ``shifted`` says
    whether the ``tta`` setting needs shifted views, hence codes.
    """
    fitted_length, fitted_construct = fitted or (None, None)
    carried = construct_of(X)
    X = check_features(X, onehot_width=None if fitted_length is None else 4 * fitted_length)
    construct = None
    if X.dtype == np.uint8:
        if carried is not None and fitted_construct is not None and (
                carried != fitted_construct) and carried.length == fitted_length:
            raise ValueError(
                f"X was encoded for a construct with a {carried.describe()}, but this "
                f"model was fitted for a {fitted_construct.describe()} "
                f"({carried.difference(fitted_construct)}); encode with "
                "PromoterEncoder.from_construct(model.construct_).")
        if fitted_construct is None and fitted_length is not None:
            raise ValueError(
                "this model was fitted on one-hot input; give one-hot X of length "
                f"{fitted_length} (PromoterEncoder(output='onehot')), not codes.")
        construct = carried or fitted_construct or dream_layout(X)
        length = construct.length
        if length == (fitted_length or length):
            check_codes(X, construct)
    else:
        length = X.shape[-1] if X.ndim == 3 else X.shape[1] // 4
        if shifted:
            raise ValueError(
                f"tta={tta} needs shifted views, which need PromoterEncoder's "
                "codes (vector context); with one-hot input use tta=1 or tta=2."
            )
    if fitted_length is not None and length != fitted_length:
        raise ValueError(
            f"X encodes sequences of length {length}, but this model was fitted "
            f"for length {fitted_length}; encode with "
            f"PromoterEncoder(length={fitted_length})."
        )
    return np.asarray(X), int(length), construct


def check_regressor_params(net, tta_settings):
    """Raise a ValueError naming the first invalid DeepGXPRegressor parameter."""
    if net.tta not in tta_settings:
        raise ValueError(f"tta must be one of 1, 2, 6 or 10; got {net.tta!r}.")
    if net.precision not in ("auto", "bf16", "fp32"):
        raise ValueError(
            f"precision must be 'auto', 'bf16' or 'fp32'; got {net.precision!r}."
        )
    center = net.target_center
    if not (isinstance(center, str) and center == "mean"):
        values = np.asarray(center, dtype=object).ravel()
        if values.size == 0 or not all(
                isinstance(v, Real) and not isinstance(v, bool) and np.isfinite(v)
                for v in values) or np.ndim(center) > 1:
            raise ValueError(
                "target_center must be a finite number, one per target, or 'mean'; "
                f"got {center!r}.")
    for name in ("padding", "rc_conjoin"):
        if not isinstance(getattr(net, name), bool):
            raise ValueError(f"{name} must be True or False; got {getattr(net, name)!r}.")
    probs = net.padding_probabilities
    ok = isinstance(probs, tuple | list) and len(probs) == 3 and all(
        isinstance(p, Real) and not isinstance(p, bool) and 0 <= p <= 1 for p in probs)
    if not ok or abs(sum(probs) - 1) > 1e-6:
        raise ValueError(
            "padding_probabilities must be three probabilities (3'-only, 5'-only, "
            f"both sides) that sum to 1; got {probs!r}.")
    shifts = net.tta_shifts
    if shifts is not None and (
            not isinstance(shifts, tuple | list) or not shifts
            or not all(isinstance(k, Integral) and not isinstance(k, bool) for k in shifts)
            or len(set(shifts)) != len(shifts)):
        raise ValueError(
            "tta_shifts must be None or a non-empty tuple of distinct ints (bases "
            f"to shift the insert by at prediction); got {shifts!r}.")
    if net.random_state is not None and not isinstance(net.random_state, Integral):
        raise ValueError(
            f"random_state must be an int or None; got {net.random_state!r}."
        )
    for name in ("max_epochs", "batch_size"):
        value = getattr(net, name)
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}.")
    resolve_device(net.get_params(deep=False)["device"])
