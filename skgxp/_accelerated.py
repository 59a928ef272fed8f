"""DeepGXPRegressor trained data-parallel with Hugging Face Accelerate (skorch's mixin).

Every rank iterates the same global batches and trains on its slice of each;
losses and predictions are reduced over the ranks, so callbacks decide alike.
"""

import contextlib
import random

import numpy as np
import torch
from skorch import NeuralNet
from skorch.hf import AccelerateMixin

from ._convergence import restart_seed
from ._device import _resolved, explain_oom
from ._regressor import DeepGXPRegressor
from ._steps import _CPU_ROWS, _TTA_VIEWS, _unpack
from ._validation import check_regressor_params

#: ``resolved_precision(training=True)`` for the accelerator's ``mixed_precision``.
_MIXED = {"no": "fp32", "bf16": "bf16", "fp16": "fp16", "fp8": "fp8"}


class AcceleratedDeepGXPRegressor(AccelerateMixin, DeepGXPRegressor):
    """DeepGXPRegressor trained data-parallel with Hugging Face Accelerate.

    skorch's :class:`~skorch.hf.AccelerateMixin` on :class:`~skgxp.DeepGXPRegressor`:
    start one process per device (``accelerate launch --multi_gpu
    --num_processes N script.py`` on GPUs, ``torchrun --nproc_per_node N``
    with ``Accelerator(cpu=True)`` on CPUs) and each process fits the same
    data. ``batch_size`` is the *global* batch: every rank draws the same
    shuffled batches and the same random vector padding, trains on its
    contiguous slice of each batch (sizes differ by at most one row) and DDP
    averages the gradients, each rank's weighted by its share of the rows, so
    one step is the step of one process on the whole batch. The number of
    optimizer steps, the cosine schedule, the training history, the
    convergence monitor's decisions and early stopping are those of one
    process. A batch with fewer rows than processes is trained whole on every
    rank. Dropout comes from each rank's own generator (seeded from
    ``random_state``, the rank and the step), so the shared shuffling and
    padding stream stays in step. The validation split is sharded likewise;
    prediction is not distributed (every process predicts all rows). Only the
    main process writes a :class:`~skgxp.callbacks.TrainingCheckpoint` or
    ``save_params`` file; every process resumes from it.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=DeepGXP
        As for :class:`~skgxp.DeepGXPRegressor`.
    accelerator : accelerate.Accelerator
        Places the network, runs DDP and sets the training precision
        (``Accelerator(mixed_precision="bf16")``). ``gradient_accumulation_steps``
        must be 1: a larger ``batch_size`` is the same step.
    device : None, default=None
        Left to the accelerator (skorch's rule); any other value is refused
        while the accelerator places the network. The attribute ``device``
        names the accelerator's device.
    unwrap_after_train : bool, default=True
        Drop the DDP wrapper and the accelerator's autocast after ``fit``, so
        that prediction follows ``precision`` and the net pickles.
    precision : {"auto", "bf16", "fp32"}, default="auto"
        Training runs in the accelerator's ``mixed_precision``; an explicit
        ``"bf16"`` or ``"fp32"`` must agree with it (``"bf16"`` or ``"no"``).
        Prediction after ``fit`` as in :class:`~skgxp.DeepGXPRegressor`:
        ``"auto"`` is bfloat16 on CUDA and float32 on a CPU.
    random_state : int or None, default=40
        Seeds every process alike. With several processes and None, the main
        process draws a seed and sends it to the others (they must shuffle
        alike).
    **kwargs
        Every other parameter of :class:`~skgxp.DeepGXPRegressor` and skorch.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network, never wrapped (checkpoints and ``state_dict``
        keys are those of :class:`~skgxp.DeepGXPRegressor`).
    device : str
        The accelerator's device (the ``device`` parameter stays None).
    history_ : skorch.History
        As for :class:`~skgxp.DeepGXPRegressor`, the same on every rank:
        losses and batch sizes are those of the global batches.

    See Also
    --------
    DeepGXPRegressor : The same recipe in one process.

    Notes
    -----
    Scripts should end with ``accelerator.end_training()``: a gloo process
    group left alive at exit can abort the interpreter ("terminate called
    without an active exception"), which the launcher reports as a failure.

    Examples
    --------
    In one process (the network is the same as that of
    :class:`~skgxp.DeepGXPRegressor`); launched with several, the same script
    trains data-parallel:

    >>> from accelerate import Accelerator
    >>> from skgxp import PromoterEncoder
    >>> from skgxp.accelerate import AcceleratedDeepGXPRegressor
    >>> from skgxp.datasets import load_dream_demo
    >>> X, y = load_dream_demo(return_X_y=True)
    >>> codes = PromoterEncoder().fit_transform(X[:128])
    >>> tiny = dict(module__conv1_channels=4, module__lstm_hidden_size=4,
    ...             module__conv2_channels=4, module__fc_size=4)
    >>> accelerator = Accelerator(cpu=True)
    >>> net = AcceleratedDeepGXPRegressor(accelerator=accelerator, max_epochs=1,
    ...                                   batch_size=64, verbose=0, **tiny)
    >>> net.fit(codes, y[:128]).predict(codes[:3]).shape
    (3,)
    >>> accelerator.end_training()
    """

    # -- parameters and device ------------------------------------------------

    @property
    def device(self):
        """The device in use: the accelerator's when the ``device`` parameter is None."""
        requested = self.__dict__.get("device")
        accelerator = self.__dict__.get("accelerator")
        if requested is None and accelerator is not None:
            return str(accelerator.device)
        return _resolved(requested)

    @device.setter
    def device(self, value):
        self.__dict__["device"] = value

    def _check_params(self):
        self._check_accelerator()  # first: the device in use is the accelerator's
        check_regressor_params(_AsPlaced(self), tta_settings=_TTA_VIEWS)

    def _check_accelerator(self):
        try:
            from accelerate import Accelerator
        except ImportError:  # pragma: no cover - the extra is what provides it
            raise ImportError(
                "AcceleratedDeepGXPRegressor needs accelerate: "
                "pip install 'skgxp[accelerate]'."
            ) from None
        acc = self.accelerator
        if not isinstance(acc, Accelerator):
            raise TypeError(
                f"accelerator must be an accelerate.Accelerator; got {type(acc).__name__}."
            )
        device = self.__dict__.get("device")
        if acc.device_placement and device is not None:
            raise ValueError(
                f"device must be None: the accelerator places the network (on "
                f"{acc.device}); got device={device!r}."
            )
        if acc.gradient_accumulation_steps != 1:
            raise ValueError(
                "The accelerator's gradient_accumulation_steps must be 1 (got "
                f"{acc.gradient_accumulation_steps}): the cosine schedule counts "
                "batches; use a larger batch_size, which is the same step."
            )
        wanted = {"bf16": "bf16", "fp32": "no"}.get(self.precision)
        if wanted is not None and acc.mixed_precision != wanted:
            raise ValueError(
                f"precision={self.precision!r} but the accelerator trains with "
                f"mixed_precision={acc.mixed_precision!r}: training precision is the "
                f"accelerator's; use Accelerator(mixed_precision={wanted!r}) or "
                "precision='auto'."
            )

    def _validate_params(self):
        # The mixin checks the device *attribute*, which here names the
        # accelerator's device; the parameter is checked instead.
        NeuralNet._validate_params(self)
        self._check_accelerator()

    def resolved_precision(self, training=True):
        """The precision of training (the accelerator's) or of prediction.

        Parameters
        ----------
        training : bool, default=True
            Training (the accelerator's ``mixed_precision``: ``"fp32"`` for
            ``"no"``) or prediction (as :class:`~skgxp.DeepGXPRegressor`).

        Returns
        -------
        precision : {"bf16", "fp16", "fp8", "fp32"}
            The precision.
        """
        if training:
            return _MIXED.get(self.accelerator.mixed_precision, self.accelerator.mixed_precision)
        return super().resolved_precision(training=False)

    # -- the accelerator's wrappers ------------------------------------------

    def _initialize_callbacks(self):
        # The mixin replaces the parameter 'auto' by accelerator.print, which
        # PrintLog calls whatever ``verbose`` (it checks that only for print),
        # and a clone would keep. The parameter stays; the callback gets a sink.
        NeuralNet._initialize_callbacks(self)
        for name, cb in self.callbacks_:
            if name == "print_log" and getattr(cb, "sink", None) == "auto":
                cb.sink = self._print_on_main
        return self

    def _print_on_main(self, *args, **kwargs):
        """PrintLog's sink: the main process prints, as ``print`` with ``verbose``."""
        if self.verbose:
            self.accelerator.print(*args, **kwargs)

    def initialize(self):
        # A fresh network (a new fit, or the convergence monitor's restart)
        # needs a wrapper of its own: the old one belongs to discarded weights.
        self._wrapped_with_accelerator = False
        self.__dict__["_ddp_module_"] = None
        return super().initialize()

    def _initialize_accelerator(self):
        if self._wrapped_with_accelerator:
            return self
        from accelerate.optimizer import AcceleratedOptimizer

        # module_ stays the plain network (checkpoints, save_params and
        # prediction see its own state dict); the DDP wrapper is kept beside
        # it, outside skorch's __setattr__, which would register it as a module.
        self.__dict__["_ddp_module_"] = self.accelerator.prepare(self.module_)
        for name in self._optimizers:
            optimizer = getattr(self, name + "_")
            if isinstance(optimizer, torch.optim.Optimizer) and not isinstance(
                    optimizer, AcceleratedOptimizer):
                with self._current_init_context("optimizer"):
                    setattr(self, name + "_", self.accelerator.prepare(optimizer))
        self._wrapped_with_accelerator = True
        return self

    def _unwrap_accelerator(self):
        if not self._wrapped_with_accelerator:
            return
        # Restores the network's own forward if the accelerator added autocast.
        self.module_ = self.accelerator.unwrap_model(self.module_, keep_fp32_wrapper=False)
        self.__dict__["_ddp_module_"] = None
        self._wrapped_with_accelerator = False

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        # partial_fit and warm starts train a network unwrapped after its last fit.
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self._initialize_accelerator()

    def get_iterator(self, dataset, training=False):
        # Global batches on every rank, not the accelerator's sharded loader:
        # each step slices its batch itself (train_step_single).
        return NeuralNet.get_iterator(self, dataset, training=training)

    def evaluation_step(self, batch, training=False):
        # Every process predicts all rows: nothing to gather.
        return DeepGXPRegressor.evaluation_step(self, batch, training=training)

    def save_params(self, *args, **kwargs):
        """skorch's ``save_params``, written by the main process only.

        Every process must call it (it waits for the others first).

        Parameters
        ----------
        *args, **kwargs
            As for :meth:`skorch.net.NeuralNet.save_params`.
        """
        self.accelerator.wait_for_everyone()
        if self.accelerator.is_main_process:
            NeuralNet.save_params(self, *args, **kwargs)

    def load_params(self, *args, **kwargs):
        """skorch's ``load_params`` on every process; ``device`` stays None.

        Parameters
        ----------
        *args, **kwargs
            As for :meth:`skorch.net.NeuralNet.load_params`.
        """
        self.accelerator.wait_for_everyone()
        requested = self.__dict__.get("device")
        try:
            NeuralNet.load_params(self, *args, **kwargs)
        finally:
            self.__dict__["device"] = requested

    # -- seeds ---------------------------------------------------------------

    def _seed(self, attempt=0):
        seed = restart_seed(self.random_state, attempt)
        if seed is None and self.accelerator.num_processes > 1:
            seed = _shared_seed(self.accelerator)
            torch.manual_seed(seed)
            np.random.seed(seed % 2**32)
            random.seed(seed)
        else:
            super()._seed(attempt)
        self._stream_seed_ = seed

    @contextlib.contextmanager
    def _rank_generator(self):
        """Dropout of this step from the rank's own generator, the shared one untouched."""
        if self.accelerator.num_processes == 1:
            yield
            return
        step = sum(len(row["batches"]) for row in self.history)
        entropy = [int(self._stream_seed_) % 2**63,
                   self.accelerator.process_index, step]
        seed = int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0])
        device = torch.device(self.device)
        devices = [device] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield

    # -- training and validation steps ---------------------------------------

    def train_step_single(self, batch, **fit_params):
        acc = self.accelerator
        world = acc.num_processes
        self._set_training(True)
        Xi, yi, wi = _unpack(batch)
        n = len(Xi)
        rows, sizes = _shard(n, world, acc.process_index)
        share = sizes[acc.process_index] / n if sizes else 1 / world
        # Padding is drawn for the whole batch on every rank: the same draws
        # as one process, and the shared generator stays in step.
        x = self._training_input(Xi)
        if sizes:
            x = x.unflatten(0, (-1, n))[:, rows].flatten(0, 1)  # each strand's rows
            yi, wi = yi[rows], (None if wi is None else wi[rows])
        with explain_oom(self), self._rank_generator():
            with acc.autocast():
                out = self._train_forward(x, **fit_params)
            strands = out.float().chunk(2) if self.rc_conjoin else (out.float(),)
            loss = self.get_loss(strands, yi, X=Xi, training=True, sample_weight=wi)
            total = self._sum_over_ranks(loss.detach() * share)  # the global batch's loss
            self._check_finite(total)  # on every rank alike
            # DDP averages over ranks: weighting by world * share makes the sum
            # over ranks of share * gradient, the global batch's gradient.
            acc.backward(loss * (share * world))
        y_pred = (sum(strands) / len(strands)).detach()
        return {"loss": total, "y_pred": self._global_rows(y_pred, sizes)}

    def validation_step(self, batch, **fit_params):
        acc = self.accelerator
        n = len(batch[0])
        rows, sizes = _shard(n, acc.num_processes, acc.process_index)
        if not sizes:  # one process, or fewer rows than processes: all rows here
            return super().validation_step(batch, **fit_params)
        shard = tuple(None if part is None else part[rows] for part in batch)
        step = super().validation_step(shard, **fit_params)
        share = sizes[acc.process_index] / n
        return {"loss": self._sum_over_ranks(step["loss"].detach() * share),
                "y_pred": self._global_rows(step["y_pred"], sizes)}

    def _train_forward(self, x, **fit_params):
        module = self.__dict__.get("_ddp_module_")
        module = self.module_ if module is None else module
        chunks = x.split(_CPU_ROWS) if x.device.type == "cpu" else (x,)
        return torch.cat([module(chunk, **fit_params) for chunk in chunks])

    def _sum_over_ranks(self, value):
        if self.accelerator.num_processes == 1:
            return value
        return self.accelerator.reduce(value, "sum")

    def _global_rows(self, y_pred, sizes):
        """The global batch's predictions, in its row order, on every rank."""
        acc = self.accelerator
        if acc.num_processes == 1:
            return y_pred
        if not sizes:  # every rank predicted the whole batch
            return acc.reduce(y_pred, "mean")
        width = max(sizes)  # gather needs equal shapes: pad, then trim
        padded = y_pred.new_zeros((width, *y_pred.shape[1:]))
        padded[: len(y_pred)] = y_pred
        gathered = acc.gather(padded)
        return torch.cat([gathered[r * width: r * width + s] for r, s in enumerate(sizes)])


class _AsPlaced:
    """The regressor as the shared checks see it: device None is the accelerator's."""

    def __init__(self, net):
        self._net = net

    def __getattr__(self, name):
        return getattr(self._net, name)

    def get_params(self, deep=True):
        return {**self._net.get_params(deep=deep), "device": self._net.device}


def _shard(n, world, rank):
    """This rank's rows of a global batch of ``n`` and every rank's row count.

    ``(slice(None), None)`` when nothing is split: one process, or fewer rows
    than processes.
    """
    if world == 1 or n < world:
        return slice(None), None
    bounds = [n * r // world for r in range(world + 1)]
    return slice(bounds[rank], bounds[rank + 1]), [b - a for a, b in zip(bounds, bounds[1:])]


def _shared_seed(accelerator):
    """A fresh seed drawn by the main process, the same on every process."""
    from accelerate.utils import broadcast_object_list

    seed = [int(np.random.SeedSequence().generate_state(1)[0])]
    broadcast_object_list(seed, from_process=0)
    return seed[0]
