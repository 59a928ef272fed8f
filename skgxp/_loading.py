"""skgxp.load: rebuild an estimator from a model directory that :func:`save` wrote.

Both checksums first, then every class path against the allow-list of
:mod:`skgxp._safejson`, then the weights against the network's exact shapes;
nothing is unpickled.
"""

import hashlib
from pathlib import Path

import numpy as np

from . import _persist_sklearn
from ._construct import Construct
from ._constructs import CONTEXT_WIDTH as DREAM_CONTEXT
from ._jsonio import ModelFileError, canonical, read_json
from ._persistence import (
    _FITTED,
    FORMAT,
    FORMAT_VERSION,
    MODEL_FILE,
    WEIGHTS_FILE,
    _weights_only,
)
from ._safejson import ESTIMATORS, decode, resolve, sha256

__all__ = ["load"]


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
    if stored != hashlib.sha256(canonical(doc).encode()).hexdigest():
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
    return {key: decode(value, where) for key, value in params.items()}


def _build(node, prefix, tensors, device, where):
    if not isinstance(node, dict):
        raise ModelFileError(f"{where}: malformed estimator description {node!r}.")
    path = node.get("class")
    cls = resolve(path, where, ESTIMATORS)
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
        from sklearn.frozen import FrozenEstimator

        inner = _build(node["regressor_"], f"{prefix}regressor_.", tensors, device, where)
        # The unfitted `regressor` parameter: a frozen model is its own clone.
        regressor = inner if isinstance(inner, FrozenEstimator) else clone(inner)
        est = cls(regressor, **_params(node, where))
        est.regressor_ = inner
        for key, value in node["fitted"].items():
            value = decode(value, where)
            setattr(est, key, np.asarray(value, dtype=np.float64) if isinstance(value, tuple)
                    else float(value))
        est.sorted_targets_ = _take(tensors, f"{prefix}sorted_targets_", WEIGHTS_FILE).numpy()
        return est
    if path in _persist_sklearn.KINDS:
        return _persist_sklearn.build(
            cls, node, prefix, tensors, where,
            lambda sub, at: _build(sub, at, tensors, device, where),
            lambda found, key: _take(found, key, WEIGHTS_FILE))
    return _build_regressor(cls, node, prefix, tensors, device, where)


def _build_regressor(cls, node, prefix, tensors, device, where):
    from skorch.history import History

    params = _params(node, where)
    params["device"] = device
    if not _weights_only(params.get("torch_load_kwargs")):
        raise ModelFileError(f"{where} sets torch_load_kwargs without weights_only=True, "
                             "which would let skorch unpickle files; refusing to load it.")
    est = cls(**params)
    try:
        est._check_params()
    except ValueError as exc:
        raise ModelFileError(f"{where}: invalid DeepGXPRegressor parameters: {exc}") from None
    for key, value in node["fitted"].items():
        if key not in _FITTED:
            raise ModelFileError(f"{where}: unknown learned attribute {key!r}.")
        value = decode(value, where)
        setattr(est, key, np.asarray(value, dtype=np.float64) if isinstance(value, tuple)
                else value)
    # Files written before these were learned attributes: one output, DREAM layout.
    if not hasattr(est, "target_center_"):
        est.target_center_ = float(est.target_center)
    est.n_outputs_ = getattr(est, "n_outputs_", 1)
    if not hasattr(est, "construct_"):
        codes = getattr(est, "n_features_in_", None) == est.input_length_ + DREAM_CONTEXT
        est.construct_ = Construct(est.input_length_) if codes else None
    est.restarts_ = list(node.get("restarts_", []))
    try:
        est.initialize()
    except (ValueError, TypeError) as exc:  # e.g. a parameter the module does not take
        raise ModelFileError(f"{where}: cannot build DeepGXPRegressor: {exc}") from None
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
    from ._device import resolve_device

    resolve_device(device)  # a bad device is not a file problem
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
