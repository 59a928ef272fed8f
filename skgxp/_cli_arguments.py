"""The ``skgxp`` command's argparse pieces shared by its subcommands.

The help formatter and exit-status epilog, argument types, and the option
groups that several subcommands take (columns, construct, training, plots).
"""

import argparse

EXIT_CODES = """\
exit status:
  0    success
  1    the run failed (training diverged, out of memory, an unexpected error)
  2    bad usage or input (missing file, malformed row, unknown column or device)
  130  interrupted (Ctrl-C); rerun the same `skgxp fit` (or `tune`) to resume

Errors are printed on stderr as "skgxp: error: ..."; set SKGXP_DEBUG=1 to get
the Python traceback as well.
"""


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep the hand-wrapped descriptions; show the defaults that say something."""

    def _get_help_string(self, action):
        help = action.help or ""
        quiet = action.default is None or action.default is False
        if not quiet and action.default is not argparse.SUPPRESS and action.option_strings:
            help += " (default: %(default)s)"
        return help


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return value


def fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not in [0, 1)")
    return value


def add_subcommand(commands, name, help, description, run):
    parser = commands.add_parser(
        name, help=help, description=description, epilog=EXIT_CODES,
        formatter_class=Formatter,
    )
    parser.set_defaults(run=run)
    return parser


def add_columns(parser, target=True):
    parser.add_argument("--sequence-column", default="sequence", metavar="NAME",
                        help="column of sequences in a headered TSV/CSV file")
    if target:
        parser.add_argument(
            "--target-column", action="append", default=None, metavar="NAME",
            help="column of measured expression in a headered file; repeat it to train "
            "one output per column (default: expression)")


def add_construct(parser):
    group = parser.add_argument_group(
        "construct (default: DREAM's, a 110-bp insert between 37-bp 5' and 76-bp 3' "
        "flanks)")
    group.add_argument("--length", type=positive_int, default=None, metavar="N",
                       help="insert length the model sees: longer sequences are trimmed "
                       "(see --trim), shorter ones padded with the flanks (default: 110)")
    group.add_argument("--flank-5p", default=None, metavar="SEQ",
                       help="vector bases upstream of the insert, any width ('' for "
                       "none; default: DREAM's)")
    group.add_argument("--flank-3p", default=None, metavar="SEQ",
                       help="vector bases downstream of the insert, any width ('' for "
                       "none; default: DREAM's)")
    group.add_argument("--construct", default=None, metavar="FILE",
                       help="the construct as a JSON file ({\"length\": ..., "
                       "\"flank_5p\": ..., \"flank_3p\": ...}, as skgxp.Construct."
                       "to_json writes it); instead of the three options above")
    group.add_argument("--trim", default="3p", choices=("3p", "5p", "error"),
                       help="sequences longer than the insert lose bases from their 3' "
                       "end (BHI), from their 5' end, or are refused")


def add_training(parser, epochs, batch_size):
    group = parser.add_argument_group("training (BHI's recipe unless changed)")
    group.add_argument("--epochs", type=positive_int, default=epochs, metavar="N",
                       help="training epochs")
    group.add_argument("--batch-size", type=positive_int, default=batch_size, metavar="N",
                       help="sequences per optimizer step (each on both strands)")
    group.add_argument("--lr", type=float, default=1.5e-3, help="peak learning rate")
    group.add_argument("--device", default="auto",
                       help="'auto' (CUDA when available), 'cpu', 'cuda' or 'cuda:N'")
    group.add_argument("--precision", default="auto", choices=("auto", "bf16", "fp32"),
                       help="'auto': bf16 autocast on CUDA; on a CPU, bf16 for training "
                            "where it has native bf16 (AVX512-BF16/AMX), else fp32")
    group.add_argument(
        "--params", metavar="JSON", default=None,
        help="more DeepGXPRegressor parameters as a JSON object, e.g. "
        "'{\"module__lstm_hidden_size\": 64}' for a smaller network",
    )
    group.add_argument("--quiet", action="store_true",
                       help="no progress bar and no per-epoch table")
    return group


def add_plots(parser, what, where):
    parser.add_argument(
        "--plots", nargs="?", const="", default=None, metavar="DIR",
        help=f"write PNG figures of {what} into DIR (without DIR: into {where}); "
        "needs matplotlib (pip install 'skgxp[plots]')",
    )
