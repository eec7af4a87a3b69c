"""Valstugor (internal): the field map – cabins, their reach, coverage, gaps; placing cabins."""
import streamlit as st

from dashboard import activity, field, fmt, handout, state, ui
from dashboard import field_ui as fu
from dashboard import internal_ui as iu
from dashboard import queries as q
from dashboard.state import ELECTION_DEFINITE, ELECTION_LABEL

ui.ensure_entrypoint()

TYPES = ["valstugor", "foreningar", "dorrknackning"]

st.title("Var står valstugorna – och var saknas de?")
iu.activity_notice(TYPES)

with st.container(horizontal=True, vertical_alignment="bottom", key="valstugor_val"):
    election = state.election_selector()
    a, b = state.period_selector(q.year_pairs(), default=iu.activity_period(["valstugor"]))
    measure = fu.measure_selector(["andel", "forandring", "valdeltagande", "mobilisering"], "andel")
    radius = fu.radius_selector()
    kommunkod = state.kommun_selector(q.municipalities(), default=None, label="Zooma till kommun",
                                      help="Kartan visar hela länet; välj en kommun för att zooma in.")
    gap_by = state.choice_selector(
        "Lucka", {"endera": "Hög andel eller ökning", "andel": "Hög andel", "okning": "Stor ökning"}, "endera",
        key=fu.Key.GAP, help="Vilka valdistrikt utan valstuga i närheten som listas som luckor.",
    )
label = ELECTION_LABEL[election]
period = state.period_text((a, b))
party_name = q.party_name(iu.PARTY)
r_text = field.RADIUS_LABEL[radius]
token = activity.token()
weights = tuple(sorted(field.KNOCK_WEIGHTS.items()))
origin = iu.origin_caption(TYPES)

data = fu.district_data(election, a, b, radius, weights, token)
cov = fu.coverage_tables(election, a, b, radius, weights, token)
gaps, limits = fu.gap_table(election, a, b, radius, weights, gap_by, token)
d, cabins, ey = data["districts"], data["cabins"], data["electorate_year"]
n_cabins, n_pos = len(cabins), int((cabins["lat"].notna() & cabins["lon"].notna()).sum())
electorate_text = f"röstberättigade i kommunvalet {ey}" if ey else "röstberättigade (uppgift saknas)"

with st.container(horizontal=True, key="valstugor_nyckeltal"):
    st.metric(f"Valstugor i data ({b})", fmt.integer(n_cabins) if n_cabins else fmt.MISSING, border=True,
              height="stretch")
    st.metric("Med känd position", f"{n_pos} av {n_cabins}" if n_cabins else fmt.MISSING, border=True,
              height="stretch")
    st.metric("Bemannade pass", fmt.integer(cabins["pass"].sum(min_count=1)), border=True, height="stretch")
    st.metric(f"Röstberättigade inom {r_text}", fmt.pct(cov["county"]["near_pct"], 1), border=True, height="stretch",
              help=f"Andel av länets {electorate_text} som bor i ett valdistrikt vars mittpunkt ligger högst {r_text} "
                   "från en valstuga. Räknas bara när alla stugor har position.")
    st.metric(f"Luckor (inom {r_text})", fmt.integer(len(gaps)) if n_pos else fmt.MISSING, border=True,
              height="stretch", help="Starka eller växande valdistrikt utan valstuga inom räckvidden (listan nedan).")

if n_cabins and n_pos == 0:
    st.warning(
        f"Ingen av de {n_cabins} valstugorna i data har position. Kartan kan därför inte visa stugorna, och "
        f"täckningen inom {r_text} och luckorna kan inte räknas ut. Placera stugorna på kartan nedan (välj "
        "valdistrikt och \u201dFlytta en valstuga hit\u201d), eller ladda upp en valstugefil med lat/lon på sidan Importera.",
        icon=":material/location_off:", title="Positioner saknas",
    )
elif n_pos < n_cabins:
    st.info(f"{n_cabins - n_pos} av {n_cabins} valstugor saknar position: de syns inte på kartan, och täckningen "
            "räknas inte för deras kommuner (och inte för hela länet).", icon=":material/info:")
elif not n_cabins:
    st.info(f"Det finns inga valstugor i data för valrörelsen {b}. Placera en på kartan nedan.", icon=":material/info:")
ui.notes(q.notes_for(election, a, b, level="district"))
fu.results_note(d, label, b)

with st.container(horizontal=True, vertical_alignment="bottom", key="valstugor_val2"):
    place = fu.place_selector()
    cabin = fu.cabin_selector(data["cabin_options"])
m = field.MEASURES[measure]
rendered, legend = fu.map_and_legend(election, a, b, radius, weights, measure, kommunkod, place, cabin, True, token)
fu.draw_map(
    rendered, legend,
    alt=f"Karta: länets valdistrikt färgade efter {m.title.format(a=a, b=b).lower()} i {ELECTION_DEFINITE[election]}, "
        f"valstugorna som punkter med en cirkel på {r_text}.",
    caption=(f"Färg = {m.title.format(a=a, b=b)}, {label.lower()}, {party_name}; grått = uppgift saknas. Gula "
             f"punkter = valstugor med position ({n_pos} av {n_cabins}), cirkeln = {r_text}. Orange kant = valdistrikt "
             "med dörrknackning i filen, svart kant = valt distrikt. Valdistrikten har 2022 års gränser. Klicka på ett "
             "distrikt för dess siffror – alla siffror finns också i tabellerna nedan."),
)
fu.show_message()
if place:
    fu.district_card(data["by_code"], place, radius, a, b, f"{label} {b}")
fu.placement_panel(place, data["cabin_options"], b, cabin)

st.subheader(f"Täckning per kommun ({r_text})")
st.caption(
    f"Andelen av kommunens {electorate_text} som bor i ett valdistrikt vars mittpunkt ligger högst {r_text} från en "
    "valstuga (avståndet mäts från distriktets mittpunkt, inte från varje bostad; stugor i grannkommunen räknas också). "
    "Kommuner med stugor utan position får ingen täckningssiffra; kommuner utan uppgift i stugfilen visas som saknade."
)
cols = [
    iu.Col("kommun", "Kommun"),
    iu.Col("near_pct", f"Röstberättigade inom {r_text} (%)", "pct", short=f"Inom {r_text} (%)"),
    iu.Col("cabins", "Valstugor (antal)", "int"),
    iu.Col("positioned", "Med position (antal)", "int"),
    iu.Col("shifts", "Bemannade pass (antal)", "int"),
    iu.Col("cabins_per_10k", "Valstugor per 10 000 röstberättigade", "dec2"),
    iu.Col("eligible_near", f"Röstberättigade inom {r_text} (antal)", "int"),
    iu.Col("eligible", f"Röstberättigade kommunvalet {ey} (antal)", "int"),
    iu.Col("share_to", f"Andel {b} (%)", "pct"),
    iu.Col("change_pp", f"Förändring {a}–{b} (p.e.)", "pp"),
]
iu.table(cov["kommun"], cols, key="valstugor_tackning", file_stem=f"valstugor_tackning_{election}_{a}_{b}_{radius}m",
         alt="Tabell: valstugor och täckning per kommun",
         note=f"{label}, {party_name}, {period}. Räckvidd {r_text}. Aktivitetsdata: {origin}.")

by_association = cov["by_association"]
st.subheader(f"Täckning per {'partiförening' if by_association else 'område'} ({r_text})")
st.caption(
    "En rad per partiförening i föreningsfilen: föreningens valdistrikt, eller hela kommunen när föreningen inte "
    "anger några." if by_association else
    "Ingen föreningsfil är inläst, så områdena är kommunerna. Ladda upp föreningsfilen (med föreningarnas "
    "valdistrikt) på sidan Importera för en rad per partiförening."
)
iu.table(
    cov["units"],
    [iu.Col("unit", "Förening" if by_association else "Område"),
     iu.Col("near_pct", f"Röstberättigade inom {r_text} (%)", "pct", short=f"Inom {r_text} (%)"),
     iu.Col("kommun", "Kommun"), iu.Col("scope", "Omfattar"), iu.Col("districts", "Valdistrikt (antal)", "int"),
     iu.Col("eligible_near", f"Röstberättigade inom {r_text} (antal)", "int"),
     iu.Col("eligible", f"Röstberättigade kommunvalet {ey} (antal)", "int")],
    key="valstugor_foreningar", file_stem=f"valstugor_tackning_foreningar_{radius}m",
    alt="Tabell: täckning per partiförening eller område",
    note=f"Räckvidd {r_text}; {electorate_text}. Aktivitetsdata: {origin}.",
)

st.subheader("Luckor: starka eller växande valdistrikt utan valstuga i närheten")
parts = []
if gap_by in ("endera", "andel") and limits["share"] is not None:
    parts.append(f"andel minst {fmt.pct(limits['share'])}")
if gap_by in ("endera", "okning") and limits["change"] is not None:
    parts.append(f"ökning minst {fmt.pp(limits['change'])}")
if n_pos == 0:
    st.info("Luckorna kan inte räknas ut utan stugornas positioner.", icon=":material/info:")
else:
    if gap_by != "andel" and limits["change"] is None:
        st.info(f"{label} {a} saknar jämförbara resultat per valdistrikt, så ingen förändring per distrikt kan räknas"
                + (" – luckorna bygger bara på andelen." if gap_by == "endera" else "."), icon=":material/info:")
    st.markdown(
        f"**{fmt.integer(len(gaps))} valdistrikt** bland länets översta fjärdedel ({' eller '.join(parts) or '–'}) har "
        f"ingen valstuga inom {r_text} från distriktets mittpunkt. Flest {party_name}-röster först."
        + (" Kommuner med stugor utan position kan ha färre luckor än listan visar." if n_pos < n_cabins else "")
    )
    gap_cols = [
        iu.Col("district_name", "Valdistrikt"),
        iu.Col("votes_to", f"{party_name}-röster {b} (antal)", "int", short=f"Röster {b} (antal)"),
        iu.Col("gap_rank", "Plats i länet", "int"),
        iu.Col("kommun", "Kommun"),
        iu.Col("unit", "Förening" if by_association else "Område"),
        iu.Col("share_to", f"Andel {b} (%)", "pct"),
        iu.Col("change_pp", f"Förändring {a}–{b} (p.e.)", "pp"),
        iu.Col("eligible", f"Röstberättigade kommunvalet {ey} (antal)", "int"),
        iu.Col("cabin_name", "Närmaste valstuga"),
        iu.Col("cabin_km", "Avstånd till närmaste valstuga (km)", "km"),
        iu.Col("reason", "Varför"),
        iu.Col("district_code", "Distriktskod"),
    ]
    iu.table(
        gaps, gap_cols, key="valstugor_luckor", file_stem=f"valstugor_luckor_{election}_{a}_{b}_{radius}m",
        alt="Tabell: valdistrikt med hög andel eller stor ökning utan valstuga i närheten", height=360,
        note=f"Planeringslista. {label}, {party_name}, {period}. Lucka = länets översta fjärdedel av valdistrikten "
             f"({' eller '.join(parts)}) och ingen valstuga inom {r_text} från distriktets mittpunkt.",
    )
    # Only when asked for (the link keeps it): a print view that is not shown costs nothing per run.
    if state.toggle("Utskrift: luckorna för en förening", False, key="utskrift",
                    help="Visar luckorna i en förenings (eller kommuns) område på en sida att skriva ut."):
        st.html(fu.PRINT_CSS)
        unit_id = fu.unit_selector(cov["unit_options"])
        unit_name, mine = fu.unit_gaps(election, a, b, radius, weights, gap_by, token, unit_id, tuple(gap_cols[:-1]))
        with st.container(key="falt_utskrift"):
            st.markdown(f"### Luckor i {fu.md(unit_name)}: valdistrikt utan valstuga inom {r_text}")
            st.caption(f"{label}, {party_name}, {period}; luckor = länets översta fjärdedel ({' eller '.join(parts)}). "
                       f"Utskriven {fu.today()} · data byggd {q.data_date()} · Valrummet, V Storstockholm (internt)")
            if mine.empty:
                st.markdown("Inga luckor i området med de här valen.")
            else:
                st.table(mine, hide_index=True)
            with st.container(key="falt_utskrift_knapp"):
                handout.print_button()

st.subheader("Alla valdistrikt på kartan")
st.caption("Tabellen bakom kartan: varje valdistrikt med de siffror som färgerna och korten visar.")
iu.table(
    d,
    [iu.Col("district_name", "Valdistrikt"), iu.Col("share_to", f"Andel {b} (%)", "pct"),
     iu.Col("change_pp", f"Förändring {a}–{b} (p.e.)", "pp", short=ui.CHANGE_SHORT), iu.Col("kommun", "Kommun"),
     iu.Col("turnout_to", f"Valdeltagande {b} (%)", "pct"),
     iu.Col("mobilisation", "Mobiliseringspotential (personer)", "dec0"),
     iu.Col("eligible", f"Röstberättigade kommunvalet {ey} (antal)", "int"),
     iu.Col("cabin_name", "Närmaste valstuga"), iu.Col("cabin_km", "Avstånd (km)", "km"),
     iu.Col("near_txt", f"Inom {r_text}"), iu.Col("doors", "Knackade dörrar (antal)", "int"),
     iu.Col("district_code", "Distriktskod")],
    key="valstugor_distrikt", file_stem=f"valstugor_valdistrikt_{election}_{a}_{b}_{radius}m", height=360,
    alt="Tabell: alla valdistrikt med andel, förändring, valdeltagande, avstånd till valstuga och dörrknackning",
    note=f"{label}, {party_name}, {period}. Räckvidd {r_text}.",
)

st.subheader("Valstugorna i data")
iu.table(
    cabins,
    [iu.Col("namn", "Valstuga"), iu.Col("kommun", "Kommun"), iu.Col("typ", "Typ"), iu.Col("område", "Område"),
     iu.Col("prioriterat_område", "Prioriterat område", "yesno"), iu.Col("öppetdagar", "Öppetdagar (antal)", "int"),
     iu.Col("pass", "Bemannade pass (antal)", "int"), iu.Col("lat", "Latitud", "dec5"),
     iu.Col("lon", "Longitud", "dec5"), iu.Col("anteckning", "Anteckning")],
    key="valstugor_lista", file_stem=f"valstugor_{b}", alt="Tabell: valstugorna i data", height=300,
    note=f"Aktivitetsdata: {iu.origin_caption(['valstugor'])}.",
)
if lines := fu.evaluation_lines(token):
    st.caption("Valutvärderingen 2023 om hela distriktet: " + "; ".join(lines) + ".")
fu.history_panel()

iu.small_print(
    source=f"Aktivitetsdata: {origin}. Valresultat och röstberättigade: "
           f"{q.source_text((a, b))}; valdistriktens gränser och mittpunkter 2022 (Valmyndigheten) – se Om data.",
    definition=(
        f"Mittpunkt = valdistriktets tyngdpunkt (SWEREF 99 TM). Inom {r_text} = mittpunkten ligger högst {r_text} "
        f"från en valstuga med position. Täckning = {electorate_text} i distrikten inom räckhåll / alla "
        f"{electorate_text} i området. Lucka = valdistrikt i länets översta fjärdedel efter andel eller ökning utan "
        f"stuga inom {r_text}, ordnade efter partiets röster. Mobiliseringspotential = andel × röstberättigade × "
        "(1 − valdeltagande). Valstugor per 10 000 röstberättigade = antal stugor / röstberättigade × 10 000."
    ),
    data_date=q.data_date(),
)
