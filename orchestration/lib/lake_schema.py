"""The lake's table layouts: the contract between ingestion (which writes them) and dbt (which reads them).

Every lake table is Parquet under ``<out>/lake/<table>/`` (where exactly: orchestration.lib.layout). Ingestion
always writes every table, with zero rows when its source is absent, so dbt never meets a missing file; whether a
source was present in the raw root is recorded in ``source_inventory``.

Column names in the lake are the source's own (the flat snake_case layout of DATA_CONTRACT §1.1 b for
dossiers — the JSON sync payload is reduced to it at ingestion); staging models rename them to English.
Personal data never appears here: ingestion replaces it with keyed pseudonyms.
"""

from orchestration.lib import layout

# Provenance columns added to every landed row.
PROVENANCE = {
    "_source_file": "VARCHAR",  # path relative to the raw root
    "_source_sha256": "VARCHAR",
    "_source_record": "BIGINT",  # 1-based record position in the file (JSON array index / data row number)
    "_loaded_at": "TIMESTAMP",
}

# Dossiers (hồ sơ), one row per dossier version kept: the latest NgayCapNhat per ma_ho_so across all files.
# Partitioned (hive) by thang_tiep_nhan = reception month 'YYYY-MM' (submission month when never received).
DOSSIERS = {
    "ma_ho_so": "VARCHAR",  # MaHoSo
    "ma_tthc": "VARCHAR",  # MaTTHC, procedure code
    "ten_tthc": "VARCHAR",
    "ma_linh_vuc": "VARCHAR",  # field (lĩnh vực)
    "ten_linh_vuc": "VARCHAR",
    "don_vi_xu_ly": "VARCHAR",  # handling agency name
    "ma_don_vi_xu_ly": "VARCHAR",  # attribution key: MaDonViXuLy, else the agency prefix of MaHoSo
    "kenh_thuc_hien": "INTEGER",  # 1 in person, 2 online, 3 postal, NULL = in person
    "chu_ho_so_pseudonym": "VARCHAR",  # keyed hash of the applicant's ID number (else name) — never the raw value
    "loai_doi_tuong": "INTEGER",
    "ngay_nop_ho_so": "TIMESTAMP",
    "ngay_tiep_nhan": "TIMESTAMP",
    "ngay_hen_tra": "TIMESTAMP",
    "trang_thai_ho_so": "INTEGER",
    "ngay_ket_thuc_xu_ly": "TIMESTAMP",
    "ngay_tra": "TIMESTAMP",
    "ngay_tu_choi": "TIMESTAMP",
    "ho_so_co_thanh_phan_so_hoa": "BOOLEAN",
    "tai_khoan_duoc_xac_thuc_voi_vneid": "BOOLEAN",
    "duoc_thanh_toan_truc_tuyen": "INTEGER",  # 0 no, 1 national platform, 2 local gateway
    "trang_thai_dong_bo_dvc": "BOOLEAN",
    "la_ho_so_chung_thuc": "BOOLEAN",
    "so_lan_bo_sung": "INTEGER",  # number of supplement requests (len DanhSachHoSoBoSung)
    "ngay_bo_sung": "TIMESTAMP",  # first supplement: requested (NgayBoSung)
    "ngay_tiep_nhan_bo_sung": "TIMESTAMP",  # first supplement: supplemented dossier received
    "co_tep_dinh_kem": "BOOLEAN",  # ≥1 submitted component with an attached file (TepDinhKemId)
    "co_thanh_phan_so_hoa": "BOOLEAN",  # ≥1 component DuocSoHoa = 1
    "co_thanh_phan_tai_su_dung": "BOOLEAN",  # ≥1 component DuocTaiSuDung = 1
    "lay_tu_kho_dmqg": "BOOLEAN",  # ≥1 component DuocLayTuKhoDMQG = 1
    "so_giay_to_ket_qua": "INTEGER",  # number of result documents
    "co_ket_qua_dien_tu": "BOOLEAN",  # ≥1 result with DuongDanTepTinKetQua
    "tong_le_phi": "DOUBLE",  # Σ Gia of fee lines
    "co_le_phi": "BOOLEAN",  # ≥1 fee line
    "ket_noi_csdl": "INTEGER",  # number of DSKetNoiCSDL entries
    "ngay_cap_nhat": "TIMESTAMP",  # NgayCapNhat, version of the record
    **PROVENANCE,
}
DOSSIER_PARTITION_COLUMN = "thang_tiep_nhan"

# The flat export layout (DATA_CONTRACT §1.1 b) as read from CSV/XLSX: the lake columns above with the
# personal-data columns in place of the pseudonym.
DOSSIER_PERSONAL_COLUMNS = ["chu_ho_so", "so_giay_to_chu_ho_so", "so_dien_thoai", "email", "dia_chi"]
DOSSIER_FLAT_COLUMNS = (
    ["ma_ho_so", "ma_tthc", "ten_tthc", "ma_linh_vuc", "ten_linh_vuc", "don_vi_xu_ly", "ma_don_vi_xu_ly",
     "kenh_thuc_hien"]
    + DOSSIER_PERSONAL_COLUMNS
    + [c for c in DOSSIERS if c not in PROVENANCE and c not in
       ("ma_ho_so", "ma_tthc", "ten_tthc", "ma_linh_vuc", "ten_linh_vuc", "don_vi_xu_ly", "ma_don_vi_xu_ly",
        "kenh_thuc_hien", "chu_ho_so_pseudonym")]
)

# National sync JSON field (DongBoHoSoMC, PascalCase) → flat export column, for the scalar fields; the child lists
# are reduced to the flat columns by ingestion (DATA_CONTRACT §1.1 b). Shared by ingestion and the generator.
JSON_TO_FLAT = {
    "MaHoSo": "ma_ho_so", "MaTTHC": "ma_tthc", "TenTTHC": "ten_tthc", "MaLinhVuc": "ma_linh_vuc",
    "TenLinhVuc": "ten_linh_vuc", "DonViXuLy": "don_vi_xu_ly", "MaDonViXuLy": "ma_don_vi_xu_ly",
    "KenhThucHien": "kenh_thuc_hien", "ChuHoSo": "chu_ho_so", "SoGiayToChuHoSo": "so_giay_to_chu_ho_so",
    "SoDienThoai": "so_dien_thoai", "Email": "email", "DiaChi": "dia_chi", "LoaiDoiTuong": "loai_doi_tuong",
    "NgayNopHoSo": "ngay_nop_ho_so", "NgayTiepNhan": "ngay_tiep_nhan", "NgayHenTra": "ngay_hen_tra",
    "TrangThaiHoSo": "trang_thai_ho_so", "NgayKetThucXuLy": "ngay_ket_thuc_xu_ly", "NgayTra": "ngay_tra",
    "NgayTuChoi": "ngay_tu_choi", "HoSoCoThanhPhanSoHoa": "ho_so_co_thanh_phan_so_hoa",
    "TaiKhoanDuocXacThucVoiVNeID": "tai_khoan_duoc_xac_thuc_voi_vneid",
    "DuocThanhToanTrucTuyen": "duoc_thanh_toan_truc_tuyen", "TrangThaiDongBoDVC": "trang_thai_dong_bo_dvc",
    "LaHoSoChungThuc": "la_ho_so_chung_thuc", "NgayCapNhat": "ngay_cap_nhat",
}

# Procedure catalogue (CSDLQG export). Flags 0/1 → BOOLEAN; dates → DATE.
PROCEDURES = {
    "ma_tthc": "VARCHAR", "ten_tthc": "VARCHAR", "ma_linh_vuc": "VARCHAR", "ten_linh_vuc": "VARCHAR",
    "cap_thuc_hien": "VARCHAR",  # ';'-separated levels: tinh;huyen;xa
    "thoi_han": "DOUBLE", "don_vi_thoi_han": "VARCHAR",  # ngay_lam_viec | ngay | gio
    "co_phi": "BOOLEAN", "yeu_cau_kq_giay": "BOOLEAN", "du_dieu_kien_toan_trinh": "BOOLEAN",
    "muc_do_dvc": "VARCHAR",  # toan_trinh | mot_phan | khong
    "doi_tuong_cong_dan": "BOOLEAN", "cong_khai_day_du": "BOOLEAN",
    "hieu_luc_tu": "DATE", "hieu_luc_den": "DATE",
    **PROVENANCE,
}
PUBLICATIONS = {
    "so_quyet_dinh": "VARCHAR", "ngay_quyet_dinh": "DATE", "loai": "VARCHAR", "ma_tthc": "VARCHAR",
    "unit_code": "VARCHAR", "ngay_hieu_luc_can_cu": "DATE", "ngay_cong_khai": "DATE",
    **PROVENANCE,
}
# Per-agency procedure applicability (DATA_CONTRACT §1.2 applicability.csv, optional): the procedures the national
# catalogue applies to each handling agency (the portal's appliedDepartmentIds); co_phi, when given, is the agency's
# own fee flag for the procedure (overrides the catalogue's for that agency).
APPLICABILITY = {
    "ma_tthc": "VARCHAR", "agency_code": "VARCHAR", "hieu_luc_tu": "DATE", "hieu_luc_den": "DATE",
    "co_phi": "BOOLEAN",
    **PROVENANCE,
}
REVIEWS = {
    "ma_ke_hoach": "VARCHAR", "unit_code": "VARCHAR", "nam": "INTEGER", "ma_tthc": "VARCHAR",
    "ngay_ra_soat": "DATE", "ket_qua": "VARCHAR",
    **PROVENANCE,
}
PETITIONS = {
    "ma_pakn": "VARCHAR", "agency_code": "VARCHAR", "ngay_tiep_nhan": "TIMESTAMP", "phan_loai": "VARCHAR",
    "ma_ho_so_lien_quan": "VARCHAR", "trang_thai": "VARCHAR", "ngay_chuyen": "TIMESTAMP",
    "ngay_tu_choi": "TIMESTAMP", "ngay_yeu_cau_bo_sung": "TIMESTAMP", "ngay_xu_ly": "TIMESTAMP",
    "ngay_cong_khai": "TIMESTAMP", "luot_thich": "INTEGER", "luot_khong_thich": "INTEGER",
    "khieu_nai_lai": "BOOLEAN",
    **PROVENANCE,
}
RATINGS = {
    "ma_ho_so": "VARCHAR", "ngay_danh_gia": "TIMESTAMP", "muc_do": "VARCHAR",
    **PROVENANCE,
}
# Survey answers in long form (one row per respondent × question), because criterion (tc_*) and
# expectation columns vary between survey rounds. question: hl_<element> (1–5), tc_<criterion> (0/1),
# mong_doi (one row per chosen expectation code, value NULL).
SURVEY_ANSWERS = {
    "ma_phieu": "VARCHAR", "unit_code": "VARCHAR", "ngay_khao_sat": "DATE",
    "nguoi_tra_loi_pseudonym": "VARCHAR",  # keyed hash of name + phone — never the raw values
    "ma_tthc": "VARCHAR", "cau_hoi": "VARCHAR", "gia_tri": "INTEGER", "ma_mong_doi": "VARCHAR",
    **PROVENANCE,
}
REF_AGENCIES = {
    "agency_code": "VARCHAR", "agency_name": "VARCHAR", "unit_code": "VARCHAR",
    "valid_from": "DATE", "valid_to": "DATE",
    **PROVENANCE,
}
# Admin units supplied by the raw root (reference/admin_units*.csv, the layout of seeds/admin_units.csv): a
# national or synthetic raw root carries its own unit register; it extends and, key by key, overrides the seed.
REF_ADMIN_UNITS = {
    "unit_code": "VARCHAR", "valid_from": "DATE", "valid_to": "DATE", "unit_name": "VARCHAR",
    "unit_level": "VARCHAR",  # tinh | huyen | xa
    "unit_type": "VARCHAR", "parent_code": "VARCHAR", "parent_valid_from": "DATE", "legal_basis": "VARCHAR",
    **PROVENANCE,
}
# The lineage of units supplied by the raw root (reference/unit_lineage*.csv, the layout of seeds/unit_lineage.csv):
# a synthetic or province raw root carries the lineage of its own units; it extends the seed key by key.
REF_UNIT_LINEAGE = {
    "old_code": "VARCHAR", "old_valid_from": "DATE", "new_code": "VARCHAR", "new_valid_from": "DATE",
    "effective_date": "DATE", "legal_basis": "VARCHAR", "share": "DOUBLE",
    **PROVENANCE,
}
REF_TARGETS = {
    "unit_code": "VARCHAR", "nam": "INTEGER", "ma_chi_tieu": "VARCHAR", "indicator_id": "VARCHAR",
    "ma_linh_vuc": "VARCHAR", "pham_vi": "VARCHAR", "so_sanh": "VARCHAR", "gia_tri": "DOUBLE",
    "ghi_chu": "VARCHAR",
    **PROVENANCE,
}
# Rejected records of the raw files present (one row per record × broken rule), pseudonymised like the rest:
# the value shown is the offending field's, never a personal-data field's.
QUARANTINE = {
    "source_table": "VARCHAR", "_source_file": "VARCHAR", "_source_sha256": "VARCHAR", "_source_record": "BIGINT",
    "record_key": "VARCHAR", "rule": "VARCHAR", "field": "VARCHAR", "value": "VARCHAR", "_loaded_at": "TIMESTAMP",
}

# One row per source: was its folder present in the raw root, and how much was loaded.
SOURCE_INVENTORY = {
    "source_name": "VARCHAR", "present": "BOOLEAN", "files": "INTEGER", "rows_loaded": "BIGINT",
}

# Time-based tables are written per month (hive folders <column>=YYYY-MM): the month of this event time.
PARTITION_MONTH_OF = {
    "dossiers": "coalesce(ngay_tiep_nhan, ngay_nop_ho_so)",  # reception (submission when never received)
    "petitions": "ngay_tiep_nhan",
    "ratings": "ngay_danh_gia",
}
# Which version of a record wins when several files carry it (first = preferred).
VERSION_ORDER = {
    "dossiers": "ngay_cap_nhat DESC NULLS LAST",  # a later NgayCapNhat replaces; an older one arriving late is ignored
}

# lake table name → (schema, raw folder, partitioned by month column or None)
TABLES = {
    "dossiers": (DOSSIERS, "dossiers", DOSSIER_PARTITION_COLUMN),
    "procedures": (PROCEDURES, "procedures", None),
    "publications": (PUBLICATIONS, "procedures", None),
    "reviews": (REVIEWS, "procedures", None),
    "applicability": (APPLICABILITY, "procedures", None),
    "petitions": (PETITIONS, "petitions", "thang_tiep_nhan"),
    "ratings": (RATINGS, "ratings", "thang_danh_gia"),
    "survey_answers": (SURVEY_ANSWERS, "surveys", None),
    "ref_agencies": (REF_AGENCIES, "reference", None),
    "ref_admin_units": (REF_ADMIN_UNITS, "reference", None),
    "ref_unit_lineage": (REF_UNIT_LINEAGE, "reference", None),
    "ref_targets": (REF_TARGETS, "reference", None),
    "source_inventory": (SOURCE_INVENTORY, None, None),
    "quarantine": (QUARANTINE, None, None),
}


def lake_path(lake_dir, table: str) -> str:
    """Glob that dbt and the checks read a lake table through."""
    _, _, partition = TABLES[table]
    folder = layout.lake_table_dir(lake_dir, table)
    return f"{folder}/*/*.parquet" if partition else f"{folder}/*.parquet"


def write_empty_table(con, lake_dir, table: str) -> None:
    """Write a zero-row Parquet file with the table's schema (so readers never meet a missing table)."""
    schema, _, partition = TABLES[table]
    cols = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in schema.items())
    path = (layout.partition_file(lake_dir, table, partition, layout.EMPTY_PARTITION) if partition
            else layout.lake_table_file(lake_dir, table))
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY (SELECT {cols} LIMIT 0) TO '{path}' (FORMAT parquet)")


def write_empty_lake(lake_dir) -> None:
    """A lake with every table present and empty — for development and tests of the dbt layer."""
    import duckdb  # lazy: orchestration.generate imports this module for the schemas and never needs DuckDB

    con = duckdb.connect()
    for table in TABLES:
        write_empty_table(con, lake_dir, table)
