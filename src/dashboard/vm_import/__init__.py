"""Import Valmyndigheten's result files (resultatfiler, JSON in zip) as new elections.

Public API: `import_files` (CLI and upload page), `import_history` (Om data),
`imported_tables` / `attach_imported` (db.py). See docs/importing-results.md.

Names are loaded on first use (PEP 562): every server process reads the imported tables
(store), but only an import needs the parser and its JSON Schema validator.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "ImportRefused": ".importer",
    "ImportSummary": ".importer",
    "import_files": ".importer",
    "ResultFileError": ".parse",
    "attach_imported": ".store",
    "import_history": ".store",
    "imported_tables": ".store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value
