"""
====================
Interpreting a model
====================

What has a model learned? Here we know the answer in advance: a small
DeepGXP is trained on random promoters, half of which carry the binding site
of the yeast factor REB1 (its JASPAR 2024 consensus), and expression is
higher with the site. In-silico mutagenesis, gradient attributions and motif
matching should each point at the site, and name it.

The network is narrow and trained for a few epochs on 2,000 sequences, so
that the example runs on a CPU in well under a minute.
"""

# %%
# Promoters with a planted site
# -----------------------------
# REB1's matrix comes with skgxp (JASPAR 2024 CORE fungi, CC BY 4.0). Its
# consensus is planted at a random position of about half of 2,000 random
# 110-bp inserts; expression is 10, plus 2 with the site, plus noise.
import numpy as np

from skgxp.datasets import load_jaspar_fungi

name, pwm = load_jaspar_fungi()["MA0363.3"]
site = "".join("ACGT"[i] for i in pwm.argmax(axis=0))
print(name, site)


def promoters(n, seed):
    rng = np.random.default_rng(seed)
    X = ["".join(rng.choice(list("ACGT"), 110)) for _ in range(n)]
    planted = rng.random(n) < 0.5
    starts = rng.integers(0, 110 - len(site) + 1, n)
    X = [x[:s] + site + x[s + len(site):] if p else x for x, p, s in zip(X, planted, starts)]
    y = 10 + 2.0 * planted + rng.normal(0, 0.3, n)
    return X, y, planted, starts


X, y, _, _ = promoters(2000, seed=0)
X_test, y_test, planted, starts = promoters(200, seed=1)

# %%
# A small model
# -------------
# Eight channels everywhere, no dropout, six epochs; predictions average both
# strands (``tta=2``). A network this narrow tends to start with almost
# constant predictions: the convergence monitor then restarts training with
# a new seed, saying so with a ``ConvergenceWarning``.
from sklearn.pipeline import make_pipeline

from skgxp import DeepGXPRegressor, PromoterEncoder

model = make_pipeline(PromoterEncoder(), DeepGXPRegressor(
    max_epochs=6, lr=5e-3, batch_size=32, tta=2, random_state=0, verbose=0,
    module__conv1_channels=8, module__lstm_hidden_size=8, module__conv2_channels=8,
    module__fc_size=8, module__dropout=0.0, module__conv_dropout=0.0))
model.fit(X, y)
print(f"held-out Pearson r: {np.corrcoef(model.predict(X_test), y_test)[0, 1]:.3f}")

# %%
# Variant effects
# ---------------
# :func:`~skgxp.interpret.variant_effects` predicts ``alt - ref`` for pairs
# of sequences: one substitution in the middle of the site, one 30 bases
# away from it.
from skgxp.interpret import variant_effects

i = int(np.flatnonzero(planted)[0])
ref, start = X_test[i], int(starts[i])
inside, outside = start + 4, (start + 30) % 110


def substitute(seq, position):
    return seq[:position] + ("A" if seq[position] != "A" else "C") + seq[position + 1:]


effects = variant_effects(model, [ref, ref], [substitute(ref, inside),
                                              substitute(ref, outside)])
print(f"site at {start}-{start + len(site) - 1}; effect of a substitution at "
      f"{inside}: {effects[0]:+.2f}, at {outside}: {effects[1]:+.2f}")

# %%
# In-silico mutagenesis and attributions as logos
# -----------------------------------------------
# :func:`~skgxp.interpret.saturation_mutagenesis` predicts every single
# substitution. Centred per position and drawn at the sequence's own bases
# by :func:`~skgxp.interpret.plot_logo`, a base stands as tall as the
# expression its substitutions cost (times 3/4). The input x gradient
# attributions of :func:`~skgxp.interpret.attributions` tell the same story
# from gradients, without a single mutant.
import matplotlib.pyplot as plt

from skgxp.interpret import attributions, plot_logo, saturation_mutagenesis

ism = saturation_mutagenesis(model, [ref])
grads = attributions(model, [ref], "input_x_gradient")
fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 4), sharex=True)
plot_logo(ism[0], ref, center=True, ax=top, ylabel="ISM")
plot_logo(grads[0], ax=bottom, ylabel="input x gradient")
for ax in (top, bottom):
    ax.axvspan(start - 0.5, start + len(site) - 0.5, color="0.9", zorder=-1)
top.set_title(f"the planted {name} site (shaded)")
top.set_xlabel("")
fig.tight_layout()

# %%
# Naming the motifs
# -----------------
# :func:`~skgxp.interpret.match_motifs` cuts the maps into seqlets, stretches
# of large effects, and compares each with the 178 bundled JASPAR fungi
# motifs by TOMTOM. NSI1's motif is REB1's site too.
from skgxp.interpret import match_motifs

rows = np.flatnonzero(planted)[:10]
maps = saturation_mutagenesis(model, [X_test[r] for r in rows])
table = match_motifs(maps, [X_test[r] for r in rows])
strongest = table.loc[table.groupby("sequence")["importance"].idxmax(), ["sequence", "seqlet"]]
best = table.merge(strongest)  # the matches of each sequence's strongest seqlet
print(best[["sequence", "start", "end", "bases", "rank", "motif_name", "p_value"]]
      .to_string(index=False, float_format="{:.1e}".format))
print("planted at:", [int(starts[r]) for r in rows])
