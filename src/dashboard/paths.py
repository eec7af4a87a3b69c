"""Where things live. Every path can be overridden by an environment variable for tests."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The project's own data folder (what the app reads at run time)."""
    return Path(os.environ.get("VALRUMMET_DATA_DIR", REPO_ROOT / "data"))


def raw_dir() -> Path:
    """The official raw files (only needed by the build step, never by the app)."""
    return Path(os.environ.get("VALRUMMET_RAW_DIR", REPO_ROOT.parent / "shared" / "data" / "raw"))


def derived_dir() -> Path:
    """Derived party counts for Stockholm County (PROVENANCE.md §12)."""
    return Path(
        os.environ.get(
            "VALRUMMET_DERIVED_DIR",
            REPO_ROOT.parent / "shared" / "data" / "derived" / "party_votes_stockholm",
        )
    )


SQL_DIR = Path(__file__).resolve().parent / "sql"
