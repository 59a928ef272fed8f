"""Reader for the challenge's ``sequence<TAB>expression`` files and headered tables."""

import itertools
import os
import re

import numpy as np
import pandas as pd

_BASES = set("ACGTNacgtn")


def _looks_headerless(first_fields):
    # A header names its columns; a sequence holds bases only.
    seq = first_fields[0].strip()
    return bool(seq) and set(seq) <= _BASES


def _separator(path, first_line):
    if str(path).endswith(".csv") and "\t" not in first_line:
        return ","
    return "\t"


def _first_line(path):
    with pd.io.common.get_handle(path, "r", compression="infer") as handle:
        return handle.handle.readline().rstrip("\r\n")


def _layout(path):
    """Separator of ``path`` and the number of header lines before its data."""
    first_line = _first_line(path)
    sep = _separator(path, first_line)
    return sep, 0 if _looks_headerless(first_line.split(sep)) else 1


def file_line(path, row):
    """1-based line number and text of data row ``row`` (0-based) of ``path``.

    Data rows are counted as pandas reads them: after the header, skipping
    empty lines and lines of only spaces (and tabs, when they do not separate
    fields), so an error about row ``row`` can name the line a user sees.

    Parameters
    ----------
    path : str or os.PathLike
        A file read by :func:`read_challenge_file` (or a headered table).
    row : int
        0-based index of the data row.

    Returns
    -------
    line : int
        1-based line number in the file.
    text : str
        The line, without its line break.
    """
    sep, header_lines = _layout(path)
    blanks = " \t".replace(sep, "")
    with pd.io.common.get_handle(path, "r", compression="infer") as handle:
        lines = enumerate(handle.handle, start=1)
        data = ((number, text.rstrip("\r\n")) for number, text in lines
                if number > header_lines and text.rstrip("\r\n").strip(blanks))
        return next(itertools.islice(data, row, None))


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
        Column of expression in a headered file; None reads sequences only
        (and ignores the second column of a headerless file).

    Returns
    -------
    X : ndarray of shape (n_rows,), dtype object
        The sequences, as str.
    y : ndarray of shape (n_rows,), dtype float64, or None
        The expression, or None when the file has no such column.

    Lines with more fields than the first one are malformed and raise; extra
    columns of a headered file are read and ignored. Empty lines are skipped.
    Only an empty field is missing: ``NA`` and ``nan`` are sequences of
    bases, and not numbers.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        For a malformed row, a missing column, an empty field, or a target
        that is not a finite number; the message names the file and its
        1-based line.

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
    first_line = _first_line(path)
    if not first_line:
        raise ValueError(f"{path}: the first line is empty; expected sequences.")
    sep, header_lines = _layout(path)
    fields = first_line.split(sep)
    if header_lines == 0:
        names = ["sequence", "expression"][: len(fields)]
        seq_col = "sequence"
        y_col = "expression" if len(fields) > 1 and target_column is not None else None
        y_field = 1
    else:
        missing = [c for c in (sequence_column, target_column) if c and c not in fields]
        if missing:
            raise ValueError(
                f"{path}: column {missing[0]!r} is not in the header; the columns are "
                f"{fields!r}. Name the right ones with sequence_column= / target_column=."
            )
        names = None
        seq_col, y_col = sequence_column, target_column
        y_field = fields.index(y_col) if y_col else None
    dtype = {seq_col: object}
    if y_col:
        dtype[y_col] = np.float64
    # Only an empty field is missing: "NA" and "nan" are sequences of bases, and
    # as targets they are reported as what they are.
    read = dict(sep=sep, header=None if header_lines == 0 else 0, names=names,
                index_col=False, engine="c", keep_default_na=False, na_values=[""])
    try:
        frame = pd.read_csv(path, dtype=dtype, **read)
    except pd.errors.ParserError as exc:
        _raise_malformed(path, exc)
    except ValueError:
        if not y_col:
            raise
        _raise_bad_number(path, read, y_col)
    X = frame[seq_col].to_numpy(dtype=object)
    _raise_missing(path, frame[seq_col].isna().to_numpy(), seq_col)
    y = None
    if y_col:
        y = frame[y_col].to_numpy(dtype=np.float64)
        _raise_missing(path, np.isnan(y), y_col)
        _raise_infinite(path, y, y_col, sep, y_field)
    return X, y


def _raise_malformed(path, exc):
    # pandas counts physical lines from 1, header and blank lines included.
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if found:
        expected, line, saw = found.groups()
        raise ValueError(
            f"{path}, line {line}: malformed row: expected {expected} fields, saw {saw}."
        ) from None
    raise ValueError(f"{path}: malformed row: {str(exc).strip()}") from None


def _raise_missing(path, missing, column):
    if missing.any():
        line, _ = file_line(path, int(np.flatnonzero(missing)[0]))
        raise ValueError(
            f"{path}, line {line}: {column!r} is empty; every row needs a value."
        )


def _raise_infinite(path, y, column, sep, field):
    bad = np.isinf(y)
    if bad.any():
        line, text = file_line(path, int(np.flatnonzero(bad)[0]))
        raise ValueError(
            f"{path}, line {line}: {column!r} is {text.split(sep)[field].strip()!r}, "
            "not a finite number."
        )


def _raise_bad_number(path, read, column):
    frame = pd.read_csv(path, dtype=str, **read)
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    row = int(np.flatnonzero(bad.to_numpy())[0])
    line, _ = file_line(path, row)
    raise ValueError(
        f"{path}, line {line}: {column!r} is {frame[column].iloc[row]!r}, not a number."
    ) from None
