"""What ``cchc run`` prints when a run ends: loads, checks, the build, the release (or why nothing was published)."""

from __future__ import annotations

import json

import duckdb

from orchestration.ingest.loads import FileLoad, LoadTotals, totals_by_table
from orchestration.lib import layout
from orchestration.lib.settings import Settings
from orchestration.publish.parts import table_sql
from orchestration.quality.records import read_records
from orchestration.transform.incremental import last_build


def print_summary(settings: Settings, failures: list[str], warnings: list[str], unchanged=None, started: float | None = None) -> None:
    # every file ever landed in this lake (its landing manifest), not only this run's
    loads = [FileLoad(**json.loads(p.read_text(encoding="utf-8"))) for p in layout.LakeFiles(settings.lake_dir).manifests()]
    by_table = totals_by_table(loads)
    print("\nLoads (rows read = loaded + quarantined + duplicates dropped):")
    print(f"  {'table':<16}{'files':>6}{'read':>9}{'loaded':>9}{'quarant.':>9}{'dupl.':>7}  reasons")
    for name, t in sorted(by_table.items()):
        reasons = ", ".join(f"{k} {v}" for k, v in t.reasons_by_count()) or "-"
        print(f"  {name:<16}{t.files:>6}{t.rows_read:>9}{t.rows_loaded:>9}{t.rows_quarantined:>9}{t.duplicates_dropped:>7}  {reasons}")
    if any(t.rows_quarantined for t in by_table.values()):
        print(f"  quarantined records: {layout.lake_table_dir(settings.lake_dir, 'quarantine')} (file, record, field, value, rule)")
    print("\nIn plain words:")
    for line in plain_words(by_table):
        print(f"  {line}")
    latest = layout.latest_link(settings.publish_dir)
    if unchanged is not None and not failures:  # its checks and warnings are those of the release: see its manifest
        print(f"\nnothing changed since release {unchanged.release_id} (raw files by sha256, code, seeds and settings): "
              f"nothing new published; publish/latest is still {latest.resolve()} (cchc run --force publishes anyway).")
        return
    _print_quality(settings, warnings)
    _print_build(settings, started)
    if failures:
        print("\nPUBLICATION BLOCKED — nothing was published:")
        for f in failures:
            print(f"  - {f}")
        for rec in _check_records(settings):
            if not rec["passed"] and rec["severity"] == "critical":
                for d in (rec.get("details") or [])[:5]:
                    print(f"      {rec['name']}: {d}")
        if latest.is_symlink():
            print(f"The previous release is unchanged: {latest.resolve()}")
        return
    folder = latest.resolve()
    print(f"\nRelease {folder.name}: {folder}")
    obs = table_sql(folder, "observations", text=True)
    summary = [] if obs is None else duckdb.sql(f"""
        WITH o AS (SELECT * REPLACE (TRY_CAST(ratio AS DOUBLE) AS ratio, TRY_CAST(points AS DOUBLE) AS points)
                   FROM {obs}
                   WHERE period_type IN ('M', 'Q') AND agency_code IS NULL AND ma_linh_vuc IS NULL AND ma_tthc IS NULL
                     AND unit_level IN ('huyen', 'tinh'))
        SELECT t.period, t.unit_code, t.unit_name, round(r.ratio, 2), round(t.points, 2), t.grade,
               t.rank || '/' || t.rank_of, t.obs_status
        FROM o t JOIN o r USING (period, unit_code, unit_valid_from)
        WHERE t.indicator_id = 'QD766_TOTAL' AND r.indicator_id = 'QD766_2_1' AND r.obs_status <> 'M'
        ORDER BY t.unit_code, t.period""").fetchall()
    if summary:
        print("Decision 766 index by month and quarter, district and province (P = running period):")
        print(f"  {'period':<9}{'unit':<6}{'name':<22}{'2_1 %':>8}{'total':>8}  {'grade':<11}{'rank':<7}status")
        for p, u, n, r, pts, grade, rank, st in summary:
            print(f"  {p:<9}{u:<6}{(n or '')[:21]:<22}{'' if r is None else r:>8}{'' if pts is None else pts:>8}  "
                  f"{grade or '':<11}{rank or '':<7}{st}")
    manifest = json.loads(layout.release_manifest(folder).read_text(encoding="utf-8"))
    reports = manifest.get("leadership_reports") or {}
    if reports:
        print(f"  leadership reports: {reports.get('pdf', 0)} PDF(s), {reports.get('html', 0)} page(s)"
              + (f" — {reports['skipped']}" if reports.get("skipped") else ""))
        for message in reports.get("messages", [])[:5]:
            print(f"    {message}")
    if manifest.get("reconciliation"):
        print(f"  {manifest['reconciliation']['line']}")
        for message in manifest["reconciliation"]["messages"][:5]:
            print(f"    {message}")
    parts = manifest.get("parts_summary", {})
    if parts:
        print("  parts: " + "; ".join(f"{t} {p['written']} written, {p['linked']} linked" for t, p in sorted(parts.items())))
    for name in ("by_province", "target_tracking.csv", "improvement_plan.csv", "reconciliation.csv", "explain", "data_dictionary.md"):
        if (folder / name).exists():
            print(f"  {name}: {folder / name}")


def _print_build(settings, started: float | None) -> None:
    """How this run built the warehouse, and why a full build when it was one (main.cchc_build_state)."""
    build = last_build(settings.warehouse_path)
    if build and started is not None and build["built_at"] >= started:
        print(f"\nWarehouse: {build['kind']} build — {build['reason']}")


def plain_words(by_table: dict[str, LoadTotals]) -> list[str]:
    """One sentence per lake table: loaded, quarantined and why, duplicates dropped."""
    lines = []
    for name, t in sorted(by_table.items()):
        line = f"{name}: {t.rows_loaded} of {t.rows_read} record(s) from {t.files} file(s) loaded"
        if t.rows_quarantined:
            why = ", ".join(f"{v} {k}" for k, v in t.reasons_by_count())
            line += f"; {t.rows_quarantined} quarantined ({why})"
        if t.duplicates_dropped:
            line += f"; {t.duplicates_dropped} exact duplicate(s) dropped"
        lines.append(line + ".")
    return lines or ["nothing was loaded (no raw file landed)."]


def _check_records(settings) -> list[dict]:
    return read_records(settings.reports_dir)


def _print_quality(settings, run_warnings: list[str]) -> None:
    records = _check_records(settings)
    warned = [r for r in records if not r["passed"] and r["severity"] != "critical"]
    blocked = [r for r in records if not r["passed"] and r["severity"] == "critical"]
    passed = len(records) - len(warned) - len(blocked)
    print(f"\nQuality checks (Great Expectations): {len(records)} run, {passed} passed, {len(blocked)} blocking failure(s), "
          f"{len(warned)} warning(s).")
    for r in warned:
        print(f"  warning {r['asset']}:{r['name']}: {r['message']}")
    others = [w for w in run_warnings if not any(f"check {r['name']} on" in w for r in warned)]
    for w in others:
        print(f"  warning: {w}")
    docs = layout.data_docs_index(settings.reports_dir)
    if docs.exists():
        print(f"  Data Docs: {docs}")
    overhead = layout.overhead_file(settings.reports_dir)
    if overhead.exists():
        secs = json.loads(overhead.read_text(encoding="utf-8"))
        print(f"  time spent in the checks: {sum(secs.values()):.1f} s")


