"""Om data: sources, definitions, known gaps and when the data was built."""
import streamlit as st

from dashboard import state, ui
from dashboard import queries as q

ui.ensure_entrypoint()

st.title("Var kommer siffrorna ifrån?")
years = tuple(sorted({int(y) for y in q.coverage()["year"]}))
copies = q.copied_sources()
st.markdown(
    f"Data byggdes **{q.data_date()}**. Alla siffror i Valrummet räknas fram ur källfilerna; inget är inskrivet "
    "för hand. Vem som publicerade siffrorna för varje valår, och hur långt räkningen hade kommit:"
)
st.markdown("\n".join(f"- {line}" for line in q.source_lines(years)))
if len(copies):
    st.caption(
        "Valmyndighetens egna resultatfiler för 2026 har inte kunnat hämtas ännu. Siffrorna kommer från kopior av "
        "Valmyndighetens resultat som andra har publicerat – var och en kontrollerad, se ”Källor för valet 2026” "
        "nedan. De ersätts av Valmyndighetens egna filer när de importeras (python -m dashboard import-results, "
        "eller sidan Importera): en importerad fil går före kopian för samma val, nivå och område, och slutlig "
        "räkning går före preliminär."
    )

st.header("Definitioner")
st.markdown(
    f"""
- **Andel** – partiets röster delat med antalet **giltiga röster** × 100. Andelar räknas med full precision
  och avrundas först när de visas (två decimaler, t.ex. 11,73 %).
- **Förändring** – skillnaden mellan två andelar, i **procentenheter (p.e.)**: +1,67 p.e. betyder att
  andelen steg med 1,67 procentenheter (inte procent).
- **Valdeltagande** – antal röstande (giltiga och ogiltiga valsedlar) delat med antalet röstberättigade × 100.
- **Röstberättigade** – de som fick rösta i valet. I kommun- och regionval ingår vissa utländska medborgare,
  så antalet skiljer sig från riksdagsvalet.
- **Riksdagsvalkretsar** – Stockholms kommun är en egen valkrets (01): **{state.VALKRETS_CITY}**.
  Riksdagsvalkretsen ”Stockholms län” (02) **är länet utom Stockholms stad**; i Valrummet heter den
  **{state.VALKRETS_REST}**. **{state.COUNTY_FULL}** i riksdagsvalet är de två valkretsarna tillsammans.
- **Regionval** – **{state.REGION_FULL}**: Region Stockholms fullmäktige gäller hela länet.
- **Kommunval, hela länet** – **{state.KOMMUN_SUM}**: summan av de 26 kommunernas kommunval.
- **Preliminärt, valnatten** – valnattens preliminära räkning. Den saknar bland annat förtidsröster som räknas
  först efter valdagen, så siffrorna ändras något i den slutliga räkningen. Varje sådan siffra är märkt
  ”preliminärt” där den visas, och topplistor och antal säger hur många kommuner som vilar på den.
- **Uppsamlingsdistrikt** – förtidsröster som inte kunde fördelas på ett valdistrikt (2022: ”Förtidsröster ej
  fördelade efter valdistrikt”, 2018: ”Uppsamlingsdistrikt”). De räknas in i kommunens summa men har ingen yta
  på kartan och jämförs inte mellan valen.
- **Jämförelse av valdistrikt** – distriktsgränser ändras mellan valen. Ett distrikt jämförs bara om samma
  distriktskod finns båda åren; har antalet röstberättigade ändrats mer än 20 %, eller har distriktet bytt namn,
  flaggas det, eftersom gränserna kan ha ändrats ändå.
- **Uppgift saknas** – siffran finns inte i källorna. Den visas aldrig som 0.
"""
)

st.header("Kända luckor")
prel_2026 = q.preliminary_in(2026) if 2026 in years else []
gaps = [
    "- **Kommunvalet 2018**: bara andelar per parti finns i källorna. Röstetalen är härledda ur de exakta andelarna "
    "(och stämmer med Upplands Väsbys egna siffror); **antalet röstberättigade saknas**, så valdeltagandet i "
    "kommunvalet 2018 är ”uppgift saknas”. Det finns inga resultat per valdistrikt för kommunvalet 2018.",
]
if prel_2026:
    gaps.append(
        "- **Valet 2026**: riksdags-, region- och kommunvalet finns per kommun och för hela länet. Bara "
        f"**preliminärt (valnatten)** finns: {', '.join(prel_2026)}."
        + (" Riksdagsvalet per valdistrikt 2026 har bara de ordinarie valdistrikten (inga uppsamlingsdistrikt, "
           "inga sent räknade förtidsröster) och inga röstberättigade, så valdeltagande per valdistrikt 2026 saknas."
           if "calcetinletal_rd2026_valdistrikt" in set(copies["id"]) else "")
    )
gaps += [
    "- **Små partier per valdistrikt**: SCB:s distriktstabeller slår ihop alla partier utanför riksdagen till "
    "”övriga partier”. Lokala partier finns därför per kommun men inte per valdistrikt.",
    "- **Röstetal inom ±1**: i några fall (små partier i Stockholms stad 2022) är röstetalet bara känt inom ett "
    "intervall; då visas intervallet.",
    f"- **Karta över valdistrikt** finns bara för {', '.join(map(str, q.district_geo_years())) or '–'}. Valdistrikt "
    "från ett år utan karta ritas på närmaste års karta där koden finns där; övriga står bara i tabellen. Samma kod "
    "betyder inte alltid samma gränser, och ett distrikt som bytt namn flaggas.",
]
st.markdown("\n".join(gaps))

notes = q.area_notes_table()
if len(notes):
    st.subheader("Anmärkningar om enskilda områden")
    ui.table(
        notes,
        [ui.Col("val", "Val"), ui.Col("year", "År"), ui.Col("niva", "Nivå"), ui.Col("area_code", "Kod"),
         ui.Col("note", "Anmärkning")],
        key="om_data_anmarkningar",
        file_stem="anmarkningar_omraden",
        alt="Tabell över anmärkningar om enskilda områden, t.ex. ett resultat som källan anger två gånger",
        note=f"Ur data/area_notes.parquet. Data byggd {q.data_date()}.",
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
        ui.Col("n_preliminary", "Varav preliminärt räknade (antal områden)", "int"),
        ui.Col("sources", "Källa (se nedan)"),
    ],
    key="om_data_tackning",
    file_stem="datatackning_stockholms_lan",
    alt="Tabell över vilka val, år och nivåer som finns i data för Stockholms län",
    note=f"Stockholms län. Data byggd {q.data_date()}.",
)

if len(copies):
    st.header("Källor för valet 2026")
    st.markdown(
        "Kopior av Valmyndighetens resultat 2026 ur andras publika repon, med den commit de kopierades från. "
        "Var och en kontrollerades när data byggdes (kontrollerna står under varje källa). **De ersätts av "
        "Valmyndighetens egna resultatfiler när de importeras** (`python -m dashboard import-results` eller sidan "
        "Importera): en importerad fil går före kopian för samma val, nivå och område, och slutlig räkning går före "
        "preliminär."
    )
    ui.table(
        copies,
        [ui.Col("id", "Källa"), ui.Col("origin_repository", "Repo (github.com)"), ui.Col("origin_path", "Fil i repot"),
         ui.Col("origin_commit", "Commit"), ui.Col("rakning", "Räkning"), ui.Col("path", "Kopia i data"),
         ui.Col("sha256", "SHA-256")],
        key="om_data_kopior",
        file_stem="kallor_2026",
        alt="Tabell över källorna för valet 2026: repo, commit, räkning och kontrollsumma",
        note=f"Ur data/build_info.json. Data byggd {q.data_date()}.",
    )
    for source_id in dict.fromkeys(f for f in q.build_files()["id"] if "2026" in f):
        with st.expander(f"{source_id}: ursprung, räkning, kontroller", icon=":material/fact_check:"):
            st.markdown(q.source_section(source_id) or "Ingen beskrivning i data/SOURCES.md.")

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
