"""Synthetic personal data: Vietnamese names, citizen-ID numbers, phones, e-mails, addresses.

All of it is invented (random draws from name pools); the pipeline must pseudonymise it anyway.
"""

from __future__ import annotations

import itertools
import unicodedata

from orchestration.generate import catalogue as cat
from orchestration.generate.reference import lower_unit_name


def _cum(pairs):
    return [p[0] for p in pairs], list(itertools.accumulate(p[1] for p in pairs))


_SUR, _SUR_W = _cum(cat.SURNAMES)
_MID_M, _MID_M_W = _cum(cat.MIDDLE_M)
_MID_F, _MID_F_W = _cum(cat.MIDDLE_F)
_DOM, _DOM_W = _cum(cat.EMAIL_DOMAINS)


def ascii_slug(text: str) -> str:
    """'Hoàng Thị Mai' → 'hoangthimai' (for e-mail addresses)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return "".join(c for c in text.lower() if c.isalnum())


class PeopleFactory:
    def __init__(self, rng, villages_by_commune: dict, district_name: str, province_name: str):
        self.rng = rng
        self.villages = villages_by_commune  # commune unit code → (commune display name, [village labels])
        self.district_name = district_name
        self.province_name = province_name

    def name(self, female: bool | None = None) -> tuple[str, bool]:
        rng = self.rng
        if female is None:
            female = rng.random() < 0.5
        sur = rng.choices(_SUR, cum_weights=_SUR_W)[0]
        if female:
            mid = rng.choices(_MID_F, cum_weights=_MID_F_W)[0]
            given = rng.choice(cat.GIVEN_F)
        else:
            mid = rng.choice(_MID_M) if rng.random() < 0.1 else rng.choices(_MID_M, cum_weights=_MID_M_W)[0]
            given = rng.choice(cat.GIVEN_M)
        return f"{sur} {mid} {given}", female

    def cccd(self, female: bool, birth_year: int) -> str:
        """12-digit citizen-ID number: province code, gender/century digit, year of birth, 6 random digits."""
        century = 0 if birth_year < 2000 else 2
        return f"{cat.CCCD_PROVINCE}{century + (1 if female else 0)}{birth_year % 100:02d}{self.rng.randrange(10**6):06d}"

    def tax_code(self) -> str:
        return f"{cat.TAX_CODE_PREFIX}{self.rng.randrange(10**8):08d}"

    def phone(self) -> str:
        return f"{self.rng.choice(cat.PHONE_PREFIXES)}{self.rng.randrange(10**7):07d}"

    def email(self, name: str) -> str:
        rng = self.rng
        parts = name.split()
        slug = ascii_slug(parts[-1]) + "." + "".join(ascii_slug(p)[:1] for p in parts[:-1])
        if rng.random() < 0.5:
            slug = ascii_slug(name)
        if rng.random() < 0.7:
            slug += str(rng.randint(1, 99) if rng.random() < 0.5 else rng.randint(1960, 2005))
        return f"{slug}@{rng.choices(_DOM, cum_weights=_DOM_W)[0]}"

    def address(self, commune_code: str) -> str:
        commune_name, villages = self.villages[commune_code]
        return f"{self.rng.choice(villages)}, {commune_name}, {self.district_name}, {self.province_name}"

    def applicant(self, commune_code: str, organisation: bool = False, year: int = 2023) -> dict:
        """ChuHoSo, SoGiayToChuHoSo, SoDienThoai, Email, DiaChi, LoaiDoiTuong of one applicant."""
        rng = self.rng
        if organisation:
            org = f"{rng.choice(cat.ORG_KINDS)} {rng.choice(cat.ORG_NAMES)}"
            return {
                "ChuHoSo": org, "SoGiayToChuHoSo": self.tax_code(), "SoDienThoai": self.phone(),
                "Email": f"{ascii_slug(org.split(' ', 2)[-1])[:16]}{rng.randint(1, 99)}@gmail.com" if rng.random() < 0.6 else None,
                "DiaChi": self.address(commune_code), "LoaiDoiTuong": 2,
            }
        name, female = self.name()
        birth = year - rng.randint(18, 80)
        return {
            "ChuHoSo": name,
            "SoGiayToChuHoSo": self.cccd(female, birth),
            "SoDienThoai": self.phone() if rng.random() < 0.92 else None,
            "Email": self.email(name) if rng.random() < 0.28 else None,
            "DiaChi": self.address(commune_code) if rng.random() < 0.96 else None,
            "LoaiDoiTuong": 1,
        }


def village_labels(rng, communes, district_name: str) -> dict:
    """Each commune gets 6–12 villages (thôn/bản); the town gets residential groups (tổ dân phố)."""
    out = {}
    for u in communes:
        if u.unit_type == "thi_tran":
            labels = [f"Tổ {i}" for i in range(1, rng.randint(8, 12) + 1)]
        else:
            names = rng.sample(cat.VILLAGES, rng.randint(6, 12))
            labels = [f"{'Bản' if rng.random() < 0.25 and not n.startswith('Bản ') else 'Thôn'} {n}" for n in names]
        out[u.code] = (lower_unit_name(u.name), labels)
    return out
