"""One province of the national scale (``ProvinceGen``): its random stream, applicability list and applicant pools,
the drawing of one dossier (``make``, one private method per part of the record; the life itself is
``national_lifecycle``), and the month loop (``run``) that writes the province's dossier files, its rating and
PAKN parts and its SIPAS waves. A province is one task, run in a worker process (``province_task``) or in the
parent when workers=1; everything it writes depends only on the seed, the province and the arguments.
"""

from __future__ import annotations

import bisect
import calendar as _calendar
import math
import random
import resource
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

from orchestration.generate import applicability as app
from orchestration.generate import catalogue as cat
from orchestration.generate import national_registry as reg
from orchestration.generate import sources as src
from orchestration.generate.national_calendar import DAY, OFFICE_MINUTES, fast_calendar
from orchestration.generate.national_feedback import PETITION_RATE, draw_petition, draw_rating, petition_row
from orchestration.generate.national_lifecycle import Lifecycle, draw_lifecycle
from orchestration.generate.national_model import Life, NProc, js
from orchestration.generate.national_people import People
from orchestration.generate.national_rows import DossierBatches, render_record
from orchestration.generate.national_surveys import survey_waves
from orchestration.generate.writers import write_csv

LOOKAHEAD_WORKING_DAYS = 3  # online dossiers submitted before T_m are received at most this many working days later
# a component without an attached file, by its number and DuocLayTuKhoDMQG (pre-rendered: most counter dossiers)
NO_FILE = [None] + [[f'{{"MaThanhPhanHoSo": "TP{i}", "TepDinhKemId": null, "DuocSoHoa": 0, "DuocTaiSuDung": 0, '
                     f'"DuocLayTuKhoDMQG": {k}}}' for k in (0, 1)] for i in range(1, 10)]

_QUEUE = None  # progress queue of a worker process


def init_worker(q) -> None:
    global _QUEUE
    _QUEUE = q


def province_task(job: dict) -> dict:
    return ProvinceGen(job).run()


class ProvinceGen:
    def __init__(self, job: dict, report=None):
        self.job = job
        self.report = report
        self.out = Path(job["out"])
        self.parts = Path(job["parts"])
        prov = next(p for p in reg.build_registry() if p.code == job["province"])
        self.prov = prov
        self.pp = prov.code
        self.rng = random.Random(f"cchc-national/{job['seed']}/{prov.code}/dossiers")
        self.R = self.rng.random  # bound once: a dossier makes ~50 draws over a dozen methods
        self.cal = cal = fast_calendar(job["cal_first_year"], job["cal_last_year"])
        self.months = job["months"]  # [(y, m)]
        self.T = [cal.di(date(y, m, _calendar.monthrange(y, m)[1])) * DAY + 18 * 3600 for y, m in self.months]
        self.start_t = cal.di(date(*self.months[0], 1)) * DAY
        self.base = job["base_per_day"]
        listed, unlisted = reg.national_catalogue(date(*self.months[0], 1))
        self.listed = [NProc(p) for p in listed]
        self.unlisted = [NProc(p) for p in unlisted]
        self._proc_cache: dict = {}
        self._applicability(listed)
        # places and agencies
        self.communes = prov.communes
        self.commune_cum = []
        acc = 0.0
        for c in prov.communes:
            acc += c.weight
            self.commune_cum.append(acc)
        self.commune_total = acc
        # agency fragments (code, '"DonViXuLy": …'), by commune index / department role
        self.commune_agency = [(c.agency_code, f'"DonViXuLy": {js(c.agency_name)}') for c in prov.communes]
        self.dept_agency = {role: (code, f'"DonViXuLy": {js(name)}') for role, (code, name) in prov.dept_by_role.items()}
        self.people = People(self.rng, prov)  # the stream's first draws
        # state
        self.seq: dict = {}
        self.file_id = 0
        self.pet_seq = 0
        self.open: list = []
        self.carry: list = []
        self.ratings: dict = {}  # month index → [(t, code, level)]
        self.pet_new: dict = {}  # month index → [Petition]
        self.pet_open: list = []
        # output
        self.files: dict = {}
        self.stats = Counter()
        self.status = Counter()
        self.fields = Counter()
        self.open_by_month: dict = {}
        self.records_by_month: dict = {}
        self.new_by_month: dict = {}
        self.writer = DossierBatches(self.out, self.pp, job.get("compress"), self.files, self.stats)

    # ------------------------------------------------------------------ applicability
    def _applicability(self, listed) -> None:
        """The province's applicability list (applicability.py): each commune committee a seeded share of the
        commune-level procedures, each department a share of its role's province-level ones; its own random stream,
        so the list depends on the seed, the province and the catalogue only. Row dates are the agencies' first day
        (2025-07-01) or a procedure's end of validity, so whether a row applies on a day follows the catalogue's
        validity (the per-day draw tables below are cached by the procedures in force)."""
        rng = random.Random(f"cchc-national/{self.job['seed']}/{self.pp}/applicability")
        nproc = {p.code: p for p in self.listed}
        rows = []

        def applied_of(agency_code, pairs) -> dict:
            out = {}
            for p, a in pairs:
                # the draw tables are cached by the procedures in force: a row's dates must not add another rule
                assert a.valid_from is None or a.valid_from <= reg.VALID_FROM, (p.ma_tthc, a)
                assert a.valid_to is None or a.valid_to == p.hieu_luc_den, (p.ma_tthc, a)
                # the agency's own fee flag: a variant without fees (the only override drawn is 'no fee')
                out[p.ma_tthc] = nproc[p.ma_tthc] if a.co_phi is None else NProc(replace(p, co_phi=a.co_phi, fees=()))
                rows.append(app.row(p.ma_tthc, agency_code, a))
            return out

        xa = [p for p in listed if p.cap == "xa"]
        self.commune_applied = [applied_of(c.agency_code, app.draw_agency(rng, xa, app.COMMUNE_SHARE, reg.VALID_FROM))
                                for c in self.prov.communes]
        self.dept_applied = {}
        for role, code, _ in self.prov.departments:
            own = [p for p in listed if p.cap == "tinh" and p.role == role]
            if own:
                self.dept_applied[role] = applied_of(code, app.draw_agency(rng, own, app.OFFICE_SHARE, reg.VALID_FROM))
        rows.sort(key=lambda r: (r["ma_tthc"], r["agency_code"]))
        self.applicability_rows = rows

    def _agency_table(self, applied: dict, procs) -> tuple:
        """(procedures, cumulative weights, total) of an agency's applied procedures among ``procs`` (in force)."""
        own = [applied[p.code] for p in procs if p.code in applied]
        cum, acc = [], 0.0
        for p in own:
            acc += p.p.weight
            cum.append(acc)
        return own, cum, acc

    # ------------------------------------------------------------------ procedures in force
    def _procs(self, d: date):
        key = tuple(p.hieu_luc_tu <= d and (p.hieu_luc_den is None or d <= p.hieu_luc_den) for p in self.listed)
        hit = self._proc_cache.get(key)
        if hit is None:
            procs = [p for p, ok in zip(self.listed, key) if ok]
            cum, acc = [], 0.0
            for p in procs:
                acc += p.p.weight
                cum.append(acc)
            unl = [p for p in self.unlisted if p.hieu_luc_tu <= d and (p.hieu_luc_den is None or d <= p.hieu_luc_den)]
            hit = (procs, cum, acc, unl, {})  # the last: per-agency draw tables, filled on demand
            self._proc_cache[key] = hit
        return hit

    # ------------------------------------------------------------------ one dossier
    def make(self, di: int, procs, cum, total, unl, tables) -> Life:
        """Draw one dossier received (or submitted online) on working day ``di``, among the procedures in force
        (``_procs``). The parts are drawn in this order — the order is what makes the files the same for a seed."""
        R = self.R
        L = Life()
        proc, ci, agency_code, agency_frag = self._pick_procedure(L, procs, cum, total, unl, tables)
        online, channel, r, sub = self._submit_and_receive(proc, di)
        organisation = proc.org_always or (proc.org_some and R() < 0.05)
        vneid = 1 if online and R() < 0.75 else 0
        lc = draw_lifecycle(R, self.cal, proc, r, sub, online)
        code, serial = self._code(agency_code, sub // DAY if online else di)
        L.a = self._head(code, proc, agency_code, agency_frag, channel, organisation, ci, di, sub)
        L.b = self._body(proc, online, vneid)
        L.csdl = self._databases(proc, vneid)
        L.res = self._results(proc, lc, serial) if lc.with_result else "[]"
        L.ev_t, L.ev_s = zip(*lc.events)
        L.tn, L.due, L.ttc, L.tend, L.ttra = lc.tn, (None if lc.no_due else lc.due), lc.ttc, lc.tend, lc.ttra
        L.omit_end = lc.omit_end
        L.sups = lc.sups
        L.delta = 5 + int(R() * 296)
        L.k = 0
        L.status = 0
        L.field = proc.field
        L.online = online
        self._rating(lc, code, online)
        if lc.tn is not None and R() < PETITION_RATE:
            self._petition(lc.tn, agency_code, code)
        return L

    def _pick_procedure(self, L: Life, procs, cum, total, unl, tables) -> tuple:
        """(procedure, commune index, agency code, agency fragment): a procedure by weight (a few the catalogue does
        not list yet), a commune by weight, the commune's committee or the procedure's department; a listed
        procedure not applied to the agency is drawn again among the agency's own (its variant without a fee when
        the agency charges none)."""
        R = self.R
        if unl and R() < cat.UNLISTED_SHARE:
            proc = unl[int(R() * len(unl))]
            L.unlisted = True
        else:
            proc = procs[bisect.bisect(cum, R() * total)]
            L.unlisted = False
        ci = bisect.bisect(self.commune_cum, R() * self.commune_total)
        if ci >= len(self.communes):
            ci = len(self.communes) - 1
        if proc.cap == "xa":
            agency_code, agency_frag = self.commune_agency[ci]
            applied, akey = self.commune_applied[ci], ci
        else:
            agency_code, agency_frag = self.dept_agency[proc.role]
            applied, akey = self.dept_applied.get(proc.role, {}), proc.role
        if not L.unlisted:
            q = applied.get(proc.code)
            if q is None:
                t = tables.get(akey)
                if t is None:
                    t = tables[akey] = self._agency_table(applied, procs)
                if t[0]:
                    q = t[0][bisect.bisect(t[1], R() * t[2])]
            if q is not None:
                proc = q
        return proc, ci, agency_code, agency_frag

    def _submit_and_receive(self, proc: NProc, di: int) -> tuple:
        """(online, channel, reception time, submission time): the channel, reception in office hours (1% just
        after closing) and, online, a submission minutes before or since the previous working days."""
        R = self.R
        cal = self.cal
        online = R() < proc.online_p
        if online:
            channel = 2
        else:
            x = R()
            channel = 3 if x < 0.012 else (None if x < 0.045 else 1)
        day0 = di * DAY
        if R() < 0.01:
            r = day0 + 17 * 3600 + int(R() * 41) * 60 + int(R() * 60)
        else:
            r = day0 + cal.offsec[int(R() * OFFICE_MINUTES)] + int(R() * 60)
        if online:
            lag = R()
            if lag < 0.45:  # submitted the same day, received within the hour or so
                gap = min(300, 3 + int(-math.log(1.0 - R()) * 60))
                sub = r - gap * 60 - int(R() * 60)
            else:  # waited for reception since the previous (or an earlier) working day: evenings, weekends
                since = cal.wd_before(di, 1 if lag < 0.85 else 3) * DAY + 7 * 3600
                if since < self.start_t:  # no submission before the two-level units exist
                    since = self.start_t
                sub = since + int(R() * (max(60, r - since - 180) + 1))
                if sub >= r:
                    sub = r - 60
        else:
            sub = r - (1 + int(R() * 20)) * 60 - int(R() * 60)
        return online, channel, r, sub

    def _code(self, agency_code: str, code_day: int) -> tuple[str, str]:
        """(MaHoSo = agency-yyMMdd-NNNN, its 'yyMMdd-NNNN' part): numbered per agency and day."""
        key = (agency_code, code_day)
        n = self.seq.get(key, 0) + 1
        self.seq[key] = n
        serial = f"{self.cal.yymmdd[code_day]}-{n:04d}"
        return f"{agency_code}-{serial}", serial

    def _head(self, code: str, proc: NProc, agency_code: str, agency_frag: str, channel, organisation: bool, ci: int,
              di: int, sub: int) -> str:
        """The record's fixed fields from MaHoSo to NgayNopHoSo (5% omit MaDonViXuLy)."""
        R = self.R
        omit_agency = R() < 0.05
        a = [f'{{"MaHoSo": "{code}", ', proc.frag, ", ", agency_frag]
        if not omit_agency:
            a.append(f', "MaDonViXuLy": "{agency_code}"')
        if channel is not None:
            a.append(f', "KenhThucHien": {channel}')
        a.append(self.people.applicant(R, ci, organisation, self.cal.ym[di][0]))
        a.append(f', "NgayNopHoSo": "{self.cal.fmt(sub)}"')
        return "".join(a)

    def _body(self, proc: NProc, online: bool, vneid: int) -> str:
        """The record's fixed fields after the dates: fees and payment, components and their files, sync flag."""
        R = self.R
        fees = []
        pay = None
        if proc.co_phi:
            exempt = R() < 0.04
            paid = False
            for head, amounts in proc.fees:
                g = 0 if exempt else amounts[int(R() * len(amounts))]
                paid = paid or g != 0
                fees.append(f"{head}{g}}}")
            if paid:
                if online:
                    z = R() * 100
                    pay = 1 if z < 45 else (2 if z < 65 else 0)
                else:
                    pay = 2 if R() < 0.04 else 0
            else:
                pay = 0
        lo, hi = proc.comps
        n_comp = lo + int(R() * (hi - lo + 1))
        comps = []
        digit = False
        p_file = 0.97 if online else 0.45
        for i in range(1, n_comp + 1):
            kho = 1 if vneid and R() < 0.35 else 0  # vneid implies online
            if R() < p_file:
                self.file_id += 1
                so_hoa = 1 if R() < 0.55 else 0
                tai_sd = 1 if R() < 0.12 else 0
                digit = digit or so_hoa or tai_sd
                comps.append(f'{{"MaThanhPhanHoSo": "TP{i}", "TepDinhKemId": "f-{self.pp}{self.file_id}", '
                             f'"DuocSoHoa": {so_hoa}, "DuocTaiSuDung": {tai_sd}, "DuocLayTuKhoDMQG": {kho}}}')
            else:
                comps.append(NO_FILE[i][kho])
        synced = 1 if R() < 0.97 else 0
        b = [f', "HoSoCoThanhPhanSoHoa": {1 if digit else 0}, "TaiKhoanDuocXacThucVoiVNeID": {vneid}']
        if pay is not None:
            b.append(f', "DuocThanhToanTrucTuyen": {pay}')
        b.append(f', "TrangThaiDongBoDVC": {synced}, "LaHoSoChungThuc": {proc.chung_thuc}, "TaiLieuNop": [')
        b.append(", ".join(comps))
        b.append('], "DanhSachLePhi": [')
        b.append(", ".join(fees))
        b.append("]")
        return "".join(b)

    def _databases(self, proc: NProc, vneid: int) -> str:
        """DSKetNoiCSDL: the population database (more often with VNeID), sometimes the field's other one."""
        R = self.R
        if R() < proc.csdl + (0.15 if vneid else 0.0):
            other = proc.csdl_other
            if other and R() < 0.3:
                return f'[{{"MaCSDL": "{cat.CSDL_POPULATION}"}}, {{"MaCSDL": "{other}"}}]'
            return f'[{{"MaCSDL": "{cat.CSDL_POPULATION}"}}]'
        return "[]"

    def _results(self, proc: NProc, lc: Lifecycle, serial: str) -> str:
        """DanhSachGiayToKetQua: one or two result documents, the first with a file link when the result is
        electronic (the second half the time)."""
        R = self.R
        res = []
        yy, mm = self.cal.ym[lc.tend // DAY]
        for k in range(lc.n_res):
            kq = f"{proc.result}-{serial}" + (f"-{k + 1}" if k else "")
            if lc.eres and (k == 0 or R() < 0.5):
                res.append(f'{{"MaGiayToKetQua": "{kq}", "DuongDanTepTinKetQua": "/ketqua/{yy}/{mm:02d}/{kq}.pdf"}}')
            else:
                res.append(f'{{"MaGiayToKetQua": "{kq}", "DuongDanTepTinKetQua": null}}')
        return "[" + ", ".join(res) + "]"

    # ------------------------------------------------------------------ ratings and PAKN
    def _rating(self, lc: Lifecycle, code: str, online: bool) -> None:
        drawn = draw_rating(self.R, lc.ttra, lc.late, online)
        if drawn is not None:
            t, level = drawn
            mi = bisect.bisect_left(self.T, t)
            if mi < len(self.T):  # given after the range's last extract: never written
                self.ratings.setdefault(mi, []).append((t, code, level))

    def _petition(self, tn: int, agency: str, dossier_code: str) -> None:
        self.pet_seq += 1
        P = draw_petition(self.R, self.cal, f"PAKN-{self.pp}-{self.pet_seq:07d}", tn, agency, dossier_code)
        mi = bisect.bisect_left(self.T, P.t)
        if mi < len(self.T):
            self.pet_new.setdefault(mi, []).append(P)

    # ------------------------------------------------------------------ observation
    def render(self, L: Life, T: int) -> str:
        """L's record at T, counting the dossier (first version) and its status."""
        text, L.k, status = render_record(self.cal.fmt, L, T)
        if L.status:
            self.status[L.status] -= 1
        else:  # first version of this dossier
            self.fields[L.field] += 1
            self.stats["dossiers"] += 1
            self.stats["online"] += L.online
            self.stats["unlisted_procedure"] += L.unlisted
        self.status[status] += 1
        L.status = status
        return text

    # ------------------------------------------------------------------ the months
    def run(self) -> dict:
        cal = self.cal
        (self.out / "dossiers").mkdir(parents=True, exist_ok=True)
        self.parts.mkdir(parents=True, exist_ok=True)
        name = f"procedures/applicability_{self.pp}.csv"  # small: one row per agency and applied procedure
        write_csv(self.out / name, app.COLUMNS, self.applicability_rows)
        self.files[name] = len(self.applicability_rows)
        self.stats["applicability"] += len(self.applicability_rows)
        gen_upto = cal.di(date(*self.months[0], 1)) - 1  # last day index generated
        for mi, (y, m) in enumerate(self.months):
            T = self.T[mi]
            month_key = f"{y:04d}{m:02d}"
            self.writer.start_month(month_key)
            before = self.stats["dossiers"], self.stats["records"] + len(self.writer.batch)
            self._observe_earlier(T)
            last_day = cal.di(date(y, m, _calendar.monthrange(y, m)[1]))
            gen_upto = self._draw_days(gen_upto, last_day, T)
            self.writer.flush()
            # forget code sequences of days no dossier can still be coded with
            horizon = last_day - 40
            self.seq = {k: v for k, v in self.seq.items() if k[1] >= horizon}
            self._write_feedback(mi, T, month_key)
            # bookkeeping and progress
            key = f"{y:04d}-{m:02d}"
            self.open_by_month[key] = len(self.open) + len(self.carry)
            new = self.stats["dossiers"] - before[0]
            recs = self.stats["records"] - before[1]
            self.new_by_month[key] = new
            self.records_by_month[key] = recs
            msg = (self.pp, key, new, recs, len(self.open))
            if self.report:
                self.report(msg)
            elif _QUEUE is not None:
                _QUEUE.put(msg)
        self._surveys()
        return {
            "province": self.pp, "stats": dict(self.stats), "status": dict(self.status), "fields": dict(self.fields),
            "files": self.files, "open_by_month": self.open_by_month, "new_by_month": self.new_by_month,
            "records_by_month": self.records_by_month,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }

    def _observe_earlier(self, T: int) -> None:
        """(1) a new version of every dossier of an earlier extract that changed by T; (2) the dossiers drawn with
        last month's look-ahead days, received by now."""
        still = []
        for L in self.open:
            if L.ev_t[L.k] <= T:
                self.writer.emit(self.render(L, T))
            if L.k < len(L.ev_t):
                still.append(L)
        self.open = still
        later = []
        for L in self.carry:
            if L.ev_t[0] > T:  # (only if a month had fewer working days than the look-ahead)
                later.append(L)
                continue
            self.writer.emit(self.render(L, T))
            if L.k < len(L.ev_t):
                self.open.append(L)
        self.carry = later

    def _draw_days(self, gen_upto: int, last_day: int, T: int) -> int:
        """(3) the dossiers of the month's working days after ``gen_upto``, then (4) of the next month's first
        working days (online dossiers submitted by T: written now, status 1; the others carried to next month).
        Returns the last day index drawn."""
        cal, R = self.cal, self.rng
        month_days = [d for d in cal.working_days_in(gen_upto + 1, last_day)]
        ahead = [cal.wd[cal.nwi[last_day + 1] + j] for j in range(LOOKAHEAD_WORKING_DAYS)]
        for di in month_days + ahead:
            if di <= gen_upto:
                continue
            d = cal.date_of(di)
            procs, cum, total, unl, tables = self._procs(d)
            n = self.base * cal.factor[di] * max(0.3, R.gauss(1.0, 0.12))
            n = int(n) + (1 if R.random() < n - int(n) else 0)
            in_month = di <= last_day
            for _ in range(n):
                L = self.make(di, procs, cum, total, unl, tables)
                if in_month or L.ev_t[0] <= T:
                    self.writer.emit(self.render(L, T))
                    if L.k < len(L.ev_t):
                        self.open.append(L)
                else:
                    self.carry.append(L)
            gen_upto = di
        return gen_upto

    def _write_feedback(self, mi: int, T: int, month_key: str) -> None:
        """(5) the month's ratings and PAKN rows (new petitions, and open ones whose row changed), as parts the
        driver merges into one file per month."""
        rows = sorted(self.ratings.pop(mi, []))
        fmt = self.cal.iso_minute
        self._part(f"ratings_{month_key}", [f"{code},{fmt(t)},{lvl}" for t, code, lvl in rows])
        self.stats["ratings"] += len(rows)
        pet_rows, keep = [], []
        for P in self.pet_open + sorted(self.pet_new.pop(mi, []), key=lambda p: (p.t, p.code)):
            row = petition_row(self.cal, P, T)
            if row != P.last:
                pet_rows.append(row)
                if P.last is None:
                    self.stats["petitions"] += 1
                P.last = row
            if P.final_t > T:
                keep.append(P)
        self.pet_open = keep
        self._part(f"petitions_{month_key}", pet_rows)
        self.stats["petition_rows"] += len(pet_rows)

    def _part(self, name: str, lines: list[str]) -> None:
        if lines:
            with open(self.parts / f"{name}_{self.pp}.csv", "w", encoding="utf-8", newline="\n") as fh:
                fh.write("\n".join(lines))
                fh.write("\n")

    # ------------------------------------------------------------------ SIPAS waves
    def _surveys(self) -> None:
        for name, rows in survey_waves(self.job["seed"], self.pp, self.cal, self.months, self.listed, self.people.names,
                                       self.communes, self.commune_cum, self.commune_total):
            write_csv(self.out / name, src.SURVEY_COLUMNS, rows)
            self.files[name] = len(rows)
            self.stats["survey_respondents"] += len(rows)
