"""skgxp: DeepGXP, BHI's promoter-to-expression CNN-BiLSTM, as scikit-learn estimators."""

from ._calibrator import QuantileCalibrator
from ._encoder import PromoterEncoder
from ._module import DeepGXP
from ._persistence import ModelFileError, load, save
from ._regressor import DeepGXPRegressor

__version__ = "0.1.0"

__all__ = [
    "DeepGXP",
    "DeepGXPRegressor",
    "ModelFileError",
    "PromoterEncoder",
    "QuantileCalibrator",
    "__version__",
    "load",
    "save",
]
