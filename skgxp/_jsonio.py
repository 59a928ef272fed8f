"""JSON data, read and written one way for every file skgxp writes.

Model files, training checkpoints, ``provenance.json``, ``target_stats.json``
and ``fit_settings.json`` all go through :func:`plain_json` (Python values to
JSON data), :func:`atomic_write` (temporary file, fsync, ``os.replace``) and
:func:`loads` / :func:`read_json` (strict parsing). The allow-listed, tagged
encoding of estimator parameters in ``model.json`` is built on top of this in
:mod:`skgxp._safejson`.
"""

import json
import math
import os
import secrets
from pathlib import Path

import numpy as np


class ModelFileError(ValueError):
    """A model file or training checkpoint is missing, damaged or not loadable."""


def plain_json(value, notes=None, where="value", default=None):
    """``value`` as plain JSON data; non-finite floats become None.

    Parameters
    ----------
    value : object
        None, bool, str, numbers (numpy scalars too), lists, tuples and dicts
        of these.
    notes : list of str or None, default=None
        Where a dict entry that is not JSON data is noted and dropped; None
        raises instead.
    where : str, default="value"
        Name of ``value`` in messages.
    default : callable or None, default=None
        As for :func:`json.dumps`: called with a value that is not JSON data,
        returns a replacement, which is converted in turn.

    Returns
    -------
    data : None, bool, int, float, str, list or dict
        JSON data that :func:`json.dumps` writes with ``allow_nan=False``.

    Raises
    ------
    TypeError
        For a value that is not JSON data, without ``default`` or ``notes``.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return [plain_json(v, notes, f"{where}[{i}]", default) for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            try:
                out[str(key)] = plain_json(v, notes, f"{where}[{key!r}]", default)
            except TypeError:
                if notes is None:
                    raise
                notes.append(f"{where}[{key!r}] ({type(v).__name__}) was not saved.")
        return out
    if default is not None:
        return plain_json(default(value), notes, where, default)
    raise TypeError(f"{where} is {type(value).__name__}, which is not JSON data.")


def canonical(doc):
    """Compact JSON with sorted keys: the form that checksums are computed on."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)


def atomic_write(path, data):
    """Write ``data`` (bytes) to ``path``: a kill at any moment leaves the old or the new file.

    The bytes go to a temporary file that is fsynced and renamed over
    ``path``; the directory is fsynced too, so the rename survives a power
    loss. The temporary name is unique, so two processes writing the same
    file (parallel fits sharing a directory) never write into one another's.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: its files are private (0600); "x" creates with the umask's mode.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if os.name == "posix":  # directories cannot be opened for fsync on Windows
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def write_json(path, doc):
    """Write ``doc`` (see :func:`plain_json`) as indented JSON with :func:`atomic_write`."""
    text = json.dumps(plain_json(doc), indent=2, allow_nan=False) + "\n"
    atomic_write(path, text.encode("utf-8"))


def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):  # e.g. 1e999
        raise ValueError(f"number {text} is out of range")
    return value


def loads(text):
    """Parse JSON text strictly: no NaN, Infinity or out-of-range numbers."""
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)


def read_json(path, what):
    """Parse a JSON file strictly.

    Parameters
    ----------
    path : str or path-like
        The file.
    what : str
        What the file should be, for the message when it is missing.

    Returns
    -------
    data : object
        The parsed JSON.

    Raises
    ------
    ModelFileError
        Naming the file, when it is missing or not valid JSON.
    """
    try:
        return loads(Path(path).read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"{path} not found: not {what}.") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{path} is not valid JSON (truncated or edited?): {exc}") from None
