"""Release layout v2 (parts hard-linked when unchanged; Parquet, Biểu 06 XLSX, SDMX-CSV 2.0, by_province CSVs), the
revision report against the previous release, and the analysts' read-only warehouse copy.

Three pipeline runs on one output folder, on a copy of raw/sample whose catalogue names field G11-CT
'=HYPERLINK("x")' (formula injection): run 1 without March's dossier file, run 2 with it (one more month), run 3
plus one additional dossier file correcting one February dossier (its end moved past its due date, a later
NgayCapNhat: the newer version wins)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.lib.settings import REPO_ROOT, Settings
from orchestration.publish.release import OBSERVATION_COLUMNS
from orchestration.runner import run_pipeline

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


def _csvs(rel: Path, name: str) -> list[Path]:
    return sorted(rel.glob(f"by_province/*/*/{name}"))


def _rows(rel: Path, name: str) -> list[dict]:
    """Every province's part CSV of ``name``, concatenated: the whole table."""
    return [r for p in _csvs(rel, name) for r in _read(p)]


def _manifest(rel: Path) -> dict:
    return json.loads((rel / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """Release 1: January and February (March's dossier file not yet delivered); release 2: March arrives (one more
    month); release 3: one February dossier corrected."""
    raw = tmp_path_factory.mktemp("formats_raw") / "raw"
    shutil.copytree(REPO_ROOT / "raw" / "sample", raw)
    _inject_field_name(raw)
    march = raw / "dossiers" / "dongbo_202303_001.json"
    held = march.read_bytes()
    march.unlink()
    _portal(raw / "portal")
    out = tmp_path_factory.mktemp("formats_out")
    settings = Settings(raw_dir=raw, out_dir=out)
    runs = []
    for step in ("two months", "march", "correction"):
        if step == "march":
            march.write_bytes(held)
        if step == "correction":
            correction = _correction(raw)
            (raw / "dossiers" / "dongbo_202302_999_correction.json").write_text(json.dumps(correction, ensure_ascii=False),
                                                                                encoding="utf-8")
        failures, _, _ = run_pipeline(settings)
        assert failures == [], (step, failures)
        runs.append((out / "publish" / "latest").resolve())
    assert len(set(runs)) == 3
    return {"out": out, "early": runs[0], "first": runs[1], "second": runs[2], "dossier": correction["data"][0]["MaHoSo"]}


def test_a_warning_stays_in_the_manifest_while_its_month_is_unchanged(releases):
    """Issue 22: agency 000.13.63.H06 has January dossiers and none in February (the sample's completeness warning).
    Release 'first' only adds March — February is not rewritten, so not re-checked — and still lists the warning;
    'second' rewrites February (a correction) and finds it again."""
    for name in ("early", "first", "second"):
        checks = {c["name"]: c for c in _manifest(releases[name])["quality"]["checks"] if c["asset"] == "lake/dossiers"}
        rec = checks["completeness_lake_dossiers"]
        assert not rec["passed"], (name, rec)
        assert any("agency=000.13.63.H06 month=2023-02" in d for d in rec["details"]), (name, rec["details"])
        carried = any("month unchanged since" in d for d in rec["details"])
        assert carried == (name == "first"), (name, rec["details"])


def _portal(folder: Path) -> None:
    """The portal's answer for Bắc Kạn (root department H06 = province 06) in February 2023, with figures that are
    not ours, and a truncated answer for March (issue 23: reported, never blocking)."""
    folder.mkdir()
    dep = {"departmentCode": "H06", "departmentName": "UBND tỉnh Bắc Kạn", "totalReceived": 1, "totalOnTime": 1,
           "ratio": 100.0, "totalScore": 20.0, "totalMaxScore": 20}
    (folder / "dvc-progress-tree_2023-02.json").write_text(json.dumps({"code": "OK", "data": {"parent": dep, "children": []}}),
                                                           encoding="utf-8")
    (folder / "dvc-progress-tree_2023-03.json").write_text('{"code": "OK", "data": {"par', encoding="utf-8")
    (folder / "requests.json").write_text(json.dumps({
        f"dvc-progress-tree_2023-0{m}.json": {"url": "/api/v1/reporting/evaluation/dvc-progress-tree",
                                               "payload": {"timeType": "month", "year": 2023, "month": m}} for m in (2, 3)}),
        encoding="utf-8")


def test_the_portal_reconciliation_is_published_and_never_blocks(releases):
    """A raw root with portal/ (issue 23): the release carries reconciliation.csv, its manifest the summary line and
    the message naming the truncated file, the province's scorecard one line on whether our data agrees."""
    rel = releases["early"]
    rows = list(csv.DictReader((rel / "reconciliation.csv").open(encoding="utf-8")))
    row = next(r for r in rows if r["department_code"] == "H06" and r["indicator_id"] == "QD766_2_1")
    assert row["unit_code"] == "06" and row["period"] == "2023-02" and row["agrees"] == "False"
    assert float(row["portal_denominator"]) == 1 and float(row["our_denominator"]) > 1 and row["reasons"]
    recon = _manifest(rel)["reconciliation"]
    assert recon["differing"] >= 1 and "differ from the portal's" in recon["line"]
    assert any("dvc-progress-tree_2023-03.json: not JSON" in m for m in recon["messages"])
    page = (rel / "by_province" / "06" / "scorecard.html").read_text(encoding="utf-8")
    assert "Đối chiếu với Cổng DVCQG:" in page and "chỉ số lệch" in page


def test_a_workbook_per_province_with_a_sheet_per_group(releases):
    """Issue 23: by_province/<code>/diem_theo_nhom_<period>.xlsx for the province's latest month and year — a sheet
    per group, units as rows, each row's numerator, denominator, ratio and points as numbers (equal to the published
    observations), the header frozen, printable on A4 landscape one page wide with the header repeated."""
    rel = releases["early"]
    month = duckdb.sql(f"""SELECT max(period) FROM read_parquet('{rel}/observations/*/*/part.parquet',
        hive_partitioning = false) WHERE period_type = 'M' AND starts_with(indicator_id, 'QD766_')""").fetchall()[0][0]
    assert {p.name for p in (rel / "by_province" / "06").glob("diem_theo_nhom_*.xlsx")} == {
        f"diem_theo_nhom_{month}.xlsx", "diem_theo_nhom_2023.xlsx"}
    wb = openpyxl.load_workbook(rel / "by_province" / "06" / f"diem_theo_nhom_{month}.xlsx")
    assert {"CKMB", "TDGQ", "MDSH", "MDHL"} <= set(wb.sheetnames)
    ws = wb["TDGQ"]
    assert ws.freeze_panes == "C5" and ws.print_title_rows == "$3:$4"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    # one page wide (1 is OOXML's default: absent from the file, None here), as many pages down as needed
    assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
    header = [c.value for c in ws[3]]
    assert header[3].startswith("2_1 ") and [c.value for c in ws[4]][3:7] == ["Tử số", "Mẫu số", "Tỷ lệ (%)", "Điểm"]
    row = next(r for r in ws.iter_rows(min_row=5, values_only=True) if r[0] == "063")
    obs = duckdb.sql(f"""SELECT numerator, denominator, points FROM read_parquet('{rel}/observations/*/*/part.parquet',
        hive_partitioning = false) WHERE indicator_id = 'QD766_2_1' AND unit_code = '063' AND period = '{month}'
        AND agency_code IS NULL AND ma_linh_vuc IS NULL AND ma_tthc IS NULL""").fetchall()[0]
    assert all(isinstance(v, (int, float)) for v in (row[3], row[4], row[6]))  # numbers, not text
    assert (row[3], row[4], row[6]) == tuple(float(v) for v in obs)


# ------------------------------------------------------------------------------------------------------ layout v2

def _part_rows(path: Path) -> list[tuple]:
    with duckdb.connect() as con:
        return sorted(con.execute(f"SELECT * FROM read_parquet('{path}', hive_partitioning = false)").fetchall(), key=repr)


@pytest.mark.parametrize("later", ["first", "second"])
def test_unchanged_parts_are_hard_linked_and_only_changed_ones_written(releases, later):
    """Release 'first' adds a month to 'early'; 'second' corrects an old dossier of 'first'. Every part whose rows
    did not change is the previous release's file (same inode: zero bytes written), with every file derived from it;
    every written part is new or differs from the previous one; the manifest says which is which."""
    prev = releases["early" if later == "first" else "first"]
    rel = releases[later]
    m = _manifest(rel)
    assert m["layout"] == 2 and m["previous_release"] == prev.name
    old = {(p["table"], p["province"], p["period"]): p for p in _manifest(prev)["parts"]}
    states = {"linked": set(), "written": set()}
    for part in m["parts"]:
        key = (part["table"], part["province"], part["period"])
        states[part["state"]].add(key)
        pq = rel / part["table"] / f"province={part['province']}" / f"period={part['period']}" / "part.parquet"
        assert str(pq.relative_to(rel)) in part["files"]
        for f, sha in part["files"].items():
            assert sha == hashlib.sha256((rel / f).read_bytes()).hexdigest(), f
        if part["state"] == "linked":
            assert key in old and old[key]["digest"] == part["digest"]
            for f in part["files"]:
                assert (rel / f).stat().st_ino == (prev / f).stat().st_ino, f
                assert (rel / f).stat().st_nlink >= 2
        else:
            if key in old:  # rewritten only because its rows changed
                old_pq = prev / part["table"] / f"province={part['province']}" / f"period={part['period']}" / "part.parquet"
                assert _part_rows(old_pq) != _part_rows(pq), key
            if later == "second":  # the newest release: nothing links its own files yet
                for f in part["files"]:
                    assert (rel / f).stat().st_nlink == 1, f
    obs_written = {k[2] for k in states["written"] if k[0] == "observations" and k[1] == "06"}
    obs_linked = {k[2] for k in states["linked"] if k[0] == "observations" and k[1] == "06"}
    if later == "first":  # March arrives: January's values are untouched; March and the periods holding it are new
        assert "2023-01" in obs_linked and {"2023-03", "2023-Q1", "2023-H1", "2023"} <= obs_written
    else:  # a February dossier corrected: January and March parts are the previous files
        assert {"2023-02", "2023-Q1", "2023-H1", "2023"} <= obs_written and "2023-01" in obs_linked
    assert m["parts_summary"]["observations"]["linked"] == len([k for k in states["linked"] if k[0] == "observations"])
    # the release id is in the manifest and the folder name, never on a row
    assert m["release_id"] == rel.name
    for name in ("indicator_observations.csv", "report_bieu06.csv"):
        for path in _csvs(rel, name):
            assert "release_id" not in path.read_text(encoding="utf-8").splitlines()[0].split(",")
    with duckdb.connect() as con:
        cols = [d[0] for d in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{rel}/observations/*/*/part.parquet', hive_partitioning = false)").fetchall()]
    assert cols == OBSERVATION_COLUMNS  # the contract's columns: no release id, the province is the folder's
    # the single national CSV is optional and off by default
    assert not (rel / "indicator_observations.csv").exists()


# ------------------------------------------------------------------------------------------------------ formats

def test_parquet_part_equals_its_province_csv(releases):
    rel = releases["second"]
    con = duckdb.connect()
    total = 0
    for part in sorted(rel.glob("observations/province=*/period=*/part.parquet")):
        province, period = part.parent.parent.name.split("=")[1], part.parent.name.split("=")[1]
        csv_path = rel / "by_province" / province / period / "indicator_observations.csv"
        pq = f"read_parquet('{part}', hive_partitioning = false)"
        types = {name: t for name, t, *_ in con.execute(f"DESCRIBE SELECT * FROM {pq}").fetchall()}
        with open(csv_path, encoding="utf-8") as fh:
            header = fh.readline().strip().split(",")
        assert list(types) == header
        typed = "{" + ", ".join(f"'{k}': '{v}'" for k, v in types.items()) + "}"
        cs = f"read_csv('{csv_path}', header=true, columns={typed})"
        a = sorted(con.execute(f"SELECT * FROM {pq}").fetchall(), key=repr)
        b = sorted(con.execute(f"SELECT * FROM {cs}").fetchall(), key=repr)
        assert a == b and {r[4] for r in a} == {period}  # column 5 = period
        total += len(a)
    assert total == _manifest(rel)["row_counts"]["observations"] > 0


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
    prov = _read(rel / "units.csv")
    province = next(u["province_code"] for u in prov if u["unit_code"] == "063")
    folder = rel / "by_province" / province / "2023-Q1"
    rows = _read(folder / "report_bieu06.csv")
    wb = openpyxl.load_workbook(folder / "report_bieu06.xlsx")
    assert wb.sheetnames == ["2023-Q1"]  # one workbook per province and period
    ws = wb["2023-Q1"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"C4:F4", "G4:J4", "K4:M4", "D5:E5", "A4:A6", "B4:B6", "C5:C6", "F5:F6"} <= merged
    assert ws["C4"].value == "Số hồ sơ nhận giải quyết" and ws["G4"].value == "Số hồ sơ đã giải quyết"
    assert ws["K4"].value == "Số hồ sơ đang giải quyết" and ws["D5"].value == "Trong kỳ"
    assert ws["D6"].value == "Trực tuyến" and ws["E6"].value == "Trực tiếp và qua dịch vụ bưu chính"
    assert ws["F5"].value == "Từ kỳ trước chuyển qua"
    assert [ws.cell(7, c).value for c in range(1, 14)] == [f"({i})" for i in range(1, 14)]
    expected = {(r["ma_linh_vuc"] or ""): [int(r[c]) for c in BIEU06_COUNTS] for r in rows if r["unit_code"] == "063"}
    assert len(expected) > 2 and _blocks(ws)["063"] == expected
    assert {r["period"] for r in rows} == {"2023-Q1"}


def test_bieu06_workbook_prints_as_the_official_form(releases, tmp_path):
    """A4 landscape fitted to the page width, the header rows repeated, the period in Vietnamese: read back with
    openpyxl, then printed to PDF by LibreOffice — every page carries all 14 columns' headers, the title is on page 1."""
    import os
    import subprocess

    from pypdf import PdfReader

    rel = releases["second"]
    province = next(u["province_code"] for u in _read(rel / "units.csv") if u["unit_code"] == "063")
    path = rel / "by_province" / province / "2023-Q1" / "report_bieu06.xlsx"
    ws = openpyxl.load_workbook(path)["2023-Q1"]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # one page wide (1 is OOXML's default: absent from the file, None here), as many pages down as needed
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == "$4:$7"  # the three header rows and the column numbers, on every page
    assert ws["A2"].value.endswith("Kỳ báo cáo: Quý I/2023")
    months = openpyxl.load_workbook(rel / "by_province" / province / "2023-01" / "report_bieu06.xlsx").worksheets[0]
    assert months["A2"].value.endswith("Kỳ báo cáo: Tháng 01/2023")
    data_rows = ws.max_row - 7

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.fail("LibreOffice is required to print the Biểu 06 workbook and was not found (no `soffice` on PATH). "
                    "Install the Debian package: apt-get install -y libreoffice-calc-nogui (.ci/run does).")
    profile = tmp_path / "lo-profile"  # a private profile: parallel test workers never share one
    out = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                          "--outdir", str(tmp_path), str(path)], capture_output=True, text=True, timeout=180,
                         env={**os.environ, "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    pages = PdfReader(tmp_path / "report_bieu06.pdf").pages
    texts = [p.extract_text() for p in pages]
    assert "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in texts[0] and "Quý I/2023" in texts[0]
    for i, (page, text) in enumerate(zip(pages, texts), 1):
        assert page.mediabox.width > page.mediabox.height, i  # landscape
        assert "Lĩnh vực giải quyết" in text and "(13)" in text and "Mã lĩnh vực" in text, i  # no column cut off
    # fitted to the width, a page holds ≥ 20 rows: the sample's 72 portrait pages cut through the columns are gone
    assert len(pages) <= -(-data_rows // 20), (len(pages), data_rows)


def test_formula_injection_is_neutralised_in_csv_and_xlsx(releases):
    rel = releases["second"]
    names = {r["ten_linh_vuc"] for r in _rows(rel, "report_bieu06.csv") if r["ma_linh_vuc"] == "G11-CT"}
    assert names == {"'" + INJECTION}
    seen = 0
    for path in _csvs(rel, "report_bieu06.xlsx"):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                        assert cell.data_type == "s" and cell.value.startswith("'"), (path, cell.coordinate, cell.value)
                        seen += 1
    assert seen
    for path in _csvs(rel, "report_bieu06.csv"):
        assert all(not r["ten_linh_vuc"].startswith("=") for r in _read(path))


def _sdmx(rel: Path) -> dict[str, list[dict]]:
    """family → the rows of its part files; the comparable Biểu 06 series (BIEU06_COL* observations, obs_status E,
    in ``part-observations.csv`` beside the Biểu 06 parts) under the key "BIEU06/observations"."""
    out: dict[str, list[dict]] = {}
    for p in sorted(rel.glob("sdmx/*/province=*/period=*/part*.csv")):
        family = p.parent.parent.parent.name
        out.setdefault(family if p.name == "part.csv" else f"{family}/{p.stem.split('-', 1)[1]}", []).extend(_read(p))
    return out


def test_sdmx_columns_and_period_mapping(releases):
    rel = releases["second"]
    files = _sdmx(rel)
    assert {"QD766", "BIEU06", "SIPAS", "MONITORING"} <= set(files)
    obs = _rows(rel, "indicator_observations.csv")
    b06 = _rows(rel, "report_bieu06.csv")
    assert sum(len(v) for k, v in files.items() if k != "BIEU06") == len(obs)
    assert len(files["BIEU06"]) == 11 * len(b06)
    # the sample's 2023 dossiers give the units of 2025-07-01 a comparable Biểu 06 series (E), from the observations
    assert files["BIEU06/observations"] and {r["OBS_STATUS"] for r in files["BIEU06/observations"]} == {"E"}
    mapping = {"2023-Q1": ("Q", "2023-Q1"), "2023-H1": ("S", "2023-S1"), "2023": ("A", "2023"), "2023-01": ("M", "2023-01")}
    for path in rel.glob("sdmx/*/province=*/period=*/part*.csv"):
        with open(path, encoding="utf-8") as fh:
            header = fh.readline().strip().split(",")
        assert header[:len(SDMX_REQUIRED)] == SDMX_REQUIRED, path
    for fam, rows in files.items():
        seen = set()
        for r in rows:
            assert r["STRUCTURE"] == "dataflow" and r["STRUCTURE_ID"] == f"VN_CCHC:DF_{fam.split('/')[0]}(1.0)"
            assert r["ACTION"] == "I"  # full parts; revisions are in sdmx/revisions.csv
            assert (r["FREQ"], r["TIME_PERIOD"][:4]) in {("M", "2023"), ("Q", "2023"), ("S", "2023"), ("A", "2023")}
            assert re.fullmatch({"M": r"\d{4}-\d{2}", "Q": r"\d{4}-Q[1-4]", "S": r"\d{4}-S[12]", "A": r"\d{4}"}[r["FREQ"]],
                                r["TIME_PERIOD"])
            seen.add((r["FREQ"], r["TIME_PERIOD"]))
        if fam in ("QD766", "BIEU06"):
            assert set(mapping.values()) <= seen
    # OBS_STATUS and OBS_VALUE as published, row for row; no value (M, Q) is an empty OBS_VALUE (never the 0 points
    # it scores) and the "all" member of AGENCY, FIELD and PROCEDURE is _T
    published = {(r["indicator_id"], r["period"], r["unit_code"], r["unit_valid_from"], r["agency_code"], r["ma_linh_vuc"],
                  r["ma_tthc"], r["formula_version"]): ("" if r["obs_status"] in ("M", "Q") else r["ratio"] or r["points"],
                                                        r["obs_status"]) for r in obs}
    back = {"S": lambda p: p.replace("-S", "-H")}
    total = lambda v: "" if v == "_T" else v  # noqa: E731
    missing = 0
    for fam in ("QD766", "SIPAS", "MONITORING", "BIEU06/observations"):
        for r in files[fam]:
            assert "" not in (r["AGENCY"], r["FIELD"], r["PROCEDURE"])
            k = (r["INDICATOR"], back.get(r["FREQ"], lambda p: p)(r["TIME_PERIOD"]), r["REF_AREA"], r["REF_AREA_VALID_FROM"],
                 total(r["AGENCY"]), total(r["FIELD"]), total(r["PROCEDURE"]), r["FORMULA_VERSION"])
            value, status = published[k]
            assert r["OBS_STATUS"] == status
            assert (r["OBS_VALUE"] == "") == (value == "") and (value == "" or abs(float(r["OBS_VALUE"]) - float(value)) < 1e-9)
            missing += status == "M"
    assert missing > 0  # the sample has rows without a value: each was checked empty above
    row = next(r for r in b06 if r["unit_code"] == "063" and r["period"] == "2023-H1" and not r["ma_linh_vuc"])
    sd = {r["INDICATOR"]: r for r in files["BIEU06"] if r["REF_AREA"] == "063" and r["TIME_PERIOD"] == "2023-S1"
          and r["FIELD"] == "_T"}
    assert [int(sd[f"BIEU06_COL{i:02d}"]["OBS_VALUE"]) for i in range(3, 14)] == [int(row[c]) for c in BIEU06_COUNTS]
    assert sd["BIEU06_COL03"]["FREQ"] == "S"


def test_sdmx_files_read_with_pysdmx_against_the_published_structure(releases):
    """Every SDMX-CSV file (parts and revisions) read by pysdmx with the release's structure message: each maps to
    its dataflow, carries exactly the data structure's components, values come back typed, and every coded
    component's code is in its code list (codes compared as the files hold them: pysdmx's CSV reader turns
    '063' into '63', so the codes are read as text beside it)."""
    from pysdmx.io import get_datasets, read_sdmx

    rel = releases["second"]
    structure = rel / "sdmx" / "structure.xml"
    msg = read_sdmx(structure)  # validated against the SDMX-ML 3.0 schemas
    flows = {f.id for f in msg.get_dataflows()}
    assert flows == {"DF_QD766", "DF_BIEU06", "DF_SIPAS", "DF_MONITORING"}
    files = sorted(rel.glob("sdmx/*/province=*/period=*/part*.csv")) + [rel / "sdmx" / "revisions.csv"]
    assert len(files) > 10
    con = duckdb.connect()
    checked = 0
    for path in files:
        datasets = get_datasets(path, structure)
        text = con.execute(f"SELECT * FROM read_csv('{path}', all_varchar = true, header = true)").df()
        if text.empty:
            continue
        assert {d.structure.id for d in datasets} == set(text["STRUCTURE_ID"].str.extract(r":(DF_\w+)\(")[0])
        for ds in datasets:
            schema = ds.structure
            ids = [c.id for c in schema.components]
            assert set(ds.data.columns) - {"ACTION"} <= set(ids), (path, set(ds.data.columns) - set(ids))
            assert {c.id for c in schema.components if c.required} <= set(ds.data.columns)
            assert str(ds.data["OBS_VALUE"].dtype).startswith("double")  # typed by the structure
            for comp in schema.components:
                if comp.enumeration is not None and comp.id in text:
                    codes = {c.id for c in comp.enumeration}
                    bad = set(text[comp.id].dropna()) - codes
                    assert not bad, (path, comp.id, sorted(bad)[:5])
                    checked += 1
    assert checked > 10
    # the published statuses and units of measure are the code lists'
    assert {c.id for c in next(cl for cl in msg.get_codelists() if cl.id == "CL_OBS_STATUS")} == set("APBEMQ")


def test_by_province_parts_partition_the_release(releases):
    rel = releases["second"]
    units = {(u["unit_code"], u["unit_valid_from"]): u["province_code"] for u in _read(rel / "units.csv")}
    provinces = sorted(p.name for p in (rel / "by_province").iterdir())
    assert provinces and "_unassigned" not in provinces
    con = duckdb.connect()
    for name, table in (("indicator_observations", "observations"), ("report_bieu06", "bieu06")):
        headers = set()
        n = 0
        for path in _csvs(rel, f"{name}.csv"):
            province, period = path.parent.parent.name, path.parent.name
            headers.add(path.read_text(encoding="utf-8").splitlines()[0])
            for r in _read(path):
                assert units[(r["unit_code"], r["unit_valid_from"])] == province and r["period"] == period
                n += 1
            assert (rel / "by_province" / province / period / "report_bieu06.xlsx").exists()
        assert len(headers) == 1
        whole = con.execute(f"SELECT count(*) FROM read_parquet('{rel}/{table}/*/*/part.parquet', hive_partitioning = false)").fetchone()[0]
        assert n == whole == _manifest(rel)["row_counts"][table], name


def test_manifest_row_counts_and_keys(releases):
    rel = releases["second"]
    m = _manifest(rel)
    assert {"release_id", "layout", "created_at", "raw_root", "inputs", "code_version", "formula_versions", "quality",
            "row_counts", "previous_release", "revisions", "parts", "parts_summary"} <= set(m)
    for f in ("revisions.csv", "sdmx/revisions.csv", "units.csv", "observations", "bieu06"):
        assert f in m["row_counts"], f
    for f, n in m["row_counts"].items():
        assert (rel / f).exists(), f
        if f.endswith(".csv"):
            assert len(_read(rel / f)) == n, f
    for part in m["parts"]:
        csv_name = {"observations": "indicator_observations.csv", "bieu06": "report_bieu06.csv"}.get(part["table"])
        if csv_name:
            assert len(_read(rel / "by_province" / part["province"] / part["period"] / csv_name)) == part["rows"]
    assert m["previous_release"] == releases["first"].name


# ---------------------------------------------------------------------------------------------------- revisions

def _values(rel: Path) -> dict[tuple, tuple]:
    """Independent reading of a whole release: key → (value, points)."""
    out = {}
    for r in _rows(rel, "indicator_observations.csv"):
        v = r["ratio"] or r["points"]
        out[tuple(r[k] for k in KEY)] = (float(v) if v else None, float(r["points"]) if r["points"] else None)
    for r in _rows(rel, "report_bieu06.csv"):
        for i, c in enumerate(BIEU06_COUNTS):
            out[(f"BIEU06_COL{i + 3:02d}", "TT01-2020", r["period"], r["unit_code"], r["unit_valid_from"], "",
                 r["ma_linh_vuc"], "")] = (float(r[c]), None)
    return out


def _status(rel: Path) -> dict[tuple, str]:
    return {tuple(r[k] for k in KEY): r["obs_status"] for r in _rows(rel, "indicator_observations.csv")}


def _diff(a, b):
    return (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-9)


def test_revisions_list_exactly_the_changed_values_with_action_r(releases):
    """Computed over the rewritten parts only, the report still lists exactly the values that changed between the
    two whole releases (read independently here), and sdmx/revisions.csv carries them with ACTION=R."""
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
    # the revised observations, and only they, are in sdmx/revisions.csv with ACTION=R; the parts say I
    revised_sdmx = set()
    for r in _read(second / "sdmx" / "revisions.csv"):
        assert r["ACTION"] == "R"
        period = r["TIME_PERIOD"].replace("-S", "-H") if r["FREQ"] == "S" else r["TIME_PERIOD"]
        revised_sdmx.add((r["INDICATOR"], r["FORMULA_VERSION"], period, r["REF_AREA"], r["REF_AREA_VALID_FROM"],
                          *("" if r[c] == "_T" else r[c] for c in ("AGENCY", "FIELD", "PROCEDURE"))))
    assert revised_sdmx == expected
    assert all(r["ACTION"] == "I" for rows_ in _sdmx(second).values() for r in rows_)
    m = _manifest(second)["revisions"]
    assert m["previous_release"] == first.name and m["total"] == len(expected)
    assert sum(m["by_indicator"].values()) == sum(m["by_cause"].values()) == len(expected) and m["input_changed"]
    assert m["compared_parts"] < len(_manifest(second)["parts"])  # only the rewritten parts were compared
    # the first release had no predecessor: an empty report
    assert _read(releases["early"] / "revisions.csv") == [] and _read(releases["early"] / "sdmx" / "revisions.csv") == []


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
            assert n == len(_rows(releases["second"], "indicator_observations.csv"))
            # not a second copy of the warehouse: the released tables are views over the release's parts, the
            # staging tables are left out and listed
            kinds = dict(((s_, t), k) for s_, t, k in con.execute(
                "SELECT table_schema, table_name, table_type FROM information_schema.tables").fetchall())
            assert kinds[("publish", "indicator_observations")] == kinds[("indicators", "explain_qd766_dossiers")] == "VIEW"
            assert kinds[("marts", "fct_dossiers")] == "BASE TABLE"
            view_sql = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'indicator_observations'").fetchone()[0]
            assert f"{releases['second']}/observations/" in view_sql
            omitted = dict(con.execute("SELECT relation, why FROM _published.omitted").fetchall())
            assert "staging.stg_dossiers__dossiers" in omitted and ("staging", "stg_dossiers__dossiers") not in kinds
            md = (REPO_ROOT / "docs" / "analyst_queries.md").read_text(encoding="utf-8")
            queries = re.findall(r"```sql\n(.*?)```", md, re.S)
            assert len(queries) >= 5
            for q in queries:
                assert con.execute(q).fetchall(), q  # each documented example returns rows on the sample
        writer.execute("DROP TABLE main._lock_probe")
    finally:
        writer.close()


def test_analysts_database_leaves_out_large_intermediate_tables_and_the_views_that_need_them(releases, tmp_path):
    """Above the size limit an intermediate table is left out (listed with its rows); a view reading it is listed too,
    never created broken; the documented queries that need neither still run."""
    from orchestration.publish.analyst_copy import publish_warehouse_copy

    path = publish_warehouse_copy(releases["out"] / "warehouse.duckdb", tmp_path, "t", release_dir=releases["second"],
                                  max_copy_rows=0)
    with duckdb.connect(str(path), read_only=True) as con:
        omitted = {r: (n, why) for r, n, why in con.execute("SELECT * FROM _published.omitted").fetchall()}
        assert omitted["intermediate.int_dossier_period_status"][0] > 0
        assert "intermediate.int_qd766_5_4_dossier_periods" in omitted  # a view of a table left out
        names = {f"{s}.{t}" for s, t in con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
        assert not names & set(omitted)
        assert con.execute("SELECT count(*) FROM publish.report_bieu06").fetchone()[0] > 0


def test_part_keys_with_no_period_or_odd_characters_get_safe_folders(tmp_path):
    """A row whose period is NULL (a petition failing only in a quarter that holds no published month) or odd
    characters in a key: the part's folder is a safe name (`_none`, `_` for each odd character), it is written and
    found again, and a second plan over the same rows links it."""
    from orchestration.publish.parts import PartSet, plan, write_parts

    con = duckdb.connect()
    con.execute("CREATE TABLE units AS SELECT '01' AS unit_code, DATE '2025-07-01' AS unit_valid_from, '06' AS province_code")
    con.execute("""CREATE TABLE m AS SELECT * FROM (VALUES ('01', DATE '2025-07-01', NULL, 1), ('01', DATE '2025-07-01', 'a b/c', 2),
                   ('01', DATE '2025-07-01', '2026-01', 3)) t(unit_code, unit_valid_from, received_month, n)""")
    ps = PartSet("explain/t", "m", ("unit_code", "unit_valid_from", "received_month", "n"), "n", period="received_month")
    parts, source = plan(con, ps, "units", {}, None)
    assert sorted(p.period for p in parts) == ["2026-01", "_none", "a_b_c"] and {p.province for p in parts} == {"06"}
    write_parts(con, ps, parts, source, tmp_path / "r1", None)
    for p in parts:
        assert (tmp_path / "r1" / "explain" / "t" / "province=06" / f"period={p.period}" / "part.parquet").is_file()
    prev = {(p.table, p.province, p.period): p.as_manifest() for p in parts}
    again, _ = plan(con, ps, "units", prev, tmp_path / "r1")
    assert {p.state for p in again} == {"linked"}


def test_province_workbooks_written_by_worker_processes_equal_in_process_ones(tmp_path, monkeypatch):
    """With four or more workbooks, write_workbooks uses worker processes; each workbook holds the same cells as one
    written in this process from the same Parquet part."""
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


def test_a_release_of_the_same_warehouse_links_every_part_and_can_add_the_national_csv(releases):
    """Publishing the same warehouse again writes no part (every one hard-linked: nothing changed), lists no revision;
    with national_csv on, the single national files are written too and hold exactly the rows of the parts."""
    from orchestration.publish.release import write_release

    settings = Settings(raw_dir=REPO_ROOT / "raw" / "sample", out_dir=releases["out"], national_csv=True)
    rel = write_release(settings)
    try:
        m = _manifest(rel)
        assert {p["state"] for p in m["parts"]} == {"linked"} and m["revisions"]["total"] == 0
        assert _read(rel / "revisions.csv") == [] and _read(rel / "sdmx" / "revisions.csv") == []
        for name in ("indicator_observations.csv", "report_bieu06.csv"):
            whole = (rel / name).read_text(encoding="utf-8").splitlines()
            parts = [line for p in _csvs(rel, name) for line in p.read_text(encoding="utf-8").splitlines()[1:]]
            assert whole[0] == _csvs(rel, name)[0].read_text(encoding="utf-8").splitlines()[0]
            assert sorted(whole[1:]) == sorted(parts) and m["row_counts"][name] == len(parts) > 0
    finally:  # 'latest' back to the corrected release (its files are links: removing this release frees nothing)
        import os

        shutil.rmtree(rel)
        (rel.parent / "latest").unlink()
        os.symlink(releases["second"].name, rel.parent / "latest")


def test_compare_tells_a_renamed_copy_from_a_changed_release(releases, tmp_path):
    """`cchc compare` (orchestration.publish.compare): a copy of release 3 under another release id, with a Parquet
    part's rows reversed, is the same release (ids masked, Parquet compared as rows); one changed value in that part
    is a difference; releases 2 and 3 (one February dossier corrected) differ in February's parts, not January's."""
    import duckdb

    from orchestration.publish.compare import compare_releases

    second = releases["second"]
    copy = tmp_path / "2099-01-01.1-00000000"
    shutil.copytree(second, copy)
    for path in copy.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".json", ".md", ".html", ".xml"):
            text = path.read_text(encoding="utf-8")
            if second.name in text:
                path.write_text(text.replace(second.name, copy.name), encoding="utf-8")
    part = copy / "observations" / "province=06" / "period=2023-01" / "part.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM (SELECT *, row_number() OVER () AS _r FROM read_parquet('{part}', hive_partitioning = false)) "
                f"ORDER BY _r DESC) TO '{tmp_path / 'reversed.parquet'}' (FORMAT PARQUET)")
    con.execute(f"COPY (SELECT * EXCLUDE (_r) FROM read_parquet('{tmp_path / 'reversed.parquet'}')) TO '{part}' (FORMAT PARQUET)")
    same = compare_releases(second, copy)
    assert same.same, same.summary() + str(same.different)
    assert "observations/province=06/period=2023-01/part.parquet" in same.masked
    con.execute(f"COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () = 1 THEN indicator_id || '_X' ELSE indicator_id "
                f"END AS indicator_id) "
                f"FROM read_parquet('{part}', hive_partitioning = false)) TO '{tmp_path / 'changed.parquet'}' (FORMAT PARQUET)")
    shutil.copyfile(tmp_path / "changed.parquet", part)
    assert compare_releases(second, copy).different == ["observations/province=06/period=2023-01/part.parquet"]
    changed = compare_releases(releases["first"], second)
    assert "by_province/06/2023-02/indicator_observations.csv" in changed.different
    assert "by_province/06/2023-01/indicator_observations.csv" in changed.identical
