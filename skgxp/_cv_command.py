"""``skgxp cv``: BHI's k-fold cross-validation, per fold and as Table 1."""

import pandas as pd

from ._cli_errors import EXIT_FAILURE, EXIT_OK, CommandError
from ._cli_io import encode_sequences, encoding_report, read_sequences
from ._cli_options import check_device, encoder_from_args, parse_params, target_columns
from ._cli_training import build_regressor, progress_callbacks, raise_if_interrupted
from ._provenance import describe_training

_PER_TARGET = {"pearson": "pearson_r", "spearman": "spearman"}


class _OutputScore:
    """A scorer ``(net, X, y)`` of one output column: Pearson r or Spearman rho."""

    def __init__(self, metric, column):
        self.metric = metric
        self.column = column

    def __call__(self, net, X, y):
        from .metrics import pearson_r, spearman_r

        statistic = {"pearson": pearson_r, "spearman": spearman_r}[self.metric]
        return statistic(y[:, self.column], net.predict(X)[:, self.column])


def _key(metric, name):
    return f"valid_{metric}[{name}]"


def _per_target_scoring(targets):
    """EpochScoring of each target's validation Pearson and Spearman (several targets)."""
    from skorch.callbacks import EpochScoring

    if len(targets) == 1:
        return []
    return [(_key(metric, name), EpochScoring(_OutputScore(metric, j), lower_is_better=False,
                                              name=_key(metric, name)))
            for j, name in enumerate(targets) for metric in _PER_TARGET]


def _fold_table(net, best, n_valid, targets):
    """The fold's per-target validation scores at its best epoch, as score_table lays out."""
    return pd.DataFrame({"n": n_valid, **{
        column: [float(net.history[best, _key(metric, name)]) for name in targets]
        for metric, column in _PER_TARGET.items()}}, index=targets)


def _summary(per_target, targets):
    """Mean (sd, ddof 1) over folds of each target's validation scores, as table1."""
    cells = {}
    for column, label in (("pearson_r", "Pearson r"), ("spearman", "Spearman rho")):
        values = pd.DataFrame({fold: table[column] for fold, table in per_target.items()})
        mean = values.mean(axis=1, skipna=False)
        sd = values.std(axis=1, ddof=1, skipna=False) if values.shape[1] > 1 else None
        cells[label] = [f"{mean[name]:.4f} ({'n/a' if sd is None else f'{sd[name]:.4f}'})"
                        for name in targets]
    return pd.DataFrame(cells, index=targets)


def cv(args):
    """``skgxp cv``: BHI's k-fold protocol, per fold and as Table 1."""
    from .protocol import cross_validate_bhi, table1

    check_device(args.device)
    params = parse_params(args.params)
    encoder = encoder_from_args(args)
    targets = target_columns(args)
    if args.only_fold and max(args.only_fold) > args.folds:
        raise CommandError(f"--only-fold {max(args.only_fold)}: there are {args.folds} "
                           "folds, numbered from 1.")
    X, y = read_sequences(args.train, args.sequence_column, targets)
    codes = encode_sequences(encoder, X, args.train)
    regressor = build_regressor(
        params, max_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        device=args.device, precision=args.precision, random_state=args.train_seed,
        verbose=0, callbacks=progress_callbacks(args.quiet) + _per_target_scoring(targets),
    )
    print(f"skgxp cv: {len(X):,} sequences from {args.train}; KFold({args.folds}, "
          f"shuffle=True, random_state={args.seed}); {args.epochs} epochs per fold "
          f"on {describe_training(regressor)}")
    print(encoding_report(encoder), flush=True)
    columns = ["best_epoch", "train_huber", "train_pearson", "train_spearman",
               "valid_huber", "valid_pearson", "valid_spearman"]
    per_target = {}

    def report(row, net):
        raise_if_interrupted(net)
        several = "" if len(targets) == 1 else f" (means over {len(targets)} targets)"
        print(f"fold {row['fold']}: best epoch {row['best_epoch']} of {row['epochs']} | "
              f"train Huber {row['train_huber']:.4f} r {row['train_pearson']:.4f} "
              f"rho {row['train_spearman']:.4f} | validation Huber "
              f"{row['valid_huber']:.4f} r {row['valid_pearson']:.4f} "
              f"rho {row['valid_spearman']:.4f}{several}", flush=True)
        if len(targets) > 1:
            table = _fold_table(net, row["best_epoch"] - 1, row["n_valid"], targets)
            per_target[row["fold"]] = table
            print(f"fold {row['fold']} validation per target:\n"
                  + table.to_string(float_format=lambda v: f"{v:.4f}"), flush=True)

    try:
        results = cross_validate_bhi(regressor, codes, y, n_splits=args.folds,
                                     random_state=args.seed, folds=args.only_fold,
                                     on_fold=report)
    except (FloatingPointError, RuntimeError) as exc:
        raise CommandError(f"training failed: {exc}", EXIT_FAILURE) from None
    print(f"\nmean (sd) over {len(results)} fold(s), each at its best epoch "
          "(Huber loss on standardized targets):")
    print(table1(results).to_string())
    extra = []
    if per_target:
        print(f"\nvalidation per target, mean (sd) over {len(results)} fold(s):")
        print(_summary(per_target, targets).to_string())
        for name in targets:
            for metric, column in _PER_TARGET.items():
                results[_key(metric, name)] = [per_target[f].loc[name, column]
                                               for f in results.index]
                extra.append(_key(metric, name))
    if args.out:
        results[["n_train", "n_valid", "epochs", *columns, *extra]].to_csv(
            args.out, sep="\t", float_format="%.6f")
        print(f"wrote per-fold results to {args.out}")
    return EXIT_OK
