"""The dossiers' change log (``lake/_state/dossier_changes.jsonl``): for every rewrite of lake months, which months
were rewritten and the **change frontier** — the earliest date from which a period's values can differ.

Why a frontier is enough: a closed period's values are judged from dates, never from today's status
(METHODOLOGY §1; ``int_dossier_period_status``), so a new version of a dossier can only change periods that end on
or after the earliest date at which its old and new versions differ:

* only event dates differ (a return date appears, a due date moves): the earliest of the differing dates, old or new;
* any other field differs (procedure, agency, channel, status, a flag), or the dossier is new or gone: the
  earliest date of either version (its whole life);
* nothing but NgayCapNhat / provenance differs (the same record sent again): no frontier at all.

The warehouse build (``orchestration.transform.incremental``) recomputes only the periods ending on or after the
earliest frontier it has not consumed yet, and only the dossiers of the rewritten months.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import duckdb

from orchestration.ingest import sql
from orchestration.lib import lake_schema, layout
from orchestration.lib.settings import Settings, limit_memory

# Fields whose change says nothing about a period: the version stamp and the provenance of the copy.
VOLATILE = {"ngay_cap_nhat", *lake_schema.PROVENANCE}
DATE_COLUMNS = [c for c, t in lake_schema.DOSSIERS.items() if t == "TIMESTAMP" and c not in VOLATILE]
ATTRIBUTE_COLUMNS = [c for c in lake_schema.DOSSIERS if c not in VOLATILE and c not in DATE_COLUMNS]


def log_path(lake_dir: Path) -> Path:
    return layout.change_log_file(lake_dir)


def _partition_files(settings: Settings, months: list[str]) -> list[str]:
    part = lake_schema.DOSSIER_PARTITION_COLUMN
    return sorted(str(p) for m in months for p in layout.partition_dir(settings.lake_dir, "dossiers", part, m).glob("*.parquet"))


def _digest_query(files: list[str]) -> str:
    """One narrow row per dossier: its event dates and a hash of every other field that feeds an indicator."""
    attrs = ", ".join(f"{c} := {c}" for c in ATTRIBUTE_COLUMNS)
    return (f"SELECT ma_ho_so, {', '.join(DATE_COLUMNS)}, hash(struct_pack({attrs})) AS attributes_hash "
            f"FROM read_parquet({sql.literal_list(files)}, union_by_name=true)")


def _connect(settings: Settings):
    con = duckdb.connect()
    limit_memory(con)
    con.execute(f"SET temp_directory = {sql.literal(str(layout.duckdb_temp_dir(settings.out_dir)))}")
    return con


def snapshot_before(settings: Settings, months: list[str]) -> Path | None:
    """Digest of the versions the months hold now, before they are rewritten (None when they hold nothing)."""
    files = _partition_files(settings, months)
    if not files:
        return None
    out = layout.duckdb_temp_dir(settings.out_dir) / f"dossier_versions_before.{uuid.uuid4().hex[:8]}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(settings)
    con.execute(f"COPY ({_digest_query(files)}) TO $out (FORMAT parquet)", {"out": str(out)})
    con.close()
    return out


def frontier_sql(before: str, after: str) -> str:
    """The earliest date at which any dossier's version differs between two digest relations (NULL: none differs).
    LEAST ignores NULLs, so an absent date never lowers the frontier."""
    every_date = ", ".join([f"o.{c}" for c in DATE_COLUMNS] + [f"n.{c}" for c in DATE_COLUMNS])
    differing = ", ".join(f"CASE WHEN o.{c} IS DISTINCT FROM n.{c} THEN least(o.{c}, n.{c}) END" for c in DATE_COLUMNS)
    return f"""
        SELECT min(CASE
                   WHEN o.ma_ho_so IS NULL OR n.ma_ho_so IS NULL
                        OR o.attributes_hash IS DISTINCT FROM n.attributes_hash THEN least({every_date})
                   ELSE least({differing})
               END) AS frontier,
               count(*) FILTER (WHERE o.ma_ho_so IS NULL) AS new_dossiers,
               count(*) FILTER (WHERE n.ma_ho_so IS NULL) AS gone_dossiers,
               count(*) FILTER (WHERE o.ma_ho_so IS NOT NULL AND n.ma_ho_so IS NOT NULL
                                AND (o.attributes_hash IS DISTINCT FROM n.attributes_hash
                                     OR {' OR '.join(f'o.{c} IS DISTINCT FROM n.{c}' for c in DATE_COLUMNS)}))
                   AS changed_dossiers
        FROM ({before}) o FULL OUTER JOIN ({after}) n ON o.ma_ho_so = n.ma_ho_so"""


def read_changes(lake_dir: Path) -> list[dict]:
    """The log's entries, one per rewrite (seq), the completed entry of a rewrite replacing its opening entry."""
    path = log_path(lake_dir)
    if not path.exists():
        return []
    by_seq: dict[int, dict] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            by_seq[entry["seq"]] = entry
    return [by_seq[k] for k in sorted(by_seq)]


def _append(lake_dir: Path, entry: dict) -> None:
    path = log_path(lake_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


def begin(settings: Settings, months: list[str], run_id: str = "") -> tuple[dict, Path | None]:
    """Open a log entry for a rewrite of ``months`` (complete: false) and digest what they hold now. An entry left
    open — the rewrite or its comparison did not finish — tells the warehouse build that it cannot know what
    changed: it rebuilds in full."""
    previous = read_changes(settings.lake_dir)
    entry = {
        "log_id": previous[0]["log_id"] if previous else uuid.uuid4().hex,
        "seq": (previous[-1]["seq"] + 1) if previous else 1,
        "run_id": run_id,
        "months": sorted(months),
        "complete": False,
    }
    _append(settings.lake_dir, entry)
    return entry, snapshot_before(settings, months)


def finish(settings: Settings, entry: dict, before: Path | None) -> dict:
    """Compare the rewritten months with their digest from before the rewrite and complete the entry: frontier (ISO
    date, or None when no dossier differs) and the counts of new, gone and changed dossiers. Returns the entry."""
    after_files = _partition_files(settings, entry["months"])
    empty = "SELECT * FROM (SELECT NULL::VARCHAR AS ma_ho_so, " + ", ".join(
        f"NULL::TIMESTAMP AS {c}" for c in DATE_COLUMNS) + ", NULL::UBIGINT AS attributes_hash) WHERE false"
    con = _connect(settings)
    before_q = f"SELECT * FROM read_parquet({sql.literal(str(before))})" if before else empty
    after_q = _digest_query(after_files) if after_files else empty
    frontier, new, gone, changed = con.execute(frontier_sql(before_q, after_q)).fetchall()[0]
    con.close()
    if before:
        before.unlink(missing_ok=True)
    done = {**entry, "complete": True, "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "frontier": frontier.date().isoformat() if frontier else None,
            "new_dossiers": new, "gone_dossiers": gone, "changed_dossiers": changed}
    _append(settings.lake_dir, done)
    return done
