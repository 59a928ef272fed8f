"""Loaders for the DREAM 2022 data bundled with skgxp."""

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

_DESCR = """DREAM 2022 Random Promoter Challenge, demo training set
------------------------------------------------------
6,370 yeast promoter sequences (17-bp 5' constant + ~80 random bp + 13-bp 3'
constant; 87-135 bp) with their measured expression (mean sort bin, 0-17), from
the challenge's data/demo_train.txt. Shares no sequence with the test set.

Source: de-Boer-Lab/random-promoter-dream-challenge-2022 (MIT License,
Copyright 2024 de Boer lab). Cite Rafi et al., Nat Biotechnol 2025.
"""


def _read_bundled(name, **kwargs):
    path = resources.files("skgxp.datasets") / "data" / name
    with resources.as_file(path) as file:
        return pd.read_csv(file, sep="\t", compression="gzip", **kwargs)


def load_dream_demo(*, return_X_y=False, as_frame=False):
    """Load the DREAM 2022 demo training set (6,370 promoters).

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        Give ``X`` as a pandas Series and ``y`` as a Series (and the Bunch a
        ``frame``).

    Returns
    -------
    data : sklearn.utils.Bunch
        ``data`` (sequences, 1-D array of str), ``target`` (expression,
        float64), ``frame`` (DataFrame or None), ``DESCR``.
    (X, y) : tuple
        With ``return_X_y=True``.

    Examples
    --------
    >>> from skgxp.datasets import load_dream_demo
    >>> X, y = load_dream_demo(return_X_y=True)
    >>> X.shape, y.shape
    ((6370,), (6370,))
    """
    frame = _read_bundled("dream2022_demo_train.tsv.gz", dtype={"sequence": object})
    if as_frame:
        X, y = frame["sequence"], frame["expression"]
    else:
        X = frame["sequence"].to_numpy(dtype=object)
        y = frame["expression"].to_numpy(dtype=np.float64)
    if return_X_y:
        return X, y
    return Bunch(data=X, target=y, frame=frame if as_frame else None, DESCR=_DESCR)


def load_public_leaderboard():
    """Official DREAM 2022 test labels of the public leaderboard (8,570 rows).

    Returns
    -------
    labels : pandas.DataFrame
        Columns ``index`` (row of the official test file), ``subset``
        (comma-separated subsets: random, challenging, high_exp, low_exp,
        yeast, motif_perturbation, motif_tiling, SNVs), ``sequence``,
        ``expression`` (MAUDE estimate, the challenge's ground truth) and
        ``seq_source`` (how the sequence was joined to its index).

    Notes
    -----
    The labels are on the MAUDE scale (about -1.4 to 1.7), not the 0-17 bin
    scale of the training data; compare with correlations, as the challenge
    did (see :func:`skgxp.metrics.dream_score`).

    Examples
    --------
    >>> from skgxp.datasets import load_public_leaderboard
    >>> load_public_leaderboard().shape
    (8570, 5)
    """
    return _read_bundled("public_leaderboard.tsv.gz", dtype={"sequence": object})


def load_public_leaderboard_pairs():
    """Paired public-leaderboard sequences scored on alt - ref differences.

    Returns
    -------
    pairs : pandas.DataFrame
        Columns ``index_ref``, ``index_alt``, ``subset`` (SNVs,
        motif_perturbation or motif_tiling), ``seq_ref``, ``seq_alt``,
        ``expr_ref``, ``expr_alt``, ``seq_source_ref``, ``seq_source_alt``;
        4,964 pairs.

    Examples
    --------
    >>> from skgxp.datasets import load_public_leaderboard_pairs
    >>> load_public_leaderboard_pairs()["subset"].value_counts()["SNVs"]
    np.int64(4373)
    """
    return _read_bundled(
        "public_leaderboard_pairs.tsv.gz", dtype={"seq_ref": object, "seq_alt": object}
    )
