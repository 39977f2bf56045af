"""Reference schema of a one-stop system's database (hệ thống một cửa điện tử) — DATA_CONTRACT §1.1 (c).

The tables a provincial one-stop system keeps, close to the national sync fields (snake_case of the
DongBoHoSoMC names: ``MaHoSo`` → ``ma_ho_so``) with real SQL types: times are timestamps (local time,
Asia/Ho_Chi_Minh, no zone), flags small integers 0/1, fees numeric. Child lists of the sync payload are child
tables keyed by (``ma_ho_so``, ``stt``). docs/source_db.md describes every table and column.

Contract with the pull (orchestration/ingest/source_db.py):
* ``ho_so.ngay_cap_nhat`` (NgayCapNhat) is the version of the WHOLE dossier: the one-stop system sets it when
  the dossier or any of its child rows changes (as it must for the national sync). The pull reads dossiers
  incrementally on (ngay_cap_nhat, ma_ho_so) and takes the children of the dossiers it reads.
* ``danh_gia_ho_so`` is read incrementally on (ngay_danh_gia, ma_ho_so); ``thu_tuc_hanh_chinh`` (the procedure
  catalogue, a few thousand rows) is read whole and lands only when its content changed.
* Personal data (chu_ho_so, so_giay_to_chu_ho_so, so_dien_thoai, email, dia_chi) is read only to be
  pseudonymised in memory; it is never written anywhere by this project.

A deployment whose columns are named differently maps them in a view with these names (the pull checks the
columns it needs, by name, before reading anything: a missing or renamed column stops the run).
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, MetaData, Numeric, SmallInteger, String, Table, Text

metadata = MetaData()

_code = lambda n, *args, **kw: Column(n, String(64), *args, **kw)  # noqa: E731 — codes: text, leading zeros kept
_name = lambda n: Column(n, Text)  # noqa: E731
_flag = lambda n: Column(n, SmallInteger)  # noqa: E731 — 0/1
_time = lambda n, **kw: Column(n, DateTime, **kw)  # noqa: E731

HO_SO = Table(
    "ho_so", metadata,  # dossiers (hồ sơ TTHC)
    _code("ma_ho_so", primary_key=True),  # MaHoSo
    _code("ma_tthc"), _name("ten_tthc"), _code("ma_linh_vuc"), _name("ten_linh_vuc"),
    _name("don_vi_xu_ly"), _code("ma_don_vi_xu_ly"),
    Column("kenh_thuc_hien", SmallInteger),  # 1 in person, 2 online, 3 postal; NULL = in person
    _name("chu_ho_so"), _code("so_giay_to_chu_ho_so"), _code("so_dien_thoai"), _name("email"), _name("dia_chi"),  # personal
    Column("loai_doi_tuong", SmallInteger),
    _time("ngay_nop_ho_so"), _time("ngay_tiep_nhan"), _time("ngay_hen_tra"),
    Column("trang_thai_ho_so", SmallInteger),  # 1–10 (METHODOLOGY §2)
    _time("ngay_ket_thuc_xu_ly"), _time("ngay_tra"), _time("ngay_tu_choi"),
    _flag("ho_so_co_thanh_phan_so_hoa"), _flag("tai_khoan_duoc_xac_thuc_voi_vneid"),
    Column("duoc_thanh_toan_truc_tuyen", SmallInteger),  # 0 no, 1 national platform, 2 local gateway
    _flag("trang_thai_dong_bo_dvc"), _flag("la_ho_so_chung_thuc"),
    _time("ngay_cap_nhat", nullable=False),  # NgayCapNhat: version of the dossier and its child rows
    Index("ix_ho_so_ngay_cap_nhat", "ngay_cap_nhat", "ma_ho_so"),
)


def _child(name: str, *columns: Column) -> Table:
    return Table(name, metadata,
                 _code("ma_ho_so", ForeignKey("ho_so.ma_ho_so", ondelete="CASCADE"), primary_key=True),
                 Column("stt", Integer, primary_key=True, autoincrement=False),  # position in the list, 1-based
                 *columns)


HO_SO_BO_SUNG = _child(  # supplement requests (DanhSachHoSoBoSung)
    "ho_so_bo_sung", _time("ngay_bo_sung"), _time("ngay_tiep_nhan_bo_sung"), _time("ngay_hen_tra_truoc"),
    _time("ngay_hen_tra_moi"))
HO_SO_THANH_PHAN = _child(  # submitted components (TaiLieuNop)
    "ho_so_thanh_phan", _code("ma_thanh_phan_ho_so"), _code("tep_dinh_kem_id"), _flag("duoc_so_hoa"),
    _flag("duoc_tai_su_dung"), _flag("duoc_lay_tu_kho_dmqg"))
HO_SO_KET_QUA = _child(  # result documents (DanhSachGiayToKetQua); a file link ⇒ electronic result
    "ho_so_ket_qua", _code("ma_giay_to_ket_qua"), _name("duong_dan_tep_tin_ket_qua"))
HO_SO_LE_PHI = _child(  # fee and charge lines, paid or due (DanhSachLePhi)
    "ho_so_le_phi", _code("ma_phi_le_phi"), _name("ten_phi_le_phi"), Column("gia", Numeric(18, 2)))
HO_SO_KET_NOI_CSDL = _child(  # national databases consulted (DSKetNoiCSDL)
    "ho_so_ket_noi_csdl", _code("ma_csdl"))

DANH_GIA_HO_SO = Table(  # per-dossier ratings given at return (dossier_ratings)
    "danh_gia_ho_so", metadata,
    _code("ma_ho_so", primary_key=True), _time("ngay_danh_gia", nullable=False),
    Column("muc_do", String(32)),  # rat_hai_long | hai_long | khong_hai_long
    Index("ix_danh_gia_ngay", "ngay_danh_gia", "ma_ho_so"),
)

THU_TUC_HANH_CHINH = Table(  # the procedure catalogue as the one-stop system holds it (CSDLQG copy)
    "thu_tuc_hanh_chinh", metadata,
    _code("ma_tthc", primary_key=True), _name("ten_tthc"), _code("ma_linh_vuc"), _name("ten_linh_vuc"),
    Column("cap_thuc_hien", String(32)),  # tinh;huyen;xa
    Column("thoi_han", Numeric(10, 2)), Column("don_vi_thoi_han", String(16)),  # ngay_lam_viec | ngay | gio
    _flag("co_phi"), _flag("yeu_cau_kq_giay"), _flag("du_dieu_kien_toan_trinh"),
    Column("muc_do_dvc", String(16)),  # toan_trinh | mot_phan | khong
    _flag("doi_tuong_cong_dan"), _flag("cong_khai_day_du"),
    Column("hieu_luc_tu", Date), Column("hieu_luc_den", Date),
)

# Child table → (national list field, {column → national child field}) in the sync payload's order.
CHILDREN = {
    "ho_so_bo_sung": ("DanhSachHoSoBoSung", {"ngay_bo_sung": "NgayBoSung", "ngay_tiep_nhan_bo_sung": "NgayTiepNhanBoSung",
                                             "ngay_hen_tra_truoc": "NgayHenTraTruoc", "ngay_hen_tra_moi": "NgayHenTraMoi"}),
    "ho_so_thanh_phan": ("TaiLieuNop", {"ma_thanh_phan_ho_so": "MaThanhPhanHoSo", "tep_dinh_kem_id": "TepDinhKemId",
                                        "duoc_so_hoa": "DuocSoHoa", "duoc_tai_su_dung": "DuocTaiSuDung",
                                        "duoc_lay_tu_kho_dmqg": "DuocLayTuKhoDMQG"}),
    "ho_so_le_phi": ("DanhSachLePhi", {"ma_phi_le_phi": "MaPhiLePhi", "ten_phi_le_phi": "TenPhiLePhi", "gia": "Gia"}),
    "ho_so_ket_qua": ("DanhSachGiayToKetQua", {"ma_giay_to_ket_qua": "MaGiayToKetQua",
                                               "duong_dan_tep_tin_ket_qua": "DuongDanTepTinKetQua"}),
    "ho_so_ket_noi_csdl": ("DSKetNoiCSDL", {"ma_csdl": "MaCSDL"}),
}

# The columns the pull reads, per table (checked by name before any read: schema drift stops the run).
REQUIRED_COLUMNS = {t.name: [c.name for c in t.columns] for t in metadata.sorted_tables}
