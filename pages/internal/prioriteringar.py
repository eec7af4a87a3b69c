"""Prioriteringar (internal): an open scorecard for priority associations (issue 5)."""
import pandas as pd
import streamlit as st

from dashboard import activity, charts, fmt, state, ui
from dashboard import internal_ui as iu
from dashboard import priority as P
from dashboard import queries as q
from dashboard.state import ELECTION_LABEL

ui.ensure_entrypoint()

criteria = P.load_criteria()

st.title("Vilka föreningar borde prioriteras?")
iu.activity_notice(["foreningar", "aktivister", "valstugor", "hyresratter", "prioriterade"])

with st.container(horizontal=True, vertical_alignment="bottom", key="prio_val"):
    election = state.election_selector()
    a, b = state.period_selector(q.year_pairs())
    missing_zero = state.toggle(
        "Saknad uppgift = 0 poäng", False, key="saknad_noll",
        help="Av: ett kriterium utan uppgift räknas inte för enheten. På: det räknas med 0 poäng "
             "(gynnar enheter med fullständiga uppgifter).",
    )


def _reset_weights() -> None:
    for c in criteria.items:
        st.session_state[c.param] = int(c.weight)


with st.container(border=True, key="prio_vikter"):
    st.markdown(f"**Vikter** (0 = räknas inte). Standard enligt kriteriefilen, version {criteria.version}. "
                "Vikterna står i länken, så ett förslag kan delas.")
    with st.grid(4, gap="small", min_column_width=200):
        weights = {
            c.key: st.slider(c.label, 0, P.MAX_WEIGHT, int(c.weight), step=1, key=c.param, bind="query-params",
                             help=f"{c.why} Uppfyllt när {P.MEASURES[c.measure].label.lower()} {c.threshold_text()}.")
            for c in criteria.items
        }
    st.button("Återställ standardvikter", key="prio_aterstall", on_click=_reset_weights,
              icon=":material/restart_alt:")

label = ELECTION_LABEL[election]
period = state.period_text((a, b))
party_name = q.party_name(iu.PARTY)

kommuner = q.municipalities()
scored = iu.priority_card(criteria, election, a, b, weights, missing_zero)
card, seats, by_association = scored.card.copy(), scored.seats, scored.by_association
card["kommun"] = card["kommunkod"].map(dict(zip(kommuner["kommunkod"], kommuner["kommun"])))

listed = activity.priority_associations()
list_year = None
if len(listed) and listed["valår"].notna().any():
    list_year = int(listed["valår"].max())
    listed = listed[listed["valår"].isna() | listed["valår"].eq(list_year)]
card, n_listed = P.compare_with_list(card, listed, by_association)
card["known_txt"] = [f"{k} av {n}" for k, n in zip(card["n_known"], card["n_criteria"])]
unit_word = "förening" if by_association else "kommun"

if by_association:
    st.caption(
        f"En rad per partiförening ({len(card)} i föreningsfilen). Mandat, jämförelse med liknande kommuner och "
        "hyresrätter gäller föreningens kommun; andel, förändring, aktivister och valstugor gäller föreningens "
        "valdistrikt där filen anger dem."
    )
else:
    st.caption(
        "Ingen föreningsfil är inläst, så kortet har en rad per kommun. Ladda upp föreningsfilen på sidan Importera "
        "för en rad per partiförening (Stockholms stad har flera)."
    )
if seats is None:
    st.info(f"Mandatberäkningen saknas för kommunvalet {b} (inga röster för {b} i data), så mandatkriterierna "
            "visas som \"uppgift saknas\".", icon=":material/info:")
else:
    counted = "preliminärt, valnatten" if "count_status" in seats and seats["count_status"].eq("preliminary").any() \
        else "slutligt räknat"
    st.caption(f"Mandat och marginaler i kommunfullmäktige efter valet {b} ({counted}): underlag för "
               f"prioriteringarna inför valet {b + 4}.")
ui.notes(iu.coverage_notes(election, a, b))
ui.preliminary(q.preliminary_note(q.municipality_change(election, a, b, iu.PARTY), election, a, b), key="prio_prel")

top = card.iloc[0] if len(card) and pd.notna(card["total"].iloc[0]) else None
with st.container(horizontal=True, key="prio_nyckeltal"):
    st.metric("Enheter i kortet", f"{len(card)} {'föreningar' if by_association else 'kommuner'}", border=True,
              height="stretch")
    st.metric("Högst rankad", fmt.md_text(top["unit"]) if top is not None else fmt.MISSING, border=True, height="stretch",
              help="Högst totalpoäng med vikterna ovan.")
    st.metric("Kriterieversion", criteria.version, border=True, height="stretch",
              help=f"Kriterier och gränser: {criteria.path.name}.")
    if n_listed:
        st.metric("Avvikelser mot distriktets lista", fmt.integer(int(card["disagreement"].notna().sum())),
                  border=True, height="stretch",
                  help=f"Distriktets lista har {n_listed} {'föreningar' if by_association else 'kommuner'}; "
                       f"jämförs med de {n_listed} högst rankade.")

bars = card.assign(total_txt=[fmt.number(v, 0) for v in card["total"]],
                   label=[f"{u} ★" if on and n_listed else u for u, on in zip(card["unit"], card["on_list"])])
fig = ui.figure(
    ("prio_staplar", election, a, b, tuple(sorted(weights.items())), missing_zero, activity.token()),
    charts.ranked_bars, bars, value_col="total", text_col="total_txt", name_col="label",
    x_title="Totalpoäng (0–100)", signed=False,
)
ui.plotly(
    fig,
    alt=f"Stapeldiagram: totalpoäng per {unit_word}, högst överst.",
    caption=("Totalpoäng = vägt medelvärde av kriteriernas poäng (0–100)."
             + (" ★ = på distriktets egen lista." if n_listed else "")
             + " Rader utan något kriterium med uppgift står sist."),
    key="prio_diagram",
)

if n_listed:
    diffs = card[card["disagreement"].notna()]
    with st.container(border=True, key="prio_avvikelser"):
        st.markdown(f"**Distriktets lista ({n_listed}{f', valår {list_year}' if list_year else ''}) jämförd med de "
                    f"{n_listed} högst rankade**")
        if diffs.empty:
            st.markdown(":green-background[Listan och beräkningen är överens.]")
        else:
            st.markdown("  \n".join(f":orange-background[{fmt.md_text(r.unit)}]: {fmt.md_text(r.disagreement)}"
                                    for r in diffs.itertuples()))
else:
    st.caption("Distriktets egen lista över prioriterade föreningar är inte inläst (filtyp prioriterade).")

st.subheader("Kortet: rangordning, uppfyllda kriterier och underlag")
cols = [
    iu.Col("unit", "Förening" if by_association else "Kommun"),
    iu.Col("total", "Poäng (0–100)", "dec0"),
    iu.Col("rank", "Plats", "int"),
    iu.Col("kommun", "Kommun"),
    iu.Col("n_meets", "Uppfyllda kriterier (antal)", "int"),
    iu.Col("meets_text", "Uppfyller"),
    iu.Col("known_txt", "Kriterier med uppgift"),
    iu.Col("on_list", "På distriktets lista", "yesno"),
    iu.Col("disagreement", "Avvikelse"),
    iu.Col("seats", f"Mandat {b} (antal)", "int"),
    iu.Col("votes_to_next_seat", "Röster till nästa mandat (antal)", "int"),
    iu.Col("margin_on_last_seat", "Marginal för sista mandatet (röster)", "int"),
    iu.Col("share_to", f"Andel {b} (%)", "pct"),
    iu.Col("change_pp", f"Förändring {a}–{b} (p.e.)", "pp"),
    iu.Col("peer_share", "Liknande kommuner, andel (%)", "pct"),
    iu.Col("rentals_per_1000", "Hyresrätter per 1000 invånare", "dec0"),
    iu.Col("activists", "Aktivister (antal)", "int"),
    iu.Col("cabins", "Valstugor (antal)", "int"),
    iu.Col("eligible", f"Röstberättigade kommunvalet {b} (antal)", "int"),
]
if not by_association:
    cols = [c for c in cols if c.name != "kommun"]
if not n_listed:  # no list loaded: "on the list" would read as a no, which nobody said
    cols = [c for c in cols if c.name not in ("on_list", "disagreement")]
iu.table(
    card, cols, key="prio_tabell", file_stem=f"prioriteringar_{election}_{a}_{b}",
    alt=f"Tabell: prioriteringskort per {unit_word} med uppfyllda kriterier",
    note=(f"Kriterier version {criteria.version} ({criteria.path.name}); vikter "
          + ", ".join(f"{c.label} {fmt.integer(weights[c.key])}" for c in criteria.items)
          + f". {label} {period}, {party_name}. Mandat: kommunfullmäktige {b}."),
)

st.subheader("Varför? Kriterierna för en " + unit_word)
pick = st.selectbox(
    "Visa motiveringen för", list(card["unit_id"]), format_func=dict(zip(card["unit_id"], card["unit"])).get,
    key="enhet", bind="query-params",
)
row = card[card["unit_id"] == pick].iloc[0]
detail = pd.DataFrame([
    {
        "kriterium": c.label,
        "uppfyller": {True: "✓ ja", False: "✗ nej"}.get(row[f"meets_{c.key}"] if pd.notna(row[f"meets_{c.key}"])
                                                        else None, "– uppgift saknas"),
        "motivering": row[f"why_{c.key}"],
        "grans": c.threshold_text(),
        "poang": row[f"score_{c.key}"] * 100 if pd.notna(row[f"score_{c.key}"]) else None,
        "vikt": weights[c.key],
        "varfor": c.why,
    }
    for c in criteria.items
])
st.markdown(
    f"**{fmt.md_text(row['unit'])}**: plats {fmt.integer(row['rank'])}, {fmt.number(row['total'], 0)} poäng, "
    f"uppfyller {row['n_meets']} av {row['n_known']} kriterier med uppgift ({fmt.md_text(row['meets_text'])})."
)
iu.table(
    detail,
    [iu.Col("kriterium", "Kriterium"), iu.Col("uppfyller", "Uppfyller"), iu.Col("motivering", "Värde och underlag"),
     iu.Col("grans", "Gräns"), iu.Col("poang", "Poäng (0–100)", "dec0"), iu.Col("vikt", "Vikt", "int"),
     iu.Col("varfor", "Varför kriteriet finns")],
    key="prio_motivering", file_stem=f"prioritering_{pick}", alt=f"Tabell: kriterierna för {row['unit']}",
)

iu.small_print(
    source=(f"Kriterier: {criteria.path.name}, version {criteria.version}. Mandat: Valrummets mandatberäkning "
            f"(vallagen 14 kap.), kommunfullmäktige {b}. Valresultat: {q.source_text((a, b))}. Aktivitetsdata: "
            + iu.origin_caption(["foreningar", "aktivister", "valstugor", "hyresratter", "prioriterade"]) + "."),
    definition=(
        "Poäng per kriterium = platsen bland enheterna med uppgift, 0 (sämst) till 100 (bäst); totalpoäng = vägt "
        "medelvärde över kriterierna med uppgift. Röster till nästa mandat = minsta antal extra röster (övriga "
        "oförändrade) som ger ett mandat till; marginal = största antal röster som kan förloras utan att förlora ett "
        f"mandat. Liknande kommuner = de {criteria.peer_count} närmast i folkmängd. Ett förslag att diskutera, "
        "inte ett facit."
    ),
    data_date=q.data_date(),
)
