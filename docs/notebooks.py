"""Each tutorial as a Jupyter notebook: the page's prose as Markdown cells, its examples as code cells.

The Sphinx build (docs/conf.py) writes ``notebooks/<tutorial>.ipynb`` into the
site and links it from the top of the tutorial's page; the test suite
(tests/test_tutorial_notebooks.py) executes every notebook top to bottom with
nbclient.  The notebook is made from the page itself, so the two cannot drift:

* prose becomes Markdown cells: MyST roles (``{py:func}`~microgradlab.fit```)
  become code spans, ``{doc}`` links plain text, and figures are attached to
  their cell (``attachment:``), so the notebook shows the page's figures offline;
* each ``python`` block's doctest examples become code cells, a new cell after
  each example with output, so every output the page shows appears under its
  cell; expected outputs and doctest directives are left out.

>>> page = '''# Title
...
... Text with {py:func}`~microgradlab.train.fit` and $x^2$.
...
... ```python
... >>> a = 1
... >>> a + 1
... 2
... >>> b = a  # doctest: +ELLIPSIS
...
... ```
... '''
>>> nb = tutorial_notebook(page, "title")
>>> [(c["cell_type"], c["source"]) for c in nb["cells"]]
[('markdown', '# Title\\n\\nText with `fit` and $x^2$.'), ('code', 'a = 1\\na + 1'), ('code', 'b = a')]
"""

from __future__ import annotations

import base64
import doctest
import re
from pathlib import Path
from typing import Any, Dict, List, Optional

__all__ = ["tutorial_notebook", "write_notebooks", "TUTORIALS"]

DOCS = Path(__file__).resolve().parent
TUTORIALS = DOCS / "tutorials"

_FENCE = re.compile(r"^(`{3,})(.*)$")
_ROLE = re.compile(r"\{py:\w+\}`(~?)([^`]+)`")
_DOC = re.compile(r"\{doc\}`(?:([^`<]+?)\s*<[^`>]+>|([^`]+))`")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_DIRECTIVE = re.compile(r"\s*#\s*doctest:[^\n]*")
_KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def _role(match: "re.Match[str]") -> str:
    """``{py:func}`~a.b.c``` as MyST shows it: `c` (the last part with ``~``), or the title before ``<``."""
    tilde, target = match.groups()
    if "<" in target:
        return f"`{target.split('<', 1)[0].strip()}`"
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


def _doc(match: "re.Match[str]") -> str:
    text = match.group(1) or match.group(2)
    return f"*{text.rsplit('/', 1)[-1].replace('-', ' ')}*" if match.group(2) else f"*{text}*"


def _markdown(lines: List[str], folder: Optional[Path]) -> Optional[Dict[str, Any]]:
    text = "\n".join(lines).strip("\n")
    if not text.strip():
        return None
    text = _DOC.sub(_doc, _ROLE.sub(_role, text))
    attachments = {}
    if folder is not None:
        def attach(match: "re.Match[str]") -> str:
            path = (folder / match.group(2)).resolve()
            if not path.is_file():
                return match.group(0)
            mime = "image/svg+xml" if path.suffix == ".svg" else f"image/{path.suffix.lstrip('.')}"
            attachments[path.name] = {mime: base64.b64encode(path.read_bytes()).decode("ascii")}
            return f"![{match.group(1)}](attachment:{path.name})"

        text = _IMAGE.sub(attach, text)
    cell: Dict[str, Any] = {"cell_type": "markdown", "metadata": {}, "source": text}
    if attachments:
        cell["attachments"] = attachments
    return cell


def _code_cells(body: List[str]) -> List[Dict[str, Any]]:
    """One cell per run of examples, ending at each example that has an output."""
    examples = doctest.DocTestParser().get_examples("\n".join(body) + "\n")
    cells, pending = [], []
    for example in examples:
        pending.append(_DIRECTIVE.sub("", example.source).rstrip("\n"))
        if example.want.strip():
            cells.append(pending)
            pending = []
    if pending:
        cells.append(pending)
    return [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
             "source": "\n".join(sources)} for sources in cells]


def tutorial_notebook(text: str, name: str, folder: Optional[Path] = None) -> Dict[str, Any]:
    """The notebook (nbformat 4, as a dict) of the tutorial page ``text``; ``folder`` resolves its figures."""
    cells: List[Dict[str, Any]] = []
    prose: List[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            prose.append(lines[i])
            i += 1
            continue
        body = []
        i += 1
        while i < len(lines) and lines[i].strip() != fence.group(1):
            body.append(lines[i])
            i += 1
        i += 1
        if fence.group(2).strip() in ("python", "pycon"):
            cell = _markdown(prose, folder)
            cells += [cell] if cell else []
            prose = []
            cells += _code_cells(body)
        else:
            prose += [fence.group(0), *body, fence.group(1)]
    cell = _markdown(prose, folder)
    cells += [cell] if cell else []
    return {"cells": cells, "metadata": {"kernelspec": _KERNEL, "language_info": {"name": "python"},
                                         "microgradlab": {"tutorial": name}},
            "nbformat": 4, "nbformat_minor": 5}


def write_notebooks(out: Path) -> List[Path]:
    """Write ``out/<tutorial>.ipynb`` for every tutorial page; return the files written."""
    import json

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for page in sorted(TUTORIALS.glob("*.md")):
        notebook = tutorial_notebook(page.read_text(encoding="utf-8"), page.stem, page.parent)
        for n, cell in enumerate(notebook["cells"]):
            cell["id"] = f"{page.stem}-{n}"  # nbformat 4.5 cell ids, stable from build to build
        path = out / f"{page.stem}.ipynb"
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
