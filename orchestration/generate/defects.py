"""Deliberate defects (DATA_CONTRACT §1.6), injected into a share of the generated records so the pipeline's
quarantine, normalisation and duplicate handling can be tested. Each defective dossier record gets exactly
one kind of defect, so the expected outcome per record is unambiguous; every kind is reported with its
count, the affected record codes and the outcome the pipeline should produce.

The plan (which record gets which defect) does not depend on the output format: the same seed gives the
same defects in JSON and CSV. ``alt_date_format`` only exists in the flat export (the JSON payload has a
single date format), so in JSON those records are written clean and the kind is reported with count 0.
"""

from __future__ import annotations

import copy
import unicodedata
from datetime import datetime, timedelta

from orchestration.generate.writers import BadDate

LOADS = "loaded"
QUARANTINE = "quarantined"

# kind → (expected pipeline outcome, description)
DOSSIER_DEFECTS = {
    "nfd_text": (LOADS, "Vietnamese text in Unicode NFD (decomposed); valid, normalised to NFC at load"),
    "alt_date_format": (LOADS, "CSV only: dates written dd/MM/yyyy HH:mm:ss (Vietnamese format); valid"),
    "impossible_date": (QUARANTINE, "a date that does not exist (30 February, 31 April, month 13)"),
    "date_before_2000": (QUARANTINE, "submission date before 2000-01-01 (1900/1970 defaults, year typos)"),
    "future_date": (QUARANTINE, "an event time after the extract time (year typo 202x → 209x)"),
    "end_before_reception": (QUARANTINE, "NgayKetThucXuLy before NgayTiepNhan"),
    "unknown_status": (QUARANTINE, "TrangThaiHoSo outside 1–10"),
    "unknown_channel": (QUARANTINE, "KenhThucHien outside {1, 2, 3, empty}"),
    "unknown_agency": (QUARANTINE, "MaDonViXuLy and the MaHoSo prefix are both unknown agency codes"),
    "duplicate_record": ("exact duplicate dropped", "the same record twice (same or next batch file)"),
    "missing_reception": (QUARANTINE, "received status (2, 4–10) without NgayTiepNhan"),
    "missing_end": (QUARANTINE, "status 7–10 without NgayKetThucXuLy, NgayTra and NgayTuChoi"),
    "supplement_before_request": (QUARANTINE, "a supplement received (NgayTiepNhanBoSung) before it was requested"),
    "unknown_procedure": ("loaded, flagged unknown procedure", "MaTTHC with a typo: not in the catalogue"),
}
CSV_ONLY = {"alt_date_format"}
TEXT_FIELDS = ("TenTTHC", "TenLinhVuc", "DonViXuLy", "ChuHoSo", "DiaChi")


def _nfd(v):
    return unicodedata.normalize("NFD", v) if isinstance(v, str) else v


def _eligible(kind: str, rec: dict) -> bool:
    st = rec["TrangThaiHoSo"]
    if kind == "end_before_reception":
        return st in (7, 8, 9, 10) and rec.get("NgayKetThucXuLy") is not None and rec.get("NgayTiepNhan") is not None
    if kind == "missing_reception":
        return st in (2, 4, 5, 6, 7, 8, 9, 10) and rec.get("NgayTiepNhan") is not None
    if kind == "missing_end":
        return st in (7, 8, 9, 10)
    if kind == "supplement_before_request":
        r = rec.get("NgayTiepNhan")
        return (st in (4, 9, 10) and r is not None and not rec["DanhSachHoSoBoSung"]
                and (rec["NgayCapNhat"] - r) >= timedelta(hours=1))
    return True


def inject_dossier_defects(records: list[dict], rate: float, rng, fmt: str, known_procedures: set,
                           known_agencies: set) -> tuple[list[dict], dict]:
    """Mutate ~rate of the records in place (one defect each) and append exact duplicates.
    Returns (records, report)."""
    kinds = list(DOSSIER_DEFECTS)
    report = {k: {"count": 0, "records": [], "expected": DOSSIER_DEFECTS[k][0], "description": DOSSIER_DEFECTS[k][1]}
              for k in kinds}
    if rate <= 0 or not records:
        return records, report
    n = max(1, round(rate * len(records)))
    per_kind = {k: n // len(kinds) for k in kinds}
    for k in rng.sample(kinds, n % len(kinds)):
        per_kind[k] += 1
    order = list(range(len(records)))
    rng.shuffle(order)
    used: set = set()
    batches = sorted({r["_batch"] for r in records})
    next_batch = {b: (batches[i + 1] if i + 1 < len(batches) else b) for i, b in enumerate(batches)}
    codes = {r["MaHoSo"] for r in records}
    duplicates = []
    for kind in kinds:
        want = per_kind[kind]
        for i in order:
            if want == 0:
                break
            if i in used or not _eligible(kind, records[i]):
                continue
            used.add(i)
            want -= 1
            rec = records[i]
            _apply(kind, rec, rng, known_procedures, known_agencies, codes, next_batch, duplicates)
            rec["_defect"] = kind
            if kind in CSV_ONLY and fmt != "csv":
                continue  # written clean in JSON
            report[kind]["count"] += 1
            report[kind]["records"].append(rec["MaHoSo"])
    for kind in CSV_ONLY:
        if fmt != "csv":
            report[kind]["note"] = "not applicable to the JSON payload (one date format); records written clean"
    for k in kinds:
        report[k]["records"].sort()
    return records + duplicates, report


def _apply(kind, rec, rng, known_procedures, known_agencies, codes, next_batch, duplicates):
    if kind == "nfd_text":
        for f in TEXT_FIELDS:
            rec[f] = _nfd(rec.get(f))
    elif kind == "alt_date_format":
        rec["_alt_dates"] = True
    elif kind == "impossible_date":
        field = "NgayTiepNhan" if rec.get("NgayTiepNhan") is not None else "NgayNopHoSo"
        v = rec[field]
        y, mo, d = rng.choice([(v.year, 2, 30), (v.year, 2, 31), (v.year, 4, 31), (v.year, 6, 31), (v.year, 9, 31),
                               (v.year, 11, 31), (v.year, 13, min(v.day, 28)), (v.year, 0, v.day)])
        rec[field] = BadDate(y, mo, d, v.hour, v.minute, v.second)
    elif kind == "date_before_2000":
        v = rec["NgayNopHoSo"]
        rec["NgayNopHoSo"] = rng.choice([datetime(1900, 1, 1), datetime(1970, 1, 1, 7, 0, 0),
                                         v.replace(year=v.year - 1000), datetime(1999, 12, 31, 23, 59, 59)])
    elif kind == "future_date":
        field = "NgayTra" if rec.get("NgayTra") is not None and rng.random() < 0.4 else "NgayCapNhat"
        v = rec[field]
        rec[field] = (v.replace(year=2090 + v.year % 10) if not (v.month == 2 and v.day == 29)
                      else v.replace(year=2090 + v.year % 10, day=28))
    elif kind == "end_before_reception":
        rec["NgayKetThucXuLy"] = rec["NgayTiepNhan"] - timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 600))
    elif kind == "unknown_status":
        rec["TrangThaiHoSo"] = rng.choice([11, 11, 12, 0])
    elif kind == "unknown_channel":
        rec["KenhThucHien"] = rng.choice([4, 7, 7, 9])
    elif kind == "unknown_agency":
        old_prefix, rest = rec["MaHoSo"].split("-", 1)
        parts = old_prefix.split(".")
        while True:
            parts[1] = f"{rng.randint(50, 99):02d}"
            prefix = ".".join(parts)
            code = f"{prefix}-{rest}"
            if prefix not in known_agencies and code not in codes:
                break
        codes.add(code)
        rec["MaHoSo"] = code
        rec["MaDonViXuLy"] = prefix
    elif kind == "duplicate_record":
        dup = copy.deepcopy(rec)
        if rng.random() < 0.5:
            dup["_batch"] = next_batch[rec["_batch"]]
        dup["_defect"] = kind
        dup["_duplicate_copy"] = True
        duplicates.append(dup)
    elif kind == "missing_reception":
        rec["NgayTiepNhan"] = None
    elif kind == "missing_end":
        rec["NgayKetThucXuLy"] = rec["NgayTra"] = rec["NgayTuChoi"] = None
    elif kind == "supplement_before_request":
        r, u = rec["NgayTiepNhan"], rec["NgayCapNhat"]
        span = (u - r).total_seconds()
        req = r + timedelta(seconds=int(span * rng.uniform(0.55, 0.85)))
        got = r + timedelta(seconds=int(span * rng.uniform(0.1, 0.45)))
        due = rec.get("NgayHenTra") or req
        rec["DanhSachHoSoBoSung"] = [{"NgayBoSung": req, "NgayTiepNhanBoSung": got, "NgayHenTraTruoc": due,
                                      "NgayHenTraMoi": due + timedelta(days=max(1, (req - got).days))}]
    elif kind == "unknown_procedure":
        code = rec["MaTTHC"]
        candidates = [code[:-1], code[:-2] + code[-1] + code[-2], code.replace(".", ",", 1), code + "0"]
        rec["MaTTHC"] = next(c for c in rng.sample(candidates, len(candidates)) if c not in known_procedures)
    else:  # pragma: no cover
        raise KeyError(kind)


# ---------------------------------------------------------------------------------------------- other sources
def inject_row_defects(source: str, rows: list[dict], key: str, kinds: dict, rate: float, rng) -> dict:
    """Apply row-level defects to a table (list of dicts of text cells). ``kinds``: kind → (expected, fn(row, rng)).
    Each affected row gets one defect; about rate × rows in total, at least one per kind when rate > 0."""
    report = {k: {"count": 0, "records": [], "expected": kinds[k][0]} for k in kinds}
    if rate <= 0 or not rows:
        return report
    per_kind = max(1, round(rate * len(rows) / len(kinds)))
    order = list(range(len(rows)))
    rng.shuffle(order)
    pos = 0
    for kind, (_, fn) in kinds.items():
        for _ in range(per_kind):
            if pos >= len(order):
                break
            row = rows[order[pos]]
            pos += 1
            fn(row, rng)
            report[kind]["count"] += 1
            report[kind]["records"].append(row[key])
    for k in kinds:
        report[k]["records"].sort()
    return report
