"""skgxp.save: model files that never run code on load (:mod:`skgxp._loading` reads them).

A model directory holds ``weights.safetensors`` (every tensor) and
``model.json`` (everything else: the estimator's structure and parameters,
learned scalars, history, user metadata, and SHA-256 checksums of both the
weights file and the JSON content). Classes are stored by import path and
resolved on load only against an allow-list (see :mod:`skgxp._safejson`);
nothing is unpickled.
"""

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import torch

from . import _persist_sklearn
from ._jsonio import ModelFileError, atomic_write, canonical, plain_json
from ._safejson import Unrepresentable, encode, path_of, sha256

__all__ = ["ModelFileError", "save"]

FORMAT = "skgxp-model"
FORMAT_VERSION = 1
MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.safetensors"
#: Learned attributes of a DeepGXPRegressor kept in model.json.
_FITTED = ("input_length_", "target_scale_", "target_center_", "n_features_in_",
           "construct_", "n_outputs_")
_REQUIRED_PARAMS = ("module", "criterion", "optimizer", "iterator_train", "iterator_valid",
                    "dataset")


# -- estimator trees -----------------------------------------------------------


def _regressor_params(reg, notes):
    """JSON of ``reg.get_params(deep=False)``, dropping what cannot be stored safely."""
    params = {k: v for k, v in reg.get_params(deep=False).items() if not k.startswith("_")}
    callbacks, dropped = [], []
    for item in params.pop("callbacks") or []:
        name, cb = item if isinstance(item, tuple | list) else (None, item)
        try:
            encoded = encode(cb)
        except Unrepresentable:
            label = name or (cb.__name__ if isinstance(cb, type) else type(cb).__name__)
            dropped.append(label)
            notes.append(f"callback {label!r} ({type(cb).__module__}.{type(cb).__qualname__}) "
                         "was dropped: it cannot be stored without pickle.")
            continue
        callbacks.append(encoded if name is None else {"__tuple__": [name, encoded]})
    out = {"callbacks": callbacks or None}
    for key, value in params.items():
        if any(key.startswith(f"callbacks__{name}__") for name in dropped):
            continue
        if key == "torch_load_kwargs" and not _weights_only(value):
            notes.append("parameter torch_load_kwargs was dropped (reset to None, which "
                         "loads with weights_only=True).")
            continue
        try:
            out[key] = encode(value)
        except Unrepresentable:
            if key.split("__")[0] in _REQUIRED_PARAMS:
                shown = f"a {type(value).__name__} instance" if not isinstance(
                    value, type) else f"{value.__module__}.{value.__qualname__}"
                raise TypeError(
                    f"{key} ({shown}) cannot be saved safely: give it as an allow-listed "
                    "class (e.g. module=DeepGXP with module__* parameters), or use pickle "
                    "for trusted files."
                ) from None
            notes.append(f"parameter {key} ({type(value).__name__}) was dropped (reset to "
                         "its default): it cannot be stored without pickle.")
    return out


def _weights_only(torch_load_kwargs):
    """Whether skorch would call ``torch.load`` with ``weights_only=True``."""
    return torch_load_kwargs is None or (
        isinstance(torch_load_kwargs, dict) and torch_load_kwargs.get("weights_only") is True)


def _tree(est, prefix, tensors, notes):
    from sklearn.utils.validation import check_is_fitted

    path = path_of(type(est))
    if path == "sklearn.pipeline.Pipeline":
        params = est.get_params(deep=False)
        steps = [[name, _tree(step, f"{prefix}{name}.", tensors, notes)]
                 for name, step in params.pop("steps")]
        return {"class": path, "params": {k: _encode_or_none(k, v, notes)
                                          for k, v in params.items()}, "steps": steps}
    if path == "sklearn.frozen.FrozenEstimator":
        return {"class": path, "estimator": _tree(est.estimator, f"{prefix}estimator.",
                                                  tensors, notes)}
    if path == "skgxp.PromoterEncoder":
        return {"class": path, "params": {k: encode(v) for k, v in est.get_params().items()}}
    if path == "skgxp.QuantileCalibrator":
        check_is_fitted(est)
        tensors[f"{prefix}sorted_targets_"] = torch.as_tensor(est.sorted_targets_)
        return {
            "class": path,
            "params": {"method": est.method},
            "regressor_": _tree(est.regressor_, f"{prefix}regressor_.", tensors, notes),
            "fitted": {key: encode(_plain(getattr(est, key)))
                       for key in ("target_mean_", "target_std_")},
        }
    if path in _persist_sklearn.KINDS:
        return _persist_sklearn.tree(est, path, prefix, tensors, notes,
                                     lambda sub, at: _tree(sub, at, tensors, notes))
    if path == "skgxp.DeepGXPRegressor":
        check_is_fitted(est)
        for key, value in est.module_.state_dict().items():
            tensors[f"{prefix}module_.{key}"] = value.detach().cpu().contiguous()
        fitted = {k: encode(_plain(getattr(est, k))) for k in _FITTED if hasattr(est, k)}
        return {
            "class": path,
            "params": _regressor_params(est, notes),
            "fitted": fitted,
            "restarts_": plain_json(getattr(est, "restarts_", []), notes, "restarts_"),
            "history": plain_json(list(est.history_), notes, "history"),
        }
    at = f" (at {prefix[:-1]!r})" if prefix else ""
    raise TypeError(
        f"skgxp.save supports DeepGXPRegressor, a Pipeline of PromoterEncoder and "
        f"DeepGXPRegressor, skgxp.recipes.kmer_ridge() (a Pipeline of KmerCounts, "
        f"FunctionTransformer and RidgeCV), a VotingRegressor of these, and "
        f"QuantileCalibrator around any of them; got {type(est).__name__}{at}. Use "
        f"pickle for other estimators (trusted files only)."
    )


def _plain(value):
    """Per-output arrays as tuples of floats (read back as arrays); others as they are."""
    return tuple(value.tolist()) if isinstance(value, np.ndarray) else value


def _encode_or_none(key, value, notes):
    try:
        return encode(value)
    except Unrepresentable:
        notes.append(f"parameter {key} ({type(value).__name__}) was dropped (reset to None).")
        return None


def save(estimator, directory, *, metadata=None):
    """Save a fitted model to a directory that loads without running stored code.

    Writes ``weights.safetensors`` (the network weights and other arrays) and
    ``model.json`` (format name and version, the estimator's structure and
    parameters, learned attributes, training history, ``restarts_``, your
    ``metadata`` and SHA-256 checksums of the weights file and of the JSON
    content). Classes are recorded by import path; :func:`load` accepts only
    an allow-list (skgxp's estimators, module, iterator and callbacks, the
    scikit-learn estimators listed below, skorch's callbacks, ``torch.nn``
    losses, ``torch.optim`` optimizers).
    Callbacks and optional parameters that cannot be written without pickle
    (e.g. a ``predefined_split`` holding data, a callback of your own class)
    are dropped, with a note in ``model.json`` and a warning. The optimizer
    state is not saved: use :class:`~skgxp.callbacks.TrainingCheckpoint` to
    resume training.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`DeepGXPRegressor`, a :class:`~sklearn.pipeline.Pipeline`
        of :class:`PromoterEncoder` and :class:`DeepGXPRegressor`,
        :func:`skgxp.recipes.kmer_ridge` (:class:`KmerCounts`,
        ``FunctionTransformer(skgxp.recipes._dense)`` and
        :class:`~sklearn.linear_model.RidgeCV`), a
        :class:`~sklearn.ensemble.VotingRegressor` of these, or a
        :class:`QuantileCalibrator` around any of them (also inside a
        :class:`~sklearn.frozen.FrozenEstimator`).
    directory : str or path-like
        Created if missing; existing model files in it are replaced atomically.
    metadata : dict or None, default=None
        JSON data (str keys; str, numbers, bool, None, lists, dicts) stored as
        ``model.json["metadata"]``, e.g. provenance.

    Returns
    -------
    directory : pathlib.Path
        The model directory.

    See Also
    --------
    load : Load the directory back.

    Examples
    --------
    >>> import tempfile
    >>> import skgxp
    >>> from sklearn.pipeline import make_pipeline
    >>> from skgxp.datasets import load_dream_demo
    >>> X, y = load_dream_demo(return_X_y=True)
    >>> tiny = dict(module__conv1_channels=4, module__lstm_hidden_size=4,
    ...             module__conv2_channels=4, module__fc_size=4)
    >>> model = make_pipeline(skgxp.PromoterEncoder(), skgxp.DeepGXPRegressor(
    ...     max_epochs=1, batch_size=64, verbose=0, **tiny)).fit(X[:128], y[:128])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = skgxp.save(model, d, metadata={"note": "demo"})
    ...     loaded = skgxp.load(d, device="cpu")
    ...     bool((loaded.predict(X[:5]) == model.predict(X[:5])).all())
    True
    """
    from . import __version__

    if metadata is not None:
        if not isinstance(metadata, dict):
            raise TypeError(f"metadata must be a dict or None; got {type(metadata).__name__}.")
        try:
            json.dumps(metadata, allow_nan=False)
            metadata = plain_json(metadata, None, "metadata")
        except (TypeError, ValueError) as exc:
            raise TypeError(f"metadata must be JSON data (str keys; str, finite numbers, "
                            f"bool, None, lists, dicts): {exc}") from None
    from safetensors.torch import save as st_save

    tensors, notes = {}, []
    tree = _tree(estimator, "", tensors, notes)
    weights = st_save(tensors, metadata={"format": FORMAT, "format_version": str(FORMAT_VERSION)})
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skgxp_version": __version__,
        "estimator": tree,
        "metadata": metadata,
        "notes": notes,
        "weights": {"file": WEIGHTS_FILE, "bytes": len(weights), "sha256": sha256(weights)},
    }
    doc["content_sha256"] = hashlib.sha256(canonical(doc).encode()).hexdigest()
    for note in notes:
        warnings.warn(f"skgxp.save: {note}", UserWarning, stacklevel=2)
    directory = Path(directory)
    atomic_write(directory / WEIGHTS_FILE, weights)
    # Compact: the per-batch history of a long fit is most of the file.
    atomic_write(directory / MODEL_FILE, canonical(doc).encode())
    return directory
