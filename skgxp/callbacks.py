"""skorch callbacks of the DeepGXP recipe: schedule, convergence monitor, resumable checkpoints."""

from ._convergence import ConvergenceError, ConvergenceMonitor, restart_seed
from ._resume import TrainingCheckpoint
from ._schedule import CosinePerBatch

__all__ = [
    "ConvergenceError",
    "ConvergenceMonitor",
    "CosinePerBatch",
    "TrainingCheckpoint",
    "restart_seed",
]
