"""Mini-batches by vectorized row indexing, without a Python call per sample.

skorch's default ``DataLoader`` fetches and collates every sample in Python;
for 6.7 million promoters per epoch that alone would dominate a GPU step.
"""

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader, Subset


class WeightedDataset(Dataset):
    """A skorch array ``Dataset`` whose rows carry sample weights.

    Its batches are ``(X, y, sample_weight)``; skorch's splits (``ValidSplit``)
    and scoring callbacks see an ordinary ``Dataset`` of ``X`` and ``y``.
    """

    def __init__(self, X, y, sample_weight):
        super().__init__(X, y)
        self.sample_weight = sample_weight

    def __getitem__(self, i):
        X, y = super().__getitem__(i)
        return X, y, self.sample_weight[i]


def _arrays_of(dataset):
    """``(X, y, rows, sample_weight)`` behind an array Dataset or a Subset of one.

    None for any other dataset. ``rows`` indexes a Subset; ``sample_weight`` is
    None without weights.
    """
    rows = None
    if isinstance(dataset, Subset):
        rows = np.asarray(dataset.indices)
        dataset = dataset.dataset
    if type(dataset) not in (Dataset, WeightedDataset) or not isinstance(
        dataset.X, np.ndarray
    ):
        return None
    y = dataset.y if isinstance(dataset.y, np.ndarray) else None
    return dataset.X, y, rows, getattr(dataset, "sample_weight", None)


class ArrayBatchIterator:
    """Iterate ``(X_batch, y_batch)`` tensors over an in-memory dataset.

    Drop-in for ``torch.utils.data.DataLoader`` as skorch's ``iterator_train``
    / ``iterator_valid``: takes the dataset and ``batch_size``, ``shuffle``,
    ``drop_last``. Batches are ``(X, y)`` (``(X, y, sample_weight)`` for a
    :class:`WeightedDataset`), CPU tensors of numpy arrays gathered per batch; shuffling uses torch's global generator (seeded by
    ``random_state``). Datasets other than skorch's array ``Dataset`` fall
    back to a ``DataLoader``.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset or torch.utils.data.Subset of one
        The data.
    batch_size : int, default=512
        Rows per batch.
    shuffle : bool, default=False
        Draw a new row order on every pass.
    drop_last : bool, default=False
        Skip the last incomplete batch, unless it is the only batch (fewer
        rows than ``batch_size``): then it is kept, so small fits still train.
    """

    def __init__(self, dataset, batch_size=512, shuffle=False, drop_last=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last

    def _drops_last(self):
        return self.drop_last and len(self.dataset) >= self.batch_size

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self._drops_last() else -(-n // self.batch_size)

    def __iter__(self):
        arrays = _arrays_of(self.dataset)
        if arrays is None:
            yield from DataLoader(
                self.dataset, self.batch_size, shuffle=self.shuffle,
                drop_last=self._drops_last(),
            )
            return
        X, y, rows, weight = arrays
        n = len(self.dataset)
        order = None
        if self.shuffle:
            # int32 halves the permutation's memory and gives int64's order.
            order = torch.randperm(n, dtype=torch.int32 if n < 2**31 else torch.int64).numpy()
        for batch in range(len(self)):
            take = slice(batch * self.batch_size, (batch + 1) * self.batch_size)
            if order is not None:
                idx = order[take]
                idx = np.sort(rows[idx] if rows is not None else idx)
            elif rows is not None:
                idx = rows[take]
            else:
                idx = take
            batch = (torch.from_numpy(X[idx]), None if y is None else torch.from_numpy(y[idx]))
            yield batch if weight is None else (*batch, torch.from_numpy(weight[idx]))
