"""``skgxp predict``: test-time-augmented predictions of a file, optionally calibrated."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ._cli_errors import EXIT_OK, CommandError
from ._cli_io import encode_sequences, encoding_report, load_model, read_json, read_sequences
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
    k, stored = (np.shape(raw)[1:] or (1,))[0], (targets.shape[1:] or (1,))[0]
    if stored != k:
        raise CommandError(f"{path} describes {stored} target(s), but the model predicts "
                           f"{k}; run skgxp fit again.")
    calibrator = QuantileCalibrator(FrozenEstimator(model), method=method).fit(None, targets)
    return calibrator.transform_predictions(raw)


def _target_names(directory, n_outputs):
    """The model's target columns, from the provenance its model.json keeps."""
    from ._persistence import MODEL_FILE
    from ._provenance import target_names

    if n_outputs == 1:
        return ["expression"]
    metadata = read_json(Path(directory) / MODEL_FILE, "the model").get("metadata") or {}
    return target_names(metadata.get("provenance"), n_outputs)


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
    # The model's own encoder: the sequences are encoded for its construct.
    encoder = model[0]
    codes = encode_sequences(encoder, X, args.seqs)
    raw = regressor.predict(codes)
    calibrated = None
    if args.calibrate != "none":
        calibrated = _calibrate(model, raw, args.model_dir, args.calibrate)
    table = pd.DataFrame({"index": np.arange(len(X)), "sequence": X})
    if raw.ndim == 1:
        if calibrated is None:
            table["prediction"] = raw
        else:
            table["prediction"], table["raw_prediction"] = calibrated, raw
    else:
        names = _target_names(args.model_dir, raw.shape[1])
        for j, name in enumerate(names):
            table[f"prediction_{name}"] = raw[:, j] if calibrated is None else calibrated[:, j]
        if calibrated is not None:
            for j, name in enumerate(names):
                table[f"raw_prediction_{name}"] = raw[:, j]
    target = sys.stdout if args.out == "-" else args.out
    table.to_csv(target, sep="\t", index=False, float_format="%.8g")
    if args.out != "-" or encoder.n_trimmed_:  # nothing is trimmed silently
        print(encoding_report(encoder), file=sys.stderr)
    if args.out != "-":
        print(f"wrote {len(table):,} predictions ({args.tta} views"
              + ("" if args.calibrate == "none" else f", {args.calibrate} calibration")
              + f") to {args.out}", file=sys.stderr)
    return EXIT_OK
