"""The ``skgxp`` command."""

import argparse
import sys


def _demo(args):
    from ._demo import run_demo

    run_demo(epochs=args.epochs, batch_size=args.batch_size, full=args.full or None,
             device=args.device, tta=args.tta)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="skgxp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="train on the bundled demo set and print DREAM scores",
        description="Train DeepGXP on the bundled DREAM demo set and print the DREAM "
        "scores on the bundled public-leaderboard labels.",
    )
    demo.add_argument("--epochs", type=int, default=7)
    demo.add_argument("--batch-size", type=int, default=64)
    demo.add_argument("--full", action="store_true",
                      help="full-size model even on the CPU (slow)")
    demo.add_argument("--device", default="auto")
    demo.add_argument("--tta", type=int, default=10, choices=(1, 2, 6, 10))
    demo.set_defaults(run=_demo)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
