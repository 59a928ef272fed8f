"""PromoterEncoder: validate, trim and place promoter strings in vector context."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ._constructs import (
    CONTEXT_3P,
    CONTEXT_5P,
    FLANK_3P,
    FLANK_5P,
    VECTOR_BIT,
    VECTOR_N,
)

_INVALID = 255
# Bounds the temporaries per chunk: 4 MiB is cache-friendly and small enough
# that the allocator hands them back, so the peak is the output array alone.
_CHUNK_BYTES = 1 << 22


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


def _flank_codes(flank, width, side, name):
    """Vector codes of a flank cut or N-filled to ``width`` next to the insert."""
    if flank is None:
        flank = ""
    bad = set(flank.upper()) - set("ACGTN")
    if bad:
        raise ValueError(
            f"{name} may only contain A, C, G, T or N; got {sorted(bad)!r}."
        )
    codes = _CODE_TABLE[np.frombuffer(flank.encode("ascii"), np.uint8)] | VECTOR_BIT
    fill = np.full(max(width - len(codes), 0), VECTOR_N, dtype=np.uint8)
    if side == "5p":  # the bases adjacent to the insert are the last ones
        return np.concatenate([fill, codes[max(codes.size - width, 0) :]])
    return np.concatenate([codes[:width], fill])


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


class PromoterEncoder(TransformerMixin, BaseEstimator):
    """Validate, trim and encode promoter sequences for :class:`DeepGXPRegressor`.

    Every sequence is checked (only A, C, G, T and N, in any case), trimmed from
    its 3' end to ``length`` and placed between the 5' and 3' vector flanks of
    the DREAM plasmid. The default compact output keeps one byte per base and
    lets the regressor choose BHI's vector padding afresh every epoch and the
    test-time shifts at prediction, on the device. ``output="onehot"`` gives a
    plain ``(n, 4, length)`` array for other tools.

    Parameters
    ----------
    length : int, default=110
        Model input length. Longer sequences lose bases from their 3' end.
    flank_5p : str or None, default=DREAM 5' vector flank
        Vector sequence upstream of the insert; its last 37 bases are kept.
        ``None`` pads with N instead of vector bases.
    flank_3p : str or None, default=DREAM 3' vector flank
        Vector sequence downstream of the insert; its first 76 bases are kept.
        ``None`` pads with N instead of vector bases.
    output : {"codes", "onehot"}, default="codes"
        ``"codes"``: ``(n, length + 113)`` uint8 array, the insert in its vector
        context: 37 columns of 5' vector, the insert (A C G T N = 0-4), then
        vector bases (8-12; N past the 3' flank of short inserts). ``"onehot"``:
        ``(n, 4, length)`` float32, channels A, C, G, T, N as zeros, short
        sequences padded with the 3' flank (BHI's 3'-only mode).

    See Also
    --------
    DeepGXPRegressor : The CNN-BiLSTM that consumes this encoding.

    Notes
    -----
    The encoder learns nothing; ``fit`` only validates the parameters. The
    whole encoding is vectorized (a 256-entry byte lookup table), without a
    Python loop per sequence.

    Examples
    --------
    >>> from skgxp import PromoterEncoder
    >>> enc = PromoterEncoder(output="onehot")
    >>> enc.fit_transform(["ACGTN" * 22]).shape
    (1, 4, 110)
    >>> PromoterEncoder().fit_transform(["acgt"]).shape
    (1, 223)
    """

    _parameter_constraints = {
        "length": [Interval(Integral, 1, None, closed="left")],
        "flank_5p": [str, None],
        "flank_3p": [str, None],
        "output": [StrOptions({"codes", "onehot"})],
    }

    def __init__(self, length=110, flank_5p=FLANK_5P, flank_3p=FLANK_3P, output="codes"):
        self.length = length
        self.flank_5p = flank_5p
        self.flank_3p = flank_3p
        self.output = output

    def fit(self, X=None, y=None):
        """Validate the parameters; the encoder has nothing to learn.

        Parameters
        ----------
        X : array-like of str, default=None
            Ignored.
        y : None
            Ignored.

        Returns
        -------
        self : PromoterEncoder
            The encoder.
        """
        self._validate_params()
        return self

    def transform(self, X):
        """Encode promoter sequences.

        Parameters
        ----------
        X : array-like of str of shape (n_sequences,)
            A list, numpy array, pandas Series or one-column DataFrame.

        Returns
        -------
        codes : ndarray of shape (n_sequences, length + 113), dtype uint8
            With ``output="codes"``.
        onehot : ndarray of shape (n_sequences, 4, length), dtype float32
            With ``output="onehot"``.
        """
        self._validate_params()
        seqs = _as_sequence_list(X)
        n = len(seqs)
        if n == 0:
            raise ValueError("X has 0 sequences; at least one is required.")
        codes = np.empty((n, CONTEXT_5P + self.length + CONTEXT_3P), dtype=np.uint8)
        codes[:, :CONTEXT_5P] = _flank_codes(self.flank_5p, CONTEXT_5P, "5p", "flank_5p")
        tail = np.concatenate(
            [
                _flank_codes(self.flank_3p, CONTEXT_3P, "3p", "flank_3p"),
                np.full(self.length, VECTOR_N, dtype=np.uint8),
            ]
        )
        # Row k holds the 3' flank from column k on, after k placeholder
        # codes (VECTOR_N) for the insert: one row gather per sequence.
        padded = np.concatenate([np.full(self.length, VECTOR_N, dtype=np.uint8), tail])
        tails = np.lib.stride_tricks.sliding_window_view(padded, tail.size)[::-1].copy()
        start = 0
        while start < n:
            stop = self._encode_chunk(seqs, start, codes, tails)
            start = stop
        if self.output == "onehot":
            return self._onehot(codes)
        return codes

    def _encode_chunk(self, seqs, start, codes, tails):
        """Encode rows ``start:stop`` into ``codes``; return ``stop``."""
        probe = seqs[start : start + 1024]
        _check_types(probe, start)
        longest = max(map(len, probe))
        rows = max(1, min(65536, _CHUNK_BYTES // max(longest, 1)))
        chunk = seqs[start : start + rows]
        _check_types(chunk, start)
        lengths = np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))
        empty = np.flatnonzero(lengths == 0)
        if empty.size:
            raise ValueError(
                f"X[{start + empty[0]}] is an empty string; every row needs at "
                "least one base."
            )
        width = int(lengths.max())
        raw = _fixed_width_bytes(chunk, start, width + width % 2)  # even, for uint16
        insert = _PAIR_TABLE.take(raw.view(np.uint16)).view(np.uint8)
        insert = insert.reshape(len(chunk), -1)
        # Valid rows have _INVALID only in numpy's NUL padding past their end;
        # any other (a bad character, a NUL byte) adds to the count.
        if np.count_nonzero(insert == _INVALID) != insert.size - lengths.sum():
            _raise_invalid(insert, lengths, chunk, start)
        kept = np.minimum(lengths, self.length)
        # Past each insert: its 3' flank, then vector N.
        body = tails[kept]
        n_ins = min(insert.shape[1], self.length)
        # Insert codes (0-4) are below the placeholder and numpy's NUL padding
        # (_INVALID) above every flank code: the minimum keeps each insert and
        # the flank after it, bytewise, without a mask.
        np.minimum(body[:, :n_ins], insert[:, :n_ins], out=body[:, :n_ins])
        codes[start : start + len(chunk), CONTEXT_5P:] = body
        return start + len(chunk)

    def _onehot(self, codes):
        # Insert and vector codes share their low bits: A C G T = 0-3, N = 4.
        bases = codes[:, CONTEXT_5P : CONTEXT_5P + self.length] & (VECTOR_BIT - 1)
        onehot = np.empty((len(codes), 4, self.length), dtype=np.float32)
        for channel in range(4):
            np.equal(bases, channel, out=onehot[:, channel])
        return onehot

    def set_output(self, *, transform=None):
        """Accept only the default output container.

        The encodings are not tabular (one byte per base, or 3-D one-hot), so
        pandas or polars output cannot be honoured.

        Parameters
        ----------
        transform : {"default"} or None, default=None
            Output container.

        Returns
        -------
        self : PromoterEncoder
            The encoder.
        """
        if transform not in (None, "default"):
            raise ValueError(
                f"PromoterEncoder cannot output {transform!r} containers; its "
                "output is a uint8 code array or a 3-D one-hot array. Use "
                "set_output(transform='default')."
            )
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.input_tags.allow_nan = False
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = []
        return tags
