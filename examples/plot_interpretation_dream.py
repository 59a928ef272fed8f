"""
===============================
Interpreting a DREAM 2022 model
===============================

The interpretation functions on real promoters: a reduced DeepGXP is trained
for 3 epochs on the 6,370 sequences of the bundled DREAM demo set, then it
scores the single-nucleotide variants of the public leaderboard, draws the
in-silico mutagenesis of a native yeast promoter as a logo and names the
motifs of its strongest stretches.

The model is far weaker than BHI's, trained on 6.7 million sequences for 15
epochs: read its maps as a demonstration of the functions, not as findings
about yeast promoters. The example runs on a CPU in about a minute and a
half.
"""

# %%
# A reduced model
# ---------------
# The quickstart's narrow network, on all the demo sequences, 3 epochs;
# predictions average both strands (``tta=2``) to keep the example short.
from sklearn.pipeline import make_pipeline

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.datasets import load_dream_demo

X, y = load_dream_demo(return_X_y=True)
model = make_pipeline(PromoterEncoder(), DeepGXPRegressor(
    max_epochs=3, batch_size=64, lr=3e-3, tta=2, verbose=0,
    module__conv1_channels=32, module__lstm_hidden_size=32,
    module__conv2_channels=16, module__fc_size=32))
model.fit(X, y)

# %%
# Scoring the SNVs of the public leaderboard
# ------------------------------------------
# 4,373 pairs of test promoters one substitution apart, with their measured
# expression. :func:`~skgxp.interpret.variant_effects` predicts ``alt - ref``
# for each; the challenge scored such pairs by the correlation of predicted
# and measured differences.
import matplotlib.pyplot as plt

from skgxp.datasets import load_public_leaderboard_pairs
from skgxp.interpret import variant_effects
from skgxp.metrics import pearson_r, spearman_r

pairs = load_public_leaderboard_pairs()
snvs = pairs[pairs["subset"] == "SNVs"]
predicted = variant_effects(model, snvs["seq_ref"].tolist(), snvs["seq_alt"].tolist())
measured = (snvs["expr_alt"] - snvs["expr_ref"]).to_numpy()
print(f"{len(snvs):,} SNVs: Pearson r {pearson_r(measured, predicted):.3f}, "
      f"Spearman {spearman_r(measured, predicted):.3f}")

fig, ax = plt.subplots(figsize=(4.5, 4))
ax.scatter(measured, predicted, s=3, alpha=0.4)
ax.axhline(0, color="0.6", lw=0.5)
ax.axvline(0, color="0.6", lw=0.5)
ax.set_xlabel("measured alt - ref (MAUDE)")
ax.set_ylabel("predicted alt - ref (bins)")
ax.set_title("public-leaderboard SNVs")
fig.tight_layout()

# %%
# A native yeast promoter, mutated base by base
# ---------------------------------------------
# The "yeast" subset of the test set holds native promoter fragments. Each
# of the 330 substitutions of one of them is predicted by
# :func:`~skgxp.interpret.saturation_mutagenesis`; centred per position and
# drawn at the promoter's own bases, a letter stands as tall as what its
# substitutions cost (times 3/4), below the axis where they help.
from skgxp.datasets import load_public_leaderboard
from skgxp.interpret import plot_logo, saturation_mutagenesis

labels = load_public_leaderboard()
native = labels.loc[labels["subset"].str.contains("yeast"), "sequence"].tolist()[:20]
ism = saturation_mutagenesis(model, native)
strongest = int(abs(ism).max(axis=(1, 2)).argmax())
ax = plot_logo(ism[strongest], native[strongest], center=True, ylabel="ISM (bins)")
ax.set_title(f"native yeast promoter {strongest} of the public leaderboard")
ax.figure.tight_layout()

# %%
# Motifs
# ------
# :func:`~skgxp.interpret.match_motifs` cuts the 20 maps into seqlets and
# compares each with the 178 JASPAR 2024 fungi motifs bundled with skgxp.
# Below: the strongest seqlet of each promoter (largest mean effect) and its
# best match. An E-value (``p_value`` x 178) below 1 is TOMTOM's usual bar;
# a match of a weak model's seqlet is a lead to check, not a finding.
from skgxp.interpret import match_motifs

table = match_motifs(ism, native)
first = table[table["rank"] == 1]
strongest_seqlets = first.loc[first.groupby("sequence")["importance"].idxmax()]
print(strongest_seqlets.sort_values("importance", ascending=False)[
    ["sequence", "start", "end", "bases", "importance", "motif_name", "e_value"]]
    .head(10).to_string(index=False, float_format="{:.3g}".format))
