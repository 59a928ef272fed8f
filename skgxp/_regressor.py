"""DeepGXPRegressor: BHI's DeepGXP training recipe as a skorch regressor."""

import random

import numpy as np
import torch
from skorch import NeuralNet, NeuralNetRegressor
from sklearn.utils._available_if import available_if
from skorch.utils import is_dataset
from skorch.callbacks import EpochTimer, PassthroughScoring, PrintLog

from ._batching import ArrayBatchIterator, WeightedDataset
from ._views import PADDING_PROBABILITIES
from ._convergence import ConvergenceMonitor, restart_seed
from ._device import DeviceMixin
from ._module import DeepGXP
from ._resume import TrainingCheckpoint, begin_training, fit_attempts
from ._schedule import CosinePerBatch
from ._steps import _TTA_VIEWS, TrainingStepsMixin
from ._targets import learn_standardization
from ._validation import (
    check_model_input,
    check_regressor_params,
    check_sample_weight,
    check_target,
)


class DeepGXPRegressor(DeviceMixin, TrainingStepsMixin, NeuralNetRegressor):
    """DeepGXP, BHI's CNN-BiLSTM, trained with BHI's recipe.

    A skorch :class:`~skorch.NeuralNetRegressor` whose defaults are BHI's
    submitted configuration: target standardization ``(y - 11) / std(y)``
    inside, a reverse-complement-conjoined Huber loss (both strands, one
    step), AdamW (lr 1.5e-3, weight decay 0.01), batches of 512 shuffled with
    ``drop_last``, cosine annealing stepped every batch to 0 at the last batch
    of the fit, 15 epochs, seed 40, and the mean of 10 test-time views
    (shifts -2..+2 bp, both strands) at prediction. skorch's grammar is
    unchanged: ``module__*``, ``optimizer__*``, ``callbacks__*``, ``lr``,
    ``batch_size``.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=DeepGXP
        The network; ``input_length`` is set from the data at ``fit``.
    criterion : torch loss class, default=torch.nn.HuberLoss
        Applied to each strand's prediction; the training loss is the mean of
        the two. Huber's ``delta`` (1.0) is ``criterion__delta``.
    optimizer : torch optimizer class, default=torch.optim.AdamW
        Weight decay 0.01 via ``optimizer__weight_decay``.
    lr : float, default=1.5e-3
        Peak learning rate of the cosine schedule.
    max_epochs : int, default=15
        Training epochs.
    batch_size : int, default=512
        Rows per training step (each row is run on both strands) and per
        prediction batch (times the number of views). With fewer training
        rows than ``batch_size``, the one partial batch is trained on.
    train_split : callable or None, default=None
        skorch's internal validation split, e.g. ``ValidSplit(0.1,
        random_state=0)``; None trains on all rows, as BHI's final model.
    callbacks : list or None, default=None
        skorch callbacks added to the defaults (which include the per-batch
        cosine schedule, named ``"lr_schedule"``, and the convergence monitor,
        ``"convergence"``). Add :class:`~skgxp.callbacks.TrainingCheckpoint`
        to make ``fit`` resumable after an interruption.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        ``"auto"`` uses CUDA when available. The parameter keeps the value
        given; the attribute ``device`` names the device in use.
    precision : {"auto", "bf16", "fp32"}, default="auto"
        ``"auto"``: bfloat16 autocast on CUDA. On a CPU with native bfloat16
        arithmetic (AVX512-BF16 or AMX), bfloat16 autocast for training (1.8x
        faster with the same validation accuracy, see ``docs/benchmarks.md``)
        and float32 for prediction, so CPU predictions do not depend on the
        machine; float32 on other CPUs.
    tta : {1, 2, 6, 10}, default=10
        Views averaged at prediction: 10 = shifts -2..+2 x both strands,
        6 = shifts -1..+1 x both strands, 2 = both strands, 1 = forward only.
        Shifted views need :class:`PromoterEncoder` codes; one-hot input allows
        1 or 2.
    tta_shifts : tuple of int or None, default=None
        The test-time shifts (bases the insert moves; negative toward 3').
        None: those of ``tta`` (BHI's -2..+2 for 10 views). Given, they
        replace them; ``tta=1`` still means the forward strand only.
    padding : bool, default=True
        BHI's random vector padding of inserts shorter than the construct's
        length, redrawn every epoch. False: padded on the 3' side only, as at
        prediction.
    padding_probabilities : tuple of 3 float, default=(0.333, 0.2228, 0.4442)
        Probabilities of 3'-only, 5'-only and both-sides padding (BHI's two
        draws, 0.333 then 0.666, exactly).
    rc_conjoin : bool, default=True
        Train on both strands (BHI's conjoined loss) and average both strands'
        views at prediction. False for strand-specific assays: forward strand
        only.
    target_center : float, array-like of shape (n_outputs,) or "mean", default=11.0
        Subtracted from ``y`` before dividing by its standard deviation (ddof
        0, per output) in training; BHI's most common bin value. ``"mean"``:
        the training targets' mean, for assays on other scales (fit warns when
        the centre lies outside the training targets).
    random_state : int or None, default=40
        Seeds torch, numpy and ``random`` at ``fit`` (weights, shuffling,
        padding draws, dropout). None leaves the generators alone.
    verbose : int, default=1
        skorch's verbosity.
    **kwargs
        Any other skorch parameter (``iterator_train__*``,
        ``callbacks__<name>__*``, ``compile``, ...).

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    input_length_ : int
        Sequence length the network was built for.
    construct_ : Construct or None
        The construct of the training codes (carried by
        :class:`~skgxp.PromoterCodes`; plain codes are read with the DREAM
        layout); codes of another construct are refused. None for one-hot.
    n_outputs_ : int
        Targets per sequence (columns of ``y``).
    target_center_ : float or ndarray of shape (n_outputs,)
        The centre at ``fit``: what predictions are shifted back by (a float
        for one output).
    target_scale_ : float or ndarray of shape (n_outputs,)
        Standard deviation (ddof 0) of the training targets.
    n_features_in_ : int
        Width of the 2-D input seen at ``fit``.
    history_ : skorch.History
        Per-epoch and per-batch records (loss, ``lr``, timings).
    restarts_ : list of dict
        Restarts by the convergence monitor (default callback
        ``"convergence"``, :class:`~skgxp.callbacks.ConvergenceMonitor`):
        the failed seed, the next seed, the step, the kinds of failure and
        the reasons.
    device : str
        The device in use: the ``device`` parameter with ``"auto"`` resolved.

    See Also
    --------
    PromoterEncoder : Turns sequences into this regressor's input.
    QuantileCalibrator : BHI's post-processing of predictions.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skgxp import PromoterEncoder, DeepGXPRegressor
    >>> from skgxp.datasets import load_dream_demo
    >>> X, y = load_dream_demo(return_X_y=True)
    >>> tiny = dict(module__conv1_channels=4, module__lstm_hidden_size=4,
    ...             module__conv2_channels=4, module__fc_size=4)
    >>> model = make_pipeline(PromoterEncoder(),
    ...                       DeepGXPRegressor(max_epochs=1, verbose=0, **tiny))
    >>> model.fit(X[:256], y[:256]).predict(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        module=DeepGXP,
        *,
        criterion=torch.nn.HuberLoss,
        optimizer=torch.optim.AdamW,
        lr=1.5e-3,
        max_epochs=15,
        batch_size=512,
        train_split=None,
        callbacks=None,
        iterator_train=ArrayBatchIterator,
        iterator_valid=ArrayBatchIterator,
        device="auto",
        precision="auto",
        tta=10,
        tta_shifts=None,
        padding=True,
        padding_probabilities=PADDING_PROBABILITIES,
        rc_conjoin=True,
        target_center=11.0,
        random_state=40,
        verbose=1,
        **kwargs,
    ):
        kwargs.setdefault("optimizer__weight_decay", 0.01)
        kwargs.setdefault("iterator_train__shuffle", True)
        kwargs.setdefault("iterator_train__drop_last", True)
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            callbacks=callbacks,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.precision = precision
        self.tta = tta
        self.tta_shifts = tta_shifts
        self.padding = padding
        self.padding_probabilities = padding_probabilities
        self.rc_conjoin = rc_conjoin
        self.target_center = target_center
        self.random_state = random_state

    # -- configuration -----------------------------------------------------

    @property
    def _default_callbacks(self):
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            ("lr_schedule", CosinePerBatch()),
            ("convergence", ConvergenceMonitor()),
            # The convergence monitor records a dict, not a column of the epoch table.
            ("print_log", PrintLog(keys_ignored=["convergence_check"])),
        ]

    def _check_params(self):
        check_regressor_params(self, tta_settings=_TTA_VIEWS)

    def _seed(self, attempt=0):
        seed = restart_seed(self.random_state, attempt)
        if seed is None:
            return
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)

    def initialize_module(self):
        kwargs = self.get_params_for("module")
        if isinstance(self.module, type):
            kwargs.setdefault("input_length", getattr(self, "input_length_", 110))
            if getattr(self, "n_outputs_", 1) != 1:
                kwargs.setdefault("n_outputs", self.n_outputs_)
        self.module_ = self.initialized_instance(self.module, kwargs)
        return self

    # -- data ---------------------------------------------------------------

    def _check_X(self, X, *, reset):
        fitted = None if reset else (self.input_length_, self.construct_)
        X, length, construct = check_model_input(X, fitted, shifted=self._shifts() != (0,),
                                                 tta=self.tta)
        if reset:
            self.input_length_ = length
            self.construct_ = construct
            if X.ndim == 2:
                self.n_features_in_ = int(X.shape[1])
        return X

    # -- public API ---------------------------------------------------------

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Initialize and train the network with BHI's recipe.

        With ``warm_start=True`` and a fitted network, training continues
        from its weights for ``max_epochs`` more epochs, with a whole cosine
        schedule of its own; the fitted standardization (``target_center_``,
        ``target_scale_``) and input length are kept.

        Parameters
        ----------
        X : PromoterCodes or ndarray of shape (n_samples, width), dtype uint8
            :class:`PromoterEncoder` codes (``width`` is the construct's, 223
            for DREAM's); or one-hot float of shape ``(n_samples, 4,
            length)`` or ``(n_samples, 4 * length)``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Measured expression; several columns train a network with one
            output per column.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows (e.g. lower for sequences
            measured once). They are scaled to a mean of 1 and multiply each
            row's conjoined loss, in training and in a validation split.
            Routed by scikit-learn's metadata routing
            (``set_fit_request(sample_weight=True)``).
        **fit_params : dict
            Passed to skorch (train split and the module's ``forward``).

        Returns
        -------
        self : DeepGXPRegressor
            The fitted regressor.
        """
        self._check_params()
        continuing = self.warm_start and self.__sklearn_is_fitted__()
        X, y, data, identity = self._fit_data(X, y, sample_weight, reset=not continuing)
        if not continuing:  # a warm start keeps the network's standardization
            self._learn_standardization(y)
        return fit_attempts(self, X, identity, data, fit_params)

    def partial_fit(self, X, y, classes=None, sample_weight=None, **fit_params):
        """Train ``max_epochs`` more epochs without re-initializing.

        Each call runs a whole cosine schedule over its own epochs. The first
        call on an unfitted regressor initializes it (seeded by
        ``random_state``); later calls keep the weights, the target
        standardization and the history. The convergence monitor never
        restarts a ``partial_fit`` (that would discard the network): a
        collapse or divergence raises :class:`~skgxp.callbacks.ConvergenceError`
        (or warns, with ``on_failure="warn"``). Checkpoints are written but
        not resumed from.

        Parameters
        ----------
        X : ndarray
            As for :meth:`fit`.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Measured expression, with the columns of the first fit.
        classes : None
            Unused, for scikit-learn compatibility.
        sample_weight : array-like of shape (n_samples,), default=None
            As for :meth:`fit`.
        **fit_params : dict
            Passed to skorch.

        Returns
        -------
        self : DeepGXPRegressor
            The regressor.
        """
        self._check_params()
        first = not self.__sklearn_is_fitted__()
        X, y, data, identity = self._fit_data(X, y, sample_weight, reset=first)
        if first:
            self._learn_standardization(y)
            self.restarts_ = []
            self._seed()
            self.initialize()
        for _, cb in self.callbacks_:
            if isinstance(cb, TrainingCheckpoint):
                cb.restore(self, X, identity, resume=False)
        begin_training(self, len(self.history), fresh=False,
                       epochs=fit_params.get("epochs", self.max_epochs))
        super().partial_fit(*data, **fit_params)
        return self

    def _learn_standardization(self, y):
        self.n_outputs_ = y.shape[1]
        self.target_center_, self.target_scale_ = learn_standardization(y, self.target_center)

    def _fit_data(self, X, y, sample_weight, reset):
        """Validated ``X``, ``y``; what skorch trains on; what identifies the fit."""
        X = self._check_X(X, reset=reset)
        y = check_target(y, len(X))
        if not reset and y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y.shape[1]} output(s), but this model was fitted "
                             f"with {self.n_outputs_}.")
        if sample_weight is None:
            return X, y, (X, y), y
        w = check_sample_weight(sample_weight, len(X))
        w = w / w.mean()
        return X, y, (WeightedDataset(X, y, w), None), np.column_stack([y, w])

    def predict(self, X):
        """Predict expression as the mean of the test-time views.

        Parameters
        ----------
        X : ndarray
            As for :meth:`fit`, encoded for the same construct.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions in the units of the training ``y``; 1-D for one
            output (also when ``y`` was ``(n, 1)``).
        """
        self.check_is_fitted()
        self._check_params()
        if not is_dataset(X):  # skorch's scoring callbacks pass their Dataset
            X = self._check_X(X, reset=False)
        standardized = NeuralNet.predict_proba(self, X)
        if self.n_outputs_ == 1:
            return standardized.ravel() * self.target_scale_ + self.target_center_
        return standardized * self.target_scale_ + self.target_center_

    @available_if(lambda self: False)
    def predict_proba(self, X):
        """Not available: a regressor has no probabilities."""

    def __sklearn_is_fitted__(self):
        return bool(self.initialized_) and hasattr(self, "target_scale_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = False
        tags.regressor_tags.poor_score = True
        return tags
