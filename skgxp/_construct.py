"""A reporter construct as one described thing, and codes that carry theirs.

:class:`Construct` names the insert length and the vector bases on each side
of it as the model sees them. :class:`PromoterEncoder` returns
:class:`PromoterCodes`, a ``uint8`` array that carries its construct, so a
:class:`DeepGXPRegressor` after it learns the construct from the data (no
second place to set it) and refuses codes encoded for another one.
"""

import json
from dataclasses import asdict, dataclass, fields
from numbers import Integral
from pathlib import Path

import numpy as np

from ._constructs import CONTEXT_3P, CONTEXT_5P, FLANK_3P, FLANK_5P

_BASES = set("ACGTN")


def _check_flank(value, name):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str of A, C, G, T, N or None; got "
                        f"{type(value).__name__}.")
    bad = sorted(set(value.upper()) - _BASES)
    if bad:
        raise ValueError(f"{name} may only contain A, C, G, T or N; got {bad!r}.")
    return value.upper()


@dataclass(frozen=True)
class Construct:
    """A reporter construct: the insert's length and the vector bases around it.

    Parameters
    ----------
    length : int, default=110
        Model input length: inserts are trimmed or padded to it.
    flank_5p : str, default=DREAM 5' vector flank (37 bp)
        Vector bases upstream of the insert, any width (``""`` for none).
        Random padding and test-time shifts draw on them; beyond them the
        model sees N.
    flank_3p : str, default=DREAM 3' vector flank (76 bp)
        Vector bases downstream of the insert, any width (``""`` for none).

    Attributes
    ----------
    context_5p, context_3p : int
        Widths of the flanks: the vector columns of the codes on each side.
    width : int
        Columns of one row of codes: ``context_5p + length + context_3p``.

    See Also
    --------
    PromoterEncoder.from_construct : The encoder for a construct.

    Examples
    --------
    >>> from skgxp import Construct
    >>> Construct()
    Construct(length=110, flank_5p='GCTAGCAGGAATGATGCAAAAGGTTCCCGATTCGAAC', flank_3p='TCTTAATTAAAAAAAGATAGAAAACATTAGGAGTGTAACACAAGACTTTCGGATCCTGAGCAGGCAAGATAAACGA')
    >>> mpra = Construct(200, flank_5p="AGGACCGGATCAACT", flank_3p="CATTGCGTGAACCGA")
    >>> mpra.width, Construct.from_dict(mpra.to_dict()) == mpra
    (230, True)
    """

    length: int = 110
    flank_5p: str = FLANK_5P
    flank_3p: str = FLANK_3P

    def __post_init__(self):
        if not isinstance(self.length, Integral) or isinstance(self.length, bool) or (
                self.length < 1):
            raise ValueError(f"length must be a positive int; got {self.length!r}.")
        object.__setattr__(self, "length", int(self.length))
        object.__setattr__(self, "flank_5p", _check_flank(self.flank_5p, "flank_5p"))
        object.__setattr__(self, "flank_3p", _check_flank(self.flank_3p, "flank_3p"))

    @property
    def context_5p(self):
        return len(self.flank_5p)

    @property
    def context_3p(self):
        return len(self.flank_3p)

    @property
    def width(self):
        return self.context_5p + self.length + self.context_3p

    def describe(self):
        """One line: the insert length and the flank widths."""
        return (f"{self.length}-bp insert, {self.context_5p}-bp 5' flank, "
                f"{self.context_3p}-bp 3' flank")

    def difference(self, other):
        """What differs from ``other`` in words, or None when equal."""
        for name in ("length", "flank_5p", "flank_3p"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                if name == "length":
                    return f"insert length {mine} vs {theirs}"
                if len(mine) != len(theirs):
                    return f"{name} of {len(mine)} bp vs {len(theirs)} bp"
                pos = next(i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b)
                return f"{name} differs at position {pos} ({mine[pos]!r} vs {theirs[pos]!r})"
        return None

    def to_dict(self):
        """The construct as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data, where="construct"):
        """A Construct from :meth:`to_dict`'s dict; unknown keys are refused."""
        if not isinstance(data, dict):
            raise ValueError(f"{where} must be a JSON object; got {type(data).__name__}.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{where} has unknown key(s) {unknown}; allowed: "
                             f"{sorted(known)}.")
        try:
            return cls(**data)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None

    def to_json(self, path):
        """Write the construct to a JSON file."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def from_json(cls, path):
        """Read a construct written by :meth:`to_json` (or by hand)."""
        try:
            data = json.loads(Path(path).read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON (line {exc.lineno}, column "
                             f"{exc.colno}): {exc.msg}.") from None
        return cls.from_dict(data, where=str(path))


#: BHI's DREAM yeast construct, the default everywhere.
DREAM = Construct()
assert (DREAM.context_5p, DREAM.context_3p) == (CONTEXT_5P, CONTEXT_3P)


class PromoterCodes(np.ndarray):
    """``uint8`` codes from :class:`PromoterEncoder` that carry their construct.

    A plain numpy array in every other respect. Selecting rows keeps the
    construct; anything that changes the columns, and numpy's ufuncs, give a
    plain array. Codes that lost it (``np.save``, ``np.concatenate``) can be
    wrapped again: ``PromoterCodes(codes, construct)``.

    Parameters
    ----------
    codes : array-like of shape (n_sequences, construct.width), dtype uint8
        The codes.
    construct : Construct
        What they were encoded for.
    """

    def __new__(cls, codes, construct):
        codes = np.asarray(codes)
        if codes.dtype != np.uint8 or codes.ndim != 2 or codes.shape[1] != construct.width:
            raise ValueError(
                f"codes for {construct.describe()} are uint8 of shape (n, "
                f"{construct.width}); got {codes.dtype} of shape {codes.shape}.")
        obj = codes.view(cls)
        obj.construct = construct
        return obj

    def __array_finalize__(self, obj):
        self.construct = getattr(obj, "construct", None)

    def __getitem__(self, key):
        out = super().__getitem__(key)
        if isinstance(out, PromoterCodes) and (out.ndim != 2 or out.shape[1] != self.shape[1]
                                               or out.dtype != np.uint8):
            return out.view(np.ndarray)
        return out

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # Comparisons and arithmetic on codes are not codes.
        array = np.asarray(array).view(np.ndarray)
        return array[()] if return_scalar else array

    def __reduce__(self):
        return (PromoterCodes, (np.asarray(self).view(np.ndarray).copy(), self.construct))


def construct_of(X):
    """The construct a code array carries, or None."""
    return getattr(X, "construct", None) if isinstance(X, PromoterCodes) else None
