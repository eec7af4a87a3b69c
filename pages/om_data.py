"""Om data: sources, definitions, known gaps and when the data was built."""
import streamlit as st

from dashboard import ui
from dashboard import queries as q

ui.ensure_entrypoint()

st.title("Var kommer siffrorna ifrån?")
st.markdown(
    f"Data byggdes **{q.data_date()}** från officiella resultatfiler (SCB och Valmyndigheten). "
    "Alla siffror i Valrummet räknas fram ur de filerna; inget är inskrivet för hand."
)

st.header("Definitioner")
st.markdown(
    """
- **Andel** – partiets röster delat med antalet **giltiga röster** × 100. Andelar räknas med full precision
  och avrundas först när de visas (två decimaler, t.ex. 11,73 %).
- **Förändring** – skillnaden mellan två andelar, i **procentenheter (p.e.)**: +1,67 p.e. betyder att
  andelen steg med 1,67 procentenheter (inte procent).
- **Valdeltagande** – antal röstande (giltiga och ogiltiga valsedlar) delat med antalet röstberättigade × 100.
- **Röstberättigade** – de som fick rösta i valet. I kommun- och regionval ingår vissa utländska medborgare,
  så antalet skiljer sig från riksdagsvalet.
- **Riksdagsvalkretsar** – Stockholms kommun är en egen valkrets (01). Riksdagsvalkretsen **”Stockholms län” (02)
  är länet utom Stockholms stad**. ”Hela länet” i riksdagsvalet är de två valkretsarna tillsammans.
- **Regionval** – Region Stockholms fullmäktige; gäller hela länet.
- **Kommunval, hela länet** – summan av de 26 kommunernas kommunval.
- **Uppsamlingsdistrikt** – förtidsröster som inte kunde fördelas på ett valdistrikt (2022: ”Förtidsröster ej
  fördelade efter valdistrikt”, 2018: ”Uppsamlingsdistrikt”). De räknas in i kommunens summa men har ingen yta
  på kartan och jämförs inte mellan valen.
- **Jämförelse av valdistrikt** – distriktsgränser ändras mellan valen. Ett distrikt jämförs bara om samma
  distriktskod finns båda åren; har antalet röstberättigade ändrats mer än 20 % flaggas det, eftersom gränserna
  kan ha ändrats ändå.
- **Uppgift saknas** – siffran finns inte i källorna. Den visas aldrig som 0.
"""
)

st.header("Kända luckor")
st.markdown(
    """
- **Kommunvalet 2018**: bara andelar per parti finns i källorna. Röstetalen är härledda ur de exakta andelarna
  (och stämmer med Upplands Väsbys egna siffror); **antalet röstberättigade saknas**, så valdeltagandet i
  kommunvalet 2018 är ”uppgift saknas”. Det finns inga resultat per valdistrikt för kommunvalet 2018.
- **Valet 2026**: bara **riksdagsvalet**, och bara per **riksdagsvalkrets**: Stockholms kommun (= kommunen 0180)
  och Stockholms län (de övriga 25 kommunerna tillsammans). Region- och kommunval 2026 och siffror per kommun
  utanför Stockholm finns inte.
- **Små partier per valdistrikt**: SCB:s distriktstabeller slår ihop alla partier utanför riksdagen till
  ”övriga partier”. Lokala partier finns därför per kommun men inte per valdistrikt.
- **Röstetal inom ±1**: i några fall (små partier i Stockholms stad 2022) är röstetalet bara känt inom ett
  intervall; då visas intervallet.
- **Karta över valdistrikt** finns bara för 2022.
"""
)

st.subheader("Vad som finns i data")
cov = q.coverage_table()
ui.table(
    cov,
    [
        ui.Col("val", "Val"),
        ui.Col("year", "År"),
        ui.Col("niva", "Nivå"),
        ui.Col("n_areas", "Antal områden", "int"),
        ui.Col("n_with_valid", "Med röstantal (antal områden)", "int"),
        ui.Col("n_with_eligible", "Med röstberättigade (antal områden)", "int"),
        ui.Col("rakning", "Räkning"),
    ],
    key="om_data_tackning",
    file_stem="datatackning_stockholms_lan",
    alt="Tabell över vilka val, år och nivåer som finns i data för Stockholms län",
    note=f"Stockholms län. Data byggd {q.data_date()}.",
)

st.header("Källor")
sources = q.sources_markdown()
if sources:
    with st.expander("Källförteckning (data/SOURCES.md)", icon=":material/description:"):
        st.markdown(sources)
files = q.build_files()
if len(files):
    st.subheader("Filer som data byggdes från")
    ui.table(
        files,
        [ui.Col("id", "Källa"), ui.Col("path", "Fil"), ui.Col("sha256", "SHA-256")],
        key="om_data_filer",
        file_stem="kallfiler",
        alt="Tabell över källfilerna med kontrollsummor",
        note=f"Data byggd {q.data_date()}.",
    )

st.subheader("Importerade resultatfiler från Valmyndigheten")
imported = q.imported_results()
if imported.empty:
    st.caption("Inga resultatfiler har importerats; allt ovan kommer från byggsteget.")
else:
    ui.table(
        imported,
        [
            ui.Col("imported_at", "Importerad"),
            ui.Col("val", "Val"),
            ui.Col("year", "År"),
            ui.Col("file", "Fil"),
            ui.Col("rakning", "Räkning"),
            ui.Col("senasteUppdateringstid", "Filens tid (Valmyndigheten)"),
            ui.Col("sha256", "SHA-256"),
            ui.Col("i_bruk", "Används nu"),
        ],
        key="om_data_importer",
        file_stem="importerade_resultatfiler",
        alt="Tabell över importerade resultatfiler med tid, räkning och kontrollsumma",
        note="En slutlig räkning ersätter en preliminär för samma val.",
    )
