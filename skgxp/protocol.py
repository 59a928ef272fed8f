"""BHI's 5-fold cross-validation protocol (the DREAM 2022 report's Table 1).

BHI split the training file with ``KFold(5, shuffle=True,
random_state=123456789)``, trained one model per fold with the held-out fold
as validation set, kept the epoch with the best validation Pearson of the
reverse-complement-averaged prediction, and reported mean (sd) over folds of
the Huber loss, Pearson r and Spearman rho on the training and validation
sides. :func:`cross_validate_bhi` runs that protocol for any
:class:`~skgxp.DeepGXPRegressor`; ``skgxp cv`` is its command-line form.
"""

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold
from skorch.callbacks import EpochScoring
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from ._encoder import PromoterEncoder
from ._validation import check_target
from .metrics import pearson_scorer, spearman_scorer

__all__ = ["BHI_CV_SEED", "best_epoch", "cross_validate_bhi", "table1"]

#: ``random_state`` of BHI's ``KFold`` (train.py).
BHI_CV_SEED = 123456789
_SCORES = {"pearson": pearson_scorer, "spearman": spearman_scorer}
#: Per-fold result columns: history key of the best epoch for each.
_COLUMNS = {
    "train_huber": "train_loss",
    "train_pearson": "train_pearson",
    "train_spearman": "train_spearman",
    "valid_huber": "valid_loss",
    "valid_pearson": "valid_pearson",
    "valid_spearman": "valid_spearman",
}


def best_epoch(history, key="valid_pearson"):
    """Index of the epoch with the highest ``key`` in a skorch history.

    Parameters
    ----------
    history : skorch.History or list of dict
        Per-epoch records.
    key : str, default="valid_pearson"
        Score to maximize; NaN counts as the worst score.

    Returns
    -------
    index : int
        0-based position of the best epoch (the first one on ties).

    Examples
    --------
    >>> from skgxp.protocol import best_epoch
    >>> best_epoch([{"valid_pearson": 0.2}, {"valid_pearson": 0.5},
    ...             {"valid_pearson": 0.4}])
    1
    """
    if not len(history):
        raise ValueError("history is empty; nothing was trained.")
    missing = [i for i, row in enumerate(history) if key not in row]
    if missing:
        raise ValueError(f"epoch {missing[0] + 1} of the history has no {key!r} record.")
    scores = np.array([row[key] for row in history], dtype=np.float64)
    return int(np.argmax(np.where(np.isnan(scores), -np.inf, scores)))


def _fold_regressor(regressor, codes_valid, y_valid):
    scoring = [
        (f"{side}_{name}", EpochScoring(scorer, lower_is_better=False,
                                        on_train=side == "train", name=f"{side}_{name}"))
        for side in ("train", "valid")
        for name, scorer in _SCORES.items()
    ]
    fold = clone(regressor)
    return fold.set_params(
        # Validation Pearson of the mean of both strands, as BHI's checkpointing.
        tta=2,
        train_split=predefined_split(Dataset(codes_valid, y_valid)),
        callbacks=list(fold.callbacks or []) + scoring,
    )


def cross_validate_bhi(regressor, X, y, *, n_splits=5, random_state=BHI_CV_SEED,
                       folds=None, encoder=None, on_fold=None):
    """Run BHI's k-fold protocol and report each fold at its best epoch.

    For each fold of ``KFold(n_splits, shuffle=True, random_state)``, a clone
    of ``regressor`` is trained on the other folds with the held-out fold as
    its validation set (``tta=2``: the validation prediction is the mean of
    both strands). Training and validation Huber loss, Pearson r and
    Spearman rho are recorded every epoch; the fold is reported at the epoch
    with the best validation Pearson. Training-side scores are those of the
    training steps (random padding, dropout on), as BHI logged them.

    Parameters
    ----------
    regressor : DeepGXPRegressor
        Template, cloned per fold; its ``max_epochs``, ``batch_size``,
        ``module__*`` and callbacks (e.g. a progress bar) are kept. Its
        ``tta``, ``train_split`` are replaced, and four scoring callbacks
        (``train_pearson``, ``train_spearman``, ``valid_pearson``,
        ``valid_spearman``) added.
    X : array-like of str of shape (n_samples,), or ndarray of uint8
        Promoter sequences, or their :class:`~skgxp.PromoterEncoder` codes
        (then ``encoder`` is not used).
    y : array-like of shape (n_samples,)
        Measured expression.
    n_splits : int, default=5
        Number of folds.
    random_state : int, default=123456789
        Seed of the fold split (BHI's).
    folds : list of int, default=None
        1-based folds to run (e.g. ``[1]`` to run the first only); all by default.
    encoder : PromoterEncoder, default=None
        Encoder applied once to ``X``; ``PromoterEncoder()`` by default.
    on_fold : callable, default=None
        Called as ``on_fold(row, net)`` with each fold's result row (a dict)
        and its fitted regressor as soon as the fold is done.

    Returns
    -------
    results : pandas.DataFrame
        One row per fold, indexed by ``fold`` (1-based): ``n_train``,
        ``n_valid``, ``best_epoch`` (1-based), ``epochs``, ``train_huber``,
        ``train_pearson``, ``train_spearman``, ``valid_huber``,
        ``valid_pearson``, ``valid_spearman``. Huber losses are on
        standardized targets (the training fold's standard deviation).

    See Also
    --------
    table1 : Mean (sd) over folds in the layout of BHI's Table 1.

    Examples
    --------
    >>> from skgxp import DeepGXPRegressor
    >>> from skgxp.datasets import load_dream_demo
    >>> from skgxp.protocol import cross_validate_bhi
    >>> X, y = load_dream_demo(return_X_y=True)
    >>> tiny = DeepGXPRegressor(max_epochs=2, batch_size=32, verbose=0,
    ...                         module__conv1_channels=4, module__lstm_hidden_size=4,
    ...                         module__conv2_channels=4, module__fc_size=4)
    >>> results = cross_validate_bhi(tiny, X[:200], y[:200], n_splits=2)
    >>> list(results.index), results["best_epoch"].between(1, 2).all()
    ([1, 2], np.True_)
    """
    splitter = KFold(n_splits, shuffle=True, random_state=random_state)
    wanted = set(range(1, n_splits + 1) if folds is None else folds)
    unknown = sorted(wanted - set(range(1, n_splits + 1)))
    if unknown:
        raise ValueError(f"fold {unknown[0]} does not exist; folds are 1 to {n_splits}.")
    if isinstance(X, np.ndarray) and X.dtype == np.uint8:
        codes = X
    else:
        codes = (PromoterEncoder() if encoder is None else encoder).fit_transform(X)
    y = check_target(y, len(codes))
    rows = []
    for fold, (train, valid) in enumerate(splitter.split(codes), start=1):
        if fold not in wanted:
            continue
        net = _fold_regressor(regressor, codes[valid], y[valid])
        net.fit(codes[train], y[train])
        best = best_epoch(net.history)
        row = {"fold": fold, "n_train": len(train), "n_valid": len(valid),
               "best_epoch": best + 1, "epochs": len(net.history)}
        row.update({column: float(net.history[best, key])
                    for column, key in _COLUMNS.items()})
        rows.append(row)
        if on_fold is not None:
            on_fold(row, net)
    return pd.DataFrame(rows).set_index("fold")


def table1(results):
    """Mean (sd) over folds, laid out as BHI's Table 1.

    Parameters
    ----------
    results : pandas.DataFrame
        From :func:`cross_validate_bhi`.

    Returns
    -------
    table : pandas.DataFrame
        Rows ``train`` and ``validation``; columns ``Huber loss``,
        ``Pearson r`` and ``Spearman rho``; cells ``"mean (sd)"`` with the
        sample standard deviation (ddof 1; "n/a" for a single fold). A fold
        with a NaN score makes that cell NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> from skgxp.protocol import table1
    >>> folds = pd.DataFrame({"train_huber": [0.18, 0.19], "train_pearson": [0.77, 0.76],
    ...                       "train_spearman": [0.79, 0.78], "valid_huber": [0.19, 0.2],
    ...                       "valid_pearson": [0.75, 0.75], "valid_spearman": [0.77, 0.77]})
    >>> table1(folds).loc["validation", "Pearson r"]
    '0.7500 (0.0000)'
    """
    cells = {}
    for side, label in (("train", "train"), ("valid", "validation")):
        cells[label] = {}
        for metric, name in (("huber", "Huber loss"), ("pearson", "Pearson r"),
                             ("spearman", "Spearman rho")):
            values = results[f"{side}_{metric}"]
            # A NaN score (constant predictions) makes the mean NaN, not skipped.
            sd = values.std(ddof=1, skipna=False) if len(values) > 1 else None
            spread = "n/a" if sd is None else f"{sd:.4f}"
            cells[label][name] = f"{values.mean(skipna=False):.4f} ({spread})"
    return pd.DataFrame(cells).T
