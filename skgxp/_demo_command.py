"""``skgxp demo``: the README's main job, from a shell."""

from ._cli_errors import EXIT_OK
from ._cli_options import check_device, parse_params, plotting


def demo(args):
    """``skgxp demo``: train on the bundled demo set and print the DREAM scores."""
    import torch

    from ._demo import run_demo
    from ._device import resolve_device

    check_device(args.device)
    if torch.device(resolve_device(args.device)).type == "cpu":
        # This process is the demo's: on small shared CPUs torch's spin-waiting
        # threads collapse under any other load; one thread is steady.
        torch.set_num_threads(1)
    params = parse_params(args.params)
    plots = None if plotting(args.plots) is None else (args.plots or "skgxp-demo-plots")
    run_demo(epochs=args.epochs, batch_size=args.batch_size, full=args.full or None,
             device=args.device, tta=args.tta, params=params, plots=plots)
    return EXIT_OK
