"""skgxp: DeepGXP, BHI's promoter-to-expression CNN-BiLSTM, as scikit-learn estimators."""

from ._calibrator import QuantileCalibrator
from ._construct import Construct, PromoterCodes
from ._encoder import PromoterEncoder, SequenceLengthWarning
from ._kmer import KmerCounts
from ._loading import load
from ._module import DeepGXP
from ._persistence import ModelFileError, save
from ._regressor import DeepGXPRegressor

__version__ = "0.1.0"

# Reprs, pickles and docs name the public path, whichever private module defines them.
for _cls in (Construct, DeepGXP, DeepGXPRegressor, ModelFileError, PromoterCodes,
             PromoterEncoder, QuantileCalibrator, SequenceLengthWarning):
    _cls.__module__ = __name__
del _cls

__all__ = [
    "Construct",
    "DeepGXP",
    "DeepGXPRegressor",
    "KmerCounts",
    "ModelFileError",
    "PromoterCodes",
    "PromoterEncoder",
    "QuantileCalibrator",
    "SequenceLengthWarning",
    "__version__",
    "load",
    "save",
]
