"""``skgxp predict``: test-time-augmented predictions of a file, optionally calibrated."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ._cli_errors import EXIT_OK, CommandError
from ._cli_io import encode_sequences, load_model, read_json, read_sequences
from ._cli_options import check_device


def _calibrate(model, raw, directory, method):
    from sklearn.frozen import FrozenEstimator

    from ._calibrator import QuantileCalibrator
    from ._provenance import TARGET_STATS_FILE, targets_from_stats

    path = Path(directory) / TARGET_STATS_FILE
    if not path.is_file():
        raise CommandError(
            f"--calibrate {method} needs {path} (the training targets' distribution, "
            "written by skgxp fit); this model directory has none."
        )
    stats = read_json(path, "the training targets' distribution")
    try:
        targets = targets_from_stats(stats)
    except (KeyError, TypeError, ValueError) as exc:
        raise CommandError(f"{path} is damaged ({exc!r}); run skgxp fit again.") from None
    calibrator = QuantileCalibrator(FrozenEstimator(model), method=method).fit(None, targets)
    return calibrator.transform_predictions(raw)


def predict(args):
    """``skgxp predict``: TTA predictions of a file, optionally calibrated."""
    from sklearn.pipeline import Pipeline

    from ._encoder import PromoterEncoder

    check_device(args.device)
    model = load_model(args.model_dir, args.device)
    X, _ = read_sequences(args.seqs, args.sequence_column, None)
    if not (isinstance(model, Pipeline) and isinstance(model[0], PromoterEncoder)):
        raise CommandError(f"{args.model_dir} holds a {type(model).__name__}; skgxp "
                           "predict needs a PromoterEncoder + DeepGXPRegressor pipeline.")
    regressor = model[-1]
    regressor.set_params(tta=args.tta)
    if args.batch_size is not None:
        regressor.set_params(batch_size=args.batch_size)
    codes = encode_sequences(model[0], X, args.seqs)
    raw = regressor.predict(codes)
    table = pd.DataFrame({"index": np.arange(len(X)), "sequence": X, "prediction": raw})
    if args.calibrate != "none":
        table["prediction"] = _calibrate(model, raw, args.model_dir, args.calibrate)
        table["raw_prediction"] = raw
    target = sys.stdout if args.out == "-" else args.out
    table.to_csv(target, sep="\t", index=False, float_format="%.8g")
    if args.out != "-":
        print(f"wrote {len(table):,} predictions ({args.tta} views"
              + ("" if args.calibrate == "none" else f", {args.calibrate} calibration")
              + f") to {args.out}", file=sys.stderr)
    return EXIT_OK
