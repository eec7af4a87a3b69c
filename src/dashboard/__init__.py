"""Valrummet: election analysis for Vänsterpartiet Storstockholm.

Layout: `build/` turns official files into `data/`; `db.py` runs the named SQL queries in `sql/`;
`queries.py` caches them for Streamlit; `charts.py`/`maps.py` are pure figure builders;
`seats.py` is the seat engine; `activity/` imports the district's own files.
"""

import contextlib as _contextlib
import importlib.abc as _abc
import importlib.machinery as _machinery
import sys as _sys
import warnings as _warnings


# Text columns as plain Python strings (object dtype), not pandas 3's Arrow-backed "str" dtype.
# The app keeps a few thousand small cached frames per process (issue 8); an Arrow string column
# costs an extension block, a chunked array, a dtype object and Copy-on-Write weak references
# each. Plain objects saved ~25 MB per process and ~12 % of the warm-up's CPU (measured with
# 427 warm views). Set before any frame is made: every entry point imports this package first.
# pandas 3 warns that the option goes in pandas 4 (requirements pin pandas 3): then the default
# applies and only the memory above is lost.
def _set_infer_string(value: bool) -> None:
    import pandas as pd

    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            pd.set_option("future.infer_string", value)
    except (KeyError, pd.errors.OptionError):
        pass


class _WhenPandasLoads(_abc.MetaPathFinder):
    """Set the option the moment pandas is imported, before the importer gets it: a process
    that never needs pandas (the database build's child process) does not pay ~0.3 s for it."""

    def find_spec(self, name, path, target=None):
        if name != "pandas":
            return None
        _sys.meta_path.remove(self)
        spec = _machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            _set_infer_string(False)

        spec.loader.exec_module = exec_module
        return spec


if "pandas" in _sys.modules:
    _set_infer_string(False)
else:
    _sys.meta_path.insert(0, _WhenPandasLoads())


@_contextlib.contextmanager
def pandas_default_strings():
    """pandas' own string inference inside the block: files the build writes must not depend
    on the runtime choice above (their parquet metadata records the dtype). Process-wide: for
    the build, which runs alone, not inside a serving process."""
    _set_infer_string(True)
    try:
        yield
    finally:
        _set_infer_string(False)
