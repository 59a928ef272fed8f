"""skorch callbacks of the DeepGXP recipe: schedule, convergence monitor, resumable checkpoints."""

from ._callbacks import (
    ConvergenceError,
    ConvergenceMonitor,
    CosinePerBatch,
    TrainingCheckpoint,
    restart_seed,
)

__all__ = [
    "ConvergenceError",
    "ConvergenceMonitor",
    "CosinePerBatch",
    "TrainingCheckpoint",
    "restart_seed",
]
