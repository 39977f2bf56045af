"""A small hand-made lake for developing and testing the dbt project.

    .venv/bin/python dbt_project/dev/dev_lake.py /tmp/devlake     # writes the sample below

`write_lake(lake_dir, dossiers, procedures)` writes every lake table (empty ones through
orchestration.lib.lake_schema.write_empty_lake) and fills dossiers (partitioned by reception month) and
procedures from plain dicts keyed by lake column names. The SAMPLE dossiers are the fixture of
tests/test_dbt_build.py, whose comments carry the hand computation of every expected value.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from orchestration.lib.lake_schema import DOSSIERS, PROCEDURES, write_empty_lake  # noqa: E402

# Procedures: (code, name, field code, field name, levels, limit, unit)
SAMPLE_PROCEDURES = [
    ("1.001193", "Đăng ký khai sinh", "G09-HT", "Hộ tịch", "xa", 3, "ngay_lam_viec"),
    ("1.004227", "Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất lần đầu", "G05-DD", "Đất đai", "huyen", 30, "ngay"),
    ("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "G11-CT", "Chứng thực", "huyen;xa", 0.5,
     "ngay_lam_viec"),
]

_AG_PHU_THONG = ("000.01.63.H06", "UBND thị trấn Phủ Thông")  # commune 01969
_AG_VI_HUONG = ("000.02.63.H06", "UBND xã Vi Hương")  # commune 01975
_AG_DISTRICT = ("000.20.63.H06", "Chi nhánh Văn phòng đăng ký đất đai huyện Bạch Thông")  # district 063


def _d(code, agency, proc, channel, status, received, due=None, ended=None, returned=None, refused=None,
       submitted=None, supplements=0, supp_req=None, supp_rec=None, updated=None):
    p = next(p for p in SAMPLE_PROCEDURES if p[0] == proc)
    return {
        "ma_ho_so": code, "ma_tthc": proc, "ten_tthc": p[1], "ma_linh_vuc": p[2], "ten_linh_vuc": p[3],
        "don_vi_xu_ly": agency[1], "ma_don_vi_xu_ly": agency[0], "kenh_thuc_hien": channel,
        "chu_ho_so_pseudonym": "psd-" + code[-4:], "loai_doi_tuong": 1,
        "ngay_nop_ho_so": submitted or received, "ngay_tiep_nhan": received, "ngay_hen_tra": due,
        "trang_thai_ho_so": status, "ngay_ket_thuc_xu_ly": ended, "ngay_tra": returned, "ngay_tu_choi": refused,
        "so_lan_bo_sung": supplements, "ngay_bo_sung": supp_req, "ngay_tiep_nhan_bo_sung": supp_rec,
        "ngay_cap_nhat": updated or ended or returned or refused or supp_req or received or submitted,
    }


# As-of = the latest ngay_cap_nhat = 2024-04-10 12:00 (Z3): April 2024, 2024-Q2, 2024-H1, 2024 are running.
SAMPLE_DOSSIERS = [
    # commune 01969 (Phủ Thông), Hộ tịch (3 working days)
    _d("X1", _AG_PHU_THONG, "1.001193", 2, 10, "2024-01-15 09:00", "2024-01-18 17:00", ended="2024-01-17 10:00"),
    _d("X2", _AG_PHU_THONG, "1.001193", 1, 4, "2024-02-26 09:00", "2024-03-05 17:00"),
    _d("X3", _AG_PHU_THONG, "1.001193", 2, 10, "2024-03-04 08:00", "2024-03-07 17:00", ended="2024-03-06 10:00"),
    _d("X4", _AG_PHU_THONG, "1.001193", None, 9, "2024-03-04 08:30", "2024-03-07 17:00", ended="2024-03-07 16:00"),
    _d("X5", _AG_PHU_THONG, "1.001193", 3, 10, "2024-03-04 09:00", "2024-03-07 17:00", ended="2024-03-11 09:00"),
    _d("X6", _AG_PHU_THONG, "1.001193", 2, 10, "2024-03-05 09:00", "2024-03-08 17:00", ended="2024-03-12 10:00",
       supplements=1, supp_req="2024-03-06 09:00", supp_rec="2024-03-11 09:00"),
    _d("X7", _AG_PHU_THONG, "1.001193", 2, 2, "2024-03-25 09:00", "2024-04-05 17:00"),
    _d("X8", _AG_PHU_THONG, "1.001193", 2, 1, None, submitted="2024-03-10 20:00"),
    _d("X9", _AG_PHU_THONG, "1.001193", 1, 3, "2024-03-11 08:00", refused="2024-03-11 08:30"),
    # commune 01975 (Vi Hương), Chứng thực (0.5 working day = 4 working hours) and one Hộ tịch
    _d("Y1", _AG_VI_HUONG, "2.000815", 2, 10, "2024-03-12 08:00", ended="2024-03-12 11:00"),
    _d("Y2", _AG_VI_HUONG, "2.000815", 1, 10, "2024-03-12 15:00", ended="2024-03-13 10:00"),
    _d("Y3", _AG_VI_HUONG, "2.000815", 1, 7, "2024-03-13 08:00", "2024-03-15 17:00", ended="2024-03-20 09:00"),
    _d("Y4", _AG_VI_HUONG, "2.000815", 2, 5, "2024-03-14 09:00", "2024-03-19 17:00",
       supplements=1, supp_req="2024-03-15 10:00"),
    _d("Y5", _AG_VI_HUONG, "1.001193", 1, 4, "2024-03-18 09:00", "2024-04-30 17:00",
       supplements=2, supp_req="2024-03-19 09:00", supp_rec="2024-03-20 09:00", updated="2024-03-28 09:00"),
    # district 063 land-registry branch, Đất đai (30 calendar days)
    _d("Z1", _AG_DISTRICT, "1.004227", 1, 10, "2024-03-01 10:00", ended="2024-03-28 15:00"),
    _d("Z2", _AG_DISTRICT, "1.004227", 1, 8, "2024-02-01 10:00", "2024-03-15 17:00", returned="2024-03-29 10:00"),
    _d("Z3", _AG_DISTRICT, "1.004227", 2, 10, "2024-03-20 10:00", "2024-04-19 17:00", returned="2024-04-05 10:00",
       updated="2024-04-10 12:00"),
]


def write_lake(lake_dir, dossiers=(), procedures=()) -> None:
    import duckdb
    import pandas as pd

    lake_dir = str(lake_dir)
    if os.path.exists(lake_dir):
        shutil.rmtree(lake_dir)
    write_empty_lake(lake_dir)
    con = duckdb.connect()

    def materialise(name, schema, rows):
        cols = ", ".join(f"{c} {t}" for c, t in schema.items())
        con.execute(f"create table {name} ({cols})")
        if rows:
            frame = pd.DataFrame([{c: r.get(c) for c in schema} for r in rows]).astype(object)
            frame = frame.where(frame.notna(), None)
            con.register("frame", frame)
            casts = ", ".join(f"cast(frame.{c} as {t})" for c, t in schema.items())
            con.execute(f"insert into {name} select {casts} from frame")
            con.unregister("frame")

    prov = {"_source_file": "dev/sample", "_source_sha256": "0" * 64, "_loaded_at": "2024-04-11 00:00"}
    materialise("dossiers", DOSSIERS, [
        {**prov, "_source_record": i + 1, **d} for i, d in enumerate(dossiers)
    ])
    materialise("procedures", PROCEDURES, [
        {**prov, "_source_record": i + 1, "ma_tthc": p[0], "ten_tthc": p[1], "ma_linh_vuc": p[2],
         "ten_linh_vuc": p[3], "cap_thuc_hien": p[4], "thoi_han": p[5], "don_vi_thoi_han": p[6],
         "hieu_luc_tu": "2020-01-01"}
        for i, p in enumerate(procedures)
    ])
    months = con.sql(
        "select distinct strftime(coalesce(ngay_tiep_nhan, ngay_nop_ho_so), '%Y-%m') from dossiers"
    ).fetchall()
    for (month,) in months:
        folder = os.path.join(lake_dir, "dossiers", f"thang_tiep_nhan={month}")
        os.makedirs(folder, exist_ok=True)
        con.execute(
            f"copy (select * from dossiers where strftime(coalesce(ngay_tiep_nhan, ngay_nop_ho_so), '%Y-%m') = '{month}')"
            f" to '{folder}/part-0.parquet' (format parquet)"
        )
    if procedures:
        con.execute(f"copy procedures to '{lake_dir}/procedures/part-0.parquet' (format parquet)")
    con.close()


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "/tmp/devlake"
    write_lake(target, SAMPLE_DOSSIERS, SAMPLE_PROCEDURES)
    print(f"sample lake written to {target}")
