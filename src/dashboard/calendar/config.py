"""The calendar's rules from `src/dashboard/config/calendar.toml`, checked on read."""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ValrummetError

RULES_FILE = Path(__file__).resolve().parents[1] / "config" / "calendar.toml"


@dataclass(frozen=True)
class Rules:
    version: str
    buffer_between_min: int  # travel buffer between municipalities
    buffer_same_min: int  # between two events in the same municipality
    max_visits_per_unit: int
    weeks: int
    top_of_scorecard: int

    def with_buffer(self, minutes: int | None) -> "Rules":
        return self if minutes is None else replace(self, buffer_between_min=int(minutes))

    def with_weeks(self, weeks: int | None) -> "Rules":
        return self if weeks is None else replace(self, weeks=int(weeks))


def _int(raw: dict, section: str, key: str, path: Path, low: int, high: int) -> int:
    value = (raw.get(section) or {}).get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValrummetError(f"Kalenderreglerna {path}: [{section}] {key} ska vara ett heltal "
                             f"från {low} till {high}, inte '{value}'.")
    return value


def load_rules(path: Path | None = None) -> Rules:
    """Read and check the rules file; errors name the file, section and key."""
    path = Path(path or RULES_FILE)
    return _load(str(path), path.stat().st_mtime_ns if path.exists() else 0)


@functools.lru_cache(maxsize=4)
def _load(path_text: str, _mtime: int) -> Rules:
    path = Path(path_text)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValrummetError(f"Kalenderreglerna {path} saknas.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValrummetError(f"Kalenderreglerna {path} går inte att läsa: {exc}.") from None
    return Rules(
        version=str(raw.get("version", "?")),
        buffer_between_min=_int(raw, "travel", "between_municipalities_min", path, 0, 24 * 60),
        buffer_same_min=_int(raw, "travel", "same_municipality_min", path, 0, 24 * 60),
        max_visits_per_unit=_int(raw, "visits", "max_per_unit", path, 1, 1000),
        weeks=_int(raw, "visits", "weeks", path, 1, 104),
        top_of_scorecard=_int(raw, "visits", "top_of_scorecard", path, 1, 100),
    )
