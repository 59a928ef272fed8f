"""Reader for the challenge's ``sequence<TAB>expression`` files and headered tables."""

import os
import re

import numpy as np
import pandas as pd

_BASES = set("ACGTNacgtn")


def _looks_headerless(first_fields):
    seq = first_fields[0].strip()
    if not seq or not set(seq) <= _BASES:
        return False
    if len(first_fields) > 1:
        try:
            float(first_fields[1])
        except ValueError:
            return False
    return True


def _separator(path, first_line):
    if str(path).endswith(".csv") and "\t" not in first_line:
        return ","
    return "\t"


def read_challenge_file(path, *, sequence_column="sequence", target_column="expression"):
    """Read promoter sequences (and their expression) from a text file.

    Two layouts are recognised from the first line: the challenge's own
    ``sequence<TAB>expression`` without a header (6,739,258 rows for the full
    training file; a file of sequences alone is accepted too), and a headered
    TSV or CSV with named columns. Everything is parsed by pandas' C reader
    into compact arrays, so millions of rows take seconds.

    Parameters
    ----------
    path : str or os.PathLike
        The file (``.gz`` and other pandas compressions are read too).
    sequence_column : str, default="sequence"
        Column of sequences in a headered file.
    target_column : str or None, default="expression"
        Column of expression in a headered file; None reads sequences only.

    Returns
    -------
    X : ndarray of shape (n_rows,), dtype object
        The sequences, as str.
    y : ndarray of shape (n_rows,), dtype float64, or None
        The expression, or None when the file has no such column.

    Lines with more fields than the first one are malformed and raise; extra
    columns of a headered file are read and ignored.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        For a malformed row (its line number is given), a missing column or
        a value that is not a number.

    Examples
    --------
    >>> import tempfile, os
    >>> from skgxp.datasets import read_challenge_file
    >>> path = os.path.join(tempfile.mkdtemp(), "train.txt")
    >>> _ = open(path, "w").write("ACGT\\t11.5\\nTTGA\\t3\\n")
    >>> X, y = read_challenge_file(path)
    >>> X.tolist(), y.tolist()
    (['ACGT', 'TTGA'], [11.5, 3.0])
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such file: {path!r}.")
    with pd.io.common.get_handle(path, "r", compression="infer") as handle:
        first_line = handle.handle.readline().rstrip("\r\n")
    if not first_line:
        raise ValueError(f"{path}: the first line is empty; expected sequences.")
    sep = _separator(path, first_line)
    fields = first_line.split(sep)
    headerless = _looks_headerless(fields)
    if headerless:
        names = ["sequence", "expression"][: len(fields)]
        seq_col, y_col = "sequence", "expression" if len(fields) > 1 else None
        header_lines = 0
    else:
        missing = [c for c in (sequence_column, target_column) if c and c not in fields]
        if missing:
            raise ValueError(
                f"{path}: column {missing[0]!r} is not in the header; the columns are "
                f"{fields!r}. Name the right ones with sequence_column= / target_column=."
            )
        names = None
        seq_col, y_col = sequence_column, target_column
        header_lines = 1
    dtype = {seq_col: object}
    if y_col:
        dtype[y_col] = np.float64
    try:
        frame = pd.read_csv(
            path, sep=sep, header=None if headerless else 0, names=names,
            index_col=False, dtype=dtype, engine="c",
        )
    except pd.errors.ParserError as exc:
        _raise_malformed(path, exc)
    except ValueError:
        if not y_col:
            raise
        _raise_bad_number(path, sep, headerless, names, seq_col, y_col, header_lines)
    X = frame[seq_col].to_numpy(dtype=object)
    _raise_missing(path, frame[seq_col].isna().to_numpy(), seq_col, header_lines)
    y = None
    if y_col:
        y = frame[y_col].to_numpy(dtype=np.float64)
        _raise_missing(path, np.isnan(y), y_col, header_lines)
    return X, y


def _raise_malformed(path, exc):
    # pandas counts physical lines from 1, header included: the user's numbering.
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if found:
        expected, line, saw = found.groups()
        raise ValueError(
            f"{path}, line {line}: malformed row: expected {expected} fields, saw {saw}."
        ) from None
    raise ValueError(f"{path}: malformed row: {str(exc).strip()}") from None


def _raise_missing(path, missing, column, header_lines):
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"{path}, line {row + 1 + header_lines}: {column!r} is empty; every row "
            "needs a value."
        )


def _raise_bad_number(path, sep, headerless, names, seq_col, y_col, header_lines):
    frame = pd.read_csv(
        path, sep=sep, header=None if headerless else 0, names=names,
        index_col=False, dtype=str, engine="c", keep_default_na=False,
    )
    values = pd.to_numeric(frame[y_col], errors="coerce")
    bad = values.isna() & (frame[y_col] != "")
    row = int(np.flatnonzero(bad.to_numpy())[0])
    raise ValueError(
        f"{path}, line {row + 1 + header_lines}: {y_col!r} is "
        f"{frame[y_col].iloc[row]!r}, not a number."
    ) from None
