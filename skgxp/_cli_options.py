"""Checks of the ``skgxp`` options that need more than argparse.

The device, ``--params``, ``--plots``, the construct options and the target
columns.
"""

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


def target_columns(args):
    """The ``--target-column`` names (``["expression"]`` when none is given)."""
    names = args.target_column or ["expression"]
    seen = set()
    for name in names:
        if name in seen:
            raise CommandError(f"--target-column {name} is given twice.")
        seen.add(name)
    return names


def read_construct(path):
    """The Construct in the JSON file ``path`` (``--construct``), or a CommandError."""
    from ._construct import Construct

    try:
        return Construct.from_json(path)
    except FileNotFoundError:
        raise CommandError(f"--construct {path}: no such file.") from None
    except IsADirectoryError:
        raise CommandError(f"--construct {path} is a directory, not a construct JSON "
                           "file.") from None
    except UnicodeDecodeError:
        raise CommandError(f"--construct {path} is not a text (JSON) file.") from None
    except OSError as exc:
        raise CommandError(f"--construct {path} cannot be read: {exc.strerror}.") from None
    except ValueError as exc:  # its messages start with the path
        raise CommandError(f"--construct {exc}") from None


def encoder_from_args(args):
    """The PromoterEncoder of ``--length``, ``--flank-5p``/``-3p``, ``--construct``, ``--trim``.

    Without any construct option it is ``PromoterEncoder(trim=...)``: the DREAM
    construct exactly as BHI's. ``--length`` and the flanks default to
    DREAM's one by one; ``--construct FILE`` excludes all three.
    """
    from ._construct import DREAM, Construct
    from ._encoder import PromoterEncoder

    flags = {"--length": args.length, "--flank-5p": args.flank_5p,
             "--flank-3p": args.flank_3p}
    given = [flag for flag, value in flags.items() if value is not None]
    if args.construct is not None:
        if given:
            raise CommandError(
                f"--construct cannot be combined with {', '.join(given)}: the file "
                "describes the whole construct (length, flank_5p, flank_3p)."
            )
        construct = read_construct(args.construct)
    elif given:
        try:
            construct = Construct(
                DREAM.length if args.length is None else args.length,
                DREAM.flank_5p if args.flank_5p is None else args.flank_5p,
                DREAM.flank_3p if args.flank_3p is None else args.flank_3p,
            )
        except (TypeError, ValueError) as exc:
            message = str(exc).replace("flank_5p", "--flank-5p").replace(
                "flank_3p", "--flank-3p")
            raise CommandError(message) from None
    else:
        return PromoterEncoder(trim=args.trim)
    return PromoterEncoder.from_construct(construct, trim=args.trim)
