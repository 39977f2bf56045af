"""The tabular sources other than dossiers: which raw files feed each lake table, how columns are typed,
which columns are personal data, and the row rules. Adding a source is adding a TableSpec."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestration.lib import lake_schema


@dataclass(frozen=True)
class TableSpec:
    table: str  # lake table name (lake_schema.TABLES)
    folder: str  # raw folder
    pattern: str  # file-name glob inside the folder
    # column → code | text | int | ts | date | flag | number, or a checked code:
    #   unit       admin-unit code: leading zeros lost in a spreadsheet restored; unknown → quarantined (unknown_unit)
    #   agency     agency e-ID: must be in the agencies reference (seed + raw reference/) → else unknown_agency
    #   procedure  procedure code: trailing zeros lost in a spreadsheet restored (2.00093 → 2.000930)
    kinds: dict[str, str]
    required: list[str]
    key: list[str]  # one row per key in the lake (latest file wins)
    pii: dict[str, list[str]] = field(default_factory=dict)  # pseudonym column → personal-data columns
    rules: list[tuple[str, str, str]] = field(default_factory=list)  # (SQL condition on t.* typed / r.* raw, rule, field)
    wide_answers: bool = False  # survey sheet: hl_*/tc_*/mong_doi_* columns unpivoted to long form
    event_times: list[str] = field(default_factory=list)  # not in the future of the load, not before 2000
    agency_date: str | None = None  # the date at which an ``agency`` column must be valid (else: any validity)


def _kinds(schema: dict[str, str], overrides: dict[str, str]) -> dict[str, str]:
    by_type = {"VARCHAR": "code", "INTEGER": "int", "BIGINT": "int", "DOUBLE": "number", "BOOLEAN": "flag",
               "DATE": "date", "TIMESTAMP": "ts"}
    out = {c: by_type[t] for c, t in schema.items() if not c.startswith("_")}
    out.update(overrides)
    return out


SPECS: dict[str, TableSpec] = {
    "procedures": TableSpec(
        "procedures", "procedures", "procedures*",
        _kinds(lake_schema.PROCEDURES, {"ten_tthc": "text", "ten_linh_vuc": "text", "ma_tthc": "procedure"}),
        required=["ma_tthc", "ten_tthc", "cap_thuc_hien", "thoi_han"], key=["ma_tthc"],
        rules=[("t.don_vi_thoi_han NOT IN ('ngay_lam_viec', 'ngay', 'gio')", "unknown_time_unit", "don_vi_thoi_han")],
    ),
    "publications": TableSpec(
        "publications", "procedures", "publications*",
        _kinds(lake_schema.PUBLICATIONS, {"unit_code": "unit", "ma_tthc": "procedure"}),
        required=["so_quyet_dinh", "ngay_quyet_dinh", "ma_tthc"], key=["so_quyet_dinh", "ma_tthc"],
    ),
    "reviews": TableSpec(
        "reviews", "procedures", "reviews*",
        _kinds(lake_schema.REVIEWS, {"unit_code": "unit", "ma_tthc": "procedure"}),
        required=["ma_ke_hoach", "unit_code", "ma_tthc"], key=["ma_ke_hoach", "unit_code", "ma_tthc"],
    ),
    "applicability": TableSpec(
        "applicability", "procedures", "applicability*",
        _kinds(lake_schema.APPLICABILITY, {"ma_tthc": "procedure", "agency_code": "agency"}),
        required=["ma_tthc", "agency_code"], key=["ma_tthc", "agency_code", "hieu_luc_tu"],
        rules=[("t.hieu_luc_den < t.hieu_luc_tu", "validity_end_before_start", "hieu_luc_den")],
    ),
    "petitions": TableSpec(
        "petitions", "petitions", "*",
        _kinds(lake_schema.PETITIONS, {"agency_code": "agency"}),
        required=["ma_pakn", "agency_code", "ngay_tiep_nhan", "trang_thai"], key=["ma_pakn"],
        rules=[("t.trang_thai NOT IN ('cho_tiep_nhan', 'dang_xu_ly', 'da_xu_ly', 'tu_choi')", "unknown_status", "trang_thai"),
               ("t.ngay_tiep_nhan IS NULL AND nullif(trim(r.ngay_tiep_nhan), '') IS NULL", "missing_reception", "ngay_tiep_nhan"),
               ("t.agency_code IS NULL", "missing_agency", "agency_code")]
        + [(f"t.{c} < t.ngay_tiep_nhan", "before_reception", c)
           for c in ("ngay_tu_choi", "ngay_yeu_cau_bo_sung", "ngay_xu_ly", "ngay_cong_khai")],
        event_times=["ngay_tiep_nhan", "ngay_chuyen", "ngay_tu_choi", "ngay_yeu_cau_bo_sung", "ngay_xu_ly", "ngay_cong_khai"],
        agency_date="ngay_tiep_nhan",
    ),
    "ratings": TableSpec(
        "ratings", "ratings", "*",
        _kinds(lake_schema.RATINGS, {}),
        required=["ma_ho_so", "ngay_danh_gia", "muc_do"], key=["ma_ho_so"],
        rules=[("t.muc_do NOT IN ('rat_hai_long', 'hai_long', 'khong_hai_long')", "unknown_rating", "muc_do"),
               ("t.ngay_danh_gia IS NULL AND nullif(trim(r.ngay_danh_gia), '') IS NULL", "missing_date", "ngay_danh_gia")],
        event_times=["ngay_danh_gia"],
    ),
    "survey_answers": TableSpec(
        "survey_answers", "surveys", "*",
        {"ma_phieu": "code", "unit_code": "unit", "ngay_khao_sat": "date", "ma_tthc": "procedure"},
        required=["ma_phieu", "unit_code"], key=["ma_phieu", "cau_hoi", "ma_mong_doi"],
        rules=[("t.unit_code IS NULL", "missing_unit", "unit_code")],
        event_times=["ngay_khao_sat"],
        pii={"nguoi_tra_loi_pseudonym": ["ho_ten", "so_dien_thoai"]},
        wide_answers=True,
    ),
    "ref_agencies": TableSpec(
        "ref_agencies", "reference", "agencies*",
        _kinds(lake_schema.REF_AGENCIES, {"agency_name": "text", "unit_code": "unit"}),
        required=["agency_code", "unit_code", "valid_from"], key=["agency_code", "valid_from"],
    ),
    "ref_admin_units": TableSpec(
        "ref_admin_units", "reference", "admin_units*",
        _kinds(lake_schema.REF_ADMIN_UNITS, {"unit_name": "text", "legal_basis": "text", "unit_type": "text"}),
        required=["unit_code", "valid_from", "unit_level"], key=["unit_code", "valid_from"],
        rules=[("t.unit_level NOT IN ('tinh', 'huyen', 'xa')", "unknown_unit_level", "unit_level"),
               ("NOT regexp_full_match(t.unit_code, '[0-9]{2}([0-9]([0-9]{2})?)?')", "bad_unit_code", "unit_code")],
    ),
    "ref_unit_lineage": TableSpec(
        "ref_unit_lineage", "reference", "unit_lineage*",
        _kinds(lake_schema.REF_UNIT_LINEAGE, {"old_code": "unit", "new_code": "unit", "legal_basis": "text"}),
        required=["old_code", "old_valid_from", "new_code", "new_valid_from", "effective_date"],
        key=["old_code", "old_valid_from", "new_code", "new_valid_from"],
        rules=[("t.share IS NOT NULL AND NOT (t.share > 0 AND t.share <= 1)", "share_out_of_range", "share")],
    ),
    "ref_targets": TableSpec(
        "ref_targets", "reference", "targets*",
        _kinds(lake_schema.REF_TARGETS, {"ghi_chu": "text", "unit_code": "unit"}),
        required=["unit_code", "nam", "ma_chi_tieu", "indicator_id", "so_sanh", "gia_tri"],
        key=["unit_code", "nam", "ma_chi_tieu", "indicator_id", "ma_linh_vuc"],
        rules=[("t.so_sanh NOT IN ('ge', 'le', 'eq')", "unknown_comparator", "so_sanh")],
    ),
}

# Survey expectation columns (mong_doi_1 … mong_doi_3): at most this many codes per respondent.
MAX_EXPECTATIONS = 3
