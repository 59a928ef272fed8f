"""Predicted effects of paired sequences: ``predict(alt) - predict(ref)``."""

import torch

from ._model import batch_rows, encode, inference, resolve_model, to_units, view_means


def variant_effects(model, ref, alt, *, encoder=None, batch_size=None):
    """Predicted effect of each variant: ``predict(alt) - predict(ref)``.

    Both sequences of a pair are predicted with the model's test-time views
    (its ``tta`` setting), in batches, as ``model.predict`` does: with the
    default ``batch_size`` the result equals ``model.predict(alt) -
    model.predict(ref)`` bitwise. A pair may be a substitution, an indel or
    any two sequences.

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
    ref : array-like of str of shape (n_pairs,)
        Reference sequences.
    alt : array-like of str of shape (n_pairs,)
        Alternative sequences, paired with ``ref`` row by row.
    encoder : PromoterEncoder or None, default=None
        Only for a regressor alone: the encoder of its construct (e.g. to
        choose ``trim``); None: ``PromoterEncoder.from_construct(
        regressor.construct_)``. A pipeline uses its own.
    batch_size : int or None, default=None
        Sequences per forward batch (each run through every test-time view);
        None: the regressor's prediction batch size.

    Returns
    -------
    effects : ndarray of shape (n_pairs,) or (n_pairs, n_outputs)
        ``alt - ref`` in the units of the training targets, of ``predict``'s
        dtype; 2-D for a model of several outputs.

    See Also
    --------
    saturation_mutagenesis : The effect of every single substitution.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skgxp import PromoterEncoder, DeepGXPRegressor
    >>> from skgxp.datasets import load_dream_demo
    >>> from skgxp.interpret import variant_effects
    >>> X, y = load_dream_demo(return_X_y=True)
    >>> tiny = dict(module__conv1_channels=4, module__lstm_hidden_size=4,
    ...             module__conv2_channels=4, module__fc_size=4)
    >>> model = make_pipeline(PromoterEncoder(),
    ...                       DeepGXPRegressor(max_epochs=1, verbose=0, **tiny))
    >>> model = model.fit(X[:256], y[:256])
    >>> ref = [X[0], X[1]]
    >>> alt = [X[0][:50] + "T" + X[0][51:], X[1][:-5]]   # an SNV, a deletion
    >>> effects = variant_effects(model, ref, alt)
    >>> effects.shape
    (2,)
    >>> bool((effects == model.predict(alt) - model.predict(ref)).all())
    True
    """
    encoder, regressor = resolve_model(model, encoder)
    ref_codes = encode(encoder, regressor, ref, "ref")
    alt_codes = encode(encoder, regressor, alt, "alt")
    if len(ref_codes) != len(alt_codes):
        raise ValueError(f"ref and alt must have the same number of sequences; got "
                         f"{len(ref_codes)} and {len(alt_codes)}.")
    rows = batch_rows(regressor, batch_size, len(ref_codes))
    # Each side in its own batches from row 0, as predict batches it.
    return _predict(regressor, alt_codes, rows) - _predict(regressor, ref_codes, rows)


def _predict(regressor, codes, rows):
    """``predict`` of codes, by the regressor's own views and batches of ``rows``."""
    out = []
    with inference(regressor):
        for start in range(0, len(codes), rows):
            out.append(view_means(regressor, torch.as_tensor(codes[start:start + rows])))
    return to_units(regressor, torch.cat(out).cpu().numpy())
