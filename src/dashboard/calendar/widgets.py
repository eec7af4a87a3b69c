"""The calendar pages' selectors, each bound to the URL (`bind="query-params"`) like state.py's,
so a copied link reproduces the view: `?vy=Vecka&datum=2026-05-12&person=Anna+Andersson`."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
import streamlit as st

from .. import fmt, state
from . import model as M

ALL = "alla"  # the "Alla" choice of an optional filter


class Key:
    VIEW = "vy"
    DAY = "datum"
    PERSON = "person"
    KOMMUN = "kommun"  # shared with the other pages' municipality (state.Key.KOMMUN)
    FORENING = "forening"
    KIND = "typ"
    WEEKS = "veckor"
    BUFFER = "buffert"
    PART = "del"


md = fmt.md_text  # one escaping rule for text from files and forms (issue 16)


def today() -> dt.date:
    return dt.datetime.now(M.TZ).date()


def day_selector(label: str = "Datum") -> dt.date:
    """The day the views are about (default today): `?datum=2026-05-12`."""
    value = st.date_input(label, value="today", key=Key.DAY, bind="query-params", format="YYYY-MM-DD",
                          help="Månaden eller veckan som visas är den som innehåller det här datumet.")
    return value or today()


def _shift(step: str, unit: str) -> None:
    day = st.session_state.get(Key.DAY) or today()
    if step == "idag":
        st.session_state[Key.DAY] = today()
    elif unit == "vecka":
        st.session_state[Key.DAY] = day + dt.timedelta(days=7 if step == "nasta" else -7)
    else:
        first = day.replace(day=1)
        target = (first + dt.timedelta(days=32)).replace(day=1) if step == "nasta" else \
            (first - dt.timedelta(days=1)).replace(day=1)
        st.session_state[Key.DAY] = target


def step_buttons(unit: str, title: str) -> None:
    """"Föregående / Idag / Nästa" for a month or week, beside its title."""
    with st.container(horizontal=True, vertical_alignment="center", key=f"kal_steg_{unit}"):
        st.button("", icon=":material/chevron_left:", key=f"kal_fore_{unit}", on_click=_shift, args=("fore", unit),
                  help=f"Föregående {unit}")
        st.markdown(f"**{title}**")
        st.button("", icon=":material/chevron_right:", key=f"kal_nasta_{unit}", on_click=_shift,
                  args=("nasta", unit), help=f"Nästa {unit}")
        st.button("Idag", key=f"kal_idag_{unit}", on_click=_shift, args=("idag", unit))


def kind_selector() -> str | None:
    options = (ALL, *M.TYPES)
    labels = {k: "Alla typer" if k == ALL else M.TYPE_SHORT[k] for k in options}
    state.from_link(Key.KIND, labels, state.choice_code(labels), labels[ALL])
    value = st.selectbox("Typ", options, format_func=lambda k: "Alla typer" if k == ALL else M.TYPE_SHORT[k],
                         key=Key.KIND, bind="query-params")
    return None if value in (None, ALL) else value


def person_selector(people: pd.DataFrame) -> int | None:
    """A candidate or speaker (`?person=Anna+Andersson`): "när är Anna upptagen?"."""
    ids = tuple(int(i) for i in people["id"])
    names = dict(zip(ids, people["name"]))
    value = st.selectbox("Person", (ALL, *ids), format_func=lambda p: "Alla personer" if p == ALL else names.get(p, p),
                         key=Key.PERSON, bind="query-params", help="Visa bara en persons bokningar.")
    return None if value in (None, ALL) else int(value)


def kommun_selector(kommuner: pd.DataFrame) -> str | None:
    """A municipality or all (`?kommun=Botkyrka`; the other pages' municipality parameter)."""
    codes, names = state.options(kommuner, "kommunkod", "kommun")
    state.from_link(Key.KOMMUN, {ALL: "Alla kommuner", **names},
                    lambda raw: ALL if state.fold(raw) in ("alla", "alla kommuner") else state.kommun_code(raw, kommuner),
                    "Alla kommuner")
    value = st.selectbox("Kommun", (ALL, *codes), format_func=lambda c: "Alla kommuner" if c == ALL else names.get(c, c),
                         key=Key.KOMMUN, bind="query-params", help="Visa bara en kommuns bokningar.")
    return None if value in (None, ALL) else value


def forening_selector(names: Mapping[str, str], kommun_of: Mapping[str, str], kommun_names: Mapping[str, str]) -> str | None:
    options = (ALL, *sorted(names, key=lambda u: names[u].casefold()))
    value = st.selectbox(
        "Förening", options, key=Key.FORENING, bind="query-params",
        format_func=lambda u: "Alla föreningar" if u == ALL else f"{names[u]} ({kommun_names.get(kommun_of[u], '')})",
        help="Visa bara en partiförenings bokningar.")
    return None if value in (None, ALL) else value


def view_selector(views: Mapping[str, str], default: str) -> str:
    """The view (`?vy=Vecka`), as pills: they wrap onto a second line on a phone."""
    state.from_link(Key.VIEW, views, state.choice_code(views), views[default])
    value = st.pills("Visa", tuple(views), default=default, required=True, format_func=views.get, key=Key.VIEW,
                     bind="query-params")
    return value or default
