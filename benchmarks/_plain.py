"""The plain way, written out for comparison: no skgxp code but the DeepGXP module.

BHI's recipe as an ordinary PyTorch script would write it: strings padded and
one-hot encoded in Python with a dictionary lookup per base, an explicit
training loop (both strands, mean of their Huber losses, AdamW, cosine
annealing stepped every batch) and an explicit prediction loop over the
test-time views.
"""

import math
import random

import numpy as np
import torch
from torch.utils.data import Dataset

FLANK_5P = "GCTAGCAGGAATGATGCAAAAGGTTCCCGATTCGAAC"
FLANK_3P = "TCTTAATTAAAAAAAGATAGAAAACATTAGGAGTGTAACACAAGACTTTCGGATCCTGAGCAGGCAAGATAAACGA"
LENGTH = 110
CENTER = 11.0

_ONEHOT = {
    "A": [1, 0, 0, 0],
    "C": [0, 1, 0, 0],
    "G": [0, 0, 1, 0],
    "T": [0, 0, 0, 1],
    "N": [0, 0, 0, 0],
}


def onehot(seq):
    """``(4, len(seq))`` float32, one dictionary lookup per base."""
    out = np.zeros((4, len(seq)), dtype=np.float32)
    for i, base in enumerate(seq):
        out[:, i] = _ONEHOT[base]
    return out


def pad(seq, mode="3p"):
    """Trim to 110 bp, or pad with vector bases: "3p", "5p" or "both" (BHI's modes)."""
    if len(seq) >= LENGTH:
        return seq[:LENGTH]
    missing = LENGTH - len(seq)
    left = {"3p": 0, "5p": missing, "both": missing // 2}[mode]
    right = missing - left
    return (FLANK_5P[len(FLANK_5P) - left :] if left else "") + seq + FLANK_3P[:right]


def random_mode():
    """BHI's two draws: 3'-only if u1 < 0.333, else 5'-only if u2 > 0.666, else both.

    Python's ``random``, as BHI's: ``DataLoader`` seeds it in every worker.
    """
    if random.random() < 0.333:
        return "3p"
    return "5p" if random.random() > 0.666 else "both"


def shifted(seq, shift):
    """The 110-bp test-time view: the trimmed insert in its vector, moved by ``shift``."""
    context = FLANK_5P + seq[:LENGTH] + FLANK_3P
    start = len(FLANK_5P) + shift
    return context[start : start + LENGTH]


def onehot_batch(seqs):
    return np.stack([onehot(s) for s in seqs])


class PaddingDataset(Dataset):
    """BHI-style training dataset: random padding and one-hot in ``__getitem__``."""

    def __init__(self, seqs, y, scale):
        self.seqs, self.y, self.scale = list(seqs), np.asarray(y, np.float32), scale

    def __len__(self):
        return len(self.seqs)

    def __getitem__(self, i):
        x = onehot(pad(self.seqs[i], random_mode()))
        return torch.from_numpy(x), torch.tensor([(self.y[i] - CENTER) / self.scale])


def seeded_start(seed, seqs, y, batch_size):
    """A fresh ``DeepGXP`` and a shuffled, drop_last loader, seeded as BHI's ``seed_everything``.

    Returns ``(model, loader, scale)``; ``scale`` is the targets' standard deviation.
    """
    from skgxp import DeepGXP  # the one skgxp piece: the network itself

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    model = DeepGXP()
    scale = float(np.std(y))
    loader = torch.utils.data.DataLoader(PaddingDataset(seqs, y, scale), batch_size=batch_size,
                                         shuffle=True, drop_last=True)
    return model, loader, scale


def cosine(optimizer, total_steps):
    """Cosine annealing from the optimizer's lr to 0, stepped every batch."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: (1 + math.cos(math.pi * min(step / total_steps, 1.0))) / 2
    )


def train(model, batches, total_steps, device="cpu", autocast=False, lr=1.5e-3,
          on_step=None):
    """One pass over ``batches`` of (one-hot, standardized y); returns the model.

    ``total_steps`` sets the cosine's length, so a pass over fewer batches is
    the start of a longer fit. ``on_step(loss, prediction)`` is called after
    every step with the loss and the strand-averaged training prediction.
    """
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = cosine(optimizer, total_steps)
    huber = torch.nn.HuberLoss()
    for x, target in batches:
        x = x.to(device, non_blocking=True)
        target = target.to(device, non_blocking=True)
        with torch.autocast(torch.device(device).type, torch.bfloat16, enabled=autocast):
            out = model(x)
            out_rc = model(x.flip(1, 2))
        loss = (huber(out.float(), target) + huber(out_rc.float(), target)) / 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if on_step is not None:
            on_step(float(loss.detach()), ((out + out_rc) / 2).detach().float())
    return model


def tensor_batches(X, y, batch_size, scale, seed=0):
    """Shuffled, drop_last batches of precomputed one-hot tensors."""
    X = torch.as_tensor(X)
    target = (torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1) - CENTER) / scale
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    for start in range(0, len(X) - batch_size + 1, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], target[idx]


@torch.no_grad()
def predict(model, views, batch_size, device="cpu", autocast=False):
    """Mean over every view and both strands; ``views`` is a list of (n, 4, 110) arrays."""
    model.eval()
    n = len(views[0])
    out = torch.zeros(n)
    for start in range(0, n, batch_size):
        total = 0
        for view in views:
            x = torch.as_tensor(view[start : start + batch_size]).to(device)
            with torch.autocast(torch.device(device).type, torch.bfloat16, enabled=autocast):
                total = total + model(x).float() + model(x.flip(1, 2)).float()
        out[start : start + batch_size] = (total / (2 * len(views))).reshape(-1).cpu()
    return out.numpy()
