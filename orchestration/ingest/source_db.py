"""Pull dossiers, ratings and the procedure catalogue from a one-stop system's database (DATA_CONTRACT §1.1 c).

Any SQLAlchemy URL works (SQLite as the embedded default, PostgreSQL in production); the reference schema is
orchestration/lib/source_db_schema.py (docs/source_db.md). What a pull does:

1. Checks the schema first: every table and column the pull reads must exist by name. A missing or renamed
   column stops the run (``SourceSchemaDrift``, naming the table, the missing columns and the likely renames)
   before anything is read or landed. Not retried: drift does not heal by waiting.
2. Reads ``ho_so`` incrementally by keyset on (ngay_cap_nhat, ma_ho_so) from the stored cursor, in bounded
   batches of ``CCHC_SOURCE_BATCH_ROWS`` (10,000) dossiers, each batch with its child rows, in one transaction
   (REPEATABLE READ on PostgreSQL, so parent and children are one snapshot). ``danh_gia_ho_so`` likewise on
   (ngay_danh_gia, ma_ho_so). The catalogue ``thu_tuc_hanh_chinh`` is read whole; it lands only when changed.
3. Each batch becomes national sync records in DuckDB (same struct as the JSON files) and goes through the very
   same reduction, row rules, pseudonymisation and quarantine as a delivered file (landing.land_dossier_source):
   personal data exists only in memory, never on disk. The landed batch is recorded with the cursor in
   ``lake/_state/source_db.json`` after every batch, so an interrupted pull resumes where it stopped and a
   re-read batch (same content, same sha256) is a no-op.
4. A later version of a dossier replaces the earlier one when its reception-month partition is rewritten
   (latest NgayCapNhat wins, whatever the route); the months to rewrite are those of the new versions and of the
   versions they replace.

Transient failures (connection refused or dropped, timeouts) are retried ``CCHC_SOURCE_RETRIES`` times (3) with
a doubling pause from ``CCHC_SOURCE_RETRY_SECONDS`` (2 s); then ``SourceUnavailable`` stops the run. Messages
show the URL masked (``postgresql://user:***@host/db``); the password never reaches a log, metadata or release.

Known limit of keyset pulls (documented, configurable): a row committed late with an NgayCapNhat older than
the cursor is not seen. ``CCHC_SOURCE_LOOKBACK_SECONDS`` (0) re-reads that many seconds before the cursor on
each pull; re-read rows that did not change land as exact duplicates of nothing new (same version ⇒ ignored).
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa

from orchestration.ingest import dossiers, lake_build, landing
from orchestration.ingest.duckdb_io import connect
from orchestration.ingest.loads import FileLoad
from orchestration.ingest.pull_state import read_pull_state, write_pull_state
from orchestration.ingest.tables import SPECS
from orchestration.lib import source_db_schema as schema
from orchestration.lib.layout import LakeFiles
from orchestration.lib.secrets import mask_url, masked_error
from orchestration.lib.settings import Settings
from orchestration.lib.source_db_engine import make_source_engine

SOURCE_PREFIX = "source_db"  # the "file" of a pulled batch: source_db/<table>/<batch>


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class SourceUnavailable(RuntimeError):
    """The source database could not be reached (after retries)."""


class SourceSchemaDrift(RuntimeError):
    """The source database lacks a table or column the pull reads."""


@dataclass
class TablePull:
    table: str  # source table
    lake_table: str
    rows_read: int = 0
    batches: int = 0
    batches_landed: int = 0  # new content (a re-read identical batch is a no-op)
    rows_loaded: int = 0
    rows_quarantined: int = 0
    cursor_before: list | None = None
    cursor_after: list | None = None
    months: list[str] = field(default_factory=list)


@dataclass
class PullReport:
    source: str  # masked URL
    started_at: str
    finished_at: str = ""
    tables: dict[str, TablePull] = field(default_factory=dict)
    extra_columns: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        parts = []
        for t in self.tables.values():
            cur = f", watermark {t.cursor_after[0]}" if t.cursor_after else ""
            parts.append(f"{t.table}: {t.rows_read} row(s) read in {t.batches} batch(es), {t.rows_loaded} loaded, "
                         f"{t.rows_quarantined} quarantined{cur}")
        return f"pulled from {self.source}: " + "; ".join(parts) + "."


def make_engine(url: str) -> sa.Engine:
    try:
        u = sa.engine.make_url(url)
    except Exception:  # SQLAlchemy's message repeats the string, password included
        raise ValueError("the source database URL cannot be parsed (not shown: it may hold a password)") from None
    if u.drivername.startswith("sqlite"):
        path = u.database
        # SQLite would silently create an empty file: a missing database is an outage, not an empty source.
        if path and path != ":memory:" and not path.startswith("file:") and not Path(path).is_file():
            raise SourceUnavailable(f"source database {mask_url(url)}: no such SQLite file")
    return make_source_engine(url)


# ------------------------------------------------------------------------------------------------ resilience
def _transient(exc: BaseException) -> bool:
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError, ConnectionError,
                            TimeoutError))


def with_retry(what: str, url: str, fn, log=print):
    """``fn()``, retried on transient database errors; ``SourceUnavailable`` (masked) when they persist."""
    attempts = max(1, _env_int("CCHC_SOURCE_RETRIES", 3) + 1)
    pause = float(os.environ.get("CCHC_SOURCE_RETRY_SECONDS", "2"))
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 — classified below; anything else propagates unchanged
            if not _transient(exc):
                raise
            msg = masked_error(getattr(exc, "orig", None) or exc, url)
            if attempt == attempts:
                raise SourceUnavailable(f"source database {mask_url(url)} unreachable while {what} "
                                        f"(tried {attempts} time(s)): {msg}") from None
            log(f"source database {mask_url(url)}: {what} failed ({msg}); retry {attempt}/{attempts - 1} in {pause:g} s")
            time.sleep(pause)
            pause *= 2


def check_schema(engine: sa.Engine) -> dict[str, list[str]]:
    """Raise ``SourceSchemaDrift`` when a table or column the pull reads is missing; return the extra columns
    per table (ignored, reported)."""
    insp = sa.inspect(engine)
    tables = set(insp.get_table_names()) | set(insp.get_view_names())
    problems, extra = [], {}
    for table, needed in schema.REQUIRED_COLUMNS.items():
        if table not in tables:
            near = difflib.get_close_matches(table, sorted(tables), n=1)
            problems.append(f"table '{table}' is missing" + (f" (is it '{near[0]}'?)" if near else ""))
            continue
        have = [c["name"] for c in insp.get_columns(table)]
        missing = [c for c in needed if c not in have]
        for col in missing:
            near = difflib.get_close_matches(col, [h for h in have if h not in needed], n=1)
            problems.append(f"column '{table}.{col}' is missing" + (f" (renamed to '{near[0]}'?)" if near else ""))
        extra[table] = [h for h in have if h not in needed]
    if problems:
        raise SourceSchemaDrift(
            "the source database does not match the reference schema (docs/source_db.md); nothing was read: "
            + "; ".join(problems) + ". Map the columns with a view of the expected names, or fix the schema.")
    return {t: cols for t, cols in extra.items() if cols}


# ------------------------------------------------------------------------------------------------ reading
def _arrow(rows: list, columns: list[str]) -> pa.Table:
    return pa.table({c: pa.array([r[c] for r in rows]) for c in columns})


def _text(col: sa.Column, expr: str) -> str:
    """A source value as the text the file routes carry: times yyyyMMddHHmmss (national sync), numbers plain."""
    if isinstance(col.type, sa.DateTime):
        return f"strftime(CAST({expr} AS TIMESTAMP), '%Y%m%d%H%M%S')"
    if isinstance(col.type, sa.Date):
        return f"strftime(CAST({expr} AS DATE), '%Y-%m-%d')"
    if isinstance(col.type, sa.Numeric):
        return f"CAST(CAST({expr} AS DOUBLE) AS VARCHAR)"
    return f"CAST({expr} AS VARCHAR)"


def _sync_records_sql() -> str:
    """``_rec``, ``d`` (the DongBoHoSoMC record struct, all text) over the registered batch tables db_<table>."""
    flat_to_json = {flat: f for f, flat in dossiers.JSON_TO_FLAT.items()}
    fields = [f"'{flat_to_json[c.name]}': {_text(c, 'h.' + c.name)}" for c in schema.HO_SO.columns]
    joins = []
    for i, (child, (list_field, cols)) in enumerate(schema.CHILDREN.items()):
        table = schema.metadata.tables[child]
        item = ", ".join(f"'{f}': {_text(table.c[c], c)}" for c, f in cols.items())
        joins.append(f"LEFT JOIN (SELECT ma_ho_so, list({{{item}}} ORDER BY stt) AS items FROM db_{child} GROUP BY ma_ho_so)"
                     f" c{i} ON c{i}.ma_ho_so = h.ma_ho_so")
        fields.append(f"'{list_field}': c{i}.items")
    return (f"SELECT CAST(row_number() OVER (ORDER BY h.ngay_cap_nhat, h.ma_ho_so) AS BIGINT) AS _rec, "
            f"{{{', '.join(fields)}}} AS d FROM db_ho_so h {' '.join(joins)}")


def _keyset(table: sa.Table, ts_col: str, cursor: list | None, upper: tuple | None = None):
    ts, key = table.c[ts_col], table.c.ma_ho_so
    cond = sa.true()
    if cursor:
        c_ts, c_key = dt.datetime.fromisoformat(cursor[0]), cursor[1]
        cond = sa.or_(ts > c_ts, sa.and_(ts == c_ts, key > c_key))
    if upper:
        cond = sa.and_(cond, sa.or_(ts < upper[0], sa.and_(ts == upper[0], key <= upper[1])))
    return cond


def _snapshot_connection(engine: sa.Engine):
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


def _lookback(cursor: list | None) -> list | None:
    seconds = _env_int("CCHC_SOURCE_LOOKBACK_SECONDS", 0)
    if not cursor or seconds <= 0:
        return cursor
    back = dt.datetime.fromisoformat(cursor[0]) - dt.timedelta(seconds=seconds)
    return [back.isoformat(sep=" "), ""]


def _batch_name(table: str, first: tuple, n_rows: int) -> str:
    return f"{SOURCE_PREFIX}/{table}/{first[0]:%Y%m%dT%H%M%S}_{first[1]}+{n_rows}"


# ------------------------------------------------------------------------------------------------ landing
def _land_dossier_batch(settings: Settings, parent: list, children: dict[str, list], now: dt.datetime):
    con = connect(threads=landing.INGEST_THREADS)
    con.register("a_ho_so", _arrow(parent, [c.name for c in schema.HO_SO.columns]))
    con.execute("CREATE TEMP TABLE db_ho_so AS SELECT * FROM a_ho_so")
    for child, rows in children.items():
        con.register(f"a_{child}", _arrow(rows, [c.name for c in schema.metadata.tables[child].columns]))
        con.execute(f"CREATE TEMP TABLE db_{child} AS SELECT * FROM a_{child}")
    con.execute(f"CREATE TEMP TABLE src__records AS {_sync_records_sql()}")
    sha = con.execute("SELECT sha256(string_agg(CAST(d AS VARCHAR), chr(10) ORDER BY _rec)) FROM src__records").fetchone()[0]
    first = (parent[0]["ngay_cap_nhat"], parent[0]["ma_ho_so"])
    rel = _batch_name("ho_so", first, len(parent))
    cached = landing.cached_load(LakeFiles(settings.lake_dir), "dossiers", sha, rel)
    if cached:
        con.close()
        return cached
    dossiers.reduce_sync_records(con, "SELECT _rec, d FROM src__records", "src")
    load = FileLoad(table="dossiers", file=rel, sha256=sha, loaded_at=now.isoformat(sep=" "))
    return landing.land_dossier_source(settings, con, load, now)


def _land_table_batch(settings: Settings, source: sa.Table, lake_table: str, rows: list, order: list[str],
                      now: dt.datetime, name: str):
    cols = [c.name for c in source.columns]
    con = connect(threads=landing.INGEST_THREADS)
    con.register("a_batch", _arrow(rows, cols))
    texts = ", ".join(f"{_text(source.c[c], c)} AS {c}" for c in cols)
    con.execute(f"CREATE TEMP TABLE src AS SELECT CAST(row_number() OVER (ORDER BY {', '.join(order)}) AS BIGINT) AS _rec,"
                f" {texts} FROM a_batch")
    sha = con.execute("SELECT sha256(string_agg(CAST(s AS VARCHAR), chr(10) ORDER BY _rec)) FROM src s").fetchone()[0]
    cached = landing.cached_load(LakeFiles(settings.lake_dir), lake_table, sha, name)
    if cached:
        con.close()
        return cached
    load = FileLoad(table=lake_table, file=name, sha256=sha, loaded_at=now.isoformat(sep=" "))
    return landing.land_table_source(settings, SPECS[lake_table], con, load, cols, now)


# ------------------------------------------------------------------------------------------------ the pull
def pull(settings: Settings, url: str, log=print, batch_rows: int | None = None) -> PullReport:
    """One incremental pull of every source table into the lake's landed files (see the module docstring)."""
    batch_rows = batch_rows or _env_int("CCHC_SOURCE_BATCH_ROWS", 10_000)
    now = landing.now_local()
    report = PullReport(source=mask_url(url), started_at=now.isoformat(sep=" "))
    engine = make_engine(url)
    try:
        report.extra_columns = with_retry("checking the schema", url, lambda: check_schema(engine), log)
        state = read_pull_state(settings.lake_dir)
        state["source"] = report.source
        tables = state.setdefault("tables", {})
        _pull_catalogue(settings, engine, url, tables, report, now, log)
        write_pull_state(settings.lake_dir, state)
        _pull_incremental(settings, engine, url, state, report, now, log, schema.HO_SO, "ngay_cap_nhat", "dossiers",
                          batch_rows)
        _pull_incremental(settings, engine, url, state, report, now, log, schema.DANH_GIA_HO_SO, "ngay_danh_gia",
                          "ratings", batch_rows)
        report.finished_at = landing.now_local().isoformat(sep=" ")
        state.setdefault("pulls", []).append({
            "started_at": report.started_at, "finished_at": report.finished_at,
            "rows_read": {t.table: t.rows_read for t in report.tables.values()},
            "watermarks": {t.table: t.cursor_after for t in report.tables.values()}})
        state["pulls"] = state["pulls"][-50:]
        write_pull_state(settings.lake_dir, state)
    finally:
        engine.dispose()
    return report


def _pull_catalogue(settings, engine, url, tables, report, now, log) -> None:
    src = schema.THU_TUC_HANH_CHINH
    info = report.tables["thu_tuc_hanh_chinh"] = TablePull("thu_tuc_hanh_chinh", "procedures")

    def read():
        with engine.connect() as conn:
            return conn.execute(sa.select(src).order_by(src.c.ma_tthc)).mappings().all()

    rows = with_retry("reading the procedure catalogue", url, read, log)
    info.rows_read, info.batches = len(rows), 1
    if not rows:
        log("source database: the procedure catalogue (thu_tuc_hanh_chinh) is empty — procedure codes not checked")
        return
    load = _land_table_batch(settings, src, "procedures", rows, ["ma_tthc"], now, f"{SOURCE_PREFIX}/thu_tuc_hanh_chinh/snapshot")
    entry = tables.setdefault("procedures", {"loads": []})
    if load.status == "landed":
        info.batches_landed = 1
        entry["loads"] = [asdict(load)]  # the latest snapshot replaces the previous one (a withdrawn procedure goes)
    info.rows_loaded, info.rows_quarantined = load.rows_loaded, load.rows_quarantined
    log(f"source catalogue: {len(rows)} procedure(s), {'new snapshot landed' if load.status == 'landed' else 'unchanged'}")


def _pull_incremental(settings, engine, url, state, report, now, log, src: sa.Table, ts_col: str, lake_table: str,
                      batch_rows: int) -> None:
    entry = state["tables"].setdefault(lake_table, {"cursor": None, "loads": [], "pending_months": []})
    info = report.tables[src.name] = TablePull(src.name, lake_table, cursor_before=entry.get("cursor"))
    cursor = _lookback(entry.get("cursor"))
    is_dossier = src is schema.HO_SO
    while True:
        def read(cursor=cursor):
            with _snapshot_connection(engine) as conn:
                stmt = (sa.select(src).where(_keyset(src, ts_col, cursor))
                        .order_by(src.c[ts_col], src.c.ma_ho_so).limit(batch_rows))
                rows = conn.execute(stmt).mappings().all()
                children = {}
                if rows and is_dossier:
                    upper = (rows[-1][ts_col], rows[-1]["ma_ho_so"])
                    in_batch = _keyset(src, ts_col, cursor, upper)
                    for child in schema.CHILDREN:
                        t = schema.metadata.tables[child]
                        q = (sa.select(*t.columns).select_from(t.join(src, src.c.ma_ho_so == t.c.ma_ho_so))
                             .where(in_batch).order_by(t.c.ma_ho_so, t.c.stt))
                        children[child] = conn.execute(q).mappings().all()
                return rows, children

        rows, children = with_retry(f"reading {src.name}", url, read, log)
        if not rows:
            break
        if is_dossier:
            load = _land_dossier_batch(settings, rows, children, now)
        else:
            first = (rows[0][ts_col], rows[0]["ma_ho_so"])
            load = _land_table_batch(settings, src, lake_table, rows, [ts_col, "ma_ho_so"], now,
                                     _batch_name(src.name, first, len(rows)))
        info.rows_read += len(rows)
        info.batches += 1
        cursor = [rows[-1][ts_col].isoformat(sep=" "), rows[-1]["ma_ho_so"]]
        if load.status == "landed":
            info.batches_landed += 1
            info.rows_loaded += load.rows_loaded
            info.rows_quarantined += load.rows_quarantined
            # months to rewrite: the new versions' and those of the versions they replace
            months = set(load.months) | lake_build.months_holding(settings, lake_table, [load])
            entry["loads"].append(asdict(load))
            entry["pending_months"] = sorted(set(entry.get("pending_months", [])) | months)
            info.months = sorted(set(info.months) | months)
        # the cursor moves with the batch it covers, in one state write: a crash re-reads at most this batch
        entry["cursor"] = cursor
        write_pull_state(settings.lake_dir, state)
        log(f"source {src.name}: batch {info.batches} — {len(rows)} row(s) read up to {cursor[0]} "
            f"({load.status}: loaded {load.rows_loaded}, quarantined {load.rows_quarantined})")
        if len(rows) < batch_rows:
            break
    info.cursor_after = entry.get("cursor")
