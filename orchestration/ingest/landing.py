"""Landing raw files into the lake: one immutable landed Parquet per raw file (keyed by its sha256), its
quarantined records, and its load manifest; then the lake tables built from the landed files of the raw
files currently present.

Re-delivering a file with the same content is a no-op (its sha256 is already landed). Every file's row
accounting holds and is recorded: rows read = rows loaded + rows quarantined + exact duplicates dropped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import hashlib
import json
import logging
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from orchestration.ingest import dossiers, pull_state, sql
from orchestration.ingest.errors import FileRejected, LandingWorkersCrashed, QuarantineLimitExceeded, reader_error_detail
from orchestration.ingest.readers import TABULAR_SUFFIXES, read_tabular
from orchestration.ingest.tables import MAX_EXPECTATIONS, SPECS, TableSpec
from orchestration.lib import lake_schema
from orchestration.lib.settings import LOCAL_TZ, SEEDS_DIR, Settings, limit_memory

QUARANTINE_COLUMNS = lake_schema.QUARANTINE
log = logging.getLogger(__name__)


@dataclass
class FileLoad:
    """Provenance and row accounting of one raw file (the load manifest entry)."""

    table: str
    file: str  # relative to the raw root
    sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    duplicates_dropped: int = 0
    absent_columns: list[str] = field(default_factory=list)  # optional columns missing from the file (NULL)
    extra_columns: list[str] = field(default_factory=list)  # columns not in the layout (ignored)
    flags: dict[str, int] = field(default_factory=dict)  # loaded records flagged, e.g. unknown_procedure
    notes: list[str] = field(default_factory=list)  # plain-words remarks on the load (absent/extra columns, flags)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    extract_time: str | None = None  # latest update/record time in the file
    months: list[str] = field(default_factory=list)  # months present (time-based tables: lake_schema.PARTITION_MONTH_OF)
    loaded_at: str = ""
    status: str = "landed"  # landed | unchanged (already landed earlier)

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined + self.duplicates_dropped


def now_local() -> dt.datetime:
    return dt.datetime.now(ZoneInfo(LOCAL_TZ)).replace(tzinfo=None, microsecond=0)


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()  # streams the file in chunks


def is_json(path: Path) -> bool:
    """A national sync JSON file: ``.json``, or ``.json.gz`` (gzip; DuckDB's reader decompresses it as it reads)."""
    return path.name.lower().endswith((".json", ".json.gz"))


def raw_files(raw_dir: Path, folder: str, pattern: str = "*", suffixes: set[str] | None = None) -> list[Path]:
    """Data files of a raw folder, in name order (extracts are named by date, so name order is delivery order)."""
    base = raw_dir / folder
    if not base.is_dir():
        return []
    out = []
    for p in sorted(base.rglob("*")):
        # a symbolic link is listed even when it dangles, so landing rejects it by name instead of skipping it
        # silently (check_inside_raw_root); links to folders are not followed (Path.rglob)
        if not (p.is_file() or (p.is_symlink() and not p.is_dir())) or p.name.startswith((".", "~$")) \
                or p.suffix.lower() in (".md", ".txt"):
            continue
        if suffixes and p.suffix.lower() not in suffixes:
            continue
        if fnmatch.fnmatch(p.name.lower(), pattern):
            out.append(p)
    return out


def check_inside_raw_root(raw_dir: Path, path: Path) -> None:
    """Raise FileRejected unless ``path``'s real path (links resolved) lies inside the raw root's real path: a
    symbolic link to /etc/… or to another province's extract is never read. The message names the link only —
    neither its target nor a byte of the target's content. A link to nothing stops the run as an unreadable file."""
    root = Path(os.path.realpath(raw_dir))
    real = Path(os.path.realpath(path))
    rel = str(path.relative_to(raw_dir)) if path.is_relative_to(raw_dir) else path.name
    if not real.is_relative_to(root):
        raise FileRejected(rel, "outside_raw_root", "a symbolic link (or a link in its folder path) to a file outside the "
                           "raw root: not read. Copy the file into the raw root instead of linking to it")
    if not real.is_file():
        raise FileRejected(rel, "unreadable_file", "a symbolic link to nothing (its target does not exist or is not a file)")


class LakeFiles:
    """Where landed data, quarantine and manifests live inside the lake folder."""

    def __init__(self, lake_dir: Path):
        self.lake_dir = Path(lake_dir)

    def landed(self, table: str, sha: str) -> Path:
        return self.lake_dir / "_landed" / table / f"{sha}.parquet"

    def quarantine(self, table: str, sha: str) -> Path:
        """Quarantined records of one raw file (kept with its landing, by sha256)."""
        return self.lake_dir / "_quarantine" / table / f"{sha}.parquet"

    def manifest(self, table: str, sha: str) -> Path:
        return self.lake_dir / "_manifest" / table / f"{sha}.json"

    def table_dir(self, table: str) -> Path:
        return self.lake_dir / table


INGEST_THREADS = int(os.environ.get("CCHC_INGEST_THREADS", "1"))


def _connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


@contextlib.contextmanager
def _replacing(path: Path):
    """Write ``path`` atomically: the caller writes the yielded private name beside it, which then replaces it. A
    worker killed mid-write (the pool replaces dead workers and kills the others) leaves the old file or none,
    never a truncated one that a retry would trip on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _copy(con, query: str, path: Path, params: dict | None = None) -> None:
    """COPY a query to Parquet atomically. The target path and every value are bound parameters: no file or folder
    name is ever part of the SQL text."""
    with _replacing(path) as tmp:
        con.execute(f"COPY ({query}) TO $copy_target (FORMAT parquet)", {**_params(query, params or {}), "copy_target": str(tmp)})


def _params(query: str, values: dict) -> dict:
    """The named parameters a statement uses (DuckDB rejects unused ones)."""
    return {k: v for k, v in values.items() if f"${k}" in query}


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
    _copy(con, f"SELECT {', '.join(lake_cols)}, {prov} FROM checked WHERE NOT _duplicate AND len(_violations) = 0 ORDER BY _rec",
          lake.landed(load.table, load.sha256), prov_params)
    _copy(con, f"""SELECT $table AS source_table, $file AS _source_file, $sha AS _source_sha256,
                 _rec AS _source_record, {key_expr} AS record_key, v.rule, v.field, v.value, CAST($loaded_at AS TIMESTAMP) AS _loaded_at
              FROM (SELECT *, unnest(_violations) AS v FROM checked WHERE NOT _duplicate) ORDER BY _rec, v.rule""",
          lake.quarantine(load.table, load.sha256), prov_params)
    _note_columns(load)
    _write_manifest(lake, load)
    return load


def _write_manifest(lake: LakeFiles, load: FileLoad) -> None:
    """A file's landing manifest, written atomically (CI once saw a retry fail on one cut by a killed worker)."""
    with _replacing(lake.manifest(load.table, load.sha256)) as tmp:
        tmp.write_text(json.dumps(asdict(load), ensure_ascii=False, indent=1), encoding="utf-8")


def _note_columns(load: FileLoad) -> None:
    if load.absent_columns:
        load.notes.append(f"optional column(s) absent, loaded as empty: {', '.join(load.absent_columns)}")
    if load.extra_columns:
        load.notes.append(f"column(s) not in the layout, ignored: {', '.join(load.extra_columns)}")


def _cached(lake: LakeFiles, table: str, sha: str, rel: str) -> FileLoad | None:
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


def _landed_reference(settings: Settings, table: str) -> list[str]:
    """Landed Parquet files of the raw root's reference/ files of ``table`` (landing them when new: landing is
    idempotent, so it does not matter which asset lands a reference file first)."""
    spec = SPECS[table]
    lake = LakeFiles(settings.lake_dir)
    files = []
    for path in raw_files(settings.raw_dir, spec.folder, spec.pattern):
        load = land_table_file(settings, spec, path)
        files.append(str(lake.landed(table, load.sha256)))
    return files


def agencies_reference(con, settings: Settings) -> None:
    """Temp table agencies_ref: the committed seed overridden/extended, key by key (agency_code, valid_from),
    by the raw root's reference/agencies*.csv (a later file in name order wins)."""
    seed = SEEDS_DIR / "agencies.csv"
    con.execute("""CREATE OR REPLACE TEMP TABLE agencies_ref AS
        SELECT agency_code, unit_code, CAST(valid_from AS DATE) AS valid_from, CAST(valid_to AS DATE) AS valid_to
        FROM read_csv($seed, all_varchar=true, header=true)""", {"seed": str(seed)})
    landed = _landed_reference(settings, "ref_agencies")
    if landed:
        files = sql.literal_list(landed)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE agencies_raw AS
            SELECT agency_code, unit_code, valid_from, valid_to FROM read_parquet({files}, filename=true)
            QUALIFY row_number() OVER (PARTITION BY agency_code, valid_from
                                       ORDER BY list_position({files}, filename) DESC, _source_record DESC) = 1""")
        con.execute("""CREATE OR REPLACE TEMP TABLE agencies_ref AS
            SELECT * FROM agencies_raw
            UNION ALL
            SELECT * FROM agencies_ref s WHERE NOT EXISTS (
                SELECT 1 FROM agencies_raw r WHERE r.agency_code = s.agency_code AND r.valid_from = s.valid_from)""")


def units_reference(con, settings: Settings, with_agencies: bool = True) -> None:
    """Temp table known_units(unit_code): the admin units of the seed, of the raw root's
    reference/admin_units*.csv when present, and (``with_agencies``) the units of the agencies reference."""
    con.execute("""CREATE OR REPLACE TEMP TABLE known_units AS
        SELECT DISTINCT trim(unit_code) AS unit_code FROM read_csv($seed, all_varchar=true, header=true)""",
                {"seed": str(SEEDS_DIR / "admin_units.csv")})
    for i, path in enumerate(raw_files(settings.raw_dir, "reference", "admin_units*")):
        check_inside_raw_root(settings.raw_dir, path)
        try:
            read_tabular(con, path, f"ref_units_{i}", ["unit_code"])
        except FileRejected as exc:
            raise FileRejected(str(path.relative_to(settings.raw_dir)), exc.rule, exc.detail) from None
        con.execute(f"INSERT INTO known_units SELECT DISTINCT trim(unit_code) FROM ref_units_{i} WHERE trim(unit_code) <> ''")
    if with_agencies:
        agencies_reference(con, settings)
        con.execute("INSERT INTO known_units SELECT DISTINCT unit_code FROM agencies_ref WHERE unit_code IS NOT NULL")


def procedures_reference(con, settings: Settings) -> str | None:
    """Temp table known_procedures(ma_tthc) from the raw root's catalogue (procedures/procedures*). Returns
    None when there is none (or it cannot be read: the procedures asset reports that file), else ''."""
    try:
        landed = _landed_reference(settings, "procedures")
    except (FileRejected, QuarantineLimitExceeded) as exc:
        return f"the procedure catalogue could not be read ({exc}): procedure codes not checked"
    lake = LakeFiles(settings.lake_dir)  # the source database's catalogue snapshot, when one was pulled
    landed += [str(lake.landed("procedures", d["sha256"])) for d in pull_state.pulled_load_dicts(settings.lake_dir, "procedures")]
    if not landed:
        return "no procedure catalogue in the raw root: procedure codes not checked"
    con.execute(f"CREATE OR REPLACE TEMP TABLE known_procedures AS SELECT DISTINCT ma_tthc FROM read_parquet({sql.literal_list(landed)})")
    return None


def land_dossier_file(settings: Settings, path: Path, now: dt.datetime | None = None) -> FileLoad:
    check_inside_raw_root(settings.raw_dir, path)  # before anything reads the file, its hash included
    rel = str(path.relative_to(settings.raw_dir))
    sha = sha256_file(path)
    lake = LakeFiles(settings.lake_dir)
    cached = _cached(lake, "dossiers", sha, rel)
    if cached:
        return cached
    now = now or now_local()
    load = FileLoad(table="dossiers", file=rel, sha256=sha, loaded_at=now.isoformat(sep=" "))
    con = _connect(threads=INGEST_THREADS)  # see land_table_file
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
    cached = _cached(lake, spec.table, sha, rel)
    if cached:
        return cached
    now = now or now_local()
    load = FileLoad(table=spec.table, file=rel, sha256=sha, loaded_at=now.isoformat(sep=" "))
    # One DuckDB thread per file (files are small, ≤ 10,000 records per batch; a run lands files one after the
    # other): the multi-threaded run of the checking statement segfaulted DuckDB 1.5.6 twice in about eight full
    # test runs (PAKN/ratings landing); not seen single-threaded so far. Revisit with the scale work (issue 7).
    con = _connect(threads=INGEST_THREADS)
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
                _params(checked, {"key": settings.pseudonym_key, "now": now}))
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


def ingest_workers() -> int:
    """Worker processes landing raw files side by side (``CCHC_INGEST_WORKERS``, default: the cores, at most 4).
    Each lands whole files with its own single-threaded DuckDB (see INGEST_THREADS), so a national month of
    ~170 batch files uses every core without one big multi-threaded statement."""
    return max(1, int(os.environ.get("CCHC_INGEST_WORKERS", min(4, os.cpu_count() or 1))))


def land_one(args) -> FileLoad:
    """A worker's job: land one file (``args`` = settings, table, path; one tuple, for ProcessPoolExecutor.map)."""
    settings, table, path = args
    return land_file(settings, table, path)


def landing_attempts() -> int:
    """How many times files are given to new worker processes after workers died (``CCHC_LANDING_ATTEMPTS``, 3)."""
    return max(1, int(os.environ.get("CCHC_LANDING_ATTEMPTS", "3")))


def land_files(settings: Settings, table: str, paths: list[Path], on_load=None, min_files_for_pool: int = 2,
               worker=land_one) -> list[FileLoad]:
    """Land ``paths`` (in their order), new files in worker processes; ``on_load(i, load)`` as each finishes in
    order. ``worker``: what a worker process runs per file (a module-level function, picklable; the tests pass one
    that dies as DuckDB's crash did). Files already landed (same sha256) cost one hash. The reference files every
    landing reads (agencies, catalogue) are landed once first, so the workers never race to land them. Fewer than ``min_files_for_pool``
    files are landed in this process (starting workers costs a second or two)."""
    workers = ingest_workers()
    if workers <= 1 or len(paths) < max(2, min_files_for_pool):
        loads = []
        for i, p in enumerate(paths, 1):
            loads.append(land_file(settings, table, p))
            if on_load:
                on_load(i, loads[-1])
        return loads
    _landed_reference(settings, "ref_agencies")
    if table == "dossiers":
        con = _connect()
        procedures_reference(con, settings)
        con.close()
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    loads: list[FileLoad] = []
    # A worker can die with no Python error: DuckDB 1.5.6 segfaulted now and then in the checking statement (issue 7:
    # 4 of 5 processes landing the 12 PAKN files of the 2 M bench dataset twice over crashed; bisected to no single
    # expression, rarer with fewer columns; not seen on 2.0.1, pinned since). Landing is idempotent (a landed file is
    # found again by its sha256), so the files not yet returned are given to new workers — never landed in this
    # process, whose crash would end the run — up to CCHC_LANDING_ATTEMPTS times; then the run stops naming the file.
    attempts = landing_attempts()
    for attempt in range(1, attempts + 1):
        # spawn: a clean interpreter per worker (the parent may hold threads and DuckDB handles; fork would copy them)
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        todo = paths[len(loads):]
        try:
            for ld in pool.map(worker, [(settings, table, p) for p in todo]):
                loads.append(ld)
                if on_load:
                    on_load(len(loads), ld)
        except BrokenProcessPool:
            pool.shutdown(wait=True, cancel_futures=True)
            if attempt == attempts:
                failed = paths[len(loads)]
                rel = failed.relative_to(settings.raw_dir) if failed.is_relative_to(settings.raw_dir) else failed
                raise LandingWorkersCrashed(table, str(rel), attempts) from None
            log.warning("a landing worker died (attempt %d of %d); the remaining %d %s file(s) go to new workers",
                        attempt, attempts, len(paths) - len(loads), table)
            continue
        except (FileRejected, QuarantineLimitExceeded) as exc:
            pool.shutdown(wait=True, cancel_futures=True)  # a rejected file stops the landing: no more files started
            # without the worker's traceback, which concurrent.futures chains: it would print the message once more
            raise exc from None
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        break
    return loads


def table_files(settings: Settings, table: str) -> list[Path]:
    if table == "dossiers":
        return raw_files(settings.raw_dir, "dossiers")
    spec = SPECS[table]
    return raw_files(settings.raw_dir, spec.folder, spec.pattern)


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
        _copy(con, f"SELECT {cols} FROM ({' UNION ALL '.join(parts)}) ORDER BY _source_record, cau_hoi, ma_mong_doi", landed)
    else:
        _copy(con, f"SELECT {', '.join(f'CAST(NULL AS {t}) AS {c}' for c, t in schema.items())} LIMIT 0", landed)


def months_holding(settings: Settings, table: str, loads: list[FileLoad]) -> set[str]:
    """Months of the lake partitions that currently hold a record whose key appears in the landed files of
    ``loads``: a new version received in another month than the old one (submitted 31 January, received
    1 February) must also rewrite the old version's month, or the dossier would be counted twice."""
    lake = LakeFiles(settings.lake_dir)
    schema, _, part = lake_schema.TABLES[table]
    key = ["ma_ho_so"] if table == "dossiers" else SPECS[table].key
    files = [str(lake.landed(table, ld.sha256)) for ld in loads if lake.landed(table, ld.sha256).exists()]
    base = lake.table_dir(table)
    if not files or not part or not any(base.glob(f"{part}=*/*.parquet")):
        return set()
    con = _connect()
    cols = ", ".join(key)
    rows = con.execute(f"""SELECT DISTINCT p.{part} FROM read_parquet($parts, hive_partitioning=true) p
        WHERE ({cols}) IN (SELECT ({cols}) FROM read_parquet({sql.literal_list(files)}))""",
                       {"parts": str(base / f"{part}=*" / "*.parquet")}).fetchall()
    con.close()
    return {r[0] for r in rows if r[0] and r[0] != "__none__"}


def _present_landed(lake: LakeFiles, table: str, loads: list[FileLoad]) -> list[str]:
    return [str(lake.landed(table, ld.sha256)) for ld in loads]


def build_table(settings: Settings, table: str, loads: list[FileLoad]) -> int:
    """Rebuild lake/<table>/part-0.parquet from the landed files of the raw files present; one row per key,
    the latest file (name order) winning. Returns the row count."""
    lake = LakeFiles(settings.lake_dir)
    con = _connect()
    schema = lake_schema.TABLES[table][0]
    files = _present_landed(lake, table, loads)
    out = lake.table_dir(table) / "part-0.parquet"
    if not files:
        lake_schema.write_empty_table(con, settings.lake_dir, table)
        return 0
    spec = SPECS[table]
    order = {ld.sha256: i for i, ld in enumerate(loads)}
    con.execute("CREATE TEMP TABLE file_order (sha VARCHAR, ord INTEGER)")
    con.executemany("INSERT INTO file_order VALUES (?, ?)", list(order.items()))
    cols = ", ".join(schema)
    _copy(con, f"""SELECT {cols} FROM read_parquet({sql.literal_list(files)}, union_by_name=true) l JOIN file_order f ON f.sha = l._source_sha256
                  QUALIFY row_number() OVER (PARTITION BY {', '.join(spec.key)} ORDER BY f.ord DESC, l._source_record DESC) = 1
                  ORDER BY {', '.join(spec.key)}""", out)  # noqa: E501
    n = con.execute("SELECT count(*) FROM read_parquet($out)", {"out": str(out)}).fetchone()[0]
    con.close()
    return n


def build_partitions(settings: Settings, table: str, loads: list[FileLoad], months: list[str] | None = None) -> dict[str, int]:
    """Rewrite the monthly partitions of a time-based lake table for ``months`` (all when None) from the
    landed files of the raw files present: one row per key, the preferred version winning
    (lake_schema.VERSION_ORDER, then the latest file in name order). Returns rows per partition written."""
    lake = LakeFiles(settings.lake_dir)
    con = _connect()
    # DuckDB's default limit is 80 % of the machine: a 20 M year's rewrite took 18.5 GB. Landing a file keeps the
    # default (its JSON reader reserves a buffer as large as the largest object allowed, 2 GB). Beyond the limit the
    # year's ranking spills here, not into the working directory (DuckDB's default for an in-memory database).
    limit_memory(con)
    con.execute(f"SET temp_directory = {sql.literal(str(settings.out_dir / '.duckdb_tmp'))}")
    schema, _, part = lake_schema.TABLES[table]
    key = ["ma_ho_so"] if table == "dossiers" else SPECS[table].key
    base = lake.table_dir(table)
    files = _present_landed(lake, table, loads)
    if not files:
        shutil.rmtree(base, ignore_errors=True)
        lake_schema.write_empty_table(con, settings.lake_dir, table)
        return {}
    con.execute("CREATE TEMP TABLE file_order (sha VARCHAR, ord INTEGER)")
    con.executemany("INSERT INTO file_order VALUES (?, ?)", [(ld.sha256, i) for i, ld in enumerate(loads)])
    keys = ", ".join(key)
    order = ", ".join(filter(None, [lake_schema.VERSION_ORDER.get(table), "f.ord DESC", "l._source_record DESC"]))
    month_expr = f"strftime({lake_schema.PARTITION_MONTH_OF[table]}, '%Y-%m')"
    scope = ""
    if months is not None:
        # Only the records whose key has a version in a month to write (every version of a record sits in its
        # partition month's files; a version that moved month marks both months, see months_holding): the cost
        # of a run grows with the months it rewrites, not with history.
        wanted = set(months)
        wanted_files = _present_landed(lake, table, [ld for ld in loads if wanted & set(ld.months)])
        if not wanted_files:
            con.execute("CREATE TEMP TABLE wanted_keys AS SELECT * FROM (SELECT NULL) WHERE false")
            scope = "WHERE false"
        else:
            con.execute(f"CREATE TEMP TABLE wanted_keys AS SELECT DISTINCT {keys} FROM read_parquet({sql.literal_list(wanted_files)})")
            scope = f"WHERE ({keys}) IN (SELECT ({keys}) FROM wanted_keys)"
    # Narrow pass: which version of each key wins (only the key, version and position columns are read; the file is
    # kept as its position, not its 64-character hash: 23 M winners of a national year fit in a few hundred MB) …
    con.execute(f"""CREATE TEMP TABLE winners AS
        SELECT f.ord, l._source_record AS rec, {month_expr} AS month
        FROM read_parquet({sql.literal_list(files)}) l JOIN file_order f ON f.sha = l._source_sha256 {scope}
        QUALIFY row_number() OVER (PARTITION BY {', '.join('l.' + k for k in key)} ORDER BY {order}) = 1""")
    if months is not None:
        con.execute("DELETE FROM winners WHERE month IS NULL OR NOT list_contains($m, month)", {"m": sorted(set(months))})
    # … wide pass, one month at a time: the winning rows, read only from the landed files that hold one. Never the
    # whole year's wide rows at once (a 20 M year held them in memory: 18.5 GB).
    present = [r[0] for r in con.execute("SELECT DISTINCT month FROM winners WHERE month IS NOT NULL ORDER BY 1").fetchall()]
    written = {}
    for month in present if months is None else months:
        folder = base / f"{part}={month}"
        shas = [r[0] for r in con.execute(
            "SELECT DISTINCT f.sha FROM winners w JOIN file_order f ON f.ord = w.ord WHERE w.month = ? ORDER BY 1",
            [month]).fetchall()]
        if not shas:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        month_files = [str(lake.landed(table, sha)) for sha in shas]
        _copy(con, f"""SELECT {', '.join('l.' + c for c in schema)}
                       FROM read_parquet({sql.literal_list(month_files)}, union_by_name=true) l
                       JOIN file_order f ON f.sha = l._source_sha256
                       JOIN winners w ON w.ord = f.ord AND w.rec = l._source_record AND w.month = $month
                       ORDER BY {', '.join('l.' + k for k in key)}""", folder / "part-0.parquet", {"month": month})
        written[month] = con.execute("SELECT count(*) FROM winners WHERE month = ?", [month]).fetchone()[0]
    if months is None:  # a full rebuild also removes partitions whose records are gone
        for folder in base.glob(f"{part}=*"):
            if folder.name.split("=", 1)[1] not in present:
                shutil.rmtree(folder)
    if not any(base.glob("*/*.parquet")):
        lake_schema.write_empty_table(con, settings.lake_dir, table)
    elif (base / f"{part}=__none__").exists():
        shutil.rmtree(base / f"{part}=__none__")
    con.close()
    return written


def build_dossier_partitions(settings: Settings, loads: list[FileLoad], months: list[str] | None = None) -> dict[str, int]:
    return build_partitions(settings, "dossiers", loads, months)


def write_current_quarantine(settings: Settings, table: str, loads: list[FileLoad]) -> int:
    """lake/quarantine/<table>.parquet: the quarantined records of the raw files present now (the warehouse
    reads them as a queryable table). Returns the number of rows."""
    lake = LakeFiles(settings.lake_dir)
    con = _connect()
    out = lake.table_dir("quarantine") / f"{table}.parquet"
    files = [str(lake.quarantine(table, ld.sha256)) for ld in loads if lake.quarantine(table, ld.sha256).exists()]
    cols = ", ".join(QUARANTINE_COLUMNS)
    if files:
        _copy(con, f"SELECT {cols} FROM read_parquet({sql.literal_list(files)}) ORDER BY _source_file, _source_record, rule", out)
    else:
        _copy(con, "SELECT " + ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in QUARANTINE_COLUMNS.items()) + " LIMIT 0", out)
    n = con.execute("SELECT count(*) FROM read_parquet($out)", {"out": str(out)}).fetchone()[0]
    con.close()
    return n


def write_inventory(settings: Settings, table: str, present: bool, files: int, rows: int) -> None:
    """One row of lake/source_inventory: did the raw root hold any file of the table (its own file pattern, not
    merely its folder) or the source database a snapshot, and how much it gave."""
    con = _connect()
    _copy(con, "SELECT $table AS source_name, CAST($present AS BOOLEAN) AS present, CAST($files AS INTEGER) AS files,"
               " CAST($rows AS BIGINT) AS rows_loaded",
          LakeFiles(settings.lake_dir).table_dir("source_inventory") / f"{table}.parquet",
          {"table": table, "present": bool(present), "files": int(files), "rows": int(rows)})
    con.close()
