"""``skgxp evaluate``: the DREAM weighted score of a predictions file."""

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ._cli_errors import EXIT_OK, CommandError
from ._cli_io import read_table, require_columns
from ._cli_options import plotting, write_figures


def _labels_and_pairs(args):
    from .datasets import load_public_leaderboard, load_public_leaderboard_pairs

    if args.labels is None:
        labels = load_public_leaderboard()
        pairs = load_public_leaderboard_pairs() if args.pairs is None else None
    else:
        labels = read_table(args.labels, "labels")
        require_columns(labels, ("index", "subset", "expression"), args.labels)
        pairs = None
    if args.pairs is not None:
        pairs = read_table(args.pairs, "pairs")
        require_columns(pairs, ("index_ref", "index_alt", "subset"), args.pairs)
    return labels, pairs


def _predictions_for(pred, labels, by, path):
    """Predictions as a Series keyed by the labels' test index."""
    from .datasets._reader import file_line

    values = pd.to_numeric(pred["prediction"], errors="coerce")
    bad = ~np.isfinite(values.to_numpy(np.float64))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CommandError(f"{path}, line {file_line(path, row)[0]}: prediction "
                           f"{str(pred['prediction'].iloc[row])!r} is not a finite number.")
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

    plots = plotting(args.plots)
    pred = read_table(args.predictions, "predictions")
    require_columns(pred, ("prediction",), args.predictions)
    labels, pairs = _labels_and_pairs(args)
    by = args.by
    if by == "auto":
        by = "sequence" if "sequence" in pred and "sequence" in labels else "index"
    require_columns(pred, (by,), args.predictions)
    require_columns(labels, (by,), args.labels or "the bundled labels")
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
    if plots is not None:
        directory = args.plots or os.path.dirname(os.path.abspath(args.predictions))
        y_pred = _predictions_for(pred, labels, by, args.predictions)
        figures = {"predicted_vs_measured": plots.plot_predicted_vs_measured(
            y_pred, labels, pairs, title=f"{Path(args.predictions).name}: predicted vs "
            "measured per DREAM subset")}
        if "raw_prediction" in scores:
            figures["calibration_effect"] = plots.plot_score_comparison(
                {"raw": scores["raw_prediction"], "calibrated": scores["prediction"]},
                title="Effect of calibration on the DREAM scores")
        write_figures(plots, figures, directory)
    return EXIT_OK
