"""Promoter strings as bytes: input containers, types and characters checked by row.

Shared by :class:`~skgxp.PromoterEncoder` and :class:`~skgxp.KmerCounts`, so
that both refuse bad input with the same messages.
"""

import numpy as np
import pandas as pd

_INVALID = 255


def _code_table():
    table = np.full(256, _INVALID, dtype=np.uint8)
    for code, base in enumerate("ACGTN"):
        table[ord(base)] = code
        table[ord(base.lower())] = code
    return table


_CODE_TABLE = _code_table()


# Codes of two bytes at once (looked up as one uint16): half the lookups.
_PAIRS = np.arange(1 << 16)
_PAIR_TABLE = _CODE_TABLE[_PAIRS & 0xFF].astype(np.uint16) | (
    _CODE_TABLE[_PAIRS >> 8].astype(np.uint16) << 8
)


def _as_sequence_list(X):
    """Return ``X`` as something indexable row by row, without copying strings."""
    if isinstance(X, str | bytes):
        raise TypeError(
            "X must be a 1-D array-like of str (one promoter per row), got a "
            f"single {type(X).__name__}; wrap it in a list: [X]."
        )
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                "X as a DataFrame must have exactly one column of sequences; "
                f"got {X.shape[1]} columns {list(X.columns)!r}."
            )
        return X.iloc[:, 0].to_numpy(dtype=object)
    if isinstance(X, pd.Series):
        return X.to_numpy(dtype=object)
    if isinstance(X, np.ndarray):
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if X.ndim != 1:
            raise ValueError(
                "X must be 1-D (one promoter string per row) or a single column; "
                f"got an array of shape {X.shape}."
            )
        return X
    if isinstance(X, dict | set) or not hasattr(X, "__len__") or not hasattr(
        X, "__getitem__"
    ):
        raise TypeError(
            "X must be a 1-D array-like of str (list, numpy array, pandas Series "
            f"or one-column DataFrame); got {type(X).__name__}."
        )
    return X


def _check_types(chunk, offset):
    """Raise a TypeError naming the first row that is not a str."""
    if isinstance(chunk, np.ndarray) and chunk.dtype.kind == "U":
        return
    types = set(map(type, chunk))
    if types <= {str, np.str_}:
        return
    for i, seq in enumerate(chunk):
        if not isinstance(seq, str):
            hint = ""
            if isinstance(seq, bytes | np.bytes_):
                hint = " (decode bytes first, e.g. seq.decode('ascii'))"
            elif seq is None or seq is pd.NA or (isinstance(seq, float) and np.isnan(seq)):
                hint = " (missing sequences are not allowed)"
            raise TypeError(
                f"X[{offset + i}] is {seq!r} of type {type(seq).__name__}; every "
                f"row must be a str of A, C, G, T, N{hint}."
            )


def _fixed_width_bytes(chunk, offset, width):
    try:
        return np.asarray(chunk, dtype=f"S{width}")
    except UnicodeEncodeError:
        for i, seq in enumerate(chunk):
            if not str(seq).isascii():
                pos, char = next((p, c) for p, c in enumerate(seq) if not c.isascii())
                raise ValueError(
                    f"X[{offset + i}] has invalid character {char!r} at position "
                    f"{pos}; only A, C, G, T and N (any case) are allowed."
                ) from None
        raise


def _raise_invalid(codes, lengths, seqs, offset):
    cols = np.arange(codes.shape[1])
    bad = (codes == _INVALID) & (cols < lengths[:, None])
    row, pos = np.argwhere(bad)[0]
    char = str(seqs[row])[pos]
    raise ValueError(
        f"X[{offset + row}] has invalid character {char!r} at position {pos}; only "
        "A, C, G, T and N (any case) are allowed."
    )
