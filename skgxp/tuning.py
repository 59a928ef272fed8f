"""Hyperparameter search with Optuna: persistent, resumable, shared by several machines.

:func:`tune` runs a TPE search over skgxp parameters in a study stored in an
SQLite file (by default), a PostgreSQL or MySQL database, or Optuna's journal
file, so that a killed search continues where it stopped and several
machines can work on one study; bad trials are pruned on their per-epoch
validation score or between cross-validation folds. :data:`BHI_SPACE` is
BHI's own search (25 TPE trials). Needs the ``optuna`` extra
(``pip install 'skgxp[optuna]'``); from a shell: ``skgxp tune``.

.. data:: BHI_SPACE

   BHI's search space: ``module__conv1_channels`` in 256/320/512,
   ``module__lstm_hidden_size`` in 256/320/512, ``module__fc_size`` in
   32/64/128/256 (DEV ``configs/hparams_search/deepfamq-pool1-optuna.yaml``,
   metric: validation Pearson r). BHI's network derives the second
   convolution block's width from the LSTM's (half of it); skgxp's
   ``module__conv2_channels`` is a parameter of its own that this space
   leaves at 160: add it to the space to search it too.

.. data:: BHI_N_TRIALS

   25, the number of TPE trials of BHI's search.
"""

from ._space import BHI_N_TRIALS, BHI_SPACE, check_space, load_space
from ._tuning import DEFAULT_STORAGE, tune

__all__ = ["BHI_N_TRIALS", "BHI_SPACE", "DEFAULT_STORAGE", "check_space", "load_space",
           "tune"]
