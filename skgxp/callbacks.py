"""skorch callbacks of the DeepGXP recipe: schedule, convergence monitor, resumable checkpoints."""

from ._convergence import ConvergenceError, ConvergenceMonitor, restart_seed
from ._resume import TrainingCheckpoint
from ._schedule import CosinePerBatch

# Reprs, pickles and docs name the public module, whichever private one defines them.
for _cls in (ConvergenceError, ConvergenceMonitor, CosinePerBatch, TrainingCheckpoint):
    _cls.__module__ = __name__
restart_seed.__module__ = __name__
del _cls

__all__ = [
    "ConvergenceError",
    "ConvergenceMonitor",
    "CosinePerBatch",
    "TrainingCheckpoint",
    "restart_seed",
]
