"""The bad-input corpus (DATA_CONTRACT §1.6): one case per kind of bad input, each with its expected outcome.

A case is data: the raw files it puts in an empty raw root (a small file under ``files/`` or a tiny generator
below, for what cannot be a readable text file: XLSX, UTF-16, legacy code pages, 100 000-character cells) and
what ingestion must do with the LAST file it lists:

* ``loaded``      — every record loaded (maybe with a flag or a note in the load manifest);
* ``quarantined`` — the file is loaded, the listed records are quarantined with (record, field, value, rule);
* ``stopped``     — the file is rejected (``FileRejected`` rule, or ``quarantine_limit``): the run stops before
  anything is published and the message names the file.

Adding a case is adding an entry to CASES (and, if needed, a file under ``files/``). ``tests/test_bad_inputs.py``
runs every case in-process through ``orchestration.ingest.landing`` (and ``lake_build``).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from orchestration.lib.lake_schema import DOSSIER_FLAT_COLUMNS

FILES = Path(__file__).parent / "files"
AGENCY = "000.06.63.H06"  # UBND xã Lục Bình (seed agencies.csv), unit 01990
HYPERLINK = '=HYPERLINK("http://x","y")'
SQL_NAME = "O'Brien; DROP TABLE x; --"


class Prefix(str):
    """An expected value that only has to start with this text (long values are shortened in the quarantine)."""


@dataclass
class Case:
    id: str
    table: str  # lake table the files land in
    files: dict[str, Callable[[], bytes] | str]  # raw-relative path → generator, or a file name under files/
    outcome: str  # loaded | quarantined | stopped
    # record positions are those of lake_schema.PROVENANCE: JSON array index, CSV data-row number (1 = the first
    # row under the header), XLSX sheet row number (what a person sees in Excel)
    accounting: tuple[int, int, int, int] | None = None  # last file: (read, loaded, quarantined, exact duplicates)
    quarantine: list[tuple[int, str, str, str]] = field(default_factory=list)  # (record, field, value, rule) — all of them
    landed: dict[int, dict] = field(default_factory=dict)  # record → {column: expected landed value}
    stop_rule: str | None = None
    message: str | None = None  # the stop message must contain this text (it never holds personal data: PERSONAL_VALUES)
    load: dict = field(default_factory=dict)  # expected FileLoad attributes (absent/extra columns, flags)
    note: str | None = None  # a load note must contain this text
    lake_rows: int | None = None  # rows in the lake table once every file is landed and the table built
    support: dict[str, Callable[[], bytes] | str] = field(default_factory=dict)  # other raw files (catalogue…)
    settings: dict = field(default_factory=dict)  # Settings overrides (default: the documented defaults)
    why: str = ""


# ------------------------------------------------------------------------------------------------ generators
def dossier(n: int = 1, **over) -> dict:
    d = {
        "MaHoSo": f"{AGENCY}-230612-{n:04d}", "MaTTHC": "1.001193", "TenTTHC": "Đăng ký khai sinh", "MaLinhVuc": "G09-HT",
        "TenLinhVuc": "Hộ tịch", "DonViXuLy": "UBND xã Lục Bình", "MaDonViXuLy": AGENCY, "KenhThucHien": 2,
        "ChuHoSo": "Hoàng Thị Mai", "SoGiayToChuHoSo": "006190004321", "LoaiDoiTuong": 1,
        "NgayNopHoSo": "20230612074512", "NgayTiepNhan": "20230612081000", "NgayHenTra": "20230613170000",
        "TrangThaiHoSo": 10, "NgayKetThucXuLy": "20230613093000", "NgayTra": "20230613140000",
        "TaiLieuNop": [{"MaThanhPhanHoSo": "TP1", "TepDinhKemId": "f-1", "DuocSoHoa": 1}],
        "DanhSachLePhi": [{"MaPhiLePhi": "LP", "TenPhiLePhi": "Lệ phí", "Gia": 25000}],
        "NgayCapNhat": "20230613140210",
    }
    d.update(over)
    return d


def payload(*records: dict) -> Callable[[], bytes]:
    return lambda: json.dumps({"service": "DongBoHoSoMC", "isUpdating": False, "data": list(records)},
                              ensure_ascii=False).encode("utf-8")


def raw_bytes(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def flat_row(n: int = 1, **over) -> dict:
    row = {c: "" for c in DOSSIER_FLAT_COLUMNS}
    row.update(ma_ho_so=f"{AGENCY}-230612-{n:04d}", ma_tthc="1.001193", ten_tthc="Đăng ký khai sinh", ma_linh_vuc="G09-HT",
               ten_linh_vuc="Hộ tịch", don_vi_xu_ly="UBND xã Lục Bình", ma_don_vi_xu_ly=AGENCY, kenh_thuc_hien="2",
               chu_ho_so="Hoàng Thị Mai", loai_doi_tuong="1", ngay_nop_ho_so="2023-06-12 07:45:12",
               ngay_tiep_nhan="2023-06-12 08:10:00", ngay_hen_tra="2023-06-13 17:00:00", trang_thai_ho_so="10",
               ngay_ket_thuc_xu_ly="2023-06-13 09:30:00", ngay_tra="2023-06-13 14:00:00", so_lan_bo_sung="0",
               co_tep_dinh_kem="1", tong_le_phi="25000", co_le_phi="1", ngay_cap_nhat="2023-06-13 14:02:10")
    row.update(over)
    return row


def flat_csv(*rows: dict, drop=(), extra: dict | None = None, encoding="utf-8", delimiter=",") -> Callable[[], bytes]:
    """A flat dossier export (DATA_CONTRACT §1.1 b) as one-stop software or Excel writes it."""
    def make() -> bytes:
        cols = [c for c in DOSSIER_FLAT_COLUMNS if c not in drop] + list(extra or {})
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, delimiter=delimiter, extrasaction="ignore", lineterminator="\r\n")
        w.writeheader()
        for r in rows:
            w.writerow({**r, **(extra or {})})
        # a legacy code page cannot hold every Vietnamese letter: what it cannot hold is replaced, as old tools do
        return buf.getvalue().encode(encoding, errors="strict" if encoding.startswith("utf") else "replace")
    return make


def flat_xlsx(*rows: dict, formulas: dict | None = None, cached: bool = False, extra: dict | None = None) -> Callable[[], bytes]:
    """A flat dossier export as an XLSX sheet; ``formulas``: (row index, column) → a formula put in that cell.
    Written by openpyxl, a formula has no cached value (as a file a program wrote and nobody opened in Excel);
    ``cached``: written by xlsxwriter with the cell's own value cached, as Excel saves it. ``extra``: columns not in
    the layout, name → the value of every row (openpyxl only)."""
    def make() -> bytes:
        buf = io.BytesIO()
        if cached:
            import xlsxwriter

            wb = xlsxwriter.Workbook(buf, {"in_memory": True})
            ws = wb.add_worksheet()
            ws.write_row(0, 0, DOSSIER_FLAT_COLUMNS)
            for i, r in enumerate(rows):
                ws.write_row(i + 1, 0, [r[c] for c in DOSSIER_FLAT_COLUMNS])
            for (i, col), formula in (formulas or {}).items():
                ws.write_formula(i + 1, DOSSIER_FLAT_COLUMNS.index(col), formula, None, rows[i][col])
            wb.close()
            return buf.getvalue()
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(DOSSIER_FLAT_COLUMNS + list(extra or {}))
        for r in rows:
            ws.append([r[c] for c in DOSSIER_FLAT_COLUMNS] + list((extra or {}).values()))
        for (i, col), formula in (formulas or {}).items():
            ws.cell(row=i + 2, column=DOSSIER_FLAT_COLUMNS.index(col) + 1, value=formula)
        wb.save(buf)
        return buf.getvalue()
    return make


def text_with_line_break(name: str, column: str, value: str) -> Callable[[], bytes]:
    """A committed CSV whose first data row's ``column`` holds ``value`` (a line break in it), quoted as Excel does."""
    def make() -> bytes:
        rows = list(csv.reader((FILES / name).read_text(encoding="utf-8").splitlines()))
        rows[1][rows[0].index(column)] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows(rows)
        return buf.getvalue().encode("utf-8")
    return make


def utf16_tab(name: str) -> Callable[[], bytes]:
    """Excel's "Unicode text": UTF-16LE with a BOM, tab-separated — made from a committed CSV."""
    def make() -> bytes:
        rows = list(csv.reader((FILES / name).read_text(encoding="utf-8").splitlines()))
        return "\r\n".join("\t".join(r) for r in rows).encode("utf-16")  # Python's utf-16 writes the LE BOM
    return make


def with_bom(name: str) -> Callable[[], bytes]:
    return lambda: b"\xef\xbb\xbf" + (FILES / name).read_bytes()


def nfd_of(name: str) -> Callable[[], bytes]:
    return lambda: unicodedata.normalize("NFD", (FILES / name).read_text(encoding="utf-8")).encode("utf-8")


def pakn_rows(n: int, bad: set[int]) -> Callable[[], bytes]:
    """n PAKN; those numbered in ``bad`` have an unknown status."""
    def make() -> bytes:
        head = ("ma_pakn,agency_code,ngay_tiep_nhan,phan_loai,ma_ho_so_lien_quan,trang_thai,ngay_chuyen,ngay_tu_choi,"
                "ngay_yeu_cau_bo_sung,ngay_xu_ly,ngay_cong_khai,luot_thich,luot_khong_thich,khieu_nai_lai")
        lines = [head] + [f"PAKN-2023-{i:04d},{AGENCY},2023-03-{1 + i % 27:02d} 09:00,khac,,"
                          f"{'xong' if i in bad else 'dang_xu_ly'},,,,,,0,0,0" for i in range(1, n + 1)]
        return ("\n".join(lines) + "\n").encode("utf-8")
    return make


SURVEY_HEADER = ["ma_phieu", "unit_code", "ngay_khao_sat", "ho_ten", "so_dien_thoai", "ma_tthc", "hl_tiep_can",
                 "hl_tthc", "hl_cong_chuc", "hl_ket_qua", "hl_pakn", "hl_tong_the", "tc_dung_hen",
                 "mong_doi_1", "mong_doi_2", "mong_doi_3"]


def survey_xlsx(*rows: list, header=SURVEY_HEADER, title_rows: int = 3) -> Callable[[], bytes]:
    """A SIPAS sheet as survey teams deliver it: title rows above the header, numbers typed as numbers (so
    unit codes lose their leading zeros exactly as in Excel)."""
    def make() -> bytes:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        if title_rows:
            ws.append(["UBND HUYỆN BẠCH THÔNG"])
            ws.append(["KẾT QUẢ KHẢO SÁT SỰ HÀI LÒNG NĂM 2023"])
            for _ in range(title_rows - 2):
                ws.append([])
        ws.append(list(header))
        for r in rows:
            ws.append(list(r))
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    return make


def answer(ma_phieu: str, unit, *, name="Phùng Văn Hưng", likert=(5, 4, 5, 5, 4, 5), expectations=("GIAM_GIAY_TO", None, None)):
    import datetime as dt

    return [ma_phieu, unit, dt.datetime(2023, 5, 3), name, "0345189208", "2.001406", *likert, 1, *expectations]


# The personal data the generators put in files: no message, log line or quarantine value may ever hold them
PERSONAL_VALUES = ["Hoàng Thị Mai", "006190004321", "Phùng Văn Hưng", "0345189208"]


def personal_first(*records: dict, dup_key: bool = False, data_object: bool = False) -> Callable[[], bytes]:
    """A payload whose records start with the applicant (DuckDB quotes the first 50 bytes of a record it rejects),
    written by hand: Python's json cannot write a duplicate key. ``dup_key``: the last record repeats ChuHoSo;
    ``data_object``: ``data`` is the (first) record itself instead of an array."""
    def make() -> bytes:
        texts = []
        for i, r in enumerate(records):
            first = {k: r[k] for k in ("ChuHoSo", "SoGiayToChuHoSo")}
            body = json.dumps({**first, **{k: v for k, v in r.items() if k not in first}}, ensure_ascii=False)
            if dup_key and i == len(records) - 1:
                body = body[:-1] + ', "ChuHoSo": "Hoàng Thị Mai"}'
            texts.append(body)
        data = texts[0] if data_object else "[" + ", ".join(texts) + "]"
        return ('{"service": "DongBoHoSoMC", "isUpdating": false, "data": ' + data + "}").encode("utf-8")
    return make


CATALOGUE = {"procedures/procedures.csv": "procedures_excel_numbers.csv"}
LONG = "Nguyễn " * 14_286  # 100 002 characters
TWO = (dossier(1), dossier(2))

# ------------------------------------------------------------------------------------------------------ cases
CASES: list[Case] = [
    # --- dossiers, national sync JSON ------------------------------------------------------------------------
    Case("json_valid_baseline", "dossiers", {"dossiers/a.json": payload(*TWO)}, "loaded", (2, 2, 0, 0),
         landed={1: {"ma_don_vi_xu_ly": AGENCY, "trang_thai_ho_so": 10}}, why="reference point: a clean payload"),
    Case("json_truncated", "dossiers", {"dossiers/a.json": lambda: payload(*TWO)()[:150]}, "stopped",
         stop_rule="unreadable_json", why="a transfer cut off mid-file"),
    Case("json_wrong_root_array", "dossiers", {"dossiers/a.json": lambda: json.dumps([dossier()]).encode()}, "stopped",
         stop_rule="wrong_json_root", why="a bare array instead of the DongBoHoSoMC envelope"),
    Case("json_wrong_root_no_data", "dossiers", {"dossiers/a.json": raw_bytes(b'{"service": "DongBoHoSoMC", "isUpdating": false}')},
         "stopped", stop_rule="wrong_json_root", why="the envelope without its data array"),
    Case("json_duplicate_key_message_without_personal_data", "dossiers",
         {"dossiers/a.json": personal_first(dossier(1), dossier(2), dup_key=True)}, "stopped", stop_rule="unreadable_json",
         message='record/value 2: Object (excerpt not shown: it may hold personal data) has duplicate key "ChuHoSo"',
         why="DuckDB quotes the record it rejects ({\"ChuHoSo\":\"Hoàng Thị Mai\",…): the message keeps the position and key"),
    Case("json_data_not_an_array_message_without_personal_data", "dossiers",
         {"dossiers/a.json": personal_first(dossier(1), data_object=True)}, "stopped", stop_rule="unreadable_json",
         message="Expected ARRAY, but got OBJECT: (excerpt not shown: it may hold personal data)"),
    Case("json_empty_0_bytes", "dossiers", {"dossiers/a.json": raw_bytes(b"")}, "stopped", stop_rule="empty_file"),
    Case("json_impossible_date", "dossiers", {"dossiers/a.json": payload(dossier(1), dossier(2, NgayTiepNhan="20230230081000"))},
         "quarantined", (2, 1, 1, 0), [(2, "ngay_tiep_nhan", "20230230081000", "unparseable_date")], why="30 February"),
    Case("json_future_date", "dossiers", {"dossiers/a.json": payload(dossier(1), dossier(2, NgayCapNhat="20930613140210"))},
         "quarantined", (2, 1, 1, 0), [(2, "ngay_cap_nhat", "20930613140210", "date_in_future")], why="year typo 202x → 209x"),
    Case("json_end_before_reception", "dossiers",
         {"dossiers/a.json": payload(dossier(1), dossier(2, NgayKetThucXuLy="20230611093000"))},
         "quarantined", (2, 1, 1, 0), [(2, "ngay_ket_thuc_xu_ly", "20230611093000", "before_reception")]),
    Case("json_unknown_status", "dossiers", {"dossiers/a.json": payload(dossier(1), dossier(2, TrangThaiHoSo=11))},
         "quarantined", (2, 1, 1, 0), [(2, "trang_thai_ho_so", "11", "unknown_status")]),
    Case("json_unknown_channel", "dossiers", {"dossiers/a.json": payload(dossier(1), dossier(2, KenhThucHien=7))},
         "quarantined", (2, 1, 1, 0), [(2, "kenh_thuc_hien", "7", "unknown_channel")]),
    Case("json_unknown_agency", "dossiers",
         {"dossiers/a.json": payload(dossier(1), dossier(2, MaDonViXuLy="000.99.99.H99", MaHoSo="000.99.99.H99-230612-0002"))},
         "quarantined", (2, 1, 1, 0), [(2, "ma_don_vi_xu_ly", "000.99.99.H99", "unknown_agency")]),
    Case("json_unknown_procedure_kept_and_flagged", "dossiers",
         {"dossiers/a.json": payload(dossier(1), dossier(2, MaTTHC="9.999999"))}, "loaded", (2, 2, 0, 0),
         landed={2: {"ma_tthc": "9.999999"}}, load={"flags": {"unknown_procedure": 1}}, note="9.999999",
         support=CATALOGUE, why="catalogues lag behind reality: official counts include the dossier"),
    Case("json_duplicate_in_file", "dossiers", {"dossiers/a.json": payload(dossier(1), dossier(2), dossier(1))},
         "loaded", (3, 2, 0, 1), lake_rows=2, why="the same record twice in one batch: one dropped, counted"),
    Case("json_exact_duplicate_across_files", "dossiers",
         {"dossiers/a.json": payload(dossier(1), dossier(2)), "dossiers/b.json": payload(dossier(2), dossier(3))},
         "loaded", (2, 2, 0, 0), lake_rows=3, why="a record re-sent in the next batch: the lake keeps one"),
    Case("json_nfd_text", "dossiers",
         {"dossiers/a.json": payload(dossier(1, TenLinhVuc=unicodedata.normalize("NFD", "Hộ tịch"),
                                             DonViXuLy=unicodedata.normalize("NFD", "UBND xã Lục Bình")))},
         "loaded", (1, 1, 0, 0), landed={1: {"ten_linh_vuc": "Hộ tịch", "don_vi_xu_ly": "UBND xã Lục Bình"}}),
    Case("json_very_long_text", "dossiers", {"dossiers/a.json": payload(dossier(1), dossier(2, TenTTHC=LONG))},
         "quarantined", (2, 1, 1, 0), [(2, "ten_tthc", Prefix("Nguyễn Nguyễn"), "text_too_long")],
         why="a 100 000-character name (above CCHC_MAX_TEXT_LENGTH = 2000)"),
    Case("json_very_long_personal_text", "dossiers", {"dossiers/a.json": payload(dossier(1), dossier(2, ChuHoSo=LONG))},
         "quarantined", (2, 1, 1, 0), [(2, "chu_ho_so", f"(personal data, {len(LONG)} characters)", "text_too_long")],
         why="the quarantine never holds personal data: only its length"),
    Case("json_formula_injection_is_data", "dossiers",
         {"dossiers/a.json": payload(dossier(1, TenTTHC=HYPERLINK, DonViXuLy="@SUM(1+1)*cmd|' /C calc'!A0"))},
         "loaded", (1, 1, 0, 0), landed={1: {"ten_tthc": HYPERLINK, "don_vi_xu_ly": "@SUM(1+1)*cmd|' /C calc'!A0"}},
         why="landed intact; the publishing side neutralises it (orchestration/lib/safe_cells.py)"),
    Case("json_sql_meta_characters_in_name", "dossiers", {"dossiers/a.json": payload(dossier(1, TenTTHC=SQL_NAME))},
         "loaded", (1, 1, 0, 0), landed={1: {"ten_tthc": SQL_NAME}}),
    Case("json_file_name_with_quote", "dossiers",
         {"dossiers/o'brien; DROP TABLE x; --.json": payload(dossier(1), dossier(2, TrangThaiHoSo=0))},
         "quarantined", (2, 1, 1, 0), [(2, "trang_thai_ho_so", "0", "unknown_status")],
         landed={1: {"_source_file": "dossiers/o'brien; DROP TABLE x; --.json"}},
         why="file names are bound parameters, never SQL text"),
    Case("json_nul_byte_in_text", "dossiers",
         {"dossiers/a.json": payload(dossier(1), dossier(2, TenTTHC="Đăng ký\u0000 khai sinh"),
                                     dossier(3, ChuHoSo="Hoàng\u0000Thị Mai"))},
         "quarantined", (3, 1, 2, 0),
         [(2, "ten_tthc", "Đăng ký␀ khai sinh", "nul_byte"), (3, "chu_ho_so", "(personal data, 13 characters)", "nul_byte")],
         why="a NUL (\\u0000) would cut the text where it stands in the lake's Parquet: quarantined, shown as ␀"),
    Case("json_status_with_exponent", "dossiers",
         {"dossiers/a.json": payload(dossier(1), dossier(2, TrangThaiHoSo="1e1"), dossier(3, KenhThucHien="2.5"))},
         "quarantined", (3, 1, 2, 0),
         [(2, "trang_thai_ho_so", "1e1", "unparseable_value"), (3, "kenh_thuc_hien", "2.5", "unparseable_value")],
         why="integer codes are plain digits: '1e1' is not status 10"),
    Case("json_fee_negative_nan_infinite_or_text", "dossiers",
         {"dossiers/a.json": payload(dossier(1), *(dossier(n, DanhSachLePhi=[{"MaPhiLePhi": "LP", "Gia": 25000}, {"Gia": g}])
                                                   for n, g in ((2, -5000), (3, float("nan")), (4, float("inf")),
                                                                (5, "25.000đ"))))},
         "quarantined", (5, 1, 4, 0),
         [(2, "tong_le_phi", "-5000", "invalid_fee"), (3, "tong_le_phi", "NaN", "invalid_fee"),
          (4, "tong_le_phi", "Infinity", "invalid_fee"), (5, "tong_le_phi", "25.000đ", "invalid_fee")],
         landed={1: {"tong_le_phi": 25000.0}},
         why="a fee (DanhSachLePhi[].Gia) is a finite, non-negative number: never summed as 0 or as a negative"),
    # --- dossiers, flat export CSV -------------------------------------------------------------------------
    Case("csv_utf8_bom_iso_dates", "dossiers", {"dossiers/a.csv": flat_csv(flat_row(1), flat_row(2), encoding="utf-8-sig")},
         "loaded", (2, 2, 0, 0), landed={1: {"ma_ho_so": f"{AGENCY}-230612-0001", "ngay_tiep_nhan": "2023-06-12 08:10:00"}},
         why="Excel's 'CSV UTF-8' starts with a BOM: the first header is still ma_ho_so"),
    Case("csv_vietnamese_dates", "dossiers",
         {"dossiers/a.csv": flat_csv(flat_row(1, ngay_tiep_nhan="12/06/2023 08:10:00", ngay_hen_tra="13/06/2023",
                                              ngay_ket_thuc_xu_ly="13/06/2023 09:30", ngay_cap_nhat="13/06/2023 14:02:10"))},
         "loaded", (1, 1, 0, 0), landed={1: {"ngay_tiep_nhan": "2023-06-12 08:10:00", "ngay_hen_tra": "2023-06-13 00:00:00",
                                              "ngay_ket_thuc_xu_ly": "2023-06-13 09:30:00"}}),
    Case("csv_impossible_date_vietnamese", "dossiers",
         {"dossiers/a.csv": flat_csv(flat_row(1), flat_row(2, ngay_tra="31/04/2023 10:00"))},
         "quarantined", (2, 1, 1, 0), [(2, "ngay_tra", "31/04/2023 10:00", "unparseable_date")], why="31 April"),
    Case("csv_missing_required_column", "dossiers", {"dossiers/a.csv": flat_csv(flat_row(1), drop=("ngay_cap_nhat",))},
         "stopped", stop_rule="missing_columns"),
    Case("csv_missing_optional_columns", "dossiers",
         {"dossiers/a.csv": flat_csv(flat_row(1), drop=("email", "tong_le_phi", "ket_noi_csdl"))}, "loaded", (1, 1, 0, 0),
         load={"absent_columns": ["email", "tong_le_phi", "ket_noi_csdl"]}, note="optional column(s) absent",
         landed={1: {"tong_le_phi": None}}),
    Case("csv_extra_columns", "dossiers",
         {"dossiers/a.csv": flat_csv(flat_row(1), extra={"ghi_chu_noi_bo": "internal", "Cán bộ xử lý": "x"})},
         "loaded", (1, 1, 0, 0), load={"extra_columns": ["ghi_chu_noi_bo", "cán_bộ_xử_lý"]}, note="ignored"),
    Case("csv_header_only", "dossiers", {"dossiers/a.csv": flat_csv()}, "loaded", (0, 0, 0, 0), lake_rows=0,
         why="an extract of a quiet period: valid, nothing to load"),
    Case("csv_without_header_row", "dossiers",
         {"dossiers/a.csv": lambda: flat_csv(flat_row(1), flat_row(2))().split(b"\r\n", 1)[1]}, "stopped",
         stop_rule="missing_columns", message="other column name(s) not shown",
         why="the first record is read as the header: its values (the applicant's name) are counted, never shown"),
    Case("csv_empty_0_bytes", "dossiers", {"dossiers/a.csv": raw_bytes(b"")}, "stopped", stop_rule="empty_file"),
    Case("csv_vietnamese_thousands_and_decimals", "dossiers",
         {"dossiers/a.csv": flat_csv(flat_row(1, tong_le_phi="25.000"), flat_row(2, tong_le_phi="0,5"),
                                     flat_row(3, tong_le_phi="1.234.500,5"))},
         "loaded", (3, 3, 0, 0), landed={1: {"tong_le_phi": 25000.0}, 2: {"tong_le_phi": 0.5}, 3: {"tong_le_phi": 1234500.5}}),
    Case("csv_semicolon_delimited", "dossiers", {"dossiers/a.csv": flat_csv(flat_row(1), flat_row(2), delimiter=";")},
         "loaded", (2, 2, 0, 0), landed={2: {"ten_tthc": "Đăng ký khai sinh"}}, why="Vietnamese-locale Excel writes ';'"),
    Case("csv_utf16_flat_export", "dossiers",
         {"dossiers/a.csv": flat_csv(flat_row(1), flat_row(2), encoding="utf-16", delimiter="\t")}, "loaded", (2, 2, 0, 0),
         landed={2: {"ten_tthc": "Đăng ký khai sinh"}},
         why="Excel 'Unicode text' of a flat export: transcoded in memory, never into a plain-text file (issue 19.3)"),
    Case("csv_utf16_big_endian_without_bom", "dossiers",
         {"dossiers/a.csv": flat_csv(flat_row(1), encoding="utf-16-be", delimiter="\t")}, "loaded", (1, 1, 0, 0),
         landed={1: {"ma_ho_so": f"{AGENCY}-230612-0001"}}),
    Case("csv_quoted_line_break", "dossiers",
         {"dossiers/a.csv": flat_csv(flat_row(1, ten_tthc="Đăng ký\nkhai sinh"), flat_row(2), flat_row(3, trang_thai_ho_so="11"))},
         "quarantined", (3, 2, 1, 0), [(3, "trang_thai_ho_so", "11", "unknown_status")],
         landed={1: {"ten_tthc": "Đăng ký\nkhai sinh"}, 2: {"ten_tthc": "Đăng ký khai sinh"}},
         why="Excel's Alt+Enter: a quoted cell over two lines is one cell (RFC 4180); records, not lines, are counted"),
    Case("procedures_name_with_line_break", "procedures",
         {"procedures/procedures.csv": text_with_line_break("procedures_excel_numbers.csv", "ten_tthc", "Đăng ký\r\nkhai sinh")},
         "loaded", (2, 2, 0, 0), landed={1: {"ten_tthc": "Đăng ký\r\nkhai sinh"}, 2: {"ma_tthc": "2.000930"}}),
    Case("csv_nul_byte_in_text", "dossiers",
         {"dossiers/a.csv": flat_csv(flat_row(1), flat_row(2, don_vi_xu_ly="UBND xã\x00 Lục Bình"))},
         "quarantined", (2, 1, 1, 0), [(2, "don_vi_xu_ly", "UBND xã␀ Lục Bình", "nul_byte")]),
    Case("csv_fee_negative_nan_infinite_or_text", "dossiers",
         {"dossiers/a.csv": flat_csv(flat_row(1, tong_le_phi="25.000"), flat_row(2, tong_le_phi="-1"), flat_row(3, tong_le_phi="NaN"),
                                     flat_row(4, tong_le_phi="inf"), flat_row(5, tong_le_phi="miễn phí"))},
         "quarantined", (5, 1, 4, 0),
         [(2, "tong_le_phi", "-1", "invalid_fee"), (3, "tong_le_phi", "NaN", "invalid_fee"),
          (4, "tong_le_phi", "inf", "invalid_fee"), (5, "tong_le_phi", "miễn phí", "invalid_fee")],
         landed={1: {"tong_le_phi": 25000.0}}),
    Case("xlsx_formula_without_cached_value", "dossiers",
         {"dossiers/a.xlsx": flat_xlsx(flat_row(1), flat_row(2), flat_row(3),
                                       formulas={(1, "tong_le_phi"): "=10000*2", (2, "chu_ho_so"): '="Hoàng "&"Thị Mai"'})},
         "quarantined", (3, 1, 2, 0),
         [(3, "tong_le_phi", "=10000*2", "formula_without_value"), (4, "chu_ho_so", "(personal data)", "formula_without_value")],
         why="data_only reads a formula never computed as empty: the record is quarantined, never a silent blank"),
    Case("xlsx_formula_in_an_ignored_column", "dossiers",
         {"dossiers/a.xlsx": flat_xlsx(flat_row(1), flat_row(2), extra={"ghi_chu": '=A2&"-x"'})}, "loaded", (2, 2, 0, 0),
         load={"extra_columns": ["ghi_chu"]}, why="a helper column the layout ignores: its formulas change nothing"),
    Case("xlsx_formula_with_cached_value", "dossiers",
         {"dossiers/a.xlsx": flat_xlsx(flat_row(1, tong_le_phi=20000), formulas={(0, "tong_le_phi"): "=10000*2"}, cached=True)},
         "loaded", (1, 1, 0, 0), landed={2: {"tong_le_phi": 20000.0}}, why="as Excel saves it: the cached value is read"),
    Case("csv_legacy_code_page", "dossiers", {"dossiers/a.csv": flat_csv(flat_row(1), encoding="cp1258")},
         "stopped", stop_rule="unreadable_csv", why="Windows-1258 bytes are not UTF-8: ask for 'CSV UTF-8'"),
    Case("csv_unsupported_format", "dossiers", {"dossiers/a.xls": raw_bytes(b"\xd0\xcf\x11\xe0legacy excel")},
         "stopped", stop_rule="unsupported_format"),
    # --- PAKN ------------------------------------------------------------------------------------------------
    Case("pakn_unknown_agency", "petitions", {"petitions/p.csv": "pakn_unknown_agency.csv"}, "quarantined", (2, 1, 1, 0),
         [(2, "agency_code", "000.99.63.H06", "unknown_agency")], why="same agencies reference as dossiers"),
    Case("pakn_unknown_status", "petitions", {"petitions/p.csv": "pakn_unknown_status.csv"}, "quarantined", (2, 1, 1, 0),
         [(2, "trang_thai", "hoan_thanh", "unknown_status")]),
    Case("pakn_handled_before_reception", "petitions", {"petitions/p.csv": "pakn_handled_before_reception.csv"},
         "quarantined", (2, 1, 1, 0), [(2, "ngay_xu_ly", "2023-03-08 10:00", "before_reception")]),
    Case("pakn_both_date_formats_and_thousands", "petitions", {"petitions/p.csv": "pakn_both_date_formats.csv"},
         "loaded", (2, 2, 0, 0),
         landed={1: {"ngay_tiep_nhan": "2023-03-01 09:00:00", "ngay_xu_ly": "2023-03-06 10:00:00", "luot_thich": 1000},
                 2: {"ngay_tiep_nhan": "2023-03-02 00:00:00"}}),
    Case("pakn_utf16_tab_spreadsheet", "petitions", {"petitions/p.csv": utf16_tab("pakn_unknown_agency.csv")},
         "quarantined", (2, 1, 1, 0), [(2, "agency_code", "000.99.63.H06", "unknown_agency")],
         landed={1: {"ma_pakn": "PAKN-2023-0001", "agency_code": AGENCY}},
         why="Excel 'Unicode text': UTF-16LE + BOM, tab-separated (delimiter detected)"),
    Case("pakn_nfd_file_with_bom", "petitions", {"petitions/p.csv": lambda: b"\xef\xbb\xbf" + nfd_of("pakn_unknown_status.csv")()},
         "quarantined", (2, 1, 1, 0), [(2, "trang_thai", "hoan_thanh", "unknown_status")],
         landed={1: {"phan_loai": "quy_dinh_tthc"}}),
    Case("pakn_small_file_below_min_records", "petitions", {"petitions/p.csv": pakn_rows(19, {4, 11})},
         "quarantined", (19, 17, 2, 0), [(4, "trang_thai", "xong", "unknown_status"), (11, "trang_thai", "xong", "unknown_status")],
         settings={"max_quarantine_share": 0.05}, why="2 of 19 (10.5 %) > 5 % but < 5 records: reported, not blocking"),
    Case("pakn_quarantine_limit_stops", "petitions", {"petitions/p.csv": pakn_rows(20, {1, 2, 3, 4, 5, 6})},
         "stopped", stop_rule="quarantine_limit", settings={"max_quarantine_share": 0.05},
         why="6 of 20 quarantined: above the share and the minimum count"),
    Case("pakn_unsupported_format", "petitions", {"petitions/p.ods": raw_bytes(b"PK\x03\x04not a csv")}, "stopped",
         stop_rule="unsupported_format"),
    # --- ratings ---------------------------------------------------------------------------------------------
    Case("rating_unknown_value", "ratings", {"ratings/r.csv": "rating_unknown_value.csv"}, "quarantined", (2, 1, 1, 0),
         [(2, "muc_do", "binh_thuong", "unknown_rating")]),
    Case("rating_future_date", "ratings", {"ratings/r.csv": "rating_future_date.csv"}, "quarantined", (2, 1, 1, 0),
         [(2, "ngay_danh_gia", "2093-06-14 11:00", "date_in_future")]),
    Case("rating_duplicate_in_file", "ratings", {"ratings/r.csv": "rating_duplicate_in_file.csv"}, "loaded", (3, 2, 0, 1),
         lake_rows=2),
    # --- surveys (XLSX) --------------------------------------------------------------------------------------
    Case("survey_title_rows_and_lost_leading_zeros", "survey_answers",
         {"surveys/s.xlsx": survey_xlsx(answer("SP-1", 1969), answer("SP-2", 63), answer("SP-3", 6), answer("SP-4", "02008"))},
         "loaded", (4, 4, 0, 0),
         landed={5: {"unit_code": "01969"}, 6: {"unit_code": "063"}, 7: {"unit_code": "06"}, 8: {"unit_code": "02008"}},
         why="header on row 4 below two title rows; 1969 → 01969, 63 → 063, 6 → 06 (known units)"),
    Case("survey_unknown_unit", "survey_answers",
         {"surveys/s.xlsx": survey_xlsx(answer("SP-1", "01969"), answer("SP-2", 4242))},
         "quarantined", (2, 1, 1, 0), [(6, "unit_code", "4242", "unknown_unit")],
         why="no padding of 4242 is a known unit"),
    Case("survey_likert_out_of_range", "survey_answers",
         {"surveys/s.xlsx": survey_xlsx(answer("SP-1", "01969"), answer("SP-2", "01969", likert=(5, 4, 6, 5, 4, 5)),
                                        answer("SP-3", "01969", likert=(5, 4, 5, 5, 0, 4.5)))},
         "quarantined", (3, 1, 2, 0),
         [(6, "hl_cong_chuc", "6", "likert_out_of_range"), (7, "hl_pakn", "0", "likert_out_of_range"),
          (7, "hl_tong_the", "4.5", "likert_out_of_range")]),
    Case("survey_too_many_expectations", "survey_answers",
         {"surveys/s.xlsx": survey_xlsx(
             answer("SP-1", "01969", expectations=("A", "B", "C")) + [None],
             answer("SP-2", "01969", expectations=("A", "B", "C")) + ["D"],
             answer("SP-3", "01969", expectations=("A;B", "C;D", None)) + [None],
             header=SURVEY_HEADER + ["mong_doi_4"])},
         "quarantined", (3, 1, 2, 0),
         [(6, "mong_doi", "A;B;C;D", "too_many_expectations"), (7, "mong_doi", "A;B;C;D", "too_many_expectations")]),
    Case("survey_very_long_name", "survey_answers",
         {"surveys/s.xlsx": survey_xlsx(answer("SP-1", "01969"), answer("SP-2", "01969", name=LONG[:30_000]))},
         "quarantined", (2, 1, 1, 0), [(6, "ho_ten", "(personal data, 30000 characters)", "text_too_long")],
         why="XLSX cells hold at most 32 767 characters; the quarantine keeps the length, never the name"),
    Case("survey_formula_without_cached_value", "survey_answers",
         {"surveys/s.xlsx": survey_xlsx(answer("SP-1", "01969"), answer("SP-2", "01969", likert=(5, 4, 5, 5, 4, "=AVERAGE(G6:K6)")))},
         "quarantined", (2, 1, 1, 0), [(6, "hl_tong_the", "=AVERAGE(G6:K6)", "formula_without_value")]),
    Case("survey_missing_required_column", "survey_answers",
         {"surveys/s.xlsx": survey_xlsx(answer("SP-1", "01969")[:1] + answer("SP-1", "01969")[2:],
                                        header=[h for h in SURVEY_HEADER if h != "unit_code"])},
         "stopped", stop_rule="missing_columns"),
    # --- catalogue and reference -----------------------------------------------------------------------------
    Case("procedures_excel_numbers", "procedures", {"procedures/procedures.csv": "procedures_excel_numbers.csv"},
         "loaded", (2, 2, 0, 0), landed={2: {"ma_tthc": "2.000930", "thoi_han": 0.5, "hieu_luc_tu": "2020-01-01"}},
         why="2.000930 became the number 2.00093; '0,5' is a Vietnamese decimal; dd/MM/yyyy date"),
    Case("targets_lost_leading_zeros", "ref_targets", {"reference/targets.csv": "targets_lost_zeros.csv"},
         "quarantined", (3, 2, 1, 0), [(3, "unit_code", "77", "unknown_unit")],
         landed={1: {"unit_code": "063"}, 2: {"unit_code": "01969", "gia_tri": 37.5}}),
    Case("applicability_unknown_agency_and_reversed_validity", "applicability",
         {"procedures/applicability.csv": raw_bytes(
             "ma_tthc,agency_code,hieu_luc_tu,hieu_luc_den,co_phi\n"
             f"1.001193,{AGENCY},,,\n"
             "1.001193,000.99.99.H99,,,\n"
             f"1.000894,{AGENCY},2024-01-01,2023-01-01,0\n".encode())},
         "quarantined", (3, 1, 2, 0),
         [(2, "agency_code", "000.99.99.H99", "unknown_agency"), (3, "hieu_luc_den", "2023-01-01", "validity_end_before_start")],
         landed={1: {"agency_code": AGENCY, "ma_tthc": "1.001193"}},
         why="per-agency applicability (DATA_CONTRACT §1.2): an agency absent from the registry, a validity ending before "
             "it starts"),
    Case("agencies_lost_leading_zeros", "ref_agencies", {"reference/agencies.csv": "agencies_lost_zeros.csv"},
         "quarantined", (2, 1, 1, 0), [(2, "unit_code", "98765", "unknown_unit")], landed={1: {"unit_code": "01990"}}),
]

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
