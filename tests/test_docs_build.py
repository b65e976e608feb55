"""The documentation builds with Sphinx without a single warning, and every Python block in it is a doctest.

The doctests themselves run through pytest's ``--doctest-glob=*.md`` (setup.cfg);
this file checks what that cannot: that Sphinx accepts the pages and the API
docstrings (``-W``: warnings are errors), that the pages and figures end up in
the site, and that no Python example in the docs escapes being run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

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
    "architecture",
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


MATHJAX = Path(os.environ.get("MATHJAX_DIR", "/usr/share/javascript/mathjax"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The HTML site, built once with ``-W`` (warnings are errors)."""
    for module in ("sphinx", "furo", "myst_parser", "sphinx_copybutton"):
        pytest.importorskip(module)
    if not (MATHJAX / "MathJax.js").is_file():
        pytest.skip(f"no MathJax in {MATHJAX}: apt-get install libjs-mathjax (the site's formulas use it offline)")
    tmp_path = tmp_path_factory.mktemp("docs")
    out = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, f"sphinx-build -W failed:\n{result.stderr}{result.stdout}"
    return out


def test_sphinx_builds_without_warnings(site):
    out = site
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


TUTORIALS = [p for p in PAGES if p.startswith("tutorials/")]
REFERENCE = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)|@import\s+["']([^"']+)""")


def _outside(url: str) -> bool:
    """Whether ``url`` leaves the site: a scheme other than data:, or a network path (//host)."""
    parts = urlsplit(url)
    return bool(parts.netloc) or parts.scheme not in ("", "data")


def test_no_page_loads_anything_from_outside_the_site(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= len(PAGES)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        loaded = REFERENCE.findall(re.sub(r'<link rel="(?:next|prev|index|search)"[^>]*>', "", html))
        styles = " ".join(re.findall(r"<style[^>]*>(.*?)</style>", html, re.S))
        loaded += [a or b for a, b in CSS_URL.findall(styles)]
        for url in loaded:
            assert not _outside(url), f"{page.relative_to(site)} loads {url}"
            target = (page.parent / urlsplit(url).path).resolve()
            if url.split("?")[0].endswith((".js", ".css")):
                assert target.is_file(), f"{page.relative_to(site)} loads {url}, which is not in the site"
    for css in site.rglob("*.css"):
        for a, b in CSS_URL.findall(css.read_text(encoding="utf-8")):
            assert not _outside(a or b), f"{css.relative_to(site)} loads {a or b}"


def test_formulas_use_the_local_mathjax(site):
    page = (site / "tutorials" / "backpropagation.html").read_text(encoding="utf-8")
    src = re.search(r'<script[^>]*src="([^"]*MathJax\.js[^"]*)"', page).group(1)
    assert not _outside(src) and (site / "tutorials" / src.split("?")[0]).resolve().is_file()
    config = src.split("config=")[1]
    assert (site / "_static" / "mathjax" / "config" / f"{config}.js").is_file()
    assert (site / "_static" / "mathjax" / "jax" / "output" / "SVG" / "fonts" / "TeX").is_dir()
    assert "mathjax_ignore" in page and '"ignoreClass": "tex2jax_ignore|mathjax_ignore' in page  # MyST's marks
    assert r"\(o = \tanh(x_1 w_1 + x_2 w_2 + b)\)" in page


def test_code_blocks_have_a_copy_button_that_copies_code_only(site):
    page = (site / "quickstart.html").read_text(encoding="utf-8")
    assert "copybutton.js" in page
    script = (site / "_static" / "copybutton.js").read_text(encoding="utf-8")
    # the prompts ">>> " and "... " (a regular expression), copying only prompt lines, without the prompts
    assert "formatCopyText(text, '>>> |\\\\.\\\\.\\\\. ', true, true, true" in script


def test_every_tutorial_is_a_downloadable_notebook(site):
    nbformat = pytest.importorskip("nbformat")
    for page in TUTORIALS:
        name = page.split("/")[1]
        html = (site / f"{page}.html").read_text(encoding="utf-8")
        assert f'href="../notebooks/{name}.ipynb" download' in html, page
        notebook = json.loads((site / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
        nbformat.validate(nbformat.from_dict(notebook))
        assert any(c["cell_type"] == "code" for c in notebook["cells"])


def test_figures_open_full_size_and_keep_their_size(site):
    html = (site / "tutorials" / "backpropagation.html").read_text(encoding="utf-8")
    link = re.search(r'<a class="[^"]*image-reference" href="([^"]+graph-neuron\.svg)"><img[^>]*style="width: (\d+)px', html)
    assert link, "the graph does not link to its full-size file"
    assert (site / "tutorials" / link.group(1)).resolve().is_file()
    assert '<div class="graph-scroll' in html  # wide graphs scroll instead of shrinking below legibility
    assert int(link.group(2)) > 1000


def test_api_reference_starts_with_what_users_touch(site):
    api = (site / "api.html").read_text(encoding="utf-8")
    first = [api.index(f'id="microgradlab.{name}"') for name in
             ("engine.Value", "nn.MLP", "losses.mse", "optim.SGD", "train.fit", "viz.to_dot",
              "gradcheck.gradcheck", "testing.reals")]
    assert first == sorted(first)
    assert first[-1] < api.index('id="module-microgradlab.ops"')  # the op table comes last


def test_api_page_lists_every_reexport():
    import microgradlab

    text = (DOCS / "api.md").read_text(encoding="utf-8")
    intro = text[text.index("## `microgradlab`"):text.index("## `microgradlab.engine`")]
    math = {"exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "softplus"}
    missing = [n for n in microgradlab.__all__ if n not in math and not re.search(rf"[.`]{n}`", intro)]
    assert not missing, f"docs/api.md does not list {missing}"
