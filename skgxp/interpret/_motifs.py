"""Seqlets of ISM or attribution maps, named by their best JASPAR matches (memelite's TOMTOM)."""

from numbers import Integral, Real

import numpy as np

COLUMNS = ["sequence", "seqlet", "start", "end", "bases", "importance", "rank", "motif_id",
           "motif_name", "p_value", "e_value", "strand"]


def match_motifs(maps, X, *, motifs=None, n_matches=3, threshold=0.5, window=5, flank=2,
                 max_width=20, n_jobs=None):
    """Find the high-effect stretches of maps and name their best motif matches.

    A *seqlet* is a stretch of an insert where the map is large. The rule,
    per sequence: the score of a position is the largest absolute value of
    its four cells (for ISM, the strongest substitution; for input x
    gradient, the present base's attribution); the scores are smoothed by a
    running mean over ``window`` positions; every maximal run of positions
    whose smoothed score is at least ``threshold`` times the sequence's
    largest smoothed score is a seqlet, widened by ``flank`` bases on each
    side (clipped to the insert; overlapping seqlets merged); one wider than
    ``max_width`` is cut to ``max_width`` bases centred on its highest
    smoothed score (a flat map gives no stretch worth naming). The bases of a
    seqlet, as a one-hot matrix (N uniform), are compared with every motif by
    TOMTOM (memelite's implementation, both strands), and its ``n_matches``
    most similar motifs are kept.

    Parameters
    ----------
    maps : array-like of shape (n_sequences, 4, length)
        Maps of :func:`saturation_mutagenesis` or :func:`attributions` (for a
        model of several outputs, one output's: ``effects[:, j]``).
    X : array-like of str of shape (n_sequences,)
        The sequences of the maps; position ``p`` of a map is base ``p`` of
        its sequence. A sequence longer than ``length`` is read on its first
        ``length`` bases (the encoder's default ``trim="3p"``); positions past
        the end of a shorter one are ignored.
    motifs : dict or None, default=None
        Motif id to ``(name, matrix)`` or to a matrix alone (the name is then
        the id), each matrix of shape (4, width) over A, C, G, T; None: the
        JASPAR 2024 CORE fungi motifs of
        :func:`skgxp.datasets.load_jaspar_fungi`.
    n_matches : int, default=3
        Motifs kept per seqlet, most similar first.
    threshold : float, default=0.5
        Fraction of a sequence's largest smoothed score a position needs to
        be in a seqlet, in (0, 1]. Relative: every sequence gets at least one
        seqlet, its strongest stretch; filter on ``importance`` to keep
        strong ones across sequences.
    window : int, default=5
        Width of the running mean that smooths the scores (1: none).
    flank : int, default=2
        Bases added on each side of a run.
    max_width : int, default=20
        Widest seqlet, in bases (a motif is rarely wider).
    n_jobs : int or None, default=None
        Threads of TOMTOM; None means 1, -1 all.

    Returns
    -------
    matches : pandas.DataFrame
        One row per (sequence, seqlet, match), in that order, with columns
        ``sequence`` (row of ``X``), ``seqlet`` (its number in the sequence,
        5' first), ``start`` and ``end`` (insert positions, ``end``
        excluded), ``bases`` (the seqlet's sequence), ``importance`` (mean
        unsmoothed score over the seqlet, in the map's units), ``rank`` (1 =
        the best match), ``motif_id``, ``motif_name``, ``p_value`` (TOMTOM's),
        ``e_value`` (``p_value`` times the number of motifs) and ``strand``
        (``"+"``: the motif as given matches the seqlet, ``"-"``: its reverse
        complement does).

    See Also
    --------
    saturation_mutagenesis, attributions : The maps.
    skgxp.datasets.load_jaspar_fungi : The default motifs.

    Notes
    -----
    TOMTOM's p-values use the motifs' own columns as the background
    distribution, so they depend on the motif set (memelite warns below 25
    motifs). The first call compiles memelite's numba kernels (tens of
    seconds; cached on disk after that).

    Examples
    --------
    >>> import numpy as np
    >>> from skgxp.interpret import match_motifs
    >>> seq = "A" * 40 + "GTTACCCGG" + "A" * 61      # REB1's site at 40-48
    >>> maps = np.zeros((1, 4, 110))
    >>> maps[0, :, 40:49] = -1.0                     # substituting it costs
    >>> table = match_motifs(maps, [seq])
    >>> int(table.start[0]), int(table.end[0]), table.bases[0]
    (38, 51, 'AAGTTACCCGGAA')
    >>> "REB1" in set(table["motif_name"])
    True
    """
    import pandas as pd

    maps = _check_maps(maps)
    n, _, length = maps.shape
    sequences = _check_sequences(X, n, length)
    _check_options(n_matches, threshold, window, flank, max_width)
    ids, names, matrices = _check_motifs(motifs)
    seqlets = []
    for i, seq in enumerate(sequences):
        for number, (start, end) in enumerate(
                _seqlets(maps[i, :, :len(seq)], threshold, window, flank, max_width)):
            score = np.abs(maps[i, :, start:end]).max(axis=0)
            seqlets.append((i, number, start, end, seq[start:end], float(score.mean())))
    if not seqlets:
        return pd.DataFrame({name: [] for name in COLUMNS})
    p_values, strands, targets = _tomtom([_one_hot(s[4]) for s in seqlets], matrices,
                                         min(n_matches, len(ids)), n_jobs)
    rows = []
    for seqlet, p_row, strand_row, target_row in zip(seqlets, p_values, strands, targets):
        order = np.argsort(p_row, kind="stable")
        for rank, j in enumerate(order, start=1):
            target = int(target_row[j])
            rows.append((*seqlet, rank, ids[target], names[target], float(p_row[j]),
                         float(p_row[j]) * len(ids), "-" if strand_row[j] else "+"))
    return pd.DataFrame(rows, columns=COLUMNS)


def _seqlets(map_, threshold, window, flank, max_width):
    """``(start, end)`` of each seqlet of one ``(4, L)`` map (the rule of match_motifs)."""
    length = map_.shape[1]
    if length == 0:
        return []
    score = np.abs(map_).max(axis=0)
    smoothed = np.convolve(score, np.ones(window) / window, mode="same")
    top = smoothed.max()
    if not top > 0:
        return []  # a flat map has no stretch to find
    active = np.concatenate([[False], smoothed >= threshold * top, [False]])
    edges = np.flatnonzero(np.diff(active.astype(np.int8)))
    merged = []
    for start, end in zip(edges[::2], edges[1::2]):
        start, end = max(0, start - flank), min(length, end + flank)
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out = []
    for start, end in merged:
        if end - start > max_width:  # max_width bases centred on the run's peak
            peak = start + int(smoothed[start:end].argmax())
            start = min(max(start, peak - max_width // 2), end - max_width)
            end = start + max_width
        out.append((int(start), int(end)))
    return out


def _one_hot(bases):
    """``(4, width)`` probabilities of a seqlet's bases; an N is uniform."""
    out = np.full((4, len(bases)), 0.25)
    for position, base in enumerate(bases):
        if base != "N":
            out[:, position] = 0
            out["ACGT".index(base), position] = 1
    return out


def _tomtom(queries, matrices, n_nearest, n_jobs):
    """TOMTOM's ``(p_values, strands, target indices)`` of each query's nearest motifs."""
    try:
        from memelite import tomtom
    except ImportError:
        raise ImportError("skgxp.interpret.match_motifs needs memelite; install it with "
                          "pip install 'skgxp[interpret]' (or pip install memelite).") from None
    import torch

    threads = torch.get_num_threads()
    try:
        p_values, _, _, _, strands, targets = tomtom(
            queries, matrices, n_nearest=n_nearest, n_jobs=1 if n_jobs is None else n_jobs)
    finally:
        # numba's OpenMP layer sets the process's OpenMP thread count, which is
        # torch's too: without this, torch ran on numba's count afterwards.
        torch.set_num_threads(threads)
    return p_values, strands, targets


def _check_maps(maps):
    array = np.asarray(maps, dtype=np.float64)
    if array.ndim != 3 or array.shape[1] != 4:
        hint = (" (the maps of a model of several outputs: pass one output's, "
                "effects[:, j])" if array.ndim == 4 and array.shape[2] == 4 else "")
        raise ValueError(f"maps must have shape (n_sequences, 4, length){hint}; got "
                         f"{array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError("maps has NaN or infinite values.")
    return array


def _check_sequences(X, n, length):
    """Upper-case sequences cut to ``length``; errors name ``X[i]``."""
    if isinstance(X, str):
        raise TypeError("X must be a list of sequences; got a single str; wrap it in a "
                        "list: [X].")
    sequences = list(X)
    if len(sequences) != n:
        raise ValueError(f"X has {len(sequences)} sequences but maps has {n}; give the "
                         "sequences of the maps, in their order.")
    out = []
    for i, seq in enumerate(sequences):
        if not isinstance(seq, str):
            raise TypeError(f"X[{i}] must be a str; got {type(seq).__name__}.")
        seq = seq[:length].upper()
        bad = next((p for p, base in enumerate(seq) if base not in "ACGTN"), None)
        if bad is not None:
            raise ValueError(f"X[{i}] has invalid character {seq[bad]!r} at position {bad}; "
                             "only A, C, G, T and N are allowed.")
        out.append(seq)
    return out


def _check_options(n_matches, threshold, window, flank, max_width):
    for name, value, low in (("n_matches", n_matches, 1), ("window", window, 1),
                             ("flank", flank, 0), ("max_width", max_width, 1)):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
            kind = "positive" if low else "non-negative"
            raise ValueError(f"{name} must be a {kind} int; got {value!r}.")
    if not isinstance(threshold, Real) or isinstance(threshold, bool) or not (
            0 < threshold <= 1):
        raise ValueError(f"threshold must be a number in (0, 1]; got {threshold!r}.")


def _check_motifs(motifs):
    """``(ids, names, matrices)`` of the motifs; the bundled JASPAR fungi ones for None."""
    if motifs is None:
        from ..datasets import load_jaspar_fungi

        motifs = load_jaspar_fungi()
    if not isinstance(motifs, dict) or not motifs:
        raise TypeError("motifs must be a non-empty dict of motif id to (name, matrix) or "
                        "to a matrix; see skgxp.datasets.load_jaspar_fungi.")
    ids, names, matrices = [], [], []
    for motif_id, value in motifs.items():
        name, matrix = value if isinstance(value, tuple) else (motif_id, value)
        matrix = np.asarray(matrix, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[0] != 4 or matrix.shape[1] < 1:
            raise ValueError(f"motif {motif_id!r} must be a matrix of shape (4, width) "
                             f"(rows A, C, G, T); got {matrix.shape}.")
        if not np.isfinite(matrix).all():
            raise ValueError(f"motif {motif_id!r} has NaN or infinite values.")
        ids.append(str(motif_id))
        names.append(str(name))
        matrices.append(matrix)
    return ids, names, matrices
