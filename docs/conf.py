"""Sphinx configuration of the microgradlab documentation (furo theme, pages in Markdown via MyST).

Build with ``sphinx-build -W -b html docs docs/_build/html`` (``-W``: warnings are errors).
Importing this file only reads settings, so pytest's doctest collection of ``docs/`` is harmless.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

# Build from a checkout without installing: make the package importable for autodoc.
if importlib.util.find_spec("microgradlab") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
