"""Dossiers (hồ sơ TTHC): read the national sync JSON or the flat export, apply the row rules of
DATA_CONTRACT §1.6, pseudonymise the applicant, and return typed valid rows and quarantined rows.

Both formats are first reduced to the flat layout (lake_schema.DOSSIER_FLAT_COLUMNS) as text, then typed
and checked by one SQL statement, so the JSON and CSV routes cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import duckdb

from orchestration.ingest import sql
from orchestration.ingest.errors import FileRejected, reader_error_detail
from orchestration.ingest.readers import read_tabular
from orchestration.lib.lake_schema import DOSSIER_FLAT_COLUMNS, DOSSIER_PERSONAL_COLUMNS, JSON_TO_FLAT

# How each flat column is typed. PII columns are not listed: they only feed the pseudonym.
COLUMN_KINDS = {
    "ma_ho_so": "code", "ma_tthc": "procedure", "ten_tthc": "text", "ma_linh_vuc": "code", "ten_linh_vuc": "text",
    "don_vi_xu_ly": "text", "ma_don_vi_xu_ly": "code", "kenh_thuc_hien": "int", "loai_doi_tuong": "int",
    "ngay_nop_ho_so": "ts", "ngay_tiep_nhan": "ts", "ngay_hen_tra": "ts", "trang_thai_ho_so": "int",
    "ngay_ket_thuc_xu_ly": "ts", "ngay_tra": "ts", "ngay_tu_choi": "ts",
    "ho_so_co_thanh_phan_so_hoa": "flag", "tai_khoan_duoc_xac_thuc_voi_vneid": "flag",
    "duoc_thanh_toan_truc_tuyen": "int", "trang_thai_dong_bo_dvc": "flag", "la_ho_so_chung_thuc": "flag",
    "so_lan_bo_sung": "int", "ngay_bo_sung": "ts", "ngay_tiep_nhan_bo_sung": "ts",
    "co_tep_dinh_kem": "flag", "co_thanh_phan_so_hoa": "flag", "co_thanh_phan_tai_su_dung": "flag",
    "lay_tu_kho_dmqg": "flag", "so_giay_to_ket_qua": "int", "co_ket_qua_dien_tu": "flag",
    "tong_le_phi": "number", "co_le_phi": "flag", "ket_noi_csdl": "int", "ngay_cap_nhat": "ts",
}
assert set(COLUMN_KINDS) | set(DOSSIER_PERSONAL_COLUMNS) == set(DOSSIER_FLAT_COLUMNS)

# A flat file must carry these; the others may be absent (then NULL, noted in the load manifest).
REQUIRED_FLAT_COLUMNS = ["ma_ho_so", "ma_tthc", "trang_thai_ho_so", "ngay_tiep_nhan", "ngay_hen_tra",
                         "ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_cap_nhat"]

# Event times that may not lie in the future of the load, and times that may not precede reception.
EVENT_TIMES = ["ngay_nop_ho_so", "ngay_tiep_nhan", "ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_tu_choi",
               "ngay_bo_sung", "ngay_tiep_nhan_bo_sung", "ngay_cap_nhat"]
NOT_BEFORE_RECEPTION = ["ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_bo_sung", "ngay_tiep_nhan_bo_sung"]

_S = "VARCHAR"
JSON_COLUMNS = {
    "service": _S,
    "isUpdating": _S,
    "data": "STRUCT(MaHoSo VARCHAR, MaTTHC VARCHAR, TenTTHC VARCHAR, MaLinhVuc VARCHAR, TenLinhVuc VARCHAR,"
    " DonViXuLy VARCHAR, MaDonViXuLy VARCHAR, KenhThucHien VARCHAR, ChuHoSo VARCHAR, SoGiayToChuHoSo VARCHAR,"
    " SoDienThoai VARCHAR, Email VARCHAR, DiaChi VARCHAR, LoaiDoiTuong VARCHAR, NgayNopHoSo VARCHAR,"
    " NgayTiepNhan VARCHAR, NgayHenTra VARCHAR, TrangThaiHoSo VARCHAR, NgayKetThucXuLy VARCHAR, NgayTra VARCHAR,"
    " NgayTuChoi VARCHAR, HoSoCoThanhPhanSoHoa VARCHAR, TaiKhoanDuocXacThucVoiVNeID VARCHAR,"
    " DuocThanhToanTrucTuyen VARCHAR, TrangThaiDongBoDVC VARCHAR, LaHoSoChungThuc VARCHAR,"
    " TaiLieuNop STRUCT(MaThanhPhanHoSo VARCHAR, TepDinhKemId VARCHAR, DuocSoHoa VARCHAR, DuocTaiSuDung VARCHAR,"
    " DuocLayTuKhoDMQG VARCHAR)[],"
    " DanhSachLePhi STRUCT(MaPhiLePhi VARCHAR, TenPhiLePhi VARCHAR, Gia VARCHAR)[],"
    " DanhSachHoSoBoSung STRUCT(NgayBoSung VARCHAR, NgayTiepNhanBoSung VARCHAR, NgayHenTraTruoc VARCHAR,"
    " NgayHenTraMoi VARCHAR)[],"
    " DanhSachGiayToKetQua STRUCT(MaGiayToKetQua VARCHAR, DuongDanTepTinKetQua VARCHAR)[],"
    " DSKetNoiCSDL STRUCT(MaCSDL VARCHAR)[],"
    " NgayCapNhat VARCHAR)[]",
}



def _nonempty(expr: str) -> str:
    return f"coalesce(trim({expr}), '') <> ''"


def read_dossier_json(con: duckdb.DuckDBPyConnection, path: Path, view: str) -> None:
    """Register ``view`` (flat text layout + _rec + _bad_supplement) over a DongBoHoSoMC payload."""
    if path.stat().st_size == 0:
        raise FileRejected(str(path), "empty_file", "the file is empty")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {view}__raw AS SELECT * FROM read_json(?, columns={JSON_COLUMNS!r},"
            " format='auto', maximum_object_size=2147483647)",
            [str(path)],
        )
    except duckdb.Error as exc:
        # DuckDB quotes the record it rejects (names, ID numbers…): the message keeps file, position, key and rule
        raise FileRejected(str(path), "unreadable_json", reader_error_detail(exc)) from None
    roots = con.execute(f"SELECT count(*), count(data), max(service) FROM {view}__raw").fetchone()
    if roots[0] != 1 or roots[1] != 1:
        raise FileRejected(
            str(path), "wrong_json_root",
            'expected one object {"service": "DongBoHoSoMC", "data": [ … ]} at the root'
            f" (found {roots[0]} top-level value(s), {roots[1]} with a 'data' array)",
        )
    reduce_sync_records(con, f"SELECT generate_subscripts(data, 1) AS _rec, unnest(data) AS d FROM {view}__raw", view)


def reduce_sync_records(con: duckdb.DuckDBPyConnection, records_sql: str, view: str) -> None:
    """Temp table ``view`` in the flat text layout (+ ``_rec``, ``_bad_supplement``) from ``records_sql``, a query
    giving ``_rec`` and ``d``, one national sync record (the DongBoHoSoMC struct, every value text). Shared by the
    JSON files and the source-database pull, so both routes reduce child lists the same way."""
    scalars = ", ".join(f"d.{k} AS {v}" for k, v in JSON_TO_FLAT.items())
    # Child lists reduced to what the indicators need (DATA_CONTRACT §1.1 b). The supplement list is sorted
    # by request time (yyyyMMddHHmmss sorts as text) so "first supplement" means the earliest request.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {view} AS
        WITH rows AS ({records_sql}),
        reduced AS (
            SELECT _rec, d, list_sort(coalesce(d.DanhSachHoSoBoSung, [])) AS sups FROM rows
        )
        SELECT _rec, {scalars},
            CAST(len(sups) AS VARCHAR) AS so_lan_bo_sung,
            sups[1].NgayBoSung AS ngay_bo_sung,
            sups[1].NgayTiepNhanBoSung AS ngay_tiep_nhan_bo_sung,
            CASE WHEN len(list_filter(coalesce(d.TaiLieuNop, []), lambda x: {_nonempty('x.TepDinhKemId')})) > 0 THEN '1' ELSE '0' END AS co_tep_dinh_kem,
            CASE WHEN len(list_filter(coalesce(d.TaiLieuNop, []), lambda x: trim(x.DuocSoHoa) = '1')) > 0 THEN '1' ELSE '0' END AS co_thanh_phan_so_hoa,
            CASE WHEN len(list_filter(coalesce(d.TaiLieuNop, []), lambda x: trim(x.DuocTaiSuDung) = '1')) > 0 THEN '1' ELSE '0' END AS co_thanh_phan_tai_su_dung,
            CASE WHEN len(list_filter(coalesce(d.TaiLieuNop, []), lambda x: trim(x.DuocLayTuKhoDMQG) = '1')) > 0 THEN '1' ELSE '0' END AS lay_tu_kho_dmqg,
            CAST(len(coalesce(d.DanhSachGiayToKetQua, [])) AS VARCHAR) AS so_giay_to_ket_qua,
            CASE WHEN len(list_filter(coalesce(d.DanhSachGiayToKetQua, []), lambda x: {_nonempty('x.DuongDanTepTinKetQua')})) > 0 THEN '1' ELSE '0' END AS co_ket_qua_dien_tu,
            CAST(coalesce(list_sum(list_transform(coalesce(d.DanhSachLePhi, []), lambda x: TRY_CAST(x.Gia AS DOUBLE))), 0) AS VARCHAR) AS tong_le_phi,
            CASE WHEN len(coalesce(d.DanhSachLePhi, [])) > 0 THEN '1' ELSE '0' END AS co_le_phi,
            CAST(len(coalesce(d.DSKetNoiCSDL, [])) AS VARCHAR) AS ket_noi_csdl,
            -- every supplement (not only the first) must be received after it was requested
            len(list_filter(sups, lambda s: {sql.timestamp('s.NgayTiepNhanBoSung')} < {sql.timestamp('s.NgayBoSung')})) > 0 AS _bad_supplement,
            -- the first fee (Gia) that is not a finite, non-negative number (JSON numbers: a plain cast), as delivered
            list_filter(coalesce(d.DanhSachLePhi, []), lambda x: nullif(trim(x.Gia), '') IS NOT NULL
                AND NOT coalesce(isfinite(TRY_CAST(x.Gia AS DOUBLE)) AND TRY_CAST(x.Gia AS DOUBLE) >= 0, false))[1].Gia AS _bad_fee
        FROM reduced
    """)  # noqa: E501


def read_dossier_flat(con: duckdb.DuckDBPyConnection, path: Path, view: str) -> tuple[list[str], list[str]]:
    """Register ``view`` over a flat CSV/XLSX export. Returns the optional columns that were absent (read as
    empty) and the columns that are not in the layout (ignored)."""
    present = read_tabular(con, path, f"{view}__flat", REQUIRED_FLAT_COLUMNS)
    absent = [c for c in DOSSIER_FLAT_COLUMNS if c not in present]
    extra = [c for c in present if c not in DOSSIER_FLAT_COLUMNS]
    cols = ", ".join(f'"{c}"' if c in present else f"CAST(NULL AS VARCHAR) AS {c}" for c in DOSSIER_FLAT_COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT _rec, {cols}, false AS _bad_supplement,"
                f" CAST(NULL AS VARCHAR) AS _bad_fee, _cell_issues FROM {view}__flat")
    return absent, extra


def _typed(col: str) -> str:
    kind = COLUMN_KINDS[col]
    return {
        "code": sql.code, "text": sql.text, "int": sql.integer, "ts": sql.timestamp, "flag": sql.flag,
        "number": sql.number, "procedure": sql.procedure_code,
    }[kind](f"r.{col}")


def _bad(col: str) -> str | None:
    """A non-empty cell the typing lost. For dates, flags and numbers that is "typed value NULL" (``t.<col>``,
    parsed once in the checking statement rather than parsed again here); integers also reject fractions."""
    kind = COLUMN_KINDS[col]
    if kind in ("ts", "flag", "number"):
        return f"({sql.blank('r.' + col)} IS NOT NULL AND t.{col} IS NULL)"
    return sql.integer_is_bad(f"r.{col}") if kind == "int" else None


class Check(NamedTuple):
    """One row rule: its condition, and the {rule, field, value} struct a failing row gets."""
    cond: str
    violation: str


def _violation(cond: str, rule: str, field: str, value: str) -> Check:
    return Check(cond, f"{{'rule': {sql.literal(rule)}, 'field': {sql.literal(field)}, 'value': CAST({value} AS VARCHAR)}}")


VIOLATIONS_TYPE, CELL_ISSUES = sql.VIOLATIONS_TYPE, sql.CELL_ISSUES


def add_cell_issues(con: duckdb.DuckDBPyConnection, view: str) -> None:
    """A source without reader-found violations (JSON, the source database) gets the column, empty."""
    con.execute(f"ALTER TABLE {view} ADD COLUMN IF NOT EXISTS {CELL_ISSUES} {VIOLATIONS_TYPE}")


def violations_sql(checks: list[Check], cell_issues: str | None = None, used: list[str] = ()) -> str:
    """The list of a row's violations (empty when the row passes every rule), then those of ``cell_issues`` about
    the ``used`` columns (a formula in a column the layout ignores changes nothing)."""
    structs = ", ".join(f"CASE WHEN {c.cond} THEN {c.violation} END" for c in checks)
    found = f"CAST(list_filter([{structs}], lambda v: v IS NOT NULL) AS {VIOLATIONS_TYPE})" if checks else f"CAST([] AS {VIOLATIONS_TYPE})"
    if not cell_issues:
        return found
    return f"list_concat({found}, list_filter(coalesce({cell_issues}, []), lambda v: list_contains({sql.literal_list(used)}, v.field)))"


def text_checks(columns: list[str], max_len: int, personal=()) -> list[Check]:
    """text_too_long: a cell longer than ``max_len`` characters (CCHC_MAX_TEXT_LENGTH) quarantines its record.
    The quarantine keeps a 60-character excerpt and the length — for personal data, the length only.
    nul_byte: a cell holding a NUL character (U+0000) quarantines its record — the lake's Parquet would cut the text
    there, silently; shown with the NUL as ␀ (personal data: the length only)."""
    out = []
    for col in columns:
        raw = f"r.{sql.ident(col)}"
        shown = (f"'(personal data, ' || length({raw}) || ' characters)'" if col in personal
                 else f"left({raw}, 60) || '… (' || length({raw}) || ' characters)'")
        out.append(_violation(f"length({raw}) > {int(max_len)}", "text_too_long", col, shown))
        nul = (f"'(personal data, ' || length({raw}) || ' characters)'" if col in personal
               else f"replace(left({raw}, 60), chr(0), '␀')")
        out.append(_violation(f"contains({raw}, chr(0))", "nul_byte", col, nul))
    return out


def checked_dossiers_sql(view: str, max_text_length: int = 2000) -> str:
    """SELECT over ``view`` giving every typed lake column, the applicant pseudonym and ``_violations``
    (a list of {rule, field, value}); requires temp table ``agencies_ref`` and parameters $key, $now."""
    typed = ",\n".join(f"{_typed(c)} AS {c}" for c in COLUMN_KINDS)
    applicant = sql.pseudonym(
        f"coalesce({sql.code('r.so_giay_to_chu_ho_so')}, lower({sql.text('r.chu_ho_so')}))"
    )
    checks = []
    for col, kind in COLUMN_KINDS.items():
        bad = _bad(col) if col != "tong_le_phi" else None  # fees have their own rule, below
        if bad:
            checks.append(_violation(bad, "unparseable_value" if kind != "ts" else "unparseable_date", col, f"r.{col}"))
        if kind == "ts":
            checks.append(_violation(f"t.{col} < TIMESTAMP '2000-01-01'", "date_before_2000", col, f"r.{col}"))
    for col in EVENT_TIMES:
        checks.append(_violation(f"t.{col} > $now", "date_in_future", col, f"r.{col}"))
    for col in NOT_BEFORE_RECEPTION:
        checks.append(_violation(f"t.{col} < t.ngay_tiep_nhan", "before_reception", col, f"r.{col}"))
    checks += [
        _violation("t.ma_ho_so IS NULL", "missing_code", "ma_ho_so", "r.ma_ho_so"),
        _violation("t.trang_thai_ho_so IS NULL AND NOT (" + sql.integer_is_bad("r.trang_thai_ho_so") + ")",
                   "missing_status", "trang_thai_ho_so", "r.trang_thai_ho_so"),
        _violation("t.trang_thai_ho_so NOT BETWEEN 1 AND 10", "unknown_status", "trang_thai_ho_so", "r.trang_thai_ho_so"),
        _violation("NOT list_contains([1, 2, 3], t.kenh_thuc_hien)", "unknown_channel", "kenh_thuc_hien", "r.kenh_thuc_hien"),
        _violation("list_contains([2, 4, 5, 6, 7, 8, 9, 10], t.trang_thai_ho_so) AND t.ngay_tiep_nhan IS NULL AND NOT ("
                   + sql.timestamp_is_bad("r.ngay_tiep_nhan") + ")", "missing_reception", "ngay_tiep_nhan", "r.ngay_tiep_nhan"),
        _violation("t.trang_thai_ho_so BETWEEN 7 AND 10 AND coalesce(t.ngay_ket_thuc_xu_ly, t.ngay_tra, t.ngay_tu_choi) IS NULL",
                   "missing_end", "ngay_ket_thuc_xu_ly", "coalesce(r.ngay_ket_thuc_xu_ly, r.ngay_tra, r.ngay_tu_choi)"),
        # due date compared by calendar date: a date-only due date on the reception day is valid
        _violation("CAST(t.ngay_hen_tra AS DATE) < CAST(t.ngay_tiep_nhan AS DATE)", "before_reception", "ngay_hen_tra", "r.ngay_hen_tra"),
        _violation("t.ngay_tiep_nhan_bo_sung < t.ngay_bo_sung OR r._bad_supplement", "supplement_before_request",
                   "ngay_tiep_nhan_bo_sung", "r.ngay_tiep_nhan_bo_sung"),
        # a fee is a finite, non-negative number, never read as 0 (JSON: every Gia of DanhSachLePhi; flat: tong_le_phi)
        _violation(f"r._bad_fee IS NOT NULL OR ({sql.blank('r.tong_le_phi')} IS NOT NULL AND coalesce(t.tong_le_phi < 0, true))",
                   "invalid_fee", "tong_le_phi", "coalesce(r._bad_fee, r.tong_le_phi)"),
        _violation("t.ma_ho_so IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agencies_ref a WHERE a.agency_code = t.agency_key"
                   " AND coalesce(CAST(coalesce(t.ngay_tiep_nhan, t.ngay_nop_ho_so) AS DATE), a.valid_from) BETWEEN a.valid_from"
                   " AND coalesce(a.valid_to, DATE '9999-12-31'))",
                   "unknown_agency", "ma_don_vi_xu_ly", "t.agency_key"),
    ]
    checks += text_checks([c for c, k in COLUMN_KINDS.items() if k in ("code", "text", "procedure")]
                          + DOSSIER_PERSONAL_COLUMNS, max_text_length, DOSSIER_PERSONAL_COLUMNS)
    return f"""
        WITH t AS (
            SELECT r._rec, r._bad_supplement, {typed},
                {applicant} AS chu_ho_so_pseudonym,
                -- attribution key: MaDonViXuLy, else the agency e-ID prefix of MaHoSo
                coalesce({sql.code('r.ma_don_vi_xu_ly')}, regexp_extract({sql.code('r.ma_ho_so')}, '^(.+)-[0-9]{{6}}-[0-9]+$', 1)) AS agency_key,
                md5(CAST(ROW({", ".join("r." + c for c in DOSSIER_FLAT_COLUMNS)}) AS VARCHAR)) AS _fingerprint
            FROM {view} r
        )
        SELECT t.* EXCLUDE (ma_don_vi_xu_ly, agency_key), nullif(t.agency_key, '') AS ma_don_vi_xu_ly,
            {violations_sql(checks, 'r.' + CELL_ISSUES, DOSSIER_FLAT_COLUMNS)} AS _violations
        FROM t JOIN {view} r USING (_rec)
    """  # noqa: E501
