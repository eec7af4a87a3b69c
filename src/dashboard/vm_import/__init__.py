"""Import Valmyndigheten's result files (resultatfiler, JSON in zip) as new elections.

Public API: `import_files` (CLI and upload page), `import_history` (Om data),
`imported_tables` / `attach_imported` (db.py). See docs/importing-results.md.
"""
from .importer import ImportRefused, ImportSummary, import_files
from .parse import ResultFileError
from .store import attach_imported, import_history, imported_tables

__all__ = ["ImportRefused", "ImportSummary", "ResultFileError", "attach_imported",
           "import_files", "import_history", "imported_tables"]
