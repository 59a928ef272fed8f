"""Sphinx math as MathML, converted when the site is built.

Sphinx's default renderer, MathJax, loads its script from a CDN, so without a
network the formulas showed as raw LaTeX. Browsers render MathML themselves:
the pages need no script and no network.
"""

from docutils import nodes
from latex2mathml.converter import convert


def visit_math(self, node):
    self.body.append(self.starttag(node, "span", "", CLASS="math"))
    self.body.append(convert(node.astext()) + "</span>")
    raise nodes.SkipNode


def visit_math_block(self, node):
    self.body.append(self.starttag(node, "div", CLASS="math"))
    # A blank line separates equations in one ``.. math::`` directive.
    for part in node.astext().split("\n\n"):
        if part.strip():
            self.body.append(convert(part, display="block"))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_math_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
