"""skgxp.interpret.plot_logo: the letters drawn, their heights and colours.

Each glyph logomaker draws is a patch whose path fills its cell's box, so
its vertical extent in data coordinates is the cell's value (stacked at a
position: larger values further from the axis). Letters are told apart by
logomaker's classic colours.
"""

import re
import sys

import matplotlib
import numpy as np
import pytest

from skgxp.interpret import plot_logo

matplotlib.use("Agg")
pytest.importorskip("logomaker")

import matplotlib.pyplot as plt  # noqa: E402

CLASSIC = {(0.0, 0.5, 0.0): "A", (0.0, 0.0, 1.0): "C", (1.0, 0.65, 0.0): "G",
           (1.0, 0.0, 0.0): "T"}


def glyphs(ax):
    """``(letter, position, bottom, top)`` of each drawn glyph, sorted."""
    to_data = ax.transData.inverted()
    out = []
    for patch in ax.patches:
        xy = to_data.transform(patch.get_transform().transform(patch.get_path().vertices))
        letter = CLASSIC[tuple(round(c, 2) for c in patch.get_facecolor()[:3])]
        out.append((letter, int(round(xy[:, 0].mean())), round(float(xy[:, 1].min()), 6),
                    round(float(xy[:, 1].max()), 6)))
    return sorted(out)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_every_nonzero_cell_is_a_letter_as_tall_as_its_value():
    maps = np.zeros((4, 6))
    maps[:, 1] = [0.3, -0.2, 0.1, 0.0]
    maps[2, 3] = -0.5
    assert glyphs(plot_logo(maps)) == [
        ("A", 1, 0.1, 0.4), ("C", 1, -0.2, 0.0), ("G", 1, 0.0, 0.1), ("G", 3, -0.5, 0.0)]


def test_a_sequence_keeps_only_its_bases():
    maps = np.arange(1, 25, dtype=float).reshape(4, 6) / 10
    # A, T, N (nothing), G, then past the end of the sequence: nothing.
    assert glyphs(plot_logo(maps, "atNg")) == [
        ("A", 0, 0.0, 0.1), ("G", 3, 0.0, 1.6), ("T", 1, 0.0, 2.0)]


def test_center_subtracts_each_positions_mean_first():
    ism = np.zeros((4, 3))
    ism[[1, 2, 3], 0] = -0.4  # the three substitutions of an A cost 0.4 each
    drawn = glyphs(plot_logo(ism, "AAA", center=True))
    assert drawn == [("A", 0, 0.0, 0.3)]  # 0 - mean(0, -0.4, -0.4, -0.4)


def test_an_axes_given_is_drawn_on_and_returned():
    fig, ax = plt.subplots()
    assert plot_logo(np.ones((4, 5)), ax=ax) is ax
    assert ax.get_xlim() == (-0.5, 4.5) and ax.get_ylabel() == "effect"
    assert len(fig.axes) == 1


@pytest.mark.parametrize("maps, message", [
    (np.zeros((1, 4, 5)), "maps must be one map of shape (4, length) (bases A, C, G, T x "
                          "positions; maps[i] of an array of maps); got (1, 4, 5)."),
    (np.full((4, 5), np.inf), "maps has NaN or infinite values."),
])
def test_a_bad_map_is_refused(maps, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        plot_logo(maps)


def test_a_bad_sequence_is_refused():
    message = ("sequence has invalid character 'U' at position 2; only A, C, G, T and N "
               "are allowed.")
    with pytest.raises(ValueError, match=re.escape(message)):
        plot_logo(np.ones((4, 5)), "ACUGT")
    with pytest.raises(TypeError, match=re.escape("sequence must be a str or None; got list.")):
        plot_logo(np.ones((4, 5)), list("ACGTA"))


def test_without_logomaker_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "logomaker", None)
    message = ("skgxp.interpret.plot_logo needs logomaker and matplotlib; install them "
               "with pip install 'skgxp[interpret]'.")
    with pytest.raises(ImportError, match=re.escape(message)):
        plot_logo(np.ones((4, 5)))
