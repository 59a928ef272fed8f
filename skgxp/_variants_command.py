"""``skgxp variants``: predicted ``alt - ref`` effects of the pairs of a table."""

import sys

import pandas as pd

from ._cli_errors import EXIT_OK, CommandError
from ._cli_io import encoding_report, load_model
from ._cli_options import check_device


def interpreted_model(args):
    """The saved model, its encoder and its regressor set to the options; or a CommandError."""
    from .interpret._model import resolve_model

    check_device(args.device)
    model = load_model(args.model_dir, args.device)
    try:
        encoder, regressor = resolve_model(model)
    except (TypeError, ValueError) as exc:
        raise CommandError(f"{args.model_dir} holds a model skgxp cannot interpret: "
                           f"{exc}") from None
    regressor.set_params(tta=args.tta)
    if args.batch_size is not None:
        regressor.set_params(batch_size=args.batch_size)
    return model, encoder, regressor


def _data_lines(path, sep):
    """1-based line of each data row as pandas reads it (after the header, no blank lines)."""
    blanks = " \t".replace(sep, "")
    with pd.io.common.get_handle(path, "r", compression="infer") as handle:
        return [number for number, text in enumerate(handle.handle, start=1)
                if number > 1 and text.rstrip("\r\n").strip(blanks)]


def read_pairs(path, ref_column, alt_column):
    """The table (as text) and the line of each row; errors name the file and line.

    The first line is always the header (a column name made of bases, such as
    ``a``, is still a name).
    """
    import os

    from .datasets._reader import _raise_malformed

    if os.path.isdir(path):
        raise CommandError(f"{path} is a directory, not a table of pairs.")
    if not os.path.isfile(path):
        raise CommandError(f"{path}: no such file.")
    sep = "," if str(path).endswith((".csv", ".csv.gz")) else "\t"
    try:
        # Text as it is (only an empty field is missing), so it is written back unchanged.
        table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False,
                            na_values=[""], index_col=False, engine="c")
    except pd.errors.EmptyDataError:
        raise CommandError(f"{path} is empty; it needs a header naming the columns "
                           f"{ref_column!r} and {alt_column!r}.") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not a text file of sequences.") from None
    except pd.errors.ParserError as exc:
        try:
            _raise_malformed(path, exc)
        except ValueError as malformed:
            raise CommandError(str(malformed)) from None
    if table.empty:
        raise CommandError(f"{path} has a header but no pairs.")
    lines = _data_lines(path, sep)
    for column in (ref_column, alt_column):
        if column not in table:
            raise CommandError(
                f"{path}: column {column!r} is not in the header; the columns are "
                f"{list(table)!r}. Name the right ones with --ref-column / --alt-column.")
        missing = table[column].isna().to_numpy()
        if missing.any():
            raise CommandError(f"{path}, line {lines[missing.argmax()]}: {column!r} is "
                               "empty; every row needs a value.")
    return table, lines


def _check_sequences(encoder, X, path, column, lines):
    """Encode once (for the report) and give a bad sequence with its line and column."""
    import re
    import warnings

    from ._encoder import SequenceLengthWarning

    try:
        with warnings.catch_warnings():  # the report says how many were trimmed
            warnings.simplefilter("ignore", SequenceLengthWarning)
            encoder.fit_transform(X)
    except (TypeError, ValueError) as exc:
        found = re.match(r"X\[(\d+)\] ", str(exc))
        if found is None:
            raise CommandError(f"{path}, column {column!r}: {exc}") from None
        rest = re.sub(r" at position (\d+);",
                      lambda at: f" at character {int(at.group(1)) + 1} (1-based);",
                      str(exc)[found.end():])
        raise CommandError(f"{path}, line {lines[int(found.group(1))]}: the {column!r} "
                           f"sequence {rest}") from None
    return f"{column}: {encoding_report(encoder)}", encoder.n_trimmed_


def variants(args):
    """``skgxp variants``: ``alt - ref`` of every pair, as a TSV."""
    from ._predict_command import _target_names
    from .interpret import variant_effects

    model, encoder, regressor = interpreted_model(args)
    table, lines = read_pairs(args.pairs, args.ref_column, args.alt_column)
    ref = table[args.ref_column].to_numpy(dtype=object)
    alt = table[args.alt_column].to_numpy(dtype=object)
    names = _target_names(args.model_dir, regressor.n_outputs_)
    columns = ["effect"] if len(names) == 1 else [f"effect_{name}" for name in names]
    clash = [column for column in columns if column in table]
    if clash:
        raise CommandError(f"{args.pairs} has a column {clash[0]!r} already; rename it.")
    (ref_report, ref_trimmed), (alt_report, alt_trimmed) = (
        _check_sequences(encoder, X, args.pairs, column, lines)
        for column, X in ((args.ref_column, ref), (args.alt_column, alt)))
    effects = variant_effects(model, ref, alt)
    if effects.ndim == 1:
        table[columns[0]] = effects
    else:
        for j, column in enumerate(columns):
            table[column] = effects[:, j]
    target = sys.stdout if args.out == "-" else args.out
    table.to_csv(target, sep="\t", index=False, float_format="%.8g")
    if args.out != "-" or ref_trimmed or alt_trimmed:  # nothing is trimmed silently
        print(f"{ref_report}\n{alt_report}", file=sys.stderr)
    if args.out != "-":
        print(f"wrote {len(table):,} variant effects (alt - ref, {args.tta} views) to "
              f"{args.out}", file=sys.stderr)
    return EXIT_OK
