"""Importera (internal): activity files (validate, store, history, restore, templates) and
Valmyndigheten's result zips (issue 6)."""
import pandas as pd
import streamlit as st

from dashboard import activity, fmt, state, ui, upload_guard
from dashboard import internal_ui as iu
from dashboard import queries as q
from dashboard.errors import ValrummetError
from dashboard.paths import data_dir
from dashboard.state import ELECTION_LABEL
from dashboard.vm_import import ImportRefused, import_files, import_history

ui.ensure_entrypoint()

TYPES = list(activity.SCHEMAS)
TYPE_LABEL = {t: activity.SCHEMAS[t].label for t in TYPES}
AUTO = "auto"
RESULT_KEY = "importera_aktivitet_resultat"
VM_RESULT_KEY = "importera_resultat_resultat"

st.title("Importera data")
iu.activity_notice()

part = state.choice_selector(
    "Vad vill du importera?", {"aktivitet": "Aktivitetsfiler", "resultat": "Valresultat"}, "aktivitet", key="del",
    help="Distriktets egna filer om valrörelsen, eller Valmyndighetens resultatfiler för ett nytt val.",
)


def _issues_frame(issues) -> pd.DataFrame:
    return pd.DataFrame(
        [{"rad": i.row, "kolumn": i.column, "fel": i.message} for i in issues], columns=["rad", "kolumn", "fel"]
    ).astype({"rad": "Int64"})


def _report_state(report, saved: str | None = None, previous: str | None = None) -> dict:
    return {
        "ok": report.ok, "summary": report.summary(), "typ": report.typ, "saved": saved, "previous": previous,
        "errors": _issues_frame(report.errors), "warnings": _issues_frame(report.warnings),
        "file": report.source_name,
    }


def _check(store: bool) -> None:
    upload = st.session_state.get("aktivitet_fil")
    if upload is None:
        return
    typ = st.session_state.get("filtyp", AUTO)
    typ = None if typ in (None, AUTO) else typ
    if store:
        try:
            res = activity.import_file(upload, typ, name=upload.name)
        except activity.ActivityValidationError as exc:
            st.session_state[RESULT_KEY] = _report_state(exc.report)
            return
        st.session_state[RESULT_KEY] = _report_state(res.report, res.version, res.previous)
    else:
        st.session_state[RESULT_KEY] = _report_state(activity.validate(upload, typ, name=upload.name))


def _restore() -> None:
    typ, version = st.session_state.get("historik_typ"), st.session_state.get("historik_version")
    if typ and version:
        activity.restore(typ, version)
        st.session_state["importera_aterstalld"] = (typ, version)
        st.session_state.pop(RESULT_KEY, None)  # the last upload's message no longer describes what is current


def _import_results(dry_run: bool) -> None:
    files = st.session_state.get("resultat_filer") or []
    try:
        summary = import_files(list(files), data_dir(), dry_run=dry_run, prepare=True)
    except ImportRefused as exc:
        st.session_state[VM_RESULT_KEY] = {"ok": False, "problems": exc.problems, "dry_run": dry_run}
        return
    except ValrummetError as exc:
        st.session_state[VM_RESULT_KEY] = {"ok": False, "problems": [str(exc)], "dry_run": dry_run}
        return
    if not dry_run and summary.imported:
        # The warehouse changed: reload it and forget every cached result and figure.
        q.clear_caches()
        st.cache_data.clear()
    st.session_state[VM_RESULT_KEY] = {"ok": True, "message": summary.message(), "dry_run": dry_run,
                                       "files": summary.to_frame()}


if part == "aktivitet":
    st.subheader("Ladda upp en aktivitetsfil")
    st.caption(
        "CSV (semikolon, komma eller tabb; UTF-8 med eller utan BOM, UTF-16 som Excels ”Unicode-text”, eller "
        "Windows-1252) eller Excel (.xlsx). Filen "
        "kontrolleras först och alla fel visas på en gång; en fil med något fel sparar ingenting. En godkänd fil "
        "ersätter den aktuella versionen av sin filtyp – den tidigare sparas och kan återställas nedan."
    )
    with st.container(horizontal=True, vertical_alignment="bottom", key="aktivitet_val"):
        st.selectbox(
            "Filtyp", [AUTO, *TYPES], format_func=lambda t: "Känn igen från kolumnerna" if t == AUTO else TYPE_LABEL[t],
            key="filtyp", bind="query-params", help="Utan val gissas filtypen från kolumnrubrikerna.",
        )
        upload = st.file_uploader("Fil", type=["csv", "txt", "xlsx", "xlsm"], key="aktivitet_fil")
        upload_guard.uploader_shown()  # the server accepts this session's uploads only now
    with st.container(horizontal=True, key="aktivitet_knappar"):
        st.button("Kontrollera", key="aktivitet_kontrollera", on_click=_check, args=(False,), disabled=upload is None,
                  icon=":material/fact_check:")
        st.button("Kontrollera och spara", key="aktivitet_spara", on_click=_check, args=(True,), type="primary",
                  disabled=upload is None, icon=":material/save:")

    result = st.session_state.get(RESULT_KEY)
    if result:
        if result["ok"] and result["saved"]:
            st.success(
                f"{fmt.md_text(result['summary'])} Sparad som version {result['saved']} av "
                f"{TYPE_LABEL[result['typ']].lower()} "
                f"(föregående: {result['previous']}).", icon=":material/check_circle:")
        elif result["ok"]:
            st.success(f"{fmt.md_text(result['summary'])} Ingenting är sparat än.", icon=":material/check_circle:")
        else:
            st.error(f"{fmt.md_text(result['summary'])} Rätta felen nedan i filen och ladda upp den igen.",
                     icon=":material/error:",
                     title=f"{fmt.integer(len(result['errors']))} fel i {fmt.md_text(result['file'])}")
            iu.table(
                result["errors"], [iu.Col("rad", "Rad", "int"), iu.Col("kolumn", "Kolumn"), iu.Col("fel", "Fel")],
                key="aktivitet_fel", file_stem="importfel", alt="Tabell: alla fel i filen", height=300,
                note=f"Fel i {result['file']}. Radnummer som i kalkylbladet (rubrikraden inräknad).",
            )
        if len(result["warnings"]):
            st.warning("  \n".join(
                fmt.md_text(f"rad {w.rad}, kolumn '{w.kolumn}': {w.fel}" if pd.notna(w.rad) and w.kolumn else
                            f"kolumn '{w.kolumn}': {w.fel}" if w.kolumn else str(w.fel))
                for w in result["warnings"].itertuples()
            ), icon=":material/warning:", title="Varningar (sparas ändå)")

    st.subheader("Vad som visas nu")
    status = activity.status()
    status["importerad"] = status["imported_at"].map(lambda v: v[:16].replace("T", " ") if isinstance(v, str) else None)
    iu.table(
        status,
        [iu.Col("label", "Filtyp"), iu.Col("origin_label", "Ursprung"), iu.Col("rows", "Rader (antal)", "int"),
         iu.Col("version", "Version"), iu.Col("importerad", "Importerad"), iu.Col("source_name", "Fil")],
        key="aktivitet_status", file_stem="aktivitetsdata_status", alt="Tabell: aktuell version per filtyp",
    )

    st.subheader("Historik och återställning")
    htyp = st.selectbox("Filtyp", TYPES, format_func=TYPE_LABEL.get, key="historik_typ", bind="query-params")
    hist = activity.history(htyp)
    hist["importerad_txt"] = hist["importerad"].map(lambda v: v[:19].replace("T", " ") if isinstance(v, str) else None)
    hist["ursprung_txt"] = hist["ursprung"].map(activity.ORIGIN_LABELS).fillna(hist["ursprung"])
    iu.table(
        hist,
        [iu.Col("version", "Version"), iu.Col("importerad_txt", "Importerad"), iu.Col("ursprung_txt", "Ursprung"),
         iu.Col("fil", "Fil"), iu.Col("rader", "Rader (antal)", "int"), iu.Col("aktuell", "Aktuell", "yesno")],
        key="aktivitet_historik", file_stem=f"historik_{htyp}", alt=f"Tabell: alla versioner av {TYPE_LABEL[htyp]}",
    )
    with st.container(horizontal=True, vertical_alignment="bottom", key="historik_val"):
        versions = list(hist["version"])
        st.selectbox("Version", versions, key="historik_version",
                     format_func=lambda v: "inbyggd standarddata" if v == "standard" else v,
                     help="Inga versioner tas bort: återställning flyttar bara pekaren till en tidigare version.")
        st.button("Gör vald version aktuell", key="historik_aterstall", on_click=_restore, icon=":material/history:")
    restored = st.session_state.pop("importera_aterstalld", None)
    if restored:
        st.success(f"{TYPE_LABEL[restored[0]]}: version {restored[1]} är nu aktuell.", icon=":material/check_circle:")

    st.subheader("Mallar")
    st.caption("En mall per filtyp med rätt kolumnrubriker. Excel-mallen har ett blad med instruktioner. "
               "Kolumnerna beskrivs i data/activity/README.md.")
    with st.grid(2, gap="small", min_column_width=280):
        for t in TYPES:
            with st.container(border=True, horizontal=True, vertical_alignment="center", key=f"mall_{t}"):
                st.markdown(f"**{TYPE_LABEL[t]}**")
                st.download_button("CSV", data=lambda t=t: activity.template_csv(t), file_name=f"{t}.csv",
                                   mime="text/csv", icon=":material/download:", on_click="ignore", key=f"mall_{t}_csv")
                st.download_button(
                    "Excel", data=lambda t=t: activity.template_xlsx(t), file_name=f"{t}.xlsx",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    icon=":material/download:", on_click="ignore", key=f"mall_{t}_xlsx")
else:
    st.subheader("Valmyndighetens resultatfiler")
    st.caption(
        "Zip-filer från resultat.val.se (t.ex. Val_2026_slutlig_01_RF.zip), gärna med index.md5. Allt kontrolleras "
        "innan något sparas: ett enda fel stoppar hela importen och ingenting ändras. En slutlig räkning ersätter en "
        "preliminär för samma val och område, aldrig tvärtom."
    )
    files = st.file_uploader("Resultatfiler (.zip) och index.md5", type=["zip", "md5"], accept_multiple_files=True,
                             key="resultat_filer")
    upload_guard.uploader_shown()
    with st.container(horizontal=True, key="resultat_knappar"):
        st.button("Kontrollera", key="resultat_kontrollera", on_click=_import_results, args=(True,),
                  disabled=not files, icon=":material/fact_check:")
        st.button("Kontrollera och importera", key="resultat_importera", on_click=_import_results, args=(False,),
                  type="primary", disabled=not files, icon=":material/upload:")
    result = st.session_state.get(VM_RESULT_KEY)
    if result:
        if result["ok"]:
            st.success("  \n".join(fmt.md_text(line) for line in result["message"].splitlines()),
                       icon=":material/check_circle:",
                       title="Kontrollerat – inget sparat" if result["dry_run"] else "Importerat")
        else:
            st.error("  \n".join(f"• {fmt.md_text(p)}" for p in result["problems"]), icon=":material/error:",
                     title="Importen avbröts – ingenting har ändrats.")

    st.subheader("Importerade resultatfiler")
    hist = import_history(data_dir())
    if hist.empty:
        st.info("Inga resultatfiler är importerade. Sidorna visar de inbyggda officiella resultaten.",
                icon=":material/info:")
    else:
        hist = hist.assign(
            val=hist["election"].map(ELECTION_LABEL),
            rakning=hist["count_status"].map({"final": "slutlig", "preliminary": "preliminär"}),
            importerad=hist["imported_at"].str.slice(0, 19).str.replace("T", " "),
            distrikt=[f"{fmt.integer(c)} av {fmt.integer(t)}" for c, t in
                      zip(hist["districts_counted"], hist["districts_total"])],
        )
        iu.table(
            hist,
            [iu.Col("importerad", "Importerad"), iu.Col("file", "Fil"), iu.Col("val", "Val"),
             iu.Col("year", "År", "text"), iu.Col("area_code", "Område"), iu.Col("rakning", "Räkning"),
             iu.Col("distrikt", "Räknade valdistrikt"), iu.Col("current", "I data nu", "yesno"),
             iu.Col("sha256", "SHA-256")],
            key="resultat_historik", file_stem="importerade_resultatfiler",
            alt="Tabell: importerade resultatfiler med kontrollsummor",
            note="Varje importerad resultatfil: tid, fil, val, område, preliminär/slutlig och SHA-256.",
        )

iu.small_print(
    source="Aktivitetsfiler från distriktet (mallar ovan); resultatfiler från Valmyndigheten (resultat.val.se).",
    definition=("Aktivitetsfiler: data/activity/README.md. Resultatfiler: docs/importing-results.md. Varje import "
                "sparas som en egen version; inget skrivs över."),
    data_date=q.data_date(),
)
