"""Tidningar (internal): newspaper copies per eligible voter against the change, per election."""
import streamlit as st

from dashboard import activity, fmt, state, ui
from dashboard import activity_analysis as aa
from dashboard import internal_ui as iu
from dashboard import queries as q
from dashboard.state import ELECTION_DEFINITE, ELECTION_LABEL

ui.ensure_entrypoint()

st.title("Hänger tidningarna ihop med förändringen?")
iu.activity_notice(["tidningar"])

with st.container(horizontal=True, vertical_alignment="bottom", key="tidningar_val"):
    election = state.election_selector()
    a, b = state.period_selector(q.year_pairs(), default=iu.activity_period(["tidningar"]))
label = ELECTION_LABEL[election]
period = state.period_text((a, b))
party_name = q.party_name(iu.PARTY)

st.caption(
    f"Exemplar av de lokala partitidningarna per röstberättigad i kommunvalet {b}, bredvid "
    f"{party_name}s förändring i {ELECTION_DEFINITE[election]} {period}. Varje punkt är en kommun."
)
ui.notes(iu.coverage_notes(election, a, b))

kommuner = q.municipalities()
per_voter = aa.newspapers_per_voter(iu.campaign_frame("tidningar", b), iu.kommun_eligible(b), kommuner)
df = aa.beside_change(kommuner, per_voter, q.municipality_change(election, a, b, iu.PARTY))
df = df.sort_values("per_voter", ascending=False, na_position="last").reset_index(drop=True)
fit = aa.fit_line(df["per_voter"], df["change_pp"])
n_data = int(df["per_voter"].notna().sum())

with st.container(horizontal=True, key="tidningar_nyckeltal"):
    st.metric("Samband (r)", fmt.number(fit.r, 2), border=True, height="stretch",
              help="Pearsons korrelationskoefficient mellan exemplar per röstberättigad och förändringen "
                   "(−1 till +1). Räknas på kommuner som har båda uppgifterna.")
    st.metric("Kommuner i beräkningen (n)", fmt.integer(fit.n), border=True, height="stretch")
    st.metric("Kommuner med tidningsuppgift", f"{n_data} av {len(df)}", border=True, height="stretch")
    st.metric(f"Räknade exemplar {b}", fmt.integer(df["copies"].sum(min_count=1)), border=True, height="stretch",
              help="Summan av utdelade (annars tryckta) exemplar i filen. Uppgivna kvoter utan antal ingår inte.")

if n_data == 0:
    st.info(f"Det finns inga tidningsuppgifter för valrörelsen {b}. Ladda upp en tidningsfil på sidan Importera.",
            icon=":material/info:")
elif fit.r is None:
    st.info(f"Bara {fit.n} av {len(df)} kommuner har både tidningsuppgift och en förändring – för få för att räkna "
            "ett samband (minst tre behövs). Tabellen visar det som finns.", icon=":material/info:")
else:
    slope = "" if fit.slope is None else (
        f" Den anpassade linjen lutar {fmt.number(fit.slope, 2, sign=True)} p.e. per exemplar och röstberättigad."
    )
    st.markdown(
        f"**{aa.strength_text(fit).capitalize()}** (r = {fmt.number(fit.r, 2)}, n = {fit.n} kommuner).{slope}  \n"
        "**Samband, inte bevis:** kommuner med många tidningar kan skilja sig på annat sätt (föreningens storlek, "
        "väljarunderlag, andra aktiviteter). Siffrorna visar vad som hänger ihop, inte vad som orsakade vad."
    )
    shown = df.assign(
        per_voter_txt=[fmt.number(v, 2) for v in df["per_voter"]],
        change_pp_txt=[fmt.pp(v) for v in df["change_pp"]],
    )
    fig = ui.figure(
        ("tidningar_spridning", election, a, b, activity.token()),
        iu.scatter_fit, shown, x_col="per_voter", y_col="change_pp", name_col="kommun", fit=fit,
        x_title=f"Exemplar per röstberättigad {b}", y_title=f"Förändring {period} (p.e.)",
        x_text_col="per_voter_txt", y_text_col="change_pp_txt",
    )
    ui.plotly(
        fig,
        alt=f"Punktdiagram: tidningsexemplar per röstberättigad mot {party_name}s förändring i "
            f"{ELECTION_DEFINITE[election]} {period}, med anpassad linje.",
        caption=(
            f"Blå punkt = ökning, röd = minskning. Streckad linje = minsta-kvadrat-anpassning över de {fit.n} kommuner "
            "som har båda uppgifterna. Kommuner utan tidningsuppgift saknas i diagrammet men står i tabellen."
        ),
        key="tidningar_diagram",
    )
if n_data:
    top = df[df["per_voter"].notna()].head(5)
    st.markdown("**Flest exemplar per röstberättigad**  \n" + "  \n".join(
        f"{i}. {fmt.md_text(r.kommun)}: {fmt.number(r.per_voter, 2)}" for i, r in enumerate(top.itertuples(), start=1)))

if activity.info("tidningar").origin == activity.ORIGIN_STANDARD:
    summary = activity.default_summary()
    lines = summary.loc[summary["typ"] == "tidningar", "formulering"].tolist()
    if lines:
        st.caption("Valutvärderingen 2023 om hela distriktet: " + "; ".join(lines) + ".")

st.subheader("Alla kommuner")
cols = [
    iu.Col("kommun", "Kommun"),
    iu.Col("per_voter", f"Exemplar per röstberättigad {b}", "dec2", short=f"Per röstberättigad {b}"),
    iu.Col("change_pp", f"Förändring {a}–{b} (p.e.)", "pp", short=ui.CHANGE_SHORT),
    iu.Col("copies", "Exemplar (antal)", "int"),
    iu.Col("basis", "Underlag"),
    iu.Col("approx", "Ungefärligt", "yesno"),
    iu.Col("eligible", f"Röstberättigade kommunvalet {b} (antal)", "int"),
    iu.Col("share_from", f"Andel {a} (%)", "pct"),
    iu.Col("share_to", f"Andel {b} (%)", "pct"),
]
iu.table(
    df, cols, key="tidningar_tabell", file_stem=f"tidningar_{election}_{a}_{b}",
    alt=f"Tabell: tidningsexemplar per röstberättigad och {party_name}s förändring per kommun",
    note=(f"{label}, {party_name}, {period}. Exemplar per röstberättigad = utdelade (annars tryckta) exemplar / "
          f"röstberättigade i kommunvalet {b}, eller kvoten som uppgiven. Samband, inte bevis. "
          f"Aktivitetsdata: {iu.origin_caption(['tidningar'])}."),
)

iu.small_print(
    source=f"Aktivitetsdata: {iu.origin_caption(['tidningar'])}. Valresultat: {q.source_text((a, b))} – se Om data.",
    definition=(
        f"Exemplar per röstberättigad = utdelade exemplar (annars tryckta) / röstberättigade i kommunvalet {b}; där "
        "bara kvoten är känd (valutvärderingen 2023) används den som den är. r = Pearsons korrelation; linjen är en "
        "minsta-kvadrat-anpassning. Förändring (p.e.) = andel " f"{b} − andel {a}."
    ),
    data_date=q.data_date(),
)
