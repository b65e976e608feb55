"""``python -m microgradlab``: the same command line as ``microgradlab``."""

from .cli import main

if __name__ == "__main__":  # pytest --doctest-modules imports this module; only run when executed
    raise SystemExit(main())
