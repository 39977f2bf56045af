"""The national two-level register for ``generate(scale='national')``: 34 provinces and 3,321 communes/wards
valid from 2025-07-01 (no districts), one people's committee per commune and 16–20 provincial departments per
province, plus the procedure catalogue adapted to the two levels.

Everything here is independent of the seed (a benchmark run with another seed meets the same register).
Province codes and names are the real ones of Decision 19/2025/QĐ-TTg; commune counts per province are close
to the real ones (scaled so they sum to exactly 3,321); commune codes and names are synthetic except in
Thái Nguyên (19), whose former Bắc Kạn units (codes, names, the five committees already registered) are read
from the committed seeds. Agency e-ID codes are shaped like the district ones: departments
``000.00.KK.H{PP}``, commune committees ``000.NN.{40+}.H{PP}``.
"""

from __future__ import annotations

import csv
import functools
import random
from dataclasses import dataclass, field, replace
from datetime import date

from orchestration.generate import catalogue as cat
from orchestration.generate.reference import SEEDS_DIR

VALID_FROM = date(2025, 7, 1)  # the two-level units exist from this day
TOTAL_COMMUNES = 3321
SEED_PROVINCE = "19"  # Thái Nguyên: real codes of the former Bắc Kạn units come from the seeds

# code, name, unit_type, relative yearly dossier volume, communes (≈ real), wards among them (≈ real)
PROVINCES = [
    ("01", "Thành phố Hà Nội", "thanh_pho", 8.5, 126, 51),
    ("04", "Tỉnh Cao Bằng", "tinh", 1.0, 56, 3),
    ("08", "Tỉnh Tuyên Quang", "tinh", 1.6, 124, 7),
    ("11", "Tỉnh Điện Biên", "tinh", 1.0, 45, 3),
    ("12", "Tỉnh Lai Châu", "tinh", 0.95, 38, 2),
    ("14", "Tỉnh Sơn La", "tinh", 1.4, 75, 8),
    ("15", "Tỉnh Lào Cai", "tinh", 1.7, 99, 10),
    ("19", "Tỉnh Thái Nguyên", "tinh", 1.9, 92, 15),
    ("20", "Tỉnh Lạng Sơn", "tinh", 1.2, 65, 4),
    ("22", "Tỉnh Quảng Ninh", "tinh", 2.2, 54, 30),
    ("24", "Tỉnh Bắc Ninh", "tinh", 3.0, 99, 33),
    ("25", "Tỉnh Phú Thọ", "tinh", 3.0, 148, 15),
    ("31", "Thành phố Hải Phòng", "thanh_pho", 3.8, 114, 45),
    ("33", "Tỉnh Hưng Yên", "tinh", 2.8, 104, 11),
    ("37", "Tỉnh Ninh Bình", "tinh", 3.0, 129, 32),
    ("38", "Tỉnh Thanh Hóa", "tinh", 3.3, 166, 19),
    ("40", "Tỉnh Nghệ An", "tinh", 3.0, 130, 11),
    ("42", "Tỉnh Hà Tĩnh", "tinh", 1.5, 69, 9),
    ("44", "Tỉnh Quảng Trị", "tinh", 1.5, 78, 8),
    ("46", "Thành phố Huế", "thanh_pho", 1.3, 40, 21),
    ("48", "Thành phố Đà Nẵng", "thanh_pho", 2.7, 94, 23),
    ("51", "Tỉnh Quảng Ngãi", "tinh", 1.8, 96, 9),
    ("52", "Tỉnh Gia Lai", "tinh", 2.5, 135, 25),
    ("56", "Tỉnh Khánh Hòa", "tinh", 2.0, 65, 16),
    ("66", "Tỉnh Đắk Lắk", "tinh", 2.4, 102, 14),
    ("68", "Tỉnh Lâm Đồng", "tinh", 2.7, 124, 20),
    ("75", "Tỉnh Đồng Nai", "tinh", 3.8, 95, 23),
    ("79", "Thành phố Hồ Chí Minh", "thanh_pho", 9.0, 168, 113),
    ("80", "Tỉnh Tây Ninh", "tinh", 2.4, 96, 14),
    ("82", "Tỉnh Đồng Tháp", "tinh", 2.4, 102, 20),
    ("86", "Tỉnh Vĩnh Long", "tinh", 2.5, 124, 19),
    ("91", "Tỉnh An Giang", "tinh", 2.6, 102, 14),
    ("92", "Thành phố Cần Thơ", "thanh_pho", 2.3, 103, 31),
    ("96", "Tỉnh Cà Mau", "tinh", 1.5, 64, 9),
]
SOUTH_FROM = "75"  # provinces with codes ≥ this one name their villages 'Ấp …' / 'Khu phố …'

# Provincial departments (role, name). The core ones every province has; 0–4 optional ones on top (16–20).
CORE_DEPARTMENTS = [
    ("vp", "Văn phòng Ủy ban nhân dân"), ("noi_vu", "Sở Nội vụ"), ("tp", "Sở Tư pháp"), ("tc", "Sở Tài chính"),
    ("ct", "Sở Công Thương"), ("nnmt", "Sở Nông nghiệp và Môi trường"), ("xd", "Sở Xây dựng"),
    ("khcn", "Sở Khoa học và Công nghệ"), ("gd", "Sở Giáo dục và Đào tạo"), ("yt", "Sở Y tế"),
    ("vh", "Sở Văn hóa, Thể thao và Du lịch"), ("tt", "Thanh tra"), ("vpdk", "Văn phòng Đăng ký đất đai"),
    ("hcc", "Trung tâm Phục vụ hành chính công"), ("kcn", "Ban Quản lý các khu công nghiệp"),
    ("dttg", "Sở Dân tộc và Tôn giáo"),
]
OPTIONAL_DEPARTMENTS = [
    ("ngv", "Sở Ngoại vụ"), ("dl", "Sở Du lịch"), ("kkt", "Ban Quản lý Khu kinh tế"),
    ("bqlda", "Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng và công nghiệp"),
]

# Syllables for synthetic commune and village names.
NAME_A = ["An", "Bình", "Tân", "Phú", "Hòa", "Thạnh", "Long", "Phước", "Vĩnh", "Đông", "Tây", "Nam", "Bắc", "Hưng",
          "Thái", "Quang", "Minh", "Xuân", "Thanh", "Hồng", "Đức", "Trung", "Yên", "Kim", "Ngọc", "Hải", "Sơn",
          "Thủy", "Lạc", "Mỹ", "Quảng", "Cẩm", "Gia", "Lộc", "Phong", "Thịnh", "Tiến", "Hiệp", "Nghĩa", "Thuận",
          "Định", "Khánh", "Hà", "Văn", "Cao", "Đại", "Tam", "Vạn"]
NAME_B = ["An", "Bình", "Phú", "Hòa", "Lợi", "Long", "Thành", "Hưng", "Lập", "Phát", "Thịnh", "Tiến", "Sơn", "Hải",
          "Lâm", "Xuân", "Trung", "Đông", "Tây", "Nam", "Bắc", "Mỹ", "Lộc", "Phong", "Quang", "Minh", "Thuận",
          "Điền", "Khánh", "Hội", "Châu", "Giang", "Hà", "Kiều", "Lạc", "Tường", "Vinh", "Yên", "Định", "Đạt"]


@dataclass
class Commune:
    code: str
    name: str  # 'Xã Tân Phú' / 'Phường An Bình'
    unit_type: str  # xa | phuong
    weight: float
    agency_code: str
    agency_name: str
    legal_basis: str
    villages: list = field(default_factory=list)  # labels used in applicants' addresses


@dataclass
class Province:
    code: str
    name: str
    unit_type: str
    weight: float
    legal_basis: str
    suffix: str  # agency e-ID suffix, 'H19'
    communes: list  # [Commune], code order
    departments: list  # [(role, agency_code, agency_name)]

    @property
    def lower_name(self) -> str:  # 'tỉnh Thái Nguyên', 'thành phố Hà Nội'
        for prefix in ("Thành phố", "Tỉnh"):
            if self.name.startswith(prefix + " "):
                return prefix.lower() + self.name[len(prefix):]
        return self.name

    @property
    def dept_by_role(self) -> dict:
        return {role: (code, name) for role, code, name in self.departments}


def _seed_rows(name: str) -> list[dict]:
    with open(SEEDS_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def lower_unit_name(name: str) -> str:
    """'Xã An Bình' → 'xã An Bình' (the unit type in lower case, as inside a sentence or an address)."""
    for prefix in ("Xã", "Phường"):
        if name.startswith(prefix + " "):
            return prefix.lower() + name[len(prefix):]
    return name


def _commune_counts() -> dict:
    counts = {p[0]: p[4] for p in PROVINCES}
    diff = TOTAL_COMMUNES - sum(counts.values())
    order = sorted(counts, key=lambda c: -counts[c])  # absorb any difference in the largest provinces
    i = 0
    while diff:
        step = 1 if diff > 0 else -1
        counts[order[i % len(order)]] += step
        diff -= step
        i += 1
    return counts


@functools.lru_cache(maxsize=1)
def build_registry() -> list[Province]:
    """The 34 provinces (code order) with their communes and agencies. Seed-independent; built once per process
    (treat as read-only)."""
    rng = random.Random("cchc-national-register-2025-07-01")
    counts = _commune_counts()
    seed_units = [r for r in _seed_rows("admin_units.csv") if r["valid_from"] == VALID_FROM.isoformat()]
    seed_communes = [r for r in seed_units if r["unit_level"] == "xa" and r["parent_code"] == SEED_PROVINCE]
    seed_agencies = {r["unit_code"]: r for r in _seed_rows("agencies.csv")
                     if r["valid_from"] == VALID_FROM.isoformat()}
    seed_codes = {r["agency_code"] for r in _seed_rows("agencies.csv")}
    basis_numbers = iter(n for n in range(1654, 1700) if n != 1683)
    provinces = []
    for code, name, utype, weight, _, wards in PROVINCES:
        suffix = f"H{code}"
        n = counts[code]
        basis = "NQ 1683/NQ-UBTVQH15" if code == SEED_PROVINCE else f"NQ {next(basis_numbers)}/NQ-UBTVQH15"
        south = code >= SOUTH_FROM
        communes: list[Commune] = []
        used_names = set()
        if code == SEED_PROVINCE:
            for r in seed_communes:
                used_names.add(r["unit_name"].split(" ", 1)[1])
                communes.append(Commune(r["unit_code"], r["unit_name"], r["unit_type"], 0.0, "", "", r["legal_basis"],
                                        villages=list(cat.VILLAGES)))
        n_wards_left = max(0, wards - sum(1 for c in communes if c.unit_type == "phuong"))
        i = 1
        while len(communes) < n:
            base = f"{rng.choice(NAME_A)} {rng.choice(NAME_B)}"
            if base in used_names or base.split()[0] == base.split()[1]:
                continue
            used_names.add(base)
            ward = n_wards_left > 0 and rng.random() < max(0.05, n_wards_left / max(1, n - len(communes)))
            if ward:
                n_wards_left -= 1
            c_code = f"{code}{i:03d}"
            i += 1
            communes.append(Commune(c_code, f"{'Phường' if ward else 'Xã'} {base}", "phuong" if ward else "xa",
                                    0.0, "", "", basis))
        communes.sort(key=lambda c: c.code)
        k_seq = 0
        for c in communes:
            c.weight = rng.lognormvariate(0.0, 0.45) * (2.2 if c.unit_type == "phuong" else 1.0)
            seed_ag = seed_agencies.get(c.code) if code == SEED_PROVINCE else None
            if seed_ag:
                c.agency_code, c.agency_name = seed_ag["agency_code"], seed_ag["agency_name"]
            else:
                c.agency_code = f"000.{k_seq % 100:02d}.{40 + k_seq // 100:02d}.{suffix}"
                c.agency_name = f"UBND {lower_unit_name(c.name)}"
                k_seq += 1
            if not c.villages:
                if c.unit_type == "phuong":
                    c.villages = [f"{'Khu phố' if south else 'Tổ dân phố'} {j}" for j in range(1, rng.randint(6, 14) + 1)]
                else:
                    labels, k = set(), rng.randint(6, 12)
                    while len(labels) < k:
                        labels.add(f"{rng.choice(NAME_A)} {rng.choice(NAME_B)}")
                    c.villages = [f"{'Ấp' if south else 'Thôn'} {v}" for v in sorted(labels)]
            else:  # Bắc Kạn villages: a stable sample per commune
                c.villages = [f"Thôn {v}" for v in rng.sample(c.villages, rng.randint(6, 10))]
        optional = [d for d in OPTIONAL_DEPARTMENTS if rng.random() < (0.7 if utype == "thanh_pho" else 0.25)]
        lower = Province(code, name, utype, weight, "", suffix, [], []).lower_name
        departments = []
        for k, (role, dname) in enumerate(CORE_DEPARTMENTS + optional, 1):
            departments.append((role, f"000.00.{k:02d}.{suffix}", f"{dname} {lower}"))
        provinces.append(Province(code, name, utype, weight, "NQ 202/2025/QH15", suffix, communes, departments))
    # sanity: unique unit codes and agency codes (also against every seed agency)
    units = [p.code for p in provinces] + [c.code for p in provinces for c in p.communes]
    assert len(units) == len(set(units)), "duplicate unit code in the national register"
    agencies = [c.agency_code for p in provinces for c in p.communes] + [d[1] for p in provinces for d in p.departments]
    assert len(agencies) == len(set(agencies)), "duplicate agency code in the national register"
    reused = {c.agency_code for p in provinces for c in p.communes} & seed_codes
    assert reused <= {a["agency_code"] for a in seed_agencies.values()}, "agency code collides with a seed agency"
    return provinces


ADMIN_UNIT_COLUMNS = ["unit_code", "valid_from", "valid_to", "unit_name", "unit_level", "unit_type", "parent_code",
                      "parent_valid_from", "legal_basis"]
AGENCY_COLUMNS = ["agency_code", "agency_name", "unit_code", "valid_from", "valid_to"]


def admin_unit_rows(provinces: list[Province]) -> list[dict]:
    vf = VALID_FROM.isoformat()
    rows = []
    for p in provinces:
        rows.append({"unit_code": p.code, "valid_from": vf, "valid_to": "", "unit_name": p.name, "unit_level": "tinh",
                     "unit_type": p.unit_type, "parent_code": "", "parent_valid_from": "", "legal_basis": p.legal_basis})
        for c in p.communes:
            rows.append({"unit_code": c.code, "valid_from": vf, "valid_to": "", "unit_name": c.name, "unit_level": "xa",
                         "unit_type": c.unit_type, "parent_code": p.code, "parent_valid_from": vf,
                         "legal_basis": c.legal_basis})
    return rows


def agency_rows(provinces: list[Province]) -> list[dict]:
    vf = VALID_FROM.isoformat()
    rows = []
    for p in provinces:
        for _, code, name in p.departments:
            rows.append({"agency_code": code, "agency_name": name, "unit_code": p.code, "valid_from": vf, "valid_to": ""})
        for c in p.communes:
            rows.append({"agency_code": c.agency_code, "agency_name": c.agency_name, "unit_code": c.code,
                         "valid_from": vf, "valid_to": ""})
    return rows


# ----------------------------------------------------------------------------------------- the catalogue
# New fields of provincial procedures (the district catalogue's fields are kept).
NATIONAL_FIELDS = {
    "G12-LL": "Lý lịch tư pháp",
    "G13-DN": "Thành lập và hoạt động doanh nghiệp",
    "G14-YT": "Khám bệnh, chữa bệnh và dược",
    "G15-GD": "Giáo dục và Đào tạo",
    "G16-CT": "Công Thương",
    "G17-MT": "Môi trường",
    "G18-VH": "Văn hóa, thể thao và du lịch",
    "G19-KH": "Khoa học và công nghệ",
    "G20-TG": "Tín ngưỡng, tôn giáo",
    "G21-KN": "Giải quyết khiếu nại",
}
NATIONAL_PROFILES = {
    "G12-LL": dict(late=0.020, supp1=0.020, supp2=0.001, eres=0.60, csdl=0.70, comps=(1, 2)),
    "G13-DN": dict(late=0.010, supp1=0.150, supp2=0.020, eres=0.80, csdl=0.30, comps=(2, 4)),
    "G14-YT": dict(late=0.040, supp1=0.120, supp2=0.015, eres=0.40, csdl=0.10, comps=(3, 5)),
    "G15-GD": dict(late=0.010, supp1=0.010, supp2=0.001, eres=0.30, csdl=0.20, comps=(1, 2)),
    "G16-CT": dict(late=0.030, supp1=0.080, supp2=0.008, eres=0.50, csdl=0.05, comps=(2, 4)),
    "G17-MT": dict(late=0.060, supp1=0.200, supp2=0.030, eres=0.40, csdl=0.05, comps=(3, 5)),
    "G18-VH": dict(late=0.020, supp1=0.050, supp2=0.003, eres=0.40, csdl=0.05, comps=(1, 3)),
    "G19-KH": dict(late=0.030, supp1=0.080, supp2=0.005, eres=0.40, csdl=0.02, comps=(2, 4)),
    "G20-TG": dict(late=0.030, supp1=0.050, supp2=0.003, eres=0.20, csdl=0.02, comps=(1, 3)),
    "G21-KN": dict(late=0.080, supp1=0.100, supp2=0.010, eres=0.10, csdl=0.00, comps=(1, 3)),
}
FIELDS = {**cat.FIELDS, **NATIONAL_FIELDS}
FIELD_PROFILES = {**cat.FIELD_PROFILES, **NATIONAL_PROFILES}

_F = cat.Fee
F_LLTP = _F("LL01", "Phí cung cấp thông tin lý lịch tư pháp", (200000, 200000, 100000))
F_DN = _F("DN01", "Lệ phí đăng ký doanh nghiệp", (50000,))
F_DUOC = _F("YT01", "Phí thẩm định cấp chứng chỉ hành nghề dược", (500000,))
F_ATTP = _F("CT11", "Phí thẩm định cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", (700000, 1000000))
F_RUOU = _F("CT12", "Phí thẩm định cấp giấy phép bán lẻ sản phẩm rượu", (1200000,))
F_GPLD = _F("LD11", "Lệ phí cấp giấy phép lao động", (600000,))
F_LH = _F("VH11", "Phí thẩm định cấp giấy phép kinh doanh dịch vụ lữ hành nội địa", (3000000,))
F_GPXD_CT = _F("XD11", "Lệ phí cấp giấy phép xây dựng công trình", (150000,))

P = cat.Procedure
# Province-level procedures handled by the departments (role = department role). Codes are plausible
# CSDLQG-style inventions; weights are on the district catalogue's scale (relative national volume).
PROVINCIAL_PROCEDURES: list[cat.Procedure] = [
    P("2.000488", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam",
      "G12-LL", "tinh", 10, "ngay_lam_viec", 900, "tp", co_phi=1, muc_do="toan_trinh", fees=(F_LLTP,), result="LLTP"),
    P("2.001610", "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên", "G13-DN", "tinh", 3,
      "ngay_lam_viec", 260, "tc", co_phi=1, cong_dan=0, muc_do="toan_trinh", fees=(F_DN,), result="GCN-DN"),
    P("2.002043", "Đăng ký thay đổi nội dung đăng ký doanh nghiệp", "G13-DN", "tinh", 3, "ngay_lam_viec", 420, "tc",
      co_phi=1, cong_dan=0, muc_do="toan_trinh", fees=(F_DN,), result="GCN-DN"),
    P("2.001199", "Thông báo tạm ngừng kinh doanh, tiếp tục kinh doanh trước thời hạn đã thông báo của doanh nghiệp",
      "G13-DN", "tinh", 3, "ngay_lam_viec", 160, "tc", cong_dan=0, kq_giay=0, muc_do="toan_trinh", result="TB"),
    P("1.009645", "Quyết định chủ trương đầu tư của Ủy ban nhân dân cấp tỉnh", "G07-DT", "tinh", 35, "ngay", 8, "tc",
      cong_dan=0, muc_do="mot_phan", result="QD"),
    P("1.009760", "Cấp Giấy chứng nhận đăng ký đầu tư đối với dự án trong khu công nghiệp", "G07-DT", "tinh", 15,
      "ngay", 20, "kcn", cong_dan=0, muc_do="toan_trinh", result="GCN-DT"),
    P("1.002396", "Cấp chứng chỉ hành nghề dược", "G14-YT", "tinh", 20, "ngay_lam_viec", 90, "yt", co_phi=1,
      fees=(F_DUOC,), result="CCHN"),
    P("1.004616", "Cấp giấy chứng nhận đủ điều kiện kinh doanh dược", "G14-YT", "tinh", 20, "ngay_lam_viec", 60, "yt",
      cong_dan=0, result="GCN"),
    P("1.012260", "Cấp mới giấy phép hành nghề khám bệnh, chữa bệnh", "G14-YT", "tinh", 30, "ngay", 110, "yt",
      result="GPHN"),
    P("1.005092", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "G15-GD", "tinh", 1, "ngay_lam_viec", 230, "gd",
      muc_do="toan_trinh", result="BS"),
    P("1.001639", "Chuyển trường đối với học sinh trung học phổ thông", "G15-GD", "tinh", 3, "ngay_lam_viec", 120,
      "gd", kq_giay=0, muc_do="toan_trinh", result="TB"),
    P("2.000181", "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "G16-CT", "tinh", 20, "ngay", 70, "ct",
      co_phi=1, cong_dan=0, fees=(F_ATTP,), result="GCN"),
    P("2.000620", "Cấp Giấy phép bán lẻ sản phẩm rượu", "G16-CT", "tinh", 10, "ngay_lam_viec", 40, "ct", co_phi=1,
      cong_dan=0, fees=(F_RUOU,), result="GP"),
    P("1.010727", "Cấp giấy phép môi trường", "G17-MT", "tinh", 30, "ngay_lam_viec", 25, "nnmt", cong_dan=0,
      muc_do="mot_phan", result="GPMT"),
    P("1.000105", "Cấp giấy phép lao động cho người nước ngoài làm việc tại Việt Nam", "G01-LD", "tinh", 5,
      "ngay_lam_viec", 120, "noi_vu", co_phi=1, cong_dan=0, muc_do="toan_trinh", fees=(F_GPLD,), result="GPLD"),
    P("1.001909", "Tặng Bằng khen của Chủ tịch Ủy ban nhân dân cấp tỉnh", "G02-TK", "tinh", 20, "ngay_lam_viec", 90,
      "noi_vu", muc_do="khong", result="BK"),
    P("1.003622", "Cấp Giấy phép kinh doanh dịch vụ lữ hành nội địa", "G18-VH", "tinh", 10, "ngay_lam_viec", 25, "vh",
      co_phi=1, cong_dan=0, fees=(F_LH,), result="GP"),
    P("1.002380", "Cấp giấy phép tiến hành công việc bức xạ sử dụng thiết bị X-quang chẩn đoán trong y tế", "G19-KH",
      "tinh", 15, "ngay_lam_viec", 20, "khcn", cong_dan=0, result="GP"),
    P("1.001078", "Đăng ký hoạt động tín ngưỡng", "G20-TG", "tinh", 15, "ngay", 10, "dttg", muc_do="khong",
      result="TB"),
    P("2.002173", "Giải quyết khiếu nại lần đầu", "G21-KN", "tinh", 30, "ngay", 30, "tt", muc_do="khong",
      kq_giay=1, result="QD"),
    P("1.009972", "Cấp giấy phép xây dựng mới đối với công trình cấp đặc biệt, cấp I, cấp II", "G06-XD", "tinh", 20,
      "ngay", 45, "xd", co_phi=1, cong_dan=0, fees=(F_GPXD_CT,), result="GPXD"),
]

# District-level procedures after 2025-07-01: the commune committee takes most of them; land registration
# stays with the provincial land registration office, a few go to a department. (ma_tthc → (cap, role)).
HUYEN_BY_ROLE = {"vpdk": ("tinh", "vpdk"), "tp": ("xa", "tp"), "ktht": ("xa", "ktht"), "tckh": ("xa", "tckh"),
                 "ldtbxh": ("tinh", "noi_vu"), "ubnd_huyen": ("xa", "ubnd_huyen")}
HUYEN_OVERRIDES = {"1.009980": ("tinh", "xd")}
DROPPED = {"1.000775"}  # Giấy khen of the district chairman: no district any more


def two_level(p: cat.Procedure) -> cat.Procedure:
    """The procedure as it stands from 2025-07-01: cap 'xa' or 'tinh', never 'huyen'."""
    if p.cap == "tinh":
        return p
    if p.cap in ("xa", "huyen;xa"):
        return replace(p, cap="xa")
    cap, role = HUYEN_OVERRIDES.get(p.ma_tthc) or HUYEN_BY_ROLE.get(p.role, ("xa", p.role))
    return replace(p, cap=cap, role=role)


def national_catalogue(first_day: date) -> tuple[list[cat.Procedure], list[cat.Procedure]]:
    """(listed, unlisted) procedures of the two-level system in force on or after ``first_day``."""
    listed = [two_level(p) for p in cat.PROCEDURES
              if p.ma_tthc not in DROPPED and (p.hieu_luc_den is None or p.hieu_luc_den >= first_day)]
    listed += PROVINCIAL_PROCEDURES
    unlisted = [two_level(p) for p in cat.UNLISTED_PROCEDURES]
    codes = [p.ma_tthc for p in listed + unlisted]
    assert len(codes) == len(set(codes)), "duplicate procedure code in the national catalogue"
    return listed, unlisted


def changed_level(p: cat.Procedure) -> bool:
    """True when the two-level system changed the procedure's level (published as an amendment)."""
    orig = next((q for q in cat.PROCEDURES if q.ma_tthc == p.ma_tthc), None)
    return orig is not None and orig.cap != p.cap


def field_name(code: str) -> str:
    return FIELDS[code]
