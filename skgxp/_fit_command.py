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
from skorch.callbacks import Callback

from ._cli_errors import EXIT_FAILURE, EXIT_OK, CommandError
from ._cli_io import encode_sequences, encoding_report, read_json, read_sequences
from ._cli_options import (
    check_device,
    encoder_from_args,
    parse_params,
    plotting,
    target_columns,
    write_figures,
)
from ._cli_training import build_regressor, progress_callbacks, raise_if_interrupted
from ._jsonio import plain_json, write_json
from ._provenance import (
    PROVENANCE_FILE,
    TARGET_STATS_FILE,
    data_record,
    describe_device,
    describe_training,
    provenance_record,
    target_stats,
    training_precision,
)

#: Written when a fit starts, removed when its model is saved: an unfinished fit.
SETTINGS_FILE = "fit_settings.json"
CHECKPOINT_DIR = "checkpoint"
_MODEL_FILES = ("model.json", "weights.safetensors")
#: Settings that fits before the construct options did not record: compared
#: only when the unfinished fit's settings have them.
_LATER_SETTINGS = ("construct", "trim", "targets")


def _checkpoint_file(out):
    from .callbacks import TrainingCheckpoint

    return out / CHECKPOINT_DIR / TrainingCheckpoint.filename


def _prepare_out_dir(out, overwrite):
    """Check ``--out``; return True when it holds an unfinished fit to resume."""
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
    # Settings without a checkpoint: that fit stopped before its first epoch ended,
    # so there is nothing to resume and nothing that another fit would lose.
    return SETTINGS_FILE in entries and _checkpoint_file(out).is_file()


def _clear_out_dir(out):
    """Remove what skgxp fit wrote in ``out`` (and nothing else)."""
    shutil.rmtree(out / CHECKPOINT_DIR, ignore_errors=True)
    for name in (SETTINGS_FILE, PROVENANCE_FILE, TARGET_STATS_FILE, *_MODEL_FILES):
        (out / name).unlink(missing_ok=True)


def _check_resumable(out, settings):
    stored = read_json(out / SETTINGS_FILE, "the settings of an unfinished skgxp fit")
    if not isinstance(stored, dict):
        raise CommandError(f"{out / SETTINGS_FILE} is damaged; pass --overwrite to start "
                           "over.")
    differ = [f"{key}: {stored.get(key)!r} there, {settings[key]!r} now"
              for key in settings if stored.get(key) != settings[key]
              and (key in stored or key not in _LATER_SETTINGS)]
    if differ:
        raise CommandError(
            f"--out {out} holds an unfinished fit with other settings ("
            + "; ".join(differ) + "). Rerun with the same file and options to resume, "
            "or pass --overwrite to start over."
        )


class _EarlierRuns(Callback):
    """Training seconds of the runs before this one: the epochs a resumed fit restores."""

    def __init__(self):
        self.seconds_ = None

    def on_train_begin(self, net, **kwargs):
        # The first attempt only: after a convergence restart the history starts afresh.
        if self.seconds_ is None:
            self.seconds_ = sum(row.get("dur", 0.0) for row in net.history)


def fit(args):
    """``skgxp fit``: train, checkpoint every epoch, resume, save with provenance."""
    from skorch.callbacks import EpochScoring
    from skorch.dataset import ValidSplit

    from .callbacks import TrainingCheckpoint
    from .metrics import pearson_scorer

    check_device(args.device)
    params = parse_params(args.params)
    plots = plotting(args.plots)
    encoder = encoder_from_args(args)
    targets = target_columns(args)
    out = Path(args.out)
    resume = _prepare_out_dir(out, args.overwrite)
    X, y = read_sequences(args.train, args.sequence_column, targets)
    data = data_record(args.train, len(X), sequence_column=args.sequence_column,
                       target_column=targets[0] if len(targets) == 1 else targets)
    # As JSON data, so that it compares equal to the copy read back on resume.
    settings = plain_json({
        "data_sha256": data["sha256"], "epochs": args.epochs, "batch_size": args.batch_size,
        "lr": args.lr, "precision": args.precision, "valid_fraction": args.valid_fraction,
        "seed": args.seed, "params": params, "construct": encoder.get_construct().to_dict(),
        "trim": args.trim, "targets": targets,
    })
    if resume:
        _check_resumable(out, settings)
    codes = encode_sequences(encoder, X, args.train)
    del X  # the strings take more memory than the codes
    scoring, split = [], None
    if args.valid_fraction > 0:
        split = ValidSplit(args.valid_fraction, random_state=args.seed)
        scoring = [("valid_pearson", EpochScoring(pearson_scorer, lower_is_better=False,
                                                  name="valid_pearson"))]
    # --out serves one fit: its checkpoint sits at a fixed path (no per-fit subdirectory).
    checkpoint = TrainingCheckpoint(out / CHECKPOINT_DIR, per_fit=False)
    earlier = _EarlierRuns()
    regressor = build_regressor(
        params, max_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        device=args.device, precision=args.precision, random_state=args.seed,
        train_split=split, verbose=0 if args.quiet else 1,
        # The checkpoint comes after the scoring so their scores are saved with it.
        callbacks=scoring + progress_callbacks(args.quiet)
        + [("checkpoint", checkpoint), ("earlier_runs", earlier)],
    )
    if args.overwrite:  # only now that the input is known to be good
        _clear_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / SETTINGS_FILE, settings)
    verb = "resuming" if checkpoint.path.exists() else "training"
    print(f"skgxp fit: {len(codes):,} sequences from {args.train}; {verb} {args.epochs} "
          f"epochs on {describe_training(regressor)}; checkpoints in {out / CHECKPOINT_DIR}")
    print(encoding_report(encoder), flush=True)
    started = time.perf_counter()
    _train(regressor, codes, y)
    seconds = time.perf_counter() - started
    # Training-only callbacks are not part of the model.
    regressor.set_params(callbacks=scoring)
    timing = {"seconds_this_run": round(seconds, 3),
              "seconds_all_runs": round(earlier.seconds_ + seconds, 3)}
    if split is not None and len(targets) > 1:
        _print_validation_scores(regressor, split, codes, y, targets)
    _save_model(out, encoder, regressor, codes, y, args, settings, data, timing)
    if plots is not None:
        directory = args.plots or out
        write_figures(plots, {"training_curves": plots.plot_training_curves(
            regressor, title=f"skgxp fit {Path(args.train).name}")}, directory)
    return EXIT_OK


def _train(regressor, X, y):
    try:
        regressor.fit(X, y)
    except (FloatingPointError, RuntimeError, ValueError) as exc:
        # RuntimeError covers CUDA out-of-memory and ConvergenceError.
        raise CommandError(f"training failed: {exc}", EXIT_FAILURE) from None
    raise_if_interrupted(regressor)


def _print_validation_scores(regressor, split, codes, y, targets):
    """Per-target Pearson r and Spearman rho on the validation rows, at the last epoch."""
    from .metrics import score_table

    _, valid = split(np.arange(len(codes)))
    rows = np.asarray(valid.indices)
    table = score_table(y[rows], regressor.predict(codes[rows]), targets)
    print(f"validation scores per target (last epoch, {len(rows):,} sequences):")
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))


def _save_model(out, encoder, regressor, codes, y, args, settings, data, timing):
    import skgxp
    from sklearn.pipeline import Pipeline

    model = Pipeline([("promoterencoder", encoder), ("deepgxpregressor", regressor)])
    history = regressor.history
    record = provenance_record(
        parameters={"fit": settings,
                    "promoterencoder": encoder.get_params(),
                    "deepgxpregressor": regressor.get_params(deep=False)},
        data=data,
        training={
            **timing,
            "epochs": len(history),
            "steps": int(sum(row.get("train_batch_count", 0) for row in history)),
            "restarts": getattr(regressor, "restarts_", []),
            "precision": training_precision(regressor),
            **describe_device(regressor._resolve_device()),
        },
        construct=encoder.get_construct(),
        targets=settings["targets"],
    )
    skgxp.save(model, out, metadata={"provenance": record})
    write_json(out / PROVENANCE_FILE, record)
    write_json(out / TARGET_STATS_FILE, target_stats(y, settings["targets"]))
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
          f"{record['training']['seconds_all_runs']:.0f} s of training on "
          f"{describe_training(regressor)}); load it with skgxp.load({str(out)!r})")
