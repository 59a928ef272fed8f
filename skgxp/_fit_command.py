"""``skgxp fit``: train, checkpoint every epoch, resume, save with provenance.

The model directory's layout (model files, ``provenance.json``,
``target_stats.json``, and while training ``checkpoint/`` and
``fit_settings.json``) is described in the user guide's persistence page.
"""

import os
import shutil
import time
from pathlib import Path

import numpy as np

from ._commands import (
    EXIT_FAILURE,
    EXIT_OK,
    CommandError,
    _build_regressor,
    _check_device,
    _encode,
    _parse_params,
    _plotting,
    _progress_bar,
    _raise_if_interrupted,
    _read_sequences,
    _write_figures,
)

#: Written when a fit starts, removed when its model is saved: an unfinished fit.
SETTINGS_FILE = "fit_settings.json"
CHECKPOINT_DIR = "checkpoint"
_MODEL_FILES = ("model.json", "weights.safetensors")


def _prepare_out_dir(out, overwrite):
    """Check ``--out``; return True when it holds an unfinished fit to resume."""
    from ._provenance import PROVENANCE_FILE

    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} is a file; give a directory.")
    entries = set(os.listdir(out)) if out.is_dir() else set()
    ours = {SETTINGS_FILE, CHECKPOINT_DIR, PROVENANCE_FILE, *_MODEL_FILES}
    if entries and not entries & ours:
        raise CommandError(
            f"--out {out} is not empty and holds no skgxp model or checkpoint; choose a "
            "new or empty directory."
        )
    if overwrite:
        return False
    if entries & {PROVENANCE_FILE, *_MODEL_FILES}:
        raise CommandError(
            f"--out {out} already holds a trained model; pass --overwrite to train "
            "again, or choose another directory."
        )
    return SETTINGS_FILE in entries


def _clear_out_dir(out):
    """Remove what skgxp fit wrote in ``out`` (and nothing else)."""
    from ._provenance import PROVENANCE_FILE, TARGET_STATS_FILE

    shutil.rmtree(out / CHECKPOINT_DIR, ignore_errors=True)
    for name in (SETTINGS_FILE, PROVENANCE_FILE, TARGET_STATS_FILE, *_MODEL_FILES):
        (out / name).unlink(missing_ok=True)


def _check_resumable(out, settings):
    from ._provenance import read_json

    stored = read_json(out / SETTINGS_FILE)
    differ = [f"{key}: {stored.get(key)!r} there, {settings[key]!r} now"
              for key in settings if stored.get(key) != settings[key]]
    if differ:
        raise CommandError(
            f"--out {out} holds an unfinished fit with other settings ("
            + "; ".join(differ) + "). Rerun with the same file and options to resume, "
            "or pass --overwrite to start over."
        )


def fit(args):
    """``skgxp fit``: train, checkpoint every epoch, resume, save with provenance."""
    from skorch.callbacks import EpochScoring
    from skorch.dataset import ValidSplit

    from ._encoder import PromoterEncoder
    from ._provenance import data_record, write_json
    from .callbacks import TrainingCheckpoint
    from .metrics import pearson_scorer

    _check_device(args.device)
    params = _parse_params(args.params)
    plotting = _plotting(args.plots)
    out = Path(args.out)
    resume = _prepare_out_dir(out, args.overwrite)
    X, y = _read_sequences(args.train, args.sequence_column, args.target_column)
    data = data_record(args.train, len(X), sequence_column=args.sequence_column,
                       target_column=args.target_column)
    settings = {
        "data_sha256": data["sha256"], "epochs": args.epochs, "batch_size": args.batch_size,
        "lr": args.lr, "precision": args.precision, "valid_fraction": args.valid_fraction,
        "seed": args.seed, "params": params,
    }
    if resume:
        _check_resumable(out, settings)
    encoder = PromoterEncoder()
    codes = _encode(encoder, X, args.train)
    del X  # the strings take more memory than the codes
    scoring, split = [], None
    if args.valid_fraction > 0:
        split = ValidSplit(args.valid_fraction, random_state=args.seed)
        scoring = [("valid_pearson", EpochScoring(pearson_scorer, lower_is_better=False,
                                                  name="valid_pearson"))]
    progress = [] if args.quiet else [("progress", _progress_bar())]
    checkpoint = TrainingCheckpoint(out / CHECKPOINT_DIR)
    regressor = _build_regressor(
        params, max_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        device=args.device, precision=args.precision, random_state=args.seed,
        train_split=split, verbose=0 if args.quiet else 1,
        # The checkpoint comes after the scoring so their scores are saved with it.
        callbacks=scoring + progress + [("checkpoint", checkpoint)],
    )
    if args.overwrite:  # only now that the input is known to be good
        _clear_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / SETTINGS_FILE, settings)
    verb = "resuming" if checkpoint.path.exists() else "training"
    print(f"skgxp fit: {len(codes):,} sequences from {args.train}; {verb} {args.epochs} "
          f"epochs on {regressor._resolve_device()}; checkpoints in {out / CHECKPOINT_DIR}")
    started = time.perf_counter()
    _train(regressor, codes, y)
    seconds = time.perf_counter() - started
    # Training-only callbacks are not part of the model.
    regressor.set_params(callbacks=scoring)
    _save_model(out, encoder, regressor, codes, y, args, settings, data, seconds)
    if plotting is not None:
        directory = args.plots or out
        _write_figures(plotting, {"training_curves": plotting.plot_training_curves(
            regressor, title=f"skgxp fit {Path(args.train).name}")}, directory)
    return EXIT_OK


def _train(regressor, X, y):
    try:
        regressor.fit(X, y)
    except (FloatingPointError, RuntimeError, ValueError) as exc:
        # RuntimeError covers CUDA out-of-memory and ConvergenceError.
        raise CommandError(f"training failed: {exc}", EXIT_FAILURE) from None
    _raise_if_interrupted(regressor)


def _save_model(out, encoder, regressor, codes, y, args, settings, data, seconds):
    import skgxp
    from sklearn.pipeline import Pipeline

    from ._provenance import (
        PROVENANCE_FILE, TARGET_STATS_FILE, describe_device, provenance_record,
        target_stats, write_json,
    )

    model = Pipeline([("promoterencoder", encoder), ("deepgxpregressor", regressor)])
    history = regressor.history
    record = provenance_record(
        parameters={"fit": settings,
                    "promoterencoder": encoder.get_params(),
                    "deepgxpregressor": regressor.get_params(deep=False)},
        data=data,
        training={
            "seconds_this_run": round(seconds, 3),
            "seconds_all_runs": round(sum(row.get("dur", 0.0) for row in history), 3),
            "epochs": len(history),
            "steps": int(sum(row.get("train_batch_count", 0) for row in history)),
            "restarts": getattr(regressor, "restarts_", []),
            "precision": args.precision,
            **describe_device(regressor._resolve_device()),
        },
    )
    skgxp.save(model, out, metadata={"provenance": record})
    write_json(out / PROVENANCE_FILE, record)
    write_json(out / TARGET_STATS_FILE, target_stats(y))
    shutil.rmtree(out / CHECKPOINT_DIR, ignore_errors=True)
    (out / SETTINGS_FILE).unlink(missing_ok=True)
    # Prove the directory loads with one call and predicts as the trained model.
    sample = codes[: min(len(codes), 16)]
    loaded = skgxp.load(out, device=args.device)
    if not np.allclose(loaded[-1].predict(sample), regressor.predict(sample),
                       rtol=1e-4, atol=1e-5):
        raise CommandError(f"{out}: the saved model does not reproduce the trained "
                           "model's predictions.", EXIT_FAILURE)
    print(f"saved the model in {out} ({record['training']['epochs']} epochs, "
          f"{record['training']['seconds_all_runs']:.0f} s of training); load it with "
          f"skgxp.load({str(out)!r})")
