"""The source-database pull (orchestration/ingest/source_db.py) against SQLite files and a real PostgreSQL server
started by the test run: first pull, an unchanged re-pull that reads nothing, a second pull after new and updated
rows that reads exactly those rows, upsert into the lake, drift and outage behaviour, credentials never written.

The databases are filled by the generator (``generate(..., source_db=url)``), the same synthetic data as the file
route; changes are made with plain SQL, as a one-stop system would make them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from orchestration.generate import generate
from orchestration.ingest import lake_build, source_db
from orchestration.ingest.assets import current_loads
from orchestration.ingest.pull_state import read_pull_state
from orchestration.lib.settings import Settings
from tests.pg_server import PASSWORD

SEED = 11
BATCH = 40


def _fill(url: str, raw: Path) -> dict:
    return generate(raw, seed=SEED, start="2023-01", end="2023-02", dossiers_per_year=900, source_db=url)


def _count(url: str, table: str) -> int:
    engine = source_db.make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return n


def _lake_dossiers(settings: Settings) -> list[tuple]:
    lake_build.build_partitions(settings, "dossiers", current_loads(settings, "dossiers"))
    return duckdb.sql(f"SELECT ma_ho_so, trang_thai_ho_so, ngay_cap_nhat, thang_tiep_nhan FROM read_parquet("
                      f"'{settings.lake_dir}/dossiers/*/*.parquet', hive_partitioning=true) ORDER BY 1").fetchall()


def _change(url: str) -> tuple[set[str], set[str]]:
    """As a one-stop system would: 2 new dossiers (copies of an existing one under new codes, with their
    components) and 3 updated ones (a pending dossier resolved; NgayCapNhat moves). Returns (new, updated) codes."""
    engine = source_db.make_engine(url)
    later = dt.datetime(2023, 3, 2, 9, 0, 0)
    with engine.begin() as conn:
        pending = [r[0] for r in conn.execute(sa.text(
            "SELECT ma_ho_so FROM ho_so WHERE trang_thai_ho_so IN (2, 4, 5) ORDER BY ma_ho_so LIMIT 3"))]
        assert len(pending) == 3, "the generated months must leave pending dossiers"
        for code in pending:
            conn.execute(sa.text("UPDATE ho_so SET trang_thai_ho_so = 10, ngay_ket_thuc_xu_ly = :t, ngay_tra = :t,"
                                 " ngay_cap_nhat = :t WHERE ma_ho_so = :c"), {"t": later, "c": code})
        h = source_db.schema.HO_SO
        template = conn.execute(sa.select(h).where(h.c.trang_thai_ho_so == 10).order_by(h.c.ma_ho_so).limit(1)).mappings().one()
        new = set()
        for i in (1, 2):
            row = dict(template)
            row["ma_ho_so"] = f"{template['ma_ho_so']}-NEW{i}"
            row["ngay_cap_nhat"] = later + dt.timedelta(minutes=i)
            conn.execute(sa.insert(source_db.schema.HO_SO), row)
            conn.execute(sa.insert(source_db.schema.HO_SO_THANH_PHAN),
                         {"ma_ho_so": row["ma_ho_so"], "stt": 1, "ma_thanh_phan_ho_so": "TP1", "tep_dinh_kem_id": "f-1",
                          "duoc_so_hoa": 1, "duoc_tai_su_dung": 0, "duoc_lay_tu_kho_dmqg": 0})
            new.add(row["ma_ho_so"])
    engine.dispose()
    return new, set(pending)


def _check_incremental(url: str, tmp: Path, logs: list[str]) -> None:
    settings = Settings(raw_dir=tmp / "raw", out_dir=tmp / "out")
    summary = _fill(url, settings.raw_dir)
    n = _count(url, "ho_so")
    assert n == summary["counts"]["dossiers"] > BATCH * 2

    # first pull: every dossier, in ceil(n / BATCH) bounded batches; the watermark is the last (NgayCapNhat, MaHoSo)
    first = source_db.pull(settings, url, log=logs.append, batch_rows=BATCH)
    d = first.tables["ho_so"]
    assert d.rows_read == n and d.batches == math.ceil(n / BATCH)
    assert d.rows_loaded == n and d.rows_quarantined == 0
    engine = source_db.make_engine(url)
    with engine.connect() as conn:
        h = source_db.schema.HO_SO
        last = conn.execute(sa.select(h.c.ngay_cap_nhat, h.c.ma_ho_so)
                            .order_by(h.c.ngay_cap_nhat.desc(), h.c.ma_ho_so.desc()).limit(1)).one()
    engine.dispose()
    assert d.cursor_after == [last[0].isoformat(sep=" "), last[1]]
    assert first.tables["danh_gia_ho_so"].rows_read == _count(url, "danh_gia_ho_so")
    assert first.tables["thu_tuc_hanh_chinh"].rows_read == _count(url, "thu_tuc_hanh_chinh")
    lake = _lake_dossiers(settings)
    assert len(lake) == n and len({r[0] for r in lake}) == n

    # nothing changed: nothing is read, nothing lands
    again = source_db.pull(settings, url, log=logs.append, batch_rows=BATCH)
    assert again.tables["ho_so"].rows_read == 0 and again.tables["danh_gia_ho_so"].rows_read == 0
    assert again.tables["thu_tuc_hanh_chinh"].batches_landed == 0  # same catalogue: no new snapshot

    # 2 new + 3 updated dossiers: exactly those 5 rows are read, in one batch, and upserted into the lake
    new, updated = _change(url)
    second = source_db.pull(settings, url, log=logs.append, batch_rows=BATCH)
    d2 = second.tables["ho_so"]
    assert d2.rows_read == 5 and d2.batches == 1 and d2.rows_loaded == 5
    state = read_pull_state(settings.lake_dir)
    last_batch = state["tables"]["dossiers"]["loads"][-1]
    landed = duckdb.sql(f"SELECT ma_ho_so FROM read_parquet('{settings.lake_dir}/_landed/dossiers/"
                        f"{last_batch['sha256']}.parquet')").fetchall()
    assert {r[0] for r in landed} == new | updated
    lake = {r[0]: r for r in _lake_dossiers(settings)}
    assert len(lake) == n + 2
    for code in updated:  # the later version replaced the earlier one: one row, the new status
        assert lake[code][1] == 10 and lake[code][2] == dt.datetime(2023, 3, 2, 9, 0, 0)
    assert new <= set(lake)
    # personal data is in the source, never in the lake (pseudonymised in memory)
    with source_db.make_engine(url).connect() as conn:
        person = conn.execute(sa.text("SELECT chu_ho_so, so_dien_thoai, so_giay_to_chu_ho_so FROM ho_so"
                                      " WHERE so_dien_thoai IS NOT NULL LIMIT 1")).one()
    blobs = b"".join(p.read_bytes() for p in settings.lake_dir.rglob("*") if p.is_file())
    for value in person:
        assert value.encode("utf-8") not in blobs


def test_sqlite_first_pull_then_only_new_and_updated_rows(tmp_path):
    logs: list[str] = []
    _check_incremental(f"sqlite:///{tmp_path / 'onestop.sqlite'}", tmp_path, logs)
    assert any("batch" in line for line in logs)


def test_postgres_first_pull_then_only_new_and_updated_rows(tmp_path, pg_server):
    engine = sa.create_engine(pg_server.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS onestop_incr"))
        conn.execute(sa.text("CREATE DATABASE onestop_incr"))
    engine.dispose()
    url = pg_server.url.rsplit("/", 1)[0] + "/onestop_incr"
    logs: list[str] = []
    _check_incremental(url, tmp_path, logs)
    # the password never reaches a log line, the pull state or any lake file
    state_text = (tmp_path / "out" / "lake" / "_state" / "source_db.json").read_text(encoding="utf-8")
    assert PASSWORD not in state_text and "***" in json.loads(state_text)["source"]
    assert not any(PASSWORD in line for line in logs)
    assert not any(PASSWORD.encode() in p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())


def test_renamed_or_missing_column_stops_before_reading(tmp_path):
    url = f"sqlite:///{tmp_path / 'onestop.sqlite'}"
    _fill(url, tmp_path / "raw")
    engine = source_db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE ho_so RENAME COLUMN ngay_hen_tra TO ngay_hen_tra_kq"))
        conn.execute(sa.text("DROP TABLE danh_gia_ho_so"))
    engine.dispose()
    settings = Settings(raw_dir=tmp_path / "raw", out_dir=tmp_path / "out")
    with pytest.raises(source_db.SourceSchemaDrift) as err:
        source_db.pull(settings, url, log=lambda m: None)
    msg = str(err.value)
    assert "ho_so.ngay_hen_tra' is missing (renamed to 'ngay_hen_tra_kq'?)" in msg
    assert "table 'danh_gia_ho_so' is missing" in msg
    assert not (settings.lake_dir / "_landed").exists()  # nothing was read or landed
    assert read_pull_state(settings.lake_dir)["tables"] == {}


def test_unreachable_database_is_retried_then_stops_with_a_masked_message(tmp_path, monkeypatch, pg_server):
    monkeypatch.setenv("CCHC_SOURCE_RETRIES", "2")
    monkeypatch.setenv("CCHC_SOURCE_RETRY_SECONDS", "0.05")
    closed = pg_server.url.replace(f":{pg_server.port}/", f":{_closed_port()}/")
    logs: list[str] = []
    settings = Settings(raw_dir=tmp_path / "raw", out_dir=tmp_path / "out")
    with pytest.raises(source_db.SourceUnavailable) as err:
        source_db.pull(settings, closed, log=logs.append)
    assert "tried 3 time(s)" in str(err.value) and "***" in str(err.value)
    assert len([m for m in logs if "retry" in m]) == 2
    assert PASSWORD not in str(err.value) and not any(PASSWORD in m for m in logs)
    with pytest.raises(source_db.SourceUnavailable, match="no such SQLite file"):
        source_db.pull(settings, f"sqlite:///{tmp_path / 'missing.sqlite'}", log=logs.append)
    assert not (tmp_path / "missing.sqlite").exists()  # never created as an empty database


def test_a_transient_failure_is_retried_and_then_succeeds(monkeypatch):
    monkeypatch.setenv("CCHC_SOURCE_RETRY_SECONDS", "0.01")
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:  # what SQLAlchemy raises when the server drops the connection
            raise sa.exc.OperationalError("SELECT 1", {}, ConnectionError("server closed the connection unexpectedly"))
        return "rows"

    assert source_db.with_retry("reading ho_so", "postgresql://u:pw@h/db", flaky, log=lambda m: None) == "rows"
    assert len(calls) == 2
    with pytest.raises(ZeroDivisionError):  # not a database outage: not retried, not masked into one
        source_db.with_retry("x", "sqlite://", lambda: 1 / 0, log=lambda m: None)


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
