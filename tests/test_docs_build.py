"""The documentation builds with Sphinx without a single warning, and every Python block in it is a doctest.

The doctests themselves run through pytest's ``--doctest-glob=*.md`` (setup.cfg);
this file checks what that cannot: that Sphinx accepts the pages and the API
docstrings (``-W``: warnings are errors), that the pages and figures end up in
the site, and that no Python example in the docs escapes being run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"

PAGES = [
    "index",
    "quickstart",
    "tutorials/loss-function",
    "tutorials/finite-differences",
    "tutorials/gradient-descent",
    "tutorials/backpropagation",
    "tutorials/sgd-momentum",
    "tutorials/digits",
    "graphs",
    "property-testing",
    "custom-ops",
    "howto/save-load",
    "howto/compile",
    "howto/pytorch",
    "backward-semantics",
    "comparison",
    "api",
]

FENCE = re.compile(r"^(`{3,}|:{3,})(.*)$")


def code_blocks(text: str):
    """``(line number, info string, body lines)`` of every fenced block of a Markdown page."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info, start = match.group(1), match.group(2).strip(), i
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i])
            i += 1
        yield start + 1, info, body
        i += 1


def markdown_pages():
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


@pytest.mark.parametrize("page", markdown_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_every_python_block_is_a_doctest(page):
    """A Python block without ``>>>`` would be shown but never run."""
    for line, info, body in code_blocks(page.read_text(encoding="utf-8")):
        if info.startswith("{"):  # a MyST directive (toctree, eval-rst ...), not code
            continue
        assert info in ("python", "pycon", "sh", "console"), \
            f"{page.name}:{line}: code block in {info or 'no language'}; use ```python with >>> examples"
        if info in ("python", "pycon"):
            assert any(l.lstrip().startswith(">>>") for l in body), \
                f"{page.name}:{line}: Python block without >>> examples: it would never run"
            assert body and body[-1].strip() == "", \
                f"{page.name}:{line}: a doctest block needs a blank line before its closing fence"


def test_code_blocks_parser():
    text = "a\n```python\n>>> 1\n1\n\n```\n```{toctree}\nx\n```\n"
    assert list(code_blocks(text)) == [(2, "python", [">>> 1", "1", ""]), (7, "{toctree}", ["x"])]


def test_sphinx_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("furo")
    pytest.importorskip("myst_parser")
    out = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, f"sphinx-build -W failed:\n{result.stderr}{result.stdout}"
    for page in PAGES:
        assert (out / f"{page}.html").is_file(), f"{page}.html is missing from the built site"

    # the API reference documents every public module, down to the interop functions
    api = (out / "api.html").read_text(encoding="utf-8")
    for target in ["microgradlab.engine.Value.backward", "microgradlab.nn.MLP", "microgradlab.optim.SGD",
                   "microgradlab.train.fit", "microgradlab.losses.mse", "microgradlab.interop.to_torch",
                   "microgradlab.interop.from_torch", "microgradlab.gradcheck.gradcheck"]:
        assert f'id="{target}"' in api, f"api.html has no entry for {target}"

    # the tutorials' figures are copied into the site and shown on their pages
    figures = {
        "tutorials/loss-function": "tutorial-loss-curve.svg",
        "tutorials/finite-differences": "tutorial-fd-error.svg",
        "tutorials/gradient-descent": "tutorial-learning-rates.svg",
        "tutorials/backpropagation": "graph-neuron.svg",
        "tutorials/sgd-momentum": "tutorial-momentum.svg",
        "tutorials/digits": "tutorial-digits.svg",
    }
    for page, figure in figures.items():
        assert (out / "_images" / figure).is_file(), f"{figure} is not in the site"
        assert figure in (out / f"{page}.html").read_text(encoding="utf-8"), f"{page} does not show {figure}"
