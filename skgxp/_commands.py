"""What the subcommands of ``skgxp`` do; the argument parser is in :mod:`skgxp.cli`.

``skgxp fit`` lives in :mod:`skgxp._fit_command`; the other commands and the
helpers they share are here.

Expected failures raise :class:`CommandError` with a message for the user and
an exit status: 2 for bad usage or input (checked before any long work
starts), 1 for a run that failed.
"""

import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CommandError(Exception):
    """An expected failure: a message for the user and the exit status."""

    def __init__(self, message, exit_code=EXIT_USAGE):
        super().__init__(message)
        self.exit_code = exit_code


# -- checks of the arguments ---------------------------------------------------


def _check_device(device):
    from ._regressor import DeepGXPRegressor

    try:
        DeepGXPRegressor(device=device)._resolve_device()
    except ValueError as exc:
        raise CommandError(f"--device: {exc}") from None
    return device


def _parse_params(text):
    if text is None:
        return {}
    try:
        params = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--params is not valid JSON: {exc}.") from None
    if not isinstance(params, dict):
        raise CommandError(
            f"--params must be a JSON object of DeepGXPRegressor parameters, e.g. "
            f"'{{\"module__lstm_hidden_size\": 64}}'; got {text!r}."
        )
    return params


def _build_regressor(params, **settings):
    """A DeepGXPRegressor, its parameters checked now rather than hours into a run."""
    from sklearn.base import clone

    from ._regressor import DeepGXPRegressor

    regressor = DeepGXPRegressor(**settings, **params)
    try:
        regressor._check_params()
        # A throwaway copy: initializing the real one would make fit say it re-initializes.
        probe = clone(regressor).set_params(verbose=0)
        with probe._on_resolved_device():
            probe.initialize()
    except (TypeError, ValueError) as exc:
        raise CommandError(f"invalid training parameters: {exc}") from None
    return regressor


def _plotting(directory):
    """skgxp.plotting with a file-only backend, or None when no plots were asked for."""
    if directory is None:
        return None
    try:
        import matplotlib
    except ImportError:
        raise CommandError(
            "--plots needs matplotlib: pip install 'skgxp[plots]'."
        ) from None
    matplotlib.use("Agg")
    from . import plotting

    return plotting


def _write_figures(plotting, figures, directory):
    paths = plotting.save_figures(figures, directory)
    for path in paths:
        print(f"wrote {path}")


# -- input files ---------------------------------------------------------------


def _read_sequences(path, sequence_column, target_column):
    """Sequences (and targets) of a challenge-format file, or a CommandError."""
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
    if target_column is not None and y is None:
        raise CommandError(
            f"{path} has sequences but no expression column; training needs "
            "`sequence<TAB>expression` rows."
        )
    return X, y


def _header_lines(path, first_sequence):
    """1 if the file starts with a header line, else 0 (for line numbers in errors)."""
    with pd.io.common.get_handle(path, "r", compression="infer") as handle:
        first_line = handle.handle.readline()
    return 0 if first_line.startswith(first_sequence) else 1


def _encode(encoder, X, path):
    """Encode sequences; a bad one is reported with its line number in ``path``."""
    try:
        return encoder.fit_transform(X)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        found = re.match(r"X\[(\d+)\] ", message)
        if found:
            line = int(found.group(1)) + 1 + _header_lines(path, str(X[0]))
            message = f"line {line}: the sequence {message[found.end():]}"
        raise CommandError(f"{path}, {message}") from None


def _read_table(path, what):
    """A headered TSV (or .csv) as a DataFrame, or a CommandError."""
    sep = "," if str(path).endswith((".csv", ".csv.gz")) else "\t"
    try:
        return pd.read_csv(path, sep=sep)
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file ({what}).") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: not a readable {what} table: {exc}".strip()) from None


def _require_columns(frame, columns, path):
    for column in columns:
        if column not in frame:
            raise CommandError(
                f"{path}: column {column!r} is not there; the columns are {list(frame)!r}."
            )


# -- training helpers shared by fit and cv ----------------------------------


def _progress_bar():
    from skorch.callbacks import ProgressBar

    class _EpochProgressBar(ProgressBar):
        """skorch's bar, sized by the batches really run, showing the last valid Pearson."""

        def _get_batches_per_epoch_phase(self, net, dataset, training):
            return 0 if dataset is None else len(net.get_iterator(dataset, training=training))

        def _get_postfix_dict(self, net):
            postfix = super()._get_postfix_dict(net)
            if len(net.history) > 1 and "valid_pearson" in net.history[-2]:
                postfix["last_valid_pearson"] = f"{net.history[-2, 'valid_pearson']:.4f}"
            return postfix

    return _EpochProgressBar(postfix_keys=["train_loss"])


def _raise_if_interrupted(net):
    """skorch ends ``fit`` quietly on Ctrl-C; an unfinished net must not be saved."""
    history = net.history
    if len(history) < net.max_epochs or "dur" not in history[-1]:
        raise KeyboardInterrupt


# -- skgxp predict -------------------------------------------------------------


def _load_model(directory, device):
    import skgxp

    if not os.path.isdir(directory):
        raise CommandError(f"{directory}: no such model directory.")
    try:
        return skgxp.load(directory, device=device)
    except ValueError as exc:  # ModelFileError
        raise CommandError(f"{directory} is not a loadable model: {exc}") from None


def _calibrate(model, raw, directory, method):
    from sklearn.frozen import FrozenEstimator

    from ._calibrator import QuantileCalibrator
    from ._provenance import TARGET_STATS_FILE, read_json, targets_from_stats

    path = Path(directory) / TARGET_STATS_FILE
    if not path.is_file():
        raise CommandError(
            f"--calibrate {method} needs {path} (the training targets' distribution, "
            "written by skgxp fit); this model directory has none."
        )
    targets = targets_from_stats(read_json(path))
    calibrator = QuantileCalibrator(FrozenEstimator(model), method=method).fit(None, targets)
    return calibrator.transform_predictions(raw)


def predict(args):
    """``skgxp predict``: TTA predictions of a file, optionally calibrated."""
    from sklearn.pipeline import Pipeline

    from ._encoder import PromoterEncoder

    _check_device(args.device)
    model = _load_model(args.model_dir, args.device)
    X, _ = _read_sequences(args.seqs, args.sequence_column, None)
    if not (isinstance(model, Pipeline) and isinstance(model[0], PromoterEncoder)):
        raise CommandError(f"{args.model_dir} holds a {type(model).__name__}; skgxp "
                           "predict needs a PromoterEncoder + DeepGXPRegressor pipeline.")
    regressor = model[-1]
    regressor.set_params(tta=args.tta)
    if args.batch_size is not None:
        regressor.set_params(batch_size=args.batch_size)
    codes = _encode(model[0], X, args.seqs)
    raw = regressor.predict(codes)
    table = pd.DataFrame({"index": np.arange(len(X)), "sequence": X, "prediction": raw})
    if args.calibrate != "none":
        table["prediction"] = _calibrate(model, raw, args.model_dir, args.calibrate)
        table["raw_prediction"] = raw
    target = sys.stdout if args.out == "-" else args.out
    table.to_csv(target, sep="\t", index=False, float_format="%.8g")
    if args.out != "-":
        print(f"wrote {len(table):,} predictions ({args.tta} views"
              + ("" if args.calibrate == "none" else f", {args.calibrate} calibration")
              + f") to {args.out}", file=sys.stderr)
    return EXIT_OK


# -- skgxp evaluate ------------------------------------------------------------


def _labels_and_pairs(args):
    from .datasets import load_public_leaderboard, load_public_leaderboard_pairs

    if args.labels is None:
        labels = load_public_leaderboard()
        pairs = load_public_leaderboard_pairs() if args.pairs is None else None
    else:
        labels = _read_table(args.labels, "labels")
        _require_columns(labels, ("index", "subset", "expression"), args.labels)
        pairs = None
    if args.pairs is not None:
        pairs = _read_table(args.pairs, "pairs")
        _require_columns(pairs, ("index_ref", "index_alt", "subset"), args.pairs)
    return labels, pairs


def _predictions_for(pred, labels, by, path):
    """Predictions as a Series keyed by the labels' test index."""
    values = pd.to_numeric(pred["prediction"], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CommandError(f"{path}, line {row + 2}: prediction "
                           f"{pred['prediction'].iloc[row]!r} is not a number.")
    if by == "index":
        return pd.Series(values.to_numpy(np.float64), index=pred["index"].to_numpy())
    by_sequence = pd.Series(values.to_numpy(np.float64),
                            index=pred["sequence"].astype(str).str.upper())
    conflicting = by_sequence.groupby(level=0).nunique() > 1
    if conflicting.any():
        raise CommandError(f"{path}: sequence {conflicting.idxmax()!r} has different "
                           "predictions on different lines.")
    by_sequence = by_sequence[~by_sequence.index.duplicated()]
    wanted = labels["sequence"].astype(str).str.upper()
    missing = ~wanted.isin(by_sequence.index)
    if missing.any():
        raise CommandError(
            f"{path} has no prediction for {int(missing.sum())} of the {len(labels)} "
            f"labelled sequences (first: test index {labels['index'][missing].iloc[0]}); "
            "predict all of them."
        )
    return pd.Series(by_sequence.reindex(wanted).to_numpy(), index=labels["index"].to_numpy())


def evaluate(args):
    """``skgxp evaluate``: the DREAM weighted score and its per-subset table."""
    from .metrics import dream_score

    plotting = _plotting(args.plots)
    pred = _read_table(args.predictions, "predictions")
    _require_columns(pred, ("prediction",), args.predictions)
    labels, pairs = _labels_and_pairs(args)
    by = args.by
    if by == "auto":
        by = "sequence" if "sequence" in pred and "sequence" in labels else "index"
    _require_columns(pred, (by,), args.predictions)
    _require_columns(labels, (by,), args.labels or "the bundled labels")
    scores = {}
    for column in ("prediction", "raw_prediction"):
        if column in pred:
            y_pred = _predictions_for(pred.assign(prediction=pred[column]), labels, by,
                                      args.predictions)
            try:
                scores[column] = dream_score(y_pred, labels, pairs)
            except ValueError as exc:
                raise CommandError(f"{args.predictions}: {exc}") from None
    print(f"{args.predictions}: {len(labels):,} labelled sequences scored (joined by "
          f"{by}; {len(pred) - len(labels):,} predictions without a label ignored)\n")
    print(scores["prediction"])
    if "raw_prediction" in scores:
        raw = scores["raw_prediction"]
        print(f"\nraw_prediction (before calibration): Pearson score "
              f"{raw.pearson_score:.4f}, Spearman score {raw.spearman_score:.4f}")
    if plotting is not None:
        directory = args.plots or os.path.dirname(os.path.abspath(args.predictions))
        y_pred = _predictions_for(pred, labels, by, args.predictions)
        figures = {"predicted_vs_measured": plotting.plot_predicted_vs_measured(
            y_pred, labels, pairs, title=f"{Path(args.predictions).name}: predicted vs "
            "measured per DREAM subset")}
        if "raw_prediction" in scores:
            figures["calibration_effect"] = plotting.plot_score_comparison(
                {"raw": scores["raw_prediction"], "calibrated": scores["prediction"]},
                title="Effect of calibration on the DREAM scores")
        _write_figures(plotting, figures, directory)
    return EXIT_OK


# -- skgxp cv ------------------------------------------------------------------


def cv(args):
    """``skgxp cv``: BHI's k-fold protocol, per fold and as Table 1."""
    from ._encoder import PromoterEncoder
    from .protocol import cross_validate_bhi, table1

    _check_device(args.device)
    params = _parse_params(args.params)
    if args.only_fold and max(args.only_fold) > args.folds:
        raise CommandError(f"--only-fold {max(args.only_fold)}: there are {args.folds} "
                           "folds, numbered from 1.")
    X, y = _read_sequences(args.train, args.sequence_column, args.target_column)
    codes = _encode(PromoterEncoder(), X, args.train)
    regressor = _build_regressor(
        params, max_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        device=args.device, precision=args.precision, random_state=args.train_seed,
        verbose=0, callbacks=[] if args.quiet else [("progress", _progress_bar())],
    )
    print(f"skgxp cv: {len(X):,} sequences from {args.train}; KFold({args.folds}, "
          f"shuffle=True, random_state={args.seed}); {args.epochs} epochs per fold")
    columns = ["best_epoch", "train_huber", "train_pearson", "train_spearman",
               "valid_huber", "valid_pearson", "valid_spearman"]

    def report(row, net):
        _raise_if_interrupted(net)
        print(f"fold {row['fold']}: best epoch {row['best_epoch']} of {row['epochs']} | "
              f"train Huber {row['train_huber']:.4f} r {row['train_pearson']:.4f} "
              f"rho {row['train_spearman']:.4f} | validation Huber "
              f"{row['valid_huber']:.4f} r {row['valid_pearson']:.4f} "
              f"rho {row['valid_spearman']:.4f}", flush=True)

    try:
        results = cross_validate_bhi(regressor, codes, y, n_splits=args.folds,
                                     random_state=args.seed, folds=args.only_fold,
                                     on_fold=report)
    except (FloatingPointError, RuntimeError) as exc:
        raise CommandError(f"training failed: {exc}", EXIT_FAILURE) from None
    print(f"\nmean (sd) over {len(results)} fold(s), each at its best epoch "
          "(Huber loss on standardized targets):")
    print(table1(results).to_string())
    if args.out:
        results[["n_train", "n_valid", "epochs", *columns]].to_csv(
            args.out, sep="\t", float_format="%.6f")
        print(f"wrote per-fold results to {args.out}")
    return EXIT_OK


# -- skgxp demo ----------------------------------------------------------------


def demo(args):
    """``skgxp demo``: the README's main job."""
    from ._demo import run_demo

    _check_device(args.device)
    params = _parse_params(args.params)
    plotting = _plotting(args.plots)
    plots = None if plotting is None else (args.plots or "skgxp-demo-plots")
    run_demo(epochs=args.epochs, batch_size=args.batch_size, full=args.full or None,
             device=args.device, tta=args.tta, params=params, plots=plots)
    return EXIT_OK
