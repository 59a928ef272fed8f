"""``skgxp cv``: BHI's k-fold cross-validation, per fold and as Table 1."""

from ._cli_errors import EXIT_FAILURE, EXIT_OK, CommandError
from ._cli_io import encode_sequences, read_sequences
from ._cli_options import check_device, parse_params
from ._cli_training import build_regressor, progress_callbacks, raise_if_interrupted
from ._provenance import describe_training


def cv(args):
    """``skgxp cv``: BHI's k-fold protocol, per fold and as Table 1."""
    from ._encoder import PromoterEncoder
    from .protocol import cross_validate_bhi, table1

    check_device(args.device)
    params = parse_params(args.params)
    if args.only_fold and max(args.only_fold) > args.folds:
        raise CommandError(f"--only-fold {max(args.only_fold)}: there are {args.folds} "
                           "folds, numbered from 1.")
    X, y = read_sequences(args.train, args.sequence_column, args.target_column)
    codes = encode_sequences(PromoterEncoder(), X, args.train)
    regressor = build_regressor(
        params, max_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        device=args.device, precision=args.precision, random_state=args.train_seed,
        verbose=0, callbacks=progress_callbacks(args.quiet),
    )
    print(f"skgxp cv: {len(X):,} sequences from {args.train}; KFold({args.folds}, "
          f"shuffle=True, random_state={args.seed}); {args.epochs} epochs per fold "
          f"on {describe_training(regressor)}")
    columns = ["best_epoch", "train_huber", "train_pearson", "train_spearman",
               "valid_huber", "valid_pearson", "valid_spearman"]

    def report(row, net):
        raise_if_interrupted(net)
        print(f"fold {row['fold']}: best epoch {row['best_epoch']} of {row['epochs']} | "
              f"train Huber {row['train_huber']:.4f} r {row['train_pearson']:.4f} "
              f"rho {row['train_spearman']:.4f} | validation Huber "
              f"{row['valid_huber']:.4f} r {row['valid_pearson']:.4f} "
              f"rho {row['valid_spearman']:.4f}", flush=True)

    try:
        results = cross_validate_bhi(regressor, codes, y, n_splits=args.folds,
                                     random_state=args.seed, folds=args.only_fold,
                                     on_fold=report)
    except (FloatingPointError, RuntimeError) as exc:
        raise CommandError(f"training failed: {exc}", EXIT_FAILURE) from None
    print(f"\nmean (sd) over {len(results)} fold(s), each at its best epoch "
          "(Huber loss on standardized targets):")
    print(table1(results).to_string())
    if args.out:
        results[["n_train", "n_valid", "epochs", *columns]].to_csv(
            args.out, sep="\t", float_format="%.6f")
        print(f"wrote per-fold results to {args.out}")
    return EXIT_OK
