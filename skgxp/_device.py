"""Where and in what precision DeepGXPRegressor runs; its ``device`` parameter.

skorch and torch read ``net.device`` and need a concrete device, while the
parameter may be ``"auto"``. The attribute resolves ``"auto"`` when read and
``get_params`` returns the value as given, so neither is ever rewritten
behind the user's back.
"""

import contextlib

import torch


class DeviceMixin:
    """The ``device`` parameter and attribute, and the precision they imply."""

    @property
    def device(self):
        """The device in use: the ``device`` parameter with ``"auto"`` resolved.

        ``get_params()["device"]`` is the parameter as given; skorch and torch
        read this attribute, which names a concrete device.
        """
        return _resolved(self.__dict__.get("device", "auto"))

    @device.setter
    def device(self, value):
        self.__dict__["device"] = value

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params["device"] = self.__dict__.get("device", "auto")
        return params

    def _resolve_device(self):
        return resolve_device(self.__dict__.get("device", "auto"))

    def resolved_precision(self, training=True):
        """The precision this regressor trains (or predicts) in on its device.

        ``precision="auto"`` resolved for :attr:`device`: ``"bf16"`` on CUDA,
        and for CPU training on CPUs with native bfloat16; ``"fp32"`` otherwise.

        Parameters
        ----------
        training : bool, default=True
            Training (True) or prediction (False).

        Returns
        -------
        precision : {"bf16", "fp32"}
            bf16 autocast or plain float32.
        """
        device_type = torch.device(self.device).type
        auto = device_type == "cuda" or (training and device_type == "cpu" and _cpu_bf16())
        bf16 = self.precision == "bf16" or (self.precision == "auto" and auto)
        return "bf16" if bf16 else "fp32"

    def _autocast(self, training=False):
        return torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16,
                              enabled=self.resolved_precision(training) == "bf16")

    def __setstate__(self, state):
        # skorch maps tensors with torch.device(state["device"]): give it the
        # device in use, then keep the parameter as it was.
        requested = state.get("device")
        super().__setstate__({**state, "device": _resolved(requested)})
        if requested == "auto":
            self.__dict__["device"] = requested


def resolve_device(device):
    """The concrete device for a ``device`` parameter, or a ValueError naming it."""
    if device == "auto":
        return _resolved(device)
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}."
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available here; "
            "use device='auto' or 'cpu'."
        )
    return device


def _resolved(device):
    """``device`` with ``"auto"`` replaced by CUDA where available, else the CPU."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _cpu_bf16():
    """Whether this CPU has native bf16 arithmetic (AVX512-BF16 or AMX)."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


@contextlib.contextmanager
def explain_oom(net):
    try:
        yield
    except torch.cuda.OutOfMemoryError as exc:
        raise torch.cuda.OutOfMemoryError(
            f"CUDA ran out of memory with batch_size={net.batch_size} (x2 strands in "
            f"training, x{net.tta} views in prediction). Lower batch_size, or "
            "iterator_valid__batch_size / tta for prediction; see the message "
            f"below.\n{exc}"
        ) from exc
