"""``skgxp variants``: predicted ``alt - ref`` effects of the pairs of a table."""

import sys

import pandas as pd

from ._cli_errors import EXIT_OK, CommandError
from ._cli_io import encode_sequences, encoding_report, load_model
from ._cli_options import check_device


def interpreted_model(args):
    """The saved model, its encoder and regressor set up from the options, or a CommandError."""
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


def _read_column(path, column, other):
    """One column of sequences of the headered table ``path``, or a CommandError."""
    from .datasets import read_challenge_file

    try:
        X, _ = read_challenge_file(path, sequence_column=column, target_column=None)
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file.") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not a text file of sequences.") from None
    except ValueError as exc:
        raise CommandError(str(exc).replace("sequence_column= / target_column=",
                                            f"--{other}-column")) from None
    return X


def read_pairs(path, ref_column, alt_column):
    """The whole table (as text), its ref and its alt sequences; errors name the line."""
    import os

    from .datasets._reader import _layout

    if os.path.isdir(path):
        raise CommandError(f"{path} is a directory, not a table of pairs.")
    if not os.path.isfile(path):
        raise CommandError(f"{path}: no such file.")
    sep, header_lines = _layout(path)
    if header_lines == 0:
        raise CommandError(f"{path} has no header; the pairs need a headered TSV/CSV with "
                           f"columns {ref_column!r} and {alt_column!r}.")
    ref = _read_column(path, ref_column, "ref")
    alt = _read_column(path, alt_column, "alt")
    # Read as text, so every column is written back as it was.
    table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, index_col=False)
    return table, ref, alt


def _check_sequences(encoder, X, path, column):
    """Encode once to report a bad sequence with its line and column."""
    try:
        encode_sequences(encoder, X, path)
    except CommandError as exc:
        raise CommandError(str(exc).replace(": the sequence ", f": the {column!r} sequence ",
                                            1)) from None
    return encoding_report(encoder)


def variants(args):
    """``skgxp variants``: ``alt - ref`` of every pair, as a TSV."""
    from ._predict_command import _target_names
    from .interpret import variant_effects

    model, encoder, regressor = interpreted_model(args)
    table, ref, alt = read_pairs(args.pairs, args.ref_column, args.alt_column)
    names = _target_names(args.model_dir, regressor.n_outputs_)
    columns = ["effect"] if len(names) == 1 else [f"effect_{name}" for name in names]
    clash = [column for column in columns if column in table]
    if clash:
        raise CommandError(f"{args.pairs} has a column {clash[0]!r} already; rename it.")
    reports, trimmed = [], 0
    for column, X in ((args.ref_column, ref), (args.alt_column, alt)):
        reports.append(f"{column}: " + _check_sequences(encoder, X, args.pairs, column))
        trimmed += encoder.n_trimmed_
    effects = variant_effects(model, ref, alt)
    if effects.ndim == 1:
        table[columns[0]] = effects
    else:
        for j, column in enumerate(columns):
            table[column] = effects[:, j]
    target = sys.stdout if args.out == "-" else args.out
    table.to_csv(target, sep="\t", index=False, float_format="%.8g")
    if args.out != "-" or trimmed:  # nothing is trimmed silently
        print("\n".join(reports), file=sys.stderr)
    if args.out != "-":
        print(f"wrote {len(table):,} variant effects (alt - ref, {args.tta} views) to "
              f"{args.out}", file=sys.stderr)
    return EXIT_OK
