"""micrograd's own engine tests (``test/test_engine.py`` of its PyPI sdist), run against microgradlab.

The file is not kept in this repository: it is downloaded from PyPI when the
tests run (``pip download --no-deps --no-binary :all: micrograd==0.1.0``, the
sdist checked against its SHA-256, the one test file read from it), cached, and run with
its import line ``from micrograd.engine import Value`` pointed at
``microgradlab.Value`` and at ``microgradlab.micrograd.engine.Value``.
Without a network, a cache or PyTorch (the file compares against it), the
tests are skipped, saying why.

The cache is ``$MICROGRADLAB_TEST_CACHE`` or ``~/.cache/microgradlab-tests``.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import traceback
from pathlib import Path
from typing import Callable, Dict

import pytest

SDIST_SHA256 = "81797b796bef809fb1ac3fd83a7e01e007aecb8d056fba07c0e24931e043845d"
TEST_FILE = "micrograd-0.1.0/test/test_engine.py"
TEST_FILE_SHA256 = "27142177f5badd0f3aa0ae1a78ae91b0017cd08d9e44a3e0f774142c0f53d531"
IMPORT_LINE = "from micrograd.engine import Value"
TIMEOUT = 300  # seconds for pip download
MAX_SDIST_BYTES = 1 << 20  # the sdist is 4 kB; never read more than this


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download() -> bytes:
    """The upstream test file, from the sdist pip downloads, checked against the sdist's known SHA-256."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                                   "--no-build-isolation", "--quiet", "-d", tmp, "micrograd==0.1.0"],
                                  capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise OSError(f"pip download took more than {TIMEOUT} s") from None
        if proc.returncode != 0:
            lines = [line for line in proc.stderr.splitlines() if line.strip()]
            raise OSError(f"pip download failed: {lines[-1] if lines else proc.returncode}")
        sdist_path = Path(tmp, "micrograd-0.1.0.tar.gz")
        if not sdist_path.is_file() or sdist_path.stat().st_size > MAX_SDIST_BYTES:
            raise ValueError("pip download did not give micrograd-0.1.0.tar.gz of a plausible size")
        sdist = sdist_path.read_bytes()
    if _sha256(sdist) != SDIST_SHA256:
        raise ValueError(f"micrograd-0.1.0.tar.gz has SHA-256 {_sha256(sdist)}, not the published sdist's")
    with tarfile.open(fileobj=io.BytesIO(sdist), mode="r:gz") as tar:
        member = tar.extractfile(TEST_FILE)  # read one member: nothing is unpacked to disk
        if member is None:
            raise ValueError(f"the sdist's {TEST_FILE} is not a file")
        return member.read()


def _cache_dir() -> Path:
    return Path(os.environ.get("MICROGRADLAB_TEST_CACHE") or Path.home() / ".cache" / "microgradlab-tests")


@pytest.fixture(scope="module")
def upstream_source() -> str:
    """The text of micrograd 0.1.0's test/test_engine.py (cached; skips when it cannot be had)."""
    cached = _cache_dir() / "micrograd-0.1.0-test_engine.py"
    data = cached.read_bytes() if cached.is_file() else b""
    if _sha256(data) != TEST_FILE_SHA256:
        try:
            data = _download()
        except (OSError, ValueError, KeyError, tarfile.TarError) as exc:  # KeyError: no such member
            pytest.skip(f"cannot fetch micrograd 0.1.0's test/test_engine.py from PyPI ({exc})")
        if _sha256(data) != TEST_FILE_SHA256:
            pytest.fail(f"{TEST_FILE} in the sdist does not have the expected SHA-256")
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(cached)
        except OSError:
            pass  # no cache: fetched again next time
    return data.decode("utf-8")


@pytest.mark.parametrize("module", ["microgradlab", "microgradlab.micrograd.engine"])
def test_micrograds_own_engine_tests_pass(upstream_source: str, module: str) -> None:
    pytest.importorskip("torch", reason="micrograd's tests compare against PyTorch (pip install microgradlab[torch])")
    assert upstream_source.count(IMPORT_LINE) == 1
    source = upstream_source.replace(IMPORT_LINE, f"from {module} import Value")
    namespace: Dict[str, object] = {"__name__": "micrograd_test_engine"}
    exec(compile(source, TEST_FILE, "exec"), namespace)  # noqa: S102 - PyPI's file, checked by SHA-256
    tests: Dict[str, Callable[[], None]] = {k: v for k, v in namespace.items() if k.startswith("test_") and callable(v)}
    assert sorted(tests) == ["test_more_ops", "test_sanity_check"]
    failures = []
    for name, test in tests.items():
        try:
            test()
        except Exception:  # report every failing test, not only the first
            failures.append(f"{name}:\n{traceback.format_exc()}")
    assert not failures, "\n".join(failures)
