"""Provenance records and target statistics kept next to a saved model.

A model directory written by ``skgxp fit`` holds, besides the model itself,
``provenance.json`` (how the model was made: parameters, package versions,
data checksum, time, device) and ``target_stats.json`` (the distribution of
the training targets, which ``skgxp predict --calibrate`` needs). Both are
written with :func:`skgxp._jsonio.write_json`.
"""

import datetime
import hashlib
import inspect
import os
import platform
import sys
from importlib import metadata

import numpy as np

from ._jsonio import plain_json

PROVENANCE_FILE = "provenance.json"
TARGET_STATS_FILE = "target_stats.json"
_PACKAGES = ("skgxp", "torch", "skorch", "scikit-learn", "numpy", "scipy", "pandas")


def file_sha256(path, chunk_size=1 << 20):
    """Hex SHA-256 of a file, read in chunks (a 6.7-million-row file is ~1 GB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions():
    """Versions of Python and of the packages a model depends on."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def describe_device(device):
    """The torch device a model ran on, with the GPU's name where there is one."""
    import torch

    resolved = torch.device(device)
    record = {"device": str(resolved)}
    if resolved.type == "cuda":
        record["device_name"] = torch.cuda.get_device_name(resolved)
    else:
        record["device_name"] = platform.processor() or platform.machine()
        record["torch_threads"] = torch.get_num_threads()
    return record


def training_precision(regressor):
    """``"bf16"`` or ``"fp32"``: the precision ``regressor`` trains (or trained) in."""
    return regressor.resolved_precision(training=True)


def describe_training(regressor):
    """Where and how ``regressor`` trains, e.g. ``"cpu, bf16 autocast"``."""
    precision = {"bf16": "bf16 autocast", "fp32": "fp32"}[training_precision(regressor)]
    return f"{regressor.device}, {precision}"


def describe(value):
    """A value that is not JSON data as a description (``plain_json``'s ``default``).

    Classes and functions become their import path. Objects whose constructor
    arguments are all stored as attributes of the same name (skorch callbacks,
    ``ValidSplit``, estimators) become ``{"class": ..., "params": {...}}``;
    anything else becomes its ``repr``.
    """
    if inspect.isclass(value) or inspect.isfunction(value):
        return f"{value.__module__}.{value.__qualname__}"
    names = _constructor_args(type(value))
    if names is not None and all(hasattr(value, name) for name in names):
        return {"class": describe(type(value)),
                "params": {name: getattr(value, name) for name in names}}
    return repr(value)


def _constructor_args(cls):
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return None
    return [name for name, p in signature.parameters.items()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def utc_now():
    """Current UTC time, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def data_record(path, n_rows, **columns):
    """Where the training data came from: absolute path, size, SHA-256, row count."""
    return {
        "path": os.path.abspath(path),
        "bytes": os.path.getsize(path),
        "sha256": file_sha256(path),
        "rows": int(n_rows),
        **columns,
    }


def provenance_record(*, parameters, data, training, construct=None, targets=None,
                      command=None):
    """The provenance record written as ``provenance.json``.

    Parameters
    ----------
    parameters : dict
        Every parameter of the model (``get_params`` of its steps) and of the
        run (validation fraction, seeds); made JSON-safe here.
    data : dict
        From :func:`data_record`.
    training : dict
        Time, epochs, device and the like.
    construct : Construct, default=None
        The construct the model was fitted for (recorded as its ``to_dict``).
    targets : list of str, default=None
        The target columns, one per output of the model.
    command : list of str, default=None
        The command line; default ``sys.argv``.

    Returns
    -------
    record : dict
        JSON-safe record.
    """
    record = {
        "format": "skgxp-provenance/1",
        "created": utc_now(),
        "command": list(sys.argv if command is None else command),
        "versions": package_versions(),
        "data": data,
    }
    if construct is not None:
        record["construct"] = construct.to_dict()
    if targets is not None:
        record["targets"] = list(targets)
    record["parameters"] = plain_json(parameters, default=describe)
    record["training"] = plain_json(training, default=describe)
    return record


def target_names(provenance, n_outputs):
    """The target columns a model was fitted on, from its provenance record.

    ``output_0``, ``output_1``, ... for a model without one (saved from Python).
    """
    names = (provenance or {}).get("targets")
    if isinstance(names, list) and len(names) == n_outputs and all(
            isinstance(name, str) for name in names):
        return names
    return ["expression"] if n_outputs == 1 else [f"output_{j}" for j in range(n_outputs)]


def target_stats(y, names=None):
    """The training targets' distribution, exactly: unique values and their counts.

    For ``y`` of shape ``(n, k)``, ``k > 1``: ``{"n": n, "targets": [...]}``,
    the distribution of each column (named by ``names``) on its own.
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] > 1:
        names = names or [f"output_{j}" for j in range(y.shape[1])]
        return {"n": int(len(y)),
                "targets": [{"name": name, **target_stats(y[:, j])}
                            for j, name in enumerate(names)]}
    y = y.ravel()
    values, counts = np.unique(y, return_counts=True)
    return {
        "n": int(y.size),
        "mean": float(y.mean()),
        "std": float(y.std()),
        "values": values.tolist(),
        "counts": counts.tolist(),
    }


def targets_from_stats(stats):
    """The training targets back from :func:`target_stats`: sorted, per column.

    Shape ``(n,)`` for one target, ``(n, k)`` (each column sorted) for several.
    """
    if "targets" in stats:
        return np.column_stack([targets_from_stats(one) for one in stats["targets"]])
    return np.repeat(np.asarray(stats["values"], dtype=np.float64),
                     np.asarray(stats["counts"], dtype=np.int64))
