"""The activity file types: their columns (Swedish names, as in the templates) and rules.

A schema is data, not code: the validator, the templates, `data/activity/README.md` and type
detection all read these definitions, so a column is described in one place only.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Column kinds understood by the validator.
KINDS = {
    "text": "text",
    "int": "heltal ≥ 0",
    "float": "decimaltal ≥ 0 (decimalkomma eller punkt)",
    "date": "datum ÅÅÅÅ-MM-DD",
    "bool": "ja/nej",
    "kommun": "kommunkod (0114) eller kommunnamn (Upplands Väsby)",
    "district": "valdistriktskod, 8 siffror (LLKKDDDD)",
    "districts": "valdistriktskoder, 8 siffror, åtskilda av mellanslag eller komma",
    "choice": "ett eller flera av de tillåtna värdena, åtskilda av komma",
    "valar": "valår (2018, 2022, 2026 …)",
    "lat": "latitud, WGS84 i decimalgrader (59,41)",
    "lon": "longitud, WGS84 i decimalgrader (17,83)",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str
    required: bool = False  # the column must be present in the file
    nonnull: bool = False  # every row must have a value
    max: float | None = None  # larger values are absurd
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other header spellings accepted (normalised like headers)


@dataclass(frozen=True)
class Schema:
    key: str  # type id used by the CLI and the store
    label: str  # Swedish display name
    description: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] | None = None  # duplicate key; None = the whole row
    at_least_one: tuple[str, ...] = ()  # every row needs one of these
    not_more_than: tuple[tuple[str, str], ...] = ()  # (a, b): a ≤ b when both are given
    together: tuple[tuple[str, str], ...] = ()  # both or neither
    ordered_dates: tuple[tuple[str, str], ...] = ()  # (a, b): a ≤ b
    aliases: tuple[str, ...] = ()  # other type names accepted by --type

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def norm_key(text: object) -> str:
    """Header spelling → comparison key: case, diacritics, spaces and punctuation ignored."""
    s = unicodedata.normalize("NFKD", str(text).replace("\ufeff", "")).casefold()
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


# --- shared columns --------------------------------------------------------------------------

def _kommun(required: bool = True) -> Column:
    return Column(
        "kommun", "kommun",
        "Kommunen i Stockholms län: kod (0114) eller namn (Upplands Väsby, upplands-väsby).",
        required=required, nonnull=required,
        aliases=("kommunkod", "kommunnamn", "kommun_namn", "kommun_kod"),
    )


_FORENING = Column(
    "förening", "text",
    "Partiföreningens id eller namn (som i föreningsfilen), om raden gäller en förening.",
    aliases=("partiförening", "förening_id", "forening_namn"),
)
_DATUM = Column("datum", "date", "Dag för aktiviteten, ÅÅÅÅ-MM-DD. Tomt = okänt.", aliases=("dag", "date"))
_VALAR = Column(
    "valår", "valar",
    "Valet som aktiviteten gällde. Tomt = räknas ut från datum (nästa valdag på eller efter datumet).",
    aliases=("val", "valaret"),
)
_OMRADE = Column("område", "text", "Stadsdel, tätort eller bostadsområde (fritext).", aliases=("stadsdel", "plats"))
_COMMON = (
    Column("ungefärligt", "bool", "ja om talen är ungefärliga (”cirka”).", aliases=("ca", "cirka")),
    Column("anteckning", "text", "Fritext, t.ex. varifrån uppgiften kommer.", aliases=("kommentar", "not")),
)

SCHEMAS: dict[str, Schema] = {}


def _add(schema: Schema) -> None:
    SCHEMAS[schema.key] = Schema(**{**schema.__dict__, "columns": schema.columns + _COMMON})


_add(Schema(
    "foreningar", "Partiföreningar",
    "En rad per partiförening. Stockholms stad har flera föreningar; ange då gärna vilka "
    "valdistrikt eller vilken stadsdel föreningen täcker.",
    (
        Column("förening_id", "text", "Föreningens id, unikt i filen (t.ex. id:t i Zetkin).",
               required=True, nonnull=True, aliases=("id", "forenings_id")),
        Column("förening", "text", "Föreningens namn.", required=True, nonnull=True, aliases=("namn", "partiförening")),
        _kommun(),
        _OMRADE,
        Column("valdistrikt", "districts", "Valdistrikt som föreningen täcker (tomt = hela kommunen)."),
    ),
    unique=("förening_id",),
    aliases=("associations", "föreningar"),
))

_add(Schema(
    "tidningar", "Tidningar",
    "Lokala partitidningar (”Vänstern i …”): en rad per upplaga eller utgåva. Om bara "
    "exemplar per röstberättigad är känd (som i valutvärderingen 2023) fylls den kolumnen i "
    "i stället för antalen.",
    (
        _kommun(),
        _FORENING,
        Column("titel", "text", "Tidningens namn eller utgåva.", aliases=("tidning", "utgåva")),
        Column("tryckta", "int", "Antal tryckta exemplar.", max=2_000_000, aliases=("tryckt", "upplaga", "antal_tryckta")),
        Column("utdelade", "int", "Antal utdelade exemplar (högst lika många som tryckta).", max=2_000_000,
               aliases=("utdelat", "antal_utdelade", "delade")),
        Column("ex_per_röstberättigad", "float",
               "Exemplar per röstberättigad i kommunvalet. Fyll bara i när antalen saknas; "
               "räknas annars ut av appen.", max=50, aliases=("exemplar_per_röstberättigad", "ex_per_rostb")),
        Column("utdelning", "choice", "Hur tidningen delades ut.",
               choices=("post", "medlemmar", "valstugor", "annat"), aliases=("utdelningssätt", "distribution")),
        _DATUM,
        _VALAR,
    ),
    at_least_one=("tryckta", "utdelade", "ex_per_röstberättigad"),
    not_more_than=(("utdelade", "tryckta"),),
    aliases=("newspapers",),
))

_add(Schema(
    "valstugor", "Valstugor",
    "Valstugor och mobila stånd: en rad per stuga eller stånd. Position som lat/lon (WGS84, "
    "decimalgrader); saknas koordinaterna lämnas båda tomma.",
    (
        Column("namn", "text", "Stugans eller ståndets namn.", required=True, nonnull=True, aliases=("valstuga",)),
        _kommun(),
        Column("typ", "choice", "valstuga (fast) eller mobil (stånd som flyttas).", choices=("valstuga", "mobil")),
        Column("adress", "text", "Gatuadress eller plats."),
        Column("lat", "lat", "Latitud (WGS84), t.ex. 59,41.", aliases=("latitud", "latitude", "y")),
        Column("lon", "lon", "Longitud (WGS84), t.ex. 17,83.", aliases=("longitud", "longitude", "lng", "x")),
        _OMRADE,
        Column("prioriterat_område", "bool", "ja om stugan står i ett av föreningens prioriterade områden.",
               aliases=("prioriterat", "prio")),
        Column("öppnar", "date", "Första dag stugan är öppen.", aliases=("från", "start")),
        Column("stänger", "date", "Sista dag stugan är öppen.", aliases=("till", "slut")),
        Column("öppettider", "text", "Öppettider i fritext, t.ex. ”lör–sön 11–15”.", aliases=("tider",)),
        Column("öppetdagar", "int", "Antal dagar stugan var öppen.", max=366, aliases=("dagar",)),
        Column("pass", "int", "Antal bemannade pass.", max=10_000, aliases=("bemannade_pass", "antal_pass")),
        _VALAR,
    ),
    unique=("kommun", "namn", "öppnar"),
    together=(("lat", "lon"),),
    ordered_dates=(("öppnar", "stänger"),),
    aliases=("cabins", "stugor"),
))

_add(Schema(
    "dorrknackning", "Dörrknackning",
    "En rad per dörrknackningstillfälle (eller summa per dag och område). Ange kommun och "
    "gärna valdistrikt.",
    (
        _DATUM,
        _kommun(),
        Column("valdistrikt", "district", "Valdistriktets kod, 8 siffror (LLKKDDDD). Tomt = okänt."),
        _OMRADE,
        Column("dörrar", "int", "Antal dörrar som knackades.", required=True, max=500_000,
               aliases=("dorrar", "antal_dörrar", "knackade_dörrar")),
        Column("samtal", "int", "Antal samtal vid dörren (högst lika många som dörrar).", max=500_000,
               aliases=("antal_samtal", "öppnade")),
        Column("tillfällen", "int", "Antal dörrknackningstillfällen som raden sammanfattar.", max=10_000,
               aliases=("aktioner", "antal_tillfällen")),
        _VALAR,
    ),
    at_least_one=("dörrar", "samtal", "tillfällen"),
    not_more_than=(("samtal", "dörrar"),),
    aliases=("door_knocking", "dörrknackning", "dorrar"),
))

_add(Schema(
    "ringstugor", "Ringstugor",
    "Telefonbank: en rad per ringpass (eller summa per dag och förening).",
    (
        _DATUM,
        _kommun(),
        _FORENING,
        Column("samtal", "int", "Antal ringda samtal.", required=True, nonnull=True, max=500_000,
               aliases=("ringda", "ringda_samtal", "antal_samtal")),
        Column("besvarade", "int", "Antal besvarade samtal (högst lika många som ringda).", required=True,
               max=500_000, aliases=("svar", "besvarade_samtal")),
        _VALAR,
    ),
    not_more_than=(("besvarade", "samtal"),),
    aliases=("phone_banks", "ringning", "telefon"),
))

_add(Schema(
    "aktivister", "Aktivister",
    "Aktiva i valrörelsen: en rad per förening (eller kommun).",
    (
        _kommun(),
        _FORENING,
        Column("aktiva", "int", "Antal medlemmar som var aktiva i valrörelsen.", required=True, nonnull=True,
               max=50_000, aliases=("aktivister", "antal_aktiva")),
        Column("medlemmar", "int", "Antal medlemmar i föreningen (minst lika många som aktiva).", max=500_000,
               aliases=("antal_medlemmar",)),
        _DATUM,
        _VALAR,
    ),
    unique=("kommun", "förening", "datum", "valår"),
    not_more_than=(("aktiva", "medlemmar"),),
    aliases=("activists",),
))

_add(Schema(
    "hyresratter", "Hyresrätter",
    "Hyresrätter per 1000 invånare per kommun (SCB BO0104, upplåtelseform hyresrätt).",
    (
        _kommun(),
        Column("hyresrätter_per_1000", "float", "Hyresrättslägenheter per 1000 invånare.", required=True,
               nonnull=True, max=1000, aliases=("hyresrätter", "per_1000", "hyresratter_per_1000_inv")),
        Column("år", "int", "Året uppgiften gäller. Tomt = okänt.", max=2100, aliases=("ar", "year")),
        Column("källa", "text", "Varifrån uppgiften kommer."),
    ),
    unique=("kommun", "år"),
    aliases=("rentals", "hyresrätter"),
))

_add(Schema(
    "prioriterade", "Prioriterade föreningar",
    "Distriktets egen lista över prioriterade partiföreningar (valfri).",
    (
        _kommun(),
        _FORENING,
        _VALAR,
        Column("kriterier", "text", "Varför föreningen är prioriterad.", aliases=("motivering", "skäl")),
    ),
    unique=("kommun", "förening", "valår"),
    aliases=("priority", "prioriterat"),
))

# Columns the validator adds to every stored frame.
DERIVED = {
    "rad": "Raden i den importerade filen (som i kalkylbladet).",
    "kommunkod": "Fyrsiffrig kommunkod, framräknad från 'kommun' (som i data/population.parquet).",
}


def resolve_type(name: str) -> Schema:
    """A schema from its key or an alias ('dörrknackning', 'door_knocking' …)."""
    key = norm_key(name)
    for schema in SCHEMAS.values():
        if key == norm_key(schema.key) or key in {norm_key(a) for a in schema.aliases}:
            return schema
    from ..errors import ValrummetError

    raise ValrummetError(
        f"Okänd filtyp '{name}'. Tillåtna: {', '.join(SCHEMAS)}."
    )


def header_lookup(schema: Schema) -> dict[str, str]:
    """Normalised header spelling → column name for one schema."""
    out: dict[str, str] = {}
    for c in schema.columns:
        for spelling in (c.name, *c.aliases):
            out.setdefault(norm_key(spelling), c.name)
    return out


def all_header_keys() -> set[str]:
    keys: set[str] = set()
    for schema in SCHEMAS.values():
        keys.update(header_lookup(schema))
    return keys
