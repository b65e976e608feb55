"""The layout docs/architecture.md documents is the layout the code has.

The page's layer table (after ``<!-- layers -->``) puts every module of the
package in a layer; a module may import from its own layer and the ones below,
never from above -- not even lazily inside a function.  Every module must be in
the table, so a new module is placed on purpose, none may grow past the size
the page states, and none imports another's private names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "microgradlab"
PAGE = ROOT / "docs" / "architecture.md"
MAX_LINES = 400


def layer_table() -> Dict[str, int]:
    """Module name (relative to the package, as the page writes it) -> its layer number."""
    text = PAGE.read_text(encoding="utf-8")
    table = text.split("<!-- layers -->", 1)[1].split("\n\n", 2)[1]
    layers: Dict[str, int] = {}
    for row in table.splitlines()[2:]:
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        number = int(cells[0].split()[0])
        for name in re.findall(r"`([\w.]+)`", cells[1]):
            assert name not in layers, f"{name} is in two layers of the table"
            layers[name] = number
    return layers


def modules() -> Iterator[Tuple[str, Path]]:
    """Every module of the package as ``(dotted name relative to the package, path)``."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def layer_of(name: str, layers: Dict[str, int]) -> int:
    """The layer of a module: its own entry, else its package's (``viz.dot`` is where ``viz`` is)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in layers:
            return layers[prefix]
    raise KeyError(name)


def imports(name: str, path: Path) -> Iterator[Tuple[int, str]]:
    """``(line, module)`` for every import of the package's own modules, lazy ones included."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    package = [part for part in package if part]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            if node.module:
                yield node.lineno, ".".join(base + node.module.split("."))
            else:
                for alias in node.names:
                    yield node.lineno, ".".join(base + [alias.name])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "microgradlab":
            yield node.lineno, node.module[len("microgradlab."):]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("microgradlab."):
                    yield node.lineno, alias.name[len("microgradlab."):]


def test_every_module_is_in_the_table():
    layers = layer_table()
    missing = []
    for name, _ in modules():
        if name:  # the package's own __init__ is the public face: it may import anything
            try:
                layer_of(name, layers)
            except KeyError:
                missing.append(name)
    assert not missing, f"docs/architecture.md's layer table does not place {missing}"


def test_the_table_names_only_modules_that_exist():
    names = {name for name, _ in modules()}
    stale = [name for name in layer_table() if name not in names]
    assert not stale, f"docs/architecture.md's layer table names modules that do not exist: {stale}"


def test_imports_flow_down_the_layers():
    layers = layer_table()
    upward: List[str] = []
    for name, path in modules():
        if not name:
            continue
        own = layer_of(name, layers)
        for line, target in imports(name, path):
            # ``from .. import __version__`` reads the package's metadata, not a module
            if target and not target.startswith("__") and layer_of(target, layers) > own:
                upward.append(f"{path.relative_to(ROOT)}:{line} ({name}, layer {own}) imports "
                              f"{target} (layer {layer_of(target, layers)})")
    assert not upward, "imports that flow up the layers:\n" + "\n".join(upward)


@pytest.mark.parametrize("name,path", [pytest.param(name, path, id=name or "__init__") for name, path in modules()])
def test_one_job_per_module_stays_small(name, path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES}: split it by job)"


def test_no_module_imports_another_modules_private_names():
    """A name another module needs is public in its home (documented, no underscore)."""
    private = []
    for name, path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("microgradlab")):
                private += [f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name}" for alias in node.names
                            if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert not private, "imports of private names:\n" + "\n".join(private)
