"""Aktiviteter (internal): door knocking, phone banks and activists per municipality beside the change."""
import streamlit as st

from dashboard import activity, field, fmt, state, ui
from dashboard import activity_analysis as aa
from dashboard import field_ui as fu
from dashboard import internal_ui as iu
from dashboard import queries as q
from dashboard.state import ELECTION_DEFINITE, ELECTION_LABEL

ui.ensure_entrypoint()

TYPES = ["dorrknackning", "ringstugor", "aktivister"]
MEASURES = {
    "dorrar": ("doors_per_1000", "Dörrar per 1000 röstberättigade", 1),
    "samtal": ("calls_per_1000", "Ringda samtal per 1000 röstberättigade", 1),
    "aktivister": ("activists_per_10k", "Aktivister per 10 000 röstberättigade", 1),
}

st.title("Dörrknackning, ringstugor och aktivister – och förändringen")
iu.activity_notice(TYPES)

with st.container(horizontal=True, vertical_alignment="bottom", key="aktiviteter_val"):
    election = state.election_selector()
    a, b = state.period_selector(q.year_pairs(), default=iu.activity_period(TYPES))
    view = state.choice_selector(
        "Visa", {"kommuner": "Kommuner", "valdistrikt": "Valdistrikt"}, "kommuner", key="vy",
        help="Kommunerna bredvid förändringen, eller valdistrikten: var ska vi knacka dörr?",
    )
    if view == "kommuner":
        measure = state.choice_selector(
            "Jämför", {"dorrar": "Dörrar", "samtal": "Samtal", "aktivister": "Aktivister"}, "dorrar", key="matt",
            help="Vilken aktivitet diagrammet ställer mot förändringen (per röstberättigad, så stora och små "
                 "kommuner går att jämföra).",
        )
    else:
        measure = fu.measure_selector(["knackpoang", "mobilisering", "overtalning", "andel", "forandring",
                                       "valdeltagande"], "knackpoang")
        kommunkod = state.kommun_selector(q.municipalities(), default=None, label="Zooma till kommun",
                                          help="Kartan visar hela länet; välj en kommun för att zooma in.")


def district_view() -> None:
    """Where to knock: the voting districts ranked by the knock score, on the field map."""
    weights = fu.weight_sliders()
    w = tuple(sorted(weights.items()))
    radius = field.DEFAULT_RADIUS_M
    token = activity.token()
    data = fu.district_data(election, a, b, radius, w, token)
    d = fu.knock_table(election, a, b, radius, w, token)
    label, party_name = ELECTION_LABEL[election], q.party_name(iu.PARTY)
    ui.notes(q.notes_for(election, a, b, level="district"))
    fu.results_note(d, label, b)
    knocked = d[d["knocked"]]
    with st.container(horizontal=True, key="knack_nyckeltal"):
        st.metric("Valdistrikt med poäng", f"{fmt.integer(int(d['score'].notna().sum()))} av {fmt.integer(len(d))}",
                  border=True, height="stretch")
        st.metric("Högst poäng", d["district_name"].iloc[0] if d["score"].notna().any() else fmt.MISSING,
                  border=True, height="stretch", help="Plats 1 med vikterna ovan.")
        st.metric(f"Knackade valdistrikt ({b})", fmt.integer(len(knocked)) if len(data["doors"]) else fmt.MISSING,
                  border=True, height="stretch", help="Valdistrikt som dörrknackningsfilen nämner för valrörelsen.")
        st.metric("Knackade dörrar i dem", fmt.integer(knocked["doors"].sum(min_count=1)), border=True,
                  height="stretch")
    if data["unplaced_doors"]:
        st.info(f"{data['unplaced_doors']} rader i dörrknackningsfilen anger inget valdistrikt och kan inte visas på "
                "kartan (de räknas i kommunvyn).", icon=":material/info:")
    if d["persuasion"].isna().all() and d["share_to"].notna().any():
        st.info(f"{label} {a} saknar jämförbara resultat per valdistrikt, så övertalningspotentialen saknas och "
                "knackpoängen bygger bara på mobiliseringen.", icon=":material/info:")
    place = fu.place_selector()
    m = field.MEASURES[measure]
    rendered, legend = fu.map_and_legend(election, a, b, radius, w, measure, kommunkod, place, None, True, token)
    fu.draw_map(
        rendered, legend,
        alt=f"Karta: länets valdistrikt färgade efter {m.title.format(a=a, b=b).lower()}, med de redan knackade "
            "valdistrikten markerade.",
        caption=(f"Färg = {m.title.format(a=a, b=b)} ({label.lower()}, {party_name}); grått = uppgift saknas. Orange "
                 f"kant = valdistrikt där dörrknackningsfilen har rader för valrörelsen {b}; svart kant = valt distrikt. "
                 "Valdistrikten har 2022 års gränser. Alla siffror finns i tabellen nedan."),
    )
    if place:
        fu.district_card(data["by_code"], place, radius, a, b, f"{label} {b}")
    st.subheader("Var ska vi knacka dörr? Valdistrikten i ordning")
    st.caption(
        f"Knackpoäng 0–100 = vägt medelvärde av distriktets plats bland länets valdistrikt i mobiliseringspotential "
        f"(vikt {weights['mob']}) och övertalningspotential (vikt {weights['overt']}). Ett förslag att diskutera, "
        "inte ett facit: siffrorna säger var partiets icke-röstare och tappade väljare finns, inte vem som går att nå."
    )
    iu.table(
        d,
        [iu.Col("district_name", "Valdistrikt"), iu.Col("score", "Knackpoäng (0–100)", "dec0"),
         iu.Col("rank", "Plats", "int"), iu.Col("kommun", "Kommun"), iu.Col("unit", "Område"),
         iu.Col("mobilisation", "Mobiliseringspotential (personer)", "dec0"),
         iu.Col("persuasion", "Övertalningspotential (röster)", "dec0"),
         iu.Col("share_to", f"Andel {b} (%)", "pct"), iu.Col("change_pp", f"Förändring {a}–{b} (p.e.)", "pp"),
         iu.Col("turnout_to", f"Valdeltagande {b} (%)", "pct"),
         iu.Col("eligible_election", f"Röstberättigade {label.lower()} {b} (antal)", "int"),
         iu.Col("knocked", f"Knackat {b}", "yesno"), iu.Col("doors", "Knackade dörrar (antal)", "int"),
         iu.Col("district_code", "Distriktskod")],
        key="knack_tabell", file_stem=f"knacka_{election}_{a}_{b}_mob{weights['mob']}_overt{weights['overt']}",
        height=420, alt="Tabell: valdistrikten ordnade efter knackpoäng, med redan knackade markerade",
        note=(f"{label}, {party_name}, {state.period_text((a, b))}. Vikter: mobilisering {weights['mob']}, "
              f"övertalning {weights['overt']}. Aktivitetsdata: {iu.origin_caption(['dorrknackning'])}."),
    )
    iu.small_print(
        source=f"Aktivitetsdata: {iu.origin_caption(TYPES)}. Valresultat: {q.source_text((a, b))}; valdistriktens "
               "gränser 2022 (Valmyndigheten) – se Om data.",
        definition=(
            "Mobiliseringspotential = andel / 100 × röstberättigade × (1 − valdeltagande / 100): partiets andel av "
            "distriktets icke-röstare (antar att de röstar som de som röstade). Övertalningspotential = max(0, andel "
            f"{a} − andel {b}) / 100 × giltiga röster {b}: röster som behövs för att återta förra valets andel; 0 där "
            "partiet ökade, saknas där distriktet inte kan jämföras. Knackpoäng = vägt medelvärde av platserna (0 = "
            "lägst, 1 = högst bland distrikten med värde) × 100; ett distrikt utan värde för ett mått (t.ex. "
            "övertalning där distriktet inte kan jämföras) får mittenplatsen ½ för det."
        ),
        data_date=q.data_date(),
    )


if view == "valdistrikt":
    district_view()
    st.stop()
label = ELECTION_LABEL[election]
period = state.period_text((a, b))
party_name = q.party_name(iu.PARTY)
col, measure_label, decimals = MEASURES[measure]

kommuner = q.municipalities()
per = aa.activity_per_kommun(
    iu.campaign_frame("dorrknackning", b), iu.campaign_frame("ringstugor", b), iu.campaign_frame("aktivister", b),
    iu.kommun_eligible(b), kommuner,
)
df = aa.beside_change(kommuner, per, q.municipality_change(election, a, b, iu.PARTY))
df = df.sort_values(col, ascending=False, na_position="last").reset_index(drop=True)
fit = aa.fit_line(df[col], df["change_pp"])

st.caption(
    f"Valrörelsen {b}: aktiviteterna per kommun bredvid {party_name}s förändring i {ELECTION_DEFINITE[election]} "
    f"{period}. Kommuner utan uppgift visas som saknade, inte som noll."
)
ui.notes(iu.coverage_notes(election, a, b))

with st.container(horizontal=True, key="aktiviteter_nyckeltal"):
    st.metric("Knackade dörrar", fmt.integer(df["doors"].sum(min_count=1)), border=True, height="stretch",
              help="Summan av dörrar i dörrknackningsfilen för valrörelsen.")
    st.metric("Ringda samtal", fmt.integer(df["calls"].sum(min_count=1)), border=True, height="stretch")
    st.metric("Aktivister", fmt.integer(df["activists"].sum(min_count=1)), border=True, height="stretch")
    st.metric(f"Samband (r), {measure_label.split(' per ')[0].lower()}", fmt.number(fit.r, 2), border=True,
              height="stretch", help=f"Pearsons r mellan {measure_label.lower()} och förändringen, "
                                     f"n = {fit.n} kommuner med båda uppgifterna.")

n_with = int(df[col].notna().sum())
if n_with == 0:
    st.info(f"Ingen kommun har uppgift om {measure_label.split(' per ')[0].lower()} per röstberättigad för "
            f"valrörelsen {b}.", icon=":material/info:")
elif fit.r is None:
    st.info(f"Bara {fit.n} av {len(df)} kommuner har både {measure_label.lower()} och en förändring – för få för att "
            "räkna ett samband (minst tre behövs). Tabellen visar det som finns.", icon=":material/info:")
else:
    st.markdown(
        f"**{aa.strength_text(fit).capitalize()}** mellan {measure_label.lower()} och förändringen "
        f"(r = {fmt.number(fit.r, 2)}, n = {fit.n} kommuner).  \n**Samband, inte bevis:** aktiviteter görs ofta "
        "där föreningen redan är stark eller där läget är gynnsamt; siffrorna visar vad som hänger ihop, inte vad som "
        "orsakade vad."
    )
    shown = df.assign(x_txt=[fmt.number(v, decimals) for v in df[col]], y_txt=[fmt.pp(v) for v in df["change_pp"]])
    fig = ui.figure(
        ("aktiviteter_spridning", election, a, b, measure, activity.token()),
        iu.scatter_fit, shown, x_col=col, y_col="change_pp", name_col="kommun", fit=fit,
        x_title=f"{measure_label} ({b})", y_title=f"Förändring {period} (p.e.)", x_text_col="x_txt", y_text_col="y_txt",
    )
    ui.plotly(
        fig,
        alt=f"Punktdiagram: {measure_label.lower()} mot {party_name}s förändring i {ELECTION_DEFINITE[election]} "
            f"{period}, med anpassad linje.",
        caption=(f"Varje punkt är en kommun med båda uppgifterna ({fit.n} av {len(df)}); streckad linje = "
                 "minsta-kvadrat-anpassning. Blå = ökning, röd = minskning."),
        key="aktiviteter_diagram",
    )

st.subheader("Alla kommuner")
cols = [
    iu.Col("kommun", "Kommun"),
    iu.Col("change_pp", f"Förändring {a}–{b} (p.e.)", "pp", short=ui.CHANGE_SHORT),
    iu.Col("doors", "Dörrar (antal)", "int"),
    iu.Col("door_talks", "Samtal vid dörren (antal)", "int"),
    iu.Col("door_events", "Dörrknackningstillfällen (antal)", "int"),
    iu.Col("doors_per_1000", "Dörrar per 1000 röstberättigade", "dec1"),
    iu.Col("calls", "Ringda samtal (antal)", "int"),
    iu.Col("answered", "Besvarade samtal (antal)", "int"),
    iu.Col("calls_per_1000", "Ringda samtal per 1000 röstberättigade", "dec1"),
    iu.Col("activists", "Aktivister (antal)", "int"),
    iu.Col("members", "Medlemmar (antal)", "int"),
    iu.Col("activists_per_10k", "Aktivister per 10 000 röstberättigade", "dec1"),
    iu.Col("eligible", f"Röstberättigade kommunvalet {b} (antal)", "int"),
    iu.Col("share_to", f"Andel {b} (%)", "pct"),
]
iu.table(
    df, cols, key="aktiviteter_tabell", file_stem=f"aktiviteter_{election}_{a}_{b}",
    alt=f"Tabell: dörrknackning, ringstugor och aktivister per kommun bredvid {party_name}s förändring",
    note=f"{label}, {party_name}, {period}. Samband, inte bevis. Aktivitetsdata: {iu.origin_caption(TYPES)}.",
)

iu.small_print(
    source=f"Aktivitetsdata: {iu.origin_caption(TYPES)}. Valresultat: {q.source_text((a, b))} – se Om data.",
    definition=(
        f"Summor per kommun av raderna för valrörelsen {b}; en kommun utan rader saknar uppgift (inte noll). "
        f"Per 1000 / 10 000 röstberättigade i kommunvalet {b}. r = Pearsons korrelation över kommuner med båda "
        f"uppgifterna. Förändring (p.e.) = andel {b} − andel {a}."
    ),
    data_date=q.data_date(),
)
