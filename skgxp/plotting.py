"""Figures of training and evaluation.

matplotlib is an optional dependency (``pip install "skgxp[plots]"``); it is
imported when a function here is called, never when :mod:`skgxp` is imported.
Every function returns a :class:`matplotlib.figure.Figure` made with
:mod:`matplotlib.pyplot` (so notebooks and sphinx-gallery show it); save it
with ``fig.savefig("name.png")`` and free it with ``plt.close(fig)``.
"""

import os

import numpy as np

from .metrics import (
    DREAM_WEIGHTS, PAIRED_SUBSETS, pearson_r, score_table, spearman_r, subset_arrays,
)

__all__ = [
    "plot_predicted_vs_measured",
    "plot_score_comparison",
    "plot_training_curves",
    "save_figures",
]

_LOSS_COLOURS = {"train": "#1f77b4", "valid": "#d62728"}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "skgxp.plotting needs matplotlib; install it with "
            "pip install 'skgxp[plots]' (or pip install matplotlib)."
        ) from None
    return plt


def _history_of(obj):
    """A list of per-epoch dicts from a skorch History, net, pipeline or list."""
    if hasattr(obj, "steps"):  # a Pipeline: its final step holds the history
        obj = obj.steps[-1][1]
    if hasattr(obj, "regressor_"):  # QuantileCalibrator around a net or pipeline
        return _history_of(obj.regressor_)
    history = getattr(obj, "history_", getattr(obj, "history", obj))
    if hasattr(history, "to_list"):
        history = history.to_list()
    if not isinstance(history, list | tuple) or not all(isinstance(r, dict) for r in history):
        raise TypeError(
            "history must be a skorch History, a fitted skorch net (or a pipeline or "
            f"calibrator ending in one) or a list of per-epoch dicts; got "
            f"{type(obj).__name__}."
        )
    if not history or "train_loss" not in history[0]:
        raise ValueError(
            "history has no 'train_loss' record; plot the history of a fitted net."
        )
    return list(history)


def _epoch_series(history, key):
    epochs = [row["epoch"] for row in history if key in row]
    return epochs, [row[key] for row in history if key in row]


def plot_training_curves(history, *, title=None):
    """Loss, correlation scores and learning rate over a training run.

    Panels: the Huber loss per epoch (training, and validation when there is
    a validation split), every ``*_pearson`` / ``*_spearman`` score recorded
    per epoch (for example by ``EpochScoring(pearson_scorer, name=
    "valid_pearson")``) with the best validation Pearson marked, and the
    learning rate of every batch (the cosine schedule). Panels without data
    are left out.

    Parameters
    ----------
    history : skorch.History, skorch net, Pipeline or list of dict
        A fitted :class:`~skgxp.DeepGXPRegressor` (or a pipeline or
        :class:`~skgxp.QuantileCalibrator` ending in one), its ``history``, or
        the equivalent list of per-epoch dicts (``history.json``).
    title : str, default=None
        Figure title.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> from skgxp.plotting import plot_training_curves
    >>> history = [{"epoch": e, "train_loss": 1 / e, "batches": []} for e in (1, 2, 3)]
    >>> fig = plot_training_curves(history)
    >>> [ax.get_title() for ax in fig.axes]
    ['Huber loss (standardized targets)']
    """
    plt = _pyplot()
    history = _history_of(history)
    scores = sorted({k for row in history for k in row
                     if k.endswith(("_pearson", "_spearman")) and row.get(k) is not None})
    lrs = [b["lr"] for row in history for b in row.get("batches", ()) if "lr" in b]
    n_panels = 1 + bool(scores) + bool(lrs)
    fig, axes = plt.subplots(1, n_panels, figsize=(4.6 * n_panels, 3.8), squeeze=False)
    axes = list(axes[0])
    ax = axes.pop(0)
    for split in ("train", "valid"):
        epochs, values = _epoch_series(history, f"{split}_loss")
        if epochs:
            ax.plot(epochs, values, "o-", color=_LOSS_COLOURS[split], label=split, ms=4)
    _style(ax, "Huber loss (standardized targets)", "epoch", "loss")
    if scores:
        ax = axes.pop(0)
        for key in scores:
            epochs, values = _epoch_series(history, key)
            ax.plot(epochs, values, "o-" if "pearson" in key else "s--", ms=4,
                    label=key.replace("_", " "))
        epochs, values = _epoch_series(history, "valid_pearson")
        if epochs and not np.isnan(np.asarray(values, dtype=float)).all():
            best = int(np.nanargmax(values))
            ax.axvline(epochs[best], color="0.5", ls=":", lw=1)
            right_half = best >= len(epochs) / 2
            ax.annotate(f"best epoch {epochs[best]}\nvalid r = {values[best]:.3f}",
                        (epochs[best], values[best]), xytext=(-8 if right_half else 8, -30),
                        textcoords="offset points", fontsize=8,
                        ha="right" if right_half else "left",
                        bbox={"boxstyle": "round", "fc": "white", "ec": "0.7", "alpha": 0.9})
        _style(ax, "Correlation with measured expression", "epoch", "score")
    if lrs:
        ax = axes.pop(0)
        ax.plot(np.arange(1, len(lrs) + 1), lrs, color="#2ca02c", lw=1.2)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
        _style(ax, "Learning rate per batch", "optimizer step", "learning rate", legend=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _style(ax, title, xlabel, ylabel, legend=True):
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, frameon=False)
    if xlabel == "epoch":
        ax.xaxis.get_major_locator().set_params(integer=True)


def _measured_panel(ax, measured, predicted, what, title, **scatter):
    """One predicted-vs-measured scatter: translucent by point count, small type."""
    alpha = float(np.clip(600 / len(measured), 0.15, 0.8))
    ax.scatter(measured, predicted, alpha=alpha, lw=0, rasterized=True, **scatter)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(f"measured {what}", fontsize=8)
    ax.set_ylabel(f"predicted {what}", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def plot_predicted_vs_measured(y_pred, labels=None, pairs=None, *, title=None):
    """Predicted against measured expression for every DREAM test subset.

    One scatter panel per subset scored by :func:`skgxp.metrics.dream_score`:
    sequences of the single-sequence subsets (all, high_exp, low_exp, yeast,
    random, challenging), and the alt - ref differences of the paired ones
    (SNVs, motif_perturbation, motif_tiling). Each panel gives ``n``, Pearson
    ``r`` and Spearman ``rho``. Scales differ between measured (MAUDE) and
    predicted values; the challenge scores correlations only.

    Parameters
    ----------
    y_pred : pandas.Series, dict or array-like
        Predictions, as for :func:`~skgxp.metrics.dream_score`.
    labels : pandas.DataFrame, default=None
        Test labels; default: the bundled public leaderboard.
    pairs : pandas.DataFrame, default=None
        Test pairs; default: the bundled public-leaderboard pairs when
        ``labels`` is also the default.
    title : str, default=None
        Figure title.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> from skgxp.datasets import load_public_leaderboard
    >>> from skgxp.plotting import plot_predicted_vs_measured
    >>> labels = load_public_leaderboard()
    >>> fig = plot_predicted_vs_measured(labels["expression"].to_numpy())
    >>> len([ax for ax in fig.axes if ax.has_data()])
    9
    """
    plt = _pyplot()
    arrays = subset_arrays(y_pred, labels, pairs)
    n_cols = min(3, len(arrays))
    n_rows = -(-len(arrays) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.7 * n_cols, 3.5 * n_rows),
                             squeeze=False)
    for ax, (subset, truth, predicted) in zip(axes.flat, arrays):
        paired = subset in PAIRED_SUBSETS
        _measured_panel(
            ax, truth, predicted, "\u0394 alt \u2212 ref" if paired else "expression",
            f"{subset} (weight {DREAM_WEIGHTS[subset]}, n={len(truth):,})\n"
            f"r = {pearson_r(truth, predicted):.3f}   "
            f"\u03c1 = {spearman_r(truth, predicted):.3f}",
            s=4, color="#9467bd" if paired else "#1f77b4")
    for ax in axes.flat[len(arrays):]:
        ax.set_visible(False)
    fig.suptitle(title or "Predicted vs measured expression per DREAM subset")
    fig.tight_layout()
    return fig


def plot_targets(y_true, y_pred, target_names=None, *, title=None):
    """Predicted against measured values, one panel per target.

    For any assay (one or several targets, e.g. DeepSTARR's developmental
    and housekeeping enrichment); each panel gives ``n``, Pearson ``r`` and
    Spearman ``rho``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,) or (n, n_outputs)
        Measured values and predictions.
    target_names : list of str or None, default=None
        Panel titles; default as :func:`skgxp.metrics.score_table`.
    title : str, default=None
        Figure title.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import numpy as np
    >>> from skgxp.plotting import plot_targets
    >>> y = np.random.default_rng(0).normal(size=(50, 2))
    >>> fig = plot_targets(y, y + 0.1, ["dev", "hk"])
    >>> [ax.get_title().split()[0] for ax in fig.axes]
    ['dev', 'hk']
    """
    plt = _pyplot()
    table = score_table(y_true, y_pred, target_names)
    y_true = np.asarray(y_true, dtype=np.float64).reshape(-1, len(table))
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1, len(table))
    fig, axes = plt.subplots(1, len(table), figsize=(3.7 * len(table), 3.5), squeeze=False)
    for j, (ax, (name, row)) in enumerate(zip(axes.flat, table.iterrows())):
        _measured_panel(ax, y_true[:, j], y_pred[:, j], name,
                        f"{name} (n={int(row['n']):,})\nr = {row['pearson_r']:.3f}   "
                        f"\u03c1 = {row['spearman']:.3f}", s=6)
    fig.suptitle(title or "Predicted vs measured")
    fig.tight_layout()
    return fig


def plot_score_comparison(scores, *, title=None):
    """Per-subset DREAM scores of several prediction variants, side by side.

    Shows what test-time augmentation and calibration change: give, for
    example, the :class:`~skgxp.metrics.DreamScore` of one model's
    predictions with 1, 2 and 10 views and after
    :class:`~skgxp.QuantileCalibrator`. Left panel: Pearson ``r``\\ :sup:`2`
    per subset; right panel: Spearman ``rho``. The legend gives each
    variant's weighted scores.

    Parameters
    ----------
    scores : dict of str to DreamScore
        Variant label to its score, in the order to draw them.
    title : str, default=None
        Figure title.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import numpy as np
    >>> from skgxp.datasets import load_public_leaderboard
    >>> from skgxp.metrics import dream_score
    >>> from skgxp.plotting import plot_score_comparison
    >>> truth = load_public_leaderboard()["expression"].to_numpy()
    >>> noisy = truth + np.random.default_rng(0).normal(size=truth.size)
    >>> fig = plot_score_comparison({"exact": dream_score(truth),
    ...                              "noisy": dream_score(noisy)})
    >>> len(fig.axes)
    2
    """
    plt = _pyplot()
    if not isinstance(scores, dict) or not scores:
        raise ValueError(
            "scores must be a non-empty dict of label -> DreamScore; got "
            f"{type(scores).__name__}."
        )
    subsets = [s for s in DREAM_WEIGHTS
               if any(s in score.table.index for score in scores.values())]
    width = 0.8 / len(scores)
    positions = np.arange(len(subsets))
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    for ax, column, label, weighted in (
        (axes[0], "pearson_r2", "Pearson r\u00b2", "pearson_score"),
        (axes[1], "spearman", "Spearman \u03c1", "spearman_score"),
    ):
        for i, (name, score) in enumerate(scores.items()):
            values = score.table[column].reindex(subsets).to_numpy(dtype=float)
            ax.bar(positions + (i - (len(scores) - 1) / 2) * width, values, width,
                   label=f"{name}: {getattr(score, weighted):.3f}")
        ax.set_xticks(positions, subsets, rotation=35, ha="right", fontsize=8)
        ax.set_ylabel(label)
        ax.set_title(f"{label} per subset (legend: weighted score)", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.axhline(0, color="0.3", lw=0.8)
        ax.legend(fontsize=8, frameon=False, loc="upper center",
                  bbox_to_anchor=(0.5, -0.3), ncol=min(len(scores), 3))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def save_figures(figures, directory, *, dpi=120):
    """Save figures as PNG files and close them.

    Parameters
    ----------
    figures : dict of str to matplotlib.figure.Figure
        File name (without ``.png``) to figure.
    directory : str or path-like
        Created if missing.
    dpi : int, default=120
        Resolution.

    Returns
    -------
    paths : list of str
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> from skgxp.plotting import plot_training_curves, save_figures
    >>> history = [{"epoch": 1, "train_loss": 0.5}, {"epoch": 2, "train_loss": 0.4}]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.endswith("curves.png") for p in save_figures(
    ...         {"curves": plot_training_curves(history)}, d)]
    [True]
    """
    plt = _pyplot()
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name, fig in figures.items():
        path = os.path.join(os.fspath(directory), f"{name}.png")
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths
