"""Gradient attributions (captum) of a model's prediction to the bases of each insert.

The function differentiated is the one ``predict`` computes: the mean over
the model's test-time views of the network's output, in the units of ``y``,
written as a function of the insert's one-hot matrix (the vector flanks held
fixed). Each view is a window of that matrix (a shift, and for the reverse
strand a flip of channels and positions), so autograd maps each view's
gradient back onto the insert's positions and averages them: the reverse
strand's gradient arrives on the forward strand complemented and reversed.
"""

from numbers import Integral

import numpy as np
import torch

from .. import _views
from .._constructs import VECTOR_BIT
from .._device import explain_oom
from ._model import batch_rows, encode, resolve_model

METHODS = ("saliency", "input_x_gradient", "integrated_gradients")


def attributions(model, X, method="saliency", *, baseline=None, n_steps=50, target=None,
                 encoder=None, batch_size=None):
    """Gradient attributions of the prediction to each base of each insert.

    The prediction differentiated is ``predict``'s: the mean of the network's
    outputs over the model's test-time views (its ``tta``), in the units of
    the training targets, as a function of the insert's one-hot matrix (A,
    C, G, T rows; the vector flanks held fixed). Each view's gradient with
    respect to its one-hot window is thereby mapped back onto the insert's
    positions (a shifted view covers one or two bases less), the reverse
    strand's flipped back onto the forward strand (channels complemented,
    positions reversed), and the views averaged. Computed with captum.

    Parameters
    ----------
    model : Pipeline or DeepGXPRegressor
        A fitted ``Pipeline(PromoterEncoder(), DeepGXPRegressor())`` (as
        :func:`skgxp.load` returns it, also inside a
        :class:`~sklearn.frozen.FrozenEstimator`), or a fitted
        :class:`~skgxp.DeepGXPRegressor` trained on
        :class:`~skgxp.PromoterEncoder` codes.
    X : array-like of str of shape (n_sequences,)
        The sequences.
    method : {"saliency", "input_x_gradient", "integrated_gradients"}, default="saliency"
        ``"saliency"``: the signed gradient ``d prediction / d x[b, p]`` at
        every cell (captum's ``Saliency`` with ``abs=False``).
        ``"input_x_gradient"``: gradient times input, so only the base
        present at a position is non-zero. ``"integrated_gradients"``: the
        path integral of the gradient from ``baseline`` to the sequence,
        times ``x - baseline`` (captum's Gauss-Legendre rule); the cells of a
        sequence sum to about ``prediction(x) - prediction(baseline)``.
    baseline : None, "uniform" or array-like of shape (4, length) or (n, 4, length), default=None
        Only for ``"integrated_gradients"``: the insert one-hot the path
        starts from. None: all zeros, an insert of N (the flanks kept), so
        the attributions sum to ``predict(x) - predict(["N" * length])``.
        ``"uniform"``: 0.25 for every base. An array: one baseline for all
        sequences, or one per sequence (``n`` = n_sequences).
    n_steps : int, default=50
        Only for ``"integrated_gradients"``: points of the path integral.
    target : int or None, default=None
        The output to attribute, for a model of several outputs (required
        there); None for a model of one.
    encoder : PromoterEncoder or None, default=None
        Only for a regressor alone: the encoder of its construct (e.g. to
        choose ``trim``); None: ``PromoterEncoder.from_construct(
        regressor.construct_)``. A pipeline uses its own.
    batch_size : int or None, default=None
        Sequences per forward and backward batch (each run through every
        test-time view; for integrated gradients, path points); None: the
        regressor's prediction batch size.

    Returns
    -------
    maps : ndarray of shape (n_sequences, 4, length), dtype float32
        ``maps[i, b, p]``: the attribution of base ``b`` (A, C, G, T) at
        insert position ``p`` (0 = the insert's 5' end), in the units of the
        training targets (per unit of one-hot for saliency). Exactly 0 at
        positions past the end of a shorter insert (vector bases, not part
        of the insert). An N is an all-zero column: its saliency is the
        gradient there (the sensitivity to adding a base), its input x
        gradient is 0, and so are its integrated gradients from the default
        baseline (the path does not move there).

    See Also
    --------
    saturation_mutagenesis : Effects of actual substitutions, not gradients.
    plot_logo : Draw one map as a sequence logo.

    Notes
    -----
    The network runs in float32 here even where ``predict`` uses bfloat16
    autocast (``precision`` on CUDA): bfloat16 gradients are too coarse to
    be attributions. On CUDA, cuDNN's LSTM refuses a backward pass in
    evaluation mode, so cuDNN is switched off for the call (torch's own LSTM
    kernels run instead; dropout stays off, as in ``predict``). Saliency
    maps are often shown "gradient-corrected", ``maps - maps.mean(axis=1,
    keepdims=True)`` (Majdandzic et al., 2023).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from skgxp import PromoterEncoder, DeepGXPRegressor
    >>> from skgxp.datasets import load_dream_demo
    >>> from skgxp.interpret import attributions
    >>> X, y = load_dream_demo(return_X_y=True)
    >>> tiny = dict(module__conv1_channels=4, module__lstm_hidden_size=4,
    ...             module__conv2_channels=4, module__fc_size=4)
    >>> model = make_pipeline(PromoterEncoder(),
    ...                       DeepGXPRegressor(max_epochs=1, verbose=0, **tiny))
    >>> model = model.fit(X[:256], y[:256])
    >>> maps = attributions(model, X[:2], "integrated_gradients", n_steps=100)
    >>> maps.shape
    (2, 4, 110)
    >>> gap = model.predict(X[:2]) - model.predict(["N" * 110])
    >>> bool(np.allclose(maps.sum(axis=(1, 2)), gap, rtol=0.01, atol=1e-5))
    True
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got "
                         f"{method!r}.")
    if method != "integrated_gradients" and baseline is not None:
        raise ValueError(f"baseline is for method='integrated_gradients'; got "
                         f"method={method!r}.")
    if not isinstance(n_steps, Integral) or isinstance(n_steps, bool) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive int; got {n_steps!r}.")
    encoder, regressor = resolve_model(model, encoder)
    target = _check_target(regressor, target)
    codes = encode(encoder, regressor, X, "X")
    construct = regressor.construct_
    offset, length = construct.context_5p, construct.length
    n = len(codes)
    baseline = _check_baseline(baseline, n, length) if (
        method == "integrated_gradients") else None
    rows = batch_rows(regressor, batch_size, n)
    # Integrated gradients runs n_steps path points per sequence.
    block = max(1, rows // n_steps) if method == "integrated_gradients" else rows
    attribute = _attribute_function(method, _ViewMean(regressor, target, offset),
                                    n_steps, rows)
    out = np.zeros((n, 4, length), dtype=np.float32)
    if n == 0:
        return out
    regressor._set_training(False)  # dropout off, as predict
    # cuDNN's RNN backward needs training mode (pytorch/pytorch#5878, captum#328):
    # without cuDNN, torch's LSTM differentiates in evaluation mode.
    with torch.backends.cudnn.flags(enabled=False), explain_oom(regressor):
        for start in range(0, n, block):
            batch = torch.as_tensor(codes[start:start + block]).to(regressor.device)
            onehot = _views.one_hot(batch)
            left, right = onehot[:, :, :offset], onehot[:, :, offset + length:]
            x = onehot[:, :, offset:offset + length].contiguous().requires_grad_()
            # Columns past the end of a shorter insert hold vector bases.
            inside = (batch[:, None, offset:offset + length] < VECTOR_BIT).float()
            base = None
            if baseline is not None:
                base = torch.as_tensor(baseline[start:start + block]).to(x.device)
                base = inside * base + (1 - inside) * x  # the vector stays on the path
            maps = attribute(x, (left, right), base)
            out[start:start + len(batch)] = (maps.detach() * inside).cpu().numpy()
    return out


class _ViewMean:
    """``predict`` of one output in y's units, as a function of the insert one-hot."""

    def __init__(self, regressor, target, offset):
        self.regressor, self.target, self.offset = regressor, target, offset
        k = regressor.n_outputs_
        self.scale = float(np.broadcast_to(regressor.target_scale_, (k,))[target])
        self.center = float(np.broadcast_to(regressor.target_center_, (k,))[target])

    def __call__(self, inserts, left, right):
        regressor = self.regressor
        full = torch.cat([left, inserts, right], dim=2)
        windows = shifted_onehot_windows(full, regressor.input_length_, regressor._shifts(),
                                         self.offset)
        if regressor._both_strands():
            windows = torch.cat([windows, _views.reverse_complement(windows)])
        out = regressor._forward(windows).float()  # float32: no autocast here
        mean = out.reshape(-1, len(inserts), out.shape[-1]).mean(0)[:, self.target]
        return mean * self.scale + self.center


def shifted_onehot_windows(onehot, length, shifts, offset):
    """``_views.shifted_windows`` on one-hot rows ``(B, 4, W)``: ``(len(shifts) * B, 4, length)``.

    Columns outside the row are all-zero (vector N), as ``gather_windows`` fills them.
    """
    width = onehot.shape[2]
    views = []
    for shift in shifts:
        cols = torch.arange(offset + shift, offset + shift + length, device=onehot.device)
        inside = ((cols >= 0) & (cols < width)).to(onehot.dtype)
        views.append(onehot.index_select(2, cols.clamp(0, width - 1)) * inside)
    return torch.cat(views)


def _attribute_function(method, forward, n_steps, rows):
    """``f(x, (left, right), baseline) -> maps`` for the captum method."""
    try:
        from captum.attr import InputXGradient, IntegratedGradients, Saliency
    except ImportError:
        raise ImportError("skgxp.interpret.attributions needs captum; install it with "
                          "pip install 'skgxp[interpret]' (or pip install captum).") from None
    if method == "saliency":
        saliency = Saliency(forward)
        return lambda x, flanks, _: saliency.attribute(x, abs=False,
                                                       additional_forward_args=flanks)
    if method == "input_x_gradient":
        ixg = InputXGradient(forward)
        return lambda x, flanks, _: ixg.attribute(x, additional_forward_args=flanks)
    ig = IntegratedGradients(forward)
    return lambda x, flanks, base: ig.attribute(
        x, baselines=base, additional_forward_args=flanks, n_steps=n_steps,
        internal_batch_size=max(rows, len(x)))


def _check_target(regressor, target):
    """The output index to attribute; required for a model of several outputs."""
    k = regressor.n_outputs_
    if target is None:
        if k > 1:
            raise ValueError(f"This model predicts {k} outputs; choose the one to "
                             f"attribute with target= (0 to {k - 1}).")
        return 0
    if not isinstance(target, Integral) or isinstance(target, bool) or not 0 <= target < k:
        raise ValueError(f"target must be an int from 0 to {k - 1} (the model predicts "
                         f"{k} output{'s' if k > 1 else ''}); got {target!r}.")
    return int(target)


def _check_baseline(baseline, n, length):
    """The baseline as float32 ``(n, 4, length)``."""
    if baseline is None:
        return np.zeros((n, 4, length), dtype=np.float32)
    if isinstance(baseline, str):
        if baseline != "uniform":
            raise ValueError(f"baseline must be None, 'uniform' or an array; got "
                             f"{baseline!r}.")
        return np.full((n, 4, length), 0.25, dtype=np.float32)
    array = np.asarray(baseline, dtype=np.float32)
    if array.shape not in ((4, length), (n, 4, length)):
        raise ValueError(f"baseline must have shape (4, {length}) or ({n}, 4, {length}) "
                         f"(bases x insert positions); got {array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError("baseline has NaN or infinite values.")
    return np.broadcast_to(array, (n, 4, length)).copy()
