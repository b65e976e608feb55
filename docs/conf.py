"""Sphinx configuration of the microgradlab documentation (furo theme, pages in Markdown via MyST).

Build with ``sphinx-build -W -b html docs docs/_build/html`` (``-W``: warnings are errors).
Importing this file only reads settings, so pytest's doctest collection of ``docs/`` is harmless.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError

# Build from a checkout without installing: make the package importable for autodoc.
if importlib.util.find_spec("microgradlab") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # docs/notebooks.py

from microgradlab import __version__  # noqa: E402

project = "microgradlab"
author = "microgradlab contributors"
copyright = "microgradlab contributors"
release = __version__
version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# MyST: ::: fences for directives; $...$ and $$...$$ for the seeds' formulas;
# heading anchors so pages can link to sections.
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

# The API reference documents what each module exports, in source order, with
# type hints in the description rather than in long signatures.
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = True
# "Attributes:" sections become fields of their class rather than separate
# attribute entries, which would duplicate the entries autodoc already makes
# for NamedTuple fields and class attributes.
napoleon_use_ivar = True

html_theme = "furo"
html_title = f"microgradlab {version}"
html_static_path = ["_static"]

# --- offline, copyable, clickable: what the site needs to read well without a network --------------

extensions.append("sphinx_copybutton")
# Copy only the code of a doctest, without its prompts and outputs.
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

html_css_files = ["figures.css"]

# Formulas: a local MathJax, copied into the site (no CDN). Debian's libjs-mathjax (MathJax 2)
# is used, or the directory in $MATHJAX_DIR; its SVG output needs no web fonts.
MATHJAX_SOURCE = Path(os.environ.get("MATHJAX_DIR", "/usr/share/javascript/mathjax"))
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS_SVG-full"
# MyST marks pages "mathjax_ignore" and its formulas "math" (MathJax 3's processHtmlClass);
# the same for MathJax 2's tex2jax:
mathjax2_config = {"tex2jax": {"processClass": "tex2jax_process|mathjax_process|math|output_area",
                               "ignoreClass": "tex2jax_ignore|mathjax_ignore|document",
                               "inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]]}}
# Not needed by the SVG output: sources, tests, web fonts (the SVG output has its own, in
# jax/output/SVG/fonts) and the other output processors.
_MATHJAX_SKIP = {".": {"unpacked", "test", "fonts"}, "jax/output": {"HTML-CSS", "CommonHTML", "NativeMML", "PreviewHTML"}}


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    if not (MATHJAX_SOURCE / "MathJax.js").is_file():
        raise ExtensionError(f"no MathJax in {MATHJAX_SOURCE}: install it (apt-get install libjs-mathjax) or "
                             "point $MATHJAX_DIR to a MathJax 2 directory, so formulas render offline")
    def skip(folder, names):
        return [n for n in names if n in _MATHJAX_SKIP.get(os.path.relpath(folder, MATHJAX_SOURCE), ())]

    shutil.copytree(MATHJAX_SOURCE, Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True, ignore=skip)


def _write_notebooks(app, exception):
    """Each tutorial as a notebook, at notebooks/<tutorial>.ipynb in the site (docs/notebooks.py)."""
    if exception is None and app.builder.format == "html":
        from notebooks import write_notebooks  # this folder

        write_notebooks(Path(app.outdir) / "notebooks")


def _link_notebook(app, docname, source):
    """A download link at the top of every tutorial page (after its title)."""
    if docname.startswith("tutorials/"):
        name = docname.split("/", 1)[1]
        title, sep, rest = source[0].partition("\n")
        link = (f'\n\n<p class="notebook-download"><a href="../notebooks/{name}.ipynb" download>'
                f"Download this tutorial as a Jupyter notebook</a> ({name}.ipynb)</p>\n")
        source[0] = title + sep + link + rest


def _figures_open_full_size(app, doctree):
    """Every figure links to its file (full size on click) and shows at its natural size (legible at 1x).

    Sphinx links an image to itself when it has a width, so each SVG gets its
    natural width; docs/_static/figures.css lets wide graphs scroll instead of shrinking.
    """
    for image in doctree.findall(nodes.image):
        path = Path(app.srcdir) / image["uri"]
        if "width" in image or path.suffix != ".svg" or not path.is_file():
            continue
        size = re.search(r'<svg[^>]*?\swidth="([0-9.]+)pt"', path.read_text(encoding="utf-8"))
        if size:
            image["width"] = f"{float(size.group(1)) * 4 / 3:.0f}px"  # points to CSS pixels
            graph = path.name.startswith("graph-")
            image["classes"].append("graph" if graph else "plot")
            paragraph = image.parent
            if graph and isinstance(paragraph, nodes.paragraph) and len(paragraph.children) == 1:
                paragraph.replace_self(nodes.container("", image.deepcopy(), classes=["graph-scroll"]))


def setup(app):
    app.connect("source-read", _link_notebook)
    app.connect("doctree-read", _figures_open_full_size)
    app.connect("build-finished", _copy_mathjax)
    app.connect("build-finished", _write_notebooks)
    return {"parallel_read_safe": True}
