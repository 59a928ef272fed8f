"""Torch functions on batches of compact codes: windows, one-hot, strands.

They run on whatever device the codes are on, so the host keeps one byte per
base and one-hot tensors exist only per batch, on the device.
"""

import torch

from ._constructs import CONTEXT_5P, PAD_3P_THRESHOLD, PAD_5P_THRESHOLD, VECTOR_BIT, VECTOR_N

_ONEHOT = torch.zeros(256, 4)
for _code in range(4):
    _ONEHOT[_code, _code] = _ONEHOT[_code + VECTOR_BIT, _code] = 1.0

PAD_3P, PAD_5P, PAD_BOTH = 0, 1, 2


def insert_lengths(codes):
    """Number of insert (non-vector) bases in each row of ``codes``."""
    return (codes < VECTOR_BIT).sum(dim=1)


#: BHI's probabilities of 3'-only, 5'-only and both-sides padding (data.py).
PADDING_PROBABILITIES = (
    PAD_3P_THRESHOLD,
    (1 - PAD_3P_THRESHOLD) * (1 - PAD_5P_THRESHOLD),
    (1 - PAD_3P_THRESHOLD) * PAD_5P_THRESHOLD,
)


def padding_thresholds(probabilities):
    """BHI's two thresholds for ``(p_3p, p_5p, p_both)``: 3' if u1 < t1, else 5' if u2 > t2."""
    p_3p, p_5p, _ = probabilities
    rest = 1 - p_3p
    return p_3p, (1 - p_5p / rest) if rest > 0 else 1.0


def draw_padding_modes(n, device=None, generator=None, probabilities=PADDING_PROBABILITIES):
    """BHI's two-draw padding choice: 3'-only, else 5'-only, else both.

    Returns an int tensor of ``PAD_3P`` / ``PAD_5P`` / ``PAD_BOTH`` with the
    given probabilities (BHI's 0.333 / 0.2228 / 0.4442 by default), drawn as
    ``random.random()`` twice in BHI's ``data.py``.
    """
    low, high = padding_thresholds(probabilities)
    u = torch.rand(2, n, device=device, generator=generator)
    modes = torch.full((n,), PAD_BOTH, dtype=torch.long, device=device)
    modes[u[1] > high] = PAD_5P
    modes[u[0] < low] = PAD_3P
    return modes


def padding_starts(lengths, modes, length, offset=CONTEXT_5P):
    """First column of each row's ``length``-wide window for its padding mode.

    ``offset`` is the insert's first column (the construct's 5' flank width).
    """
    pad = (length - lengths).clamp(min=0)
    shift = torch.where(modes == PAD_5P, pad, torch.where(modes == PAD_BOTH, pad // 2, 0))
    return offset - shift


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


def training_windows(codes, length, generator=None, offset=CONTEXT_5P,
                     probabilities=PADDING_PROBABILITIES):
    """One randomly padded window per row, modes redrawn on every call.

    ``probabilities=None`` turns random padding off: short inserts are padded
    on their 3' side only and nothing is drawn.
    """
    if probabilities is None:
        modes = torch.full((codes.shape[0],), PAD_3P, dtype=torch.long, device=codes.device)
    else:
        modes = draw_padding_modes(codes.shape[0], codes.device, generator, probabilities)
    starts = padding_starts(insert_lengths(codes), modes, length, offset)
    return gather_windows(codes, starts, length)


def shifted_windows(codes, length, shifts, offset=CONTEXT_5P):
    """Windows for each test-time shift, stacked view-major: ``(len(shifts)*B, L)``.

    A shift of ``-k`` moves the insert ``k`` bases toward 3' (vector bases enter
    from the 5' side); ``+k`` moves it toward 5', as BHI's ``DDPDatasetShift``.
    Inserts shorter than ``length`` are placed with 3'-only padding.
    ``offset`` is the insert's first column.
    """
    n = codes.shape[0]
    views = []
    for shift in shifts:
        starts = torch.full((n,), offset + shift, dtype=torch.long, device=codes.device)
        views.append(gather_windows(codes, starts, length))
    return torch.cat(views)
