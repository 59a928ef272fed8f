"""DeepGXP's training and inference steps: windows, strands, views and the loss.

A mixin of :class:`~skgxp.DeepGXPRegressor`: what one optimizer step and one
prediction batch do with a batch of codes (or one-hot rows), on the device.
"""

import copy

import numpy as np
import torch

from . import _views
from ._constructs import TTA_SHIFTS
from ._device import explain_oom

_TTA_VIEWS = {1: (0,), 2: (0,), 6: (-1, 0, 1), 10: TTA_SHIFTS}
#: On the CPU the module runs on at most this many rows at a time: cache-sized
#: activations make a 512-row training step about 1.2x faster and 10-view
#: prediction about 1.3x (benchmarks/bench_cpu_training.py). CUDA takes one pass.
_CPU_ROWS = 64


class TrainingStepsMixin:
    """Views, strands and the conjoined loss of BHI's recipe, for a skorch net."""

    def _shifts(self):
        """Test-time shifts: ``tta_shifts``, else those of the ``tta`` setting."""
        return tuple(self.tta_shifts) if self.tta_shifts is not None else _TTA_VIEWS[self.tta]

    def _both_strands(self):
        """Whether predictions average the reverse strand's views too."""
        return self.rc_conjoin and self.tta != 1

    def _on_device(self, Xi):
        """A batch on the device: codes as they are, one-hot as ``(B, 4, L)`` float.

        Returns the batch and whether it holds codes (windows are picked later).
        """
        Xi = Xi.to(self.device, non_blocking=True)
        if Xi.dtype == torch.uint8:
            return Xi, True
        return Xi.reshape(Xi.shape[0], 4, -1).float(), False

    def _training_input(self, Xi):
        Xi, is_codes = self._on_device(Xi)
        if is_codes:
            probabilities = tuple(self.padding_probabilities) if self.padding else None
            Xi = _views.one_hot(_views.training_windows(
                Xi, self.input_length_, offset=self.construct_.context_5p,
                probabilities=probabilities))
        if not self.rc_conjoin:
            return Xi
        return torch.cat([Xi, _views.reverse_complement(Xi)])

    def _view_predictions(self, Xi, **fit_params):
        """Standardized predictions of every test-time view, ``(views, B, outputs)``."""
        Xi, is_codes = self._on_device(Xi)
        n = Xi.shape[0]
        if is_codes:
            Xi = _views.one_hot(_views.shifted_windows(
                Xi, self.input_length_, self._shifts(), offset=self.construct_.context_5p))
        if self._both_strands():
            Xi = torch.cat([Xi, _views.reverse_complement(Xi)])
        with self._autocast():
            out = self._forward(Xi, **fit_params)
        return out.float().reshape(-1, n, out.shape[-1])

    def _forward(self, x, **fit_params):
        chunks = x.split(_CPU_ROWS) if x.device.type == "cpu" else (x,)
        return torch.cat([self.module_(chunk, **fit_params) for chunk in chunks])

    def _standardize(self, y, device):
        y = torch.as_tensor(y).to(device, non_blocking=True).float()
        y = y.reshape(len(y), -1)
        center, scale = self.target_center_, self.target_scale_
        if np.ndim(center):  # one per output
            center = torch.as_tensor(center, dtype=torch.float32, device=device)
            scale = torch.as_tensor(scale, dtype=torch.float32, device=device)
        return (y - center) / scale

    # -- training and inference steps ----------------------------------------

    def get_loss(self, y_pred, y_true, X=None, training=False, sample_weight=None):
        """Huber loss on standardized targets; the mean over strands for a pair.

        Parameters
        ----------
        y_pred : torch.Tensor or tuple of torch.Tensor
            Predictions in standardized units, ``(batch, outputs)``; a
            ``(forward, reverse)`` pair gives the mean of the two strands'
            losses (BHI's conjoined loss). With several outputs, each output
            standardized on its own, the loss is the mean over outputs.
        y_true : torch.Tensor
            Targets in the units of ``y``.
        X : object, default=None
            Unused.
        training : bool, default=False
            Unused.
        sample_weight : torch.Tensor of shape (batch,) or None, default=None
            Weights of the rows, scaled by ``fit`` to a mean of 1 over its rows:
            the loss is the mean over rows of weight x row loss (with weights
            of 1 it is the unweighted loss).

        Returns
        -------
        loss : torch.Tensor
            Scalar loss.
        """
        preds = y_pred if isinstance(y_pred, tuple) else (y_pred,)
        # The predictions' device, not self.device: a model may be moved after fit.
        target = self._standardize(y_true, preds[0].device)
        if sample_weight is None:
            return sum(self.criterion_(p.float(), target) for p in preds) / len(preds)
        per_row = copy.copy(self.criterion_)
        if not hasattr(per_row, "reduction"):
            raise TypeError(
                f"sample_weight needs a criterion with a 'reduction' attribute (as "
                f"torch's losses); {type(self.criterion_).__name__} has none."
            )
        per_row.reduction = "none"
        weight = sample_weight.to(target.device).reshape(-1, 1).float()
        losses = sum(per_row(p.float(), target) for p in preds) / len(preds)
        return (losses * weight).mean()

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi, wi = _unpack(batch)
        x = self._training_input(Xi)
        with explain_oom(self):
            with self._autocast(training=True):
                out = self._forward(x, **fit_params)
            strands = out.float().chunk(2) if self.rc_conjoin else (out.float(),)
            loss = self.get_loss(strands, yi, X=Xi, training=True, sample_weight=wi)
            self._check_finite(loss)
            loss.backward()
        return {"loss": loss, "y_pred": sum(strands) / len(strands)}

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        Xi, yi, wi = _unpack(batch)
        with torch.no_grad(), explain_oom(self):
            views = self._view_predictions(Xi, **fit_params)
            # Views are shift-major with the reverse strands in the second half;
            # the loss is on the unshifted view (the middle one without 0).
            shifts = self._shifts()
            center = shifts.index(0) if 0 in shifts else len(shifts) // 2
            strands = (views[center], views[len(shifts) + center]) if (
                self._both_strands()) else (views[center],)
            loss = self.get_loss(strands, yi, sample_weight=wi)
        return {"loss": loss, "y_pred": views.mean(0)}

    def evaluation_step(self, batch, training=False):
        self.check_is_fitted()
        Xi = _unpack(batch)[0]
        with torch.set_grad_enabled(training), explain_oom(self):
            self._set_training(training)
            return self._view_predictions(Xi).mean(0)

    def _check_finite(self, loss):
        if not torch.isfinite(loss):
            epoch = len(self.history)
            # The current batch's history row exists already (skorch adds it first).
            batch = len(self.history[-1]["batches"])
            raise FloatingPointError(
                f"Training loss is {loss.item()} at epoch {epoch}, batch {batch}; "
                f"training stopped. Lower lr (now {self.lr}) or check X and y for "
                "extreme values."
            )


def _unpack(batch):
    """``(X, y, sample_weight)`` of a batch; weights are None when not given."""
    if len(batch) == 3:
        return batch
    X, y = batch
    return X, y, None
