"""Data-parallel training with Hugging Face Accelerate: ``pip install "skgxp[accelerate]"``.

``import skgxp`` does not import this module, nor accelerate.
"""

from ._accelerated import AcceleratedDeepGXPRegressor

# Reprs, pickles and docs name the public module.
AcceleratedDeepGXPRegressor.__module__ = __name__

__all__ = ["AcceleratedDeepGXPRegressor"]
