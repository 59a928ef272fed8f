"""What a fitted DeepGXP model has learned: predicted effects of sequence changes.

The functions of a model (:func:`variant_effects`, :func:`saturation_mutagenesis`,
:func:`attributions`) take the model first (a fitted ``Pipeline(PromoterEncoder(),
DeepGXPRegressor())``, or a fitted :class:`~skgxp.DeepGXPRegressor` with an
optional ``encoder=``), then sequences as strings, then keyword options
(``batch_size=``), and predict with the model's own test-time views, as its
``predict`` does. Those of maps (:func:`plot_logo`, :func:`match_motifs`) take
the ``(4, length)`` maps and their sequences. Attributions, logos and motif
matching need the ``interpret`` extra (captum, logomaker, memelite), imported
when called.
"""

from ._attributions import attributions
from ._ism import saturation_mutagenesis
from ._logo import plot_logo
from ._motifs import match_motifs
from ._variants import variant_effects

__all__ = [
    "attributions",
    "match_motifs",
    "plot_logo",
    "saturation_mutagenesis",
    "variant_effects",
]
