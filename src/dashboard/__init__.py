"""Valrummet: election analysis for Vänsterpartiet Storstockholm.

Layout: `build/` turns official files into `data/`; `db.py` runs the named SQL queries in `sql/`;
`queries.py` caches them for Streamlit; `charts.py`/`maps.py` are pure figure builders;
`seats.py` is the seat engine; `activity/` imports the district's own files.
"""
