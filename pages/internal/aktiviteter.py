"""Aktiviteter (internal): door knocking, phone banks and activists per municipality beside the change."""
import streamlit as st

from dashboard import activity, fmt, state, ui
from dashboard import activity_analysis as aa
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
    measure = state.choice_selector(
        "Jämför", {"dorrar": "Dörrar", "samtal": "Samtal", "aktivister": "Aktivister"}, "dorrar", key="matt",
        help="Vilken aktivitet diagrammet ställer mot förändringen (per röstberättigad, så stora och små "
             "kommuner går att jämföra).",
    )
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
    iu.Col("change_pp", f"Förändring {a}–{b} (p.e.)", "pp"),
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
