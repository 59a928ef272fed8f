"""Model files that never run code on load, and training checkpoints.

A model directory holds ``weights.safetensors`` (every tensor) and
``model.json`` (everything else: the estimator's structure and parameters,
learned scalars, history, user metadata, and SHA-256 checksums of both the
weights file and the JSON content). Classes are stored by import path and
resolved on load only against an allow-list; nothing is unpickled.
"""

import hashlib
import importlib
import inspect
import json
import math
import os
import warnings
from pathlib import Path

import numpy as np
import torch

FORMAT = "skgxp-model"
FORMAT_VERSION = 1
MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.safetensors"
CHECKPOINT_FORMAT = "skgxp-training-checkpoint"
CHECKPOINT_VERSION = 1

# Loadable classes and objects, by the path written in model.json. torch.nn
# losses and torch.optim optimizers are accepted as families (see _resolve).
_ESTIMATORS = {
    "skgxp.DeepGXPRegressor",
    "skgxp.PromoterEncoder",
    "skgxp.QuantileCalibrator",
    "sklearn.pipeline.Pipeline",
    "sklearn.frozen.FrozenEstimator",
}
_OBJECT_CLASSES = {  # instances rebuilt as ``cls(**params)``
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
_REFERENCES = {  # classes and module-level objects used as they are
    "skgxp.DeepGXP",
    "skgxp._batching.ArrayBatchIterator",
    "skorch.dataset.Dataset",
    "skgxp.metrics.pearson_scorer",
    "skgxp.metrics.spearman_scorer",
    "skorch.utils.to_numpy",
    "skorch.utils.noop",
    "builtins.print",
}
_REQUIRED_PARAMS = ("module", "criterion", "optimizer", "iterator_train", "iterator_valid",
                    "dataset")


class ModelFileError(ValueError):
    """A model file or training checkpoint is missing, damaged or not loadable."""


class _Unrepresentable(Exception):
    pass


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


def _resolve(path, where, allowed, families=False):
    if isinstance(path, str):
        if path in allowed:
            return _import(path)
        cls = _family(path) if families else None
        if cls is not None:
            return cls
    raise ModelFileError(
        f"{where} names {path!r}, which is not in skgxp's allow-list of loadable "
        "classes (skgxp's estimators, modules, iterators and callbacks, skorch's "
        "callbacks, torch.nn losses, torch.optim optimizers); refusing to load it."
    )


def _path_of(obj):
    """Allow-listed path of a class or object, or None."""
    for path in _REFERENCES | _OBJECT_CLASSES | _ESTIMATORS:
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
    return (
        not isinstance(obj, type)
        and type(obj) is type(known)
        and hasattr(known, "__dict__")
        and vars(obj) == vars(known)
    )


# -- values <-> JSON -----------------------------------------------------------


def _encode(value):
    """Tagged JSON for parameter values; raises _Unrepresentable."""
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
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: _encode(v) for k, v in value.items()}}
    path = _path_of(value)
    if path is not None and path not in _OBJECT_CLASSES:
        return {"__ref__": path}
    path = _path_of(type(value))
    if path in _OBJECT_CLASSES:
        params = {}
        for name, p in inspect.signature(type(value)).parameters.items():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if not hasattr(value, name):
                raise _Unrepresentable(value)
            params[name] = _encode(getattr(value, name))
        return {"__object__": path, "params": params}
    raise _Unrepresentable(value)


def _decode(data, where):
    if isinstance(data, list):
        return [_decode(v, where) for v in data]
    if not isinstance(data, dict):
        return data
    if set(data) == {"__float__"} and data["__float__"] in ("nan", "inf", "-inf"):
        return float(data["__float__"])
    if set(data) == {"__tuple__"}:
        return tuple(_decode(v, where) for v in data["__tuple__"])
    if set(data) == {"__dict__"} and isinstance(data["__dict__"], dict):
        return {k: _decode(v, where) for k, v in data["__dict__"].items()}
    if set(data) == {"__ref__"}:
        return _resolve(data["__ref__"], where, _REFERENCES, families=True)
    if set(data) == {"__object__", "params"} and isinstance(data["params"], dict):
        cls = _resolve(data["__object__"], where, _OBJECT_CLASSES)
        return cls(**{k: _decode(v, where) for k, v in data["params"].items()})
    raise ModelFileError(f"{where} holds an unrecognised value {data!r}.")


def plain_json(value, notes=None, where="value"):
    """``value`` as plain JSON types (history, metadata); non-finite floats become None."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, list | tuple):
        return [plain_json(v, notes, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            try:
                out[str(key)] = plain_json(v, notes, f"{where}[{key!r}]")
            except TypeError:
                if notes is None:
                    raise
                notes.append(f"{where}[{key!r}] ({type(v).__name__}) was not saved.")
        return out
    raise TypeError(f"{where} is {type(value).__name__}, which is not JSON data.")


def _canonical(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)


def sha256(data):
    """Hex SHA-256 of bytes or of a contiguous array's buffer."""
    return hashlib.sha256(memoryview(data).cast("B")).hexdigest()


def atomic_write(path, data):
    """Write ``data`` (bytes) to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# -- estimator trees -----------------------------------------------------------


def _regressor_params(reg, notes):
    """JSON of ``reg.get_params(deep=False)``, dropping what cannot be stored safely."""
    params = {k: v for k, v in reg.get_params(deep=False).items() if not k.startswith("_")}
    callbacks, dropped = [], []
    for item in params.pop("callbacks") or []:
        name, cb = item if isinstance(item, tuple | list) else (None, item)
        try:
            encoded = _encode(cb)
        except _Unrepresentable:
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
        try:
            out[key] = _encode(value)
        except _Unrepresentable:
            if key.split("__")[0] in _REQUIRED_PARAMS:
                shown = f"a {type(value).__name__} instance" if not isinstance(
                    value, type) else f"{value.__module__}.{value.__qualname__}"
                raise TypeError(
                    f"{key} ({shown}) cannot be saved safely: give it as an allow-listed "
                    "class (e.g. module=DeepGXP with module__* parameters), or use pickle "
                    "for trusted files."
                ) from None
            notes.append(f"parameter {key} ({type(value).__name__}) was dropped (reset to "
                         "its default): "
                         "it cannot be stored without pickle.")
    return out


def _tree(est, prefix, tensors, notes):
    from sklearn.utils.validation import check_is_fitted

    path = _path_of(type(est))
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
        return {"class": path, "params": {k: _encode(v) for k, v in est.get_params().items()}}
    if path == "skgxp.QuantileCalibrator":
        check_is_fitted(est)
        tensors[f"{prefix}sorted_targets_"] = torch.as_tensor(est.sorted_targets_)
        return {
            "class": path,
            "params": {"method": est.method},
            "regressor_": _tree(est.regressor_, f"{prefix}regressor_.", tensors, notes),
            "fitted": {"target_mean_": _encode(est.target_mean_),
                       "target_std_": _encode(est.target_std_)},
        }
    if path == "skgxp.DeepGXPRegressor":
        check_is_fitted(est)
        for key, value in est.module_.state_dict().items():
            tensors[f"{prefix}module_.{key}"] = value.detach().cpu().contiguous()
        fitted = {k: _encode(getattr(est, k)) for k in
                  ("input_length_", "target_scale_", "n_features_in_") if hasattr(est, k)}
        return {
            "class": path,
            "params": _regressor_params(est, notes),
            "fitted": fitted,
            "restarts_": plain_json(getattr(est, "restarts_", []), notes, "restarts_"),
            "history": plain_json(list(est.history_), notes, "history"),
        }
    raise TypeError(
        f"skgxp.save supports DeepGXPRegressor, a Pipeline of PromoterEncoder and "
        f"DeepGXPRegressor, and QuantileCalibrator around either; got "
        f"{type(est).__name__}. Use pickle for other estimators (trusted files only)."
    )


def _encode_or_none(key, value, notes):
    try:
        return _encode(value)
    except _Unrepresentable:
        notes.append(f"parameter {key} ({type(value).__name__}) was dropped (reset to None).")
        return None


def save(estimator, directory, *, metadata=None):
    """Save a fitted model to a directory that loads without running stored code.

    Writes ``weights.safetensors`` (the network weights and other arrays) and
    ``model.json`` (format name and version, the estimator's structure and
    parameters, learned attributes, training history, ``restarts_``, your
    ``metadata`` and SHA-256 checksums of the weights file and of the JSON
    content). Classes are recorded by import path; :func:`load` accepts only
    an allow-list (skgxp's estimators, module, iterator and callbacks,
    skorch's callbacks, ``torch.nn`` losses, ``torch.optim`` optimizers).
    Callbacks and optional parameters that cannot be written without pickle
    (e.g. a ``predefined_split`` holding data, a callback of your own class)
    are dropped, with a note in ``model.json`` and a warning. The optimizer
    state is not saved: use :class:`~skgxp.callbacks.TrainingCheckpoint` to
    resume training.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`DeepGXPRegressor`, a :class:`~sklearn.pipeline.Pipeline`
        of :class:`PromoterEncoder` and :class:`DeepGXPRegressor`, or a
        :class:`QuantileCalibrator` around either (also inside a
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
    doc["content_sha256"] = hashlib.sha256(_canonical(doc).encode()).hexdigest()
    for note in notes:
        warnings.warn(f"skgxp.save: {note}", UserWarning, stacklevel=2)
    directory = Path(directory)
    atomic_write(directory / WEIGHTS_FILE, weights)
    atomic_write(directory / MODEL_FILE, json.dumps(doc, indent=1, allow_nan=False).encode())
    return directory


# -- loading -------------------------------------------------------------------


def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def read_json(path, what):
    """Parse a JSON file strictly, raising ModelFileError naming it."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant)
    except FileNotFoundError:
        raise ModelFileError(f"{path} not found: not {what}.") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{path} is not valid JSON (truncated or edited?): {exc}") from None


def _read_model_json(directory):
    path = directory / MODEL_FILE
    doc = read_json(path, "a skgxp model directory")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a skgxp model file (format {FORMAT!r} expected).")
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format version {version!r}; this skgxp reads version "
            f"{FORMAT_VERSION}. Load it with the skgxp version that wrote it "
            f"({doc.get('skgxp_version')!r})."
        )
    stored = doc.pop("content_sha256", None)
    if stored != hashlib.sha256(_canonical(doc).encode()).hexdigest():
        raise ModelFileError(
            f"{path} fails its content checksum: it was modified or damaged after it "
            "was written."
        )
    return doc


def _read_weights(directory, doc):
    from safetensors import SafetensorError
    from safetensors.torch import load as st_load

    path = directory / WEIGHTS_FILE
    info = doc.get("weights") or {}
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{path} not found; it belongs with {MODEL_FILE}.") from None
    if len(data) != info.get("bytes") or sha256(data) != info.get("sha256"):
        raise ModelFileError(
            f"{path} fails its checksum ({len(data)} bytes, {info.get('bytes')} expected): "
            f"it is truncated, modified, or not the weights saved with {MODEL_FILE}."
        )
    try:
        return st_load(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{path} is not a valid safetensors file: {exc}") from None


def _take(tensors, key, path):
    try:
        return tensors.pop(key)
    except KeyError:
        raise ModelFileError(f"{path} has no tensor {key!r} required by {MODEL_FILE}.") from None


def _params(node, where):
    params = node.get("params", {})
    if not isinstance(params, dict):
        raise ModelFileError(f"{where}: parameters must be an object, got {params!r}.")
    return {key: _decode(value, where) for key, value in params.items()}


def _build(node, prefix, tensors, device, where):
    if not isinstance(node, dict):
        raise ModelFileError(f"{where}: malformed estimator description {node!r}.")
    path = node.get("class")
    cls = _resolve(path, where, _ESTIMATORS)
    if path == "sklearn.pipeline.Pipeline":
        steps = [(name, _build(step, f"{prefix}{name}.", tensors, device, where))
                 for name, step in node["steps"]]
        return cls(steps, **_params(node, where))
    if path == "sklearn.frozen.FrozenEstimator":
        return cls(_build(node["estimator"], f"{prefix}estimator.", tensors, device, where))
    if path == "skgxp.PromoterEncoder":
        return cls(**_params(node, where)).fit()
    if path == "skgxp.QuantileCalibrator":
        from sklearn.base import clone

        inner = _build(node["regressor_"], f"{prefix}regressor_.", tensors, device, where)
        frozen = type(inner).__name__ == "FrozenEstimator"
        est = cls(inner if frozen else clone(inner), **_params(node, where))
        est.regressor_ = inner
        for key, value in node["fitted"].items():
            setattr(est, key, float(_decode(value, where)))
        est.sorted_targets_ = _take(tensors, f"{prefix}sorted_targets_", WEIGHTS_FILE).numpy()
        return est
    return _build_regressor(cls, node, prefix, tensors, device, where)


def _build_regressor(cls, node, prefix, tensors, device, where):
    from skorch.history import History

    params = _params(node, where)
    params["device"] = device
    est = cls(**params)
    try:
        est._check_params()
    except ValueError as exc:
        raise ModelFileError(f"{where}: invalid DeepGXPRegressor parameters: {exc}") from None
    for key, value in node["fitted"].items():
        if key not in ("input_length_", "target_scale_", "n_features_in_"):
            raise ModelFileError(f"{where}: unknown learned attribute {key!r}.")
        setattr(est, key, _decode(value, where))
    est.restarts_ = list(node.get("restarts_", []))
    with est._on_resolved_device():
        est.initialize()
    own = {k[len(prefix) + len("module_."):]: _take(tensors, k, WEIGHTS_FILE)
           for k in list(tensors) if k.startswith(prefix + "module_.")}
    try:
        est.module_.load_state_dict(own, strict=True)
    except RuntimeError as exc:
        raise ModelFileError(
            f"{WEIGHTS_FILE} does not match the network described in {MODEL_FILE}: {exc}"
        ) from None
    est.history_ = History(node.get("history", []))
    return est


def load(directory, *, device="auto"):
    """Load a model saved by :func:`save`, without unpickling anything.

    Both checksums (weights file and JSON content) are verified first, every
    class path is checked against the allow-list, and the weights must match
    the network's shapes exactly. Weights are read on the CPU and moved to
    ``device``, so a model trained on CUDA loads on a CPU-only machine.

    Parameters
    ----------
    directory : str or path-like
        A directory written by :func:`save`.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Replaces the saved ``device`` parameter of every
        :class:`DeepGXPRegressor`; ``"auto"`` is CUDA when available.

    Returns
    -------
    estimator : estimator
        The fitted estimator, predicting as the saved one did.

    Raises
    ------
    ModelFileError
        (a ``ValueError``) naming the file and the problem: missing, truncated
        or modified file, checksum mismatch, unknown format version, a class
        outside the allow-list, or weights that do not fit the network.

    See Also
    --------
    save : Write a model directory.

    Examples
    --------
    >>> import skgxp
    >>> try:
    ...     skgxp.load("no-such-directory")
    ... except skgxp.ModelFileError as exc:
    ...     print("not a model")
    not a model
    """
    directory = Path(directory)
    doc = _read_model_json(directory)
    tensors = _read_weights(directory, doc)
    where = str(directory / MODEL_FILE)
    try:
        est = _build(doc.get("estimator"), "", tensors, device, where)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ModelFileError(f"{where}: malformed estimator description ({exc!r}).") from None
    if tensors:
        raise ModelFileError(
            f"{directory / WEIGHTS_FILE} holds tensors that {MODEL_FILE} does not use: "
            f"{sorted(tensors)[:5]}."
        )
    return est


# -- training checkpoints ------------------------------------------------------


def rng_state():
    """States of torch, numpy, random and (if present) CUDA generators, torch-loadable."""
    import random

    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "gauss": float(gauss)},
        "random": random.getstate(),
    }


def set_rng_state(state):
    """Restore what :func:`rng_state` captured."""
    import random

    torch.set_rng_state(state["torch"])
    if state["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    numpy = state["numpy"]
    np.random.set_state(("MT19937", numpy["keys"].numpy().astype(np.uint32), numpy["pos"],
                         numpy["has_gauss"], numpy["gauss"]))
    random.setstate(state["random"])


def write_checkpoint(path, state):
    """Atomically write a training checkpoint (a dict of tensors and plain data)."""
    import io

    buffer = io.BytesIO()
    torch.save({"format": CHECKPOINT_FORMAT, "format_version": CHECKPOINT_VERSION, **state},
               buffer)
    atomic_write(path, buffer.getbuffer())


def read_checkpoint(path):
    """Read a training checkpoint with ``torch.load(weights_only=True)`` on the CPU."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # torch raises many types for damaged files
        raise ModelFileError(f"{path} is not a readable training checkpoint: {exc}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ModelFileError(f"{path} is not a skgxp training checkpoint.")
    if state.get("format_version") != CHECKPOINT_VERSION:
        raise ModelFileError(
            f"{path} has checkpoint version {state.get('format_version')!r}; this skgxp "
            f"reads version {CHECKPOINT_VERSION}."
        )
    return state


_UNFINGERPRINTED = ("verbose", "device", "callbacks", "warm_start")


def training_fingerprint(net, X, y):
    """What must match for a checkpoint to be resumed: data and training parameters."""
    params = {}
    for key, value in net.get_params(deep=False).items():
        if key.startswith("_") or key in _UNFINGERPRINTED or key.startswith("callbacks__"):
            continue
        try:
            params[key] = _encode(value)
        except _Unrepresentable:
            params[key] = f"<{type(value).__module__}.{type(value).__qualname__}>"
    X = np.ascontiguousarray(X)
    return {
        "X": [list(X.shape), str(X.dtype), sha256(X)],
        "y": sha256(np.ascontiguousarray(y)),
        "params": params,
    }


def fingerprint_mismatch(saved, current):
    """Names of what differs between two fingerprints (empty if they match)."""
    diff = [name for name in ("X", "y") if saved.get(name) != current[name]]
    old, new = saved.get("params", {}), current["params"]
    diff += [f"{k} ({old.get(k)!r} -> {new.get(k)!r})"
             for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return diff
