"""Input checks with errors that name the row, the value and the rule."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse

from ._constructs import CONTEXT_5P, CONTEXT_WIDTH, VECTOR_BIT
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
    """Return ``y`` as float32 of shape ``(n_samples, 1)``, or raise."""
    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None; give "
            "the measured expression of every row of X."
        )
    if isinstance(y, pd.DataFrame | pd.Series):
        y = y.to_numpy()
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"y must have shape (n,) or (n, 1) (one target per row); got {y.shape}."
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
        for i, value in enumerate(y):
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise TypeError(
                    f"y[{i}] is {value!r} of type {type(value).__name__}; targets "
                    "must be numbers."
                )
    y = y.astype(np.float64)
    bad = _first_nonfinite(y)
    if bad is not None:
        raise ValueError(f"y[{bad[0]}] is {y[bad[0]]}; targets must be finite numbers.")
    y32 = y.astype(np.float32)
    bad = _first_nonfinite(y32)
    if bad is not None:
        raise ValueError(
            f"y[{bad[0]}] = {y[bad[0]]} does not fit in float32; rescale the targets."
        )
    return y32.reshape(-1, 1)


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


def check_codes(X, rows=65536):
    """Refuse anything but PromoterEncoder codes, e.g. one-hot stored as uint8.

    Codes have a fixed layout: vector codes in the 5' context columns, the
    insert (codes 0-4) in one run from column ``CONTEXT_5P``, vector codes after.
    """
    cols = np.arange(X.shape[1])
    for start in range(0, len(X), rows):
        block = X[start : start + rows]
        bad = ~_VALID_CODES[block]
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"X[{start + row}, {col}] = {block[row, col]} is not a PromoterEncoder "
                f"code (insert 0-4, vector {VECTOR_BIT}-{VECTOR_BIT + 4})."
            )
        insert = block < VECTOR_BIT
        # The insert runs from CONTEXT_5P to the first vector code after it.
        end = CONTEXT_5P + np.argmax(~insert[:, CONTEXT_5P:], axis=1)[:, None]
        bad = insert != ((cols >= CONTEXT_5P) & (cols < np.maximum(end, CONTEXT_5P + 1)))
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"X[{start + row}] is not laid out as PromoterEncoder codes (vector "
                f"codes {VECTOR_BIT}-{VECTOR_BIT + 4} in columns 0-{CONTEXT_5P - 1}, "
                f"then the insert's codes 0-4 in one run, then vector codes): column "
                f"{col} holds {block[row, col]}. One-hot input must be float, of shape "
                "(n, 4, length) or (n, 4 * length)."
            )


def check_model_input(X, fitted_length, shifted, tta):
    """``X`` checked as DeepGXPRegressor input, and the sequence length it encodes.

    ``fitted_length`` is a fitted model's length (None at ``fit``); ``shifted``
    says whether the ``tta`` setting needs shifted views, hence codes.
    """
    X = check_features(X, onehot_width=None if fitted_length is None else 4 * fitted_length)
    if X.dtype == np.uint8:
        length = X.shape[1] - CONTEXT_WIDTH
        if length < 1:
            raise ValueError(
                f"X has {X.shape[1]} columns of uint8 codes; PromoterEncoder "
                f"codes have length + {CONTEXT_WIDTH} columns."
            )
        check_codes(X)
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
    return X, int(length)


def check_regressor_params(net, tta_settings):
    """Raise a ValueError naming the first invalid DeepGXPRegressor parameter."""
    if net.tta not in tta_settings:
        raise ValueError(f"tta must be one of 1, 2, 6 or 10; got {net.tta!r}.")
    if net.precision not in ("auto", "bf16", "fp32"):
        raise ValueError(
            f"precision must be 'auto', 'bf16' or 'fp32'; got {net.precision!r}."
        )
    if not isinstance(net.target_center, Real) or not np.isfinite(net.target_center):
        raise ValueError(
            f"target_center must be a finite number; got {net.target_center!r}."
        )
    if net.random_state is not None and not isinstance(net.random_state, Integral):
        raise ValueError(
            f"random_state must be an int or None; got {net.random_state!r}."
        )
    for name in ("max_epochs", "batch_size"):
        value = getattr(net, name)
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}.")
    resolve_device(net.get_params(deep=False)["device"])
