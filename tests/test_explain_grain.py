"""Explain tables at the grain of the thing that failed (DATA_CONTRACT §2.2 explain/, issue 20 point 1).

One dbt build of a small generated lake: Bạch Thông district 2025-03 … 2025-06 (``orchestration.generate``, seed 7),
plus hand-made records across the 1 July 2025 reorganisation, when the district and its communes ceased
(ADMIN_UNITS.md: Phủ Thông 01969 v2020-01-01 ends 2025-06-30, 01969 v2025-07-01 follows, agency 000.31.19.H56):

  old commune 01969 (agency 000.01.63.H06), judged at its last day 2025-06-30 in every period it has — and a
  dossier still open then is carried into its successor, the new commune 01969 v2025-07-01 (issue 21, the lineage
  seed), and judged in the new commune's periods like any other:
    R1 rec 06-16 due 06-19, open                  → pending overdue at the cut (06, Q2, H1, 2025) and in every
                                                    period of the new commune (07, 08, Q3, H2, 2025)
    R2 rec 06-25 due 07-10, open; a PAKN names it 07-15 → within time at the cut: fails nothing for the old commune;
                                                    overdue (and named: 5_4) in the new commune's periods
    R3 rec 06-20 due 06-24, ended 07-03           → pending overdue at the cut; resolved late in the new commune's
                                                    July, Q3, H2 and 2025
    R4 rec 06-02 due 06-05, ended 06-10           → resolved late in June; its "khong_hai_long" of 07-05 is after
                                                    the cut, so 5_4 says "late" only
    R5 rec 05-05 due 05-08, ended 05-07 (early); rated "khong_hai_long" 06-10 → 5_4 fails in Q2, H1 and 2025 (D
                                                    holds it, rating by P_end) but not in 2025-05 (rated later)
                                                    nor 2025-06 (ended before June: not in D)
  new commune 01969 v2025-07-01 (agency 000.31.19.H56), as-of 2025-08-20 12:00 (N5's update):
    N1 rec 07-07 due 07-10, open                  → pending overdue in 07, 08, Q3, H2, 2025; named by PAKN P3
    N2 rec 07-14 due 07-17, ended 08-04           → pending overdue in 07, resolved late in 08, Q3, H2, 2025
    N3 rec 07-21, no due date, 3 working days     → legal limit: overdue from the 4th working day after reception
    N4 rec 07-22, no due date, 8 hours            → legal limit in working hours
    N5 rec 08-18, two supplements, open           → late whatever the dates: overdue from reception
  PAKN: P1 (old 01969) rec 06-25, handled 07-25 → 5_2 / 5_3 met in 2025-06, Q2 and H1 (in progress 3 working days
        at 06-30), late in the year (handled 22 working days after receipt > 15); P2 (new 01969) rec 07-01, not
        classified, still in progress at the as-of date → 5_1, 5_2, 5_3 fail in 07, Q3, H2, 2025; P3 names N1 (08-05),
        P4 names R2 (07-15).

The checks: for every unit, period (and agency, and field) the distinct failing dossiers / PAKN of the expanded
views equal denominator − numerator of the value tables (nothing lost against the former per-period tables); a
hand count for one unit from fct_dossiers; one row per failing thing; the causes table adds up.
"""
from __future__ import annotations

import copy
import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from tests.test_dbt_build import PROJECT, _close_dbt_duckdb

DOSSIER_ROWS = ["QD766_1_4", "QD766_3_3", "QD766_3_6", "QD766_4_1", "QD766_4_2", "QD766_4_3", "QD766_4_4",
                "QD766_4_5b"]
JUDGED = ["QD766_2_1", "QD766_5_4"]
PAKN = ["QD766_5_1", "QD766_5_2", "QD766_5_3"]
OLD_AGENCY, NEW_AGENCY = "000.01.63.H06", "000.31.19.H56"
OLD_UNIT, NEW_UNIT = ("01969", dt.date(2020, 1, 1)), ("01969", dt.date(2025, 7, 1))


def _ts(s: str | None) -> str | None:
    return s and dt.datetime.fromisoformat(s).strftime("%Y%m%d%H%M%S")


def _add_reform_crossing(raw: Path) -> None:
    """The hand-made dossiers, ratings and PAKN of the module docstring, appended to the generated raw root."""
    template = json.loads((raw / "dossiers" / "dongbo_202506_001.json").read_text(encoding="utf-8"))["data"][0]

    def dossier(code, agency, proc, received, due, status=4, ended=None, updated=None, supplements=()):
        r = copy.deepcopy(template)
        r.update({
            "MaHoSo": f"{agency}-{code}", "MaTTHC": proc, "MaDonViXuLy": agency, "KenhThucHien": 1,
            "NgayNopHoSo": _ts(received), "NgayTiepNhan": _ts(received), "NgayHenTra": _ts(due),
            "TrangThaiHoSo": status, "NgayKetThucXuLy": _ts(ended), "NgayTra": None, "NgayTuChoi": None,
            "DanhSachHoSoBoSung": [{"NgayBoSung": _ts(a), "NgayTiepNhanBoSung": _ts(b), "NgayHenTraTruoc": None,
                                    "NgayHenTraMoi": None} for a, b in supplements],
            "DanhSachGiayToKetQua": [], "TrangThaiDongBoDVC": 0,
            "NgayCapNhat": _ts(updated or ended or received),
        })
        for k in ("MaLinhVuc", "TenLinhVuc", "TenTTHC"):
            r.pop(k, None)  # taken from the catalogue
        return r

    hotich = "1.004873"  # commune, 3 working days
    records = [
        dossier("R1", OLD_AGENCY, hotich, "2025-06-16 09:00", "2025-06-19 17:00"),
        dossier("R2", OLD_AGENCY, hotich, "2025-06-25 09:00", "2025-07-10 17:00"),
        dossier("R3", OLD_AGENCY, hotich, "2025-06-20 09:00", "2025-06-24 17:00", 10, "2025-07-03 10:00"),
        dossier("R4", OLD_AGENCY, hotich, "2025-06-02 09:00", "2025-06-05 17:00", 10, "2025-06-10 10:00"),
        dossier("R5", OLD_AGENCY, hotich, "2025-05-05 09:00", "2025-05-08 17:00", 10, "2025-05-07 10:00"),
        dossier("N1", NEW_AGENCY, hotich, "2025-07-07 09:00", "2025-07-10 17:00"),
        dossier("N2", NEW_AGENCY, hotich, "2025-07-14 09:00", "2025-07-17 17:00", 10, "2025-08-04 10:00"),
        dossier("N3", NEW_AGENCY, hotich, "2025-07-21 09:00", None),
        dossier("N4", NEW_AGENCY, "2.000635", "2025-07-22 14:00", None),
        dossier("N5", NEW_AGENCY, hotich, "2025-08-18 09:00", "2025-08-21 17:00", 5, None, "2025-08-20 12:00",
                supplements=[("2025-08-18 15:00", "2025-08-19 09:00"), ("2025-08-19 15:00", None)]),
    ]
    (raw / "dossiers" / "dongbo_202508_901.json").write_text(
        json.dumps({"service": "dongbo", "isUpdating": True, "data": records}, ensure_ascii=False), encoding="utf-8")
    with open(raw / "ratings" / "dossier_ratings.csv", "a", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"{OLD_AGENCY}-R4", "2025-07-05 10:00", "khong_hai_long"])
        w.writerow([f"{OLD_AGENCY}-R5", "2025-06-10 10:00", "khong_hai_long"])
    with open(raw / "petitions" / "petitions.csv", encoding="utf-8") as f:
        header = next(csv.reader(f))
    with open(raw / "petitions" / "petitions.csv", "a", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, restval="")
        w.writerow({"ma_pakn": "PAKN-T-P1", "agency_code": OLD_AGENCY, "ngay_tiep_nhan": "2025-06-25 08:00",
                    "phan_loai": "khac", "trang_thai": "da_xu_ly", "ngay_xu_ly": "2025-07-25 10:00",
                    "luot_thich": 1, "luot_khong_thich": 0, "khieu_nai_lai": 0})
        w.writerow({"ma_pakn": "PAKN-T-P2", "agency_code": NEW_AGENCY, "ngay_tiep_nhan": "2025-07-01 08:00",
                    "phan_loai": "", "trang_thai": "dang_xu_ly", "luot_thich": 0, "luot_khong_thich": 0,
                    "khieu_nai_lai": 0})
        w.writerow({"ma_pakn": "PAKN-T-P3", "agency_code": NEW_AGENCY, "ngay_tiep_nhan": "2025-08-05 08:00",
                    "phan_loai": "khac", "ma_ho_so_lien_quan": f"{NEW_AGENCY}-N1", "trang_thai": "da_xu_ly",
                    "ngay_xu_ly": "2025-08-06 10:00", "luot_thich": 0, "luot_khong_thich": 0,
                    "khieu_nai_lai": 0})
        w.writerow({"ma_pakn": "PAKN-T-P4", "agency_code": NEW_AGENCY, "ngay_tiep_nhan": "2025-07-15 08:00",
                    "phan_loai": "khac", "ma_ho_so_lien_quan": f"{OLD_AGENCY}-R2", "trang_thai": "da_xu_ly",
                    "ngay_xu_ly": "2025-07-16 10:00", "luot_thich": 0, "luot_khong_thich": 0,
                    "khieu_nai_lai": 0})


def _dbt_build(lake: Path, warehouse: Path, work: Path):
    """dbt build of every model and data test (the unit tests run on their own: dbt test -s test_type:unit)."""
    from dbt.cli.main import dbtRunner

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CCHC_LAKE_DIR", str(lake))
        mp.setenv("CCHC_WAREHOUSE", str(warehouse))
        try:
            return dbtRunner().invoke([
                "build", "--exclude", "test_type:unit", "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
                "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--quiet",
            ])
        finally:
            _close_dbt_duckdb()


def _land(raw: Path, out: Path) -> None:
    """Only the ingest assets (landing, monthly lake partitions, source inventory) — no quality gate, no release."""
    import dagster as dg

    from orchestration.ingest.assets import ASSETS, PARTITIONED, current_loads
    from orchestration.lib.partitions import range_tags
    from orchestration.lib.resources import CchcSettings
    from orchestration.lib.settings import Settings

    resources = {"cchc": CchcSettings(raw_dir=str(raw), out_dir=str(out), as_of="")}
    instance = dg.DagsterInstance.ephemeral()
    inventory = dg.AssetKey(["lake", "source_inventory"])
    landing = [k for a in ASSETS if not a.partitions_def for k in a.keys if k != inventory]
    assert dg.materialize(ASSETS, selection=landing, resources=resources, instance=instance).success
    settings = Settings(raw_dir=raw, out_dir=out)
    months = sorted({m for t in PARTITIONED for ld in current_loads(settings, t) for m in ld.months})
    partitions = [k for a in ASSETS if a.partitions_def for k in a.keys] + [inventory]
    assert dg.materialize(ASSETS, selection=partitions, resources=resources, instance=instance,
                          tags=range_tags(months[0], months[-1])).success


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    from orchestration.generate import generate

    work = tmp_path_factory.mktemp("explain_grain")
    raw, out = work / "raw", work / "out"
    generate(str(raw), seed=7, start="2025-03", end="2025-06", fmt="json", dossiers_per_year=2400)
    _add_reform_crossing(raw)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CCHC_INGEST_WORKERS", "1")  # a few files: no worker processes
        mp.setenv("CCHC_RAW_DIR", str(raw))
        mp.setenv("CCHC_OUT_DIR", str(out))
        _land(raw, out)
    result = _dbt_build(out / "lake", work / "warehouse.duckdb", work)
    assert result.success, f"dbt build failed: {result.exception}"
    c = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    yield c
    c.close()


# ----------------------------------------------------------------------------------------------------------------
VALUES = f"""
    select indicator_id, period_type, period, unit_code, unit_valid_from, agency_code, field_code,
           cast(denominator - numerator as bigint) as failing
    from (select * from indicators.ind_values_qd766_2_1
          union all by name select * from indicators.ind_values_qd766_5_4
          union all by name select * from indicators.ind_values_qd766_dossiers
          union all by name select * from indicators.ind_values_qd766_pakn)
    where procedure_code is null and indicator_id in ({", ".join(f"'{i}'" for i in DOSSIER_ROWS + JUDGED + PAKN)})
"""
# the expanded views counted at every breakdown of the value tables: unit (its subtree), unit × field, agency
# (under its own unit: depth 0), agency × field — a dossier carried into a successor unit has no agency there
# (issue 21): it counts for the unit, never as an agency row
EXPANDED = """
    select indicator_id, period_type, period, unit_code, unit_valid_from, null as agency_code, null as field_code,
           count(distinct dossier_code) as n
    from analyst.qd766_failing_dossiers_by_period group by all
    union all
    select indicator_id, period_type, period, unit_code, unit_valid_from, null, field_code, count(distinct dossier_code)
    from analyst.qd766_failing_dossiers_by_period where field_code is not null group by all
    union all
    select indicator_id, period_type, period, unit_code, unit_valid_from, agency_code, null, count(distinct dossier_code)
    from analyst.qd766_failing_dossiers_by_period where depth = 0 and agency_code is not null group by all
    union all
    select indicator_id, period_type, period, unit_code, unit_valid_from, agency_code, field_code,
           count(distinct dossier_code)
    from analyst.qd766_failing_dossiers_by_period where depth = 0 and agency_code is not null and field_code is not null
    group by all
    union all
    select indicator_id, period_type, period, unit_code, unit_valid_from, null, null, count(distinct petition_code)
    from analyst.qd766_failing_pakn_by_period group by all
    union all
    select indicator_id, period_type, period, unit_code, unit_valid_from, agency_code, null, count(distinct petition_code)
    from analyst.qd766_failing_pakn_by_period where depth = 0 group by all
"""
KEYS = ["indicator_id", "period_type", "period", "unit_code", "unit_valid_from", "agency_code", "field_code"]


def _join_on(a: str, b: str) -> str:
    return " and ".join(f"{a}.{k} is not distinct from {b}.{k}" for k in KEYS)


def test_expanded_views_count_exactly_the_failures_of_the_value_tables(con):
    """Every (indicator, period, unit [, agency] [, field]) of 2_1, 5_4, 1_4 … 4_5b and PAKN 5_1 … 5_3: distinct
    failing things in the expanded views = denominator − numerator, and no view row outside a value row."""
    diff = con.execute(f"""
        with v as ({VALUES}), e as ({EXPANDED})
        select coalesce(v.indicator_id, e.indicator_id), coalesce(v.period, e.period), coalesce(v.unit_code, e.unit_code),
               coalesce(v.agency_code, e.agency_code), coalesce(v.field_code, e.field_code), v.failing, e.n
        from v full join e on {_join_on('v', 'e')}
        where coalesce(v.failing, 0) <> coalesce(e.n, 0)
        order by all""").fetchall()
    assert diff == []
    # not vacuous: every indicator lost points somewhere, old and new units alike
    failing = dict(con.execute(f"select indicator_id, sum(failing) from ({VALUES}) group by 1").fetchall())
    assert all(failing.get(i, 0) > 0 for i in DOSSIER_ROWS + JUDGED + PAKN), failing
    periods = {r[0] for r in con.execute(
        "select distinct period from analyst.qd766_failing_dossiers_by_period where indicator_id = 'QD766_2_1'").fetchall()}
    assert {"2025-06", "2025-07", "2025-08", "2025-Q2", "2025-Q3", "2025-H1", "2025-H2", "2025"} <= periods


def test_one_row_per_failing_thing(con):
    # dossiers: one row each, every one of them failing somewhere in the expanded view
    n, distinct = con.execute("select count(*), count(distinct dossier_code) from indicators.explain_qd766_dossiers").fetchone()
    assert n == distinct > 0
    stray = con.execute("""select dossier_code from indicators.explain_qd766_dossiers
                       except select dossier_code from analyst.qd766_failing_dossiers_by_period""").fetchall()
    assert stray == []
    # the former per-period rows (period × dossier, own unit) are many more than the dossiers
    per_period = con.execute("""select count(*) from (select distinct period_type, period, dossier_code
                            from analyst.qd766_failing_dossiers_by_period where depth = 0)""").fetchone()[0]
    assert per_period > 3 * n
    # every dossier failing a reception-based row is in the table with its flag
    flags = con.execute("""select count(*) from intermediate.int_qd766_dossier_flags f
        left join indicators.explain_qd766_dossiers e using (dossier_code)
        where (not f.num_1_4 and not coalesce(e.fails_qd766_1_4, false))
           or (not f.num_4_4 and not coalesce(e.fails_qd766_4_4, false))""").fetchone()[0]
    assert flags == 0
    # PAKN: one row per (indicator, petition), at the petition's own unit (no ancestor copy)
    rows = con.execute("""select indicator_id, petition_code, unit_code, unit_valid_from, received_month, failing_periods,
                             reason_m, reason_q, reason_h, reason_y
                      from indicators.explain_qd766_pakn order by all""").fetchall()
    assert len(rows) == len({(r[0], r[1]) for r in rows}) > 0
    assert con.execute("""select count(*) from indicators.explain_qd766_pakn x
                      join intermediate.int_qd766_petition_items i using (indicator_id, petition_code)
                      where (x.unit_code, x.unit_valid_from) <> (i.unit_code, i.unit_valid_from)""").fetchone()[0] == 0
    by_key = {(r[0], r[1]): r[2:] for r in rows}
    # P1: met at the cut's month, quarter and half (in progress), late in the year (handled 21 working days after)
    p1 = by_key[("QD766_5_2", "PAKN-T-P1")]
    assert p1[:4] == (OLD_UNIT[0], OLD_UNIT[1], "2025-06", "2025") and p1[4:7] == (None, None, None)
    assert p1[7].startswith("handled ") and "(limit 15)" in p1[7]
    # P2: not classified and in progress at every P_end of its periods
    for ind in PAKN:
        p2 = by_key[(ind, "PAKN-T-P2")]
        assert p2[:4] == (NEW_UNIT[0], NEW_UNIT[1], "2025-07", "2025-07;2025-Q3;2025-H2;2025") and None not in p2[4:]
    # procedures: at the unit's own level, with the province
    assert con.execute("select count(*) from indicators.explain_qd766_procedures where province_code is null").fetchone()[0] == 0


def _periods(con, period_type=None):
    q = "select period_type, period, period_start, p_end from intermediate.int_periods"
    return {r[1]: r for r in con.execute(q).fetchall() if period_type in (None, r[0])}


def _hand_counts(con, unit, period):
    """Failing dossiers of a commune (no descendants) in a period, counted by hand from fct_dossiers and the raw
    ratings / PAKN (staging), with METHODOLOGY §2–3 and the cut at the unit version's last day; in a period starting
    on or after the lineage's effective date, also the dossiers of its predecessors (the lineage seed) not ended
    before that day (ADMIN_UNITS.md point 4)."""
    _, _, start, p_end = _periods(con)[period]
    valid_to = con.execute("select unit_valid_to from marts.dim_units where unit_code = ? and unit_valid_from = ?",
                           list(unit)).fetchone()[0]
    e = min(p_end, valid_to) if valid_to else p_end
    cols = """dossier_code, received_date, end_date, outcome_class, due_date, supplement_count, legal_limit_kind,
              legal_limit_amount, received_cum_working_seconds, is_synced_to_portal"""
    rows = con.execute(f"select {cols} from marts.fct_dossiers where unit_code = ? and unit_valid_from = ? and is_received",
                       list(unit)).fetchall()
    carried = con.execute(f"""select {cols} from marts.fct_dossiers d
        join reference.unit_lineage l on l.old_code = d.unit_code and l.old_valid_from = d.unit_valid_from
        where l.new_code = ? and l.new_valid_from = ? and d.is_received and ? >= l.effective_date
          and (d.end_date is null or d.end_date >= l.effective_date)""",
        [*unit, p_end.replace(day=1)]).fetchall()  # a period holding a month from the effective date on
    rows += [(code, rec, end, *rest[:-1], True) for code, rec, end, *rest in carried]  # received before: not 1_4 here
    wdi = dict(con.execute("select date, working_day_index from intermediate.int_calendar").fetchall())
    day = 7.5 * 3600  # office seconds of a working day (07:30–11:30, 13:30–17:00)
    unsatisfied = {d: r for d, r in con.execute("""select dossier_code, min(cast(rated_at as date))
        from staging.stg_ratings__dossier_ratings where rating = 'khong_hai_long' group by 1""").fetchall()}
    named = {d: r for d, r in con.execute("""select related_dossier_code, min(cast(received_at as date))
        from staging.stg_petitions__petitions where related_dossier_code is not null group by 1""").fetchall()}
    late, fails_5_4, not_synced = set(), set(), set()
    for code, rec, end, outcome, due, supps, kind, amount, rec_cum, synced in rows:
        if start <= rec <= p_end and not synced:
            not_synced.add(code)
        if rec > e or (valid_to and start > valid_to) or (end is not None and end < start):
            continue  # not in D = completed in P + open at P_end
        if end is not None and end <= e:
            bad = outcome == "late"  # resolved in P
        elif (supps or 0) > 1:
            bad = True  # more than one supplement request: late whatever the dates
        elif due is not None:
            bad = due < e  # within time iff the due date ≥ P_end
        elif kind == "working_days":
            bad = wdi[e] - wdi[rec] > amount
        elif kind == "calendar_days":
            bad = (e - rec).days > amount
        elif kind == "working_hours":
            bad = (wdi[e] * day - rec_cum) / day * 8 > amount
        else:
            bad = False  # no due date, no limit: within time
        if bad:
            late.add(code)
        if bad or (unsatisfied.get(code) and unsatisfied[code] <= e) or (named.get(code) and named[code] <= e):
            fails_5_4.add(code)
    return {"QD766_2_1": late, "QD766_5_4": fails_5_4, "QD766_1_4": not_synced}


def _from_table(con, unit, period):
    """The same, recovered from explain_qd766_dossiers' columns by the rules documented in _explain.yml."""
    _, _, start, p_end = _periods(con)[period]
    cols = ("dossier_code, received_date, end_date, unit_valid_to, resolved_late, overdue_from, first_unsatisfied_date,"
            " first_pakn_date, fails_qd766_1_4")
    out = {"QD766_2_1": set(), "QD766_5_4": set(), "QD766_1_4": set()}
    own = con.execute(f"select {cols}, null from indicators.explain_qd766_dossiers where unit_code = ? and unit_valid_from = ?",
                      list(unit)).fetchall()
    # carried into this unit as its predecessor's successor: judged from handed_over_on, cut at the successor's end
    carried = con.execute(f"""select {cols.replace('unit_valid_to', 'successor_valid_to')}, handed_over_on
        from indicators.explain_qd766_dossiers where successor_code = ? and successor_valid_from = ?""", list(unit)).fetchall()
    for code, rec, end, valid_to, resolved_late, overdue_from, unsat, pakn, f14, handed_over_on in own + carried:
        if handed_over_on is None and f14 and start <= rec <= p_end:
            out["QD766_1_4"].add(code)
        e = min(p_end, valid_to) if valid_to else p_end
        if rec > e or (valid_to and start > valid_to) or (end is not None and end < start):
            continue
        if handed_over_on is not None and p_end.replace(day=1) < handed_over_on:
            continue  # no month of the period starts after the hand-over
        resolved = end is not None and end <= e
        fails_2_1 = (resolved and resolved_late) or (not resolved and overdue_from is not None and overdue_from <= e)
        if fails_2_1:
            out["QD766_2_1"].add(code)
        if fails_2_1 or (unsat and unsat <= e) or (pakn and pakn <= e):
            out["QD766_5_4"].add(code)
    return out


@pytest.mark.parametrize("unit, period", [
    (OLD_UNIT, "2025-05"), (OLD_UNIT, "2025-06"), (OLD_UNIT, "2025-Q2"), (OLD_UNIT, "2025"),
    (NEW_UNIT, "2025-07"), (NEW_UNIT, "2025-08"), (NEW_UNIT, "2025"),
])
def test_failing_dossiers_of_one_unit_match_a_hand_count(con, unit, period):
    hand = _hand_counts(con, unit, period)
    table = _from_table(con, unit, period)
    view = {ind: {r[0] for r in con.execute(
        """select dossier_code from analyst.qd766_failing_dossiers_by_period
           where unit_code = ? and unit_valid_from = ? and period = ? and indicator_id = ?""",
        [*unit, period, ind]).fetchall()} for ind in hand}
    assert hand == table == view
    values = dict(con.execute(f"""select indicator_id, failing from ({VALUES})
        where unit_code = ? and unit_valid_from = ? and period = ? and agency_code is null and field_code is null""",
                              [*unit, period]).fetchall())
    assert {i: len(s) for i, s in hand.items() if s} == {i: values[i] for i in hand if values.get(i)}


def test_hand_made_dossiers_across_the_reorganisation(con):
    def failing(code, ind, unit=None):
        unit = unit or (NEW_UNIT if code.startswith(NEW_AGENCY) else OLD_UNIT)
        return dict(con.execute("""select period, reason from analyst.qd766_failing_dossiers_by_period
            where dossier_code = ? and indicator_id = ? and depth = 0 and unit_code = ? and unit_valid_from = ?""",
                                [f"{code}", ind, *unit]).fetchall())

    old, new = f"{OLD_AGENCY}-", f"{NEW_AGENCY}-"
    cut = {"2025-06": "pending_overdue", "2025-Q2": "pending_overdue", "2025-H1": "pending_overdue",
           "2025": "pending_overdue"}
    after = ["2025-07", "2025-08", "2025-Q3", "2025-H2", "2025"]
    assert failing(old + "R1", "QD766_2_1") == cut  # judged at 06-30 everywhere under the old commune
    # … and carried into the new commune (issue 21): still open, overdue in every period of it
    assert failing(old + "R1", "QD766_2_1", NEW_UNIT) == dict.fromkeys(after, "pending_overdue")
    assert failing(old + "R3", "QD766_2_1") == cut  # ended 07-03, after the cut: pending at the cut
    # resolved late in the new commune's July (ended before August: not in August's D)
    assert failing(old + "R3", "QD766_2_1", NEW_UNIT) == dict.fromkeys(["2025-07", "2025-Q3", "2025-H2", "2025"],
                                                                        "resolved_late")
    assert failing(old + "R2", "QD766_2_1") == {} and failing(old + "R2", "QD766_5_4") == {}
    # R2, due 07-10, open: overdue in the new commune from July; the PAKN of 07-15 names it there
    assert failing(old + "R2", "QD766_2_1", NEW_UNIT) == dict.fromkeys(after, "pending_overdue")
    assert failing(old + "R2", "QD766_5_4", NEW_UNIT) == dict.fromkeys(after, "overdue; pakn")
    r4 = {"2025-06": "late", "2025-Q2": "late", "2025-H1": "late", "2025": "late"}  # rating 07-05 after the cut
    assert failing(old + "R4", "QD766_5_4") == r4
    assert failing(old + "R5", "QD766_5_4") == {"2025-Q2": "not_satisfied", "2025-H1": "not_satisfied",
                                                "2025": "not_satisfied"}
    assert failing(new + "N2", "QD766_2_1") == {"2025-07": "pending_overdue", "2025-08": "resolved_late",
                                                "2025-Q3": "resolved_late", "2025-H2": "resolved_late",
                                                "2025": "resolved_late"}
    assert failing(new + "N1", "QD766_5_4")["2025-08"] == "overdue; pakn"  # P3 (08-05) names it
    assert failing(new + "N1", "QD766_5_4")["2025-07"] == "overdue"
    rows = {r[0]: r[1:] for r in con.execute("""select dossier_code, overdue_from, late_basis, unit_valid_to,
        province_code, received_month, end_month from indicators.explain_qd766_dossiers
        where dossier_code in (?, ?, ?, ?, ?)""", [old + "R1", old + "R3", new + "N3", new + "N4", new + "N5"]).fetchall()}
    assert rows[old + "R1"] == (dt.date(2025, 6, 20), "due_date", dt.date(2025, 6, 30), "06", "2025-06", None)
    assert rows[old + "R3"][-1] == "2025-07"
    # N3 3 working days from Mon 07-21 09:00: within at P_end Thu 07-24 (wdi + 3), overdue from Fri 07-25
    assert rows[new + "N3"][:2] == (dt.date(2025, 7, 25), "legal_time_limit")
    # N4 8 working hours from Tue 07-22 14:00: at the end of Tue 3 office hours (of 7.5 a day) = 3.2 h ≤ 8, within;
    # at the end of Wed 07-23 3 + 7.5 = 10.5 office hours = 11.2 h > 8: overdue from Wed
    assert rows[new + "N4"][:2] == (dt.date(2025, 7, 23), "legal_time_limit")
    assert rows[new + "N5"][:3] == (dt.date(2025, 8, 18), "multiple_supplements", None)
    assert rows[new + "N5"][3] == "19"


def test_causes_add_up_to_the_value_tables(con):
    """explain_qd766_causes counts at the OWN unit: summed over a unit's subtree (and over reasons, fields and
    procedures where a thing has one reason) they give denominator − numerator; per reason of 5_4 and PAKN (a thing
    may have several) they give the expanded views' distinct things with that reason."""
    subtree = """from indicators.explain_qd766_causes c
                 join intermediate.int_admin_unit_tree t
                   on t.descendant_code = c.unit_code and t.descendant_valid_from = c.unit_valid_from"""
    single = DOSSIER_ROWS + ["QD766_2_1", "QD766_5_1"]
    diff = con.execute(f"""
        with v as (select * from ({VALUES}) where agency_code is null and field_code is null
                   and indicator_id in ({", ".join(f"'{i}'" for i in single)})),
        c as (select c.indicator_id, c.period_type, c.period, t.ancestor_code as unit_code,
                     t.ancestor_valid_from as unit_valid_from, sum(c.n_failing) as n
              {subtree} where c.indicator_id in ({", ".join(f"'{i}'" for i in single)}) group by all)
        select * from v full join c using (indicator_id, period_type, period, unit_code, unit_valid_from)
        where coalesce(v.failing, 0) <> coalesce(c.n, 0)""").fetchall()
    assert diff == []
    per_reason = con.execute(f"""
        with e as (select indicator_id, period_type, period, unit_code, unit_valid_from, part as reason,
                          count(distinct dossier_code) as n
                   from (select *, unnest(string_split(reason, '; ')) as part
                         from analyst.qd766_failing_dossiers_by_period where indicator_id = 'QD766_5_4')
                   group by all),
        c as (select c.indicator_id, c.period_type, c.period, t.ancestor_code as unit_code,
                     t.ancestor_valid_from as unit_valid_from, c.reason, sum(c.n_failing) as n
              {subtree} where c.indicator_id = 'QD766_5_4' group by all)
        select * from e full join c using (indicator_id, period_type, period, unit_code, unit_valid_from, reason)
        where coalesce(e.n, 0) <> coalesce(c.n, 0)""").fetchall()
    assert per_reason == []
    # 2_1 late by procedure: the only breakdown by procedure_code
    assert con.execute("""select count(*) filter (where procedure_code is not null and indicator_id <> 'QD766_2_1'),
                             count(*) filter (where procedure_code is null and indicator_id = 'QD766_2_1')
                      from indicators.explain_qd766_causes""").fetchone() == (0, 0)
    pakn = dict(con.execute("""select indicator_id || ' ' || reason, n_failing from indicators.explain_qd766_causes
                           where unit_code = '01969' and period = '2025' and failing_thing = 'pakn'""").fetchall())
    assert pakn["QD766_5_1 not_classified"] == 1 and pakn["QD766_5_2 in_progress_late"] == 1
    assert pakn["QD766_5_2 handled_late"] >= 1
