"""Target standardization: BHI's ``(y - 11) / std(y)``, per output for several."""

import warnings

import numpy as np


def _scale_of(y):
    scale = float(np.std(y))
    # Constant targets: keep them finite, as StandardScaler does.
    return scale if scale > 0 else 1.0


def learn_standardization(y, target_center):
    """``(center, scale)`` of float32 targets ``y`` of shape ``(n, k)``.

    Floats for one output (as BHI), arrays of shape ``(k,)`` for several.
    ``target_center`` is a number, one number per output, or ``"mean"``.
    Warns when a centre lies outside an output's training targets: the
    network then learns a large offset first (BHI's 11 suits only the DREAM
    bin scale).
    """
    k = y.shape[1]
    if isinstance(target_center, str):  # "mean", checked with the parameters
        center = y.astype(np.float64).mean(axis=0)
    else:
        center = np.asarray(target_center, dtype=np.float64).ravel()
        if center.size not in (1, k):
            raise ValueError(
                f"target_center has {center.size} values but y has {k} outputs; give "
                "one number, one per output, or 'mean'.")
        center = np.broadcast_to(center, (k,))
    low, high = y.min(axis=0), y.max(axis=0)
    outside = np.flatnonzero((center < low) | (center > high))
    if outside.size:
        j = outside[0]
        where = f" of output {j}" if k > 1 else ""
        warnings.warn(
            f"target_center={center[j]:g} lies outside the training targets{where} "
            f"({low[j]:g} to {high[j]:g}): BHI's 11 suits the DREAM bin scale; for "
            "other assays pass target_center='mean'.", UserWarning, stacklevel=4)
    if k == 1:
        return float(center[0]), _scale_of(y)
    return center.copy(), np.array([_scale_of(y[:, j]) for j in range(k)])
