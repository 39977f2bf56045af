"""PostgreSQL publication (DATA_CONTRACT §2.3): a release's tables in a schema, row-level security per province.

``publish_release_to_postgres(release_dir, url)`` loads ``indicator_observations``, ``report_bieu06``,
``target_tracking`` and ``units`` of one release folder into ``<schema>.<table>`` (typed columns — the types
come from the release's data dictionary, codes stay text — plus ``release_id`` and ``province_code`` on every
row, the province taken from the release's ``units.csv`` by (unit_code, unit_valid_from)), records the release
in ``<schema>.releases`` and keeps a view ``<table>_latest`` per table on the newest release (by the manifest's
``created_at``). Older releases stay queryable.

Idempotency: everything happens in ONE transaction under an advisory lock. A release already recorded in
``releases`` with the same manifest sha256 is skipped (nothing is written, ``status = "already loaded"``);
``replace=True`` (or a release folder whose manifest changed) deletes that release's rows and inserts them again,
in the same transaction, so readers see either the old rows or the new ones.

Roles and RLS (see docs/postgres.md): NOLOGIN roles ``cchc_province_<code>`` for every province in the data and
``cchc_national``; RLS enabled and FORCE'd on every table; ONE read policy per table:

    (SELECT pg_has_role('cchc_national', 'MEMBER'))
    OR province_code IN (SELECT substr(rolname, 15) FROM pg_roles
                         WHERE rolname LIKE 'cchc\\_province\\_%' AND pg_has_role(oid, 'MEMBER'))

i.e. a user reads the provinces whose roles it is a member of (the uncorrelated sub-query is evaluated once per
query, not per row; so is the national test), and one write policy for the table's owner (the publisher: FORCE'd
RLS binds it too). The ``*_latest`` views are ``security_invoker`` (PostgreSQL 15+), so the policies apply to
the user querying the view, not to the view's owner.

Credentials: the URL comes from the caller, ``CCHC_PG_URL`` or the file named by ``CCHC_PG_URL_FILE`` (outside
the repository). It is never logged nor returned: every message uses ``mask_url``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import re
import time
from pathlib import Path

from orchestration.lib import layout
from orchestration.lib.secrets import mask_url, resolve_url
from orchestration.lib.secrets import masked_error as _masked_error
from orchestration.publish.parts import csv_files

log = logging.getLogger(__name__)

# table -> file of the release (units first: it gives every other row its province); the observations and Biểu 06
# are the provinces' CSVs of every part (by_province/<code>/<period>/<file>, orchestration.publish.parts)
TABLES = {
    "units": "units.csv",
    "indicator_observations": "indicator_observations.csv",
    "report_bieu06": "report_bieu06.csv",
    "target_tracking": "target_tracking.csv",
}
REQUIRED = {"units", "indicator_observations", "report_bieu06"}
# the manifest's row count of each table (layout v2 counts part sets; older releases counted files)
MANIFEST_COUNT = {"indicator_observations": "observations", "report_bieu06": "bieu06"}

PROVINCE_ROLE_PREFIX = "cchc_province_"
NATIONAL_ROLE = "cchc_national"
# bump the suffix when a policy's text changes: older cchc_* policies are dropped, the new ones created
READ_POLICY = "cchc_read_v2"
LOAD_POLICY = "cchc_owner_write_v1"
RELEASES_READ_POLICY = "cchc_read_releases_v1"
PROVINCE_CODE_RE = re.compile(r"^[0-9A-Za-z]{1,16}$")
MIN_SERVER_VERSION = 150000  # security_invoker views

# Types when the release's data dictionary does not give one (e.g. units.csv); anything unknown is text.
FALLBACK_TYPES = {
    "unit_valid_from": "date", "unit_valid_to": "date", "parent_valid_from": "date", "province_valid_from": "date",
    "numerator": "double precision", "denominator": "double precision", "ratio": "double precision",
    "points": "double precision", "max_points": "double precision", "rank": "integer", "rank_of": "integer",
    "n": "bigint", "nam": "integer", "gia_tri": "double precision", "actual": "double precision",
    "projection": "double precision", "target_met_all_rows": "boolean",
    **{c: "bigint" for c in ("received_total", "received_online", "received_direct_postal", "carried_over",
                             "resolved_total", "resolved_early", "resolved_on_time", "resolved_late", "pending_total",
                             "pending_within_time", "pending_overdue")},
}
DICTIONARY_TYPES = {
    "varchar": "text", "text": "text", "string": "text", "date": "date", "double": "double precision",
    "float": "double precision", "real": "real", "integer": "integer", "int": "integer", "smallint": "smallint",
    "tinyint": "smallint", "bigint": "bigint", "hugeint": "numeric", "boolean": "boolean", "bool": "boolean",
    "timestamp": "timestamp", "timestamp with time zone": "timestamptz", "timestamptz": "timestamptz",
}


def _always_text(column: str) -> bool:
    """Codes stay text whatever a dictionary says (leading zeros: 01969, 06)."""
    return column in ("release_id", "period", "period_type") or column.endswith("_code") or column.startswith("ma_")


# --------------------------------------------------------------------------------------------------- credentials
def resolve_pg_url(url: str | None = None) -> str | None:
    """The URL to load into: ``url`` if given, else ``CCHC_PG_URL``, else the first line of the file named by
    ``CCHC_PG_URL_FILE`` (a secrets file outside the repository). None when nothing is configured."""
    return resolve_url(url, "CCHC_PG_URL")


def make_engine(url: str):
    """A SQLAlchemy engine on psycopg 3 (``postgresql://`` and ``postgres://`` are taken as psycopg)."""
    # lazy: SQLAlchemy costs ≈0.3 s, and orchestration.definitions imports this module (postgres_assets) for a
    # publication most runs do not configure (no CCHC_PG_URL)
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    if u.drivername != "postgresql+psycopg":
        raise ValueError(f"unsupported database URL {mask_url(url)}: expected postgresql:// (psycopg 3)")
    from sqlalchemy.pool import NullPool

    return create_engine(u, hide_parameters=True, poolclass=NullPool)


# --------------------------------------------------------------------------------------------------- helpers
def qi(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def _dictionary_types(release_dir: Path) -> dict[tuple[str, str], str]:
    """(file, column) -> PostgreSQL type, from the release's data_dictionary.csv (generated from the dbt YAML)."""
    path = release_dir / "data_dictionary.csv"
    out = {}
    if not path.exists():
        return out
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row.get("kind") == "column" and row.get("type"):
                pg = DICTIONARY_TYPES.get(row["type"].strip().lower())
                if pg is None and row["type"].lower().startswith("decimal"):
                    pg = "numeric"
                out[(row["file"], row["name"])] = pg or "text"
    return out


# what the data dictionary does not describe: the tables and columns this publication adds
OWN_COMMENTS = {
    ("units.csv", None): "The release's unit register: code, version (valid_from), level, parent and province.",
    (None, "release_id"): "Release the row belongs to (see releases; the *_latest views show the newest).",
    (None, "province_code"): "Province of the row's unit version (row-level security: a province reads its own rows).",
    ("releases", None): "Releases loaded into this schema: id, creation and load times, code version, manifest "
                        "sha256, row counts, provinces and the output root the release came from.",
}


def _dictionary_comments(release_dir: Path) -> dict[tuple[str | None, str | None], str]:
    """(file, column or None for the table) → description, from the release's data_dictionary.csv (the dbt YAML)."""
    out = dict(OWN_COMMENTS)
    path = release_dir / "data_dictionary.csv"
    if path.exists():
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                if row.get("description") and row.get("kind") in ("table", "column"):
                    out[(row["file"], row["name"] if row["kind"] == "column" else None)] = row["description"]
    return out


def _comment(conn, what: str, text_: str | None) -> None:
    """COMMENT ON <what> IS '<text>' (COMMENT takes a literal, not a parameter: quotes doubled)."""
    from sqlalchemy import text  # lazy: SQLAlchemy, see make_engine

    if text_:
        conn.execute(text(f"COMMENT ON {what} IS '" + text_.replace("'", "''").replace(":", r"\:") + "'"))


def _column_type(file: str, column: str, dictionary: dict) -> str:
    if _always_text(column):
        return "text"
    return dictionary.get((file, column)) or FALLBACK_TYPES.get(column, "text")


def _manifest(release_dir: Path) -> tuple[dict, str | None]:
    path = layout.release_manifest(release_dir)
    if not path.exists():
        return {}, None
    raw = path.read_bytes()
    return json.loads(raw.decode("utf-8")), hashlib.sha256(raw).hexdigest()


def _copy_files(dbapi_conn, table: str, columns: list[str], paths: list[Path], not_text: list[str]) -> None:
    """COPY the CSVs (as written, header skipped) into ``table`` via psycopg's copy: the bytes are streamed."""
    opts = "FORMAT csv, HEADER true, ENCODING 'UTF8'"
    if not_text:
        opts += f", FORCE_NULL ({', '.join(qi(c) for c in not_text)})"
    sql = f"COPY {table} ({', '.join(qi(c) for c in columns)}) FROM STDIN ({opts})"
    for path in paths:
        if _header(path) != columns:
            raise ValueError(f"{path}: its columns differ from the table's other files")
        with dbapi_conn.cursor() as cur, cur.copy(sql) as copy, path.open("rb") as f:
            while chunk := f.read(1 << 20):
                copy.write(chunk)


def _release_files(release_dir: Path) -> dict[str, list[Path]]:
    """table → the release's CSV files holding it (layout v2: every province's part CSVs; else the root file)."""
    found = {}
    for t, name in TABLES.items():
        paths = csv_files(release_dir, name) if t in MANIFEST_COUNT else (
            [release_dir / name] if (release_dir / name).exists() else [])
        if paths:
            found[t] = paths
    return found


# --------------------------------------------------------------------------------------------------- publication
def publish_release_to_postgres(release_dir, url: str, schema: str = "cchc", *, replace: bool = False) -> dict:
    """Load one release folder into ``schema``. A release id already loaded from another output root is refused
    (release ids are unique within an output root, not across roots: the rows of the first are never overwritten).
    Tables and columns carry the data dictionary's descriptions as comments. Returns a summary (never the URL's
    password):
    ``{"release_id", "status": "loaded" | "replaced" | "already loaded", "schema", "target" (masked URL),
    "row_counts": {table: rows of this release}, "provinces", "roles", "unmapped_rows", "seconds"}``."""
    from sqlalchemy import text  # lazy: SQLAlchemy, see make_engine

    t0 = time.monotonic()
    release_dir = Path(release_dir).resolve()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", schema):
        raise ValueError(f"invalid schema name {schema!r}")
    files = _release_files(release_dir)
    missing = [TABLES[t] for t in sorted(REQUIRED) if t not in files]
    if missing:
        raise FileNotFoundError(f"{release_dir} is not a complete release: missing {', '.join(missing)}")
    manifest, manifest_sha = _manifest(release_dir)
    release_id = manifest.get("release_id") or release_dir.name
    out_root = str(release_dir.parent.parent)  # <out>/publish/<release id> (latest resolved above)
    comments = _dictionary_comments(release_dir)
    created_at = manifest.get("created_at") or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    expected = manifest.get("row_counts", {})
    dictionary = _dictionary_types(release_dir)
    headers = {t: _header(p[0]) for t, p in files.items()}
    for t, cols in headers.items():
        if len(set(cols)) != len(cols) or not all(cols):
            raise ValueError(f"{files[t][0].name}: empty or duplicate column names in the header")
    if not {"unit_code", "unit_valid_from", "province_code"} <= set(headers["units"]):
        raise ValueError("units.csv needs unit_code, unit_valid_from and province_code")

    target = mask_url(url)
    S = qi(schema)
    log.info("PostgreSQL publication of release %s into %s (schema %s)", release_id, target, schema)
    engine = make_engine(url)
    summary = {"release_id": release_id, "schema": schema, "target": target}
    try:
        with engine.begin() as conn:
            version = conn.execute(text("SHOW server_version_num")).scalar_one()
            if int(version) < MIN_SERVER_VERSION:
                raise RuntimeError(f"PostgreSQL {version} at {target}: 15 or later is needed (security_invoker views)")
            # one publication at a time per cluster (roles are cluster-wide), released at commit/rollback
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('cchc.publish_release_to_postgres'))"))
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {S}"))
            conn.execute(text(
                f"CREATE TABLE IF NOT EXISTS {S}.releases (release_id text PRIMARY KEY, created_at timestamptz NOT NULL,"
                " loaded_at timestamptz NOT NULL DEFAULT now(), code_version text, manifest_sha256 text,"
                " row_counts jsonb NOT NULL, provinces text[] NOT NULL)"))
            conn.execute(text(f"ALTER TABLE {S}.releases ADD COLUMN IF NOT EXISTS out_root text"))
            prior = conn.execute(text(f"SELECT manifest_sha256, row_counts, out_root FROM {S}.releases WHERE release_id = :r"),
                                 {"r": release_id}).one_or_none()
            if prior is not None and prior[2] and prior[2] != out_root:
                raise ValueError(
                    f"release {release_id} is already loaded in schema {schema} from the output root {prior[2]}; "
                    f"this folder is a release of the same id from another output root ({out_root}): its rows are "
                    "not overwritten. Load it into another schema (--schema) or give each output root its own.")
            if prior is not None and not replace and prior[0] == manifest_sha:
                summary |= {"status": "already loaded", "row_counts": dict(prior[1])}
                log.info("release %s is already loaded in %s (schema %s): nothing changed", release_id, target, schema)
                return summary | {"seconds": round(time.monotonic() - t0, 2)}

            dbapi = conn.connection.driver_connection  # psycopg.Connection, inside this transaction
            # --- stage every file (typed temp tables, COPY), then check it against the manifest
            types = {t: {c: _column_type(TABLES[t], c, dictionary) for c in cols} for t, cols in headers.items()}
            for t, cols in headers.items():
                conn.execute(text(f"CREATE TEMP TABLE {qi('_stage_' + t)} ("
                                  + ", ".join(f"{qi(c)} {types[t][c]}" for c in cols) + ") ON COMMIT DROP"))
                _copy_files(dbapi, qi("_stage_" + t), cols, files[t], [c for c in cols if types[t][c] != "text"])
            staged = {t: conn.execute(text(f"SELECT count(*) FROM {qi('_stage_' + t)}")).scalar_one() for t in headers}
            for t, n in staged.items():
                want = expected.get(MANIFEST_COUNT.get(t, TABLES[t]), expected.get(TABLES[t]))
                if want is not None and int(want) != n:
                    raise ValueError(f"{TABLES[t]}: {n} rows read but the manifest says {want}")
                if "release_id" in headers[t]:
                    other = conn.execute(text(f"SELECT count(*) FROM {qi('_stage_' + t)} WHERE release_id IS DISTINCT FROM :r"),
                                         {"r": release_id}).scalar_one()
                    if other:
                        raise ValueError(f"{TABLES[t]}: {other} rows carry another release_id than {release_id}")
            dup = conn.execute(text("SELECT count(*) FROM (SELECT 1 FROM _stage_units GROUP BY unit_code, unit_valid_from"
                                    " HAVING count(DISTINCT province_code) > 1) d")).scalar_one()
            if dup:
                raise ValueError(f"units.csv: {dup} (unit_code, unit_valid_from) map to more than one province")
            conn.execute(text("CREATE TEMP TABLE _unit_province ON COMMIT DROP AS SELECT DISTINCT unit_code,"
                              " unit_valid_from, province_code FROM _stage_units"))
            provinces = [r[0] for r in conn.execute(text(
                "SELECT DISTINCT province_code FROM _stage_units WHERE province_code IS NOT NULL ORDER BY 1"))]
            bad = [p for p in provinces if not PROVINCE_CODE_RE.match(p)]
            if bad:
                raise ValueError(f"units.csv: province codes unfit for a role name: {bad[:5]}")

            # --- roles
            roles = [PROVINCE_ROLE_PREFIX + p for p in provinces]
            existing = {r[0] for r in conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:n)"),
                                                   {"n": [NATIONAL_ROLE, *roles]})}
            for role in [NATIONAL_ROLE, *roles]:
                if role not in existing:
                    conn.execute(text(f"CREATE ROLE {qi(role)} NOLOGIN"))
                    log.info("created role %s", role)
            # every province role of the cluster reads the schema (the policy filters rows)
            province_roles = [r[0] for r in conn.execute(
                text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p ORDER BY 1"), {"p": _role_pattern()})]
            readers = ", ".join(qi(r) for r in [NATIONAL_ROLE, *province_roles])

            # --- tables (columns added when a release brings new ones), policies, grants
            conn.execute(text(f"GRANT USAGE ON SCHEMA {S} TO {readers}"))
            _ensure_rls(conn, schema, "releases", read_all=True)
            conn.execute(text(f"GRANT SELECT ON {S}.releases TO {readers}"))
            row_counts, unmapped = {}, {}
            for t in TABLES:
                cols = [c for c in headers.get(t, []) if c != "release_id"]
                extra = [] if "province_code" in cols else ["province_code"]
                new_cols = _ensure_table(conn, schema, t, [("release_id", "text")]
                                         + [(c, types[t][c]) for c in cols] + [(c, "text") for c in extra])
                _ensure_rls(conn, schema, t, read_all=False)
                _ensure_latest_view(conn, schema, t, force=new_cols)
                _comment(conn, f"TABLE {S}.{qi(t)}", comments.get((TABLES[t], None)))
                for c in ["release_id", *cols, *extra]:
                    _comment(conn, f"COLUMN {S}.{qi(t)}.{qi(c)}", comments.get((TABLES[t], c)) or comments.get((None, c)))
                conn.execute(text(f"GRANT SELECT ON {S}.{qi(t)}, {S}.{qi(t + '_latest')} TO {readers}"))
                deleted = conn.execute(text(f"DELETE FROM {S}.{qi(t)} WHERE release_id = :r"), {"r": release_id}).rowcount
                if deleted:
                    log.info("%s.%s: %d rows of release %s replaced", schema, t, deleted, release_id)
                if t not in headers:
                    row_counts[t] = 0
                    continue
                stage = qi("_stage_" + t)
                select = ", ".join(f"s.{qi(c)}" for c in cols)
                if extra and {"unit_code", "unit_valid_from"} <= set(cols):
                    source = (f"SELECT :r, {select}, u.province_code FROM {stage} s LEFT JOIN _unit_province u"
                              " ON u.unit_code = s.unit_code AND u.unit_valid_from = s.unit_valid_from")
                elif extra:
                    source = f"SELECT :r, {select}, NULL FROM {stage} s"
                else:
                    source = f"SELECT :r, {select} FROM {stage} s"
                inserted = conn.execute(text(
                    f"INSERT INTO {S}.{qi(t)} (release_id, {', '.join(qi(c) for c in cols + extra)}) {source}"),
                    {"r": release_id}).rowcount
                if inserted != staged[t]:
                    raise RuntimeError(f"{t}: {inserted} rows inserted, {staged[t]} staged")
                row_counts[t] = inserted
                unmapped[t] = conn.execute(text(f"SELECT count(*) FROM {S}.{qi(t)} WHERE release_id = :r AND province_code IS NULL"),
                                           {"r": release_id}).scalar_one()
                if unmapped[t]:
                    log.warning("%s.%s: %d rows of release %s have no province (readable by %s only)",
                                schema, t, unmapped[t], release_id, NATIONAL_ROLE)
            conn.execute(text(
                f"INSERT INTO {S}.releases (release_id, created_at, code_version, manifest_sha256, row_counts, provinces,"
                " out_root) VALUES (:r, CAST(:c AS timestamptz), :v, :h, CAST(:n AS jsonb), :p, :o)"
                " ON CONFLICT (release_id) DO UPDATE SET created_at = EXCLUDED.created_at, loaded_at = now(),"
                " code_version = EXCLUDED.code_version, manifest_sha256 = EXCLUDED.manifest_sha256,"
                " row_counts = EXCLUDED.row_counts, provinces = EXCLUDED.provinces, out_root = EXCLUDED.out_root"),
                {"r": release_id, "c": created_at, "v": manifest.get("code_version"), "h": manifest_sha,
                 "n": json.dumps(row_counts), "p": provinces, "o": out_root})
            _comment(conn, f"TABLE {S}.releases", comments[("releases", None)])
            summary |= {"status": "replaced" if prior is not None else "loaded", "row_counts": row_counts,
                        "provinces": provinces, "roles": [NATIONAL_ROLE, *roles], "unmapped_rows": unmapped}
    finally:
        engine.dispose()
    summary["seconds"] = round(time.monotonic() - t0, 2)
    log.info("release %s %s into %s (schema %s) in %.1f s: %s", release_id, summary["status"], target, schema,
             summary["seconds"], ", ".join(f"{t} {n}" for t, n in summary["row_counts"].items()))
    return summary


def _ensure_table(conn, schema: str, table: str, columns: list[tuple[str, str]]) -> bool:
    """Create the table, or add the columns a newer release brings. True when the table's columns changed."""
    from sqlalchemy import text  # lazy: SQLAlchemy, see make_engine

    have = {r[0] for r in conn.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = :s AND table_name = :t"),
        {"s": schema, "t": table})}
    S, T = qi(schema), qi(table)
    if not have:
        conn.execute(text(f"CREATE TABLE {S}.{T} (" + ", ".join(
            f"{qi(c)} {ty}" + (" NOT NULL" if c == "release_id" else "") for c, ty in columns) + ")"))
        conn.execute(text(f"CREATE INDEX {qi(table + '_release_province_idx')} ON {S}.{T} (release_id, province_code)"))
        return True
    added = [(c, ty) for c, ty in columns if c not in have]
    for c, ty in added:
        conn.execute(text(f"ALTER TABLE {S}.{T} ADD COLUMN {qi(c)} {ty}"))
    return bool(added)


def _role_pattern() -> str:
    return PROVINCE_ROLE_PREFIX.replace("_", "\\_") + "%"


def read_policy_sql() -> str:
    """The one read policy: the national role reads all; a user reads the provinces whose role it is a member of."""
    pattern = _role_pattern()
    return (f"(SELECT pg_has_role('{NATIONAL_ROLE}', 'MEMBER')) OR province_code IN (SELECT substr(r.rolname, "
            f"{len(PROVINCE_ROLE_PREFIX) + 1}) FROM pg_catalog.pg_roles r WHERE r.rolname LIKE '{pattern}'"
            " AND pg_has_role(r.oid, 'MEMBER'))")


def _ensure_rls(conn, schema: str, table: str, read_all: bool) -> None:
    """RLS enabled and forced; the read policy and the owner's write policy (created when absent: no lock otherwise)."""
    from sqlalchemy import text  # lazy: SQLAlchemy, see make_engine

    S, T = qi(schema), qi(table)
    flags = conn.execute(text("SELECT c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner)"
                              " FROM pg_class c JOIN pg_namespace n"
                              " ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relname = :t"),
                         {"s": schema, "t": table}).one()
    if not flags[0]:
        conn.execute(text(f"ALTER TABLE {S}.{T} ENABLE ROW LEVEL SECURITY"))
    if not flags[1]:
        conn.execute(text(f"ALTER TABLE {S}.{T} FORCE ROW LEVEL SECURITY"))
    read_name = RELEASES_READ_POLICY if read_all else READ_POLICY
    wanted = {
        read_name: f"CREATE POLICY {qi(read_name)} ON {S}.{T} FOR SELECT USING ("
                   + ("true" if read_all else read_policy_sql()) + ")",
        # the owner (the publisher) reads and writes every row; FORCE'd RLS would otherwise lock it out
        LOAD_POLICY: f"CREATE POLICY {qi(LOAD_POLICY)} ON {S}.{T} FOR ALL TO {qi(flags[2])} USING (true) WITH CHECK (true)",
    }
    have = {r[0] for r in conn.execute(text("SELECT policyname FROM pg_policies WHERE schemaname = :s AND tablename = :t"),
                                       {"s": schema, "t": table})}
    for name in sorted(have - set(wanted)):
        if name.startswith("cchc_"):  # an older version of ours
            conn.execute(text(f"DROP POLICY {qi(name)} ON {S}.{T}"))
    for name, sql in wanted.items():
        if name not in have:
            conn.execute(text(sql))


def _ensure_latest_view(conn, schema: str, table: str, force: bool) -> None:
    """``<table>_latest``: the rows of the newest release (manifest created_at, then load time). security_invoker:
    the querying user's row-level security applies."""
    from sqlalchemy import text  # lazy: SQLAlchemy, see make_engine

    view = table + "_latest"
    exists = conn.execute(text("SELECT to_regclass(:v) IS NOT NULL"), {"v": f"{qi(schema)}.{qi(view)}"}).scalar_one()
    if exists and not force:
        return
    S = qi(schema)
    conn.execute(text(
        f"CREATE OR REPLACE VIEW {S}.{qi(view)} WITH (security_invoker = true) AS SELECT t.* FROM {S}.{qi(table)} t"
        f" WHERE t.release_id = (SELECT r.release_id FROM {S}.releases r ORDER BY r.created_at DESC, r.loaded_at DESC,"
        " r.release_id DESC LIMIT 1)"))


# --------------------------------------------------------------------------------------------------- CLI
def cmd_publish_pg(args) -> int:
    """``cchc publish-pg (--release DIR | --out DIR) [--url URL]``: load one release (``--release``, else
    ``<--out>/publish/latest``; never a default folder of the installation) into PostgreSQL.
    The URL: --url, else CCHC_PG_URL, else CCHC_PG_URL_FILE (prefer the environment: a --url shows in `ps`)."""
    url = resolve_pg_url(getattr(args, "url", None))
    if not url:
        print("publish-pg: no database configured: set CCHC_PG_URL or CCHC_PG_URL_FILE (or pass --url)")
        return 2
    release = getattr(args, "release", None)
    if not release and getattr(args, "out", None):
        release = layout.latest_link(layout.publish_dir(Path(args.out)))
    if not release:
        print("publish-pg: say which release to load: --release DIR (a release folder) or --out DIR (its output "
              "root: <DIR>/publish/latest)")
        return 2
    if not layout.release_manifest(Path(release)).exists():
        print(f"publish-pg: {release} is not a release folder (no manifest.json)")
        return 2
    schema = getattr(args, "schema", None) or "cchc"
    try:
        result = publish_release_to_postgres(Path(release), url, schema=schema, replace=bool(getattr(args, "replace", False)))
    except Exception as exc:  # the message, masked; never a traceback holding the URL
        print(f"publish-pg: failed loading {release} into {mask_url(url)}: {_masked_error(exc, url)}")
        return 1
    print(f"publish-pg: release {result['release_id']} {result['status']} into {result['target']} (schema {schema}, "
          f"{result['seconds']} s)")
    for t, n in result["row_counts"].items():
        print(f"  {t}: {n} rows")
    return 0
