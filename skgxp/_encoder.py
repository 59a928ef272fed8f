"""PromoterEncoder: validate, trim and place promoter strings in vector context."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ._construct import Construct, PromoterCodes
from ._sequences import (
    _CODE_TABLE,
    _INVALID,
    _PAIR_TABLE,
    _as_sequence_list,
    _check_types,
    _fixed_width_bytes,
    _raise_invalid,
)
from ._constructs import (
    CONTEXT_3P,
    CONTEXT_5P,
    FLANK_3P,
    FLANK_5P,
    VECTOR_BIT,
    VECTOR_N,
    decode,
)

# Bounds the temporaries per chunk: 4 MiB is cache-friendly and small enough
# that the allocator hands them back, so the peak is the output array alone.
_CHUNK_BYTES = 1 << 22


class SequenceLengthWarning(UserWarning):
    """Sequences longer than the construct's insert were trimmed."""


def _flank_codes(flank, width, side, name):
    """Vector codes of a flank cut or N-filled to ``width`` next to the insert.

    ``width=None`` keeps the flank as it is.
    """
    if flank is None:
        flank = ""
    if width is None:
        width = len(flank)
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


class PromoterEncoder(TransformerMixin, BaseEstimator):
    """Validate, trim and encode promoter sequences for :class:`DeepGXPRegressor`.

    Every sequence is checked (only A, C, G, T and N, in any case), trimmed to
    ``length`` (from its 3' end, as BHI, unless ``trim`` says otherwise) and
    placed between the 5' and 3' vector flanks of its construct (by default
    the DREAM plasmid's). The default compact output keeps one byte per base
    and lets the regressor choose BHI's vector padding afresh every epoch and
    the test-time shifts at prediction, on the device. ``output="onehot"``
    gives a plain ``(n, 4, length)`` array for other tools.

    Parameters
    ----------
    length : int, default=110
        Model input length (the construct's insert length).
    flank_5p : str or None, default=DREAM 5' vector flank
        Vector sequence upstream of the insert; the ``context[0]`` bases
        next to the insert are kept. ``None``: no vector bases (N).
    flank_3p : str or None, default=DREAM 3' vector flank
        Vector sequence downstream of the insert; its first ``context[1]``
        bases are kept. ``None``: no vector bases (N).
    context : (int, int) or "flanks", default=(37, 76)
        Vector columns kept on the 5' and 3' side of the insert: longer
        flanks are cut next to the insert, shorter ones filled with N on their
        far side. ``"flanks"`` keeps each flank whole (any width, 0 for none).
        The default is the DREAM construct's layout.
    trim : {"3p", "5p", "error"}, default="3p"
        Sequences longer than ``length`` lose bases from their 3' end (BHI),
        from their 5' end, or raise a ValueError naming the first one.
    output : {"codes", "onehot"}, default="codes"
        ``"codes"``: :class:`~skgxp.PromoterCodes` of shape ``(n,
        context_5p + length + context_3p)``, dtype uint8, that carry their
        :class:`~skgxp.Construct`: the 5' vector columns, the insert (A C G T
        N = 0-4), then vector bases (8-12; N past the 3' flank of short
        inserts). ``"onehot"``: ``(n, 4, length)`` float32, channels A, C, G,
        T, N as zeros, short sequences padded with the 3' flank (BHI's
        3'-only mode).

    Attributes
    ----------
    n_sequences_ : int
        Sequences seen by ``fit`` (when given ``X``).
    n_trimmed_ : int
        Of those, how many were longer than ``length`` and trimmed (fit warns
        with :class:`~skgxp.SequenceLengthWarning` when there are any).
    n_padded_ : int
        Of those, how many were shorter than ``length`` (padded in windows).

    See Also
    --------
    DeepGXPRegressor : The CNN-BiLSTM that consumes this encoding.
    Construct : A construct as one saved thing; see :meth:`from_construct`.

    Notes
    -----
    The whole encoding is vectorized (a 256-entry byte lookup table), without
    a Python loop per sequence.

    Examples
    --------
    >>> from skgxp import PromoterEncoder
    >>> enc = PromoterEncoder(output="onehot")
    >>> enc.fit_transform(["ACGTN" * 22]).shape
    (1, 4, 110)
    >>> PromoterEncoder().fit_transform(["acgt"]).shape
    (1, 223)
    >>> PromoterEncoder(length=5, flank_5p="GG", flank_3p="", context="flanks").transform(
    ...     ["ACG"]).construct.describe()
    "5-bp insert, 2-bp 5' flank, 0-bp 3' flank"
    """

    _parameter_constraints = {
        "length": [Interval(Integral, 1, None, closed="left")],
        "flank_5p": [str, None],
        "flank_3p": [str, None],
        "context": [tuple, list, StrOptions({"flanks"})],
        "trim": [StrOptions({"3p", "5p", "error"})],
        "output": [StrOptions({"codes", "onehot"})],
    }

    def __init__(self, length=110, flank_5p=FLANK_5P, flank_3p=FLANK_3P,
                 context=(CONTEXT_5P, CONTEXT_3P), trim="3p", output="codes"):
        self.length = length
        self.flank_5p = flank_5p
        self.flank_3p = flank_3p
        self.context = context
        self.trim = trim
        self.output = output

    @classmethod
    def from_construct(cls, construct, **params):
        """The encoder for ``construct`` (flanks kept whole).

        Parameters
        ----------
        construct : Construct
            The construct.
        **params : dict
            Other parameters (``trim``, ``output``).

        Returns
        -------
        encoder : PromoterEncoder
            ``PromoterEncoder(length=..., flank_5p=..., flank_3p=...,
            context="flanks", **params)``.
        """
        return cls(length=construct.length, flank_5p=construct.flank_5p,
                   flank_3p=construct.flank_3p, context="flanks", **params)

    def _validate(self):
        self._validate_params()
        if self.context != "flanks":
            ok = len(self.context) == 2 and all(
                isinstance(w, Integral) and not isinstance(w, bool) and w >= 0
                for w in self.context)
            if not ok:
                raise ValueError(
                    "context must be 'flanks' or two non-negative ints (5' and 3' "
                    f"vector columns); got {self.context!r}.")

    def _widths(self):
        if self.context == "flanks":
            return None, None
        return int(self.context[0]), int(self.context[1])

    def _flanks(self):
        width_5p, width_3p = self._widths()
        return (_flank_codes(self.flank_5p, width_5p, "5p", "flank_5p"),
                _flank_codes(self.flank_3p, width_3p, "3p", "flank_3p"))

    def get_construct(self):
        """The :class:`~skgxp.Construct` the codes are laid out for.

        Returns
        -------
        construct : Construct
            The length and the flank bases the codes keep (N where a flank
            is filled or absent).
        """
        self._validate()
        left, right = (decode(codes) for codes in self._flanks())
        return Construct(self.length, left, right)

    def fit(self, X=None, y=None):
        """Validate the parameters and report on the lengths of ``X``.

        Parameters
        ----------
        X : array-like of str, default=None
            Sequences to report on (``n_trimmed_``, ``n_padded_``); the encoder
            learns nothing from them.
        y : None
            Ignored.

        Returns
        -------
        self : PromoterEncoder
            The encoder.
        """
        self._validate()
        if X is None:
            return self
        seqs = _as_sequence_list(X)
        _check_types(seqs, 0)
        lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
        longer = lengths > self.length
        self.n_sequences_ = len(seqs)
        self.n_trimmed_ = int(longer.sum())
        self.n_padded_ = int((lengths < self.length).sum())
        if self.n_trimmed_ and self.trim != "error":
            end = "3'" if self.trim == "3p" else "5'"
            warnings.warn(
                f"{self.n_trimmed_:,} of {len(seqs):,} sequences are longer than "
                f"length={self.length} ({int(lengths[longer].min())}-"
                f"{int(lengths[longer].max())} bp) and lose bases from their {end} end "
                f"(trim={self.trim!r}); pass trim='error' to refuse them.",
                SequenceLengthWarning, stacklevel=2)
        return self

    def fit_transform(self, X, y=None):
        """Fit (the length report) and encode ``X``; see :meth:`transform`."""
        return self.fit(X).transform(X)

    def transform(self, X):
        """Encode promoter sequences.

        Parameters
        ----------
        X : array-like of str of shape (n_sequences,)
            A list, numpy array, pandas Series or one-column DataFrame.

        Returns
        -------
        codes : PromoterCodes of shape (n_sequences, width), dtype uint8
            With ``output="codes"``; ``width`` is the construct's.
        onehot : ndarray of shape (n_sequences, 4, length), dtype float32
            With ``output="onehot"``.
        """
        self._validate()
        seqs = _as_sequence_list(X)
        n = len(seqs)
        if n == 0:
            raise ValueError("X has 0 sequences; at least one is required.")
        left, right = self._flanks()
        codes = np.empty((n, left.size + self.length + right.size), dtype=np.uint8)
        codes[:, : left.size] = left
        tail = np.concatenate([right, np.full(self.length, VECTOR_N, dtype=np.uint8)])
        # Row k holds the 3' flank from column k on, after k placeholder
        # codes (VECTOR_N) for the insert: one row gather per sequence.
        padded = np.concatenate([np.full(self.length, VECTOR_N, dtype=np.uint8), tail])
        tails = np.lib.stride_tricks.sliding_window_view(padded, tail.size)[::-1].copy()
        start = 0
        while start < n:
            stop = self._encode_chunk(seqs, start, codes, tails, left.size)
            start = stop
        if self.output == "onehot":
            return self._onehot(codes, left.size)
        return PromoterCodes(codes, self.get_construct())

    def _encode_chunk(self, seqs, start, codes, tails, offset):
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
        longer = np.flatnonzero(lengths > self.length)
        if longer.size and self.trim == "error":
            row = longer[0]
            raise ValueError(
                f"X[{start + row}] has {lengths[row]} bases, more than length="
                f"{self.length} (trim='error'); shorten it or choose trim='3p' or '5p'."
            )
        if longer.size and self.trim == "5p":  # keep each long row's last `length` bases
            cols = (lengths[longer] - self.length)[:, None] + np.arange(self.length)
            insert[longer, : self.length] = np.take_along_axis(insert[longer], cols, axis=1)
        kept = np.minimum(lengths, self.length)
        # Past each insert: its 3' flank, then vector N.
        body = tails[kept]
        n_ins = min(insert.shape[1], self.length)
        # Insert codes (0-4) are below the placeholder and numpy's NUL padding
        # (_INVALID) above every flank code: the minimum keeps each insert and
        # the flank after it, bytewise, without a mask.
        np.minimum(body[:, :n_ins], insert[:, :n_ins], out=body[:, :n_ins])
        codes[start : start + len(chunk), offset:] = body
        return start + len(chunk)

    def _onehot(self, codes, offset):
        # Insert and vector codes share their low bits: A C G T = 0-3, N = 4.
        bases = codes[:, offset : offset + self.length] & (VECTOR_BIT - 1)
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
