"""In-silico saturation mutagenesis: the predicted effect of every single substitution.

The mutants are made on the device from the uint8 codes (one gather and one
scatter per group of sequences, no Python loop per mutant) and streamed
through the regressor's own test-time views in full batches.
"""

import numpy as np
import torch

from .._constructs import VECTOR_BIT
from ._model import batch_rows, encode, inference, resolve_model, to_units, view_means

#: Mutants made at once: about this many forward batches (the gather is cheap,
#: and on CUDA each group costs one synchronisation for its mutant count).
_GROUP_BATCHES = 16


def saturation_mutagenesis(model, X, *, encoder=None, batch_size=None):
    """Predicted effect of every single-base substitution of each insert.

    For each sequence, every base of its insert (as the model sees it: at
    most the construct's ``length`` bases, trimmed by the encoder's ``trim``
    rule) is replaced by each of the other three bases, and the mutant is
    predicted with the model's test-time views, as ``predict`` does. A cell
    is ``predict(mutant) - predict(reference)``. The 3 mutants per base are
    built on the model's device from the codes and run in full batches.

    Parameters
    ----------
    model : Pipeline or DeepGXPRegressor
        A fitted ``Pipeline(PromoterEncoder(), DeepGXPRegressor())`` (as
        :func:`skgxp.load` returns it, also inside a
        :class:`~sklearn.frozen.FrozenEstimator`), or a fitted
        :class:`~skgxp.DeepGXPRegressor` trained on
        :class:`~skgxp.PromoterEncoder` codes. A
        :class:`~skgxp.QuantileCalibrator` is refused (pass its
        ``regressor_``): effects are in the units of the regressor's targets.
    X : array-like of str of shape (n_sequences,)
        The reference sequences.
    encoder : PromoterEncoder or None, default=None
        Only for a regressor alone: the encoder of its construct (e.g. to
        choose ``trim``); None: ``PromoterEncoder.from_construct(
        regressor.construct_)``. A pipeline uses its own.
    batch_size : int or None, default=None
        Forward sequences (mutants) per batch, each run through every
        test-time view; None: the regressor's prediction batch size.

    Returns
    -------
    effects : ndarray of shape (n_sequences, 4, length) or (n_sequences, n_outputs, 4, length)
        ``effects[i, b, p]``: the predicted effect of base ``b`` (A, C, G, T)
        at insert position ``p`` (0 = the insert's 5' end) of sequence ``i``,
        in the units of the training targets, of ``predict``'s dtype.
        ``length`` is the construct's insert length. Exactly 0 at the
        reference base and at positions past the end of a shorter insert.
        An ``N`` of the insert has no base to keep: its four cells are the
        effects of A, C, G and T in its place. Substitutions by N are not
        made. A model of several outputs gives one ``(4, length)`` map per
        output, ``effects[i, j]`` for output ``j``.

    See Also
    --------
    variant_effects : Effects of given pairs of sequences.

    Notes
    -----
    The effects are not centred: ``effects - effects.mean(axis=-2,
    keepdims=True)`` gives tangermeme's per-position mean-centred values.
    The work is that of ``predict`` on ``3 * length + 1`` sequences per input
    sequence (its mutants and itself).

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skgxp import PromoterEncoder, DeepGXPRegressor
    >>> from skgxp.datasets import load_dream_demo
    >>> from skgxp.interpret import saturation_mutagenesis
    >>> X, y = load_dream_demo(return_X_y=True)
    >>> tiny = dict(module__conv1_channels=4, module__lstm_hidden_size=4,
    ...             module__conv2_channels=4, module__fc_size=4)
    >>> model = make_pipeline(PromoterEncoder(),
    ...                       DeepGXPRegressor(max_epochs=1, verbose=0, **tiny))
    >>> model = model.fit(X[:256], y[:256])
    >>> effects = saturation_mutagenesis(model, [X[0], "ACGT" * 20])
    >>> effects.shape
    (2, 4, 110)
    >>> mutant = X[0][:7] + "A" + X[0][8:]       # X[0] has a T at position 7
    >>> bool(abs(effects[0, 0, 7] - (model.predict([mutant]) - model.predict([X[0]]))[0])
    ...      < 2e-6)
    True
    >>> float(abs(effects[1, :, 80:]).max())     # past the end of the 80-bp insert
    0.0
    """
    encoder, regressor = resolve_model(model, encoder)
    codes = encode(encoder, regressor, X, "X")
    construct = regressor.construct_
    offset, length = construct.context_5p, construct.length
    n, k = len(codes), regressor.n_outputs_
    rows = batch_rows(regressor, batch_size, n)
    # Rows of `standardized`: the 4 * length cells of each sequence, then the
    # references (one row each).
    cells = n * 4 * length
    device = torch.device(regressor.device)
    codes_on_device = torch.as_tensor(codes).to(device)
    standardized = torch.zeros(cells + n, k, device=device)
    group = max(1, _GROUP_BATCHES * rows // (3 * length + 1))
    pieces = _forward_rows(codes_on_device, offset, length, group, cells)
    with inference(regressor):
        for batch, targets in _full_batches(pieces, rows):
            standardized[targets] = view_means(regressor, batch)
    predictions = to_units(regressor, standardized.cpu().numpy()).reshape(cells + n, k)
    reference = predictions[cells:]
    effects = predictions[:cells].reshape(n, 4, length, k) - reference[:, None, None, :]
    effects[~_substituted(codes[:, offset:offset + length])] = 0
    effects = np.ascontiguousarray(np.moveaxis(effects, -1, 1))
    return effects[:, 0] if k == 1 else effects


def _substituted(inserts):
    """``(n, 4, length)``: whether the base (channel) at a position is a substitution.

    Insert codes are below ``VECTOR_BIT`` (A C G T N = 0-4): every base but
    the reference one, and all four at an N; vector columns past the end of
    a shorter insert are never mutated.
    """
    module = torch if isinstance(inserts, torch.Tensor) else np
    bases = module.arange(4)
    if module is torch:
        bases = bases.to(device=inserts.device, dtype=inserts.dtype)
    return (inserts < VECTOR_BIT)[:, None, :] & (inserts[:, None, :] != bases[None, :, None])


def _forward_rows(codes, offset, length, group, cells):
    """Codes to predict and their rows of the output, ``group`` sequences at a time.

    For each group: its reference rows (output rows ``cells + i``), then all
    its mutants (output rows ``(i * 4 + base) * length + position``).
    """
    n = len(codes)
    for start in range(0, n, group):
        block = codes[start:start + group]
        index = torch.arange(start, start + len(block), device=codes.device)
        yield block, cells + index
        row, base, position = _substituted(block[:, offset:offset + length]).nonzero(
            as_tuple=True)
        mutants = block[row]
        mutants[torch.arange(len(row), device=codes.device), offset + position] = (
            base.to(codes.dtype))
        yield mutants, ((start + row) * 4 + base) * length + position


def _full_batches(pieces, size):
    """``(codes, rows)`` pieces regrouped into batches of ``size`` (the last may be short)."""
    pending, count = [], 0
    for piece in pieces:
        pending.append(piece)
        count += len(piece[0])
        if count < size:
            continue
        codes = torch.cat([codes for codes, _ in pending])
        targets = torch.cat([targets for _, targets in pending])
        full = count - count % size
        for start in range(0, full, size):
            yield codes[start:start + size], targets[start:start + size]
        pending, count = [(codes[full:], targets[full:])], count - full
    if count:
        yield (torch.cat([codes for codes, _ in pending]),
               torch.cat([targets for _, targets in pending]))
