"""Release formats (Parquet, Biểu 06 XLSX, SDMX-CSV 2.0, by_province cuts), the revision report against the
previous release, and the analysts' read-only warehouse copy.

Two pipeline runs on one output folder: run 1 on a copy of raw/sample whose catalogue names field G11-CT
'=HYPERLINK("x")' (formula injection), run 2 on the same raw root plus one additional dossier file correcting one
February dossier (its end moved past its due date, a later NgayCapNhat: the newer version wins)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.cli import run_pipeline
from orchestration.lib.settings import REPO_ROOT, Settings

INJECTION = '=HYPERLINK("x")'
BIEU06_COUNTS = ["received_total", "received_online", "received_direct_postal", "carried_over", "resolved_total",
                 "resolved_early", "resolved_on_time", "resolved_late", "pending_total", "pending_within_time",
                 "pending_overdue"]
KEY = ["indicator_id", "formula_version", "period", "unit_code", "unit_valid_from", "agency_code", "ma_linh_vuc", "ma_tthc"]
SDMX_REQUIRED = ["STRUCTURE", "STRUCTURE_ID", "ACTION", "FREQ", "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE",
                 "UNIT_MEASURE", "OBS_STATUS"]
TS = "%Y%m%d%H%M%S"


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _inject_field_name(raw: Path) -> None:
    path = raw / "procedures" / "procedures.csv"
    rows = _read(path)
    assert any(r["ma_linh_vuc"] == "G11-CT" for r in rows)
    for r in rows:
        if r["ma_linh_vuc"] == "G11-CT":
            r["ten_linh_vuc"] = INJECTION
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _correction(raw: Path) -> dict:
    """One February dossier resolved before its due date, corrected: resolved 3 days after its due date."""
    batch = json.loads((raw / "dossiers" / "dongbo_202302_001.json").read_text(encoding="utf-8"))
    latest_update = max(d["NgayCapNhat"] for f in (raw / "dossiers").glob("*.json")
                        for d in json.loads(f.read_text(encoding="utf-8"))["data"])
    for d in batch["data"]:
        if (d.get("TrangThaiHoSo") == 10 and d.get("NgayHenTra") and d.get("NgayKetThucXuLy")
                and d["NgayKetThucXuLy"] < d["NgayHenTra"] and not d.get("DanhSachHoSoBoSung")
                and d["NgayHenTra"] < "20230220000000"):
            due = dt.datetime.strptime(d["NgayHenTra"], TS)
            fixed = dict(d)
            fixed["NgayKetThucXuLy"] = (due + dt.timedelta(days=3)).strftime(TS)
            if fixed.get("NgayTra"):
                fixed["NgayTra"] = (due + dt.timedelta(days=3, hours=2)).strftime(TS)
            updated = max(dt.datetime.strptime(d["NgayCapNhat"], TS), due + dt.timedelta(days=3, hours=3)) + dt.timedelta(hours=1)
            fixed["NgayCapNhat"] = updated.strftime(TS)
            assert fixed["NgayCapNhat"] < latest_update  # the as-of time (latest NgayCapNhat) does not move
            return {**batch, "data": [fixed]}
    raise AssertionError("no February dossier to correct in raw/sample")


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    raw = tmp_path_factory.mktemp("formats_raw") / "raw"
    shutil.copytree(REPO_ROOT / "raw" / "sample", raw)
    _inject_field_name(raw)
    out = tmp_path_factory.mktemp("formats_out")
    settings = Settings(raw_dir=raw, out_dir=out)
    failures, _, _ = run_pipeline(settings)
    assert failures == [], failures
    first = (out / "publish" / "latest").resolve()
    correction = _correction(raw)
    (raw / "dossiers" / "dongbo_202302_999_correction.json").write_text(json.dumps(correction, ensure_ascii=False), encoding="utf-8")
    failures, _, _ = run_pipeline(settings)
    assert failures == [], failures
    second = (out / "publish" / "latest").resolve()
    assert first != second
    return {"out": out, "first": first, "second": second, "dossier": correction["data"][0]["MaHoSo"]}


# ------------------------------------------------------------------------------------------------------ formats

def test_parquet_equals_csv(releases):
    rel = releases["second"]
    con = duckdb.connect()
    pq = f"read_parquet('{rel}/indicator_observations.parquet')"
    types = {name: t for name, t, *_ in con.execute(f"DESCRIBE SELECT * FROM {pq}").fetchall()}
    with open(rel / "indicator_observations.csv", encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    assert list(types) == header
    typed = "{" + ", ".join(f"'{k}': '{v}'" for k, v in types.items()) + "}"
    cs = f"read_csv('{rel}/indicator_observations.csv', header=true, columns={typed})"
    a = con.execute(f"SELECT * FROM {pq}").fetchall()
    b = con.execute(f"SELECT * FROM {cs}").fetchall()
    assert len(a) == len(b) == json.loads((rel / "manifest.json").read_text())["row_counts"]["indicator_observations.parquet"]
    assert a == b


def _blocks(ws) -> dict[str, dict[str, list]]:
    """{unit_code: {ma_linh_vuc or '' (total): [13 cells]}} of one Biểu 06 sheet."""
    out, unit = {}, None
    for row in ws.iter_rows(min_row=8, values_only=True):
        if isinstance(row[0], str) and "(mã " in row[0]:
            unit = re.search(r"\(mã ([^,]+),", row[0]).group(1)
            out[unit] = {}
        elif unit and row[1] and isinstance(row[1], str) and row[1].startswith("Tổng cộng"):
            out[unit][""] = list(row[2:13])
        elif unit and isinstance(row[0], (int, float)):
            out[unit][row[13]] = list(row[2:13])
    return out


def test_bieu06_xlsx_official_layout_and_numbers(releases):
    rel = releases["second"]
    rows = _read(rel / "report_bieu06.csv")
    periods = sorted({r["period"] for r in rows})
    wb = openpyxl.load_workbook(rel / "report_bieu06.xlsx")
    assert sorted(wb.sheetnames) == periods
    ws = wb["2023-Q1"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"C4:F4", "G4:J4", "K4:M4", "D5:E5", "A4:A6", "B4:B6", "C5:C6", "F5:F6"} <= merged
    assert ws["C4"].value == "Số hồ sơ nhận giải quyết" and ws["G4"].value == "Số hồ sơ đã giải quyết"
    assert ws["K4"].value == "Số hồ sơ đang giải quyết" and ws["D5"].value == "Trong kỳ"
    assert ws["D6"].value == "Trực tuyến" and ws["E6"].value == "Trực tiếp và qua dịch vụ bưu chính"
    assert ws["F5"].value == "Từ kỳ trước chuyển qua"
    assert [ws.cell(7, c).value for c in range(1, 14)] == [f"({i})" for i in range(1, 14)]
    blocks = _blocks(ws)
    expected = {(r["ma_linh_vuc"] or ""): [int(r[c]) for c in BIEU06_COUNTS] for r in rows
                if r["unit_code"] == "063" and r["period"] == "2023-Q1"}
    assert len(expected) > 2 and blocks["063"] == expected
    # the same block in the province workbook
    prov = _read(rel / "units.csv")
    province = next(u["province_code"] for u in prov if u["unit_code"] == "063")
    pwb = openpyxl.load_workbook(rel / "by_province" / province / "report_bieu06.xlsx")
    assert _blocks(pwb["2023-Q1"])["063"] == expected
    assert sorted(pwb.sheetnames) == sorted({r["period"] for r in _read(rel / "by_province" / province / "report_bieu06.csv")})


def test_formula_injection_is_neutralised_in_csv_and_xlsx(releases):
    rel = releases["second"]
    names = {r["ten_linh_vuc"] for r in _read(rel / "report_bieu06.csv") if r["ma_linh_vuc"] == "G11-CT"}
    assert names == {"'" + INJECTION}
    for path in [rel / "report_bieu06.xlsx", *sorted((rel / "by_province").glob("*/report_bieu06.xlsx"))]:
        wb = openpyxl.load_workbook(path)
        seen = 0
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                        assert cell.data_type == "s" and cell.value.startswith("'"), (path, cell.coordinate, cell.value)
                        seen += 1
        if path.parent.name != "19":
            assert seen, path
    for path in (rel / "by_province").glob("*/report_bieu06.csv"):
        assert all(not r["ten_linh_vuc"].startswith("=") for r in _read(path))


def test_sdmx_columns_and_period_mapping(releases):
    rel = releases["second"]
    files = {p.stem: _read(p) for p in sorted((rel / "sdmx").glob("*.csv"))}
    assert {"QD766", "BIEU06", "SIPAS", "MONITORING"} <= set(files)
    obs = _read(rel / "indicator_observations.csv")
    b06 = _read(rel / "report_bieu06.csv")
    assert sum(len(v) for k, v in files.items() if k != "BIEU06") == len(obs)
    assert len(files["BIEU06"]) == 11 * len(b06)
    mapping = {"2023-Q1": ("Q", "2023-Q1"), "2023-H1": ("S", "2023-S1"), "2023": ("A", "2023"), "2023-01": ("M", "2023-01")}
    for fam, rows in files.items():
        with open(rel / "sdmx" / f"{fam}.csv", encoding="utf-8") as fh:
            header = fh.readline().strip().split(",")
        assert header[:len(SDMX_REQUIRED)] == SDMX_REQUIRED
        seen = set()
        for r in rows:
            assert r["STRUCTURE"] == "dataflow" and r["STRUCTURE_ID"] == f"VN_CCHC:DF_{fam}(1.0)"
            assert r["ACTION"] in {"I", "R", "D"}
            assert (r["FREQ"], r["TIME_PERIOD"][:4]) in {("M", "2023"), ("Q", "2023"), ("S", "2023"), ("A", "2023")}
            assert re.fullmatch({"M": r"\d{4}-\d{2}", "Q": r"\d{4}-Q[1-4]", "S": r"\d{4}-S[12]", "A": r"\d{4}"}[r["FREQ"]], r["TIME_PERIOD"])
            seen.add((r["FREQ"], r["TIME_PERIOD"]))
        if fam in ("QD766", "BIEU06"):
            assert set(mapping.values()) <= seen
    # OBS_STATUS and OBS_VALUE as published, row for row
    published = {(r["indicator_id"], r["period"], r["unit_code"], r["unit_valid_from"], r["agency_code"], r["ma_linh_vuc"],
                  r["ma_tthc"], r["formula_version"]): (r["ratio"] or r["points"], r["obs_status"]) for r in obs}
    back = {"S": lambda p: p.replace("-S", "-H")}
    for fam in ("QD766", "SIPAS", "MONITORING"):
        for r in files[fam]:
            k = (r["INDICATOR"], back.get(r["FREQ"], lambda p: p)(r["TIME_PERIOD"]), r["REF_AREA"], r["REF_AREA_VALID_FROM"],
                 r["AGENCY"], r["FIELD"], r["PROCEDURE"], r["FORMULA_VERSION"])
            value, status = published[k]
            assert r["OBS_STATUS"] == status
            assert (r["OBS_VALUE"] == "") == (value == "") and (value == "" or abs(float(r["OBS_VALUE"]) - float(value)) < 1e-9)
    row = next(r for r in b06 if r["unit_code"] == "063" and r["period"] == "2023-H1" and not r["ma_linh_vuc"])
    sd = {r["INDICATOR"]: r for r in files["BIEU06"] if r["REF_AREA"] == "063" and r["TIME_PERIOD"] == "2023-S1" and not r["FIELD"]}
    assert [int(sd[f"BIEU06_COL{i:02d}"]["OBS_VALUE"]) for i in range(3, 14)] == [int(row[c]) for c in BIEU06_COUNTS]
    assert sd["BIEU06_COL03"]["FREQ"] == "S"


def test_by_province_cuts_partition_the_release(releases):
    rel = releases["second"]
    units = {(u["unit_code"], u["unit_valid_from"]): u["province_code"] for u in _read(rel / "units.csv")}
    provinces = sorted(p.name for p in (rel / "by_province").iterdir())
    assert provinces and "_unassigned" not in provinces
    for name in ("indicator_observations", "report_bieu06", "target_tracking"):
        whole = (rel / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        parts = []
        for prov in provinces:
            lines = (rel / "by_province" / prov / f"{name}.csv").read_text(encoding="utf-8").splitlines()
            assert lines[0] == whole[0]
            for r in _read(rel / "by_province" / prov / f"{name}.csv"):
                assert units[(r["unit_code"], r["unit_valid_from"])] == prov
            parts += lines[1:]
            # a cut keeps the national file's order: its lines are a subsequence of the whole file
            position = {line: i for i, line in enumerate(whole)}
            assert [position[line] for line in lines[1:]] == sorted(position[line] for line in lines[1:]), (name, prov)
        assert sorted(parts) == sorted(whole[1:]) and len(parts) == len(whole) - 1, name
    for prov in provinces:
        assert (rel / "by_province" / prov / "report_bieu06.xlsx").exists()


def test_manifest_row_counts_and_keys(releases):
    rel = releases["second"]
    m = json.loads((rel / "manifest.json").read_text(encoding="utf-8"))
    assert {"release_id", "created_at", "raw_root", "inputs", "code_version", "formula_versions", "quality",
            "row_counts", "previous_release", "revisions"} <= set(m)
    for f in ("indicator_observations.parquet", "report_bieu06.xlsx", "revisions.csv", "sdmx/QD766.csv", "sdmx/BIEU06.csv"):
        assert f in m["row_counts"], f
    for f, n in m["row_counts"].items():
        assert (rel / f).exists(), f
        if f.endswith(".csv"):
            assert len(_read(rel / f)) == n, f
    assert m["previous_release"] == releases["first"].name


# ---------------------------------------------------------------------------------------------------- revisions

def _values(rel: Path) -> dict[tuple, tuple]:
    """Independent reading of a release: key → (value, points, obs_status)."""
    out = {}
    for r in _read(rel / "indicator_observations.csv"):
        v = r["ratio"] or r["points"]
        out[tuple(r[k] for k in KEY)] = (float(v) if v else None, float(r["points"]) if r["points"] else None)
    for r in _read(rel / "report_bieu06.csv"):
        for i, c in enumerate(BIEU06_COUNTS):
            out[(f"BIEU06_COL{i + 3:02d}", "TT01-2020", r["period"], r["unit_code"], r["unit_valid_from"], "",
                 r["ma_linh_vuc"], "")] = (float(r[c]), None)
    return out


def _status(rel: Path) -> dict[tuple, str]:
    return {tuple(r[k] for k in KEY): r["obs_status"] for r in _read(rel / "indicator_observations.csv")}


def _diff(a, b):
    return (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-9)


def test_revisions_list_exactly_the_changed_values_with_action_r(releases):
    first, second = releases["first"], releases["second"]
    old, new = _values(first), _values(second)
    s_old, s_new = _status(first), _status(second)
    expected = {k for k in old.keys() & new.keys()
                if _diff(old[k][0], new[k][0]) or _diff(old[k][1], new[k][1]) or s_old.get(k) != s_new.get(k)}
    withdrawn = old.keys() - new.keys()
    assert expected, "the corrected dossier changes published values"
    assert any(k[0] == "BIEU06_COL10" for k in expected) and any(k[0] == "QD766_2_1" for k in expected)
    rows = _read(second / "revisions.csv")
    listed = {tuple(r[k] for k in KEY) for r in rows}
    assert len(listed) == len(rows)
    assert listed == expected | withdrawn
    assert not withdrawn
    for r in rows:
        k = tuple(r[c] for c in KEY)
        assert (float(r["old_value"]) if r["old_value"] else None) == pytest.approx(old[k][0])
        assert (float(r["new_value"]) if r["new_value"] else None) == pytest.approx(new[k][0])
        # a new input file, statuses unchanged ('code changed' too when the checkout changed between the runs)
        assert "input changed" in r["cause"].split("; ") and "provisional → final" not in r["cause"]
    # the revised observations, and only they, carry ACTION=R in the SDMX files
    revised_sdmx = set()
    for p in (second / "sdmx").glob("*.csv"):
        for r in _read(p):
            if r["ACTION"] == "R":
                period = r["TIME_PERIOD"].replace("-S", "-H") if r["FREQ"] == "S" else r["TIME_PERIOD"]
                revised_sdmx.add((r["INDICATOR"], r["FORMULA_VERSION"], period, r["REF_AREA"], r["REF_AREA_VALID_FROM"],
                                  r["AGENCY"], r["FIELD"], r["PROCEDURE"]))
            else:
                assert r["ACTION"] == "I"
    assert revised_sdmx == expected
    m = json.loads((second / "manifest.json").read_text(encoding="utf-8"))["revisions"]
    assert m["previous_release"] == first.name and m["total"] == len(expected)
    assert sum(m["by_indicator"].values()) == sum(m["by_cause"].values()) == len(expected) and m["input_changed"]
    # the first release had no predecessor: an empty report, every SDMX action I
    assert _read(first / "revisions.csv") == []
    assert all(r["ACTION"] == "I" for p in (first / "sdmx").glob("*.csv") for r in _read(p))


# ----------------------------------------------------------------------------------------------------- analysts

def test_published_warehouse_is_readable_while_the_pipeline_writes(releases):
    out = releases["out"]
    published = out / "warehouse_published.duckdb"
    assert published.exists() and not list(out.glob(".warehouse_published*"))
    writer = duckdb.connect(str(out / "warehouse.duckdb"))  # the pipeline's write lock
    try:
        writer.execute("CREATE OR REPLACE TABLE main._lock_probe AS SELECT 1 AS x")
        with duckdb.connect(str(published), read_only=True) as con:
            assert con.execute("SELECT release_id FROM _published.release").fetchone()[0] == releases["second"].name
            # written in DuckDB 1.5's storage format (CCHC_DUCKDB_STORAGE_VERSION's default), not DuckDB 2.0's own,
            # which a DuckDB 1.x client cannot open
            tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
            assert tags["storage_version"] == "v1.5.0+", tags
            n = con.execute("SELECT count(*) FROM publish.indicator_observations").fetchone()[0]
            assert n == len(_read(releases["second"] / "indicator_observations.csv"))
            md = (REPO_ROOT / "docs" / "analyst_queries.md").read_text(encoding="utf-8")
            queries = re.findall(r"```sql\n(.*?)```", md, re.S)
            assert len(queries) >= 5
            for q in queries:
                assert con.execute(q).fetchall(), q  # each documented example returns rows on the sample
        writer.execute("DROP TABLE main._lock_probe")
    finally:
        writer.close()


def test_unchanged_province_workbook_is_hard_linked_from_the_previous_release(tmp_path):
    from orchestration.publish.formats import _link_if_unchanged

    prev, staging = tmp_path / "2026-01-01.1", tmp_path / ".staging"
    for root in (prev, staging):
        (root / "by_province" / "06").mkdir(parents=True)
        (root / "by_province" / "19").mkdir(parents=True)
    for prov, new_text in (("06", "a,b\n1,2\n"), ("19", "a,b\n1,3\n")):
        (prev / "by_province" / prov / "report_bieu06.csv").write_text("a,b\n1,2\n")
        (prev / "by_province" / prov / "report_bieu06.xlsx").write_bytes(b"workbook " + prov.encode())
        (staging / "by_province" / prov / "report_bieu06.csv").write_text(new_text)
    same = staging / "by_province" / "06"
    assert _link_if_unchanged(prev, staging, same / "report_bieu06.csv", same / "report_bieu06.xlsx")
    assert (same / "report_bieu06.xlsx").stat().st_ino == (prev / "by_province" / "06" / "report_bieu06.xlsx").stat().st_ino
    changed = staging / "by_province" / "19"  # same size, one byte differs: written anew, not linked
    assert not _link_if_unchanged(prev, staging, changed / "report_bieu06.csv", changed / "report_bieu06.xlsx")
    assert not (changed / "report_bieu06.xlsx").exists()
    assert not _link_if_unchanged(None, staging, same / "report_bieu06.csv", same / "report_bieu06.csv.x")


def test_province_workbooks_written_by_worker_processes_equal_in_process_ones(tmp_path, monkeypatch):
    """With four or more workbooks, write_workbooks uses worker processes; each workbook holds the same cells as one
    written in this process from the same Parquet part (rows in _rn order, not file order)."""
    from orchestration.publish.formats import _workbook, write_workbooks

    part = tmp_path / "part.parquet"
    with duckdb.connect() as con:
        con.execute(f"""COPY (SELECT * FROM (VALUES
            (2, 'M', '2025-07', '19', DATE '2025-07-01', NULL, NULL, 5, 3, 2, 0, 4, 1, 2, 1, 1, 1, 0),
            (1, 'M', '2025-07', '19', DATE '2025-07-01', 'F1', 'Đất đai', 5, 3, 2, 0, 4, 1, 2, 1, 1, 1, 0),
            (3, 'Y', '2025', '19', DATE '2025-07-01', NULL, NULL, 9, 6, 3, 0, 8, 2, 4, 2, 1, 0, 1))
            t(_rn, period_type, period, unit_code, unit_valid_from, ma_linh_vuc, ten_linh_vuc, received_total,
              received_online, received_direct_postal, carried_over, resolved_total, resolved_early, resolved_on_time,
              resolved_late, pending_total, pending_within_time, pending_overdue)) TO '{part}' (FORMAT PARQUET)""")
    units = {("19", "2025-07-01"): ("Thái Nguyên", "tinh")}
    monkeypatch.setenv("CCHC_INGEST_WORKERS", "2")
    tasks = [(str(part), str(tmp_path / f"w{i}.xlsx")) for i in range(4)]
    write_workbooks(tasks, units)
    _workbook((str(part), str(tmp_path / "inproc.xlsx"), units))

    def cells(path):
        wb = openpyxl.load_workbook(path)
        return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}

    expected = cells(tmp_path / "inproc.xlsx")
    assert set(expected) == {"2025-07", "2025"}
    flat = [v for row in expected["2025-07"] for v in row]
    assert "Đất đai" in flat and 5 in flat  # the field row and its received_total
    for _, path in tasks:
        assert cells(path) == expected
