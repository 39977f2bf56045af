"""The generator's source-database route (``generate(..., source_db=url)``, ``cchc generate --source-db``):
the same seed written as files and into a SQLite one-stop database (orchestration/lib/source_db_schema.py) must
hold the same dossiers, catalogue and ratings. The database is read back with plain SQL and compared with the
files parsed with ``json``/``csv``, not with the generator's helpers."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.cli import main as cli_main
from orchestration.generate import generate
from orchestration.generate.source_db import write_source_db
from orchestration.generate.writers import BadDate
from orchestration.lib.lake_schema import JSON_TO_FLAT
from orchestration.lib.secrets import mask_url
from orchestration.lib.source_db_engine import make_source_engine
from orchestration.lib.source_db_schema import CHILDREN
from tests.pg_server import PASSWORD, pg_server  # noqa: F401 — fixture: a real PostgreSQL (skips without binaries)

ARGS = dict(seed=3, start="2023-01", end="2023-02", dossiers_per_year=1200)
CLI_ARGS = ["--seed", "3", "--start", "2023-01", "--end", "2023-02", "--dossiers-per-year", "1200"]
PERSONAL = ("chu_ho_so", "so_giay_to_chu_ho_so", "so_dien_thoai", "email", "dia_chi")
OTHER_FILES = ["procedures/publications.csv", "procedures/reviews.csv", "petitions/petitions.csv",
               "surveys/sipas_2023.xlsx", "reference/agencies.csv", "reference/targets.csv"]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def rows(db: Path, sql: str) -> list[dict]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql)]
    finally:
        con.close()


def db_time(v) -> str | None:
    """A SQLite timestamp cell ('2023-01-03 08:10:43.000000') as the sync payload writes it (yyyyMMddHHmmss)."""
    return None if v is None else datetime.fromisoformat(v).strftime("%Y%m%d%H%M%S")


def latest_json_dossiers(root: Path) -> dict[str, dict]:
    """The file route's dossiers, one per MaHoSo: the max NgayCapNhat, ties → the last read (files in name
    order, records in file order)."""
    best: dict = {}
    for p in sorted((root / "dossiers").glob("*.json")):
        for d in json.loads(p.read_text(encoding="utf-8"))["data"]:
            if d["MaHoSo"] not in best or d["NgayCapNhat"] >= best[d["MaHoSo"]]["NgayCapNhat"]:
                best[d["MaHoSo"]] = d
    return best


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def table_dump(db: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(db)
    try:
        names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: sorted(con.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}
    finally:
        con.close()


@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    """The same arguments as files (``files``) and into a SQLite database (``db``)."""
    files_dir = tmp_path_factory.mktemp("files")
    db_dir = tmp_path_factory.mktemp("db")
    db = db_dir / "onestop.sqlite"
    files_summary = generate(files_dir, **ARGS)
    db_summary = generate(db_dir, **ARGS, source_db=sqlite_url(db))
    return {"files": files_dir, "db_dir": db_dir, "db": db, "files_summary": files_summary, "db_summary": db_summary}


# ------------------------------------------------------------------------------------------- same data
def test_one_row_per_dossier_with_the_latest_values(routes):
    expected = latest_json_dossiers(routes["files"])
    got = {r["ma_ho_so"]: r for r in rows(routes["db"], "SELECT * FROM ho_so")}
    assert len(expected) > 100
    assert sorted(got) == sorted(expected)  # exactly one row per distinct dossier (ma_ho_so is the key)
    for code, d in expected.items():
        row = got[code]
        for field, col in JSON_TO_FLAT.items():  # every scalar field of the sync payload
            want = d.get(field)  # absent from the payload = NULL in the database
            have = db_time(row[col]) if field.startswith("Ngay") else row[col]
            assert have == want, (code, field, have, want)


def test_child_rows_match_the_lists(routes):
    expected = latest_json_dossiers(routes["files"])
    for table, (list_field, fields) in CHILDREN.items():
        by_code = defaultdict(list)
        for r in rows(routes["db"], f"SELECT * FROM {table} ORDER BY ma_ho_so, stt"):
            by_code[r["ma_ho_so"]].append(r)
        assert set(by_code) <= set(expected), table  # no orphan
        total = 0
        for code, d in expected.items():
            items = d.get(list_field) or []
            got = by_code.get(code, [])
            assert len(got) == len(items), (table, code)
            total += len(items)
            for stt, (item, row) in enumerate(zip(items, got), 1):
                assert row["stt"] == stt
                for col, field in fields.items():
                    want, have = item.get(field), row[col]
                    if field.startswith("Ngay"):
                        have = db_time(have)
                    elif field == "Gia":
                        have, want = Decimal(str(have)), Decimal(str(want))
                    assert have == want, (table, code, stt, field, have, want)
        assert routes["db_summary"]["source_db_rows"][table] == total
    # the sample must exercise every child table
    assert all(routes["db_summary"]["source_db_rows"][t] > 0 for t in CHILDREN)


def test_catalogue_and_ratings_equal_the_csv_files(routes):
    procs = read_csv(routes["files"] / "procedures" / "procedures.csv")
    got = {r["ma_tthc"]: r for r in rows(routes["db"], "SELECT * FROM thu_tuc_hanh_chinh")}
    assert len(got) == len(procs) > 0
    for p in procs:
        row = got[p["ma_tthc"]]
        for col, text in p.items():
            have = row[col]
            if col == "thoi_han":
                assert Decimal(str(have)) == Decimal(text), (p["ma_tthc"], col)
            elif text == "":
                assert have is None, (p["ma_tthc"], col)
            elif col in ("co_phi", "yeu_cau_kq_giay", "du_dieu_kien_toan_trinh", "doi_tuong_cong_dan",
                         "cong_khai_day_du"):
                assert have == int(text), (p["ma_tthc"], col)  # typed: an integer flag, not the text '1'
            else:
                assert str(have) == text, (p["ma_tthc"], col)

    ratings = read_csv(routes["files"] / "ratings" / "dossier_ratings.csv")
    got = rows(routes["db"], "SELECT * FROM danh_gia_ho_so")
    assert len(ratings) > 0
    assert sorted((r["ma_ho_so"], datetime.fromisoformat(r["ngay_danh_gia"]), r["muc_do"]) for r in got) == \
        sorted((r["ma_ho_so"], datetime.fromisoformat(r["ngay_danh_gia"]), r["muc_do"]) for r in ratings)


def test_other_sources_stay_files_and_are_identical(routes):
    """Same random draws in both routes: the sources not in a one-stop DB are byte-identical files, and the
    three sources in the database are not written as files."""
    for rel in OTHER_FILES:
        assert (routes["db_dir"] / rel).read_bytes() == (routes["files"] / rel).read_bytes(), rel
    assert not list((routes["db_dir"]).glob("dossiers/*"))
    assert not (routes["db_dir"] / "procedures" / "procedures.csv").exists()
    assert not (routes["db_dir"] / "ratings" / "dossier_ratings.csv").exists()
    fs, ds = routes["files_summary"], routes["db_summary"]
    assert ds["counts"] == fs["counts"]
    assert ds["source_db"] == mask_url(sqlite_url(routes["db"]))
    assert set(ds["files"]) == set(OTHER_FILES)
    assert "source_db" not in fs  # the file route's summary is unchanged


def test_personal_data_is_in_the_source_database(routes):
    # the database is the source: it holds the applicants (the pull pseudonymises them in memory)
    got = rows(routes["db"], "SELECT chu_ho_so, so_giay_to_chu_ho_so, so_dien_thoai FROM ho_so")
    assert sum(1 for r in got if r["chu_ho_so"] and r["so_giay_to_chu_ho_so"] and r["so_dien_thoai"]) > len(got) / 2


# ------------------------------------------------------------------------------------------- upsert
def test_rerun_into_the_same_database_is_idempotent(routes, tmp_path):
    db = tmp_path / "onestop.sqlite"
    first = generate(tmp_path / "raw", **ARGS, source_db=sqlite_url(db))
    before = table_dump(db)
    second = generate(tmp_path / "raw", **ARGS, source_db=sqlite_url(db))
    assert table_dump(db) == before  # same rows, no duplicate
    assert second["source_db_rows"] == first["source_db_rows"]
    assert all(v == 0 for v in first["source_db_replaced"].values())  # a new database
    assert second["source_db_replaced"] == {t: first["source_db_rows"][t]
                                            for t in ("ho_so", "thu_tuc_hanh_chinh", "danh_gia_ho_so")}
    assert before == table_dump(routes["db"])  # and the same content as the module's first write


def _dossier(code: str, updated: datetime, status: int, components: int) -> dict:
    return {"MaHoSo": code, "MaTTHC": "1.001193", "TrangThaiHoSo": status, "NgayNopHoSo": datetime(2023, 1, 3, 8),
            "NgayCapNhat": updated, "_batch": "202301",
            "TaiLieuNop": [{"MaThanhPhanHoSo": f"TP{i}", "DuocSoHoa": 0} for i in range(1, components + 1)]}


def test_latest_version_wins_and_replaces_the_children(tmp_path):
    db = tmp_path / "onestop.sqlite"
    url = sqlite_url(db)
    t1, t2 = datetime(2023, 1, 3, 9), datetime(2023, 1, 5, 10)
    records = [
        _dossier("A-1", t2, 9, 1),   # the latest version, listed first
        _dossier("A-1", t1, 2, 3),   # an older version listed later: ignored
        _dossier("B-1", t1, 2, 2),
        _dossier("B-1", t1, 4, 1),   # same NgayCapNhat: the last in list order wins
        {**_dossier("C-1", t1, 2, 1), "_duplicate_copy": True},
        _dossier("C-1", t1, 2, 1),   # an exact copy
    ]
    out = write_source_db(url, records, [], [])
    assert out["rows"]["ho_so"] == 3 and out["rows"]["ho_so_thanh_phan"] == 3
    got = {r["ma_ho_so"]: r for r in rows(db, "SELECT ma_ho_so, trang_thai_ho_so, ngay_cap_nhat FROM ho_so")}
    assert {k: v["trang_thai_ho_so"] for k, v in got.items()} == {"A-1": 9, "B-1": 4, "C-1": 2}
    assert db_time(got["A-1"]["ngay_cap_nhat"]) == t2.strftime("%Y%m%d%H%M%S")

    # a newer version with fewer components: the old child rows go (no stt 2, 3 left over)
    t3 = datetime(2023, 1, 6, 11)
    out = write_source_db(url, [_dossier("B-1", t3, 9, 1)], [], [])
    assert out["replaced"]["ho_so"] == 1
    assert rows(db, "SELECT ma_ho_so, stt FROM ho_so_thanh_phan WHERE ma_ho_so = 'B-1'") == [{"ma_ho_so": "B-1", "stt": 1}]
    assert len(rows(db, "SELECT * FROM ho_so")) == 3  # the others untouched


def test_sqlite_foreign_keys_are_enforced(tmp_path):
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from orchestration.lib.source_db_schema import HO_SO_KET_NOI_CSDL, metadata

    engine = make_source_engine(sqlite_url(tmp_path / "fk.sqlite"))
    try:
        metadata.create_all(engine)
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(HO_SO_KET_NOI_CSDL), [{"ma_ho_so": "NO-SUCH", "stt": 1, "ma_csdl": "X"}])
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------- refusals
def test_defects_cannot_go_into_a_database(tmp_path):
    db = tmp_path / "onestop.sqlite"
    with pytest.raises(ValueError, match="a database enforces types; --defect-rate applies to file extracts"):
        generate(tmp_path / "raw", **ARGS, defect_rate=0.05, source_db=sqlite_url(db))
    assert not db.exists()


def test_an_untyped_value_is_refused_before_writing(tmp_path):
    db = tmp_path / "onestop.sqlite"
    bad = _dossier("A-1", datetime(2023, 1, 3, 9), 2, 1)
    bad["NgayNopHoSo"] = BadDate(2023, 2, 30)
    with pytest.raises(ValueError, match="NgayNopHoSo is not a valid time"):
        write_source_db(sqlite_url(db), [bad], [], [])
    assert not db.exists()


def test_engine_urls_are_mapped_and_masked():
    engine = make_source_engine("postgres://cchc:s3cret@db.example.vn:5432/onestop")
    assert engine.url.drivername == "postgresql+psycopg"  # psycopg 3, the driver installed
    assert "s3cret" not in repr(engine) and "s3cret" not in repr(engine.url)
    assert make_source_engine("postgresql://u:p@h/db").url.drivername == "postgresql+psycopg"
    with pytest.raises(ValueError) as e:
        make_source_engine("mysql://cchc:s3cret@db/onestop")
    assert "s3cret" not in str(e.value) and "***" in str(e.value)
    with pytest.raises(ValueError) as e:
        make_source_engine("not a url :s3cret@")
    assert "s3cret" not in str(e.value)


# ------------------------------------------------------------------------------------------- CLI
def test_cli_shows_the_masked_url_and_no_personal_data(tmp_path, capsys):
    db = tmp_path / "onestop.sqlite"
    url = sqlite_url(db)
    assert cli_main(["generate", "--out", str(tmp_path / "raw"), *CLI_ARGS, "--source-db", url]) == 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert mask_url(url) in text
    summary = json.loads(text[text.index("\n{") + 1:])
    assert summary["source_db_rows"]["ho_so"] == summary["counts"]["dossiers"] > 0
    personal = {v for r in rows(db, f"SELECT {', '.join(PERSONAL)} FROM ho_so") for v in r.values() if v}
    assert personal and not [v for v in personal if v in text]


def test_cli_source_db_env(tmp_path, capsys, monkeypatch):
    db = tmp_path / "onestop.sqlite"
    monkeypatch.setenv("CCHC_SOURCE_URL", sqlite_url(db))
    assert cli_main(["generate", "--out", str(tmp_path / "raw"), *CLI_ARGS, "--source-db", "env"]) == 0
    assert mask_url(sqlite_url(db)) in capsys.readouterr().out
    assert rows(db, "SELECT count(*) AS n FROM ho_so")[0]["n"] > 0

    monkeypatch.delenv("CCHC_SOURCE_URL")
    monkeypatch.delenv("CCHC_SOURCE_URL_FILE", raising=False)
    assert cli_main(["generate", "--out", str(tmp_path / "raw"), *CLI_ARGS, "--source-db", "env"]) == 2


def test_cli_failure_never_shows_the_password(tmp_path, capsys):
    # nothing listens on port 1: the connection is refused once the data is generated
    url = "postgresql://cchc:s3cret-pw@127.0.0.1:1/onestop?connect_timeout=3"
    assert cli_main(["generate", "--out", str(tmp_path / "raw"), *CLI_ARGS, "--source-db", url]) == 1
    out = capsys.readouterr()
    assert "s3cret-pw" not in out.out + out.err
    assert "cchc:***@127.0.0.1:1/onestop" in out.out + out.err


# ------------------------------------------------------------------------------------------- PostgreSQL


def test_postgresql_holds_the_same_data(routes, pg_server, tmp_path, capsys):  # noqa: F811 — the fixture
    """Production is PostgreSQL: the same arguments through ``postgresql://`` (psycopg 3) give the same typed
    rows as SQLite, twice (upsert), and the password never shows."""
    from sqlalchemy import select

    from orchestration.lib.source_db_schema import metadata

    url = pg_server.url
    assert url.startswith("postgresql://") and PASSWORD in url
    for _ in range(2):
        assert cli_main(["generate", "--out", str(tmp_path / "raw"), *CLI_ARGS, "--source-db", url]) == 0
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err and mask_url(url) in out.out

    def dump(engine) -> dict:
        with engine.connect() as conn:
            return {t.name: sorted((tuple(float(v) if isinstance(v, Decimal) else v for v in r)
                                    for r in conn.execute(select(t))), key=repr)
                    for t in metadata.sorted_tables}

    pg, lite = make_source_engine(url), make_source_engine(sqlite_url(routes["db"]))
    try:
        got, want = dump(pg), dump(lite)
    finally:
        pg.dispose()
        lite.dispose()
    assert got == want
    assert len(got["ho_so"]) == routes["db_summary"]["counts"]["dossiers"]
