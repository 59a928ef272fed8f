"""The scikit-learn estimators that skgxp.save / skgxp.load store: the
:func:`skgxp.recipes.kmer_ridge` steps and ``VotingRegressor``.

Each kind is stored as its parameters and the learned attributes that it
predicts with, by name (arrays as tensors in ``weights.safetensors``, the
rest as JSON); loading rebuilds the exact class and sets those attributes,
accepting no other names. :mod:`skgxp._persistence` recurses into the
estimators of a ``VotingRegressor`` through the ``tree`` and ``build``
functions it passes in.
"""

import numpy as np
import torch

from ._jsonio import ModelFileError
from ._safejson import Unrepresentable, decode, encode

KMER_COUNTS = "skgxp.KmerCounts"
FUNCTION_TRANSFORMER = "sklearn.preprocessing.FunctionTransformer"
RIDGE_CV = "sklearn.linear_model.RidgeCV"
VOTING = "sklearn.ensemble.VotingRegressor"
KINDS = (KMER_COUNTS, FUNCTION_TRANSFORMER, RIDGE_CV, VOTING)

#: Learned attributes stored for each kind (when the fitted estimator has them).
_FITTED = {
    KMER_COUNTS: (),  # KmerCounts learns nothing
    FUNCTION_TRANSFORMER: ("n_features_in_", "feature_names_in_"),
    RIDGE_CV: ("coef_", "intercept_", "alpha_", "best_score_", "n_features_in_",
               "feature_names_in_", "cv_results_"),
}
#: Parameters that only matter for refitting, so that one which cannot be
#: stored is dropped with a note; any other one that cannot be stored is an error.
_DROPPABLE = {RIDGE_CV: ("cv", "scoring")}
#: dtypes of stored arrays and numpy scalars (all safetensors can hold).
_DTYPES = {"bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"}


# -- values -------------------------------------------------------------------


def _put(value, key, tensors):
    """JSON for ``value``; a numeric array goes to ``tensors[key]``."""
    if isinstance(value, np.ndarray):
        if value.dtype.name in _DTYPES:
            # A copy: safetensors refuses tensors that share memory.
            tensors[key] = torch.from_numpy(np.array(value, order="C", copy=True))
            return {"__array__": None}
        if value.ndim == 1 and value.dtype == object and all(isinstance(v, str) for v in value):
            return {"__strings__": value.tolist()}  # feature names
        raise Unrepresentable(value)
    if isinstance(value, np.generic):
        if value.dtype.name not in _DTYPES:
            raise Unrepresentable(value)
        # Kept a numpy scalar (e.g. RidgeCV's intercept_): arithmetic follows its dtype.
        return {"__numpy__": value.dtype.name, "value": encode(value.item())}
    return encode(value)


def _get(data, key, tensors, take, where):
    """The value that :func:`_put` wrote as ``data`` (and ``key``)."""
    if isinstance(data, dict) and set(data) == {"__array__"}:
        return take(tensors, key).numpy()
    if isinstance(data, dict) and set(data) == {"__strings__"}:
        names = data["__strings__"]
        if not (isinstance(names, list) and all(isinstance(v, str) for v in names)):
            raise ModelFileError(f"{where}: feature names must be a list of str.")
        return np.asarray(names, dtype=object)
    if isinstance(data, dict) and set(data) == {"__numpy__", "value"}:
        if data["__numpy__"] not in _DTYPES:
            raise ModelFileError(f"{where} holds a number of unknown dtype {data!r}.")
        return np.dtype(data["__numpy__"]).type(decode(data["value"], where))
    return decode(data, where)


def _where(est, prefix):
    at = f" (at {prefix[:-1]!r})" if prefix else ""
    return f"{type(est).__name__}{at}"


def _params(est, path, prefix, tensors, notes, skip=()):
    out = {}
    for key, value in est.get_params(deep=False).items():
        if key in skip:
            continue
        try:
            out[key] = _put(value, f"{prefix}params.{key}", tensors)
        except Unrepresentable:
            shown = getattr(value, "__qualname__", None) or f"a {type(value).__name__}"
            if key not in _DROPPABLE.get(path, ()):
                raise TypeError(
                    f"parameter {key} of {_where(est, prefix)} ({shown}) cannot be saved "
                    "safely: give plain values or an allow-listed function (e.g. "
                    "skgxp.recipes._dense), or use pickle for trusted files."
                ) from None
            notes.append(f"parameter {key} of {_where(est, prefix)} ({shown}) was dropped "
                         "(reset to its default): it cannot be stored without pickle.")
    return out


def _built(cls, node, prefix, tensors, take, where, **given):
    """``cls`` with the stored parameters (and ``given`` ones), validated."""
    params = node.get("params", {})
    if not isinstance(params, dict):
        raise ModelFileError(f"{where}: parameters must be an object, got {params!r}.")
    est = cls(**given, **{key: _get(value, f"{prefix}params.{key}", tensors, take, where)
                          for key, value in params.items()})
    try:
        est._validate_params()
    except ValueError as exc:  # InvalidParameterError
        raise ModelFileError(f"{where}: invalid {cls.__name__} parameters: {exc}") from None
    return est


# -- the kinds ------------------------------------------------------------------


def tree(est, path, prefix, tensors, notes, subtree):
    """JSON node of ``est`` (of class ``path``, in ``KINDS``); ``subtree(est, prefix)``
    is the node of an estimator inside it."""
    from sklearn.utils.validation import check_is_fitted

    if path == VOTING:
        check_is_fitted(est)
        return {
            "class": path,
            "params": _params(est, path, prefix, tensors, notes, skip=("estimators",)),
            # The fitted estimators, in order, "drop" where dropped: the
            # unfitted `estimators` parameter is rebuilt as their clones.
            "estimators": [[name, sub if isinstance(sub, str)
                            else subtree(sub, f"{prefix}estimators_.{name}.")]
                           for name, sub in est.named_estimators_.items()],
        }
    if path == RIDGE_CV:
        check_is_fitted(est)
    node = {"class": path, "params": _params(est, path, prefix, tensors, notes), "fitted": {}}
    for key in _FITTED[path]:
        if hasattr(est, key):
            try:
                node["fitted"][key] = _put(getattr(est, key), f"{prefix}{key}", tensors)
            except Unrepresentable:
                raise TypeError(f"learned attribute {key} of {_where(est, prefix)} "
                                f"({type(getattr(est, key)).__name__}) cannot be saved "
                                "safely; use pickle for trusted files.") from None
    for key in sorted(vars(est)):
        if key.endswith("_") and not key.startswith("_") and key not in _FITTED[path]:
            notes.append(f"learned attribute {prefix}{key} of {type(est).__name__} was not "
                         "saved: it is not used to predict.")
    return node


def build(cls, node, prefix, tensors, where, subbuild, take):
    """The estimator of ``node``; ``subbuild(node, prefix)`` builds one inside it and
    ``take(tensors, key)`` pops a tensor."""
    path = node["class"]
    if path == VOTING:
        return _build_voting(cls, node, prefix, tensors, where, subbuild, take)
    est = _built(cls, node, prefix, tensors, take, where)
    for key, value in node["fitted"].items():
        if key not in _FITTED[path]:
            raise ModelFileError(f"{where}: unknown learned attribute {key!r} of "
                                 f"{cls.__name__}.")
        setattr(est, key, _get(value, f"{prefix}{key}", tensors, take, where))
    if path == KMER_COUNTS:
        try:
            return est.fit()  # validates k
        except ValueError as exc:
            raise ModelFileError(f"{where}: invalid KmerCounts parameters: {exc}") from None
    if path == RIDGE_CV:
        coef = getattr(est, "coef_", None)
        if coef is None or not hasattr(est, "intercept_") or (
                coef.shape[-1:] != (getattr(est, "n_features_in_", coef.shape[-1]),)):
            raise ModelFileError(f"{where}: RidgeCV needs coef_ and intercept_, with one "
                                 "coefficient per input feature.")
    return est


def _build_voting(cls, node, prefix, tensors, where, subbuild, take):
    from sklearn.base import clone
    from sklearn.utils import Bunch

    pairs = node["estimators"]
    if not (isinstance(pairs, list) and pairs and all(
            isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in pairs)):
        raise ModelFileError(f"{where}: VotingRegressor estimators must be a non-empty "
                             "list of [name, estimator] pairs.")
    named = Bunch()
    for name, sub in pairs:
        if sub != "drop":
            sub = subbuild(sub, f"{prefix}estimators_.{name}.")
        named[name] = sub
    estimators = [(name, sub if isinstance(sub, str) else clone(sub))
                  for name, sub in named.items()]
    est = _built(cls, node, prefix, tensors, take, where, estimators=estimators)
    try:
        est._validate_estimators()
    except ValueError as exc:
        raise ModelFileError(f"{where}: invalid VotingRegressor estimators: {exc}") from None
    weights = est.weights
    if weights is not None and len(weights) != len(est.estimators):
        raise ModelFileError(f"{where}: VotingRegressor has {len(weights)} weights for "
                             f"{len(est.estimators)} estimators.")
    est.estimators_ = [sub for sub in named.values() if not isinstance(sub, str)]
    est.named_estimators_ = named
    for sub in est.estimators_:  # as VotingRegressor.fit sets it
        if hasattr(sub, "feature_names_in_"):
            est.feature_names_in_ = sub.feature_names_in_
    return est
