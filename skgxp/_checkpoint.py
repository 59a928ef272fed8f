"""Training checkpoints: generator states, atomic writes, fingerprints of a fit.

Checkpoints are written with ``torch.save`` and read only with
``torch.load(..., weights_only=True)``: tensors and plain Python data.
"""

import hashlib
import io
import random

import numpy as np
import torch

from ._jsonio import ModelFileError, atomic_write, canonical, loads
from ._safejson import Unrepresentable, encode, sha256

CHECKPOINT_FORMAT = "skgxp-training-checkpoint"
CHECKPOINT_VERSION = 1
_FIELDS = ("epochs", "module", "optimizer", "history", "rng", "target_scale", "restarts",
           "fingerprint")


def rng_state():
    """States of torch, numpy, random and (if present) CUDA generators, torch-loadable."""
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "gauss": float(gauss)},
        "random": random.getstate(),
    }


def set_rng_state(state):
    """Restore what :func:`rng_state` captured."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    numpy = state["numpy"]
    np.random.set_state(("MT19937", numpy["keys"].numpy().astype(np.uint32), numpy["pos"],
                         numpy["has_gauss"], numpy["gauss"]))
    random.setstate(state["random"])


def write_checkpoint(path, state):
    """Atomically write a training checkpoint (a dict of tensors and plain data)."""
    buffer = io.BytesIO()
    torch.save({"format": CHECKPOINT_FORMAT, "format_version": CHECKPOINT_VERSION, **state},
               buffer)
    atomic_write(path, buffer.getbuffer())


def read_checkpoint(path):
    """Read a training checkpoint with ``torch.load(weights_only=True)`` on the CPU.

    The JSON fields (fingerprint, history, restarts) come back parsed.
    """
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
    missing = sorted(set(_FIELDS) - set(state))
    try:
        if missing:
            raise KeyError(", ".join(missing))
        for key in ("fingerprint", "history", "restarts"):  # stored as JSON text
            state[key] = loads(state[key])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path} is a damaged training checkpoint ({exc!r}).") from None
    return state


_UNFINGERPRINTED = ("verbose", "device", "callbacks", "warm_start")


def training_fingerprint(net, X, y):
    """What must match for a checkpoint to be resumed: data and training parameters."""
    params = {}
    for key, value in net.get_params(deep=False).items():
        if key.startswith("_") or key in _UNFINGERPRINTED or key.startswith("callbacks__"):
            continue
        try:
            params[key] = encode(value)
        except Unrepresentable:
            params[key] = f"<{type(value).__module__}.{type(value).__qualname__}>"
    X = np.ascontiguousarray(X)
    return {
        "X": [list(X.shape), str(X.dtype), sha256(X)],
        "y": sha256(np.ascontiguousarray(y)),
        "params": params,
    }


def fit_directory(fingerprint):
    """Name of a fit's own checkpoint subdirectory: a digest of its fingerprint.

    Stable across processes and machines (canonical JSON of hashes and
    parameter values), so a rerun of the same fit finds its checkpoint and a
    fit with other data or parameters never meets it.
    """
    return hashlib.sha256(canonical(fingerprint).encode("utf-8")).hexdigest()[:16]


def fingerprint_mismatch(saved, current):
    """Names of what differs between two fingerprints (empty if they match)."""
    diff = [name for name in ("X", "y") if saved.get(name) != current[name]]
    old, new = saved.get("params", {}), current["params"]
    diff += [f"{k} ({old.get(k)!r} -> {new.get(k)!r})"
             for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return diff
