"""What a fitted DeepGXP model has learned: predicted effects of sequence changes.

Every function takes the model first (a fitted ``Pipeline(PromoterEncoder(),
DeepGXPRegressor())``, or a fitted :class:`~skgxp.DeepGXPRegressor` with an
optional ``encoder=``), then sequences as strings, then keyword options
(``batch_size=``), and predicts with the model's own test-time views, as its
``predict`` does.
"""

from ._ism import saturation_mutagenesis
from ._variants import variant_effects

__all__ = ["saturation_mutagenesis", "variant_effects"]
