"""JSON Schemas for the fields of Valmyndigheten's result files that the importer uses.

Only fields the importer reads (or cross-checks) are constrained; other fields (personal votes,
previous-election comparisons, elected members …) are ignored. See
docs/importing-results.md for the list and ../shared/data/raw/VALMYNDIGHETEN_JSON_FORMAT.md for
the format. Validation errors are translated to Swedish with the JSON path of the field.
"""
from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator


def _code(digits: int, what: str) -> dict:
    return {"type": "string", "pattern": f"^[0-9]{{{digits}}}$", "description": what}


_COUNT = {"type": "integer", "minimum": 0}
_COUNT_OR_NULL = {"type": ["integer", "null"], "minimum": 0}
_TEXT = {"type": "string", "minLength": 1}

_PARTY = {
    "type": "object",
    "required": ["partibeteckning", "partiforkortning", "partikod", "antalRoster"],
    "properties": {
        "partibeteckning": _TEXT,
        "partiforkortning": {"type": ["string", "null"]},
        "partikod": {"type": "string", "pattern": "^[0-9]{1,8}$", "description": "en sifferkod"},
        "fargkod": {"type": ["string", "null"]},
        "antalRoster": _COUNT,
    },
}

_BUCKET = {
    "type": ["object", "null"],
    "required": ["antalRoster"],
    "properties": {"antalRoster": _COUNT},
}

ROSTFORDELNING = {
    "type": ["object", "null"],
    "required": ["rosterPaverkaMandat", "rosterEjPaverkaMandat"],
    "properties": {
        "rosterPaverkaMandat": {
            "type": "object",
            "required": ["antalRoster", "partiRoster"],
            "properties": {
                "antalRoster": _COUNT,
                "partiRoster": {"type": "array", "items": _PARTY},
                "rosterOvrigaPartier": _BUCKET,
            },
        },
        "rosterEjPaverkaMandat": {
            "type": "object",
            "required": ["antalRoster"],
            "properties": {
                "antalRoster": _COUNT,
                "rosterEjAnmaltDeltagande": _BUCKET,
                "blankaRoster": _BUCKET,
                "ovrigaOgiltiga": _BUCKET,
            },
        },
    },
}

_ROOT = {
    "valtillfalle": {"type": "string", "pattern": "^[A-Za-z]+_[0-9]{4}([0-9]{4})?$",
                     "description": "t.ex. Val_2026"},
    "rakningstillfalle": {"type": "string", "enum": ["preliminär", "preliminar", "slutlig"]},
    "valtyp": {"type": "string", "enum": ["RD", "RF", "KF"]},
    "valdatum": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                 "description": "ett datum ÅÅÅÅ-MM-DD"},
    "test": {"type": "boolean"},
    "senasteUppdateringstid": _TEXT,
    "antalUppdateringar": {"type": ["integer", "null"], "minimum": 0},
}
_ROOT_REQUIRED = ["valtillfalle", "rakningstillfalle", "valtyp", "senasteUppdateringstid"]

_DISTRICT = {
    "type": "object",
    "required": [
        "namn", "valdistriktstyp", "valdistriktskod", "kommunkod", "lankod", "valomradeskod",
        "kretskod", "totaltAntalRoster", "antalRostberattigade", "rostfordelning",
    ],
    "properties": {
        "namn": _TEXT,
        "valdistriktstyp": {"type": "string", "enum": ["valdistrikt", "uppsamlingsdistrikt"]},
        "valdistriktskod": {"type": "string", "pattern": "^([0-9]{8}|[0-9]{6})$",
                            "description": "8 siffror (uppsamlingsdistrikt: 6 eller 8)"},
        "kommunkod": _code(4, "4 siffror"),
        "lankod": _code(2, "2 siffror"),
        "valomradeskod": {"type": "string", "pattern": "^([0-9]{2}|[0-9]{4})$",
                          "description": "2 eller 4 siffror"},
        "kretskod": {"type": "string", "pattern": "^[0-9]{2,6}$", "description": "2–6 siffror"},
        "kommunvalkretsKod": _code(6, "6 siffror"),
        "kommunvalkretsNamn": _TEXT,
        "totaltAntalRoster": _COUNT_OR_NULL,
        "antalRostberattigade": _COUNT_OR_NULL,
        "rostfordelning": ROSTFORDELNING,
    },
}

ROSTFORDELNING_FILE = {
    "type": "object",
    "required": [*_ROOT_REQUIRED, "antalValdistriktRaknade", "antalValdistriktSomSkaRaknas",
                 "valdistrikt"],
    "properties": {
        **_ROOT,
        "antalValdistriktRaknade": _COUNT,
        "antalValdistriktSomSkaRaknas": _COUNT,
        "valdistrikt": {"type": "array", "minItems": 1, "items": _DISTRICT},
    },
}

_VALKRETS = {
    "type": "object",
    "required": ["namnValkrets", "kod", "rostfordelning"],
    "properties": {
        "namnValkrets": _TEXT,
        "kod": {"type": "string", "pattern": "^[0-9]{2,6}$", "description": "2–6 siffror"},
        "totaltAntalRoster": _COUNT_OR_NULL,
        "rostfordelning": ROSTFORDELNING,
    },
}

MANDATFORDELNING_FILE = {
    "type": "object",
    "required": [*_ROOT_REQUIRED, "valomrade"],
    "properties": {
        **_ROOT,
        "valomrade": {
            "type": "object",
            "required": ["namn", "kod", "rostfordelning"],
            "properties": {
                "namn": _TEXT,
                "kod": {"type": "string", "pattern": "^([0-9]{2}|[0-9]{4})$",
                        "description": "2 eller 4 siffror"},
                "totaltAntalRoster": _COUNT_OR_NULL,
                "rostfordelning": ROSTFORDELNING,
                "valkretsLista": {"type": ["array", "null"], "items": _VALKRETS},
            },
        },
    },
}

_KOMMUN = {
    "type": "object",
    "required": ["namn", "kommunkod", "lankod", "totaltAntalRoster", "rostfordelning"],
    "properties": {
        "namn": _TEXT,
        "kommunkod": _code(4, "4 siffror"),
        "lankod": _code(2, "2 siffror"),
        "totaltAntalRoster": _COUNT_OR_NULL,
        "rostfordelning": ROSTFORDELNING,
    },
}

SUMMERING_FILE = {
    "type": "object",
    "required": [*_ROOT_REQUIRED, "kommuner"],
    "properties": {**_ROOT, "kommuner": {"type": "array", "items": _KOMMUN}},
}

VALIDATORS = {
    "rostfordelning": Draft202012Validator(ROSTFORDELNING_FILE),
    "mandatfordelning": Draft202012Validator(MANDATFORDELNING_FILE),
    "summering": Draft202012Validator(SUMMERING_FILE),
}

_TYPE_SV = {
    "string": "text", "integer": "heltal", "number": "tal", "object": "objekt",
    "array": "lista", "null": "null", "boolean": "sant/falskt",
}


def json_path(parts) -> str:
    """`['valdistrikt', 3, 'namn']` -> `valdistrikt[3].namn`."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(roten)"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _types(value) -> str:
    names = [value] if isinstance(value, str) else list(value)
    return " eller ".join(_TYPE_SV.get(n, n) for n in names)


def describe(error) -> str:
    """One Swedish sentence for a jsonschema ValidationError, naming the field."""
    path = list(error.absolute_path)
    where = json_path(path)
    kind = error.validator
    if kind == "required":
        missing = [p for p in error.validator_value if p not in error.instance]
        return f"fältet '{json_path([*path, missing[0]])}' saknas"
    if kind == "type":
        return (f"fältet '{where}' är {_types(_json_type(error.instance))}, "
                f"förväntat {_types(error.validator_value)}")
    if kind == "enum":
        allowed = ", ".join(f"'{v}'" for v in error.validator_value)
        return f"fältet '{where}' har det okända värdet '{error.instance}' (kända värden: {allowed})"
    if kind == "pattern":
        what = error.schema.get("description", error.validator_value)
        return f"fältet '{where}' har värdet '{error.instance}', förväntat {what}"
    if kind == "minimum":
        return f"fältet '{where}' är negativt ({error.instance})"
    if kind == "minLength":
        return f"fältet '{where}' är tomt"
    if kind == "minItems":
        return f"listan '{where}' är tom"
    return f"fältet '{where}' är ogiltigt ({error.message})"


def first_error(kind: str, document: Any):
    """The first schema violation (in document order), or None."""
    errors = list(VALIDATORS[kind].iter_errors(document))
    if not errors:
        return None
    return min(errors, key=lambda e: [str(p).zfill(9) if isinstance(p, int) else p
                                      for p in e.absolute_path])
