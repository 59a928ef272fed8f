"""The ``skgxp`` command: BHI's DREAM 2022 workflow from a shell.

Subcommands: ``fit`` (train and save a model directory, resumable),
``predict``, ``cv`` (BHI's 5-fold protocol), ``tune`` (an Optuna search that a
rerun continues), ``evaluate`` (the DREAM weighted score), ``demo``,
``variants`` and ``ism`` (predicted effects of sequence changes). Run ``skgxp COMMAND --help`` for each.
"""

import argparse
import contextlib
import os
import re
import sys

from . import __version__
from ._cli_arguments import (
    EXIT_CODES,
    Formatter,
    add_columns,
    add_construct,
    add_plots,
    add_subcommand,
    add_training,
    fraction,
    positive_int,
)
from ._cli_errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CommandError

__all__ = ["EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

_DESCRIPTION = """\
BHI's DREAM 2022 workflow (DeepGXP) from a shell: train a model on the
challenge's sequence<TAB>expression file, predict, cross-validate with BHI's
protocol, and compute the DREAM weighted score. Run `skgxp COMMAND --help`
for each command."""


def build_parser():
    """The argument parser of the ``skgxp`` command."""
    from ._cv_command import cv
    from ._demo_command import demo
    from ._evaluate_command import evaluate
    from ._fit_command import fit
    from ._ism_command import ism
    from ._predict_command import predict
    from ._tune_command import add_parser as add_tune_parser
    from ._variants_command import variants

    parser = argparse.ArgumentParser(
        prog="skgxp", description=_DESCRIPTION, epilog=EXIT_CODES,
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action="version", version=f"skgxp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fit = add_subcommand(
        commands, "fit", "train a model on a challenge-format file and save it",
        """\
Train DeepGXP with BHI's recipe on TRAIN and save the model in DIR.

TRAIN is the challenge's `sequence<TAB>expression` file without a header
(train_sequences.txt), or a headered TSV/CSV (see --sequence-column and
--target-column); .gz is read too. Every epoch is checkpointed in DIR; if the
run is interrupted, run the same command again and it resumes from the last
completed epoch. At the end DIR holds the model (load it in Python with
skgxp.load(DIR)), provenance.json (parameters, construct, target columns,
package versions, data SHA-256 and row count, training time, device) and
target_stats.json (for `skgxp predict --calibrate`).

Other assays: --length, --flank-5p and --flank-3p (or --construct FILE)
describe the reporter construct, e.g. a 200-bp insert between 15-bp adapters;
--target-column given several times trains one output per column. How many
sequences were trimmed or padded to the insert length is printed.""",
        fit,
    )
    fit.add_argument("train", metavar="TRAIN", help="training file")
    fit.add_argument("--out", required=True, metavar="DIR",
                     help="model directory (new, empty, or of an unfinished fit to resume)")
    add_columns(fit)
    group = add_training(fit, epochs=15, batch_size=512)
    group.add_argument("--valid-fraction", type=fraction, default=0.0, metavar="F",
                       help="rows held out to report validation loss and Pearson r "
                       "each epoch (BHI's final model used 0)")
    group.add_argument("--seed", type=int, default=40, metavar="S",
                       help="random_state of training and of the validation split")
    add_construct(fit)
    fit.add_argument("--overwrite", action="store_true",
                     help="start over even if DIR holds a model or a checkpoint")
    add_plots(fit, "the training curves", "the model directory")

    predict = add_subcommand(
        commands, "predict", "predict expression of sequences with a saved model",
        """\
Predict the expression of the sequences in SEQS with the model in MODEL_DIR.

SEQS is a file of sequences, one a line (a second column such as the
challenge's placeholder expression is ignored), or a headered TSV/CSV with a
sequence column. PRED is a TSV with columns `index` (0-based data row of
SEQS), `sequence` and `prediction`; with --calibrate also `raw_prediction`.
A model of several targets writes `prediction_<target>` (and
`raw_prediction_<target>`) for each target column it was fitted on.
Sequences are encoded for the model's own construct (the one it was fitted
with). Calibration maps predictions to quantiles of the training targets
saved at fit time: 'normal' is BHI's submitted post-processing.""",
        predict,
    )
    predict.add_argument("model_dir", metavar="MODEL_DIR", help="directory from skgxp fit")
    predict.add_argument("seqs", metavar="SEQS", help="sequences to predict")
    predict.add_argument("--out", required=True, metavar="PRED",
                         help="output TSV ('-' for standard output)")
    predict.add_argument("--tta", type=int, default=10, choices=(1, 2, 6, 10),
                         help="test-time views: 10 = shifts -2..+2 x both strands")
    predict.add_argument("--calibrate", default="none",
                         choices=("none", "normal", "empirical"),
                         help="map predictions to quantiles of the training targets")
    predict.add_argument("--device", default="auto", help="'auto', 'cpu', 'cuda' or 'cuda:N'")
    predict.add_argument("--batch-size", type=positive_int, default=None, metavar="N",
                         help="sequences per prediction batch (default: the model's)")
    add_columns(predict, target=False)

    cv = add_subcommand(
        commands, "cv", "BHI's k-fold cross-validation (report Table 1)",
        """\
Cross-validate DeepGXP on TRAIN with BHI's protocol.

KFold(FOLDS, shuffle=True, random_state=SEED) splits the rows; each fold
trains on the others with the held-out fold as validation set and is
reported at its epoch of best validation Pearson r of the reverse-complement-
averaged prediction. Prints per fold, then the mean (sd) over folds of the
Huber loss (standardized targets), Pearson r and Spearman rho on the training
and validation sides, as BHI's Table 1 (validation r 0.7536 (0.00096) and
rho 0.7701 (0.00074) on the full 6.7-million-row file). With several
--target-column, the scores are means over the targets, and the validation
Pearson r and Spearman rho of each target are printed per fold (at its best
epoch) and as mean (sd) over folds. The construct options are those of fit.""",
        cv,
    )
    cv.add_argument("train", metavar="TRAIN", help="training file (as for fit)")
    cv.add_argument("--folds", type=positive_int, default=5, metavar="K",
                    help="number of folds")
    cv.add_argument("--seed", type=int, default=123456789, metavar="S",
                    help="random_state of the fold split (BHI's)")
    cv.add_argument("--only-fold", type=positive_int, action="append", default=None,
                    metavar="I", help="run fold I only (1-based; repeatable)")
    cv.add_argument("--train-seed", type=int, default=40, metavar="S",
                    help="random_state of each fold's training")
    cv.add_argument("--out", metavar="RESULTS", default=None,
                    help="also write the per-fold results as TSV")
    add_columns(cv)
    add_construct(cv)
    add_training(cv, epochs=15, batch_size=512)
    add_tune_parser(commands)

    evaluate = add_subcommand(
        commands, "evaluate", "DREAM weighted score of predictions",
        """\
Score predictions with the DREAM 2022 challenge's weighted score.

PRED is a TSV with a `prediction` column and a `sequence` or `index` column
(what `skgxp predict` writes). Predictions are joined to the labels by
sequence when both have a sequence column, else by index (the row of the
official test file); --by chooses. Rows of PRED without a label are ignored;
a label without a prediction is an error. Default labels: the bundled public
leaderboard (8,570 sequences, with its 4,964 SNV / motif pairs).""",
        evaluate,
    )
    evaluate.add_argument("predictions", metavar="PRED", help="predictions TSV")
    evaluate.add_argument("--labels", metavar="FILE", default=None,
                          help="TSV/CSV with columns index, subset, expression "
                          "(and sequence); default: bundled public leaderboard")
    evaluate.add_argument("--pairs", metavar="FILE", default=None,
                          help="TSV/CSV with columns index_ref, index_alt, subset; "
                          "default: the bundled pairs with the bundled labels")
    evaluate.add_argument("--by", choices=("auto", "sequence", "index"), default="auto",
                          help="how predictions are joined to labels")
    add_plots(evaluate, "predicted vs measured per subset (and the calibration effect "
               "when PRED has raw_prediction)", "the directory of PRED")

    demo = add_subcommand(
        commands, "demo", "train on the bundled demo set and print DREAM scores",
        """\
Train DeepGXP on the bundled DREAM demo set (6,370 sequences, 10% held out
for validation) and print the DREAM scores on the bundled public-leaderboard
labels, raw and after BHI's quantile post-processing. On a CPU the network is
trained at reduced width unless --full is given.""",
        demo,
    )
    demo.add_argument("--epochs", type=positive_int, default=7, metavar="N",
                      help="training epochs")
    demo.add_argument("--batch-size", type=positive_int, default=64, metavar="N",
                      help="sequences per optimizer step")
    demo.add_argument("--full", action="store_true",
                      help="full-size model even on the CPU (slow)")
    demo.add_argument("--device", default="auto", help="'auto', 'cpu', 'cuda' or 'cuda:N'")
    demo.add_argument("--tta", type=int, default=10, choices=(1, 2, 6, 10),
                      help="test-time views")
    demo.add_argument("--params", metavar="JSON", default=None,
                      help="more DeepGXPRegressor parameters as a JSON object")
    add_plots(demo, "the training curves, predicted vs measured per subset and the "
               "effect of test-time views and calibration", "./skgxp-demo-plots")

    variants = add_subcommand(
        commands, "variants", "predicted alt - ref effects of pairs of sequences",
        """\
Predict the effect of each pair of PAIRS with the model in MODEL_DIR:
predict(alt) - predict(ref), each with the model's test-time views (see
skgxp.interpret.variant_effects).

PAIRS is a headered TSV/CSV with a column of reference and a column of
alternative sequences (see --ref-column and --alt-column). EFFECTS is PAIRS
with a column `effect` added (`effect_<target>` per target for a model of
several), in the units of the training targets; the other columns are kept as
they are. A bad sequence is reported with its line.""",
        variants,
    )
    variants.add_argument("model_dir", metavar="MODEL_DIR", help="directory from skgxp fit")
    variants.add_argument("pairs", metavar="PAIRS", help="table of sequence pairs")
    variants.add_argument("--out", required=True, metavar="EFFECTS",
                          help="output TSV ('-' for standard output)")
    variants.add_argument("--ref-column", default="ref", metavar="NAME",
                          help="column of reference sequences")
    variants.add_argument("--alt-column", default="alt", metavar="NAME",
                          help="column of alternative sequences")

    ism = add_subcommand(
        commands, "ism", "effect of every single substitution (saturation mutagenesis)",
        """\
Saturation mutagenesis of the sequences in SEQS with the model in MODEL_DIR:
for every position of each insert (as the model sees it: trimmed to the
construct's length) and each of the 3 other bases, predict(mutant) -
predict(sequence), with the model's test-time views (see
skgxp.interpret.saturation_mutagenesis).

SEQS is read as by skgxp predict. OUT.npz holds `effects`, of shape
(n, 4, length) (bases A, C, G, T; (n, targets, 4, length) for a model of
several targets), exactly 0 at the reference base and past the end of a
shorter insert; `sequences`, `prediction` (the reference predictions) and
`targets` (the target names). OUT.npy holds `effects` alone. --motifs also
writes the high-effect stretches (seqlets) of each map and their best JASPAR
2024 fungi matches, one row per (sequence, seqlet, match), as TSV (see
skgxp.interpret.match_motifs; needs skgxp[interpret]).""",
        ism,
    )
    ism.add_argument("model_dir", metavar="MODEL_DIR", help="directory from skgxp fit")
    ism.add_argument("seqs", metavar="SEQS", help="sequences to mutate")
    ism.add_argument("--out", required=True, metavar="OUT", help="output .npz or .npy file")
    ism.add_argument("--motifs", default=None, metavar="TSV",
                     help="also write the seqlets' motif matches to this TSV")
    add_columns(ism, target=False)
    for command in (variants, ism):
        command.add_argument("--tta", type=int, default=10, choices=(1, 2, 6, 10),
                             help="test-time views: 10 = shifts -2..+2 x both strands")
        command.add_argument("--device", default="auto",
                             help="'auto', 'cpu', 'cuda' or 'cuda:N'")
        command.add_argument("--batch-size", type=positive_int, default=None, metavar="N",
                             help="sequences per forward batch (default: the model's)")
    return parser


def _error(message):
    print(f"skgxp: error: {message}", file=sys.stderr)


_ANSI_CODE = re.compile("\x1b\\[[0-9;]*m")


class _PlainText:
    """A text stream that drops ANSI colour codes (skorch colours its epoch table)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        return self._stream.write(_ANSI_CODE.sub("", text))

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _plain_stdout():
    """No colour codes in standard output unless it is a terminal (log files, pipes)."""
    stdout = sys.stdout
    if stdout.isatty():
        yield
        return
    sys.stdout = _PlainText(stdout)
    try:
        yield
    finally:
        sys.stdout = stdout


def main(argv=None):
    """Run the ``skgxp`` command; return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 1 when the run failed, 2 for bad usage or input, 130
        when interrupted.
    """
    args = build_parser().parse_args(argv)
    with _plain_stdout():
        return _run(args)


def _run(args):
    debug = os.environ.get("SKGXP_DEBUG", "") not in ("", "0")
    try:
        return args.run(args) or 0
    except CommandError as exc:
        if debug:
            raise
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted." + {
            "fit": " Run the same command again to resume from the last completed epoch.",
            "tune": " Run the same command again to continue the study.",
        }.get(args.command, ""))
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE
    except MemoryError:
        _error("out of host memory; use a smaller file or a machine with more memory.")
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
