"""Applicants of a province's national dossiers: pools of people and organisations drawn once per province (the
first draws of its stream), village addresses, and the applicant part of a record as a JSON fragment.
"""

from __future__ import annotations

import bisect
import functools

from orchestration.generate import catalogue as cat
from orchestration.generate import national_registry as reg
from orchestration.generate.national_model import js
from orchestration.generate.people import ascii_slug

# National name pools (the district's are Bắc Kạn ones; Thái Nguyên keeps those).
SURNAMES_VN = [("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Hoàng", 40), ("Huỳnh", 20), ("Phan", 45),
               ("Vũ", 30), ("Võ", 20), ("Đặng", 20), ("Bùi", 20), ("Đỗ", 14), ("Hồ", 13), ("Ngô", 13), ("Dương", 10),
               ("Lý", 5), ("Đinh", 10), ("Trương", 10), ("Đoàn", 8), ("Lương", 5), ("Mai", 5), ("Hà", 7), ("Cao", 5),
               ("Lâm", 5), ("Trịnh", 5), ("Tô", 3), ("Chu", 3), ("Tạ", 3), ("Nông", 3), ("Triệu", 3)]
EMAIL_DOMAINS = [("gmail.com", 88), ("yahoo.com", 5), ("outlook.com", 5), ("icloud.com", 2)]
ORG_KINDS = ["Công ty TNHH", "Công ty cổ phần", "Công ty TNHH MTV", "Hợp tác xã", "Doanh nghiệp tư nhân"]
ORG_WORDS = ["Thương mại", "Dịch vụ", "Xây dựng", "Đầu tư", "Nông sản", "Vận tải", "Công nghệ", "Sản xuất",
             "Du lịch", "Thực phẩm"]
N_PEOPLE, N_ORGS = 2048, 512


def cumulative(pairs):
    """(values, cumulative weights) of [(value, weight)]."""
    out, acc = [], 0.0
    for _, w in pairs:
        acc += w
        out.append(acc)
    return [p[0] for p in pairs], out


_slug = functools.lru_cache(maxsize=None)(ascii_slug)  # per word: 'Hoàng' → 'hoang'


class People:
    """A province's applicant pools. ``names``: (JSON name, female, (e-mail slugs), plain name); ``orgs``: (JSON
    name, e-mail slug); ``addresses[ci]``: the JSON addresses of commune ci's villages."""

    def __init__(self, rng, prov):
        r = rng
        self.pp = prov.code
        self.addresses = [[js(f"{v}, {reg.lower_unit_name(c.name)}, {prov.lower_name}") for v in c.villages]
                          for c in prov.communes]
        surnames = cat.SURNAMES if prov.code == reg.SEED_PROVINCE else SURNAMES_VN
        s_names, s_cum = cumulative(surnames)
        mm, mm_cum = cumulative(cat.MIDDLE_M)
        mf, mf_cum = cumulative(cat.MIDDLE_F)
        self.names = []
        for i in range(N_PEOPLE):
            female = i % 2 == 1
            sur = s_names[bisect.bisect(s_cum, r.random() * s_cum[-1])]
            if female:
                mid = mf[bisect.bisect(mf_cum, r.random() * mf_cum[-1])]
                given = r.choice(cat.GIVEN_F)
            else:
                mid = mm[bisect.bisect(mm_cum, r.random() * mm_cum[-1])]
                given = r.choice(cat.GIVEN_M)
            full = f"{sur} {mid} {given}"
            parts = full.split()
            slug1 = _slug(parts[-1]) + "." + "".join(_slug(x)[:1] for x in parts[:-1])
            self.names.append((js(full), female, (slug1, "".join(_slug(x) for x in parts)), full))
        self.orgs = []
        for _ in range(N_ORGS):
            org = f"{r.choice(ORG_KINDS)} {r.choice(ORG_WORDS)} {r.choice(reg.NAME_A)} {r.choice(reg.NAME_B)}"
            self.orgs.append((js(org), "".join(_slug(x) for x in org.split(" ", 2)[-1].split())[:16]))
        self.dom, self.dom_cum = cumulative(EMAIL_DOMAINS)
        self.cccd_prefix = f"0{prov.code}"

    def applicant(self, R, ci: int, organisation: bool, year: int) -> str:
        """The record's applicant fields from ``, "ChuHoSo"`` to ``"LoaiDoiTuong"`` (commune ci, a dossier of
        ``year``: a person's birth year and ID number follow from it)."""
        a = []
        if organisation:
            oname, oslug = self.orgs[int(R() * len(self.orgs))]
            a.append(f', "ChuHoSo": {oname}, "SoGiayToChuHoSo": "{self.pp}{int(R() * 1e8):08d}"')
            a.append(f', "SoDienThoai": "{self.phone(R)}"')
            if R() < 0.6:
                a.append(f', "Email": "{oslug}{1 + int(R() * 99)}@gmail.com"')
            a.append(f', "DiaChi": {self.address(ci, R)}, "LoaiDoiTuong": 2')
        else:
            jname, female, slugs, _ = self.names[int(R() * len(self.names))]
            birth = year - 18 - int(R() * 63)
            century = 0 if birth < 2000 else 2
            a.append(f', "ChuHoSo": {jname}, "SoGiayToChuHoSo": '
                     f'"{self.cccd_prefix}{century + (1 if female else 0)}{birth % 100:02d}{int(R() * 1e6):06d}"')
            if R() < 0.92:
                a.append(f', "SoDienThoai": "{self.phone(R)}"')
            if R() < 0.28:
                slug = slugs[1] if R() < 0.5 else slugs[0]
                if R() < 0.7:
                    slug += str(1 + int(R() * 99)) if R() < 0.5 else str(1960 + int(R() * 46))
                dom = self.dom[bisect.bisect(self.dom_cum, R() * self.dom_cum[-1])]
                a.append(f', "Email": "{slug}@{dom}"')
            if R() < 0.96:
                a.append(f', "DiaChi": {self.address(ci, R)}')
            a.append(', "LoaiDoiTuong": 4' if R() < 0.004 else ', "LoaiDoiTuong": 1')
        return "".join(a)

    @staticmethod
    def phone(R) -> str:
        return f"{cat.PHONE_PREFIXES[int(R() * len(cat.PHONE_PREFIXES))]}{int(R() * 1e7):07d}"

    def address(self, ci: int, R) -> str:
        opts = self.addresses[ci]
        return opts[int(R() * len(opts))]
