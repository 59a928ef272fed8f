"""
==========
Quickstart
==========

Train DeepGXP on promoter sequences and predict their expression.

A :class:`~skgxp.PromoterEncoder` turns DNA strings into one byte per base in
the plasmid's vector context; a :class:`~skgxp.DeepGXPRegressor` trains BHI's
CNN-BiLSTM with BHI's recipe and predicts with test-time augmentation. Here
the network is made narrower and trained for a few epochs on 1,500
sequences so that the example runs on a CPU in seconds.
"""

# %%
# Data
# ----
# The bundled demo set holds 6,370 promoters of the DREAM 2022 challenge with
# their measured expression (mean sort bin, 0-17).
from sklearn.model_selection import train_test_split

from skgxp.datasets import load_dream_demo

X, y = load_dream_demo(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X[:1500], y[:1500], test_size=0.2, random_state=0
)
print(X_train[0], y_train[0])

# %%
# Model
# -----
# Every default of :class:`~skgxp.DeepGXPRegressor` is BHI's: 15 epochs of
# AdamW at 1.5e-3 with a cosine schedule stepped every batch, batches of 512,
# the reverse-complement-conjoined Huber loss and 10 test-time views. We keep
# the recipe but shrink the network and the number of epochs, hold out 20% of
# the training rows as skorch's validation split and record the validation
# Pearson r every epoch.
from skorch.callbacks import EpochScoring
from skorch.dataset import ValidSplit
from sklearn.pipeline import make_pipeline

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.metrics import pearson_scorer

small = dict(module__conv1_channels=32, module__lstm_hidden_size=32,
             module__conv2_channels=16, module__fc_size=32)
model = make_pipeline(
    PromoterEncoder(),
    DeepGXPRegressor(
        max_epochs=6, batch_size=64, lr=3e-3,
        train_split=ValidSplit(0.2, random_state=0),
        callbacks=[EpochScoring(pearson_scorer, lower_is_better=False,
                                name="valid_pearson")],
        **small,
    ),
)
model.fit(X_train, y_train)
print(f"trained {len(model[-1].history)} epochs; validation Pearson r of the last: "
      f"{model[-1].history[-1, 'valid_pearson']:.3f}")

# %%
# Prediction
# ----------
# ``predict`` averages 10 views of every sequence (shifts of -2..+2 bp, both
# strands) and returns expression in the units of ``y``.
from skgxp.metrics import pearson_r, spearman_r

y_pred = model.predict(X_test)
print(f"held-out Pearson r {pearson_r(y_test, y_pred):.3f}, "
      f"Spearman rho {spearman_r(y_test, y_pred):.3f}")

# %%
# Training curves
# ---------------
# :func:`skgxp.plotting.plot_training_curves` reads the skorch history: the
# Huber loss on standardized targets, the validation Pearson r per epoch and
# the learning rate of every batch.
from skgxp.plotting import plot_training_curves

fig = plot_training_curves(model, title="Quickstart: 1,200 sequences, small network")
