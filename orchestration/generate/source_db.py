"""Synthetic data into a one-stop system's database (DATA_CONTRACT §1.1 c), laid out as the reference schema
``orchestration/lib/source_db_schema.py`` (docs/source_db.md).

``write_source_db(url, records, catalogue_rows, rating_rows)`` creates the tables when absent and writes:

* ``ho_so`` and its child tables: one row per dossier, its LATEST version — a database holds the current state
  of a dossier, not its history. The generator's list may hold several versions of a dossier (same MaHoSo,
  different NgayCapNhat) and exact duplicate copies; like the file route, the max NgayCapNhat wins, ties → the
  last in list order. Child rows are numbered ``stt`` = 1-based position in the national list.
* ``thu_tuc_hanh_chinh``: the catalogue rows of ``sources.catalogue_rows`` (text cells typed: '0/1' flags →
  integers, ISO dates → dates, '' → NULL).
* ``danh_gia_ho_so``: the rating rows of ``sources.rating_rows``.

Upsert: a dossier (rating, procedure) already in the database is replaced — its row and child rows deleted and
inserted again — so writing the same data twice leaves the same database. Everything is written in one
transaction (a reader sees the old state or the new one, a failure leaves the database as it was), with
inserts in batches of ``BATCH_ROWS`` rows per executemany.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, insert

from orchestration.lib.lake_schema import JSON_TO_FLAT
from orchestration.lib.secrets import mask_url
from orchestration.lib.source_db_engine import make_source_engine
from orchestration.lib.source_db_schema import CHILDREN, DANH_GIA_HO_SO, HO_SO, THU_TUC_HANH_CHINH, metadata

BATCH_ROWS = 5_000  # rows per executemany
IN_CHUNK = 1_000  # keys per DELETE … WHERE key IN (…): well under any driver's parameter limit

TYPED_ONLY = "a database enforces types; --defect-rate applies to file extracts"

# ho_so column → national field. The flat export's column names are the schema's, so the one map serves both;
# checked here so a drift between the two fails at import, not as silently NULL columns.
HO_SO_FIELDS = {col: field for field, col in JSON_TO_FLAT.items()}
assert set(HO_SO_FIELDS) == {c.name for c in HO_SO.columns}, "lake_schema.JSON_TO_FLAT and ho_so columns differ"

_TIME_COLUMNS = {c.name for c in HO_SO.columns if c.type.python_type is datetime}
_CHILD_TIME_COLUMNS = {t: {c.name for c in metadata.tables[t].columns if c.type.python_type is datetime}
                       for t in CHILDREN}
_CATALOGUE_FLAGS = ("co_phi", "yeu_cau_kq_giay", "du_dieu_kien_toan_trinh", "doi_tuong_cong_dan", "cong_khai_day_du")


def latest_versions(records: list[dict]) -> list[dict]:
    """One record per MaHoSo: the max NgayCapNhat, ties → the last in list order (as the file route keeps it).
    Order: first appearance of each code (deterministic for a seed)."""
    best: dict = {}
    for r in records:
        code = r["MaHoSo"]
        if code not in best or r["NgayCapNhat"] >= best[code]["NgayCapNhat"]:
            best[code] = r
    return list(best.values())


def _check_time(rec: dict, field: str, value) -> None:
    # A generator defect (an impossible date kept as BadDate, …) has no typed representation: refuse it
    # rather than let the driver store text in a timestamp column (SQLite would) or fail obscurely (PostgreSQL).
    if value is not None and not isinstance(value, datetime):
        raise ValueError(f"dossier {rec.get('MaHoSo')}: {field} is not a valid time ({type(value).__name__}); "
                         f"{TYPED_ONLY}")


def dossier_rows(rec: dict) -> tuple[dict, dict[str, list[dict]]]:
    """The ``ho_so`` row of a national record and its child rows per child table."""
    row = {}
    for col, field in HO_SO_FIELDS.items():
        v = rec.get(field)
        if col in _TIME_COLUMNS:
            _check_time(rec, field, v)
        row[col] = v
    if row["ngay_cap_nhat"] is None:
        raise ValueError(f"dossier {rec.get('MaHoSo')}: NgayCapNhat is empty; the database needs it (version)")
    children: dict[str, list[dict]] = {}
    for table, (list_field, fields) in CHILDREN.items():
        rows = []
        for stt, item in enumerate(rec.get(list_field) or [], 1):
            child = {"ma_ho_so": row["ma_ho_so"], "stt": stt}
            for col, field in fields.items():
                v = item.get(field)
                if col in _CHILD_TIME_COLUMNS[table]:
                    _check_time(rec, f"{list_field}[{stt}].{field}", v)
                child[col] = v
            rows.append(child)
        children[table] = rows
    return row, children


def _empty(v) -> bool:
    return v is None or v == ""


def catalogue_row(row: dict) -> dict:
    """A procedures.csv row (text cells) typed for ``thu_tuc_hanh_chinh``."""
    out = {c.name: (None if _empty(row.get(c.name)) else row[c.name]) for c in THU_TUC_HANH_CHINH.columns}
    for f in _CATALOGUE_FLAGS:
        if out[f] is not None:
            out[f] = int(out[f])
    if out["thoi_han"] is not None:
        out["thoi_han"] = Decimal(str(out["thoi_han"]))
    for f in ("hieu_luc_tu", "hieu_luc_den"):
        if out[f] is not None and not isinstance(out[f], date):
            out[f] = date.fromisoformat(str(out[f]))
    return out


def rating_row(row: dict) -> dict:
    """A dossier_ratings.csv row (``ngay_danh_gia`` 'YYYY-MM-DD HH:MM') typed for ``danh_gia_ho_so``."""
    t = row["ngay_danh_gia"]
    return {"ma_ho_so": row["ma_ho_so"], "ngay_danh_gia": t if isinstance(t, datetime) else datetime.fromisoformat(t),
            "muc_do": None if _empty(row.get("muc_do")) else row["muc_do"]}


def _chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _delete_keys(conn, table, column: str, keys: list[str]) -> int:
    """Delete the rows whose ``column`` is in ``keys``; the number of rows deleted."""
    n = 0
    for part in _chunks(keys, IN_CHUNK):
        n += conn.execute(delete(table).where(table.c[column].in_(part))).rowcount or 0
    return n


def _insert(conn, table, rows: list[dict]) -> int:
    for part in _chunks(rows, BATCH_ROWS):
        conn.execute(insert(table), part)  # a list of dicts: executemany
    return len(rows)


def write_source_db(url: str, records: list[dict], catalogue_rows: list[dict], rating_rows: list[dict],
                    progress=None) -> dict:
    """Create the reference schema at ``url`` (tables absent only) and upsert the dossiers (latest versions)
    with their child rows, the procedure catalogue and the ratings, in one transaction.

    Returns ``{"source_db": masked url, "rows": {table: rows written}, "replaced": {table: rows that were
    already there and were replaced}}``. Raises ValueError for a record a typed column cannot hold."""
    say = progress or (lambda msg: None)
    where = mask_url(url)
    # Build every row first: a refused record stops before the database is touched.
    dossiers = latest_versions(records)
    ho_so, children = [], {t: [] for t in CHILDREN}
    for rec in dossiers:
        row, kids = dossier_rows(rec)
        ho_so.append(row)
        for t, rows in kids.items():
            children[t] += rows
    catalogue = [catalogue_row(r) for r in catalogue_rows]
    # one rating per dossier (the table's key): the latest, should the list ever hold two
    ratings = list({r["ma_ho_so"]: r for r in sorted(map(rating_row, rating_rows),
                                                      key=lambda r: r["ngay_danh_gia"])}.values())

    engine = make_source_engine(url)
    try:
        if engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
        metadata.create_all(engine)  # checkfirst: existing tables are kept as they are
        say(f"source db {where}: writing {len(ho_so):,} dossiers, {len(catalogue):,} procedures, {len(ratings):,} ratings")
        rows: dict[str, int] = {}
        replaced: dict[str, int] = {}
        with engine.begin() as conn:
            codes = [r["ma_ho_so"] for r in ho_so]
            # children first: a database without enforced foreign keys would otherwise keep orphans
            for t in CHILDREN:
                _delete_keys(conn, metadata.tables[t], "ma_ho_so", codes)
            replaced[HO_SO.name] = _delete_keys(conn, HO_SO, "ma_ho_so", codes)
            rows[HO_SO.name] = _insert(conn, HO_SO, ho_so)
            for t, child_rows in children.items():
                rows[t] = _insert(conn, metadata.tables[t], child_rows)
            replaced[THU_TUC_HANH_CHINH.name] = _delete_keys(conn, THU_TUC_HANH_CHINH, "ma_tthc",
                                                             [r["ma_tthc"] for r in catalogue])
            rows[THU_TUC_HANH_CHINH.name] = _insert(conn, THU_TUC_HANH_CHINH, catalogue)
            replaced[DANH_GIA_HO_SO.name] = _delete_keys(conn, DANH_GIA_HO_SO, "ma_ho_so", [r["ma_ho_so"] for r in ratings])
            rows[DANH_GIA_HO_SO.name] = _insert(conn, DANH_GIA_HO_SO, ratings)
        say(f"source db {where}: {rows[HO_SO.name]:,} dossiers written ({replaced[HO_SO.name]:,} replaced)")
    finally:
        engine.dispose()
    return {"source_db": where, "rows": rows, "replaced": replaced}
