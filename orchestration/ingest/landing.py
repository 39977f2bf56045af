"""Landing one raw file into the lake: read it, check every record against the row rules and the reference data,
pseudonymise personal data, and write one immutable landed Parquet (keyed by the file's sha256), its quarantined
records and its load manifest (where: orchestration.lib.layout.LakeFiles).

Re-delivering a file with the same content is a no-op (its sha256 is already landed). Every file's row
accounting holds and is recorded: rows read = rows loaded + rows quarantined + exact duplicates dropped.
Many files at once: ``workers.land_files``; the lake tables built from the landed files: ``lake_build``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from orchestration.ingest import dossiers, sql
from orchestration.ingest.duckdb_io import connect, copy_parquet, replacing, used_params
from orchestration.ingest.errors import FileRejected, QuarantineLimitExceeded, reader_error_detail
from orchestration.ingest.loads import FileLoad
from orchestration.ingest.raw_root import check_inside_raw_root, is_json, sha256_file
from orchestration.ingest.readers import TABULAR_SUFFIXES, read_tabular
from orchestration.ingest.references import agencies_reference, procedures_reference, units_reference
from orchestration.ingest.tables import MAX_EXPECTATIONS, SPECS, TableSpec
from orchestration.lib import lake_schema
from orchestration.lib.layout import LakeFiles
from orchestration.lib.settings import LOCAL_TZ, Settings

log = logging.getLogger(__name__)

# The landing's process tuning (how fast, never what is landed), read from the environment: DuckDB threads per
# landing connection (one: see land_table_file) and worker processes (``ingest_workers``).
INGEST_THREADS = int(os.environ.get("CCHC_INGEST_THREADS", "1"))


def ingest_workers() -> int:
    """Worker processes landing raw files side by side (``CCHC_INGEST_WORKERS``, default: the cores, at most 4;
    the pool: workers.land_files; the release's workbooks use as many). Each lands whole files with its own
    single-threaded DuckDB (INGEST_THREADS), so a national month of ~170 batch files uses every core without one big
    multi-threaded statement."""
    return max(1, int(os.environ.get("CCHC_INGEST_WORKERS", min(4, os.cpu_count() or 1))))


def now_local() -> dt.datetime:
    return dt.datetime.now(ZoneInfo(LOCAL_TZ)).replace(tzinfo=None, microsecond=0)


def _cast_sql(kind: str, col: str) -> str:
    return {
        "code": sql.code, "text": sql.text, "int": sql.integer, "ts": sql.timestamp, "date": sql.date,
        "flag": sql.flag, "number": sql.number, "unit": sql.unit_code, "agency": sql.code, "procedure": sql.procedure_code,
    }[kind](col)


def expectation_codes(cols: list[str]) -> str:
    """The distinct expectation codes of a survey row's mong_doi_* cells (a cell may hold several, ';'-separated)."""
    parts = ", ".join(f"string_split_regex(coalesce({c}, ''), '[;,]')" for c in cols)
    return f"list_sort(list_distinct(list_filter(list_transform(flatten([{parts}]), lambda x: upper(trim(x))), lambda x: x <> '')))"


def _bad_sql(kind: str, col: str) -> str | None:
    f = {"int": sql.integer_is_bad, "ts": sql.timestamp_is_bad, "date": sql.timestamp_is_bad,
         "flag": sql.flag_is_bad, "number": sql.number_is_bad}.get(kind)
    return f(col) if f else None


def _finish(con, lake: LakeFiles, load: FileLoad, checked: str, lake_cols: list[str], key_expr: str,
            settings: Settings) -> FileLoad:
    """Common tail: split checked rows into landed / quarantined / duplicates, write, account, manifest."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE checked AS
        SELECT *, row_number() OVER (PARTITION BY _fingerprint ORDER BY _rec) > 1 AS _duplicate
        FROM ({checked})""")
    read, dups, bad = con.execute(
        "SELECT count(*), count(*) FILTER (_duplicate), count(*) FILTER (NOT _duplicate AND len(_violations) > 0) FROM checked"
    ).fetchone()
    load.rows_read, load.duplicates_dropped, load.rows_quarantined = read, dups, bad
    load.rows_loaded = read - dups - bad
    reasons = con.execute(
        "SELECT v.rule, count(*) FROM (SELECT unnest(_violations) AS v FROM checked WHERE NOT _duplicate) GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    load.quarantine_reasons = {r: n for r, n in reasons}
    # The limit is a share, but a share of a small file is noisy (2 bad rows of 19 = 10.5 %): the run stops only
    # when the share is above the limit AND at least max_quarantine_min_records records are quarantined.
    if read and bad / read > settings.max_quarantine_share and bad >= settings.max_quarantine_min_records:
        top = ", ".join(f"{r} ({n})" for r, n in reasons[:5])
        raise QuarantineLimitExceeded(load.file, bad, read, settings.max_quarantine_share, top,
                                      settings.max_quarantine_min_records)
    # provenance values are bound parameters (a file may be called o'brien.csv)
    prov_params = {"file": load.file, "sha": load.sha256, "loaded_at": load.loaded_at, "table": load.table}
    prov = "$file AS _source_file, $sha AS _source_sha256, _rec AS _source_record, CAST($loaded_at AS TIMESTAMP) AS _loaded_at"
    copy_parquet(con, f"SELECT {', '.join(lake_cols)}, {prov} FROM checked WHERE NOT _duplicate AND len(_violations) = 0 ORDER BY _rec",
                 lake.landed(load.table, load.sha256), prov_params)
    copy_parquet(con, f"""SELECT $table AS source_table, $file AS _source_file, $sha AS _source_sha256,
                 _rec AS _source_record, {key_expr} AS record_key, v.rule, v.field, v.value, CAST($loaded_at AS TIMESTAMP) AS _loaded_at
              FROM (SELECT *, unnest(_violations) AS v FROM checked WHERE NOT _duplicate) ORDER BY _rec, v.rule""",
                 lake.quarantine(load.table, load.sha256), prov_params)
    _note_columns(load)
    _write_manifest(lake, load)
    return load


def _write_manifest(lake: LakeFiles, load: FileLoad) -> None:
    """A file's landing manifest, written atomically (CI once saw a retry fail on one cut by a killed worker)."""
    with replacing(lake.manifest(load.table, load.sha256)) as tmp:
        tmp.write_text(json.dumps(asdict(load), ensure_ascii=False, indent=1), encoding="utf-8")


def _note_columns(load: FileLoad) -> None:
    if load.absent_columns:
        load.notes.append(f"optional column(s) absent, loaded as empty: {', '.join(load.absent_columns)}")
    if load.extra_columns:
        load.notes.append(f"column(s) not in the layout, ignored: {', '.join(load.extra_columns)}")


def cached_load(lake: LakeFiles, table: str, sha: str, rel: str) -> FileLoad | None:
    """The load of a content landed before (status ``unchanged``, under its name ``rel`` now), or None."""
    m = lake.manifest(table, sha)
    if m.exists() and lake.landed(table, sha).exists():
        try:
            data = json.loads(m.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            # A manifest written before writes were atomic and cut by a crash: land the file again.
            log.warning("landing manifest %s is unreadable; the file is landed again", m)
            return None
        data.update(status="unchanged", file=rel)
        return FileLoad(**data)
    return None


def land_dossier_file(settings: Settings, path: Path, now: dt.datetime | None = None) -> FileLoad:
    check_inside_raw_root(settings.raw_dir, path)  # before anything reads the file, its hash included
    rel = str(path.relative_to(settings.raw_dir))
    sha = sha256_file(path)
    lake = LakeFiles(settings.lake_dir)
    cached = cached_load(lake, "dossiers", sha, rel)
    if cached:
        return cached
    now = now or now_local()
    load = FileLoad(table="dossiers", file=rel, sha256=sha, loaded_at=now.isoformat(sep=" "))
    con = connect(threads=INGEST_THREADS)  # see land_table_file
    try:
        if is_json(path):
            dossiers.read_dossier_json(con, path, "src")
        elif path.suffix.lower() in TABULAR_SUFFIXES:
            load.absent_columns, load.extra_columns = dossiers.read_dossier_flat(con, path, "src")
        else:
            raise FileRejected(rel, "unsupported_format", f"'{path.suffix}' is not an accepted dossier format (json, json.gz, csv, xlsx)")
    except FileRejected as exc:
        raise FileRejected(rel, exc.rule, exc.detail) from None
    try:
        return land_dossier_source(settings, con, load, now)
    except duckdb.Error as exc:  # DuckDB may quote a cell: shown like a reader's error, naming the file
        raise FileRejected(rel, "landing_failed", reader_error_detail(exc)) from None


def land_dossier_source(settings: Settings, con: duckdb.DuckDBPyConnection, load: FileLoad, now: dt.datetime) -> FileLoad:
    """Check, pseudonymise and land the dossier records of temp table ``src`` (flat text layout + ``_rec`` +
    ``_bad_supplement``, as dossiers.read_dossier_json/read_dossier_flat or the source-database pull leave it)
    under ``load.sha256``; closes ``con``."""
    lake = LakeFiles(settings.lake_dir)
    dossiers.add_cell_issues(con, "src")
    agencies_reference(con, settings)
    con.execute("CREATE OR REPLACE TEMP MACRO month_of(t_recv, t_sub) AS strftime(coalesce(t_recv, t_sub), '%Y-%m')")
    checked = dossiers.checked_dossiers_sql("src", settings.max_text_length)
    con.execute(f"CREATE OR REPLACE TEMP TABLE checked_raw AS {checked}", {"key": settings.pseudonym_key, "now": now})
    # Two records of one dossier with the same NgayCapNhat but different content: neither can be trusted.
    con.execute("""CREATE OR REPLACE TEMP TABLE checked_raw AS
        SELECT c.* REPLACE (CASE WHEN count(DISTINCT _fingerprint) OVER (PARTITION BY ma_ho_so, ngay_cap_nhat) > 1
            THEN list_append(_violations, {'rule': 'conflicting_versions', 'field': 'ngay_cap_nhat', 'value': CAST(ngay_cap_nhat AS VARCHAR)})
            ELSE _violations END AS _violations)
        FROM checked_raw c""")  # noqa: E501
    cols = [c for c in lake_schema.DOSSIERS if not c.startswith("_")]
    _finish(con, lake, load, "SELECT * FROM checked_raw", cols, "ma_ho_so", settings)
    stats = con.execute(
        "SELECT max(ngay_cap_nhat), list(DISTINCT month_of(ngay_tiep_nhan, ngay_nop_ho_so) ORDER BY 1) FROM checked"
        " WHERE NOT _duplicate AND len(_violations) = 0"
    ).fetchone()
    load.extract_time = stats[0].isoformat(sep=" ") if stats[0] else None
    load.months = [m for m in (stats[1] or []) if m]
    # A procedure code missing from the catalogue is kept and flagged (catalogues lag behind reality).
    skipped = procedures_reference(con, settings)
    if skipped:
        load.notes.append(skipped)
    else:
        unknown = con.execute("""SELECT count(*), list(DISTINCT ma_tthc ORDER BY ma_tthc)[:5] FROM checked
            WHERE NOT _duplicate AND len(_violations) = 0 AND ma_tthc IS NOT NULL
              AND ma_tthc NOT IN (SELECT ma_tthc FROM known_procedures WHERE ma_tthc IS NOT NULL)""").fetchone()
        if unknown[0]:
            load.flags["unknown_procedure"] = unknown[0]
            load.notes.append(f"{unknown[0]} record(s) loaded with a procedure code not in the catalogue (kept, flagged"
                              f" unknown procedure): {', '.join(unknown[1])}")
    _write_manifest(lake, load)
    con.close()
    return load


def land_table_file(settings: Settings, spec: TableSpec, path: Path, now: dt.datetime | None = None) -> FileLoad:
    check_inside_raw_root(settings.raw_dir, path)  # before anything reads the file, its hash included
    rel = str(path.relative_to(settings.raw_dir))
    sha = sha256_file(path)
    lake = LakeFiles(settings.lake_dir)
    cached = cached_load(lake, spec.table, sha, rel)
    if cached:
        return cached
    now = now or now_local()
    load = FileLoad(table=spec.table, file=rel, sha256=sha, loaded_at=now.isoformat(sep=" "))
    # One DuckDB thread per file (files are small, ≤ 10,000 records per batch; a run lands files one after the
    # other): the multi-threaded run of the checking statement segfaulted DuckDB 1.5.6 twice in about eight full
    # test runs (PAKN/ratings landing); not seen single-threaded so far. Revisit with the scale work (issue 7).
    con = connect(threads=INGEST_THREADS)
    try:
        present = read_tabular(con, path, "src", spec.required)
    except FileRejected as exc:
        raise FileRejected(rel, exc.rule, exc.detail) from None
    try:
        return land_table_source(settings, spec, con, load, present, now)
    except duckdb.Error as exc:  # DuckDB may quote a cell: shown like a reader's error, naming the file
        raise FileRejected(rel, "landing_failed", reader_error_detail(exc)) from None


def land_table_source(settings: Settings, spec: TableSpec, con: duckdb.DuckDBPyConnection, load: FileLoad,
                      present: list[str], now: dt.datetime) -> FileLoad:
    """Type, check and land the rows of temp table ``src`` (text columns ``present`` + ``_rec``) as one landed
    file of ``spec.table`` under ``load.sha256``; closes ``con``."""
    lake = LakeFiles(settings.lake_dir)
    schema = lake_schema.TABLES[spec.table][0]
    dossiers.add_cell_issues(con, "src")
    kinds = set(spec.kinds.values())
    if "unit" in kinds:  # reference agencies are themselves checked against the admin units only
        units_reference(con, settings, with_agencies=spec.table != "ref_agencies")
    elif "agency" in kinds:
        agencies_reference(con, settings)
    pii_sources = {c for sources in spec.pii.values() for c in sources}
    answers = [c for c in present if c.startswith(("hl_", "tc_", "mong_doi"))] if spec.wide_answers else []
    load.absent_columns = [c for c in spec.kinds if c not in present and c not in spec.required]
    load.extra_columns = [c for c in present if c not in spec.kinds and c not in pii_sources and c not in answers]
    typed, checks = [], []
    for col, kind in spec.kinds.items():
        raw = f"r.{sql.ident(col)}" if col in present else "CAST(NULL AS VARCHAR)"
        typed.append(f"{_cast_sql(kind, raw)} AS {col}")
        bad = _bad_sql(kind, raw)
        if bad:
            checks.append(dossiers._violation(bad, "unparseable_date" if kind in ("ts", "date") else "unparseable_value", col, raw))
        if kind == "unit" and col in present:
            checks.append(dossiers._violation(f"t.{col} IS NOT NULL AND t.{col} NOT IN "
                                              "(SELECT unit_code FROM known_units WHERE unit_code IS NOT NULL)",
                                              "unknown_unit", col, raw))
        if kind == "agency" and col in present:
            at = f"CAST(t.{spec.agency_date} AS DATE)" if spec.agency_date else "NULL"
            checks.append(dossiers._violation(
                f"t.{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agencies_ref a WHERE a.agency_code = t.{col}"
                f" AND coalesce({at}, a.valid_from) BETWEEN a.valid_from AND coalesce(a.valid_to, DATE '9999-12-31'))",
                "unknown_agency", col, raw))
    for col in spec.event_times:
        raw = f"r.{sql.ident(col)}" if col in present else "CAST(NULL AS VARCHAR)"
        checks.append(dossiers._violation(f"t.{col} > $now", "date_in_future", col, raw))
        checks.append(dossiers._violation(f"t.{col} < DATE '2000-01-01'", "date_before_2000", col, raw))
    for col in spec.key:
        if col in spec.required:
            checks.append(dossiers._violation(f"t.{col} IS NULL", "missing_key", col, "NULL"))
    for cond, rule, fld in spec.rules:  # the value shown is the cell as delivered
        checks.append(dossiers._violation(cond, rule, fld, f"r.{sql.ident(fld)}" if fld in present else f"t.{fld}"))
    extra = []
    for pcol, sources in spec.pii.items():
        parts = [f"lower({sql.text('r.' + sql.ident(c))})" for c in sources if c in present]
        extra.append(f"{sql.pseudonym('nullif(concat_ws(chr(31), ' + ', '.join(parts) + '), chr(31))') if parts else 'NULL'} AS {pcol}")
    expectations = [c for c in answers if c.startswith("mong_doi")]
    for col in answers:  # survey answer columns stay text until unpivoted; their own rules below
        rc = f"r.{sql.ident(col)}"
        extra.append(f"{rc} AS {sql.ident(col)}")
        if col.startswith("hl_"):
            checks.append(dossiers._violation(
                f"{sql.blank(rc)} IS NOT NULL AND ({sql.integer_is_bad(rc)} OR coalesce({sql.integer(rc)} NOT BETWEEN 1 AND 5, true))",
                "likert_out_of_range", col, rc))
        elif col.startswith("tc_"):
            checks.append(dossiers._violation(
                f"{sql.blank(rc)} IS NOT NULL AND {sql.flag(rc)} IS NULL", "unparseable_value", col, rc))
    if expectations:  # at most three expectation codes per respondent (a cell may hold several, ';'-separated)
        codes = expectation_codes([f"r.{sql.ident(c)}" for c in expectations])
        checks.append(dossiers._violation(f"len({codes}) > {MAX_EXPECTATIONS}", "too_many_expectations", "mong_doi",
                                          f"array_to_string({codes}, ';')"))
    text_cols = [c for c, k in spec.kinds.items() if k in ("code", "text", "unit", "agency", "procedure") and c in present]
    text_cols += [c for c in present if c in pii_sources] + expectations
    checks += dossiers.text_checks(text_cols, settings.max_text_length, pii_sources)
    fingerprint_cols = ", ".join(f"r.{sql.ident(c)}" for c in present)
    key_expr = " || '/' || ".join(f"coalesce(CAST({k} AS VARCHAR), '')" for k in spec.key if k in spec.kinds)
    checked = f"""
        WITH t AS (SELECT r._rec, {', '.join(typed + extra)}, md5(CAST(ROW({fingerprint_cols}) AS VARCHAR)) AS _fingerprint FROM src r)
        SELECT t.*, {dossiers.violations_sql(checks, 'r.' + dossiers.CELL_ISSUES, [*spec.kinds, *pii_sources, *answers])} AS _violations
        FROM t JOIN src r USING (_rec)"""
    # parameters bind here; the personal-data key never appears in SQL text or logs
    con.execute(f"CREATE OR REPLACE TEMP TABLE checked_raw AS {checked}",
                used_params(checked, {"key": settings.pseudonym_key, "now": now}))
    lake_cols = ["* EXCLUDE (_rec, _fingerprint, _violations, _duplicate)"] if spec.wide_answers else [
        c for c in schema if not c.startswith("_")]
    _finish(con, lake, load, "SELECT * FROM checked_raw", lake_cols, key_expr, settings)
    if spec.wide_answers:
        _unpivot_survey(con, lake, load, answers, schema)
    if spec.table in lake_schema.PARTITION_MONTH_OF:
        month = lake_schema.PARTITION_MONTH_OF[spec.table]
        found = con.execute(f"SELECT list(DISTINCT strftime({month}, '%Y-%m') ORDER BY 1) FROM checked"
                            " WHERE NOT _duplicate AND len(_violations) = 0").fetchone()[0]
        load.months = [m for m in (found or []) if m]
        _write_manifest(lake, load)
    con.close()
    return load


def land_file(settings: Settings, table: str, path: Path) -> FileLoad:
    """Land one raw file of a lake table (no-op when its content was landed before)."""
    if table == "dossiers":
        return land_dossier_file(settings, path)
    return land_table_file(settings, SPECS[table], path)

def _unpivot_survey(con, lake: LakeFiles, load: FileLoad, answers: list[str], schema: dict) -> None:
    """Rewrite the landed survey file in long form: one row per respondent × question (lake_schema.SURVEY_ANSWERS)."""
    landed = lake.landed(load.table, load.sha256)
    parts = []
    for col in answers:
        c = sql.ident(col)
        if col.startswith("hl_") or col.startswith("tc_"):
            val = sql.integer(c) if col.startswith("hl_") else f"CAST({sql.flag(c)} AS INTEGER)"
            parts.append(f"SELECT *, {sql.literal(col)} AS cau_hoi, {val} AS gia_tri, CAST(NULL AS VARCHAR) AS ma_mong_doi"
                         f" FROM w WHERE {sql.blank(c)} IS NOT NULL")
        else:  # one row per expectation code (a cell may hold several, ';'-separated)
            parts.append(f"SELECT *, 'mong_doi' AS cau_hoi, CAST(NULL AS INTEGER) AS gia_tri,"
                         f" unnest({expectation_codes([c])}) AS ma_mong_doi FROM w WHERE {sql.blank(c)} IS NOT NULL")
    cols = ", ".join(c for c in schema)
    con.execute(f"CREATE OR REPLACE TEMP VIEW w AS SELECT * FROM read_parquet({sql.literal(landed)})")
    if parts:
        copy_parquet(con, f"SELECT {cols} FROM ({' UNION ALL '.join(parts)}) ORDER BY _source_record, cau_hoi, ma_mong_doi", landed)
    else:
        copy_parquet(con, f"SELECT {', '.join(f'CAST(NULL AS {t}) AS {c}' for c, t in schema.items())} LIMIT 0", landed)
