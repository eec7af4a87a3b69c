"""Valstugor (internal): cabins on a map, coverage per municipality and the gaps."""
import streamlit as st

from dashboard import activity, fmt, state, ui
from dashboard import activity_analysis as aa
from dashboard import internal_ui as iu
from dashboard import queries as q
from dashboard.state import ELECTION_DEFINITE, ELECTION_LABEL

ui.ensure_entrypoint()

st.title("Var stod valstugorna – och var saknades de?")
iu.activity_notice(["valstugor"])

with st.container(horizontal=True, vertical_alignment="bottom", key="valstugor_val"):
    election = state.election_selector()
    a, b = state.period_selector(q.year_pairs(), default=iu.activity_period(["valstugor"]))
    colour = state.choice_selector(
        "Färg", {"andel": "Andel", "forandring": "Förändring"}, "andel", key="farg",
        help="Färga kartan efter partiets andel eller förändring.",
    )
    level = state.choice_selector(
        "Karta", {"kommuner": "Kommuner", "valdistrikt": "Valdistrikt"}, "kommuner", key="niva",
        help="Kommuner eller länets alla valdistrikt under stugorna.",
    )
    gap_by = state.choice_selector(
        "Lucka", {"endera": "Hög andel eller ökning", "andel": "Hög andel", "okning": "Stor ökning"}, "endera",
        key="lucka", help="Vilka valdistrikt utan valstuga i närheten som listas som luckor.",
    )
label = ELECTION_LABEL[election]
period = state.period_text((a, b))
party_name = q.party_name(iu.PARTY)
km = fmt.number(aa.RADIUS_M / 1000, 0)

kommuner = q.municipalities()
names = dict(zip(kommuner["kommunkod"], kommuner["kommun"]))
cabins = iu.campaign_frame("valstugor", b)
n_cabins, n_pos = len(cabins), int((cabins["lat"].notna() & cabins["lon"].notna()).sum())
distances = aa.district_distances(iu.districts(), cabins)
kommun_districts = iu.district_results("kommun", a, b)  # eligible voters per district, kommun election
coverage = aa.cabin_coverage(kommuner, cabins, kommun_districts, distances, iu.kommun_eligible(b))
df = aa.beside_change(kommuner, coverage, q.municipality_change(election, a, b, iu.PARTY))
share_near = aa.near_share(distances, kommun_districts) if n_pos == n_cabins else None

with st.container(horizontal=True, key="valstugor_nyckeltal"):
    st.metric(f"Valstugor i data ({b})", fmt.integer(n_cabins) if n_cabins else fmt.MISSING, border=True,
              height="stretch")
    st.metric("Med känd position", f"{n_pos} av {n_cabins}" if n_cabins else fmt.MISSING, border=True,
              height="stretch")
    st.metric("Bemannade pass", fmt.integer(cabins["pass"].sum(min_count=1)), border=True, height="stretch")
    st.metric(f"Röstberättigade inom {km} km", fmt.pct(share_near, 1), border=True, height="stretch",
              help=f"Andel av länets röstberättigade (kommunvalet {b}) som bor i ett valdistrikt vars mittpunkt "
                   f"ligger högst {km} km från en valstuga. Räknas bara när alla stugor har position.")

if n_cabins and n_pos == 0:
    st.warning(
        f"Ingen av de {n_cabins} valstugorna i data har koordinater. Kartan kan därför inte visa stugorna, och "
        f"andelen röstberättigade inom {km} km och listan över luckor kan inte räknas ut. Antal stugor per kommun "
        "visas ändå. Ladda upp en valstugefil med lat/lon på sidan Importera.",
        icon=":material/location_off:", title="Positioner saknas",
    )
elif n_pos < n_cabins:
    st.info(f"{n_cabins - n_pos} av {n_cabins} valstugor saknar koordinater: de syns inte på kartan, och täckningen "
            f"inom {km} km räknas inte för deras kommuner.", icon=":material/info:")
elif not n_cabins:
    st.info(f"Det finns inga valstugor i data för valrörelsen {b}.", icon=":material/info:")

value_col = "share_to" if colour == "andel" else "change_pp"
what = f"andel {b}" if colour == "andel" else f"förändring {period}"
sel = iu.district_results(election, a, b)
district_df = distances.merge(sel.drop(columns=["district_name", "kommunkod"]), on="district_code", how="left")
district_df["kommun"] = district_df["kommunkod"].map(names)
text = fmt.with_text(district_df, share_to="pct", change_pp="pp")
text["cabin_km_txt"] = [fmt.MISSING if not (v == v) else f"{fmt.number(v / 1000, 1)} km" for v in text["cabin_m"]]
kommun_text = fmt.with_text(df, share_to="pct", change_pp="pp", cabins="int", shifts="int")
kommun_text["near_txt"] = [fmt.pct(v, 1) for v in kommun_text["near_pct"]]

geo_kwargs = dict(
    value_col=value_col, colorbar_title=f"{'Andel (%)' if colour == 'andel' else 'Förändring (p.e.)'}",
    diverging=colour != "andel", tick_suffix=" %" if colour == "andel" else " p.e.",
)
if level == "kommuner":
    geo = q.kommun_geo()
    fig = ui.figure(
        ("valstugor_karta_k", election, a, b, colour, activity.token()),
        iu.cabin_map, geo, kommun_text, cabins, id_col="kommunkod", featureidkey="properties.kommunkod",
        name_col="kommun",
        hover=[(f"Andel {b}", "share_to_txt"), ("Förändring", "change_pp_txt"), ("Valstugor", "cabins_txt"),
               (f"Röstberättigade inom {km} km", "near_txt")],
        bbox=geo["bbox"], **geo_kwargs,
    )
else:
    fig = ui.figure(
        ("valstugor_karta_d", election, a, b, colour, activity.token()),
        iu.cabin_map, iu.district_geo(), text, cabins, id_col="district_code",
        featureidkey="properties.district_code", name_col="district_name",
        hover=[("Kommun", "kommun"), (f"Andel {b}", "share_to_txt"), ("Förändring", "change_pp_txt"),
               ("Närmaste valstuga", "cabin_km_txt")],
        bbox=q.kommun_geo()["bbox"], **geo_kwargs,
    )
ui.plotly(
    fig,
    alt=f"Karta: valstugor ovanpå {'kommunerna' if level == 'kommuner' else 'valdistrikten'} färgade efter "
        f"{party_name}s {what} i {ELECTION_DEFINITE[election]}.",
    caption=(
        f"Gula punkter med svart kant = valstugor med känd position ({n_pos} av {n_cabins}). Färg = {party_name}s {what} i "
        f"{ELECTION_DEFINITE[election]}; grått = uppgift saknas. Valdistrikten har 2022 års gränser."
    ),
    key="valstugor_karta",
)

st.subheader("Täckning per kommun")
st.caption(
    f"Valstugor per 10 000 röstberättigade och andelen röstberättigade som bor i ett valdistrikt vars mittpunkt ligger "
    f"högst {km} km från en valstuga (avståndet mäts från distriktets mittpunkt, inte från varje bostad; stugor i "
    "grannkommunen räknas också). Kommuner utan uppgift i stugfilen visas som saknade, inte som noll."
)
cols = [
    iu.Col("kommun", "Kommun"),
    iu.Col("cabins", "Valstugor (antal)", "int"),
    iu.Col("positioned", "Med position (antal)", "int"),
    iu.Col("shifts", "Bemannade pass (antal)", "int"),
    iu.Col("cabins_per_10k", "Valstugor per 10 000 röstberättigade", "dec2"),
    iu.Col("near_pct", f"Röstberättigade inom {km} km (%)", "pct"),
    iu.Col("eligible", f"Röstberättigade kommunvalet {b} (antal)", "int"),
    iu.Col("share_to", f"Andel {b} (%)", "pct"),
    iu.Col("change_pp", f"Förändring {a}–{b} (p.e.)", "pp"),
]
iu.table(
    df, cols, key="valstugor_tackning", file_stem=f"valstugor_tackning_{election}_{a}_{b}",
    alt="Tabell: valstugor och täckning per kommun",
    note=f"{label}, {party_name}, {period}. Aktivitetsdata: {iu.origin_caption(['valstugor'])}.",
)

st.subheader("Luckor: starka eller växande valdistrikt utan valstuga i närheten")
if n_pos == 0:
    st.info("Luckorna kan inte räknas ut utan stugornas positioner.", icon=":material/info:")
else:
    gaps, limits = aa.cabin_gaps(district_df, by=gap_by)
    parts = []
    if gap_by in ("endera", "andel") and limits["share"] is not None:
        parts.append(f"andel minst {fmt.pct(limits['share'])}")
    if gap_by in ("endera", "okning") and limits["change"] is not None:
        parts.append(f"ökning minst {fmt.pp(limits['change'])}")
    if gap_by == "okning" and limits["change"] is None:
        st.info(f"{label} {a} saknar resultat per valdistrikt, så ingen förändring per distrikt kan räknas.",
                icon=":material/info:")
    st.markdown(
        f"**{fmt.integer(len(gaps))} valdistrikt** bland länets översta fjärdedel ({' eller '.join(parts) or '–'}) "
        f"har ingen valstuga inom {km} km från distriktets mittpunkt."
        + (" Kommuner med stugor utan position kan ha fler stugor än kartan visar." if n_pos < n_cabins else "")
    )
    iu.table(
        gaps,
        [
            iu.Col("district_name", "Valdistrikt"),
            iu.Col("kommun", "Kommun"),
            iu.Col("share_to", f"Andel {b} (%)", "pct"),
            iu.Col("change_pp", f"Förändring {a}–{b} (p.e.)", "pp"),
            iu.Col("eligible", "Röstberättigade (antal)", "int"),
            iu.Col("cabin_km", "Närmaste valstuga (km)", "km"),
            iu.Col("reason", "Varför"),
            iu.Col("district_code", "Distriktskod"),
        ],
        key="valstugor_luckor", file_stem=f"valstugor_luckor_{election}_{a}_{b}",
        alt="Tabell: valdistrikt med hög andel eller stor ökning utan valstuga i närheten", height=360,
        note=f"{label}, {party_name}, {period}. Lucka = översta fjärdedelen av länets valdistrikt och ingen valstuga "
             f"inom {km} km från distriktets mittpunkt.",
    )

st.subheader("Valstugorna i data")
iu.table(
    cabins.assign(kommun=cabins["kommunkod"].map(names)),
    [
        iu.Col("namn", "Valstuga"),
        iu.Col("kommun", "Kommun"),
        iu.Col("typ", "Typ"),
        iu.Col("område", "Område"),
        iu.Col("prioriterat_område", "Prioriterat område", "yesno"),
        iu.Col("öppetdagar", "Öppetdagar (antal)", "int"),
        iu.Col("pass", "Bemannade pass (antal)", "int"),
        iu.Col("lat", "Latitud", "dec5"),
        iu.Col("lon", "Longitud", "dec5"),
        iu.Col("anteckning", "Anteckning"),
    ],
    key="valstugor_lista", file_stem=f"valstugor_{b}", alt="Tabell: valstugorna i data", height=300,
    note=f"Aktivitetsdata: {iu.origin_caption(['valstugor'])}.",
)
if activity.info("valstugor").origin == activity.ORIGIN_STANDARD:
    summary = activity.default_summary()
    lines = summary.loc[summary["typ"] == "valstugor", "formulering"].tolist()
    if lines:
        st.caption("Valutvärderingen 2023 om hela distriktet: " + "; ".join(lines) + ".")

iu.small_print(
    source=f"Aktivitetsdata: {iu.origin_caption(['valstugor'])}. Valresultat och röstberättigade: "
           f"{q.source_text((a, b))}; valdistriktens gränser 2022 (Valmyndigheten) – se Om data.",
    definition=(
        f"Valstugor per 10 000 röstberättigade = antal stugor / röstberättigade i kommunvalet {b} × 10 000. "
        f"Inom {km} km = valdistriktets mittpunkt (SWEREF 99 TM) ligger högst {km} km från en valstuga med känd "
        "position. Lucka = valdistrikt i länets översta fjärdedel efter andel eller ökning utan stuga inom "
        f"{km} km."
    ),
    data_date=q.data_date(),
)
