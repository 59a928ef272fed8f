"""Values as tagged JSON, resolved on load only against an allow-list.

Classes and module-level objects are written by import path; reading accepts
only the paths below (plus the ``torch.nn`` loss and ``torch.optim`` optimizer
families), so a model file can name nothing that is not already trusted.
Plain JSON data and the file I/O are in :mod:`skgxp._jsonio`.
"""

import hashlib
import importlib
import inspect
import math
import os

import numpy as np
import torch

from ._jsonio import ModelFileError

# Loadable classes and objects, by the path written in model.json. torch.nn
# losses and torch.optim optimizers are accepted as families (see resolve).
ESTIMATORS = {
    "skgxp.DeepGXPRegressor",
    "skgxp.KmerCounts",
    "skgxp.PromoterEncoder",
    "skgxp.QuantileCalibrator",
    "sklearn.ensemble.VotingRegressor",
    "sklearn.frozen.FrozenEstimator",
    "sklearn.linear_model.RidgeCV",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing.FunctionTransformer",
}
OBJECT_CLASSES = {  # instances rebuilt as ``cls(**params)``
    "skgxp.Construct",
    "skgxp.callbacks.CosinePerBatch",
    "skgxp.callbacks.ConvergenceMonitor",
    "skgxp.callbacks.TrainingCheckpoint",
    "skorch.dataset.ValidSplit",
    *(
        f"skorch.callbacks.{name}"
        for name in (
            "BatchScoring", "Checkpoint", "EarlyStopping", "EpochScoring", "EpochTimer",
            "GradientNormClipping", "LoadInitState", "PassthroughScoring", "PrintLog",
            "ProgressBar", "TrainEndCheckpoint",
        )
    ),
}
REFERENCES = {  # classes and module-level objects used as they are
    "skgxp.DeepGXP",
    "skgxp._batching.ArrayBatchIterator",
    "skorch.dataset.Dataset",
    "skgxp.metrics.pearson_scorer",
    "skgxp.metrics.spearman_scorer",
    "skgxp.recipes._dense",
    "skorch.utils.to_numpy",
    "skorch.utils.noop",
    "builtins.print",
}


class Unrepresentable(Exception):
    """A value that cannot be written as safe JSON."""


# -- allow-listed references -------------------------------------------------


def _import(path):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _family(path):
    """Class for ``torch.nn.<Loss>`` or ``torch.optim.<Optimizer>`` paths, else None."""
    for prefix, namespace, base in (
        ("torch.nn.", torch.nn, torch.nn.modules.loss._Loss),
        ("torch.optim.", torch.optim, torch.optim.Optimizer),
    ):
        name = path[len(prefix):] if path.startswith(prefix) else ""
        if name.isidentifier():
            cls = getattr(namespace, name, None)
            if isinstance(cls, type) and issubclass(cls, base):
                return cls
    return None


def resolve(path, where, allowed, families=False):
    if isinstance(path, str):
        if path in allowed:
            return _import(path)
        cls = _family(path) if families else None
        if cls is not None:
            return cls
    raise ModelFileError(
        f"{where} names {path!r}, which is not in skgxp's allow-list of loadable "
        "classes (skgxp's estimators, modules, iterators and callbacks, the "
        "scikit-learn estimators of skgxp.save, skorch's callbacks, torch.nn losses, "
        "torch.optim optimizers); refusing to load it."
    )


def path_of(obj):
    """Allow-listed path of a class or object, or None."""
    for path in REFERENCES | OBJECT_CLASSES | ESTIMATORS:
        known = _import(path)
        if known is obj or _same_instance(known, obj):
            return path
    if isinstance(obj, type):
        for prefix in ("torch.nn.", "torch.optim."):
            if _family(prefix + obj.__name__) is obj:
                return prefix + obj.__name__
    return None


def _same_instance(known, obj):
    """Whether ``obj`` is a copy of a module-level object (clone deep-copies scorers)."""
    if isinstance(obj, type) or inspect.isroutine(obj) or type(obj) is not type(known):
        return False
    try:
        return hasattr(known, "__dict__") and bool(vars(obj) == vars(known))
    except (TypeError, ValueError):  # attributes without a plain equality
        return False


# -- values <-> JSON -----------------------------------------------------------


def encode(value):
    """Tagged JSON for parameter values; raises Unrepresentable."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: encode(v) for k, v in value.items()}}
    path = path_of(value)
    if path is not None and path not in OBJECT_CLASSES:
        return {"__ref__": path}
    path = path_of(type(value))
    if path in OBJECT_CLASSES:
        params = {}
        for name, p in inspect.signature(type(value)).parameters.items():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if not hasattr(value, name):
                raise Unrepresentable(value)
            params[name] = encode(getattr(value, name))
        return {"__object__": path, "params": params}
    raise Unrepresentable(value)


def decode(data, where):
    if isinstance(data, list):
        return [decode(v, where) for v in data]
    if not isinstance(data, dict):
        return data
    if set(data) == {"__float__"} and data["__float__"] in ("nan", "inf", "-inf"):
        return float(data["__float__"])
    if set(data) == {"__tuple__"}:
        return tuple(decode(v, where) for v in data["__tuple__"])
    if set(data) == {"__dict__"} and isinstance(data["__dict__"], dict):
        return {k: decode(v, where) for k, v in data["__dict__"].items()}
    if set(data) == {"__ref__"}:
        return resolve(data["__ref__"], where, REFERENCES, families=True)
    if set(data) == {"__object__", "params"} and isinstance(data["params"], dict):
        cls = resolve(data["__object__"], where, OBJECT_CLASSES)
        return cls(**{k: decode(v, where) for k, v in data["params"].items()})
    raise ModelFileError(f"{where} holds an unrecognised value {data!r}.")


def sha256(data):
    """Hex SHA-256 of bytes or of a contiguous array's buffer."""
    return hashlib.sha256(memoryview(data).cast("B")).hexdigest()
