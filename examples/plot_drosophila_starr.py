"""
==========================================
Drosophila STARR-seq: two targets at once
==========================================

DeepSTARR (de Almeida et al.) measured every 249-bp stretch of the
Drosophila genome twice, as an enhancer of a developmental and of a
housekeeping promoter. :class:`~skgxp.DeepGXPRegressor` trains one output per
column of ``y``: the same network, with a head of two units, predicts both.
Each output is standardized on its own, and
:class:`~skgxp.QuantileCalibrator` calibrates each on its own.

The bundled sample has 1,000 sequences per split, drawn independently from
one pool, so the splits share a few rows. The network is small and trained
for a few epochs on the CPU: this demonstrates the pipeline, it is not a
benchmark of DeepGXP on STARR-seq data.
"""

# %%
# Data
# ----
# ``target`` has one column per promoter: log2 STARR-seq enrichment with the
# developmental (Dev) and the housekeeping (Hk) promoter.
from skgxp.datasets import load_drosophila_starr_sample

train = load_drosophila_starr_sample("train")
test = load_drosophila_starr_sample("test")
X_train, y_train = train.data, train.target
X_test, y_test = test.data, test.target
print(train.target_names, y_train.shape)
print(f"sequences of {sorted(set(map(len, X_train)))} bp; means "
      f"{y_train.mean(axis=0).round(2)}, standard deviations {y_train.std(axis=0).round(2)}")

# %%
# The construct
# -------------
# The sequences are genome fragments, given without the vector around them,
# so the construct is a 249-bp insert with no flanks: the model sees N beyond
# the fragment, where the test-time shifts move it.
from skgxp import Construct, PromoterEncoder

construct = Construct(249, "", "")
print(construct.describe())
encoder = PromoterEncoder.from_construct(construct)

# %%
# Model
# -----
# ``y`` of shape (n, 2) trains two outputs. The enrichments lie around 0,
# far from the yeast bins' default centre of 11, so ``target_center="mean"``
# centres each output on its own training mean. The reverse-complement
# conjoined loss (the default) suits an assay whose fragments were cloned in
# either orientation.
import time

from sklearn.pipeline import make_pipeline

from skgxp import DeepGXPRegressor

small = dict(module__conv1_channels=64, module__lstm_hidden_size=64,
             module__conv2_channels=32)
model = make_pipeline(
    encoder,
    DeepGXPRegressor(max_epochs=5, batch_size=64, lr=3e-3, target_center="mean",
                     **small),
)
started = time.perf_counter()
model.fit(X_train, y_train)
regressor = model[-1]
print(f"fit in {time.perf_counter() - started:.0f} s; {regressor.n_outputs_} outputs, "
      f"centred on {regressor.target_center_.round(3)}, "
      f"scaled by {regressor.target_scale_.round(3)}")

# %%
# Prediction
# ----------
# ``predict`` returns one column per output, in the units of ``y``. With
# 1,000 training sequences and five epochs of a narrow network the
# correlations are low; DeepSTARR itself was trained on hundreds of thousands
# of fragments.
from skgxp.metrics import score_table
from skgxp.plotting import plot_targets

y_pred = model.predict(X_test)
print(y_pred.shape)
print(score_table(y_test, y_pred, ["Dev", "Hk"]))
fig = plot_targets(y_test, y_pred, ["Dev", "Hk"],
                   title="Drosophila STARR-seq sample, test split")

# %%
# Calibration of both outputs
# ---------------------------
# Wrapped in :class:`~sklearn.frozen.FrozenEstimator`, the fitted pipeline is
# not trained again: :class:`~skgxp.QuantileCalibrator` only records the
# training targets' mean and standard deviation, per output, and maps each
# column of predictions to its quantiles. ``transform_predictions`` reuses
# the predictions above instead of predicting again. The mapping is
# monotone, so the Spearman rho of each output is unchanged.
from sklearn.frozen import FrozenEstimator

from skgxp import QuantileCalibrator

calibrated = QuantileCalibrator(FrozenEstimator(model)).fit(X_train, y_train)
quantiles = calibrated.transform_predictions(y_pred)
print(f"calibrated shape {quantiles.shape}, values in "
      f"[{quantiles.min():.3f}, {quantiles.max():.3f}]")
print(f"per-output means {calibrated.target_mean_.round(3)}, "
      f"standard deviations {calibrated.target_std_.round(3)}")
print(score_table(y_test, quantiles, ["Dev", "Hk"]))
