"""Sphinx configuration of the skgxp documentation.

Build (warnings are errors) from the repository root:

    python -m sphinx -W --keep-going -b html docs docs/_build/html

or ``bash .ci/docs``. The gallery runs ``examples/plot_*.py`` on the CPU.
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402

import skgxp  # noqa: E402
from skgxp.cli import build_parser  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))

# The gallery trains tiny networks: on 2 shared cores, two torch threads spin
# on each other and ran the examples 5-20x slower than one thread did.
torch.set_num_threads(1)

project = "skgxp"
author = "skgxp developers"
copyright = "skgxp developers"
release = version = skgxp.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "mathml",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
# user_guide/_*.rst are fragments that pages include, not pages of their own.
exclude_patterns = ["_build", "_generated/*.txt", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "user_guide/_*.rst"]
templates_path = ["_templates"]

# API pages: one per object, generated from the docstrings.
autosummary_generate = True
# skorch's docstrings are not numpydoc; show only what skgxp documents itself.
autodoc_inherit_docstrings = False
# Defaults as written in the source (``module=DeepGXP``), not as reprs that name
# the private modules the classes live in.
autodoc_preserve_defaults = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

html_theme = "pydata_sphinx_theme"
html_title = f"skgxp {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
# MathML written at build time (docs/_ext/mathml.py): formulas render offline.
html_math_renderer = "mathml"

sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "backreferences_dir": None,
    "show_memory": False,
}


def _write_cli_help():
    """Every ``skgxp ... --help`` text, so the CLI page shows what the code says."""
    out = HERE / "_generated"
    out.mkdir(exist_ok=True)
    parser = build_parser()
    os.environ["COLUMNS"] = "88"
    (out / "cli_skgxp.txt").write_text(parser.format_help())
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name, sub in subparsers.choices.items():
        (out / f"cli_{name}.txt").write_text(sub.format_help())


_write_cli_help()
sys.path.insert(0, str(HERE))
