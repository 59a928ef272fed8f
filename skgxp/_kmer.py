"""KmerCounts: promoter strings to sparse k-mer counts, vectorized."""

from functools import lru_cache
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from ._sequences import (
    _INVALID,
    _PAIR_TABLE,
    _as_sequence_list,
    _check_types,
    _fixed_width_bytes,
    _raise_invalid,
)

#: Longest k-mer counted: 4**12 (16.8 million) columns, a 67 MB lookup table.
_MAX_K = 12
# Bounds the per-chunk array of k-mer columns (4 bytes per k-mer position):
# 4 MiB keeps the row-wise sort in cache and the temporaries small.
_CHUNK_BYTES = 1 << 22
_LETTERS = np.frombuffer(b"ACGT", np.uint8)


def _k_bounds(k):
    """``(lo, hi)`` of the inclusive k range, checked."""
    pair = (k, k) if isinstance(k, Integral) else k
    if not (
        isinstance(pair, tuple | list)
        and len(pair) == 2
        and all(isinstance(v, Integral) and not isinstance(v, bool) for v in pair)
        and 1 <= pair[0] <= pair[1] <= _MAX_K
    ):
        raise ValueError(
            "k must be an int or a (min, max) pair of ints with 1 <= min <= max <= "
            f"{_MAX_K}; got {k!r}."
        )
    return int(pair[0]), int(pair[1])


@lru_cache(maxsize=32)
def _columns(k, canonical):
    """Column of each base-4 k-mer code within its k, and the code of each column.

    Codes read A C G T = 0-3 as base-4 digits, first base most significant, so
    numeric order is lexicographic order; a canonical k-mer is the smaller of a
    k-mer and its reverse complement (complement: 3 - digit).
    """
    codes = np.arange(4**k, dtype=np.int64)
    if canonical:
        rest, reverse = codes.copy(), np.zeros_like(codes)
        for _ in range(k):  # one pass per digit, over all k-mers at once
            reverse = reverse * 4 + (3 - (rest & 3))
            rest >>= 2
        kept, column = np.unique(np.minimum(codes, reverse), return_inverse=True)
    else:
        kept, column = codes, codes
    column = column.astype(np.int32)
    column.flags.writeable = kept.flags.writeable = False
    return column, kept


def _names(k, codes):
    """The k-mers of base-4 ``codes``, as str objects."""
    letters = _LETTERS[(codes[:, None] >> 2 * np.arange(k - 1, -1, -1)) & 3]
    return letters.view(f"S{k}").ravel().astype(str).astype(object)


def _validated_codes(chunk, start):
    """Base codes of ``chunk`` (A C G T N = 0-4, 255 past each row's end),
    checked row by row exactly as :class:`PromoterEncoder` checks its input."""
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
    codes = _PAIR_TABLE.take(raw.view(np.uint16)).view(np.uint8).reshape(len(chunk), -1)
    # Valid rows have _INVALID only in numpy's NUL padding past their end.
    if np.count_nonzero(codes == _INVALID) != codes.size - lengths.sum():
        _raise_invalid(codes, lengths, chunk, start)
    return codes


class KmerCounts(TransformerMixin, BaseEstimator):
    """Count the k-mers of promoter sequences, as a sparse matrix.

    Each sequence becomes the counts of its overlapping k-mers for every k in
    a range (``k=(1, 6)``: 1-mers to 6-mers), in the columns of one sparse
    CSR matrix, ready for a linear model such as
    :class:`~sklearn.linear_model.RidgeCV`. Input is validated exactly as
    :class:`PromoterEncoder` validates it (the same errors).

    Parameters
    ----------
    k : int or tuple of (int, int), default=(1, 6)
        The k-mer lengths counted: an inclusive ``(min, max)`` range (a tuple
        or list), or one length. At most 12 (``4 ** 12`` columns).
    canonical : bool, default=True
        Merge each k-mer with its reverse complement: the column of the pair
        is named after its lexicographically smaller member (``"AC"`` for
        ``AC`` and ``GT``) and counts the occurrences of either, so a
        sequence and its reverse complement get the same counts. ``False``
        keeps all ``4 ** k`` k-mers of each k.

    See Also
    --------
    PromoterEncoder : The per-base encoding for :class:`DeepGXPRegressor`.
    sklearn.feature_extraction.text.CountVectorizer : The same counts with
        ``analyzer="char"`` (and ``canonical=False``), about 20 times slower
        on a million promoters.

    Notes
    -----
    Columns are ordered by k, then lexicographically (A < C < G < T) within
    each k; :meth:`get_feature_names_out` names them. Counting ignores case.
    A k-mer containing N is not counted (nothing is known of that base), and
    a sequence shorter than k has no k-mers of that length.

    The transformer learns nothing: ``fit`` only validates the parameters.
    Counting is vectorized: bytes are coded by a lookup table, k-mer codes
    roll along each row in base 4, and the columns of each row are sorted and
    run-length counted, about 1,500 promoters at a time, without a Python loop
    per sequence or per k-mer. Counts are int32.

    Examples
    --------
    >>> from skgxp import KmerCounts
    >>> counts = KmerCounts(k=(1, 2)).fit(["ACGT"])
    >>> counts.get_feature_names_out()
    array(['A', 'C', 'AA', 'AC', 'AG', 'AT', 'CA', 'CC', 'CG', 'GA', 'GC',
           'TA'], dtype=object)
    >>> counts.transform(["AACGTN"]).toarray()
    array([[3, 2, 1, 2, 0, 0, 0, 0, 1, 0, 0, 0]], dtype=int32)
    """

    _parameter_constraints = {
        "k": "no_validation",  # checked by _k_bounds: one message for every bad k
        "canonical": ["boolean"],
    }

    def __init__(self, k=(1, 6), canonical=True):
        self.k = k
        self.canonical = canonical

    def fit(self, X=None, y=None):
        """Validate the parameters; the transformer has nothing to learn.

        Parameters
        ----------
        X : array-like of str, default=None
            Ignored.
        y : None
            Ignored.

        Returns
        -------
        self : KmerCounts
            The transformer.
        """
        self._validate_params()
        _k_bounds(self.k)
        return self

    def transform(self, X):
        """Count the k-mers of each sequence.

        Parameters
        ----------
        X : array-like of str of shape (n_sequences,)
            A list, numpy array, pandas Series or one-column DataFrame.

        Returns
        -------
        counts : scipy.sparse.csr_matrix of shape (n_sequences, n_features), dtype int32
            ``counts[i, j]``: occurrences in sequence ``i`` of the k-mer
            ``get_feature_names_out()[j]`` (or of its reverse complement
            with ``canonical=True``).
        """
        self._validate_params()
        tables, n_features = _tables(self.k, bool(self.canonical))
        seqs = _as_sequence_list(X)
        if len(seqs) == 0:
            raise ValueError("X has 0 sequences; at least one is required.")
        return _count(seqs, tables, n_features)

    def get_feature_names_out(self, input_features=None):
        """The k-mer of each output column.

        Parameters
        ----------
        input_features : None
            Ignored: the input is sequences, not named features.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The k-mers, by k, then in lexicographic order; with
            ``canonical=True`` the smaller of each reverse-complement pair.
        """
        self._validate_params()
        lo, hi = _k_bounds(self.k)
        return np.concatenate(
            [_names(k, _columns(k, bool(self.canonical))[1]) for k in range(lo, hi + 1)]
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.input_tags.allow_nan = False
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = []
        return tags


def _tables(k, canonical):
    """Per k, the global column of every k-mer code (an array), or where
    codes are columns (``canonical=False``) their offset (an int); and the
    column count."""
    lo, hi = _k_bounds(k)
    tables, offset = {}, 0
    for length in range(lo, hi + 1):
        if canonical:
            column, codes = _columns(length, canonical)
            tables[length] = column + np.int32(offset)
            offset += codes.size
        else:
            tables[length] = np.int32(offset)
            offset += 4**length
    return tables, offset


def _count(seqs, tables, n_features):
    """The CSR matrix of counts of ``seqs``, a chunk of rows at a time."""
    n = len(seqs)
    indptr = np.zeros(n + 1, dtype=np.int64)
    data = indices = None
    start = 0
    while start < n:
        probe = seqs[start : start + 1024]
        _check_types(probe, start)
        longest = max(map(len, probe))
        rows = max(1, min(65536, _CHUNK_BYTES // (4 * len(tables) * max(longest, 1))))
        codes = _validated_codes(seqs[start : start + rows], start)
        counts, columns, bounds = _count_chunk(codes, tables, n_features)
        nnz, stop = indptr[start], start + len(codes)
        indptr[start + 1 : stop + 1] = nnz + bounds[1:]
        if data is None:  # room for all rows at this chunk's density, plus 10 %
            size = int(1.1 * counts.size * n / len(codes)) + 1
            data, indices = np.empty(size, np.int32), np.empty(size, np.int32)
        elif nnz + counts.size > data.size:
            data, indices = _grown(data, nnz, counts.size), _grown(indices, nnz, counts.size)
        data[nnz : nnz + counts.size] = counts
        indices[nnz : nnz + counts.size] = columns
        start = stop
    # Shrinking reallocates in place: no copy.
    data.resize(indptr[-1], refcheck=False)
    indices.resize(indptr[-1], refcheck=False)
    return sp.csr_matrix((data, indices, indptr), shape=(n, n_features))


def _grown(buffer, used, more):
    """``buffer[:used]`` copied into a buffer with room for ``more`` (doubling)."""
    grown = np.empty(max(used + more, 2 * buffer.size), dtype=buffer.dtype)
    grown[:used] = buffer[:used]
    return grown


def _count_chunk(codes, tables, n_features):
    """CSR pieces of one chunk of codes: counts, columns and row boundaries.

    Each row's k-mer columns are sorted and the runs of equal ones measured.
    """
    rows, width = codes.shape
    spans = {k: max(width - k + 1, 0) for k in tables}
    columns = np.empty((rows, sum(spans.values()) + 1), dtype=np.int32)
    # Broken k-mers get the sentinel, above every column; one ends every row,
    # so no run of equal columns spans two rows.
    sentinel = np.int32(n_features)
    columns[:, -1] = sentinel
    bad = codes > 3  # N and the padding past each row's end break k-mers
    digits = (codes & 3).astype(np.int32)
    kmer, broken, at = digits, bad, 0
    for k in range(1, max(tables) + 1):
        if k > 1:  # extend every (k-1)-mer by the base after it
            kmer = kmer[:, :-1] * 4 + digits[:, k - 1 :]
            broken = broken[:, :-1] | bad[:, k - 1 :]
        if k in tables:
            part = columns[:, at : at + spans[k]]
            if isinstance(tables[k], np.ndarray):
                np.take(tables[k], kmer, out=part, mode="clip")  # clip: no range check
            else:  # a lookup, without the gather
                np.add(kmer, tables[k], out=part)
            np.copyto(part, sentinel, where=broken)
            # Columns grow with k, so rows sorted k by k are sorted but for the
            # sentinels after each k (3x faster than sorting whole rows).
            part.sort(axis=1)
            at += spans[k]
    return _runs(columns, sentinel)


def _runs(columns, sentinel):
    """Counts, columns and row boundaries of the runs of equal columns in each
    sorted row, sentinels left out."""
    flat = columns.ravel()
    change = np.empty(flat.size, dtype=bool)
    change[0] = True
    np.not_equal(flat[1:], flat[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    lengths = np.empty(starts.size, dtype=np.int32)
    np.subtract(starts[1:], starts[:-1], out=lengths[:-1])
    lengths[-1] = flat.size - starts[-1]
    values = flat[starts]
    kept = values != sentinel
    starts = starts[kept]
    # Row r's runs start in flat[r * row_width : (r + 1) * row_width].
    bounds = np.searchsorted(starts, np.arange(len(columns) + 1) * columns.shape[1])
    return lengths[kept], values[kept], bounds
