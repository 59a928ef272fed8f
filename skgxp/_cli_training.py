"""What ``skgxp fit``, ``cv`` and ``demo`` share: the regressor and its training output."""

import sys

from ._cli_errors import CommandError


def build_regressor(params, **settings):
    """A DeepGXPRegressor, its parameters checked now rather than hours into a run."""
    from sklearn.base import clone

    from ._regressor import DeepGXPRegressor

    regressor = DeepGXPRegressor(**settings, **params)
    try:
        regressor._check_params()
        # A throwaway copy: initializing the real one would make fit say it re-initializes.
        clone(regressor).set_params(verbose=0).initialize()
    except (TypeError, ValueError) as exc:
        raise CommandError(f"invalid training parameters: {exc}") from None
    return regressor


def progress_callbacks(quiet):
    """skorch's per-batch progress bar, only for someone watching a terminal.

    Redirected to a file, each update of the bar would be a line of its own.
    """
    if quiet or not sys.stderr.isatty():
        return []
    from skorch.callbacks import ProgressBar

    class _EpochProgressBar(ProgressBar):
        """skorch's bar, sized by the batches really run, showing the last valid Pearson."""

        def _get_batches_per_epoch_phase(self, net, dataset, training):
            return 0 if dataset is None else len(net.get_iterator(dataset, training=training))

        def _get_postfix_dict(self, net):
            postfix = super()._get_postfix_dict(net)
            if len(net.history) > 1 and "valid_pearson" in net.history[-2]:
                postfix["last_valid_pearson"] = f"{net.history[-2, 'valid_pearson']:.4f}"
            return postfix

    return [("progress", _EpochProgressBar(postfix_keys=["train_loss"]))]


def raise_if_interrupted(net):
    """skorch ends ``fit`` quietly on Ctrl-C; an unfinished net must not be saved."""
    history = net.history
    if len(history) < net.max_epochs or "dur" not in history[-1]:
        raise KeyboardInterrupt
