"""Release layout v2 (DATA_CONTRACT §2.2): a release costs what changed, not what exists.

Every published table is a set of **parts** keyed by (table, province, period), the published period itself
(``2026-07``, ``2026-Q3``, ``2026-H2``, ``2026``)::

    observations/province=06/period=2026-07/part.parquet    + by_province/06/2026-07/indicator_observations.csv
    bieu06/province=06/period=2026-07/part.parquet          + by_province/06/2026-07/report_bieu06.csv and .xlsx
    explain/<table>/province=06/period=2026-07/part.parquet   (period = the reception month for dossier rows)
    sdmx/<FAMILY>/province=06/period=2026-07/part.csv       (ACTION=I; derived from the observations / Biểu 06 part)

A part file holds exactly the contract's columns, as the province's CSV does; its province is in its folder name
(read the parts with ``hive_types = {'province': 'VARCHAR', 'period': 'VARCHAR'}``, as ``read_parts_sql`` does:
DuckDB would otherwise read ``province=06`` as the number 6). A row's province is ``units.csv``'s ``province_code`` of its
(unit_code, unit_valid_from); a unit missing from the register goes to ``_unassigned`` so the parts always
partition the whole table.

**Linking.** Each part's digest is computed in the warehouse before anything is written: row count, the sum and the
xor of a hash of every row (order does not matter), and the layout signature (columns, this module's
``LAYOUT_VERSION``, for Biểu 06 whether the period is still running). A part whose digest equals the previous
release's part, with all that part's files present there, is hard-linked from the previous release — the same
inode, zero bytes written — together with the files derived from it (CSV, workbook, SDMX). Everything else is
written in one partitioned pass per table. ``manifest.json`` lists every part: key, digest, rows, written/linked and
its files with sha256 (copied from the previous manifest for a linked part: the bytes are the same).

Readers go through ``table_sql`` / ``part_files`` here (one owner of the layout's paths).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.lib.safe_cells import neutralised_query

LAYOUT_VERSION = 2
UNASSIGNED = "_unassigned"
PART_FILE = "part.parquet"
PERIOD_TYPE_ORDER_SQL = "CASE period_type WHEN 'M' THEN 0 WHEN 'Q' THEN 1 WHEN 'H' THEN 2 WHEN 'Y' THEN 3 ELSE 9 END"


@dataclass(frozen=True)
class PartSet:
    """One published table split into parts."""

    name: str                    # folder under the release: observations, bieu06, explain/explain_qd766_dossiers
    model: str                   # warehouse relation it is read from
    columns: tuple[str, ...]     # published columns, in order (the contract's)
    order: str                   # ORDER BY of a part's CSV (and of the national CSV, with the key in front)
    period: str = "period"       # SQL giving a row's part period
    csv: str | None = None       # by_province/<province>/<period>/<csv>
    xlsx: bool = False           # Biểu 06 workbook beside the CSV

    def signature(self) -> str:
        return f"v{LAYOUT_VERSION}|{self.name}|{','.join(self.columns)}|csv={self.csv}|xlsx={self.xlsx}"


@dataclass
class Part:
    table: str
    province: str
    period: str
    rows: int
    digest: str
    state: str = "written"       # written | linked
    files: dict[str, str] = field(default_factory=dict)  # release-relative path → sha256

    def as_manifest(self) -> dict:
        return {"table": self.table, "province": self.province, "period": self.period, "rows": self.rows,
                "digest": self.digest, "state": self.state, "files": dict(sorted(self.files.items()))}


def key_sql(expr: str) -> str:
    """A part key as it names a folder: NULL → ``_none``, any character but letters, digits, ``_`` and ``-`` → ``_``
    (province codes and periods have none; DuckDB would URL-escape them in the folder name)."""
    return f"regexp_replace(coalesce(CAST({expr} AS VARCHAR), '_none'), '[^A-Za-z0-9_-]', '_', 'g')"


def part_dir(table: str, province: str, period: str) -> str:
    return f"{table}/province={province}/period={period}"


def province_dir(province: str, period: str) -> str:
    return f"by_province/{province}/{period}"


def part_files(release: Path, table: str) -> list[Path]:
    """The Parquet parts of ``table`` in a release folder (none for a release written before layout v2)."""
    return sorted(Path(release).glob(f"{table}/province=*/period=*/{PART_FILE}"))


# The folder keys as text: DuckDB would otherwise guess their types from the folder names (province=06 → 6, and
# period=2026 → a number that overrides the file's own text column when a reader globs one year's parts).
HIVE = "hive_partitioning = true, hive_types = {'province': 'VARCHAR', 'period': 'VARCHAR'}"


def read_parts_sql(files: list[Path] | str) -> str:
    """read_parquet over part files (a list, or a glob) with their keys ``province`` and ``period`` as columns."""
    paths = f"'{files}'" if isinstance(files, (str, Path)) else "[" + ", ".join(f"'{f}'" for f in files) + "]"
    return f"read_parquet({paths}, {HIVE}, union_by_name = true)"


def table_sql(release: Path, table: str, text: bool = False) -> str | None:
    """A FROM-clause item reading every part of ``table``, with the part's ``province`` (and ``period``) from its
    folder (``text``: every column as VARCHAR, as a CSV reader would give it); None when the release has no part."""
    if not part_files(release, table):
        return None
    source = read_parts_sql(f"{Path(release)}/{table}/province=*/period=*/{PART_FILE}")
    return f"(SELECT COLUMNS(*)::VARCHAR FROM {source})" if text else source


def csv_files(release: Path, name: str) -> list[Path]:
    """The province CSVs named ``name`` (``indicator_observations.csv``) of a release, every province and period;
    the root file of a release written before layout v2 (or with the optional national CSV) if there are none."""
    release = Path(release)
    found = sorted(release.glob(f"by_province/*/*/{name}"))
    if not found and (release / name).exists():
        return [release / name]
    return found


def previous_parts(manifest: dict | None) -> dict[tuple[str, str, str], dict]:
    """(table, province, period) → the previous manifest's part entry ({} for a release before layout v2)."""
    if not manifest or manifest.get("layout") != LAYOUT_VERSION:
        return {}
    return {(p["table"], p["province"], p["period"]): p for p in manifest.get("parts", [])}


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # another file system: a copy is as good, just not free
        shutil.copy2(src, dst)


def _source(ps: PartSet, units_table: str, model_columns: list[str]) -> str:
    """The table's rows with their part key (province, period)."""
    cols = ", ".join(f'm."{c}"' for c in ps.columns)
    if {"unit_code", "unit_valid_from"} <= set(model_columns):
        province = f"coalesce(u.province_code, '{UNASSIGNED}')"
        join = f"LEFT JOIN {units_table} u ON u.unit_code = m.unit_code AND u.unit_valid_from = m.unit_valid_from"
    else:
        province, join = f"'{UNASSIGNED}'", ""
    period = f"m.{ps.period}" if ps.period in model_columns else ps.period
    return f"SELECT {cols}, {key_sql(province)} AS province, {key_sql(period)} AS period_key FROM {ps.model} m {join}"


def plan(con, ps: PartSet, units_table: str, prev: dict, prev_release: Path | None, extra: dict[str, str] | None = None,
         salt: str = "") -> tuple[list[Part], str]:
    """Compute every part's digest in the warehouse and decide written / linked. ``extra``: period → text added to
    the digest (Biểu 06: running or final); ``salt``: text added to every part's digest — what the files derived from
    a part depend on besides its rows (unit names in the workbooks, SDMX units of measure, the writers' code).
    Returns the parts and the source query (with ``province``, ``period_key``)."""
    model_columns = [d[0] for d in con.execute(f"DESCRIBE SELECT * FROM {ps.model}").fetchall()]
    source = _source(ps, units_table, model_columns)
    hashed = ", ".join(f'"{c}"' for c in ps.columns)
    rows = con.execute(f"""
        SELECT province, period_key, count(*), CAST(sum(hash({hashed})) AS VARCHAR) || ':' || CAST(bit_xor(hash({hashed}, 7)) AS VARCHAR)
        FROM ({source}) GROUP BY ALL ORDER BY ALL""").fetchall()
    sig = ps.signature()
    parts = []
    for province, period, n, row_digest in rows:
        text = f"{sig}|{salt}|{(extra or {}).get(period, '')}|{n}|{row_digest}"
        part = Part(ps.name, province, period, n, hashlib.sha256(text.encode()).hexdigest()[:32])
        old = prev.get((ps.name, province, period))
        files = old.get("files", {}) if old else {}
        if (old and prev_release is not None and old.get("digest") == part.digest
                and f"{part_dir(ps.name, province, period)}/{PART_FILE}" in files
                and all((prev_release / f).is_file() for f in files)):
            part.state = "linked"
            part.files = dict(old["files"])
        parts.append(part)
    return parts, source


def write_parts(con, ps: PartSet, parts: list[Part], source: str, staging: Path, prev_release: Path | None,
                units: dict | None = None) -> None:
    """Link the linked parts' files from the previous release; write the others (Parquet in one partitioned pass,
    then each part's CSV and workbook). Fills every written part's ``files``."""
    from orchestration.publish.formats import copy_csv, write_workbooks

    for part in parts:
        if part.state == "linked":
            for rel in part.files:
                link_or_copy(prev_release / rel, staging / rel)
    todo = [p for p in parts if p.state == "written"]
    if not todo:
        return
    tmp = staging / ".parts-tmp" / ps.name.replace("/", "__")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    keys = ", ".join(f"('{p.province}', '{p.period}')" for p in todo)
    cols = ", ".join(f'"{c}"' for c in ps.columns)
    # one pass writes every rewritten part, no sort (a part's CSV is sorted on its own, small); the key columns
    # name the folders and are not repeated in the files (WRITE_PARTITION_COLUMNS false)
    query = (f"SELECT {cols}, province, period_key FROM ({source}) s SEMI JOIN (VALUES {keys}) v(k, p)"
             f" ON s.province = v.k AND s.period_key = v.p")
    con.execute(f"COPY ({neutralised_query(con, query)}) TO '{tmp}' (FORMAT PARQUET, COMPRESSION ZSTD, "
                "PARTITION_BY (province, period_key), FILENAME_PATTERN 'part{i}')")
    workbooks = []
    for part in todo:
        written = sorted((tmp / f"province={part.province}" / f"period_key={part.period}").glob("*.parquet"))
        if not written:
            raise RuntimeError(f"{ps.name}: DuckDB wrote no file for part province={part.province}, period={part.period}")
        target_dir = staging / part_dir(ps.name, part.province, part.period)
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / PART_FILE
        if len(written) == 1:
            os.replace(written[0], target)
        else:  # DuckDB split a large partition into several files: one part file all the same
            file_list = ", ".join(f"'{w}'" for w in written)
            con.execute(f"COPY (SELECT * FROM read_parquet([{file_list}], hive_partitioning = false)) TO '{target}' "
                        "(FORMAT PARQUET, COMPRESSION ZSTD)")
        part.files[str(target.relative_to(staging))] = ""
        if ps.csv:
            csv_path = staging / province_dir(part.province, part.period) / ps.csv
            copy_csv(con, f"SELECT {cols} FROM read_parquet('{target}', hive_partitioning = false) ORDER BY {ps.order}",
                     csv_path, neutralised=True)
            part.files[str(csv_path.relative_to(staging))] = ""
            if ps.xlsx:
                xlsx = csv_path.with_suffix(".xlsx")
                workbooks.append((str(target), str(xlsx)))
                part.files[str(xlsx.relative_to(staging))] = ""
    shutil.rmtree(tmp, ignore_errors=True)
    if workbooks:
        write_workbooks(workbooks, units or {})
    for part in todo:
        part.files = {rel: sha256_file(staging / rel) for rel in part.files}


def add_files(part: Part, staging: Path, rels: list[str]) -> None:
    """Record files derived from a written part (its SDMX files) in its entry, with their sha256."""
    for rel in rels:
        part.files[rel] = sha256_file(staging / rel)


def summary(parts: list[Part]) -> dict:
    """Per table: parts written / linked, rows, bytes written (hard links cost nothing)."""
    out: dict[str, dict] = {}
    for p in parts:
        s = out.setdefault(p.table, {"parts": 0, "written": 0, "linked": 0, "rows": 0})
        s["parts"] += 1
        s[p.state] += 1
        s["rows"] += p.rows
    return out
