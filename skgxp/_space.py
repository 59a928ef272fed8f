"""Search spaces of :func:`skgxp.tuning.tune`: a JSON-able dict, checked, then sampled.

A space maps parameter names (skorch's grammar: ``lr``, ``module__fc_size``,
or pipeline-prefixed ``deepgxpregressor__module__fc_size``) to a list of
choices or to a range ``{"low": ..., "high": ..., "log": ..., "step": ...}``:
integers when ``low`` and ``high`` are both integers, floats otherwise.
"""

import difflib
import inspect
import json
import math
import numbers

#: BHI's Optuna search (DEV ``configs/hparams_search/deepfamq-pool1-optuna.yaml``).
BHI_SPACE = {
    "module__conv1_channels": [256, 320, 512],
    "module__lstm_hidden_size": [256, 320, 512],
    "module__fc_size": [32, 64, 128, 256],
}
#: BHI's search ran 25 TPE trials.
BHI_N_TRIALS = 25

_RANGE_KEYS = ("low", "high", "log", "step")
_SCALARS = (type(None), bool, int, float, str)
# The parts of a skorch net whose constructor takes ``<part>__<name>`` keywords.
_COMPONENTS = ("module", "criterion", "optimizer")


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _describe(value):
    return f"{type(value).__name__} {value!r}"


def _check_choices(key, choices):
    if not choices:
        raise ValueError(f"space[{key!r}]: the list of choices is empty.")
    seen = []
    for choice in choices:
        if not isinstance(choice, _SCALARS) or (
                isinstance(choice, float) and not math.isfinite(choice)):
            raise ValueError(
                f"space[{key!r}]: choices must be None, bool, int, str or finite float "
                f"(Optuna's categorical values); got {_describe(choice)}.")
        # 1 == 1.0 == True in Python: compare with the type, as Optuna stores them.
        if any(type(choice) is type(other) and choice == other for other in seen):
            raise ValueError(f"space[{key!r}]: {choice!r} is listed twice.")
        seen.append(choice)
    return list(choices)


def _check_range(key, spec):
    unknown = sorted(set(spec) - set(_RANGE_KEYS), key=str)
    if unknown:
        raise ValueError(f"space[{key!r}]: unknown key {unknown[0]!r}; a range has "
                         "'low', 'high' and optionally 'log' (true/false) or 'step'.")
    for bound in ("low", "high"):
        if bound not in spec:
            raise ValueError(f"space[{key!r}]: a range needs {bound!r}.")
        if not _is_number(spec[bound]) or not math.isfinite(spec[bound]):
            raise ValueError(f"space[{key!r}]: {bound!r} must be a finite number; got "
                             f"{_describe(spec[bound])}.")
    low, high = spec["low"], spec["high"]
    if low > high:
        raise ValueError(f"space[{key!r}]: 'low' ({low!r}) is above 'high' ({high!r}).")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise ValueError(f"space[{key!r}]: 'log' must be true or false; got "
                         f"{_describe(log)}.")
    integer = isinstance(low, numbers.Integral) and isinstance(high, numbers.Integral)
    out = {"low": int(low) if integer else float(low),
           "high": int(high) if integer else float(high), "log": log}
    if log and low <= 0:
        raise ValueError(f"space[{key!r}]: a log range needs 'low' > 0; got {low!r}.")
    if "step" in spec and spec["step"] is not None:
        step = spec["step"]
        if log:
            raise ValueError(f"space[{key!r}]: 'step' and 'log' cannot be combined.")
        if not _is_number(step) or not step > 0 or (
                integer and not isinstance(step, numbers.Integral)):
            kind = "a positive integer (the range is of integers)" if integer else \
                "a positive number"
            raise ValueError(f"space[{key!r}]: 'step' must be {kind}; got "
                             f"{_describe(step)}.")
        out["step"] = int(step) if integer else float(step)
    return out


def _accepts(component, name):
    """Whether the constructor of ``component`` (a class or instance) takes ``name``."""
    cls = component if inspect.isclass(component) else type(component)
    try:
        parameters = inspect.signature(cls).parameters
    except (TypeError, ValueError):  # no signature to read: let fit judge
        return True
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return True
    return name in parameters and name != "params"  # an optimizer's first argument


def _component_names(net, prefix):
    names = []
    for part in _COMPONENTS:
        component = getattr(net, part, None)
        cls = component if inspect.isclass(component) else type(component)
        try:
            parameters = inspect.signature(cls).parameters
        except (TypeError, ValueError):
            continue
        names += [f"{prefix}{part}__{p}" for p in parameters
                  if p != "params" and parameters[p].kind is not inspect.Parameter.VAR_KEYWORD]
    return names


def _parameter_names(estimator):
    """``(check, candidates)``: a test of a name and the names to suggest from."""
    from skorch import NeuralNet

    params = {k: v for k, v in estimator.get_params(deep=True).items()
              if not k.startswith("_") and "___params_to_validate" not in k}
    nets = [("", estimator)] if isinstance(estimator, NeuralNet) else []
    nets += [(f"{k}__", v) for k, v in params.items() if isinstance(v, NeuralNet)]

    def check(name):
        if name in params:
            return True
        for prefix, net in nets:
            head, sep, tail = name[len(prefix):].partition("__")
            if (name.startswith(prefix) and sep and head in _COMPONENTS and "__" not in tail
                    and _accepts(getattr(net, head), tail)):
                return True
        return False

    candidates = list(params) + [n for prefix, net in nets
                                 for n in _component_names(net, prefix)]
    return check, candidates


def check_space(space, estimator=None):
    """Check a search space and return it in a canonical form.

    Parameters
    ----------
    space : dict
        Parameter name to a list of choices (categorical) or to a range
        ``{"low": a, "high": b}`` with optional ``"log": true`` (sampled on a
        log scale) or ``"step": s``; the range is of integers when ``a`` and
        ``b`` are both integers, of floats otherwise. Names follow skorch and
        scikit-learn: ``"lr"``, ``"module__fc_size"``, and in a pipeline
        ``"deepgxpregressor__module__fc_size"``.
    estimator : estimator, default=None
        When given, every name must be one of its parameters
        (``estimator.get_params(deep=True)``) or a ``module__*``,
        ``criterion__*`` or ``optimizer__*`` keyword that the constructor of
        a skorch net's module, criterion or optimizer takes.

    Returns
    -------
    space : dict
        A copy: lists of choices, and ranges with ``low``, ``high`` (both int
        or both float), ``log`` and, when given, ``step``.

    Raises
    ------
    ValueError
        Naming the key and what is wrong with it.

    Examples
    --------
    >>> from skgxp import DeepGXPRegressor
    >>> from skgxp.tuning import check_space
    >>> check_space({"lr": {"low": 1e-4, "high": 1e-2, "log": True},
    ...              "module__fc_size": [32, 64]}, DeepGXPRegressor())
    {'lr': {'low': 0.0001, 'high': 0.01, 'log': True}, 'module__fc_size': [32, 64]}
    """
    if not isinstance(space, dict):
        raise ValueError("space must be a dict of parameter names to a list of choices or "
                         f"a range {{'low': ..., 'high': ...}}; got {type(space).__name__}.")
    if not space:
        raise ValueError("space is empty: give at least one parameter to search.")
    check, candidates = (None, None) if estimator is None else _parameter_names(estimator)
    out = {}
    for key, spec in space.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"space: parameter names must be non-empty strings; got "
                             f"{key!r}.")
        if check is not None and not check(key):
            close = difflib.get_close_matches(key, candidates, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "."
            raise ValueError(f"space: {key!r} is not a parameter of "
                             f"{type(estimator).__name__}{hint}")
        if isinstance(spec, (list, tuple)):
            out[key] = _check_choices(key, spec)
        elif isinstance(spec, dict):
            out[key] = _check_range(key, spec)
        else:
            raise ValueError(
                f"space[{key!r}] must be a list of choices or a range {{'low': ..., "
                f"'high': ...}}; got {_describe(spec)}.")
    return out


def load_space(path):
    """Read a search space from a JSON file (the format of :func:`check_space`).

    Parameters
    ----------
    path : str or path-like
        A JSON object, e.g. ``{"lr": {"low": 1e-4, "high": 1e-2, "log": true},
        "module__fc_size": [32, 64, 128]}``.

    Returns
    -------
    space : dict
        As read; check it with :func:`check_space`.

    Raises
    ------
    ValueError
        When the file is not JSON or not a JSON object; the message starts
        with the path.
    """
    with open(path, encoding="utf-8") as file:
        text = file.read()
    try:
        space = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}.") from None
    if not isinstance(space, dict):
        raise ValueError(f"{path} must hold a JSON object of parameter names to ranges; "
                         f"got a JSON {type(space).__name__}.")
    return space


def suggest(trial, space):
    """The parameters of one trial: ``space`` (checked) sampled by ``trial``."""
    params = {}
    for name, spec in space.items():
        if isinstance(spec, list):
            params[name] = trial.suggest_categorical(name, spec)
        elif isinstance(spec["low"], int):
            params[name] = trial.suggest_int(name, spec["low"], spec["high"],
                                             step=spec.get("step", 1), log=spec["log"])
        else:
            params[name] = trial.suggest_float(name, spec["low"], spec["high"],
                                               step=spec.get("step"), log=spec["log"])
    return params
