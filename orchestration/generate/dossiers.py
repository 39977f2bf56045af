"""Dossier (hồ sơ) generation: each dossier's whole life is drawn first (submission, reception, processing,
supplements, fee wait, end, return), then observed at the extract time T — events after T are cut off and the
status is the one in force at T. That gives open dossiers near the end of the range, carried-over dossiers and
online submissions not yet received, with every rule of METHODOLOGY §2 / DATA_CONTRACT §1.6 holding.

Records are dicts keyed by the national field names (DATA_CONTRACT §1.1 a), in the order of the sync
payload, with ``datetime`` values for dates; private keys start with '_' and are never written.
"""

from __future__ import annotations

import itertools
import math
from datetime import date, datetime, time, timedelta

from orchestration.generate import catalogue as cat
from orchestration.generate import lifecycle_rules as rules
from orchestration.generate.workcal import CLOSE

ONLINE_FACTOR = {"toan_trinh": 1.2, "mot_phan": 0.7, "khong": 0.0}
TREND_START, TREND_END = date(2023, 1, 1), date(2024, 12, 31)  # online share and VNeID use grow over these years

STATUS_RECEIVED = {2, 4, 5, 6, 7, 8, 9, 10}
STATUS_ENDED = {7, 8, 9, 10}


def _progress(d: date) -> float:
    x = (d - TREND_START).days / (TREND_END - TREND_START).days
    return min(1.0, max(0.0, x))


def _yymmdd(d: date) -> str:
    return f"{d.year % 100:02d}{d.month:02d}{d.day:02d}"


def day_factor(tet: list[tuple[date, date]], d: date) -> float:
    """Relative volume of a working day: dips around Tết (``tet``: WorkCalendar.tet_blocks()), December and
    Monday peaks. Shared with the national generator (national_calendar.FastCal.factor)."""
    f = 1.0
    for a, b in tet:
        if a - timedelta(days=7) <= d < a:
            f *= 0.85  # the last week before Tết
        elif b < d <= b + timedelta(days=10):
            f *= 0.5  # the first days after Tết: offices reopen slowly
        elif b + timedelta(days=10) < d <= b + timedelta(days=20):
            f *= 0.8
    if d.month == 12:
        f *= 1.1  # year-end
    f *= (1.1, 1.0, 1.0, 1.0, 0.9)[d.weekday()]
    return f


class DossierFactory:
    def __init__(self, rng, cal, scope, people, extract_time: datetime, applied: dict | None = None):
        self.rng = rng
        # the applicability list ({agency_code: {ma_tthc: applicability.Applied}}), or None: any procedure of the
        # agency's level (the generator before the list existed — raw/sample)
        self.applied = applied
        self._agency_cache: dict = {}
        self.cal = cal
        self.scope = scope
        self.people = people
        self.T = extract_time
        self.seq: dict = {}
        self.file_id = 100000
        # commune weights: the town is bigger, communes vary
        self.communes = [u.code for u in scope.communes]
        weights = [(1.9 if u.unit_type == "thi_tran" else rng.uniform(0.6, 1.4)) for u in scope.communes]
        self.commune_cum = list(itertools.accumulate(weights))
        self._proc_cache: dict = {}
        self.tet = cal.tet_blocks()

    # ------------------------------------------------------------------ volume
    def day_factor(self, d: date) -> float:
        return day_factor(self.tet, d)

    def generate(self, start: date, per_year: float, progress=None) -> list[dict]:
        cal, rng, T = self.cal, self.rng, self.T
        years = range(start.year, T.year + 1)
        wd_per_year = sum(len(cal.working_days_in(date(y, 1, 1), date(y, 12, 31))) for y in years) / len(years)
        base = per_year / wd_per_year
        # a few working days past T: online dossiers submitted before T but received after it (status 1)
        days = cal.working_days_in(start, T.date()) + [cal.wd_after(T.date(), k) for k in (1, 2, 3)]
        out = []
        month = None
        for d in days:
            if progress and (d.year, d.month) != month and d <= T.date():
                month = (d.year, d.month)
                progress(f"dossiers: generating {d.year}-{d.month:02d} ({len(out):,} so far)")
            n = base * self.day_factor(d) * max(0.3, rng.gauss(1.0, 0.12))
            n = int(n) + (1 if rng.random() < n - int(n) else 0)
            for _ in range(n):
                rec = self.make(d)
                if rec is not None:
                    out.append(rec)
        out.sort(key=lambda r: (r["_batch"], r["_sort"], r["MaHoSo"]))
        return out

    # ------------------------------------------------------------------ helpers
    def _procedures(self, d: date):
        key = tuple(p.in_force(d) for p in cat.PROCEDURES)
        hit = self._proc_cache.get(key)
        if hit is None:
            procs = [p for p, ok in zip(cat.PROCEDURES, key) if ok]
            unl = [p for p in cat.UNLISTED_PROCEDURES if p.in_force(d)]
            hit = (procs, list(itertools.accumulate(p.weight for p in procs)), unl)
            self._proc_cache[key] = hit
        return hit

    def _agency_procedures(self, agency_code: str, d: date):
        """The procedures applied to the agency and in force on day ``d`` (catalogue and row validity), with
        cumulative weights."""
        key = (agency_code, d)
        hit = self._agency_cache.get(key)
        if hit is None:
            rows = self.applied.get(agency_code, {})
            procs = [p for p in cat.PROCEDURES if p.ma_tthc in rows and p.in_force(d) and rows[p.ma_tthc].valid_on(d)]
            hit = (procs, list(itertools.accumulate(p.weight for p in procs)))
            self._agency_cache[key] = hit
        return hit

    def _commune(self) -> str:
        return self.rng.choices(self.communes, cum_weights=self.commune_cum)[0]

    def _code(self, agency: str, d: date) -> str:
        key = (agency, d)
        n = self.seq.get(key, 0) + 1
        self.seq[key] = n
        return f"{agency}-{_yymmdd(d)}-{n:04d}"

    def _pick_end(self, r: datetime, due: datetime, klass: str) -> datetime:
        """End of processing: the day by the shared rule (lifecycle_rules.pick_end_day), a time in office hours."""
        cal, rng = self.cal, self.rng
        end_day = rules.pick_end_day(cal, rng.random, r.date(), due.date(), klass)
        return cal.office_time(end_day, rng, after=r if end_day == r.date() else None)

    # ------------------------------------------------------------------ one dossier
    def make(self, day: date) -> dict | None:
        rng, cal, T, scope = self.rng, self.cal, self.T, self.scope
        procs, cum, unlisted = self._procedures(day)
        is_unlisted = bool(unlisted) and rng.random() < cat.UNLISTED_SHARE
        if is_unlisted:
            proc = rng.choice(unlisted)
        else:
            proc = rng.choices(procs, cum_weights=cum)[0]
        commune = self._commune()
        if proc.cap == "xa" or (proc.cap == "huyen;xa" and rng.random() < 0.85):
            agency = scope.commune_agency[commune]
        else:
            agency = scope.roles[proc.role]
        if scope.reform_date is not None and day >= scope.reform_date:
            # after the 2025 reorganisation: the new commune that took the commune in (the district's offices' work
            # goes to the new commune of the former district seat) — same draws, so the months before are unchanged
            agency = scope.successor_agency[agency.code]
        own_fee = None
        if self.applied is not None and not is_unlisted:
            # a dossier is for a procedure applied to its agency: otherwise drawn again among the agency's own
            # (a procedure the catalogue does not list yet is kept: it cannot be in the list either)
            rows = self.applied.get(agency.code, {})
            a = rows.get(proc.ma_tthc)
            if a is None or not a.valid_on(day):
                own, own_cum = self._agency_procedures(agency.code, day)
                if own:
                    proc = rng.choices(own, cum_weights=own_cum)[0]
                    a = rows[proc.ma_tthc]
                else:  # nothing applied to the agency that day (not expected): keep the drawn procedure
                    a = None
            if a is not None:
                own_fee = a.co_phi
        co_phi = proc.co_phi if own_fee is None else own_fee  # the agency's own fee flag when its row gives one
        prof = cat.FIELD_PROFILES[proc.ma_linh_vuc]
        prog = _progress(day)

        # channel, submission and reception
        online = rng.random() < (0.36 + 0.22 * prog) * ONLINE_FACTOR[proc.muc_do]
        if online:
            channel = 2
        else:
            x = rng.random()
            channel = 3 if x < 0.012 else (None if x < 0.045 else 1)
        if rng.random() < 0.01:  # received just after closing time (overtime)
            r = datetime(day.year, day.month, day.day, 17, rng.randint(0, 40), rng.randint(0, 59))
        else:
            r = cal.office_time(day, rng)
        if online:
            lag = rng.random()
            if lag < 0.45:  # submitted the same day, received within the hour or so
                gap = min(300, 3 + int(rng.expovariate(1 / 60)))
                sub = r - timedelta(minutes=gap, seconds=rng.randint(0, 59))
            else:  # waited for reception since the previous (or an earlier) working day: evenings, weekends
                since = datetime.combine(cal.wd_before(day, 1 if lag < 0.85 else 3), time(7, 0))
                sub = since + timedelta(seconds=rng.randint(0, max(60, int((r - since).total_seconds()) - 180)))
        else:
            sub = r - timedelta(minutes=rng.randint(1, 20), seconds=rng.randint(0, 59))
        if sub > T:
            return None
        organisation = proc.cong_dan == 0 or (proc.ma_linh_vuc == "G07-DT" and rng.random() < 0.05)
        applicant = self.people.applicant(commune, organisation=organisation, year=day.year)
        if not organisation and rng.random() < 0.004:
            applicant["LoaiDoiTuong"] = 4
        vneid = 1 if online and rng.random() < 0.35 + 0.4 * prog else 0

        # ---- the whole lifecycle (its shares, tables and end-day choice: lifecycle_rules, shared with national)
        ev: list[tuple[datetime, int]] = []
        times: dict = {}
        sups: list[dict] = []
        ended_with_result = False
        late = False
        omit_end = False
        eres = False
        n_res = 1
        if online:
            ev.append((sub, 1))
        refused, never = rules.reception_outcome(rng.random(), online)
        due = None
        if refused:
            times["NgayTuChoi"] = r
            ev.append((r, 3))
        elif not never:
            times["NgayTiepNhan"] = r
            ev.append((r, 2))
            due = cal.due(r, proc.thoi_han, proc.don_vi)
            fate = rules.end_fate(rng.random())
            if fate != rules.RESULT:  # withdrawn or stopped before any result
                span = max(600.0, (due - r).total_seconds())
                end = cal.snap_to_office(r + timedelta(seconds=int(span * rules.early_stop_fraction(rng.random()))))
                if end <= r:
                    end = r + timedelta(minutes=rng.randint(*rules.EARLY_STOP_MIN_MINUTES))
                ev.append((end, fate))
                times["NgayKetThucXuLy"] = end
            else:
                klass = rules.processing_class(rng.random(), prof["late"], rules.early_cut(prof["late"]))
                late = klass == "late"
                end = self._pick_end(r, due, klass)
                nsup = rules.supplement_count(rng.random(), prof["supp1"], prof["supp2"])
                cur_due, t_prev = due, r
                for _ in range(nsup):
                    span = (end - t_prev).total_seconds()
                    if span < rules.MIN_SPAN_FOR_SUPPLEMENT:
                        break
                    req = t_prev + timedelta(seconds=int(span * rng.uniform(0.15, 0.7)))
                    snapped = cal.snap_to_office(req)
                    if snapped < end:
                        req = snapped
                    if rng.random() < rules.NEVER_SUPPLEMENTS:  # stopped some weeks later
                        sups.append({"NgayBoSung": req, "NgayTiepNhanBoSung": None, "NgayHenTraTruoc": cur_due,
                                     "NgayHenTraMoi": None})
                        ev.append((req, 5))
                        stop = cal.office_time(cal.wd_after(req.date(), rng.randint(*rules.STOP_AFTER_WORKING_DAYS)), rng)
                        ev.append((stop, rules.STOPPED))
                        times["NgayKetThucXuLy"] = stop
                        fate = rules.STOPPED
                        break
                    wait = rules.supplement_wait_days(rng.random())
                    rec_t = cal.office_time(cal.next_working(req.date() + timedelta(days=wait)), rng)
                    delta = rec_t - req
                    new_due = datetime.combine(
                        cal.next_working(cur_due.date() + timedelta(days=math.ceil(delta.total_seconds() / 86400))), CLOSE)
                    sups.append({"NgayBoSung": req, "NgayTiepNhanBoSung": rec_t, "NgayHenTraTruoc": cur_due,
                                 "NgayHenTraMoi": new_due})
                    ev.append((req, 5))
                    ev.append((rec_t, 4))
                    end = end + delta
                    cur_due, t_prev = new_due, rec_t
                if len(sups) > 1:
                    late = True
                if fate == rules.RESULT:
                    end = cal.snap_to_office(end)
                    if end <= t_prev:
                        end = t_prev + timedelta(minutes=rng.randint(*rules.RESULT_MIN_MINUTES))
                    if co_phi and proc.ma_linh_vuc in rules.FEE_WAIT_FIELDS and rng.random() < rules.FEE_WAIT_SHARE:
                        # waiting for the applicant to pay fees / financial obligations before the result
                        gap_s = (end - t_prev).total_seconds()
                        if gap_s > rules.FEE_WAIT_MIN_GAP:
                            wait_from = t_prev + timedelta(seconds=int(rules.fee_wait_fraction(rng.random()) * gap_s))
                            snapped = cal.snap_to_office(wait_from)
                            ev.append((snapped if snapped < end else wait_from, 6))
                    ev.append((end, 9))
                    times["NgayKetThucXuLy"] = end
                    ended_with_result = True
                    eres = rng.random() < prof["eres"] + (rules.E_RESULT_ONLINE_BONUS if online else 0.0)
                    n_res = 1 if rng.random() < rules.ONE_RESULT else 2
                    if rng.random() < rules.RETURNED:
                        if online and eres and rng.random() < rules.QUICK_ONLINE_RETURN:
                            ret = end + timedelta(minutes=rng.randint(*rules.QUICK_ONLINE_RETURN_MINUTES),
                                                  seconds=rng.randint(0, 59))
                        else:
                            k = rules.return_days(rng.random())
                            if k == 0:
                                ret = end + timedelta(minutes=rng.randint(*rules.SAME_DAY_RETURN_MINUTES),
                                                      seconds=rng.randint(0, 59))
                            else:
                                ret = cal.office_time(cal.wd_after(end.date(), k), rng)
                        ev.append((ret, 10))
                        times["NgayTra"] = ret
                        omit_end = rng.random() < rules.OMIT_END_WHEN_SAME_DAY and ret.date() == end.date()
            if rng.random() < rules.PROCESSING_STARTS:
                p = r + timedelta(minutes=rng.randint(*rules.PROCESSING_START_MINUTES), seconds=rng.randint(0, 59))
                if all(p < t for t, s in ev if t > r):
                    ev.append((p, 4))
            if rng.random() < rules.NO_DUE_DATE and not sups:
                times["_no_due"] = True

        # ---- observe at T
        ev.sort(key=lambda e: e[0])
        seen = [e for e in ev if e[0] <= T]
        if not seen:
            return None
        status = seen[-1][1]
        last = seen[-1][0]
        received = "NgayTiepNhan" in times and times["NgayTiepNhan"] <= T

        def at(field):
            t = times.get(field)
            return t if t is not None and t <= T else None

        code_day = sub.date() if online else r.date()
        code = self._code(agency.code, code_day)
        fees = []
        if co_phi:
            exempt = rng.random() < 0.04
            fees = [{"MaPhiLePhi": fe.code, "TenPhiLePhi": fe.name, "Gia": 0 if exempt else rng.choice(fe.amounts)}
                    for fe in proc.fees]
        pay = None
        if co_phi:
            if any(fe["Gia"] for fe in fees):
                if online:
                    pay = rng.choices((1, 2, 0), (45, 20, 35))[0]
                else:
                    pay = 2 if rng.random() < 0.04 else 0
            else:
                pay = 0
        n_comp = rng.randint(*prof["comps"])
        comps = []
        for i in range(1, n_comp + 1):
            has_file = (rng.random() < 0.97) if online else (rng.random() < 0.45)
            if has_file:
                self.file_id += 1
            comps.append({
                "MaThanhPhanHoSo": f"TP{i}",
                "TepDinhKemId": f"f-{self.file_id}" if has_file else None,
                "DuocSoHoa": 1 if has_file and rng.random() < 0.55 else 0,
                "DuocTaiSuDung": 1 if has_file and rng.random() < 0.12 else 0,
                "DuocLayTuKhoDMQG": 1 if online and vneid and rng.random() < 0.35 else 0,
            })
        csdl = []
        if rng.random() < prof["csdl"] + (0.15 if vneid else 0.0):
            csdl.append({"MaCSDL": cat.CSDL_POPULATION})
            other = cat.CSDL_OTHER.get(proc.ma_linh_vuc)
            if other and rng.random() < 0.3:
                csdl.append({"MaCSDL": other})
        results = []
        if ended_with_result:
            for k in range(n_res):
                kq = f"{proc.result}-{code.rsplit('-', 2)[1]}-{code.rsplit('-', 1)[1]}" + (f"-{k + 1}" if k else "")
                link = None
                if eres and (k == 0 or rng.random() < 0.5):
                    end_t = times["NgayKetThucXuLy"]
                    link = f"/ketqua/{end_t.year}/{end_t.month:02d}/{kq}.pdf"
                results.append({"MaGiayToKetQua": kq, "DuongDanTepTinKetQua": link})
        synced = 1 if rng.random() < 0.97 else 0
        omit_agency = rng.random() < 0.05
        cap_nhat = min(T, last + timedelta(seconds=rng.randint(5, 300)))

        obs_sups = []
        for s in sups:
            if s["NgayBoSung"] > T:
                continue
            done = s["NgayTiepNhanBoSung"] is not None and s["NgayTiepNhanBoSung"] <= T
            obs_sups.append({
                "NgayBoSung": s["NgayBoSung"],
                "NgayTiepNhanBoSung": s["NgayTiepNhanBoSung"] if done else None,
                "NgayHenTraTruoc": s["NgayHenTraTruoc"],
                "NgayHenTraMoi": s["NgayHenTraMoi"] if done else None,
            })
        rec = {
            "MaHoSo": code,
            "MaTTHC": proc.ma_tthc,
            "TenTTHC": proc.ten_tthc,
            "MaLinhVuc": proc.ma_linh_vuc,
            "TenLinhVuc": proc.ten_linh_vuc,
            "DonViXuLy": agency.name,
            "MaDonViXuLy": None if omit_agency else agency.code,
            "KenhThucHien": channel,
            "ChuHoSo": applicant["ChuHoSo"],
            "SoGiayToChuHoSo": applicant["SoGiayToChuHoSo"],
            "SoDienThoai": applicant["SoDienThoai"],
            "Email": applicant["Email"],
            "DiaChi": applicant["DiaChi"],
            "LoaiDoiTuong": applicant["LoaiDoiTuong"],
            "NgayNopHoSo": sub,
            "NgayTiepNhan": r if received else None,
            "NgayHenTra": due if received and not times.get("_no_due") else None,
            "TrangThaiHoSo": status,
            "NgayKetThucXuLy": None if (status == 10 and omit_end) else at("NgayKetThucXuLy"),
            "NgayTra": at("NgayTra"),
            "NgayTuChoi": at("NgayTuChoi"),
            "HoSoCoThanhPhanSoHoa": 1 if any(c["DuocSoHoa"] or c["DuocTaiSuDung"] for c in comps) else 0,
            "TaiKhoanDuocXacThucVoiVNeID": vneid,
            "DuocThanhToanTrucTuyen": pay,
            "TrangThaiDongBoDVC": synced,
            "LaHoSoChungThuc": 1 if proc.ma_linh_vuc == "G11-CT" else 0,
            "TaiLieuNop": comps,
            "DanhSachLePhi": fees,
            "DanhSachHoSoBoSung": obs_sups,
            "DanhSachGiayToKetQua": results if status in (9, 10) else [],
            "DSKetNoiCSDL": csdl if received else [],
            "NgayCapNhat": cap_nhat,
            # private (never written)
            "_batch": f"{(r if received else sub).year:04d}{(r if received else sub).month:02d}",
            "_sort": r if received else sub,
            "_late": late,
            "_commune": commune,
        }
        return rec
