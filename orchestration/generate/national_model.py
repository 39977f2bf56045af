"""The national generator's per-dossier objects: a procedure prepared for the hot loop (``NProc``: its field
profile, due-date rule and pre-rendered JSON fragments) and a drawn dossier (``Life``: its record fragments and
event times, kept while it has events after the current extract time).
"""

from __future__ import annotations

import json

from orchestration.generate import catalogue as cat
from orchestration.generate import lifecycle_rules as rules
from orchestration.generate import national_registry as reg
from orchestration.generate.dossiers import ONLINE_FACTOR

ONLINE_BASE = 0.58  # the district generator's online share once its growth trend is complete (0.36 + 0.22)


def js(text: str) -> str:
    """A JSON string literal, as json.dumps(ensure_ascii=False) writes it."""
    return json.dumps(text, ensure_ascii=False)


class NProc:
    """A procedure prepared for the hot loop (pre-rendered JSON fragments, due-date rule, profile)."""

    def __init__(self, p: cat.Procedure):
        self.p = p
        self.code = p.ma_tthc
        self.cap = p.cap
        self.role = p.role
        self.field = p.ma_linh_vuc
        prof = reg.FIELD_PROFILES[p.ma_linh_vuc]
        self.late = prof["late"]
        self.early_cut = rules.early_cut(prof["late"])
        self.supp1, self.supp2 = prof["supp1"], prof["supp2"]
        self.eres = prof["eres"]
        self.csdl = prof["csdl"]
        self.comps = prof["comps"]
        self.online_p = ONLINE_BASE * ONLINE_FACTOR[p.muc_do]
        self.due_kind, self.due_n = rules.due_rule(p.thoi_han, p.don_vi)
        self.co_phi = p.co_phi
        self.fee_wait = bool(p.co_phi) and p.ma_linh_vuc in rules.FEE_WAIT_FIELDS
        self.fees = [(f'{{"MaPhiLePhi": {js(f.code)}, "TenPhiLePhi": {js(f.name)}, "Gia": ', f.amounts) for f in p.fees]
        self.org_always = p.cong_dan == 0
        self.org_some = p.ma_linh_vuc == "G07-DT"
        self.result = p.result
        self.chung_thuc = "1" if p.ma_linh_vuc == "G11-CT" else "0"
        self.csdl_other = cat.CSDL_OTHER.get(p.ma_linh_vuc)
        self.frag = (f'"MaTTHC": {js(p.ma_tthc)}, "TenTTHC": {js(p.ten_tthc)}, "MaLinhVuc": {js(p.ma_linh_vuc)}, '
                     f'"TenLinhVuc": {js(reg.field_name(p.ma_linh_vuc))}')
        self.hieu_luc_tu, self.hieu_luc_den = p.hieu_luc_tu, p.hieu_luc_den


class Life:
    """A dossier's whole drawn lifecycle; observed at each extract time until nothing is left to happen.

    a, b: the record's fixed JSON fragments (before and after the dates); ev_t, ev_s: event times and statuses,
    sorted; tn, due, ttc, tend, ttra: reception, due (None when left empty), refusal, end, return; sups:
    (request, reception or None, due before, due after or None); res, csdl: result and database fragments;
    delta: seconds from the last event to NgayCapNhat; k: events seen at the last observation; status: the
    status last written (0: none yet)."""

    __slots__ = ("a", "b", "ev_t", "ev_s", "tn", "due", "ttc", "tend", "ttra", "omit_end", "sups", "res", "csdl",
                 "delta", "k", "status", "field", "online", "unlisted")
