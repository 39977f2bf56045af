"""Dossier ingestion in-process: formats, row rules, quarantine, pseudonymisation, accounting, idempotency."""

import csv
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import lake_build, landing
from orchestration.ingest.errors import FileRejected, QuarantineLimitExceeded
from orchestration.lib.lake_schema import DOSSIER_FLAT_COLUMNS
from orchestration.lib.layout import LakeFiles
from orchestration.lib.settings import Settings

AGENCY = "000.06.63.H06"  # UBND xã Lục Bình (seed agencies.csv)


def dossier(code="000.06.63.H06-230612-0001", **over):
    d = {
        "MaHoSo": code, "MaTTHC": "1.001193", "TenTTHC": "Đăng ký khai sinh", "MaLinhVuc": "G09-HT",
        "TenLinhVuc": "Hộ tịch", "DonViXuLy": "UBND xã Lục Bình", "MaDonViXuLy": AGENCY, "KenhThucHien": 2,
        "ChuHoSo": "Hoàng Thị Mai", "SoGiayToChuHoSo": "006190004321", "SoDienThoai": "0987000111",
        "Email": "mai.ht@example.vn", "DiaChi": "Thôn Nà Pài", "LoaiDoiTuong": 1,
        "NgayNopHoSo": "20230612074512", "NgayTiepNhan": "20230612081000", "NgayHenTra": "20230613170000",
        "TrangThaiHoSo": 10, "NgayKetThucXuLy": "20230613093000", "NgayTra": "20230613140000",
        "TaiLieuNop": [{"MaThanhPhanHoSo": "TP1", "TepDinhKemId": "f-1", "DuocSoHoa": 1, "DuocTaiSuDung": 0, "DuocLayTuKhoDMQG": 1}],
        "DanhSachLePhi": [{"MaPhiLePhi": "LP", "TenPhiLePhi": "Lệ phí", "Gia": 25000}],
        "DanhSachHoSoBoSung": [], "DanhSachGiayToKetQua": [{"MaGiayToKetQua": "KQ", "DuongDanTepTinKetQua": "/kq.pdf"}],
        "NgayCapNhat": "20230613140210",
    }
    d.update(over)
    return d


def write_json(path: Path, records, root=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = root if root is not None else {"service": "DongBoHoSoMC", "isUpdating": False, "data": records}
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path):
    (tmp_path / "raw" / "dossiers").mkdir(parents=True)
    return Settings(raw_dir=tmp_path / "raw", out_dir=tmp_path / "out", max_quarantine_share=1.0)


def landed_rows(settings, load):
    return duckdb.sql(f"SELECT * FROM read_parquet('{LakeFiles(settings.lake_dir).landed('dossiers', load.sha256)}')").df()


def quarantined(settings, load):
    return duckdb.sql(f"SELECT * FROM read_parquet('{LakeFiles(settings.lake_dir).quarantine('dossiers', load.sha256)}')").df()


def test_valid_dossier_is_loaded_reduced_and_pseudonymised(settings):
    path = write_json(settings.raw_dir / "dossiers" / "a.json", [dossier()])
    load = landing.land_dossier_file(settings, path)
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (1, 1, 0)
    row = landed_rows(settings, load).iloc[0]
    assert row.ma_don_vi_xu_ly == AGENCY and row.kenh_thuc_hien == 2 and row.trang_thai_ho_so == 10
    assert bool(row.co_tep_dinh_kem) and bool(row.lay_tu_kho_dmqg) and bool(row.co_ket_qua_dien_tu)
    assert row.tong_le_phi == 25000 and row.so_lan_bo_sung == 0
    assert len(row.chu_ho_so_pseudonym) == 24
    text = path.parent.parent.parent.joinpath("out").as_posix()
    blob = b"".join(p.read_bytes() for p in Path(text).rglob("*") if p.is_file())
    for pii in ["Hoàng Thị Mai".encode(), b"006190004321", b"0987000111", b"mai.ht@example.vn", "Nà Pài".encode()]:
        assert pii not in blob


def test_pseudonym_is_keyed_and_stable(settings, tmp_path):
    path = write_json(settings.raw_dir / "dossiers" / "a.json", [dossier()])
    a = landed_rows(settings, landing.land_dossier_file(settings, path)).iloc[0].chu_ho_so_pseudonym
    other = Settings(raw_dir=settings.raw_dir, out_dir=tmp_path / "out2", pseudonym_key="another-key")
    b = landed_rows(other, landing.land_dossier_file(other, path)).iloc[0].chu_ho_so_pseudonym
    same = Settings(raw_dir=settings.raw_dir, out_dir=tmp_path / "out3")
    c = landed_rows(same, landing.land_dossier_file(same, path)).iloc[0].chu_ho_so_pseudonym
    assert a != b and a == c


@pytest.mark.parametrize("over, rule, field", [
    ({"TrangThaiHoSo": 11}, "unknown_status", "trang_thai_ho_so"),
    ({"KenhThucHien": 7}, "unknown_channel", "kenh_thuc_hien"),
    ({"NgayTiepNhan": "20230230081000"}, "unparseable_date", "ngay_tiep_nhan"),
    ({"NgayNopHoSo": "19990101080000"}, "date_before_2000", "ngay_nop_ho_so"),
    ({"NgayCapNhat": "20990101000000"}, "date_in_future", "ngay_cap_nhat"),
    ({"NgayKetThucXuLy": "20230611093000"}, "before_reception", "ngay_ket_thuc_xu_ly"),
    ({"NgayTiepNhan": None}, "missing_reception", "ngay_tiep_nhan"),
    ({"NgayKetThucXuLy": None, "NgayTra": None}, "missing_end", "ngay_ket_thuc_xu_ly"),
    ({"MaDonViXuLy": "000.99.99.H99", "MaHoSo": "000.99.99.H99-230612-0001"}, "unknown_agency", "ma_don_vi_xu_ly"),
    ({"DanhSachHoSoBoSung": [{"NgayBoSung": "20230612100000", "NgayTiepNhanBoSung": "20230612090000"}]},
     "supplement_before_request", "ngay_tiep_nhan_bo_sung"),
])
def test_row_rules_quarantine_with_field_value_and_rule(settings, over, rule, field):
    good = dossier("000.06.63.H06-230612-0002")
    path = write_json(settings.raw_dir / "dossiers" / "a.json", [good, dossier(**over)])
    load = landing.land_dossier_file(settings, path)
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (2, 1, 1)
    q = quarantined(settings, load)
    hit = q[q["rule"] == rule]
    assert len(hit) >= 1, q
    assert hit.iloc[0]["field"] == field and hit.iloc[0]["_source_record"] == 2
    assert hit.iloc[0]["_source_file"] == "dossiers/a.json"


def test_agency_taken_from_the_code_prefix_when_absent(settings):
    path = write_json(settings.raw_dir / "dossiers" / "a.json", [dossier(MaDonViXuLy=None)])
    load = landing.land_dossier_file(settings, path)
    assert load.rows_loaded == 1 and landed_rows(settings, load).iloc[0].ma_don_vi_xu_ly == AGENCY


def test_exact_duplicates_dropped_and_counted_conflicts_quarantined(settings):
    a, b = dossier(), dossier("000.06.63.H06-230612-0009")
    b_conflict = dossier("000.06.63.H06-230612-0009", KenhThucHien=1)  # same version time, other content
    path = write_json(settings.raw_dir / "dossiers" / "a.json", [a, a, b, b_conflict])
    load = landing.land_dossier_file(settings, path)
    # read 4 = loaded 1 (a) + quarantined 2 (both conflicting versions of …0009) + 1 exact duplicate of a
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined, load.duplicates_dropped) == (4, 1, 2, 1)
    assert load.balanced


def test_nfd_text_is_normalised_to_nfc(settings):
    import unicodedata
    nfd = unicodedata.normalize("NFD", "Hộ tịch")
    path = write_json(settings.raw_dir / "dossiers" / "a.json", [dossier(TenLinhVuc=nfd)])
    load = landing.land_dossier_file(settings, path)
    assert landed_rows(settings, load).iloc[0].ten_linh_vuc == unicodedata.normalize("NFC", "Hộ tịch")


@pytest.mark.parametrize("content, rule", [
    ('{"service": "DongBoHoSoMC", "data": [{"MaHoSo": "x"', "unreadable_json"),
    ('[{"MaHoSo": "x"}]', "wrong_json_root"),
    ("", "empty_file"),
])
def test_unreadable_files_are_rejected_naming_the_file(settings, content, rule):
    path = settings.raw_dir / "dossiers" / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FileRejected) as exc:
        landing.land_dossier_file(settings, path)
    assert exc.value.rule == rule and "dossiers/broken.json" in str(exc.value)


def test_quarantine_share_above_the_limit_stops(settings):
    strict = Settings(raw_dir=settings.raw_dir, out_dir=settings.out_dir, max_quarantine_share=0.3, max_quarantine_min_records=1)
    path = write_json(settings.raw_dir / "dossiers" / "a.json", [dossier(), dossier("000.06.63.H06-230612-0005", TrangThaiHoSo=42)])
    with pytest.raises(QuarantineLimitExceeded, match="1 of 2 records quarantined"):
        landing.land_dossier_file(strict, path)


def _codes(n, bad):
    return [dossier(f"000.06.63.H06-230612-{i:04d}", **({"TrangThaiHoSo": 42} if i <= bad else {})) for i in range(1, n + 1)]


def test_quarantine_limit_needs_a_minimum_number_of_records(settings):
    """2 bad records of 19 (10.5 %) are above the 5 % share but below CCHC_MAX_QUARANTINE_MIN_RECORDS (5):
    quarantined and reported, not a reason to stop. 6 of 20 stop the run."""
    default = Settings(raw_dir=settings.raw_dir, out_dir=settings.out_dir)
    assert (default.max_quarantine_share, default.max_quarantine_min_records) == (0.05, 5)
    small = write_json(settings.raw_dir / "dossiers" / "small.json", _codes(19, 2))
    load = landing.land_dossier_file(default, small)
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (19, 17, 2)
    big = write_json(settings.raw_dir / "dossiers" / "big.json", _codes(20, 6))
    with pytest.raises(QuarantineLimitExceeded, match="big.json: 6 of 20 records quarantined"):
        landing.land_dossier_file(default, big)


def test_quarantine_limits_come_from_the_environment(monkeypatch):
    from orchestration.lib.settings import settings_from_env
    monkeypatch.setenv("CCHC_MAX_QUARANTINE_MIN_RECORDS", "12")
    monkeypatch.setenv("CCHC_MAX_TEXT_LENGTH", "500")
    s = settings_from_env("/tmp/raw", "/tmp/out")
    assert (s.max_quarantine_min_records, s.max_text_length) == (12, 500)


def test_redelivered_file_is_a_no_op_and_newer_version_wins(settings):
    d1 = write_json(settings.raw_dir / "dossiers" / "2023-06-a.json",
                    [dossier(TrangThaiHoSo=4, NgayKetThucXuLy=None, NgayTra=None, NgayCapNhat="20230612090000")])
    first = landing.land_dossier_file(settings, d1)
    again = landing.land_dossier_file(settings, d1)
    assert first.status == "landed" and again.status == "unchanged" and again.rows_loaded == first.rows_loaded
    newer = write_json(settings.raw_dir / "dossiers" / "2023-06-b.json", [dossier()])  # finished later
    older = write_json(settings.raw_dir / "dossiers" / "2023-06-c.json",
                       [dossier(TrangThaiHoSo=2, NgayKetThucXuLy=None, NgayTra=None, NgayCapNhat="20230612081000")])
    loads = [landing.land_dossier_file(settings, p) for p in (d1, newer, older)]
    lake_build.build_dossier_partitions(settings, loads)
    rows = duckdb.sql(f"SELECT trang_thai_ho_so FROM read_parquet('{settings.lake_dir}/dossiers/*/*.parquet')").fetchall()
    assert rows == [(10,)]  # the 2023-06-13 version, not the late-arriving older one


def test_flat_csv_gives_the_same_lake_row_as_json(settings):
    jpath = write_json(settings.raw_dir / "dossiers" / "a.json", [dossier()])
    cpath = settings.raw_dir / "dossiers" / "b.csv"
    flat = {c: "" for c in DOSSIER_FLAT_COLUMNS}
    flat.update(ma_ho_so="000.06.63.H06-230612-0001", ma_tthc="1.001193", ten_tthc="Đăng ký khai sinh", ma_linh_vuc="G09-HT",
                ten_linh_vuc="Hộ tịch", don_vi_xu_ly="UBND xã Lục Bình", ma_don_vi_xu_ly=AGENCY, kenh_thuc_hien="2",
                chu_ho_so="Hoàng Thị Mai", so_giay_to_chu_ho_so="006190004321", so_dien_thoai="0987000111",
                email="mai.ht@example.vn", dia_chi="Thôn Nà Pài", loai_doi_tuong="1",
                ngay_nop_ho_so="12/06/2023 07:45:12", ngay_tiep_nhan="2023-06-12 08:10:00", ngay_hen_tra="2023-06-13 17:00:00",
                trang_thai_ho_so="10", ngay_ket_thuc_xu_ly="2023-06-13 09:30:00", ngay_tra="2023-06-13 14:00:00",
                so_lan_bo_sung="0", co_tep_dinh_kem="1", co_thanh_phan_so_hoa="1", co_thanh_phan_tai_su_dung="0",
                lay_tu_kho_dmqg="1", so_giay_to_ket_qua="1", co_ket_qua_dien_tu="1", tong_le_phi="25.000", co_le_phi="1",
                ket_noi_csdl="0", ngay_cap_nhat="2023-06-13 14:02:10")
    with open(cpath, "w", encoding="utf-8-sig", newline="") as fh:  # with a BOM, as Excel writes it
        w = csv.DictWriter(fh, fieldnames=DOSSIER_FLAT_COLUMNS)
        w.writeheader()
        w.writerow(flat)
    j = landed_rows(settings, landing.land_dossier_file(settings, jpath)).drop(
        columns=[c for c in ["_source_file", "_source_sha256", "_loaded_at"]])
    c = landed_rows(settings, landing.land_dossier_file(settings, cpath)).drop(
        columns=[c for c in ["_source_file", "_source_sha256", "_loaded_at"]])
    # JSON has no ho_so_co_thanh_phan_so_hoa etc. here: both NULL; every other column identical
    assert j.to_dict("records") == c.to_dict("records")


def test_gzipped_json_lands_the_same_rows_as_plain_json(settings):
    """A national extract may come as .json.gz (a 20 M-dossier year is ≈ 33 GB of plain JSON): DuckDB's reader
    decompresses it; the landed rows are those of the plain file, the provenance names the .gz file."""
    import gzip

    records = [dossier(), dossier("000.06.63.H06-230612-0002", TrangThaiHoSo=42)]  # one valid, one quarantined
    plain = write_json(settings.raw_dir / "dossiers" / "a.json", records)
    gz = settings.raw_dir / "dossiers" / "b.json.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    lp, lg = landing.land_dossier_file(settings, plain), landing.land_dossier_file(settings, gz)
    assert (lg.rows_read, lg.rows_loaded, lg.rows_quarantined) == (lp.rows_read, lp.rows_loaded, lp.rows_quarantined) == (2, 1, 1)
    assert lg.file == "dossiers/b.json.gz" and lg.sha256 != lp.sha256
    drop = ["_source_file", "_source_sha256", "_loaded_at"]
    assert (landed_rows(settings, lg).drop(columns=drop).to_dict("records")
            == landed_rows(settings, lp).drop(columns=drop).to_dict("records"))
    cols = ["_source_record", "record_key", "rule", "field", "value"]
    assert quarantined(settings, lg)[cols].to_dict("records") == quarantined(settings, lp)[cols].to_dict("records")


def test_corrupt_gzip_is_rejected_naming_the_file(settings):
    path = settings.raw_dir / "dossiers" / "broken.json.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    with pytest.raises(FileRejected) as exc:
        landing.land_dossier_file(settings, path)
    assert exc.value.rule == "unreadable_json" and "dossiers/broken.json.gz" in str(exc.value)
