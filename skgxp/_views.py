"""Torch functions on batches of compact codes: windows, one-hot, strands.

They run on whatever device the codes are on, so the host keeps one byte per
base and one-hot tensors exist only per batch, on the device.
"""

import torch

from ._constructs import (
    CONTEXT_5P,
    PAD_3P_THRESHOLD,
    PAD_5P_THRESHOLD,
    VECTOR_BIT,
    VECTOR_N,
)

_ONEHOT = torch.zeros(256, 4)
for _code in range(4):
    _ONEHOT[_code, _code] = _ONEHOT[_code + VECTOR_BIT, _code] = 1.0

PAD_3P, PAD_5P, PAD_BOTH = 0, 1, 2


def insert_lengths(codes):
    """Number of insert (non-vector) bases in each row of ``codes``."""
    return (codes < VECTOR_BIT).sum(dim=1)


def draw_padding_modes(n, device=None, generator=None):
    """BHI's two-draw padding choice: 3'-only, else 5'-only, else both.

    Returns an int tensor of ``PAD_3P`` / ``PAD_5P`` / ``PAD_BOTH`` with
    probabilities 0.333 / 0.2228 / 0.4442, as ``random.random()`` twice in
    BHI's ``data.py``.
    """
    u = torch.rand(2, n, device=device, generator=generator)
    modes = torch.full((n,), PAD_BOTH, dtype=torch.long, device=device)
    modes[u[1] > PAD_5P_THRESHOLD] = PAD_5P
    modes[u[0] < PAD_3P_THRESHOLD] = PAD_3P
    return modes


def padding_starts(lengths, modes, length):
    """First column of each row's ``length``-wide window for its padding mode."""
    pad = (length - lengths).clamp(min=0)
    shift = torch.where(modes == PAD_5P, pad, torch.where(modes == PAD_BOTH, pad // 2, 0))
    return CONTEXT_5P - shift


def gather_windows(codes, starts, length):
    """Rows ``codes[i, starts[i] : starts[i] + length]``; columns outside are vector N."""
    cols = starts[:, None] + torch.arange(length, device=codes.device)
    inside = (cols >= 0) & (cols < codes.shape[1])
    picked = codes.gather(1, cols.clamp(0, codes.shape[1] - 1))
    return torch.where(inside, picked, torch.full_like(picked, VECTOR_N))


def one_hot(windows, dtype=torch.float32):
    """``(B, L)`` codes to ``(B, 4, L)`` one-hot, channels A C G T, N as zeros."""
    table = _ONEHOT.to(device=windows.device, dtype=dtype)
    return table[windows.long()].transpose(1, 2)


def reverse_complement(onehot):
    """Reverse complement of A C G T one-hot: flip channels and positions."""
    return onehot.flip(1, 2)


def training_windows(codes, length, generator=None):
    """One randomly padded window per row, modes redrawn on every call."""
    modes = draw_padding_modes(codes.shape[0], codes.device, generator)
    starts = padding_starts(insert_lengths(codes), modes, length)
    return gather_windows(codes, starts, length)


def shifted_windows(codes, length, shifts):
    """Windows for each test-time shift, stacked view-major: ``(len(shifts)*B, L)``.

    A shift of ``-k`` moves the insert ``k`` bases toward 3' (vector bases enter
    from the 5' side); ``+k`` moves it toward 5', as BHI's ``DDPDatasetShift``.
    Inserts shorter than ``length`` are placed with 3'-only padding.
    """
    n = codes.shape[0]
    views = []
    for shift in shifts:
        starts = torch.full((n,), CONTEXT_5P + shift, dtype=torch.long, device=codes.device)
        views.append(gather_windows(codes, starts, length))
    return torch.cat(views)
