"""Serialisation of generated records: the national sync JSON, the flat dossier CSV, plain CSV tables and
survey spreadsheets — all byte-deterministic (no wall-clock time, no hash ordering)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.xml.functions import tostring

from orchestration.lib.lake_schema import DOSSIER_FLAT_COLUMNS, JSON_TO_FLAT


class BadDate:
    """An impossible calendar date (e.g. 30 February) kept as its parts, so it can be written in any format."""

    __slots__ = ("parts",)

    def __init__(self, y, mo, d, h=0, mi=0, s=0):
        self.parts = (y, mo, d, h, mi, s)

    def __eq__(self, other):
        return isinstance(other, BadDate) and other.parts == self.parts

    def __hash__(self):
        return hash(self.parts)


def fmt_json_date(v) -> str:
    y, mo, d, h, mi, s = v.parts if isinstance(v, BadDate) else (v.year, v.month, v.day, v.hour, v.minute, v.second)
    return f"{y:04d}{mo:02d}{d:02d}{h:02d}{mi:02d}{s:02d}"


def fmt_iso(v) -> str:
    y, mo, d, h, mi, s = v.parts if isinstance(v, BadDate) else (v.year, v.month, v.day, v.hour, v.minute, v.second)
    return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}"


def fmt_vn(v) -> str:
    y, mo, d, h, mi, s = v.parts if isinstance(v, BadDate) else (v.year, v.month, v.day, v.hour, v.minute, v.second)
    return f"{d:02d}/{mo:02d}/{y:04d} {h:02d}:{mi:02d}:{s:02d}"


def _is_date(v) -> bool:
    return isinstance(v, (datetime, BadDate))


# ---------------------------------------------------------------- dossiers: national sync JSON
def dossier_to_json(rec: dict) -> dict:
    """The DongBoHoSoMC record: absent (None) top-level fields are omitted, dates as yyyyMMddHHmmss."""
    out = {}
    for k, v in rec.items():
        if v is None or k[0] == "_":
            continue
        if _is_date(v):
            out[k] = fmt_json_date(v)
        elif isinstance(v, list):
            out[k] = [{ck: (fmt_json_date(cv) if _is_date(cv) else cv) for ck, cv in child.items()} for child in v]
        else:
            out[k] = v
    return out


def write_dossier_json(path: Path, records: list[dict]) -> None:
    """One payload per file; one record per line so the files diff well (still one JSON document)."""
    lines = [json.dumps(dossier_to_json(r), ensure_ascii=False) for r in records]
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write('{"service": "DongBoHoSoMC", "isUpdating": false, "data": [\n')
        fh.write(",\n".join(lines))
        fh.write("\n]}\n")


# ---------------------------------------------------------------- dossiers: flat export (CSV)
_SCALARS = {flat: field for field, flat in JSON_TO_FLAT.items()}  # flat column → JSON field


def _flag(b: bool) -> str:
    return "1" if b else "0"


def _num(x) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def flatten_dossier(rec: dict, vn_dates: bool = False) -> dict:
    """The flat export row (DATA_CONTRACT §1.1 b): the scalar fields plus the child lists reduced as the
    column comments of lake_schema.DOSSIERS say; values as text."""
    fd = fmt_vn if vn_dates else fmt_iso

    def cell(v) -> str:
        if v is None:
            return ""
        if _is_date(v):
            return fd(v)
        return str(v)

    row = {col: cell(rec.get(field)) for col, field in _SCALARS.items()}
    comps = rec.get("TaiLieuNop") or []
    fees = rec.get("DanhSachLePhi") or []
    sups = sorted(rec.get("DanhSachHoSoBoSung") or [], key=lambda s: fmt_json_date(s["NgayBoSung"]))
    results = rec.get("DanhSachGiayToKetQua") or []
    row.update(
        so_lan_bo_sung=str(len(sups)),
        ngay_bo_sung=cell(sups[0].get("NgayBoSung")) if sups else "",
        ngay_tiep_nhan_bo_sung=cell(sups[0].get("NgayTiepNhanBoSung")) if sups else "",
        co_tep_dinh_kem=_flag(any(c.get("TepDinhKemId") for c in comps)),
        co_thanh_phan_so_hoa=_flag(any(c.get("DuocSoHoa") == 1 for c in comps)),
        co_thanh_phan_tai_su_dung=_flag(any(c.get("DuocTaiSuDung") == 1 for c in comps)),
        lay_tu_kho_dmqg=_flag(any(c.get("DuocLayTuKhoDMQG") == 1 for c in comps)),
        so_giay_to_ket_qua=str(len(results)),
        co_ket_qua_dien_tu=_flag(any(r.get("DuongDanTepTinKetQua") for r in results)),
        tong_le_phi=_num(sum(f.get("Gia") or 0 for f in fees)),
        co_le_phi=_flag(bool(fees)),
        ket_noi_csdl=str(len(rec.get("DSKetNoiCSDL") or [])),
    )
    missing = [c for c in DOSSIER_FLAT_COLUMNS if c not in row]
    if missing:  # the lake layout grew a column this writer does not know
        raise RuntimeError(f"flat dossier writer has no value for column(s) {missing}")
    return row


def write_dossier_csv(path: Path, records: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(DOSSIER_FLAT_COLUMNS)
        for r in records:
            row = flatten_dossier(r, vn_dates=bool(r.get("_alt_dates")))
            w.writerow([row[c] for c in DOSSIER_FLAT_COLUMNS])


# ---------------------------------------------------------------- plain tables
def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r[c] for c in columns])


# ---------------------------------------------------------------- spreadsheets
FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def write_xlsx(path: Path, title_rows: list[str], columns: list[str], rows: list[dict], text_columns: set,
               date_columns: set, sheet_title: str = "KetQua") -> None:
    """A survey-style sheet: title rows, a blank row, the header, one row per record. Code columns are
    text cells (leading zeros kept). The file is made byte-deterministic: fixed document properties and
    fixed zip entry times."""

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_title
    fixed = datetime(2000, 1, 1)
    wb.properties.creator = "cchc generate"
    wb.properties.lastModifiedBy = "cchc generate"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    last_col = openpyxl.utils.get_column_letter(len(columns))
    r = 1
    for text in title_rows:
        ws.cell(row=r, column=1, value=text).font = Font(bold=True)
        ws.merge_cells(f"A{r}:{last_col}{r}")
        ws.cell(row=r, column=1).alignment = Alignment(horizontal="center")
        r += 1
    r += 1  # blank row between title and header
    for j, c in enumerate(columns, 1):
        ws.cell(row=r, column=j, value=c).font = Font(bold=True)
    for rec in rows:
        r += 1
        for j, c in enumerate(columns, 1):
            v = rec.get(c)
            if v is None or v == "":
                continue
            cell = ws.cell(row=r, column=j, value=v)
            if c in text_columns:
                cell.number_format = "@"
            elif c in date_columns:
                cell.number_format = "DD/MM/YYYY"
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps the save time into docProps/core.xml: put the fixed time back
    wb.properties.modified = fixed
    core = tostring(wb.properties.to_tree())
    _rezip_deterministic(buf.getvalue(), path, {"docProps/core.xml": core})


def _rezip_deterministic(data: bytes, path: Path, replace: dict) -> None:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, replace.get(info.filename, src.read(info.filename)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def iso_date(d: date | None) -> str:
    return d.isoformat() if d else ""


def iso_minute(t: datetime | None) -> str:
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}" if t else ""
