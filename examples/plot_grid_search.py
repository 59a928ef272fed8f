"""
=========================================
Grid search over the recipe and the model
=========================================

Every parameter of the pipeline is searchable with scikit-learn's tools:
the learning rate and the ``module__*`` sizes of the network included (the
module is rebuilt for each candidate). BHI tuned these with Optuna; a small
grid shows the mechanics.
"""

# %%
import pandas as pd
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.datasets import load_dream_demo
from skgxp.metrics import pearson_scorer

X, y = load_dream_demo(return_X_y=True)
X, y = X[:600], y[:600]
model = make_pipeline(
    PromoterEncoder(),
    DeepGXPRegressor(max_epochs=3, batch_size=64, verbose=0,
                     module__conv1_channels=16, module__conv2_channels=8,
                     module__fc_size=16),
)
grid = {
    "deepgxpregressor__lr": [1.5e-3, 5e-3],
    "deepgxpregressor__module__lstm_hidden_size": [8, 24],
}
search = GridSearchCV(model, grid, scoring=pearson_scorer,
                      cv=KFold(2, shuffle=True, random_state=0))
search.fit(X, y)
print("best parameters:", search.best_params_)
print(f"best mean validation Pearson r: {search.best_score_:.3f}")

# %%
# The grid
# --------
import matplotlib.pyplot as plt

results = pd.DataFrame(search.cv_results_)
scores = results.pivot_table(index="param_deepgxpregressor__module__lstm_hidden_size",
                             columns="param_deepgxpregressor__lr",
                             values="mean_test_score")
fig, ax = plt.subplots(figsize=(4.8, 3.6))
image = ax.imshow(scores.to_numpy(), cmap="viridis")
ax.set_xticks(range(scores.shape[1]), [f"{v:g}" for v in scores.columns])
ax.set_yticks(range(scores.shape[0]), [str(v) for v in scores.index])
ax.set_xlabel("lr")
ax.set_ylabel("LSTM units per direction")
for (i, j), value in pd.DataFrame(scores.to_numpy()).stack().items():
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", color="white")
fig.colorbar(image, label="mean validation Pearson r")
ax.set_title("GridSearchCV, 2 folds")
fig.tight_layout()
