"""Loaders for the bundled non-yeast samples (human lentiMPRA, Drosophila STARR-seq)."""

import numpy as np
from sklearn.utils import Bunch

from ._bundled import _read_bundled

_SPLITS = ("train", "valid", "test")

_HUMAN_DESCR = """Human lentiMPRA sample (DREAM 2022 benchmarks)
----------------------------------------------
1,000 sequences per split from the human lentiMPRA of Agarwal et al. Every
sequence is 230 bp: the 15-bp 5' adapter AGGACCGGATCAACT, the 200-bp element,
and the 15-bp 3' adapter CATTGCGTGAACCGA. Each element was tested in both
orientations; ids ending in ``_Reversed:`` are the reverse orientation (``_F``
forward; two valid-split ids end in ``_shuffled_0``). The target
``mean_value`` is the measured activity, log2(RNA/DNA) (about -5 to 5);
``fold`` is the source's cross-validation fold (0-9).

The three splits are independent samples of one pool, not a held-out design:
they share some rows (12 train/valid, 26 train/test, 23 valid/test). Use them
for pipeline tests, not for benchmarking.

Source: de-Boer-Lab/random-promoter-dream-challenge-2022, commit f7b2e19,
benchmarks/human/data/sample_{train,valid,test}.txt (MIT License, Copyright
2024 de Boer lab). Cite Agarwal et al., Nature 2025 (bioRxiv 2023,
10.1101/2023.03.05.531189) and Rafi et al., Nat Biotechnol 2025.
"""

_DROSOPHILA_DESCR = """Drosophila STARR-seq sample (DREAM 2022 benchmarks)
---------------------------------------------------
1,000 sequences per split from the DeepSTARR data of de Almeida et al.
(Drosophila S2 cells). Every sequence is 249 bp of genome (``seqnames``,
``start``, ``end``, both ends included). Two targets: ``Dev_log2_enrichment``
(developmental promoter) and ``Hk_log2_enrichment`` (housekeeping promoter),
log2 STARR-seq enrichment (about -5 to 8). The source's ``set`` column reads
"Train" in all three files.

The three splits are independent samples of one pool, not a held-out design:
they share some rows (10 train/valid, 12 train/test, 9 valid/test). Use them
for pipeline tests, not for benchmarking. The "valid" split is the source's
sample_val.txt.

Source: de-Boer-Lab/random-promoter-dream-challenge-2022, commit f7b2e19,
benchmarks/drosophila/data/sample_{train,val,test}.txt (MIT License,
Copyright 2024 de Boer lab). Cite de Almeida et al., Nat Genet 2022
(10.1038/s41588-022-01048-5) and Rafi et al., Nat Biotechnol 2025.
"""


def _check_split(split):
    if not isinstance(split, str) or split not in _SPLITS:
        raise ValueError(f"split must be one of 'train', 'valid', 'test'; got {split!r}.")


def _load(name, sequence, id_column, targets, descr, return_X_y, as_frame):
    frame = _read_bundled(name, dtype={sequence: object, id_column: object})
    # One target column gives a 1-D y, as in load_dream_demo; several give 2-D.
    target_cols = targets[0] if len(targets) == 1 else list(targets)
    if as_frame:
        X, y, ids = frame[sequence], frame[target_cols], frame[id_column]
    else:
        X = frame[sequence].to_numpy(dtype=object)
        y = frame[target_cols].to_numpy(dtype=np.float64)
        ids = frame[id_column].to_numpy(dtype=object)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        target_names=list(targets),
        frame=frame if as_frame else None,
        ids=ids,
        DESCR=descr,
    )


def load_human_mpra_sample(split="train", *, return_X_y=False, as_frame=False):
    """Load a 1,000-sequence sample of the human lentiMPRA (Agarwal et al.).

    Sequences are 230 bp: a 15-bp 5' adapter, the 200-bp element and a 15-bp
    3' adapter; the target is the activity, log2(RNA/DNA). See ``DESCR``.

    Parameters
    ----------
    split : {"train", "valid", "test"}, default="train"
        Which sample file to load. The splits share a few rows; they are for
        pipeline tests, not for benchmarking.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        Give ``X``, ``y`` and ``ids`` as pandas Series (and the Bunch a
        ``frame`` with all the file's columns).

    Returns
    -------
    data : sklearn.utils.Bunch
        ``data`` (sequences, 1-D object array of str), ``target`` (activity,
        float64, shape (n,)), ``target_names`` (``["mean_value"]``),
        ``frame`` (DataFrame or None), ``ids`` (the ``seq_id`` column;
        reverse-orientation ids end in ``_Reversed:``), ``DESCR``.
    (X, y) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    ValueError
        If ``split`` is not one of "train", "valid", "test".

    Examples
    --------
    >>> from skgxp.datasets import load_human_mpra_sample
    >>> X, y = load_human_mpra_sample("valid", return_X_y=True)
    >>> X.shape, y.shape, len(X[0])
    ((1000,), (1000,), 230)
    """
    _check_split(split)
    return _load(
        f"human_mpra_sample_{split}.tsv.gz",
        sequence="seq",
        id_column="seq_id",
        targets=("mean_value",),
        descr=_HUMAN_DESCR,
        return_X_y=return_X_y,
        as_frame=as_frame,
    )


def load_drosophila_starr_sample(split="train", *, return_X_y=False, as_frame=False):
    """Load a 1,000-sequence sample of the DeepSTARR data (de Almeida et al.).

    Sequences are 249 bp of the Drosophila genome with two targets,
    developmental and housekeeping log2 STARR-seq enrichment. See ``DESCR``.

    Parameters
    ----------
    split : {"train", "valid", "test"}, default="train"
        Which sample file to load; "valid" is the source's ``val`` file. The
        splits share a few rows; they are for pipeline tests, not for
        benchmarking.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        Give ``X`` and ``ids`` as pandas Series and ``y`` as a DataFrame (and
        the Bunch a ``frame`` with all the file's columns).

    Returns
    -------
    data : sklearn.utils.Bunch
        ``data`` (sequences, 1-D object array of str), ``target`` (float64,
        shape (n, 2), columns Dev then Hk), ``target_names``
        (``["Dev_log2_enrichment", "Hk_log2_enrichment"]``), ``frame``
        (DataFrame or None), ``ids`` (the ``ID`` column), ``DESCR``.
    (X, y) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    ValueError
        If ``split`` is not one of "train", "valid", "test".

    Examples
    --------
    >>> from skgxp.datasets import load_drosophila_starr_sample
    >>> X, y = load_drosophila_starr_sample(return_X_y=True)
    >>> X.shape, y.shape, len(X[0])
    ((1000,), (1000, 2), 249)
    """
    _check_split(split)
    # The source names its validation file "val"; the public name is "valid".
    file_split = "val" if split == "valid" else split
    return _load(
        f"drosophila_starr_sample_{file_split}.tsv.gz",
        sequence="Sequence",
        id_column="ID",
        targets=("Dev_log2_enrichment", "Hk_log2_enrichment"),
        descr=_DROSOPHILA_DESCR,
        return_X_y=return_X_y,
        as_frame=as_frame,
    )
