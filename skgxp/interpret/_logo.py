"""Sequence logos of ISM and attribution maps (logomaker)."""

import numpy as np


def plot_logo(maps, sequence=None, *, ax=None, center=False, ylabel="effect",
              color_scheme="classic", **logo_kwargs):
    """Draw one ``(4, length)`` map as a sequence logo.

    Each cell ``maps[b, p]`` is a letter ``b`` (A, C, G, T) at position
    ``p``, as tall as the cell's value, above the axis for positive values
    and below (flipped) for negative ones (logomaker's ``Logo``). Lives in
    :mod:`skgxp.interpret` beside the maps it draws, and needs its extra
    (``pip install "skgxp[interpret]"``); :mod:`skgxp.plotting` draws model
    evaluations and needs matplotlib only.

    Parameters
    ----------
    maps : array-like of shape (4, length)
        One sequence's map: ``effects[i]`` of :func:`saturation_mutagenesis`
        (``effects[i, j]`` for output ``j`` of a model of several) or
        ``maps[i]`` of :func:`attributions`.
    sequence : str or None, default=None
        Draw only this sequence's base at each position (the "reference
        base" logo of attributions); an N or a position past its end draws
        nothing, and a longer sequence is read on its first ``length`` bases.
        None: draw all four cells.
    ax : matplotlib.axes.Axes or None, default=None
        Where to draw; None: a new figure, sized to the map.
    center : bool, default=False
        Subtract each position's mean over the four bases first. For an ISM
        map (0 at the reference base) the reference base then stands at
        minus the mean of its three substitutions' effects, times 3/4 (the
        mean-centred ISM logo of tangermeme and others), and the other bases
        at their effects relative to that mean.
    ylabel : str, default="effect"
        Label of the vertical axis.
    color_scheme : str or dict, default="classic"
        logomaker's colours (classic: A green, C blue, G orange, T red).
    **logo_kwargs
        Passed to :class:`logomaker.Logo` (e.g. ``font_name``, ``vpad``).

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on; ``ax.figure`` is its figure.

    See Also
    --------
    saturation_mutagenesis, attributions : The maps.

    Examples
    --------
    An ISM-like map: 0 at the reference bases, every substitution costing
    0.1, those of ``TACCCG`` 0.8.

    >>> import numpy as np
    >>> from skgxp.interpret import plot_logo
    >>> seq = "ACGTTACCCGAA"
    >>> reference = np.arange(4)[:, None] == np.array(["ACGT".index(b) for b in seq])
    >>> ism = np.where(reference, 0.0, -0.1)
    >>> ism[:, 4:10] *= 8
    >>> ax = plot_logo(ism, seq, center=True)
    >>> len(ax.patches)                                  # one letter per position
    12
    >>> round(float(ax.get_ylim()[1]), 2)                # 3/4 of 0.8 at TACCCG
    0.6
    """
    import pandas as pd

    try:
        import logomaker
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("skgxp.interpret.plot_logo needs logomaker and matplotlib; "
                          "install them with pip install 'skgxp[interpret]'.") from None
    values = np.array(maps, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] != 4:
        raise ValueError(f"maps must be one map of shape (4, length) (bases A, C, G, T x "
                         f"positions; maps[i] of an array of maps); got {values.shape}.")
    if not np.isfinite(values).all():
        raise ValueError("maps has NaN or infinite values.")
    length = values.shape[1]
    if center:
        values -= values.mean(axis=0, keepdims=True)
    if sequence is not None:
        values *= _present(sequence, length)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(max(4.0, length / 8), 16.0), 2.2))
    frame = pd.DataFrame(values.T, columns=list("ACGT"))
    logomaker.Logo(frame, ax=ax, color_scheme=color_scheme, **logo_kwargs)
    ax.set_xlim(-0.5, length - 0.5)
    ax.set_xlabel("insert position")
    ax.set_ylabel(ylabel)
    return ax


def _present(sequence, length):
    """``(4, length)`` one-hot of a sequence's first ``length`` bases (N: none)."""
    if not isinstance(sequence, str):
        raise TypeError(f"sequence must be a str or None; got {type(sequence).__name__}.")
    out = np.zeros((4, length))
    for position, base in enumerate(sequence[:length].upper()):
        if base not in "ACGTN":
            raise ValueError(f"sequence has invalid character {base!r} at position "
                             f"{position}; only A, C, G, T and N are allowed.")
        if base != "N":
            out["ACGT".index(base), position] = 1
    return out
