"""The encoder and regressor behind a model, and its predictions on codes in batches.

Shared by every function of :mod:`skgxp.interpret`: they resolve the model
once, encode strings with the model's own encoder, and run the regressor's
own test-time views (``DeepGXPRegressor._view_predictions``) on batches of
codes, so that what they compute is what ``predict`` would give.
"""

import contextlib
import re
from numbers import Integral

import torch

_NEEDS = ("a fitted Pipeline(PromoterEncoder(), DeepGXPRegressor()) or a fitted "
          "DeepGXPRegressor trained on PromoterEncoder codes")


def resolve_model(model, encoder=None):
    """``(encoder, regressor)`` of ``model``, or an error saying what is wrong.

    ``model`` is a fitted two-step pipeline of :class:`~skgxp.PromoterEncoder`
    and :class:`~skgxp.DeepGXPRegressor` (a ``FrozenEstimator`` of one too),
    or a fitted regressor alone, whose encoder is ``encoder`` or, by default,
    ``PromoterEncoder.from_construct(regressor.construct_)``.
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    from .._calibrator import QuantileCalibrator
    from .._encoder import PromoterEncoder
    from .._regressor import DeepGXPRegressor

    if isinstance(model, FrozenEstimator):  # predicts as the model inside it
        model = model.estimator
    if isinstance(model, QuantileCalibrator):
        raise TypeError(
            "skgxp.interpret predicts effects in the units of the regressor's targets, "
            "not of a QuantileCalibrator's quantiles; pass the model inside it: "
            "model.regressor_.")
    if isinstance(model, Pipeline):
        steps = [step for _, step in model.steps]
        if len(steps) != 2 or not isinstance(steps[0], PromoterEncoder) or not isinstance(
                steps[1], DeepGXPRegressor):
            names = ", ".join(type(step).__name__ for step in steps)
            raise TypeError(f"skgxp.interpret needs {_NEEDS}; got a Pipeline of {names}.")
        if encoder is not None:
            raise ValueError("encoder= is for a DeepGXPRegressor alone; this Pipeline "
                             "encodes with its own PromoterEncoder.")
        encoder, regressor = steps
    elif isinstance(model, DeepGXPRegressor):
        regressor = model
    else:
        raise TypeError(f"skgxp.interpret needs {_NEEDS}; got a {type(model).__name__}.")
    check_is_fitted(regressor, msg="This %(name)s is not fitted yet; fit it before "
                    "interpreting it with skgxp.interpret.")
    regressor._check_params()
    construct = regressor.construct_
    if construct is None:
        raise ValueError(
            f"This DeepGXPRegressor was fitted on one-hot input; skgxp.interpret needs "
            f"{_NEEDS} (mutants and test-time shifts are made from the codes).")
    if encoder is None:
        return PromoterEncoder.from_construct(construct), regressor
    if not isinstance(encoder, PromoterEncoder) or encoder.output != "codes":
        raise TypeError("encoder must be a PromoterEncoder with output='codes'; got "
                        f"{encoder!r}.")
    difference = encoder.get_construct().difference(construct)
    if difference is not None:
        raise ValueError(
            f"encoder encodes for a {encoder.get_construct().describe()}, but the "
            f"regressor was fitted for a {construct.describe()} ({difference}); use "
            "PromoterEncoder.from_construct(regressor.construct_).")
    return encoder, regressor


def encode(encoder, regressor, X, name):
    """Checked codes of the sequences ``X``; errors about ``X[i]`` name ``name[i]``."""
    try:
        codes = encoder.transform(X)
    except (TypeError, ValueError) as exc:
        # The encoder's messages say X (and [X]); here the argument has a name.
        raise type(exc)(re.sub(r"^X\b|(?<=\[)X(?=\])", name, str(exc))) from None
    return regressor._check_X(codes, reset=False)


def batch_rows(regressor, batch_size, n):
    """Sequences per forward batch: ``batch_size``, by default the one ``predict`` uses."""
    if batch_size is None:
        # skorch's rule for prediction batches: iterator_valid__batch_size, then
        # batch_size, -1 for all rows at once.
        batch_size = regressor.get_params_for("iterator_valid").get(
            "batch_size", regressor.batch_size)
        return n if batch_size == -1 else int(batch_size)
    if not isinstance(batch_size, Integral) or isinstance(batch_size, bool) or (
            batch_size < 1):
        raise ValueError(f"batch_size must be a positive int or None; got {batch_size!r}.")
    return int(batch_size)


@contextlib.contextmanager
def inference(regressor):
    """Evaluation mode without gradients, as ``predict`` runs the network."""
    from .._device import explain_oom

    regressor._set_training(False)
    with torch.no_grad(), explain_oom(regressor):
        yield


def view_means(regressor, codes):
    """Mean of the test-time views of a batch of codes, standardized: ``(B, outputs)``."""
    return regressor._view_predictions(codes).mean(0)


def to_units(regressor, standardized):
    """Standardized predictions ``(n, outputs)`` in the units of ``y``, as ``predict``.

    The same expression as :meth:`DeepGXPRegressor.predict`, so equal inputs
    give bitwise equal predictions (float32 for one output: 1-D).
    """
    if regressor.n_outputs_ == 1:
        return standardized.ravel() * regressor.target_scale_ + regressor.target_center_
    return standardized * regressor.target_scale_ + regressor.target_center_
