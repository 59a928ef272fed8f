"""``skgxp tune``: an Optuna search over DeepGXP's parameters that a rerun continues."""

import json
import sys
import time
import warnings

from ._cli_errors import EXIT_FAILURE, EXIT_OK, CommandError
from ._cli_io import encode_sequences, encoding_report, read_sequences
from ._cli_options import check_device, encoder_from_args, parse_params, target_columns
from ._cli_training import build_regressor, progress_callbacks
from ._jsonio import plain_json
from ._provenance import data_record, describe_training

_SETTINGS_ATTR = "skgxp_tune_settings"

DESCRIPTION = """\
Search DeepGXP's parameters on TRAIN with Optuna's TPE sampler, in a study
that a rerun continues.

The study NAME lives in --storage: an SQLite file by default, a PostgreSQL
(postgresql://user:pw@host/db) or MySQL (mysql+pymysql://user:pw@host/db)
database, or Optuna's journal file (journal:PATH, no database, for a shared
file system). Trials run until the study holds N finished (complete or
pruned) trials in total: rerun the same command after a crash or a kill and
it continues, with the finished trials kept; run it on several machines
against one database (each with its own --seed) and they share the N. A
trial whose process was killed is marked FAIL once its heartbeat is older
than twice --heartbeat seconds; it does not count.

Each trial trains with the options below, the space's parameters set on top
(SPACE.json maps DeepGXPRegressor parameters to a list of choices or a range
{"low": a, "high": b, "log": true}; default: BHI's space, conv 256/320/512,
LSTM 256/320/512, FC 32/64/128/256, searched by BHI with 25 trials). Without
--folds a trial is one fit with --valid-fraction held out, scored (Pearson r)
every epoch and pruned between epochs when below the median of earlier
trials; with --folds K its score is the mean over BHI's K folds, pruned
between folds. One line is printed per finished trial and the best at the
end; train it with `skgxp fit --params` as printed."""


def add_parser(commands):
    """The ``tune`` subcommand and its options (fit's training and construct flags)."""
    from ._cli_arguments import (
        add_columns,
        add_construct,
        add_subcommand,
        add_training,
        fraction,
        positive_int,
    )
    from .tuning import BHI_N_TRIALS, DEFAULT_STORAGE

    parser = add_subcommand(commands, "tune", "search parameters with Optuna (resumable)",
                            DESCRIPTION, tune)
    parser.add_argument("train", metavar="TRAIN", help="training file (as for fit)")
    parser.add_argument("--study-name", required=True, metavar="NAME",
                        help="the study in --storage; the same name continues it")
    parser.add_argument("--storage", default=DEFAULT_STORAGE, metavar="URL",
                        help="SQLAlchemy URL of the study's database, or journal:PATH")
    parser.add_argument("--n-trials", type=positive_int, default=BHI_N_TRIALS,
                        metavar="N", help="finished trials the study holds in the end, "
                        "counting earlier runs'")
    parser.add_argument("--space", default=None, metavar="SPACE.json",
                        help="the search space as JSON (default: BHI's)")
    parser.add_argument("--folds", type=positive_int, default=None, metavar="K",
                        help="score each trial by K-fold cross-validation (BHI's split) "
                        "instead of one fit with a validation split")
    parser.add_argument("--valid-fraction", type=fraction, default=None, metavar="F",
                        help="rows held out for validation without --folds (default: 0.1)")
    parser.add_argument("--no-pruning", action="store_true",
                        help="run every trial to the end")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="seed of the TPE sampler (give each machine its own)")
    parser.add_argument("--train-seed", type=int, default=40, metavar="S",
                        help="random_state of each trial's training")
    parser.add_argument("--heartbeat", type=positive_int, default=60, metavar="S",
                        help="seconds between a running trial's heartbeats (databases)")
    add_columns(parser)
    add_construct(parser)
    add_training(parser, epochs=15, batch_size=512)
    return parser


def _read_space(path):
    from .tuning import BHI_SPACE, load_space

    if path is None:
        return dict(BHI_SPACE)
    try:
        return load_space(path)
    except FileNotFoundError:
        raise CommandError(f"--space {path}: no such file.") from None
    except IsADirectoryError:
        raise CommandError(f"--space {path} is a directory, not a JSON file.") from None
    except UnicodeDecodeError:
        raise CommandError(f"--space {path} is not a text (JSON) file.") from None
    except OSError as exc:
        raise CommandError(f"--space {path} cannot be read: {exc.strerror}.") from None
    except ValueError as exc:  # its messages start with the path
        raise CommandError(f"--space {exc}") from None


def _shown(url):
    """The storage URL without its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # journal:PATH and anything SQLAlchemy does not parse
        return url


def _describe_space(space):
    parts = []
    for name, spec in space.items():
        if isinstance(spec, list):
            parts.append(f"{name} in {spec}")
        else:
            step = f", step {spec['step']}" if "step" in spec else ""
            parts.append(f"{name} in [{spec['low']}, {spec['high']}]"
                         f"{' (log)' * spec['log']}{step}")
    return "; ".join(parts)


def _open_storage(args):
    from ._study import make_storage

    try:
        import sqlalchemy.exc

        errors = (ImportError, ValueError, sqlalchemy.exc.SQLAlchemyError)
    except ImportError:
        errors = (ImportError, ValueError)
    try:
        return make_storage(args.storage, args.heartbeat)
    except errors as exc:
        raise CommandError(f"--storage {_shown(args.storage)}: {exc}") from None


def _check_settings(storage, args, settings):
    """Record the run's settings in a new study; refuse another run's study."""
    import optuna

    study = optuna.create_study(storage=storage, study_name=args.study_name,
                                direction="maximize", load_if_exists=True)
    stored = study.user_attrs.get(_SETTINGS_ATTR)
    if stored is None:
        study.set_user_attr(_SETTINGS_ATTR, settings)
        return study
    differ = [f"{key}: {stored.get(key)!r} there, {settings[key]!r} now"
              for key in settings if stored.get(key) != settings[key]]
    if differ:
        raise CommandError(
            f"study {args.study_name!r} in {_shown(args.storage)} was started with other "
            "settings (" + "; ".join(differ) + "). Rerun with the same file and options to "
            "continue it, or choose another --study-name.")
    return study


def _count(study, *names):
    import optuna

    states = tuple(getattr(optuna.trial.TrialState, name) for name in names)
    return len(study.get_trials(deepcopy=False, states=states))


def _params_text(params):
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in params.items())


def _trial_line(study, trial, n_trials):
    seconds = (trial.duration.total_seconds() if trial.duration is not None else 0.0)
    value = trial.value if trial.value is not None else trial.user_attrs.get("score")
    score = "" if value is None else f" score {value:.4f}"  # a failed trial's NaN too
    folds = trial.user_attrs.get("fold_scores")
    if folds and len(folds) > 1:
        score += " (folds " + " ".join(f"{s:.4f}" for s in folds) + ")"
    params = _params_text(trial.params)
    finished = _count(study, "COMPLETE", "PRUNED")
    return (f"trial {trial.number} {trial.state.name.lower()}:{score} | {params} | "
            f"{seconds:.0f} s | {finished} of {n_trials} finished")


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"skgxp tune: warning: {message}", file=sys.stderr, flush=True)


def tune(args):
    """``skgxp tune``: the search, one line per finished trial, the best at the end."""
    try:
        import optuna
        import optuna_integration  # noqa: F401  (the pruning callback)
    except ImportError:
        raise CommandError("skgxp tune needs optuna and optuna-integration: pip install "
                           "'skgxp[optuna]'.") from None
    import torch

    from .callbacks import ConvergenceError
    from .tuning import check_space
    from .tuning import tune as run_tune

    check_device(args.device)
    params = parse_params(args.params)
    encoder = encoder_from_args(args)
    targets = target_columns(args)
    space = _read_space(args.space)
    if args.folds is not None and args.valid_fraction is not None:
        raise CommandError("--valid-fraction is for one fit per trial; with --folds each "
                           "fold is held out in turn.")
    if args.folds == 1:
        raise CommandError("--folds must be at least 2.")
    valid_fraction = 0.1 if args.valid_fraction is None else args.valid_fraction
    if args.folds is None and valid_fraction == 0:
        raise CommandError("--valid-fraction 0 leaves nothing to score a trial on; give a "
                           "fraction in (0, 1) or --folds K.")
    regressor = build_regressor(
        params, max_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        device=args.device, precision=args.precision, random_state=args.train_seed,
        verbose=0, callbacks=progress_callbacks(args.quiet))
    try:
        space = check_space(space, regressor)
    except ValueError as exc:
        where = "BHI's space" if args.space is None else args.space
        raise CommandError(f"--space {where}: {exc}") from None
    X, y = read_sequences(args.train, args.sequence_column, targets)
    data = data_record(args.train, len(X), sequence_column=args.sequence_column,
                       target_column=targets[0] if len(targets) == 1 else targets)
    settings = plain_json({
        "data_sha256": data["sha256"], "epochs": args.epochs, "batch_size": args.batch_size,
        "lr": args.lr, "precision": args.precision, "params": params,
        "train_seed": args.train_seed, "construct": encoder.get_construct().to_dict(),
        "trim": args.trim, "targets": targets, "folds": args.folds,
        "valid_fraction": None if args.folds else valid_fraction, "space": space,
    })
    codes = encode_sequences(encoder, X, args.train)
    del X
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our lines say it once
    storage = _open_storage(args)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        study = _check_settings(storage, args, settings)
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # before counting what is running
        finished, running = _count(study, "COMPLETE", "PRUNED"), _count(study, "RUNNING")
        protocol = (f"BHI's {args.folds} folds" if args.folds else
                    f"one fit, {valid_fraction:g} held out, scored every epoch")
        print(f"skgxp tune: {len(codes):,} sequences from {args.train}; study "
              f"{args.study_name!r} in {_shown(args.storage)}: {finished} of "
              f"{args.n_trials} trials finished"
              + (f", {running} running elsewhere (or stopped under "
                 f"{2 * args.heartbeat} s ago)" if running else "")
              + f"; {protocol}; {args.epochs} epochs per fit on "
              f"{describe_training(regressor)}")
        print(f"space: {_describe_space(space)}")
        print(encoding_report(encoder), flush=True)
        started = time.perf_counter()
        try:
            study = run_tune(
                regressor, codes, y, space, study_name=args.study_name,
                n_trials=args.n_trials, storage=storage, cv=args.folds,
                valid_fraction=valid_fraction, pruning=not args.no_pruning,
                random_state=args.seed, heartbeat_interval=args.heartbeat,
                catch=(ConvergenceError, FloatingPointError, torch.cuda.OutOfMemoryError),
                callbacks=[lambda s, t: print(_trial_line(s, t, args.n_trials),
                                              flush=True)])
        except ValueError as exc:  # a study of another search
            raise CommandError(str(exc)) from None
    return _report_best(study, args, params, time.perf_counter() - started)


def _report_best(study, args, params, seconds):
    finished = _count(study, "COMPLETE", "PRUNED")
    if _count(study, "COMPLETE") == 0:
        print(f"no trial of study {args.study_name!r} completed ({finished} finished).")
        return EXIT_FAILURE
    best = study.best_trial
    print(f"\n{finished} of {args.n_trials} trials finished ({seconds:.0f} s this run). "
          f"Best: trial {best.number}, score {best.value:.4f}, " + _params_text(best.params))
    print(f"train it (with this search's other training options): skgxp fit {args.train} "
          f"--params '{json.dumps({**params, **best.params})}' --out DIR")
    return EXIT_OK
