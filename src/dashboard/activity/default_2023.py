"""The embedded default: what the district's 2023 evaluation report states as fact, nothing more.

Source: Vänsterpartiet Storstockholm's evaluation of the 2022 election campaign ("valutvärderingen
2023"), as its facts are listed in issue 4, "The embedded default". Each entry below quotes the
statement it comes from. Rules kept here:

- never pad: a municipality or a field the report does not mention stays out (missing, not 0);
- where the report gives a ratio (newspaper copies per eligible voter) the ratio is stored as
  such (`ex_per_röstberättigad`), not turned into an invented count;
- "about"/"almost" figures are marked `ungefärligt = ja`;
- district-wide statements with no municipality go to `sammanfattning.csv`.

`python -m dashboard.activity.generate` writes these rows to `data/activity/default/` in the
template format and checks them with the same validator as any upload.
"""
from __future__ import annotations

LABEL = "från valutvärderingen 2023 — ofullständig"
SOURCE = "Vänsterpartiet Storstockholm, valutvärderingen 2023 (valrörelsen 2022)"
ELECTION_YEAR = 2022

_RATIO_NOTE = "exemplar per röstberättigad i kommunvalet 2022 (antal exemplar anges inte per kommun)"

# "Newspaper copies per eligible voter (kommun election 2022): Vallentuna 3,12; Botkyrka 2,29;
#  Upplands-Bro 2,12; Upplands Väsby 2,10; Sundbyberg 1,51; Järfälla 1,44; Lidingö 1,19;
#  Österåker 1,18; Södertälje 1,10."
_NEWSPAPER_RATIOS = [
    ("Vallentuna", "3,12"), ("Botkyrka", "2,29"), ("Upplands-Bro", "2,12"), ("Upplands Väsby", "2,10"),
    ("Sundbyberg", "1,51"), ("Järfälla", "1,44"), ("Lidingö", "1,19"), ("Österåker", "1,18"),
    ("Södertälje", "1,10"),
]

ROWS: dict[str, list[dict[str, str]]] = {
    "tidningar": [
        {"kommun": k, "ex_per_röstberättigad": r, "valår": str(ELECTION_YEAR), "anteckning": _RATIO_NOTE}
        for k, r in _NEWSPAPER_RATIOS
    ],
    # "Cabins: ... Known: Sundbyberg 3 (two in the association's priority areas, Hallonbergen among
    #  them); Upplands-Bro one in each urban area (Bro, Kungsängen); Järfälla one on Jakobsbergs torg."
    # No positions are given, so lat/lon stay empty.
    "valstugor": [
        {"namn": "Valstuga i Hallonbergen", "kommun": "Sundbyberg", "område": "Hallonbergen",
         "prioriterat_område": "ja", "valår": str(ELECTION_YEAR),
         "anteckning": "en av Sundbybergs tre valstugor; två av dem stod i föreningens prioriterade områden"},
        {"namn": "Valstuga 2 i Sundbyberg (namn okänt)", "kommun": "Sundbyberg", "prioriterat_område": "ja",
         "valår": str(ELECTION_YEAR),
         "anteckning": "en av Sundbybergs tre valstugor, i ett prioriterat område; plats okänd"},
        {"namn": "Valstuga 3 i Sundbyberg (namn okänt)", "kommun": "Sundbyberg", "prioriterat_område": "nej",
         "valår": str(ELECTION_YEAR),
         "anteckning": "den tredje av Sundbybergs valstugor, utanför de prioriterade områdena; plats okänd"},
        {"namn": "Valstuga i Bro", "kommun": "Upplands-Bro", "område": "Bro", "valår": str(ELECTION_YEAR),
         "anteckning": "en valstuga i var och en av tätorterna Bro och Kungsängen"},
        {"namn": "Valstuga i Kungsängen", "kommun": "Upplands-Bro", "område": "Kungsängen",
         "valår": str(ELECTION_YEAR),
         "anteckning": "en valstuga i var och en av tätorterna Bro och Kungsängen"},
        {"namn": "Valstuga på Jakobsbergs torg", "kommun": "Järfälla", "adress": "Jakobsbergs torg",
         "område": "Jakobsberg", "valår": str(ELECTION_YEAR), "anteckning": "en valstuga på Jakobsbergs torg"},
    ],
    # "Door knocking: Sundbyberg about 1 400 doors, mainly in Hallonbergen; Botkyrka one
    #  door-knocking action in Alby."
    "dorrknackning": [
        {"kommun": "Sundbyberg", "område": "Hallonbergen", "dörrar": "1400", "ungefärligt": "ja",
         "valår": str(ELECTION_YEAR), "anteckning": "cirka 1 400 dörrar, främst i Hallonbergen"},
        {"kommun": "Botkyrka", "område": "Alby", "tillfällen": "1", "valår": str(ELECTION_YEAR),
         "anteckning": "en dörrknackningsaktion i Alby; antal dörrar anges inte"},
    ],
    # "Activists: Sundbyberg 66 (about a third of members); Botkyrka 14; Järfälla a core of about
    #  10; Upplands-Bro about 8."
    "aktivister": [
        {"kommun": "Sundbyberg", "aktiva": "66", "valår": str(ELECTION_YEAR),
         "anteckning": "ungefär en tredjedel av medlemmarna"},
        {"kommun": "Botkyrka", "aktiva": "14", "valår": str(ELECTION_YEAR)},
        {"kommun": "Järfälla", "aktiva": "10", "ungefärligt": "ja", "valår": str(ELECTION_YEAR),
         "anteckning": "en kärna på ungefär 10"},
        {"kommun": "Upplands-Bro", "aktiva": "8", "ungefärligt": "ja", "valår": str(ELECTION_YEAR),
         "anteckning": "ungefär 8"},
    ],
    # "Rental dwellings per 1000 inhabitants: Järfälla 120, Lidingö 142." (year not stated)
    "hyresratter": [
        {"kommun": "Järfälla", "hyresrätter_per_1000": "120", "källa": SOURCE},
        {"kommun": "Lidingö", "hyresrätter_per_1000": "142", "källa": SOURCE},
    ],
}

# District-wide statements (no municipality): "Almost 600 000 copies in total across the
# district; about 70 % of associations made one." "Cabins: about twenty in the district."
SUMMARY = [
    {"typ": "tidningar", "uppgift": "tryckta exemplar i hela distriktet", "värde": "600000",
     "enhet": "exemplar", "ungefärligt": "ja", "formulering": "nästan 600 000 exemplar totalt i distriktet"},
    {"typ": "tidningar", "uppgift": "andel av föreningarna som gjorde en tidning", "värde": "70",
     "enhet": "procent", "ungefärligt": "ja", "formulering": "ungefär 70 % av föreningarna gjorde en tidning"},
    {"typ": "valstugor", "uppgift": "valstugor i distriktet", "värde": "20", "enhet": "stugor",
     "ungefärligt": "ja", "formulering": "ett tjugotal valstugor i distriktet"},
]
