"""Figures: what each panel shows, and matplotlib staying optional."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from skorch.callbacks import EpochScoring
from skorch.dataset import ValidSplit

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.datasets import load_public_leaderboard
from skgxp.metrics import dream_score, pearson_scorer, spearman_scorer

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skgxp import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted(tiny):
    from skgxp.datasets import load_dream_demo

    X, y = load_dream_demo(return_X_y=True)
    scoring = [EpochScoring(pearson_scorer, lower_is_better=False, name="valid_pearson"),
               EpochScoring(spearman_scorer, lower_is_better=False, name="valid_spearman")]
    model = make_pipeline(PromoterEncoder(), DeepGXPRegressor(
        max_epochs=3, batch_size=32, verbose=0, callbacks=scoring,
        train_split=ValidSplit(0.25, random_state=0), **tiny))
    return model.fit(X[:160], y[:160])


@pytest.fixture(scope="module")
def labels():
    return load_public_leaderboard()


def test_importing_plotting_does_not_import_matplotlib():
    code = "import sys, skgxp.plotting; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip() == "False"


def test_missing_matplotlib_raises_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'skgxp\[plots\]'"):
        plotting.plot_training_curves([{"epoch": 1, "train_loss": 1.0}])


def test_training_curves_have_loss_score_and_lr_panels(fitted):
    fig = plotting.plot_training_curves(fitted)
    assert [ax.get_title() for ax in fig.axes] == [
        "Huber loss (standardized targets)",
        "Correlation with measured expression",
        "Learning rate per batch",
    ]
    loss, scores, lr = fig.axes
    assert [line.get_label() for line in loss.get_lines()] == ["train", "valid"]
    assert list(loss.get_lines()[0].get_xdata()) == [1, 2, 3]
    assert {line.get_label() for line in scores.get_lines()} >= {"valid pearson",
                                                                 "valid spearman"}
    steps = sum(row["train_batch_count"] for row in fitted[-1].history)
    assert len(lr.get_lines()[0].get_ydata()) == steps


def test_training_curves_mark_the_best_validation_pearson():
    history = [{"epoch": e, "train_loss": 1.0, "valid_pearson": r}
               for e, r in zip((1, 2, 3), (0.1, 0.4, 0.3))]
    fig = plotting.plot_training_curves(history)
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert texts == ["best epoch 2\nvalid r = 0.400"]


def test_training_curves_of_a_loss_only_history_have_one_panel():
    fig = plotting.plot_training_curves([{"epoch": 1, "train_loss": 0.5, "batches": []}])
    assert len(fig.axes) == 1


def test_training_curves_reject_what_is_not_a_history():
    with pytest.raises(TypeError, match="history must be a skorch History"):
        plotting.plot_training_curves(42)


def test_training_curves_reject_a_history_without_loss():
    with pytest.raises(ValueError, match="history has no 'train_loss' record"):
        plotting.plot_training_curves([{"epoch": 1}])


def test_predicted_vs_measured_has_a_panel_per_dream_subset(labels):
    fig = plotting.plot_predicted_vs_measured(labels["expression"].to_numpy())
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert len(titles) == 9
    assert titles[0].startswith("all (weight 1.0, n=8,570)\nr = 1.000")
    assert titles[6].startswith("SNVs (weight 1.25, n=4,373)")
    assert fig.axes[6].get_xlabel() == "measured \u0394 alt \u2212 ref"


def test_predicted_vs_measured_plots_the_given_values(labels):
    predicted = -labels["expression"].to_numpy()
    fig = plotting.plot_predicted_vs_measured(predicted)
    offsets = fig.axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], labels["expression"])
    np.testing.assert_allclose(offsets[:, 1], predicted)
    assert "r = -1.000" in fig.axes[0].get_title()


def test_predicted_vs_measured_with_custom_labels_hides_unused_panels():
    custom = pd.DataFrame({"index": [0, 1, 2, 3], "subset": ["random"] * 4,
                           "expression": [1.0, 2.0, 3.0, 4.0]})
    fig = plotting.plot_predicted_vs_measured([1.0, 2.0, 4.0, 3.0], labels=custom)
    assert [ax.get_title().split(" ")[0] for ax in fig.axes if ax.get_visible()] == [
        "all", "random"]


def test_score_comparison_draws_one_bar_per_subset_and_variant(labels):
    truth = labels["expression"].to_numpy()
    noisy = truth + np.random.default_rng(0).normal(size=truth.size)
    scores = {"exact": dream_score(truth), "noisy": dream_score(noisy)}
    fig = plotting.plot_score_comparison(scores)
    pearson, spearman = fig.axes
    assert len(pearson.patches) == 2 * 9
    labels_shown = [t.get_text() for t in pearson.get_legend().get_texts()]
    assert labels_shown == ["exact: 1.000", f"noisy: {scores['noisy'].pearson_score:.3f}"]
    heights = [p.get_height() for p in spearman.patches[:9]]
    np.testing.assert_allclose(heights, 1.0)


def test_score_comparison_rejects_an_empty_dict():
    with pytest.raises(ValueError, match="scores must be a non-empty dict"):
        plotting.plot_score_comparison({})


def test_save_figures_writes_pngs_and_closes_them(tmp_path):
    fig = plotting.plot_training_curves([{"epoch": 1, "train_loss": 0.5}])
    paths = plotting.save_figures({"curves": fig}, tmp_path / "out")
    assert paths == [str(tmp_path / "out" / "curves.png")]
    assert (tmp_path / "out" / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert not plt.fignum_exists(fig.number)
