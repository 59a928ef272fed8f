"""Checks of the ``skgxp`` options that need more than argparse: device, params, plots."""

import json

from ._cli_errors import CommandError


def check_device(device):
    """``--device``, or a CommandError when it is unknown or not available here."""
    from ._device import resolve_device

    try:
        resolve_device(device)
    except ValueError as exc:
        raise CommandError(f"--device: {exc}") from None
    return device


def parse_params(text):
    """``--params`` as a dict of DeepGXPRegressor parameters (empty when not given)."""
    if text is None:
        return {}
    try:
        params = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--params is not valid JSON: {exc}.") from None
    if not isinstance(params, dict):
        raise CommandError(
            f"--params must be a JSON object of DeepGXPRegressor parameters, e.g. "
            f"'{{\"module__lstm_hidden_size\": 64}}'; got {text!r}."
        )
    return params


def plotting(directory):
    """skgxp.plotting with a file-only backend, or None when no plots were asked for."""
    if directory is None:
        return None
    try:
        import matplotlib
    except ImportError:
        raise CommandError(
            "--plots needs matplotlib: pip install 'skgxp[plots]'."
        ) from None
    matplotlib.use("Agg")
    from . import plotting as module

    return module


def write_figures(module, figures, directory):
    """Save ``figures`` (name -> figure) as PNG files in ``directory``, naming each."""
    for path in module.save_figures(figures, directory):
        print(f"wrote {path}")
