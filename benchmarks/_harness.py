"""What the benchmark scripts share: running one measurement in a fresh interpreter.

A script that uses it handles ``--worker ARGS...`` by measuring and printing one
JSON line; :func:`run_worker` starts it and returns that line as a dict.  A
fresh process per measurement means one library's garbage, caches or thread
pools never slow another's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Dict, Mapping, Optional, Sequence


def run_worker(script: str, args: Sequence[str], env: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Run ``python script --worker *args`` and return the JSON object on its last output line.

    Raises:
        SystemExit: if the worker fails, with its standard error.
    """
    cmd = [sys.executable, os.path.abspath(script), "--worker", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=None if env is None else dict(env))
    if proc.returncode != 0:
        raise SystemExit(f"worker {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def importable(module: str, env: Optional[Mapping[str, str]] = None) -> bool:
    """Whether ``module`` imports in a fresh interpreter of this Python."""
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          env=None if env is None else dict(env))
    return proc.returncode == 0
