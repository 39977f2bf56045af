"""The national snapshots beside the dossiers: the procedure catalogue (``procedures/procedures.csv``), each
province's publication decisions (``publications.csv``) and yearly review plans (``reviews.csv``), and the plan
targets (``reference/targets.csv``).
"""

from __future__ import annotations

from datetime import date

from orchestration.generate import catalogue as cat
from orchestration.generate import national_registry as reg
from orchestration.generate.national_calendar import FastCal


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def catalogue_rows(listed) -> list[dict]:
    rows = []
    for p in listed:
        rows.append({
            "ma_tthc": p.ma_tthc, "ten_tthc": p.ten_tthc, "ma_linh_vuc": p.ma_linh_vuc,
            "ten_linh_vuc": reg.field_name(p.ma_linh_vuc), "cap_thuc_hien": p.cap, "thoi_han": _num(p.thoi_han),
            "don_vi_thoi_han": p.don_vi, "co_phi": str(p.co_phi), "yeu_cau_kq_giay": str(p.kq_giay),
            "du_dieu_kien_toan_trinh": "1" if p.muc_do == "toan_trinh" else "0", "muc_do_dvc": p.muc_do,
            "doi_tuong_cong_dan": str(p.cong_dan), "cong_khai_day_du": str(p.cong_khai_day_du),
            "hieu_luc_tu": p.hieu_luc_tu.isoformat(), "hieu_luc_den": p.hieu_luc_den.isoformat() if p.hieu_luc_den else "",
        })
    return rows


def publication_rows(rng, cal: FastCal, start: date, T: date, provinces, listed) -> list[dict]:
    """Per province: the decision publishing the procedures whose level changed on 2025-07-01 (most on time,
    dated in late June; some late), and a few amendment decisions a year dated in the range."""
    basis = reg.VALID_FROM  # the two-level units' first day
    changed = sorted(p.ma_tthc for p in listed if reg.changed_level(p))
    codes_all = sorted(p.ma_tthc for p in listed)
    rows = []
    iso = lambda di: cal.dayiso[di]  # noqa: E731
    ti = cal.di(T)
    for prov in provinces:
        decisions = []
        b = cal.di(basis)
        if rng.random() < 0.75:
            decided = cal.wd_before(b, rng.randint(5, 12))
        else:
            decided = cal.wd_after(b, rng.randint(1, 15))
        decisions.append((decided, b, "sua_doi", changed))
        for year in range(start.year, T.year + 1):
            a = cal.di(max(start, date(year, 1, 1)))
            z = cal.di(min(T, date(year, 12, 31)))
            days = cal.working_days_in(a, z)
            if not days:
                continue
            months = len({cal.ym[d] for d in days})
            for _ in range(max(1, round(rng.randint(4, 6) * months / 12))):
                decided = rng.choice(days)
                on_time = rng.random() < 0.8
                if on_time:
                    bd = cal.wd_after(decided, rng.randint(5, 25))
                elif rng.random() < 0.4:
                    bd = cal.wd_after(decided, rng.randint(1, 4))
                else:
                    bd = cal.wd_before(decided, rng.randint(1, 20))
                decisions.append((decided, bd, "sua_doi", sorted(rng.sample(codes_all, rng.randint(2, 8)))))
        decisions.sort(key=lambda x: (x[0], x[2], x[1]))
        numbers: dict = {}
        for decided, bd, loai, codes in decisions:
            if decided > ti:
                continue
            yr = cal.ym[decided][0]
            numbers[yr] = numbers.get(yr, rng.randint(10, 60)) + rng.randint(15, 140)
            so = f"{numbers[yr]}/QĐ-UBND-{prov.code}"  # (so_quyet_dinh, ma_tthc) must stay a national key
            for code in codes:
                late_disclosure = rng.random() < 0.12
                disclosed = cal.wd_after(decided, rng.randint(6, 15) if late_disclosure else rng.randint(1, 5))
                rows.append({"so_quyet_dinh": so, "ngay_quyet_dinh": iso(decided),
                             "loai": loai, "ma_tthc": code, "unit_code": prov.code, "ngay_hieu_luc_can_cu": iso(bd),
                             "ngay_cong_khai": iso(disclosed) if disclosed <= ti else ""})
    return rows


def review_rows(rng, cal: FastCal, start: date, T: date, provinces, listed) -> list[dict]:
    """Per province and year, the review plan KH-RS-<year>-<province>: 12–16 procedures reviewed Apr–Oct."""
    rows = []
    for prov in provinces:
        for year in range(start.year, T.year + 1):
            a, b = max(start, date(year, 4, 1)), min(T, date(year, 10, 31))
            if a > b:
                a, b = max(start, date(year, 1, 3)), min(T, date(year, 12, 31))
            days = cal.working_days_in(cal.di(a), cal.di(b))
            if not days:
                continue
            chosen = rng.sample(listed, min(len(listed), rng.randint(12, 16)))
            picks = sorted((rng.choice(days), p.ma_tthc) for p in chosen)
            for d, code in picks:
                rows.append({"ma_ke_hoach": f"KH-RS-{year}-{prov.code}", "unit_code": prov.code, "nam": str(year),
                             "ma_tthc": code, "ngay_ra_soat": cal.dayiso[d],
                             "ket_qua": rng.choices([r[0] for r in cat.REVIEW_RESULTS],
                                                    [r[1] for r in cat.REVIEW_RESULTS])[0]})
    return rows


def target_rows(start: date, T: date, provinces) -> list[dict]:
    """A minimal plan per province and year: satisfaction (T4) and SIPAS (T5) targets."""
    t = cat.TARGET_TEXT
    rows = []
    for year in range(start.year, T.year + 1):
        for prov in provinces:
            base = {"unit_code": prov.code, "nam": str(year), "ma_linh_vuc": "", "pham_vi": "toan_bo"}
            rows.append({**base, "ma_chi_tieu": "T4", "indicator_id": "QD766_5_4", "so_sanh": "ge", "gia_tri": "90",
                         "ghi_chu": t["T4"]})
            rows.append({**base, "ma_chi_tieu": "T5", "indicator_id": "SIPAS", "so_sanh": "ge", "gia_tri": "85",
                         "ghi_chu": t["T5"]})
    return rows
