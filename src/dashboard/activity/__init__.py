"""Campaign activity files (issue 4): schemas, validation, the versioned store and the page API.

For pages::

    from dashboard import activity
    df = activity.door_knocking()          # current rows (DataFrame, Swedish column names)
    activity.info("dorrknackning")         # origin: standard | uppladdad | syntetisk, version, time
    activity.notice()                      # sentence to show when data are synthetic or incomplete
    activity.validate(upload)              # report with .ok, .errors, .error_lines()
    activity.import_file(upload)           # store if valid, else ActivityValidationError
    activity.history(typ); activity.restore(typ, version)
    activity.template_csv(typ); activity.template_xlsx(typ)   # download buttons

File types and their columns: `data/activity/README.md` (generated from `schemas.py`).
"""
from .api import (
    ORIGIN_LABELS,
    ORIGIN_STANDARD,
    ORIGIN_SYNTHETIC,
    ORIGIN_UPLOAD,
    DatasetInfo,
    ImportResult,
    activists,
    association_districts,
    associations,
    cabins,
    current,
    default_summary,
    door_knocking,
    history,
    import_file,
    info,
    is_synthetic,
    newspapers,
    notice,
    origin,
    phone_banks,
    priority_associations,
    rentals,
    reset,
    restore,
    status,
    token,
)
from .schemas import SCHEMAS, resolve_type
from .templates import template_csv, template_xlsx
from .validate import ActivityValidationError, Issue, ValidationReport, validate

__all__ = [
    "ORIGIN_LABELS", "ORIGIN_STANDARD", "ORIGIN_SYNTHETIC", "ORIGIN_UPLOAD", "DatasetInfo", "ImportResult",
    "activists", "association_districts", "associations", "cabins", "current", "default_summary",
    "door_knocking", "history", "import_file", "info", "is_synthetic", "newspapers", "notice", "origin",
    "phone_banks", "priority_associations", "rentals", "reset", "restore", "status", "token",
    "SCHEMAS", "resolve_type", "template_csv", "template_xlsx", "ActivityValidationError", "Issue",
    "ValidationReport", "validate",
]
