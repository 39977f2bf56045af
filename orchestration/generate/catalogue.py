"""Domain data the synthetic generator draws from: the district's procedure catalogue, fee schedules,
per-field behaviour profiles and pools of Vietnamese names and place names.

Units and agencies are NOT listed here: they are read from the dbt seeds (see ``reference.py``).
Procedure codes look like national CSDLQG codes; a few are the real ones (1.001193, 2.000815, 1.004227 as
in the spec examples), the others are plausible inventions. Nothing here is used outside the generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

FIELDS = {
    "G01-LD": "Lao động - Thương binh và Xã hội",
    "G02-TK": "Thi đua - Khen thưởng",
    "G03-TP": "Tư pháp",
    "G05-DD": "Đất đai",
    "G06-XD": "Xây dựng",
    "G07-DT": "Đầu tư",
    "G09-HT": "Hộ tịch",
    "G11-CT": "Chứng thực",
}

# How dossiers of a field behave: share resolved late, one / two supplement requests, share of results
# with an electronic copy, share consulting a national database (DSKetNoiCSDL), components submitted.
FIELD_PROFILES = {
    "G01-LD": dict(late=0.030, supp1=0.060, supp2=0.005, eres=0.40, csdl=0.15, comps=(2, 3)),
    "G02-TK": dict(late=0.030, supp1=0.030, supp2=0.002, eres=0.35, csdl=0.00, comps=(1, 2)),
    "G03-TP": dict(late=0.020, supp1=0.030, supp2=0.002, eres=0.35, csdl=0.05, comps=(1, 2)),
    "G05-DD": dict(late=0.055, supp1=0.100, supp2=0.012, eres=0.40, csdl=0.12, comps=(2, 4)),
    "G06-XD": dict(late=0.045, supp1=0.120, supp2=0.010, eres=0.45, csdl=0.05, comps=(3, 5)),
    "G07-DT": dict(late=0.020, supp1=0.050, supp2=0.003, eres=0.50, csdl=0.20, comps=(1, 3)),
    "G09-HT": dict(late=0.010, supp1=0.020, supp2=0.001, eres=0.50, csdl=0.45, comps=(1, 3)),
    "G11-CT": dict(late=0.004, supp1=0.003, supp2=0.000, eres=0.25, csdl=0.04, comps=(1, 1)),
}


@dataclass(frozen=True)
class Fee:
    code: str
    name: str
    amounts: tuple  # possible amounts (VND), one drawn per dossier


@dataclass(frozen=True)
class Procedure:
    ma_tthc: str
    ten_tthc: str
    ma_linh_vuc: str
    cap: str  # huyen | xa | huyen;xa
    thoi_han: float
    don_vi: str  # ngay_lam_viec | ngay | gio
    weight: float  # relative yearly volume in a district
    role: str  # which district agency handles it at district level (see reference.ROLE_KEYWORDS)
    co_phi: int = 0
    kq_giay: int = 1
    muc_do: str = "mot_phan"  # toan_trinh | mot_phan | khong
    cong_dan: int = 1
    cong_khai_day_du: int = 1
    hieu_luc_tu: date = date(2020, 1, 1)
    hieu_luc_den: date | None = None
    fees: tuple = field(default_factory=tuple)
    result: str = "KQ"  # prefix of result document codes

    @property
    def ten_linh_vuc(self) -> str:
        return FIELDS[self.ma_linh_vuc]

    @property
    def levels(self) -> tuple:
        return tuple(self.cap.split(";"))

    def in_force(self, d: date) -> bool:
        return self.hieu_luc_tu <= d and (self.hieu_luc_den is None or d <= self.hieu_luc_den)


F_BAN_SAO = Fee("CT01", "Phí chứng thực bản sao từ bản chính", (2000, 4000, 6000, 8000, 10000, 12000, 20000))
F_CHU_KY = Fee("CT02", "Phí chứng thực chữ ký", (10000, 20000))
F_HOP_DONG = Fee("CT03", "Phí chứng thực hợp đồng, giao dịch", (50000, 50000, 100000))
F_TRICH_LUC = Fee("HT01", "Lệ phí cấp bản sao trích lục hộ tịch", (8000, 16000, 24000))
F_XN_HON_NHAN = Fee("HT02", "Lệ phí xác nhận tình trạng hôn nhân", (0, 3000))
F_CAI_CHINH = Fee("HT03", "Lệ phí thay đổi, cải chính hộ tịch", (0, 15000))
F_HT_NN = Fee("HT04", "Lệ phí đăng ký hộ tịch có yếu tố nước ngoài", (50000, 100000))
F_GCN = Fee("DD01", "Lệ phí cấp giấy chứng nhận quyền sử dụng đất", (25000, 25000, 50000))
F_DK_BIEN_DONG = Fee("DD02", "Lệ phí đăng ký biến động đất đai", (20000, 25000))
F_THE_CHAP = Fee("DD03", "Phí đăng ký giao dịch bảo đảm", (80000,))
F_XOA_THE_CHAP = Fee("DD04", "Phí xóa đăng ký giao dịch bảo đảm", (20000,))
F_TRICH_DO = Fee("DD05", "Phí đo đạc, lập bản đồ địa chính", (150000, 250000, 400000))
F_GPXD = Fee("XD01", "Lệ phí cấp giấy phép xây dựng", (75000,))
F_GPXD_LAI = Fee("XD02", "Lệ phí gia hạn, cấp lại giấy phép xây dựng", (15000,))
F_HKD = Fee("DT01", "Lệ phí đăng ký hộ kinh doanh", (100000,))
F_HKD_THAY_DOI = Fee("DT02", "Lệ phí đăng ký thay đổi hộ kinh doanh", (50000,))
F_HTX = Fee("DT03", "Lệ phí đăng ký hợp tác xã", (100000,))

P = Procedure
PROCEDURES: list[Procedure] = [
    # --- Hộ tịch (civil status) ---
    P("1.001193", "Đăng ký khai sinh", "G09-HT", "xa", 1, "ngay_lam_viec", 1300, "tp", muc_do="toan_trinh"),
    P("1.000894", "Đăng ký kết hôn", "G09-HT", "xa", 1, "ngay_lam_viec", 480, "tp", muc_do="mot_phan"),
    P("1.000656", "Đăng ký khai tử", "G09-HT", "xa", 1, "ngay_lam_viec", 420, "tp", muc_do="toan_trinh"),
    P("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân", "G09-HT", "xa", 3, "ngay_lam_viec", 1700, "tp",
      co_phi=1, muc_do="toan_trinh", fees=(F_XN_HON_NHAN,)),
    P("2.000635", "Cấp bản sao Trích lục hộ tịch", "G09-HT", "huyen;xa", 8, "gio", 1400, "tp", co_phi=1,
      muc_do="toan_trinh", fees=(F_TRICH_LUC,), result="TL"),
    P("1.004859", "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch", "G09-HT", "xa", 3, "ngay_lam_viec",
      240, "tp", co_phi=1, fees=(F_CAI_CHINH,)),
    P("1.001022", "Đăng ký nhận cha, mẹ, con", "G09-HT", "xa", 3, "ngay_lam_viec", 40, "tp"),
    P("1.004837", "Đăng ký giám hộ", "G09-HT", "xa", 3, "ngay_lam_viec", 15, "tp"),
    P("1.004884", "Đăng ký lại khai sinh", "G09-HT", "xa", 5, "ngay_lam_viec", 140, "tp"),
    P("1.003583", "Đăng ký khai sinh kết hợp nhận cha, mẹ, con", "G09-HT", "xa", 3, "ngay_lam_viec", 30, "tp"),
    P("1.001766", "Liên thông thủ tục hành chính về đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế "
      "cho trẻ em dưới 6 tuổi", "G09-HT", "xa", 10, "ngay_lam_viec", 650, "tp", muc_do="toan_trinh",
      hieu_luc_den=date(2024, 6, 30)),
    P("1.012770", "Liên thông thủ tục hành chính đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế "
      "cho trẻ em dưới 6 tuổi (Nghị định 63/2024/NĐ-CP)", "G09-HT", "xa", 5, "ngay_lam_viec", 700, "tp",
      muc_do="toan_trinh", hieu_luc_tu=date(2024, 7, 1)),
    P("1.012771", "Liên thông thủ tục hành chính đăng ký khai tử, xóa đăng ký thường trú, hưởng chế độ tử tuất",
      "G09-HT", "xa", 5, "ngay_lam_viec", 200, "tp", muc_do="toan_trinh", hieu_luc_tu=date(2024, 7, 1)),
    P("2.000748", "Đăng ký kết hôn có yếu tố nước ngoài", "G09-HT", "huyen", 10, "ngay_lam_viec", 8, "tp",
      co_phi=1, fees=(F_HT_NN,)),
    P("2.000528", "Đăng ký khai sinh có yếu tố nước ngoài", "G09-HT", "huyen", 3, "ngay_lam_viec", 5, "tp",
      co_phi=1, fees=(F_HT_NN,)),
    P("1.004746", "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc", "G09-HT",
      "huyen", 3, "ngay_lam_viec", 45, "tp", co_phi=1, fees=(F_CAI_CHINH,)),
    P("2.000547", "Ghi vào Sổ hộ tịch việc kết hôn của công dân Việt Nam đã được giải quyết tại cơ quan có thẩm "
      "quyền của nước ngoài", "G09-HT", "huyen", 5, "ngay_lam_viec", 6, "tp", co_phi=1, fees=(F_HT_NN,)),
    # --- Chứng thực (certification) ---
    P("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan tổ chức có thẩm quyền của Việt Nam "
      "cấp hoặc chứng nhận", "G11-CT", "huyen;xa", 0.5, "ngay_lam_viec", 9000, "tp", co_phi=1,
      muc_do="toan_trinh", cong_khai_day_du=0, fees=(F_BAN_SAO,), result="BS"),
    P("2.000884", "Chứng thực chữ ký trong các giấy tờ, văn bản", "G11-CT", "huyen;xa", 4, "gio", 1500, "tp",
      co_phi=1, fees=(F_CHU_KY,)),
    P("2.001035", "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản, quyền sử dụng đất, nhà ở",
      "G11-CT", "xa", 2, "ngay_lam_viec", 900, "tp", co_phi=1, fees=(F_HOP_DONG,)),
    P("2.001019", "Chứng thực việc sửa đổi, bổ sung, hủy bỏ hợp đồng, giao dịch", "G11-CT", "xa", 2,
      "ngay_lam_viec", 60, "tp", co_phi=1, fees=(F_HOP_DONG,)),
    P("2.001016", "Chứng thực di chúc", "G11-CT", "xa", 2, "ngay_lam_viec", 40, "tp", co_phi=1, muc_do="khong",
      fees=(F_HOP_DONG,)),
    P("2.001009", "Chứng thực văn bản thỏa thuận phân chia di sản", "G11-CT", "xa", 2, "ngay_lam_viec", 100, "tp",
      co_phi=1, fees=(F_HOP_DONG,)),
    P("2.001406", "Chứng thực văn bản khai nhận di sản", "G11-CT", "xa", 2, "ngay_lam_viec", 80, "tp", co_phi=1,
      fees=(F_HOP_DONG,)),
    P("2.000913", "Cấp bản sao có chứng thực từ bản chính hợp đồng, giao dịch đã được chứng thực", "G11-CT", "xa",
      2, "ngay_lam_viec", 50, "tp", co_phi=1, fees=(F_BAN_SAO,), result="BS"),
    P("2.000843", "Chứng thực chữ ký người dịch mà người dịch là cộng tác viên dịch thuật của Phòng Tư pháp",
      "G11-CT", "huyen", 0.5, "ngay_lam_viec", 30, "tp", co_phi=1, fees=(F_CHU_KY,)),
    # --- Đất đai (land) ---
    P("1.004227", "Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất lần đầu", "G05-DD", "huyen", 30, "ngay", 600,
      "vpdk", co_phi=1, fees=(F_GCN, F_TRICH_DO), result="GCN", hieu_luc_den=date(2024, 7, 31)),
    P("1.012793", "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu "
      "tài sản gắn liền với đất lần đầu (Luật Đất đai 2024)", "G05-DD", "huyen", 20, "ngay_lam_viec", 600, "vpdk",
      co_phi=1, fees=(F_GCN, F_TRICH_DO), result="GCN", hieu_luc_tu=date(2024, 8, 1)),
    P("1.003010", "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất trong các trường hợp "
      "chuyển đổi, chuyển nhượng, thừa kế, tặng cho", "G05-DD", "huyen", 10, "ngay_lam_viec", 2500, "vpdk",
      co_phi=1, fees=(F_DK_BIEN_DONG,), result="GCN"),
    P("1.002273", "Cấp đổi Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất",
      "G05-DD", "huyen", 7, "ngay_lam_viec", 500, "vpdk", co_phi=1, fees=(F_GCN,), result="GCN"),
    P("1.001045", "Cấp lại Giấy chứng nhận quyền sử dụng đất do bị mất", "G05-DD", "huyen", 10, "ngay_lam_viec",
      60, "vpdk", co_phi=1, fees=(F_GCN,), result="GCN"),
    P("1.000763", "Đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất", "G05-DD", "huyen", 1,
      "ngay_lam_viec", 1200, "vpdk", co_phi=1, muc_do="toan_trinh", fees=(F_THE_CHAP,)),
    P("1.000744", "Xóa đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất", "G05-DD", "huyen", 1,
      "ngay_lam_viec", 900, "vpdk", co_phi=1, kq_giay=0, muc_do="toan_trinh", fees=(F_XOA_THE_CHAP,)),
    P("1.003003", "Tách thửa hoặc hợp thửa đất", "G05-DD", "huyen", 15, "ngay_lam_viec", 300, "vpdk", co_phi=1,
      fees=(F_TRICH_DO, F_GCN), result="GCN"),
    P("1.002993", "Đính chính Giấy chứng nhận đã cấp", "G05-DD", "huyen", 10, "ngay_lam_viec", 50, "vpdk",
      result="GCN"),
    P("1.001990", "Chuyển mục đích sử dụng đất phải được phép của cơ quan nhà nước có thẩm quyền", "G05-DD",
      "huyen", 15, "ngay", 200, "ubnd_huyen", co_phi=1, fees=(F_GCN,), result="QD"),
    P("1.002335", "Gia hạn sử dụng đất nông nghiệp của hộ gia đình, cá nhân", "G05-DD", "huyen", 7,
      "ngay_lam_viec", 20, "ubnd_huyen", result="QD"),
    P("1.003554", "Hòa giải tranh chấp đất đai", "G05-DD", "xa", 45, "ngay", 40, "ubnd_huyen", muc_do="khong",
      result="BB"),
    # --- Xây dựng (construction) ---
    P("1.009994", "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", "G06-XD", "huyen", 15, "ngay", 350, "ktht",
      co_phi=1, fees=(F_GPXD,), result="GPXD"),
    P("1.009995", "Cấp giấy phép xây dựng sửa chữa, cải tạo đối với nhà ở riêng lẻ", "G06-XD", "huyen", 15, "ngay",
      30, "ktht", co_phi=1, fees=(F_GPXD,), result="GPXD"),
    P("1.009997", "Gia hạn giấy phép xây dựng", "G06-XD", "huyen", 5, "ngay_lam_viec", 10, "ktht", co_phi=1,
      fees=(F_GPXD_LAI,), result="GPXD"),
    P("1.009998", "Cấp lại giấy phép xây dựng", "G06-XD", "huyen", 5, "ngay_lam_viec", 5, "ktht", co_phi=1,
      fees=(F_GPXD_LAI,), result="GPXD"),
    P("1.009980", "Thẩm định Báo cáo kinh tế - kỹ thuật đầu tư xây dựng", "G06-XD", "huyen", 20, "ngay_lam_viec",
      20, "ktht", cong_dan=0, muc_do="mot_phan", result="TB"),
    # --- Đầu tư (investment: household businesses, cooperatives) ---
    P("2.000575", "Đăng ký thành lập hộ kinh doanh", "G07-DT", "huyen", 3, "ngay_lam_viec", 450, "tckh", co_phi=1,
      muc_do="toan_trinh", fees=(F_HKD,), result="GCN-HKD"),
    P("2.000720", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", "G07-DT", "huyen", 3, "ngay_lam_viec", 250,
      "tckh", co_phi=1, muc_do="toan_trinh", fees=(F_HKD_THAY_DOI,), result="GCN-HKD"),
    P("2.000644", "Thông báo tạm ngừng kinh doanh, tiếp tục kinh doanh trước thời hạn đã thông báo của hộ kinh "
      "doanh", "G07-DT", "huyen", 3, "ngay_lam_viec", 80, "tckh", kq_giay=0, muc_do="toan_trinh", result="TB"),
    P("2.000631", "Chấm dứt hoạt động hộ kinh doanh", "G07-DT", "huyen", 3, "ngay_lam_viec", 100, "tckh",
      kq_giay=0, muc_do="toan_trinh", result="TB"),
    P("2.002148", "Đăng ký thành lập hợp tác xã", "G07-DT", "huyen", 3, "ngay_lam_viec", 15, "tckh", co_phi=1,
      cong_dan=0, fees=(F_HTX,), result="GCN-HTX"),
    P("2.002151", "Đăng ký thay đổi tên, địa chỉ trụ sở chính, ngành, nghề sản xuất, kinh doanh của hợp tác xã",
      "G07-DT", "huyen", 3, "ngay_lam_viec", 20, "tckh", cong_dan=0, result="GCN-HTX"),
    # --- Lao động - Thương binh và Xã hội (labour, social protection) ---
    P("1.001776", "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hàng tháng, hỗ trợ kinh phí chăm sóc, nuôi "
      "dưỡng hàng tháng", "G01-LD", "xa", 20, "ngay_lam_viec", 700, "ldtbxh", result="QD"),
    P("1.001758", "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội", "G01-LD", "xa", 10, "ngay_lam_viec", 250,
      "ldtbxh", result="QD"),
    P("1.000489", "Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm", "G01-LD", "xa", 15, "ngay", 150,
      "ldtbxh", result="GCN"),
    P("1.010812", "Giải quyết chế độ trợ cấp một lần đối với người có công với cách mạng", "G01-LD", "huyen", 12,
      "ngay_lam_viec", 30, "ldtbxh", result="QD"),
    P("1.001699", "Hỗ trợ chi phí đào tạo trình độ sơ cấp, đào tạo dưới 3 tháng", "G01-LD", "huyen", 7,
      "ngay_lam_viec", 40, "ldtbxh", result="QD"),
    P("1.010826", "Xác nhận vào đơn đề nghị di chuyển hài cốt liệt sĩ", "G01-LD", "xa", 5, "ngay_lam_viec", 5,
      "ldtbxh", kq_giay=1, muc_do="khong", result="XN"),
    # --- Tư pháp (justice: grassroots mediation, legal dissemination) ---
    P("2.000930", "Công nhận hòa giải viên", "G03-TP", "xa", 5, "ngay_lam_viec", 30, "tp", muc_do="khong",
      result="QD"),
    P("2.000424", "Thôi làm hòa giải viên", "G03-TP", "xa", 5, "ngay_lam_viec", 5, "tp", kq_giay=0, muc_do="khong",
      result="QD"),
    P("2.000954", "Thanh toán thù lao cho hòa giải viên", "G03-TP", "xa", 7, "ngay_lam_viec", 40, "tp", kq_giay=0,
      muc_do="khong", result="QD"),
    P("2.001457", "Công nhận tuyên truyền viên pháp luật", "G03-TP", "xa", 5, "ngay_lam_viec", 10, "tp",
      muc_do="khong", cong_khai_day_du=0, result="QD"),
    # --- Thi đua - Khen thưởng (emulation, commendation) ---
    P("2.000346", "Tặng Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã", "G02-TK", "xa", 20, "ngay", 100,
      "ubnd_huyen", muc_do="khong", result="GK"),
    P("1.000775", "Tặng Giấy khen của Chủ tịch Ủy ban nhân dân cấp huyện", "G02-TK", "huyen", 20,
      "ngay_lam_viec", 150, "ubnd_huyen", muc_do="khong", result="GK"),
]

# Procedures dossiers use although the catalogue export does not list them yet (catalogues lag behind
# reality, DATA_CONTRACT §1.6): legitimate data, kept and flagged by the pipeline. About 0.5% of dossiers.
UNLISTED_PROCEDURES: list[Procedure] = [
    P("1.013125", "Cấp bản sao trích lục hộ tịch điện tử", "G09-HT", "xa", 1, "ngay_lam_viec", 1, "tp",
      muc_do="toan_trinh", result="TL"),
    P("2.002510", "Chứng thực bản sao điện tử từ bản chính", "G11-CT", "xa", 0.5, "ngay_lam_viec", 1, "tp",
      co_phi=1, muc_do="toan_trinh", fees=(F_BAN_SAO,), result="BS"),
    P("1.012990", "Đăng ký biến động đối với trường hợp chuyển đổi quyền sử dụng đất nông nghiệp để thực hiện "
      "dồn điền, đổi thửa", "G05-DD", "huyen", 10, "ngay_lam_viec", 1, "vpdk", result="GCN"),
]
UNLISTED_SHARE = 0.005

# National databases a dossier may consult (DSKetNoiCSDL.MaCSDL).
CSDL_POPULATION = "CSDLQGDC"  # national population database
CSDL_OTHER = {"G09-HT": "CSDLHT", "G05-DD": "CSDLDD", "G07-DT": "CSDLDKKD"}

# Surveys: expectation codes (bare codes as in the sheets) and binary criteria.
EXPECTATIONS = [("GIAM_GIAY_TO", 30), ("TRUC_TUYEN", 22), ("RUT_NGAN_THOI_GIAN", 20), ("THAI_DO", 8),
                ("CONG_KHAI_MINH_BACH", 8), ("GIAM_PHI", 7), ("CO_SO_VAT_CHAT", 5)]
SURVEY_CRITERIA = ["tc_niem_yet_day_du", "tc_cong_chuc_lich_su", "tc_dung_hen", "tc_phi_dung_quy_dinh"]
SURVEY_ELEMENTS = ["hl_tiep_can", "hl_tthc", "hl_cong_chuc", "hl_ket_qua", "hl_pakn", "hl_tong_the"]

REVIEW_RESULTS = [("giu_nguyen", 50), ("de_xuat_don_gian_hoa", 30), ("de_xuat_sua_doi", 15), ("de_xuat_bai_bo", 5)]

# Plan targets of the 2023 plan (METHODOLOGY §6), Vietnamese text as in the plan.
TARGET_TEXT = {
    "T1": "100% TTHC được công bố, công khai đầy đủ, đúng hạn trên Cơ sở dữ liệu quốc gia về TTHC",
    "T2_huyen": "Số hóa kết quả giải quyết TTHC cấp huyện đạt tối thiểu 40%",
    "T2_xa": "Số hóa kết quả giải quyết TTHC cấp xã đạt tối thiểu 35%",
    "T3": "Tối thiểu 20% hồ sơ chứng thực bản sao được cấp bản sao điện tử có chứng thực",
    "T4": "Mức độ hài lòng của người dân, doanh nghiệp trong giải quyết TTHC đạt tối thiểu 90%",
    "T4_linh_vuc": "Các lĩnh vực đất đai, xây dựng, đầu tư đạt mức độ hài lòng tối thiểu 80%",
    "T5": "Mức độ hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính đạt trên 85%",
    "T6": "100% phản ánh, kiến nghị của cá nhân, tổ chức được xử lý, trả lời đúng hạn",
    "T7": "100% hồ sơ TTHC được tiếp nhận, giải quyết, trả kết quả đúng hạn và cập nhật trên phần mềm một cửa",
    "T8": "Rà soát, đánh giá tối thiểu 20% TTHC thuộc thẩm quyền, mỗi đơn vị tối thiểu 10 TTHC",
}

# --- Names (Bắc Kạn: Tày, Nùng, Dao and Kinh family names) ---
SURNAMES = [("Hoàng", 12), ("Nông", 10), ("Nguyễn", 11), ("Ma", 6), ("Lý", 5), ("Triệu", 5), ("Hà", 5),
            ("Trần", 4), ("Lê", 3), ("Phạm", 2), ("Đặng", 3), ("Bàn", 3), ("Lục", 3), ("Dương", 3), ("Đinh", 2),
            ("Vi", 2), ("Lộc", 2), ("Mã", 2), ("Bế", 2), ("Lưu", 2), ("Đàm", 2), ("Hứa", 2), ("Lương", 2),
            ("Vũ", 2), ("Chu", 2), ("Lăng", 1), ("Sầm", 1), ("La", 1), ("Tô", 1), ("Phùng", 1)]
MIDDLE_M = [("Văn", 14), ("Đức", 2), ("Minh", 2), ("Quang", 1), ("Xuân", 1), ("Hữu", 1), ("Công", 1),
            ("Ngọc", 1), ("Thanh", 1), ("Đình", 1), ("Tiến", 1)]
MIDDLE_F = [("Thị", 14), ("Thu", 2), ("Ngọc", 1), ("Thanh", 1), ("Hồng", 1), ("Minh", 1), ("Phương", 1),
            ("Kim", 1), ("Bích", 1)]
GIVEN_M = ["An", "Bình", "Cường", "Chiến", "Dũng", "Đức", "Định", "Giang", "Hải", "Hậu", "Hùng", "Huy", "Khánh",
           "Kiên", "Lâm", "Lợi", "Long", "Mạnh", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang", "Sơn",
           "Sinh", "Tâm", "Thái", "Thắng", "Thành", "Thuận", "Tiến", "Toàn", "Trung", "Tuấn", "Tùng", "Việt",
           "Vinh", "Khoa", "Hưng", "Đạt"]
GIVEN_F = ["Anh", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng", "Huệ", "Hương",
           "Lan", "Liên", "Linh", "Loan", "Lụa", "Mai", "Ngân", "Nga", "Nhàn", "Nhung", "Oanh", "Phương",
           "Quỳnh", "Thảo", "Thu", "Thúy", "Trang", "Tuyết", "Uyên", "Vân", "Yến", "Xuân", "Thơm", "Huyền"]
ORG_KINDS = ["Hợp tác xã nông nghiệp", "Hợp tác xã dịch vụ", "Công ty TNHH", "Công ty cổ phần"]
ORG_NAMES = ["Thành Công", "Phú Thông", "Tân Tiến", "Bắc Sơn", "Hồng Phát", "Nông sản Bạch Thông", "Minh Đức",
             "Xây dựng Quang Thuận", "Chè Cao Sơn", "Hương Sơn", "Đại Phát", "Miến dong Vi Hương"]

VILLAGES = ["Nà Pài", "Nà Cù", "Nà Lẹng", "Nà Vài", "Nà Đon", "Nà Bản", "Nà Ngần", "Nà Mòn", "Nà Tu", "Nà Thác",
            "Nà Làng", "Nà Coóc", "Nà Chẳng", "Khuổi Chủ", "Khuổi Giác", "Khuổi Tục", "Khau Cưởm", "Khau Ban",
            "Pác Châm", "Pác Cáp", "Pác Định", "Phiêng Lầu", "Phiêng Khảo", "Bản Cầu", "Bản Đồn", "Bản Pjạc",
            "Bản Vẳng", "Cốc Thử", "Cốc Phia", "Cốc Lùng", "Đon Tuấn", "Đon Phai", "Tổng Nẻng", "Nặm Tốc",
            "Thôm Khoả", "Lủng Pảng", "Quan Làng", "Pá Deng", "Bó Lếch", "Cạm Mu", "Nà Hin", "Khuổi Lặng"]

# 10-digit mobile prefixes (Viettel, VinaPhone, MobiFone).
PHONE_PREFIXES = ["086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039", "088",
                  "091", "094", "081", "082", "083", "084", "085", "089", "090", "093", "070", "076", "077",
                  "078", "079"]
EMAIL_DOMAINS = [("gmail.com", 85), ("yahoo.com", 6), ("backan.gov.vn", 4), ("outlook.com", 5)]
CCCD_PROVINCE = "006"  # first 3 digits of citizen-ID numbers issued in Bắc Kạn
TAX_CODE_PREFIX = "47"  # enterprise tax codes registered in Bắc Kạn
