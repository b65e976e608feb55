"""Doctests of docs/, README.md and docstrings where an optional dependency is missing.

An example that fails only because an optional dependency (an extra of setup.cfg)
is not installed, as on PyPy where NumPy, matplotlib, torch and Sphinx are not,
reports its doctest as skipped, naming the example's line and the module; so does
a module whose import needs one (docs/conf.py needs Sphinx).  Any other failure
stays a failure, and with every extra installed (CI on CPython) nothing is skipped.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
from typing import Optional

import pytest
from _pytest.doctest import DoctestModule
from _pytest.outcomes import OutcomeException

# the modules the extras of setup.cfg provide (never needed by the core engine)
OPTIONAL = {"numpy", "matplotlib", "torch", "sklearn", "sphinx", "docutils", "myst_parser", "furo",
            "nbformat", "nbclient", "ipykernel", "ipywidgets", "IPython", "PIL"}


def missing_optional(error: Optional[BaseException]) -> Optional[str]:
    """The optional module, not installed, whose absence caused ``error`` (or None)."""
    while error is not None:
        if isinstance(error, ModuleNotFoundError) and error.name:
            top = error.name.partition(".")[0]
            if top in OPTIONAL and importlib.util.find_spec(top) is None:
                return top
        error = error.__cause__ or error.__context__
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        return (yield)
    except doctest.UnexpectedException as failure:
        module = missing_optional(failure.exc_info[1])
        if module is None:
            raise
        where = f"{os.path.basename(failure.test.filename or item.name)}:{failure.test.lineno + failure.example.lineno + 1}"
        pytest.skip(f"the example at {where} and those after it need {module}, which is not installed")


def pytest_make_collect_report(collector) -> Optional[pytest.CollectReport]:
    if not isinstance(collector, DoctestModule):
        return None
    try:
        collector.obj  # imports the module once; pytest's own report reuses it
    except pytest.Collector.CollectError as error:
        module = missing_optional(error.__cause__)
        if module is not None:
            reason = f"Skipped: importing {collector.path.name} needs {module}, which is not installed"
            return pytest.CollectReport(collector.nodeid, "skipped", (str(collector.path), 0, reason), [])
    except (Exception, OutcomeException):  # a module-level importorskip, ...: pytest's own report
        pass
    return None
