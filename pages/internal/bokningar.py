"""Bokningar (internal): the booking calendar for speakers, candidates and the big activities
(issue 20) – month, week and list views per person, place and type; requests and decisions
with conflicts shown first; coverage of priority associations; people, import and
subscription links for coordinators."""
import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import fmt, state, ui
from dashboard import queries as q
from dashboard.calendar import db, http, pagedata, store, views
from dashboard.calendar import model as M
from dashboard.calendar import widgets as W
from dashboard.calendar.conflicts import Candidate

ui.ensure_entrypoint()

NOTICE = "kal_meddelande"  # (kind, text) shown once after a form's rerun
PER_PAGE = 10  # requests with their decision forms per page


def notice(kind: str, text: str) -> None:
    st.session_state[NOTICE] = (kind, text)


def show_notice() -> None:
    kind, text = st.session_state.pop(NOTICE, (None, None))
    if kind == "ok":
        st.success(W.md(text), icon=":material/check_circle:")
    elif kind == "fel":
        st.error(W.md(text), icon=":material/error:")
    elif kind == "info":
        st.info(W.md(text), icon=":material/info:")


me = pagedata.actor()
key = pagedata.revision()
rules = pagedata.rules()
kommuner = q.municipalities()
kommun_names = pagedata.kommun_names()
people = pagedata.people(key)
names = pagedata.person_names(key)
units = pagedata.units()
assoc_names = pagedata.association_names()

views_offered = {"manad": "Månad", "vecka": "Vecka", "lista": "Lista", "forfragningar": "Förfrågningar",
                 "tackning": "Täckning"}
if me.coordinator:
    views_offered["hantera"] = "Hantera"

title_slot = st.empty()  # the heading names the person chosen below
view = W.view_selector(views_offered, "manad")
with st.container(horizontal=True, vertical_alignment="bottom", key="kal_val"):
    day = W.day_selector()
    person = W.person_selector(people)
    kommun = W.kommun_selector(kommuner)
    forening = W.forening_selector(units.names, units.kommun_of, kommun_names) if units.by_association else None
    kind = W.kind_selector()

who = names.get(person) if person else None
title_slot.title(f"När är {W.md(who)} upptagen?" if who else "Vem är bokad när?")
st.caption(f"Inloggad som {W.md(me.name)}" + (" – koordinator: du beslutar om förfrågningar." if me.coordinator else
           " – du kan skicka förfrågningar; en koordinator beslutar."))
show_notice()

filters = (person, kommun, forening, kind)
first, after = pagedata.month_bounds(day)
month_title = f"{M.MONTHS[first.month - 1].capitalize()} {first.year}"
coverage = pagedata.coverage(key, W.today(), rules.weeks, rules.top_of_scorecard)

with st.container(horizontal=True, key="kal_nyckeltal"):
    waiting = pagedata.count(key, M.PENDING, None if me.coordinator else me.name)
    st.metric("Väntar på beslut", fmt.integer(waiting), border=True, height="stretch",
              help="Förfrågningar som är begärda eller har fått ett förslag på ny tid."
              + ("" if me.coordinator else " Bara dina egna."))
    booked = len(pagedata.brief_events(key, first, after, *filters, M.BOOKED))
    st.metric(f"Bokat i {M.MONTHS[first.month - 1]}", fmt.integer(booked),
              border=True, height="stretch", help="Bekräftade och genomförda händelser med filtren ovan.")
    st.metric(f"Prioriterade utan besök ({rules.weeks} veckor)",
              f"{fmt.integer(int(coverage['without'].sum()))} av {fmt.integer(len(coverage))}", border=True,
              height="stretch", help="Prioriterade enheter utan bekräftat besök av kandidat eller talare de senaste "
                                     f"{rules.weeks} veckorna. Se vyn Täckning.")


def filter_label() -> str:
    parts = [who or "", assoc_names.get(forening, "") if forening else "", kommun_names.get(kommun, "") if kommun else "",
             M.TYPE_SHORT[kind] if kind else ""]
    return ", ".join(p for p in parts if p) or "alla bokningar"


def ics_download(events_for_file) -> None:
    label = filter_label()
    st.download_button(
        f"Kalenderfil (.ics): {label}", data=events_for_file, file_name=ics_file_name(label), mime="text/calendar",
        icon=":material/calendar_add_on:", on_click="ignore", key="kal_ics",
        help="För Google Kalender, Outlook eller telefonens kalender. Samma händelser uppdateras när filen laddas "
             "ner igen (fasta id:n), i stället för att dubbleras.")


def ics_file_name(label: str) -> str:
    from dashboard.calendar import ics

    return ics.file_name(label)


def ics_bytes() -> bytes:
    """The current filter's events, 120 days back to 18 months ahead, as an .ics file."""
    from dashboard.calendar import ics

    today = W.today()
    lo, hi = today - dt.timedelta(days=http.PAST_DAYS), today + dt.timedelta(days=http.FUTURE_DAYS)
    ev = pagedata.events(key, lo, hi, *filters, (*M.ACTIVE, M.CANCELLED))
    return ics.calendar_bytes(ev, f"Valrummet – {filter_label()}", public=False, kommun_names=kommun_names,
                              association_names=assoc_names)


def event_text(r) -> str:
    return f"{r['title']} – {M.time_span_text(r['starts_at'].to_pydatetime(), r['ends_at'].to_pydatetime())}"


def conflicts_box(r, buffer_rules, found=None) -> None:
    if found is None:
        found = pagedata.conflicts_of(key, pagedata.candidate(r), buffer_rules)
    if not found:
        st.markdown(":green-background[Inga krockar] med bokningar, gränsen för besök eller stora aktiviteter.")
    for c in found:
        st.warning(W.md(c.text), icon=":material/warning:")


def summary(r) -> str:
    """One line: title, time, place, people and status (user text escaped)."""
    where = kommun_names.get(r["kommunkod"], r["kommunkod"])
    who_text = ", ".join(r["people"]) or "ingen person angiven"
    return (f"**{W.md(r['title'])}** · {M.time_span_text(r['starts_at'].to_pydatetime(), r['ends_at'].to_pydatetime())}"
            f" · {W.md(where)} · {W.md(who_text)} · {M.STATUSES[r['status']]} · frågat av {W.md(r['requested_by'])}")


def details(r) -> None:
    """What a request or booking is, and its history (read-only)."""
    place = [r["place"] if isinstance(r["place"], str) else None,
             assoc_names.get(r["forening"], r["forening"]) if isinstance(r["forening"], str) else None,
             kommun_names.get(r["kommunkod"], r["kommunkod"])]
    lines = [
        f"**När:** {M.time_span_text(r['starts_at'].to_pydatetime(), r['ends_at'].to_pydatetime())}",
        f"**Var:** {W.md(', '.join(p for p in place if p))}",
        f"**Typ:** {M.TYPES[r['kind']]} · **Synlighet:** {M.VISIBILITY[r['visibility']]}",
        f"**Vem:** {W.md(', '.join(r['people'])) or 'ingen angiven'}",
        f"**Status:** {M.STATUSES[r['status']]} · **Frågat av:** {W.md(r['requested_by'])}"
        + (f" · **Beslut av:** {W.md(r['decided_by'])}" if isinstance(r["decided_by"], str) else ""),
    ]
    st.markdown("  \n".join(lines))
    for label, text in (("Varför", r["description"]), ("Meddelande", r["message"])):
        if isinstance(text, str) and text:
            st.caption(label)
            st.text(text)  # as written, never as markdown
    with st.expander("Historik"):
        hist = pagedata.history(key, int(r["id"]))
        st.dataframe(hist, hide_index=True, key=f"kal_hist_{r['id']}", column_config={
            "tid": "Tid", "vem": "Vem", "vad": "Vad", "utfall": "Utfall", "meddelande": "Meddelande"})


def decide(r, action: str, **kwargs) -> None:
    try:
        d = store.decide(int(r["id"]), action, me, int(r["version"]), **kwargs)
    except store.CalendarError as exc:
        notice("fel", f"{r['title']}: {exc}")
        return
    notice("ok" if d.ok else "fel", f"{r['title']}: {d.message}")


def decision_form(r) -> None:
    """A coordinator's decision on one request or booking (the version seen goes with it)."""
    eid, status = int(r["id"]), r["status"]
    start, end = M.local(r["starts_at"].to_pydatetime()), M.local(r["ends_at"].to_pydatetime())
    with st.form(f"kal_beslut_{eid}", border=True):
        message = st.text_area("Meddelande till den som frågade", key=f"kal_msg_{eid}", max_chars=2000, height=68,
                               help="Krävs när du avböjer eller ställer in.")
        with st.container(horizontal=True, key=f"kal_nytid_{eid}"):
            new_day = st.date_input("Ny dag", value=start.date(), key=f"kal_dag_{eid}", format="YYYY-MM-DD")
            new_start = st.time_input("Ny start", value=start.time(), key=f"kal_start_{eid}", step=900)
            new_end = st.time_input("Nytt slut", value=end.time(), key=f"kal_slut_{eid}", step=900)
        public = st.toggle("Offentlig i den öppna kalendern", value=r["visibility"] == M.PUBLIC,
                           key=f"kal_off_{eid}")
        with st.container(horizontal=True, key=f"kal_knappar_{eid}"):
            pressed = {}
            if status in M.PENDING:
                pressed["confirm"] = st.form_submit_button("Bekräfta", type="primary", icon=":material/check:",
                                                          key=f"kal_bekrafta_{eid}")
            pressed["propose"] = st.form_submit_button("Föreslå annan tid", icon=":material/schedule:",
                                                      key=f"kal_foresla_{eid}")
            if status in M.PENDING:
                pressed["decline"] = st.form_submit_button("Avböj", icon=":material/block:", key=f"kal_avboj_{eid}")
            if status == M.CONFIRMED:
                pressed["done"] = st.form_submit_button("Genomförd", icon=":material/task_alt:", key=f"kal_klar_{eid}")
                pressed["cancel"] = st.form_submit_button("Ställ in", icon=":material/event_busy:",
                                                         key=f"kal_stall_in_{eid}")
    action = next((a for a, hit in pressed.items() if hit), None)
    if action is None:
        return
    kwargs = {"message": message or ""}
    if action == "confirm":
        kwargs["visibility"] = M.PUBLIC if public else M.INTERNAL
    if action == "propose":
        kwargs["start"] = dt.datetime.combine(new_day, new_start, tzinfo=M.TZ)
        kwargs["end"] = dt.datetime.combine(new_day, new_end, tzinfo=M.TZ)
    decide(r, action, **kwargs)
    st.rerun()


def requester_actions(r) -> None:
    eid = int(r["id"])
    with st.container(horizontal=True, key=f"kal_egen_{eid}"):
        if r["status"] == M.PROPOSED and st.button("Godta den nya tiden", key=f"kal_godta_{eid}", type="primary"):
            decide(r, "accept")
            st.rerun()
        if r["status"] in M.PENDING and st.button("Dra tillbaka", key=f"kal_dra_{eid}"):
            decide(r, "withdraw")
            st.rerun()


LIST_COLS = [ui.Col("start", "Start"), ui.Col("titel", "Rubrik"), ui.Col("slut", "Slut"), ui.Col("typ", "Typ"),
             ui.Col("status", "Status"), ui.Col("kommun", "Kommun"), ui.Col("forening", "Förening"),
             ui.Col("plats", "Plats"), ui.Col("personer", "Personer"), ui.Col("synlighet", "Synlighet"),
             ui.Col("fragat_av", "Frågat av")]


# --- month, week, list -------------------------------------------------------------------------------------

if view == "manad":
    W.step_buttons("månad", month_title)
    st.html(pagedata.month_html(key, first, W.today(), filters, False))
    st.caption("Begärda och föreslagna tider står i kursiv med status inom parentes. På en mobil visas antalet per "
               "dag; Vecka och Lista visar detaljerna.")
    ics_download(ics_bytes)

elif view == "vecka":
    monday, sunday_after = pagedata.week_bounds(day)
    week_no = monday.isocalendar().week
    W.step_buttons("vecka", f"Vecka {week_no}, {monday.day} {M.MONTHS_SHORT[monday.month - 1]}–"
                            f"{(sunday_after - dt.timedelta(days=1)).day} "
                            f"{M.MONTHS_SHORT[(sunday_after - dt.timedelta(days=1)).month - 1]}")
    week_events = pagedata.events(key, monday, sunday_after, *filters, M.ACTIVE)
    st.html(views.week_html(monday, week_events, public=False, kommun_names=kommun_names,
                            association_names=assoc_names))
    ics_download(ics_bytes)

elif view == "lista":
    W.step_buttons("månad", month_title)
    all_statuses = st.toggle("Visa även avböjda och inställda", False, key="alla_status", bind="query-params")
    statuses = None if all_statuses else M.ACTIVE
    listed = pagedata.events(key, first, after, *filters, statuses)
    table = pagedata.list_table(key, first, after, filters, statuses)
    if table.empty:
        st.info(f"Inga bokningar i {month_title.lower()} med de här filtren.", icon=":material/event_busy:")
    else:
        ui.table(table, LIST_COLS, key="kal_lista", file_stem=f"bokningar_{first:%Y_%m}",
                 alt=f"Tabell: bokningar i {month_title.lower()}", on_select=lambda: None)
        picked = ui.selected_row("kal_lista")
        if picked is not None and picked < len(listed):
            r = listed.iloc[picked]
            st.subheader(W.md(r["title"]))
            details(r)
            if me.coordinator and r["status"] in (*M.PENDING, M.CONFIRMED):
                conflicts_box(r, rules)
                decision_form(r)
            elif M.same_user(me.name, r["requested_by"]):
                requester_actions(r)
        else:
            st.caption("Välj en rad för detaljer, historik och beslut.")
    ics_download(ics_bytes)

# --- requests ---------------------------------------------------------------------------------------------

elif view == "forfragningar":
    active = people[people["active"]]
    with st.expander("Ny förfrågan", expanded=not me.coordinator, icon=":material/add:"):
        with st.form("kal_ny", clear_on_submit=True, border=False):
            title = st.text_input("Rubrik", key="nf_titel", max_chars=300, placeholder="Besök av … i …")
            who_ids = st.multiselect("Vem (kandidater och talare)", tuple(int(i) for i in active["id"]),
                                     format_func=lambda p: names.get(p, p), key="nf_vem",
                                     placeholder="Välj personer")
            with st.container(horizontal=True, key="nf_tid"):
                nf_day = st.date_input("Dag", value=W.today() + dt.timedelta(days=14), key="nf_dag",
                                       format="YYYY-MM-DD", min_value=W.today())
                nf_start = st.time_input("Från", value=dt.time(18, 0), key="nf_start", step=900)
                nf_end = st.time_input("Till", value=dt.time(20, 0), key="nf_slut", step=900)
            codes = tuple(kommuner["kommunkod"])
            with st.container(horizontal=True, key="nf_plats"):
                nf_kommun = st.selectbox("Kommun", codes, format_func=kommun_names.get, key="nf_kommun",
                                         index=codes.index(kommun) if kommun in codes else 0)
                nf_forening = None
                if units.by_association:
                    nf_forening = st.selectbox("Förening", ("", *sorted(units.names, key=lambda u: units.names[u])),
                                               format_func=lambda u: "Ingen särskild" if not u else units.names[u],
                                               key="nf_forening")
                nf_kind = st.selectbox("Typ", tuple(M.TYPES), format_func=M.TYPES.get, key="nf_typ")
            nf_place = st.text_input("Plats (lokal eller adress)", key="nf_plats_text", max_chars=300)
            nf_why = st.text_area("Varför? Syfte, publik, vad ni önskar", key="nf_varfor", max_chars=2000)
            nf_public = st.toggle("Offentlig: visas i den öppna kalendern när den är bekräftad", key="nf_offentlig")
            sent = st.form_submit_button("Skicka förfrågan", type="primary", icon=":material/send:", key="nf_skicka")
        if sent:
            inp = M.EventInput(
                title=title or "", kind=nf_kind, start=dt.datetime.combine(nf_day, nf_start, tzinfo=M.TZ),
                end=dt.datetime.combine(nf_day, nf_end, tzinfo=M.TZ), kommunkod=nf_kommun, forening=nf_forening or None,
                place=nf_place, description=nf_why, visibility=M.PUBLIC if nf_public else M.INTERNAL,
                person_ids=list(who_ids))
            try:
                if nf_forening and units.kommun_of.get(nf_forening) != nf_kommun:
                    raise store.CalendarError(f"{units.names[nf_forening]} hör inte till {kommun_names[nf_kommun]}.")
                eid = store.request(inp, me)
            except store.CalendarError as exc:
                notice("fel", f"Förfrågan sparades inte: {exc}")
            else:
                c = Candidate(M.to_utc(inp.start), M.to_utc(inp.end), inp.kind, inp.kommunkod, inp.forening,
                              tuple(inp.person_ids), eid)
                found = pagedata.conflicts_of(pagedata.revision(), c, rules)
                text = f"Förfrågan «{inp.title}» är skickad. En koordinator beslutar; du ser svaret här nedan."
                if found:
                    text += " Observera: " + " ".join(x.text for x in found)
                notice("ok", text)
            st.rerun()

    if me.coordinator:
        buffer = st.number_input("Restid mellan kommuner (minuter)", 0, 600, rules.buffer_between_min, step=15,
                                 key=W.Key.BUFFER, bind="query-params", width=260,
                                 help=f"Standard {rules.buffer_between_min} min (kalenderreglerna, version "
                                      f"{rules.version}). Krockkontrollen kräver minst så lång tid mellan två "
                                      "bokningar av samma person i olika kommuner.")
        check_rules = rules.with_buffer(int(buffer))
        n_waiting, _ = pagedata.pending_page(key, filters, 1, PER_PAGE)
        st.subheader(f"Väntar på beslut ({n_waiting})")
        if not n_waiting:
            st.caption("Inga förfrågningar väntar" + (" med de här filtren." if any(filters) else "."))
        n_pages = max(1, -(-n_waiting // PER_PAGE))
        page_no = st.pagination(n_pages, key="sida", bind="query-params") if n_pages > 1 else 1
        if n_pages > 1:
            st.caption(f"Närmast i tid först, {PER_PAGE} per sida.")
        _, shown_requests = pagedata.pending_page(key, filters, min(page_no, n_pages), PER_PAGE)
        found_all = pagedata.conflicts_of_many(key, [pagedata.candidate(r) for _, r in shown_requests.iterrows()],
                                               check_rules)
        for (_, r), found in zip(shown_requests.iterrows(), found_all):
            with st.container(border=True, key=f"kal_forfragan_{int(r['id'])}"):
                st.markdown(summary(r))
                conflicts_box(r, check_rules, found)
        if len(shown_requests):
            rows = {int(r["id"]): r for _, r in shown_requests.iterrows()}
            chosen = st.selectbox("Besluta om", tuple(rows), key="kal_beslut_val",
                                  format_func=lambda i: f"{rows[i]['title']} – "
                                  f"{M.time_span_text(rows[i]['starts_at'].to_pydatetime(), rows[i]['ends_at'].to_pydatetime())}",
                                  help="Förfrågningarna på den här sidan; krockarna står ovan.")
            with st.container(border=True, key="kal_beslut_ruta"):
                st.markdown(f"**Beslut: {W.md(rows[chosen]['title'])}**")
                details(rows[chosen])
                decision_form(rows[chosen])

    st.subheader("Mina förfrågningar")
    mine = pagedata.requests_by(key, me.name)
    if mine.empty:
        st.caption("Du har inte skickat någon förfrågan.")
    for _, r in mine.head(20).iterrows():
        with st.container(border=True, key=f"kal_min_{int(r['id'])}"):
            st.markdown(f"**{W.md(r['title'])}** · **{M.STATUSES[r['status']]}**")
            st.caption(M.time_span_text(r["starts_at"].to_pydatetime(), r["ends_at"].to_pydatetime()) + " · "
                       + kommun_names.get(r["kommunkod"], r["kommunkod"]))
            if isinstance(r["message"], str) and r["message"]:
                st.text(f"Meddelande: {r['message']}")
            requester_actions(r)

# --- coverage ---------------------------------------------------------------------------------------------

elif view == "tackning":
    weeks = st.number_input("Veckor bakåt", 1, 52, rules.weeks, key=W.Key.WEEKS, bind="query-params", width=200,
                            help="Täckningen räknas för veckorna fram till och med datumet ovan.")
    cov = pagedata.coverage(key, day, int(weeks), rules.top_of_scorecard)
    prio = pagedata.priority(rules.top_of_scorecard)
    unit_word = "föreningar" if units.by_association else "kommuner"
    n_without = int(cov["without"].sum())
    st.subheader(f"Vilka prioriterade {unit_word} har inte fått besök?")
    st.markdown(f"**{fmt.integer(n_without)} av {fmt.integer(len(cov))}** prioriterade {unit_word} har inte haft "
                f"något bekräftat besök av kandidat eller talare de {int(weeks)} veckorna fram till "
                f"{day.day} {M.MONTHS[day.month - 1]} {day.year}.")
    st.caption(f"Prioriterade enligt {prio.source}. Ett besök räknas för föreningen det gäller, eller för kommunens "
               "enda förening när ingen förening är angiven.")
    shown = cov.assign(
        kommun=[kommun_names.get(k, k) for k in cov["kommunkod"]],
        senast=[f"{d:%Y-%m-%d}" if d else None for d in cov["last_visit"]],
        nasta=[f"{d:%Y-%m-%d}" if d else None for d in cov["next_visit"]],
        utan=["ja" if w else "nej" for w in cov["without"]])
    kommun_col = [ui.Col("kommun", "Kommun")] if units.by_association else []
    ui.table(shown, [ui.Col("unit", "Förening" if units.by_association else "Kommun"),
                     ui.Col("visits", f"Besök senaste {int(weeks)} veckorna (antal)", "int", short="Besök (antal)"),
                     ui.Col("utan", "Utan besök"), *kommun_col, ui.Col("senast", "Senaste besöket"),
                     ui.Col("nasta", "Nästa bokade besök")],
             key="kal_tackning", file_stem=f"tackning_{day:%Y_%m_%d}",
             alt="Tabell: prioriterade enheter och deras besök")
    st.caption(f"Gräns för besök: högst {rules.max_visits_per_unit} per enhet på {rules.weeks} veckor medan "
               "prioriterade saknar besök (en varning i krockkontrollen).")

# --- coordinators' tools ------------------------------------------------------------------------------------

elif view == "hantera":
    part = state.choice_selector("Del", {"ny": "Ny händelse", "personer": "Personer", "import": "Importera",
                                           "prenumeration": "Prenumerationer"}, "ny", key=W.Key.PART)
    if part == "ny":
        with st.form("kal_direkt", clear_on_submit=False):
            title = st.text_input("Rubrik", key="nh_titel", max_chars=300)
            with st.container(horizontal=True, key="nh_typ_rad"):
                nh_kind = st.selectbox("Typ", tuple(M.TYPES), format_func=M.TYPES.get, key="nh_typ",
                                       index=list(M.TYPES).index(M.BIG))
                nh_status = st.selectbox("Status", (M.CONFIRMED, M.REQUESTED, M.DONE), format_func=M.STATUSES.get,
                                         key="nh_status")
            who_ids = st.multiselect("Vem", tuple(int(i) for i in people[people["active"]]["id"]),
                                     format_func=lambda p: names.get(p, p), key="nh_vem")
            with st.container(horizontal=True, key="nh_tid"):
                nh_day = st.date_input("Dag", value=W.today(), key="nh_dag", format="YYYY-MM-DD")
                nh_start = st.time_input("Från", value=dt.time(12, 0), key="nh_start", step=900)
                nh_end = st.time_input("Till", value=dt.time(15, 0), key="nh_slut", step=900)
            codes = tuple(kommuner["kommunkod"])
            nh_kommun = st.selectbox("Kommun", codes, format_func=kommun_names.get, key="nh_kommun")
            nh_forening = None
            if units.by_association:
                nh_forening = st.selectbox("Förening", ("", *sorted(units.names, key=lambda u: units.names[u])),
                                           format_func=lambda u: "Ingen särskild" if not u else units.names[u],
                                           key="nh_forening")
            nh_place = st.text_input("Plats", key="nh_plats", max_chars=300)
            nh_public = st.toggle("Offentlig", key="nh_offentlig")
            nh_anyway = st.checkbox("Spara även om den krockar", key="nh_anda")
            saved = st.form_submit_button("Spara", type="primary", icon=":material/save:", key="nh_spara")
        if saved:
            inp = M.EventInput(title=title or "", kind=nh_kind, start=dt.datetime.combine(nh_day, nh_start, tzinfo=M.TZ),
                               end=dt.datetime.combine(nh_day, nh_end, tzinfo=M.TZ), kommunkod=nh_kommun,
                               forening=nh_forening or None, place=nh_place,
                               visibility=M.PUBLIC if nh_public else M.INTERNAL, person_ids=list(who_ids),
                               status=nh_status)
            try:
                store.check_input(inp)
                c = Candidate(M.to_utc(inp.start), M.to_utc(inp.end), inp.kind, inp.kommunkod, inp.forening,
                              tuple(inp.person_ids))
                found = pagedata.conflicts_of(key, c, rules)
                if found and not nh_anyway:
                    notice("fel", "Inte sparad – den krockar: " + " ".join(x.text for x in found)
                           + " Kryssa i 'Spara även om den krockar' om den ska bokas ändå.")
                else:
                    store.create(inp, me)
                    notice("ok", f"«{inp.title}» är bokad ({M.STATUSES[inp.status]}).")
            except store.CalendarError as exc:
                notice("fel", f"Inte sparad: {exc}")
            st.rerun()

    elif part == "personer":
        with st.form("kal_person", clear_on_submit=True):
            with st.container(horizontal=True, vertical_alignment="bottom", key="kal_person_rad"):
                p_name = st.text_input("Namn", key="np_namn", max_chars=200)
                p_kind = st.selectbox("Roll", tuple(M.PERSON_KINDS), format_func=M.PERSON_KINDS.get, key="np_roll")
                added = st.form_submit_button("Lägg till", icon=":material/person_add:", key="np_lagg_till")
        if added:
            try:
                store.add_person(p_name or "", p_kind, me)
                notice("ok", f"{p_name.strip()} är tillagd.")
            except store.CalendarError as exc:
                notice("fel", str(exc))
            st.rerun()
        shown = people.assign(roll=[M.PERSON_KINDS.get(k, k) for k in people["kind"]],
                              aktiv=["ja" if a else "nej" for a in people["active"]])
        ui.table(shown, [ui.Col("name", "Namn"), ui.Col("roll", "Roll"), ui.Col("aktiv", "Aktiv")],
                 key="kal_personer", file_stem="personer", alt="Tabell: personer i bokningskalendern")
        if len(people):
            with st.container(horizontal=True, vertical_alignment="bottom", key="kal_person_aktiv"):
                pid = st.selectbox("Person", tuple(int(i) for i in people["id"]), format_func=names.get,
                                   key="kal_person_val")
                now_active = bool(people.set_index("id").loc[pid, "active"])
                if st.button("Ta bort från nya bokningar" if now_active else "Aktivera igen", key="kal_person_knapp"):
                    store.set_person_active(pid, not now_active, me)
                    notice("ok", f"{names[pid]}: {'inaktiv' if now_active else 'aktiv'}.")
                    st.rerun()
            st.caption("En inaktiv person går inte att boka, men hennes historik finns kvar.")

    elif part == "import":
        from dashboard.calendar import importer as I

        st.markdown("Läs in befintliga kalendrar: mallen (CSV eller Excel) eller en `.ics`-fil från Google Kalender, "
                    "Outlook m.fl. Finns ett enda fel sparas ingenting.")
        with st.container(horizontal=True, key="kal_mallar"):
            st.download_button("Mall (CSV)", data=I.template_csv, file_name="kalender_mall.csv", mime="text/csv",
                               icon=":material/download:", on_click="ignore", key="kal_mall_csv")
            st.download_button("Mall (Excel)", data=I.template_xlsx, file_name="kalender_mall.xlsx",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               icon=":material/download:", on_click="ignore", key="kal_mall_xlsx")
        upload = st.file_uploader("Fil", type=["csv", "xlsx", "ics"], key="kal_fil")
        with st.container(horizontal=True, key="kal_import_standard"):
            default_kind = st.selectbox("Typ när filen inte anger någon", ("", *M.TYPES),
                                        format_func=lambda k: "ingen – raden blir fel" if not k else M.TYPE_SHORT[k],
                                        key="kal_import_typ")
            codes = tuple(kommuner["kommunkod"])
            default_kommun = st.selectbox("Kommun när platsen inte anger någon", ("", *codes),
                                          format_func=lambda k: "ingen – raden blir fel" if not k else kommun_names[k],
                                          key="kal_import_kommun")
        with st.container(horizontal=True, key="kal_import_knappar"):
            check = st.button("Kontrollera", key="kal_kontrollera", disabled=upload is None)
            save = st.button("Importera", key="kal_importera", type="primary", disabled=upload is None)
        if upload is not None and (check or save):
            from dashboard import activity
            from dashboard.activity.reference import load_reference

            ctx = I.Context(load_reference(), store.people(), activity.associations(), rules,
                            default_kind or None, default_kommun or None)
            try:
                if save:
                    res = I.import_file(upload, ctx, me, name=upload.name)
                    report = res.report
                    st.success(W.md(f"{upload.name}: {res.added} nya och {res.updated} uppdaterade händelser "
                                    "sparade."), icon=":material/check_circle:")
                else:
                    report = I.validate(upload, ctx, name=upload.name)
                    (st.success if report.ok else st.error)(W.md(report.summary()))
            except I.CalendarImportError as exc:
                report = exc.report
                st.error(W.md(report.summary()), icon=":material/error:")
            issues = pd.DataFrame([{"rad": i.row, "kolumn": i.column, "fel": i.message} for i in report.errors],
                                  columns=["rad", "kolumn", "fel"]).astype({"rad": "Int64"})
            if len(issues):
                st.dataframe(issues, hide_index=True, key="kal_import_fel",
                             column_config={"rad": "Rad", "kolumn": "Kolumn", "fel": "Fel"})
            for w in report.warnings:
                st.warning(W.md(w.text()), icon=":material/warning:")

    else:  # subscriptions
        st.markdown("En prenumerationslänk ger en persons eller förenings kalender direkt i Google Kalender, Outlook "
                    "eller telefonen, och uppdateras av sig själv. Länken är hemlig: den visas bara en gång och kan "
                    "återkallas.")
        if not http.installed():
            st.info("Den här servern är startad med `streamlit run`, som inte kan svara på prenumerationslänkar. "
                    "Starta med `python -m dashboard serve` (docs/deploy.md). Kalenderfilerna (.ics) går att "
                    "ladda ner i vyerna Månad, Vecka och Lista.", icon=":material/info:")
        else:
            scopes = {"person": "Person", "forening": "Förening"} if units.by_association else {"person": "Person"}
            with st.form("kal_ny_pren", clear_on_submit=True):
                scope = st.segmented_control("Kalender för", tuple(scopes), format_func=scopes.get, default="person",
                                             key="kal_pren_typ", required=True)
                target_person = st.selectbox("Person", tuple(int(i) for i in people["id"]), format_func=names.get,
                                             key="kal_pren_person")
                target_assoc = None
                if units.by_association:
                    target_assoc = st.selectbox("Förening", tuple(units.names), format_func=units.names.get,
                                                key="kal_pren_forening")
                made = st.form_submit_button("Skapa länk", type="primary", icon=":material/link:", key="kal_pren_skapa")
            if made:
                if scope == "forening" and target_assoc:
                    token = store.create_subscription("forening", target_assoc, units.names[target_assoc], me)
                elif target_person is not None:
                    token = store.create_subscription("person", str(target_person), names[target_person], me)
                else:
                    token = None
                if token:
                    st.success("Länken är skapad. Kopiera den nu – den visas inte igen.", icon=":material/key:")
                    st.code(http.absolute(http.token_path(token), "bokningar"), language=None)
        subs = store.subscriptions()
        if len(subs):
            subs = subs.assign(
                sort=[store.SCOPES.get(s, s) for s in subs["scope"]],
                skapad=[f"{t:%Y-%m-%d %H:%M}" for t in subs["created_at"]],
                status=["återkallad" if pd.notna(t) else "aktiv" for t in subs["revoked_at"]])
            ui.table(subs, [ui.Col("label", "Kalender"), ui.Col("sort", "Sort"), ui.Col("skapad", "Skapad"),
                            ui.Col("created_by", "Skapad av"), ui.Col("status", "Status")],
                     key="kal_pren_lista", file_stem="prenumerationer", alt="Tabell: prenumerationslänkar")
            active_subs = subs[subs["status"] == "aktiv"]
            if len(active_subs):
                with st.container(horizontal=True, vertical_alignment="bottom", key="kal_aterkalla"):
                    sub = st.selectbox("Länk", tuple(active_subs["id"]), key="kal_pren_val",
                                       format_func=dict(zip(active_subs["id"], active_subs["label"] + " (" +
                                                            active_subs["skapad"] + ")")).get)
                    if st.button("Återkalla", key="kal_pren_aterkalla", icon=":material/link_off:"):
                        store.revoke_subscription(sub, me)
                        notice("ok", "Länken är återkallad och fungerar inte längre.")
                        st.rerun()

st.caption(f"**Källa:** distriktets bokningskalender ({'databas ' + db.describe()}). Tider i svensk tid. "
           f"Krockkontroll: samma person i två bokningar, restid {rules.buffer_between_min} min mellan kommuner, "
           f"högst {rules.max_visits_per_unit} besök per enhet på {rules.weeks} veckor medan prioriterade saknar besök, "
           "två stora aktiviteter samma dag i samma kommun (kalenderreglerna, version " + rules.version + ").")
