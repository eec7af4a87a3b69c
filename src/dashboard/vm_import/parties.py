"""Map Valmyndigheten's party entries to the warehouse's party codes.

Order: (1) `partikod` of the eight riksdag parties (stable ids in the result files);
(2) the party's name (beteckning, compared without case and extra spaces) against
data/parties.parquet and parties added by earlier imports; (3) a new code: the abbreviation
if it is free, else `<abbreviation>-<partikod>`, or `P<partikod>` when there is no abbreviation.
New parties are written to the imported election's parties.parquet (kind `other`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# Valmyndigheten's partikod for the riksdag parties (format notes §4, observed in the 2022 and
# 2026 files).
RIKSDAG_PARTIKOD = {
    "1": "M", "2": "S", "3": "L", "4": "C", "5": "V", "55": "MP", "68": "KD", "110": "SD",
}
BUCKET = "ÖVR"


def norm_name(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


class PartyConflict(ValueError):
    """The entry contradicts what is known (message in Swedish)."""


@dataclass
class PartyRegistry:
    """Known parties (code -> name) and the parties added during this import."""

    known: dict[str, str | None] = field(default_factory=dict)
    # Parties not in data/parties.parquet (from earlier imports or new now): code -> row.
    extra: dict[str, dict] = field(default_factory=dict)
    new: set[str] = field(default_factory=set)
    _by_name: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, base: list[dict], imported: list[dict] = ()) -> "PartyRegistry":
        reg = cls()
        for row in base:
            reg._add_known(row["party"], row.get("name"))
        for code in [*RIKSDAG_PARTIKOD.values(), BUCKET]:
            reg.known.setdefault(code, None)
        for row in imported:
            if row["party"] not in reg.known:
                reg._add_known(row["party"], row.get("name"))
                reg.extra[row["party"]] = dict(row)
        return reg

    def _add_known(self, code: str, name: str | None) -> None:
        self.known.setdefault(code, name)
        if name:
            self._by_name.setdefault(norm_name(name), code)

    def _taken(self, code: str) -> bool:
        return code.casefold() in {c.casefold() for c in self.known}

    def resolve(self, partikod: str, abbreviation: str | None, name: str,
                colour: str | None) -> str:
        abbr = (abbreviation or "").strip()
        kod = partikod.lstrip("0") or "0"
        if kod in RIKSDAG_PARTIKOD:
            code = RIKSDAG_PARTIKOD[kod]
            if abbr and abbr.upper() != code:
                raise PartyConflict(
                    f"partikod {partikod} är {code}, men partiförkortningen är '{abbr}' "
                    f"({name})"
                )
            return code
        if (code := self._by_name.get(norm_name(name))) is not None:
            return code
        if abbr and abbr.upper() != BUCKET and not self._taken(abbr):
            code = abbr
        elif abbr:
            code = f"{abbr}-{kod}"
        else:
            code = f"P{kod}"
        if self._taken(code):
            raise PartyConflict(
                f"partiet '{name}' (partikod {partikod}) kan inte få en egen kod: "
                f"'{code}' används redan"
            )
        self._add_known(code, name)
        self.extra[code] = {"party": code, "name": name.strip(), "colour": colour or None,
                            "kind": "other"}
        self.new.add(code)
        return code
