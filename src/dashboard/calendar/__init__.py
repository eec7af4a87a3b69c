"""The booking calendar (issue 20): speakers', candidates' and the big activities' bookings.

Modules (importing this package loads nothing heavy; the launcher imports `http` at start):

* `model` – types, statuses, decisions and who may take them, Swedish time;
* `config` – the rules (travel buffer, visit limit, weeks) from config/calendar.toml;
* `db` – SQLite (WAL) or PostgreSQL through SQLAlchemy Core, the schema under Alembic;
* `store` – people, requests, decisions with history, queries, subscriptions;
* `conflicts` – the checks shown before confirming, and the coverage of priority units;
* `importer`, `ics` – CSV/XLSX/.ics import with row-level errors, and .ics export;
* `views` – the month grid, the week and list tables (pure);
* `pagedata` – the pages' cached reads (per store revision);
* `http` – the subscribable .ics URLs of `python -m dashboard serve`.

See docs/calendar.md.
"""
