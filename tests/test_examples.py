"""The gallery's scripts: well-formed for sphinx-gallery, public API only.

Running them is the docs build's job (``bash .ci/docs``); these checks are fast.
"""

import ast
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))


def test_the_gallery_has_every_topic():
    assert {p.stem for p in EXAMPLES} == {
        "plot_quickstart", "plot_calibration_and_tta", "plot_cross_validation",
        "plot_grid_search", "plot_dream_protocol", "plot_human_mpra",
        "plot_drosophila_starr", "plot_interpretation", "plot_interpretation_dream",
    }
    assert (EXAMPLES[0].parent / "README.txt").read_text().startswith("Examples\n====")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_has_a_rest_title(path):
    doc = ast.get_docstring(ast.parse(path.read_text()), clean=False)
    lines = doc.strip("\n").splitlines()
    assert set(lines[0]) == {"="} and set(lines[2]) == {"="}
    assert len(lines[0]) >= len(lines[1].strip())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_uses_only_public_skgxp_names(path):
    tree = ast.parse(path.read_text())
    modules = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    modules += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names]
    private = [m for m in modules if m.startswith("skgxp") and "._" in m]
    assert private == []
    assert any(m.startswith("skgxp") for m in modules)
