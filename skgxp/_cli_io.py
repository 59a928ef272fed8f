"""Input files of the ``skgxp`` command, read and checked before any long work.

Every problem becomes a :class:`~skgxp._cli_errors.CommandError` (exit status
2) naming the file and, for a bad row, its 1-based line as a text editor
shows it; positions within a sequence are counted from 1 too.
"""

import os
import re

import pandas as pd

from ._cli_errors import CommandError


def read_sequences(path, sequence_column, target_column):
    """Sequences (and checked targets) of a challenge-format file, or a CommandError.

    Parameters
    ----------
    path : str
        The file.
    sequence_column : str
        Column of sequences in a headered file.
    target_column : str, list of str or None
        Column(s) of targets in a headered file; several give ``y`` of shape
        ``(n, k)`` (and need a header naming them); None reads sequences only.

    Returns
    -------
    X : ndarray of str
        The sequences.
    y : ndarray of float64 or None
        The targets, of shape ``(n,)`` for one column and ``(n, k)`` for
        several, which DeepGXPRegressor will accept; None without
        ``target_column``.
    """
    import numpy as np

    from .datasets._reader import _layout

    names = [target_column] if isinstance(target_column, str) else target_column
    if names is None or len(names) == 1:
        return _read_one(path, sequence_column, None if names is None else names[0])
    X, first = _read_one(path, sequence_column, names[0], check=False)
    if _layout(path)[1] == 0:
        raise CommandError(
            f"{path} has no header; several --target-column need a headered TSV/CSV "
            "that names them."
        )
    y = np.column_stack([first] + [_read_one(path, sequence_column, name, check=False)[1]
                                   for name in names[1:]])
    _check_targets(path, y, names)
    return X, y


def _read_one(path, sequence_column, target_column, check=True):
    from .datasets import read_challenge_file

    if os.path.isdir(path):
        raise CommandError(f"{path} is a directory, not a file of sequences.")
    try:
        X, y = read_challenge_file(path, sequence_column=sequence_column,
                                   target_column=target_column)
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file.") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not a text file of sequences.") from None
    except ValueError as exc:
        # The reader names its Python keywords; here they are options.
        message = str(exc).replace("sequence_column= / target_column=",
                                   "--sequence-column / --target-column")
        raise CommandError(message) from None
    if target_column is not None:
        if y is None:
            raise CommandError(
                f"{path} has sequences but no expression column; training needs "
                "`sequence<TAB>expression` rows."
            )
        if check:
            _check_targets(path, y)
    return X, y


def _check_targets(path, y, names=None):
    """What the regressor would refuse only once training starts (e.g. float32 overflow)."""
    import numpy as np

    from ._validation import check_target

    try:
        with np.errstate(over="ignore"):  # the overflow is reported, not warned about
            check_target(y, len(y))
    except ValueError as exc:
        raise CommandError(_at_line(path, str(exc), "y", "the target", names)) from None


def encode_sequences(encoder, X, path):
    """``encoder.fit_transform(X)``; a bad sequence is reported with its line in ``path``.

    The encoder's SequenceLengthWarning is not shown: :func:`encoding_report`
    says how many sequences were trimmed.
    """
    import warnings

    from ._encoder import SequenceLengthWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SequenceLengthWarning)
            return encoder.fit_transform(X)
    except (TypeError, ValueError) as exc:
        message = re.sub(r" at position (\d+);",
                         lambda found: f" at character {int(found.group(1)) + 1} (1-based);",
                         str(exc))
        # trim='error': name the options, not the encoder's parameters.
        message = re.sub(r"more than length=(\d+) \(trim='error'\); shorten it or choose "
                         r"trim='3p' or '5p'\.",
                         r"more than the \1-bp insert (--trim error); shorten it, or pass "
                         r"--trim 3p or --trim 5p to trim it.", message)
        raise CommandError(_at_line(path, message, "X", "the sequence")) from None


def encoding_report(encoder):
    """One line: how many sequences were encoded for which construct, trimmed, padded."""
    trimmed = f"{encoder.n_trimmed_:,} trimmed"
    if encoder.n_trimmed_:
        trimmed += f" (from the {encoder.trim[0]}' end)"
    return (f"encoded {encoder.n_sequences_:,} sequences for a "
            f"{encoder.get_construct().describe()}: {trimmed}, "
            f"{encoder.n_padded_:,} padded")


def _at_line(path, message, array, subject, names=None):
    """``message`` about ``array[i]`` (0-based data row) as one about a line of ``path``.

    ``array[i, j]`` is about column ``names[j]`` of row ``i``.
    """
    from .datasets._reader import file_line

    found = re.match(rf"{array}\[(\d+)(?:, (\d+))?\]( =)? ", message)
    if found is None:
        return f"{path}: {message}"
    line, _ = file_line(path, int(found.group(1)))
    if found.group(2) is not None and names is not None:
        subject += f" {names[int(found.group(2))]!r}"
    return f"{path}, line {line}: {subject} {message[found.end():]}"


def read_table(path, what):
    """A headered TSV (or .csv) as a DataFrame, or a CommandError."""
    sep = "," if str(path).endswith((".csv", ".csv.gz")) else "\t"
    try:
        return pd.read_csv(path, sep=sep)
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file ({what}).") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: not a readable {what} table: {exc}".strip()) from None


def require_columns(frame, columns, path):
    """A CommandError naming the first of ``columns`` that ``frame`` lacks."""
    for column in columns:
        if column not in frame:
            raise CommandError(
                f"{path}: column {column!r} is not there; the columns are {list(frame)!r}."
            )


def read_json(path, what):
    """A JSON file skgxp wrote, or a CommandError naming it."""
    from ._jsonio import ModelFileError, read_json

    try:
        return read_json(path, what)
    except ModelFileError as exc:
        raise CommandError(str(exc)) from None


def load_model(directory, device):
    """The model saved in ``directory`` by skgxp fit (or skgxp.save), or a CommandError."""
    import skgxp

    if not os.path.isdir(directory):
        raise CommandError(f"{directory}: no such model directory.")
    try:
        return skgxp.load(directory, device=device)
    except ValueError as exc:  # ModelFileError
        raise CommandError(f"{directory} is not a loadable model: {exc}") from None
