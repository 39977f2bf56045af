"""National dossier records and files: a drawn dossier (``Life``) observed at an extract time becomes one JSON line
(``render_record``: byte-identical to ``json.dumps(record, ensure_ascii=False)`` of the district writer's record),
and ``DossierBatches`` frames the lines into ``dossiers/dongbo_YYYYMM_PP_NNN.json[.gz]`` as
``writers.write_dossier_json`` frames a batch.
"""

from __future__ import annotations

import bisect
import gzip
from collections import Counter
from pathlib import Path

from orchestration.generate.national_model import Life

BATCH_SIZE = 10_000  # records per dossier file
STATUS = [str(i) for i in range(11)]


def render_record(fmt, L: Life, T: int) -> tuple[str, int, int]:
    """(JSON line, events seen, status) of L observed at T; ``fmt`` formats a time (FastCal.fmt)."""
    ev_t = L.ev_t
    k = bisect.bisect_right(ev_t, T)
    status = L.ev_s[k - 1]
    last = ev_t[k - 1]
    parts = [L.a]
    tn = L.tn
    received = tn is not None and tn <= T
    if received:
        parts.append(f', "NgayTiepNhan": "{fmt(tn)}"')
        if L.due is not None:
            parts.append(f', "NgayHenTra": "{fmt(L.due)}"')
    parts.append(', "TrangThaiHoSo": ' + STATUS[status])
    te = L.tend
    if te is not None and te <= T and not (status == 10 and L.omit_end):
        parts.append(f', "NgayKetThucXuLy": "{fmt(te)}"')
    if L.ttra is not None and L.ttra <= T:
        parts.append(f', "NgayTra": "{fmt(L.ttra)}"')
    if L.ttc is not None and L.ttc <= T:
        parts.append(f', "NgayTuChoi": "{fmt(L.ttc)}"')
    parts.append(L.b)
    if L.sups:
        ss = []
        for req, rec, prev, new in L.sups:
            if req > T:
                continue
            if rec is not None and rec <= T:
                ss.append(f'{{"NgayBoSung": "{fmt(req)}", "NgayTiepNhanBoSung": "{fmt(rec)}", '
                          f'"NgayHenTraTruoc": "{fmt(prev)}", "NgayHenTraMoi": "{fmt(new)}"}}')
            else:
                ss.append(f'{{"NgayBoSung": "{fmt(req)}", "NgayTiepNhanBoSung": null, '
                          f'"NgayHenTraTruoc": "{fmt(prev)}", "NgayHenTraMoi": null}}')
        parts.append(', "DanhSachHoSoBoSung": [' + ", ".join(ss) + "]")
    else:
        parts.append(', "DanhSachHoSoBoSung": []')
    parts.append(', "DanhSachGiayToKetQua": ' + (L.res if status >= 9 else "[]"))
    parts.append(', "DSKetNoiCSDL": ' + (L.csdl if received else "[]"))
    cap = last + L.delta
    parts.append(f', "NgayCapNhat": "{fmt(cap if cap < T else T)}"}}')
    return "".join(parts), k, status


class DossierBatches:
    """One province's dossier files of the current month, ``BATCH_SIZE`` records each; each file written is
    recorded in ``files`` (name → records) and counted in ``stats['records']``."""

    def __init__(self, out: Path, pp: str, compress: str | None, files: dict, stats: Counter):
        self.out, self.pp, self.gz = out, pp, compress == "gzip"
        self.files, self.stats = files, stats
        self.batch: list[str] = []
        self.batch_no = 0
        self.month_key = ""

    def start_month(self, month_key: str) -> None:
        self.month_key = month_key
        self.batch_no = 0

    def emit(self, line: str) -> None:
        self.batch.append(line)
        if len(self.batch) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        self.batch_no += 1
        name = f"dongbo_{self.month_key}_{self.pp}_{self.batch_no:03d}.json" + (".gz" if self.gz else "")
        path = self.out / "dossiers" / name
        # the framing of writers.write_dossier_json
        text = '{"service": "DongBoHoSoMC", "isUpdating": false, "data": [\n' + ",\n".join(self.batch) + "\n]}\n"
        data = text.encode("utf-8")
        if self.gz:  # level 1 (speed over size); mtime 0 and no name in the header, so the bytes depend on the seed only
            data = gzip.compress(data, compresslevel=1, mtime=0)
        path.write_bytes(data)
        self.files[f"dossiers/{name}"] = len(self.batch)
        self.stats["records"] += len(self.batch)
        self.batch = []
