"""Correlation scorers and the DREAM 2022 challenge's weighted score."""

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import make_scorer

#: Subset weights of the official score (prixfixe/evaluation.py); they sum to 4.65.
DREAM_WEIGHTS = {
    "all": 1.0,
    "high_exp": 0.3,
    "low_exp": 0.3,
    "yeast": 0.3,
    "random": 0.3,
    "challenging": 0.5,
    "SNVs": 1.25,
    "motif_perturbation": 0.3,
    "motif_tiling": 0.4,
}
#: Subsets scored on the alt - ref differences of paired sequences.
PAIRED_SUBSETS = ("SNVs", "motif_perturbation", "motif_tiling")


def _one_correlation(statistic, y_true, y_pred):
    if np.ptp(y_true) == 0 or np.ptp(y_pred) == 0:
        return float("nan")
    return float(statistic(y_true, y_pred)[0])


def _correlation(statistic, y_true, y_pred, multioutput):
    """``statistic`` per output column; NaN where either side is constant.

    1-D and ``(n, 1)`` inputs give a float; ``(n, k)`` inputs the mean over
    outputs (``"uniform_average"``) or one value per output (``"raw_values"``).
    """
    if multioutput not in ("uniform_average", "raw_values"):
        raise ValueError("multioutput must be 'uniform_average' or 'raw_values'; got "
                         f"{multioutput!r}.")
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    k = max(y.shape[1] if y.ndim == 2 else 1 for y in (y_true, y_pred))
    if k == 1:
        y_true, y_pred = y_true.ravel(), y_pred.ravel()
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"y_true has {y_true.size} values but y_pred has {y_pred.size}."
            )
        value = _one_correlation(statistic, y_true, y_pred)
        return np.array([value]) if multioutput == "raw_values" else value
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has {y_pred.shape}.")
    values = np.array([_one_correlation(statistic, y_true[:, j], y_pred[:, j])
                       for j in range(k)])
    return values if multioutput == "raw_values" else float(values.mean())


def pearson_r(y_true, y_pred, *, multioutput="uniform_average"):
    """Pearson correlation of targets and predictions, per output.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,) or (n, n_outputs)
        Targets and predictions.
    multioutput : {"uniform_average", "raw_values"}, default="uniform_average"
        With several outputs: the mean of their correlations, or one each.

    Returns
    -------
    r : float or ndarray of shape (n_outputs,)
        NaN where either side is constant.

    Examples
    --------
    >>> from skgxp.metrics import pearson_r
    >>> round(pearson_r([1, 2, 3], [1, 2, 4]), 3)
    0.982
    >>> pearson_r([[1, 3], [2, 2], [3, 1]], [[1, 1], [2, 2], [3, 3]], multioutput="raw_values")
    array([ 1., -1.])
    """
    return _correlation(stats.pearsonr, y_true, y_pred, multioutput)


def spearman_r(y_true, y_pred, *, multioutput="uniform_average"):
    """Spearman rank correlation of targets and predictions, per output.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,) or (n, n_outputs)
        Targets and predictions.
    multioutput : {"uniform_average", "raw_values"}, default="uniform_average"
        With several outputs: the mean of their correlations, or one each.

    Returns
    -------
    rho : float or ndarray of shape (n_outputs,)
        NaN where either side is constant.

    Examples
    --------
    >>> from skgxp.metrics import spearman_r
    >>> spearman_r([1, 2, 3], [1, 2, 4])
    1.0
    """
    return _correlation(stats.spearmanr, y_true, y_pred, multioutput)


def score_table(y_true, y_pred, target_names=None):
    """Pearson and Spearman correlations per output, as a table.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,) or (n, n_outputs)
        Targets and predictions.
    target_names : list of str or None, default=None
        Row labels; None gives ``output_0``, ``output_1``, ... (``expression``
        for one output).

    Returns
    -------
    table : pandas.DataFrame
        One row per output: ``n``, ``pearson_r``, ``spearman``.

    Examples
    --------
    >>> from skgxp.metrics import score_table
    >>> score_table([[1, 3], [2, 2], [3, 1]], [[1, 1], [2, 2], [3, 4]], ["dev", "hk"])
         n  pearson_r  spearman
    dev  3   1.000000       1.0
    hk   3  -0.981981      -1.0
    """
    pearson = pearson_r(y_true, y_pred, multioutput="raw_values")
    spearman = spearman_r(y_true, y_pred, multioutput="raw_values")
    if target_names is None:
        target_names = ["expression"] if len(pearson) == 1 else [
            f"output_{j}" for j in range(len(pearson))]
    if len(target_names) != len(pearson):
        raise ValueError(f"target_names has {len(target_names)} names for "
                         f"{len(pearson)} output(s).")
    return pd.DataFrame({"n": len(np.asarray(y_true)), "pearson_r": pearson,
                         "spearman": spearman}, index=list(target_names))


#: Scorer for ``cross_validate`` / ``GridSearchCV`` / skorch ``EpochScoring``.
pearson_scorer = make_scorer(pearson_r)
#: Scorer for ``cross_validate`` / ``GridSearchCV`` / skorch ``EpochScoring``.
spearman_scorer = make_scorer(spearman_r)


@dataclass(frozen=True)
class DreamScore:
    """The challenge's two weighted scores and the per-subset table behind them.

    Attributes
    ----------
    pearson_score : float
        Sum over subsets of weight x Pearson r squared, divided by the sum of
        the weights of the subsets scored.
    spearman_score : float
        The same with Spearman rho (not squared).
    table : pandas.DataFrame
        One row per subset: ``weight``, ``n`` (sequences or pairs),
        ``pearson_r``, ``pearson_r2``, ``spearman``.
    """

    pearson_score: float
    spearman_score: float
    table: pd.DataFrame

    def __str__(self):
        body = self.table.to_string(float_format=lambda v: f"{v:.4f}")
        return (
            f"DREAM Pearson score  {self.pearson_score:.4f}\n"
            f"DREAM Spearman score {self.spearman_score:.4f}\n{body}"
        )


def _predictions_by_index(y_pred, labels):
    if isinstance(y_pred, pd.Series):
        return y_pred
    if isinstance(y_pred, dict):
        return pd.Series(y_pred, dtype=np.float64)
    values = np.asarray(y_pred, dtype=np.float64).ravel()
    if values.size != len(labels):
        raise ValueError(
            f"y_pred has {values.size} values but labels has {len(labels)} rows; give "
            "an array aligned with labels, or a Series / dict keyed by test index."
        )
    return pd.Series(values, index=labels["index"].to_numpy())


def dream_score(y_pred, labels=None, pairs=None):
    """The Random Promoter DREAM Challenge 2022 weighted score.

    Pearson r squared and Spearman rho are computed on every subset: all
    sequences, high_exp, low_exp, yeast, random and challenging on the
    predictions themselves, SNVs, motif_perturbation and motif_tiling on the
    alt - ref differences of paired sequences. Each score is the weighted sum
    over subsets divided by the total weight (4.65 when every subset is
    present), as in the organisers' ``prixfixe/evaluation.py``.

    Parameters
    ----------
    y_pred : pandas.Series, dict or array-like
        Predictions keyed by test index (Series index or dict keys), or an
        array aligned row by row with ``labels``.
    labels : pandas.DataFrame, default=None
        Columns ``index``, ``subset`` (comma-separated) and ``expression``.
        Default: the bundled public-leaderboard labels.
    pairs : pandas.DataFrame, default=None
        Columns ``index_ref``, ``index_alt``, ``subset``. Default: the bundled
        public-leaderboard pairs when ``labels`` is also the default, else no
        pairs.

    Returns
    -------
    score : DreamScore
        ``pearson_score``, ``spearman_score`` and the per-subset ``table``.

    Raises
    ------
    ValueError
        If a prediction is missing, duplicated or not finite, or a pair
        names a test index that ``labels`` lacks.

    Warns
    -----
    UndefinedMetricWarning
        When the predictions (for paired subsets their alt - ref
        differences) are constant on a subset: a correlation with a
        constant is undefined, so that subset's ``pearson_r`` and
        ``spearman`` are NaN, and so are both scores.

    Examples
    --------
    >>> from skgxp.datasets import load_public_leaderboard
    >>> from skgxp.metrics import dream_score
    >>> labels = load_public_leaderboard()
    >>> perfect = dream_score(labels["expression"].to_numpy())
    >>> round(perfect.pearson_score, 6), round(perfect.spearman_score, 6)
    (1.0, 1.0)
    """
    arrays = subset_arrays(y_pred, labels, pairs)
    constant = [subset for subset, _, predicted in arrays if np.ptp(predicted) == 0]
    if constant:
        warnings.warn(
            f"y_pred is constant on subset(s) {', '.join(constant)} (for paired subsets: "
            "its alt - ref differences); a correlation with a constant is undefined, so "
            "their pearson_r and spearman are NaN, and so are both scores.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    rows = [_subset_row(subset, truth, predicted) for subset, truth, predicted in arrays]
    table = pd.DataFrame(rows).set_index("subset")
    weights = table["weight"]
    return DreamScore(
        # skipna=False: a constant prediction on any subset makes the score NaN, not 0.
        pearson_score=float((weights * table["pearson_r2"]).sum(skipna=False) / weights.sum()),
        spearman_score=float((weights * table["spearman"]).sum(skipna=False) / weights.sum()),
        table=table,
    )


def subset_arrays(y_pred, labels=None, pairs=None):
    """Measured and predicted values of every DREAM subset, as :func:`dream_score` scores them.

    Parameters
    ----------
    y_pred : pandas.Series, dict or array-like
        As for :func:`dream_score`.
    labels : pandas.DataFrame, default=None
        As for :func:`dream_score`.
    pairs : pandas.DataFrame, default=None
        As for :func:`dream_score`.

    Returns
    -------
    arrays : list of tuple
        ``(subset, y_true, y_pred)`` for every subset with members, in the
        order of ``DREAM_WEIGHTS``; paired subsets hold alt - ref differences.

    Examples
    --------
    >>> from skgxp.datasets import load_public_leaderboard
    >>> from skgxp.metrics import subset_arrays
    >>> labels = load_public_leaderboard()
    >>> [name for name, _, _ in subset_arrays(labels["expression"].to_numpy())][:3]
    ['all', 'high_exp', 'low_exp']
    """
    if labels is None:
        from .datasets import load_public_leaderboard, load_public_leaderboard_pairs

        labels = load_public_leaderboard()
        if pairs is None:
            pairs = load_public_leaderboard_pairs()
    missing = [c for c in ("index", "subset", "expression") if c not in labels]
    if missing:
        raise ValueError(f"labels lacks column {missing[0]!r}; it has {list(labels)!r}.")
    predicted = _predictions_by_index(y_pred, labels)
    if predicted.index.has_duplicates:
        raise ValueError("y_pred has duplicate test indices.")
    absent = ~labels["index"].isin(predicted.index)
    if absent.any():
        raise ValueError(
            f"y_pred has no prediction for {int(absent.sum())} labelled test indices "
            f"(first: {labels['index'][absent].iloc[0]})."
        )
    if not np.isfinite(predicted.to_numpy(dtype=np.float64)).all():
        raise ValueError("y_pred contains NaN or infinite predictions.")
    truth = labels.set_index("index")["expression"]
    truth = truth[~truth.index.duplicated()]
    members = labels.assign(subset=labels["subset"].str.split(",")).explode("subset")
    arrays = []
    singles = [s for s in DREAM_WEIGHTS if s not in PAIRED_SUBSETS]
    for subset in singles:
        idx = (truth.index if subset == "all"
               else pd.Index(members.loc[members["subset"] == subset, "index"]).unique())
        if len(idx):
            arrays.append((subset, truth[idx].to_numpy(), predicted[idx].to_numpy()))
    if pairs is not None:
        _check_pairs(pairs, truth.index)
        for subset in PAIRED_SUBSETS:
            sub = pairs[pairs["subset"] == subset]
            if len(sub):
                alt, ref = sub["index_alt"].to_numpy(), sub["index_ref"].to_numpy()
                arrays.append((
                    subset,
                    truth[alt].to_numpy() - truth[ref].to_numpy(),
                    predicted[alt].to_numpy() - predicted[ref].to_numpy(),
                ))
    return arrays


def _check_pairs(pairs, labelled):
    missing = [c for c in ("index_ref", "index_alt", "subset") if c not in pairs]
    if missing:
        raise ValueError(f"pairs lacks column {missing[0]!r}; it has {list(pairs)!r}.")
    ids = pd.unique(pairs[["index_ref", "index_alt"]].to_numpy().ravel())
    absent = ids[~pd.Index(ids).isin(labelled)]
    if absent.size:
        shown = ", ".join(map(str, absent[:10])) + (", ..." if absent.size > 10 else "")
        raise ValueError(
            f"pairs name {absent.size} test indices that labels lacks: {shown}."
        )


def _subset_row(subset, truth, predicted):
    r = pearson_r(truth, predicted)
    return {
        "subset": subset,
        "weight": DREAM_WEIGHTS[subset],
        "n": len(truth),
        "pearson_r": r,
        "pearson_r2": r * r,
        "spearman": spearman_r(truth, predicted),
    }
