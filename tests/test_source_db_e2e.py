"""The whole pipeline fed from a one-stop database (``cchc run --source-url``), against the file route.

One seed, written three ways by the generator: (A) every source as files; (B) dossiers, catalogue and ratings in
a SQLite database, the other sources as files; (C) the same in a real PostgreSQL database, run from the database
ALONE (no raw file at all). Then:
* A and B publish identical values — every indicator observation and every Biểu 06 row;
* C publishes the same Biểu 06 and the same values of every indicator computed from dossiers, the catalogue and
  ratings; the indicators of sources a one-stop database does not hold (publications, reviews, PAKN, surveys) are
  missing (M) and named. QD766_5_4 also reads PAKN ("named by a PAKN", METHODOLOGY §3), so it is left out of C's
  comparison;
* a second run of B after 3 dossiers changed reads exactly those 3 rows and revises the values they touch;
* a drifted schema or an unreachable database stops the run: exit 1, a clear message, nothing published.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from orchestration.cli import main
from orchestration.generate import generate
from orchestration.ingest import source_db
from orchestration.ingest.pull_state import read_pull_state
from orchestration.lib.settings import REPO_ROOT
from tests.pg_server import PASSWORD

# No applicability list (procedures/applicability.csv): a one-stop database has no such table, so route C could
# not carry it and its procedure-based rows (the level rule) would differ from A's (the list) — by design.
ARGS = dict(seed=29, start="2023-01", end="2023-02", dossiers_per_year=900, applicability=False)
VALUE_COLUMNS = ("indicator_id, period_type, period, unit_code, unit_valid_from, agency_code, ma_linh_vuc, ma_tthc, "
                 "numerator, denominator, ratio, points, obs_status, grade, rank, rank_of, comment")
DB_SOURCES = ("dossiers", "procedures", "ratings")
READS_PAKN = {"QD766_5_4"}


def _observations(out: Path, ids: list[str] | None = None) -> list[tuple]:
    where = f"WHERE indicator_id IN ({', '.join(repr(i) for i in ids)})" if ids is not None else ""
    return sorted(duckdb.sql(f"SELECT {VALUE_COLUMNS} FROM read_csv('{out}/publish/latest/by_province/*/*/indicator_observations.csv',"
                             f" all_varchar=true) {where}").fetchall(), key=repr)


def _bieu06(out: Path) -> list[tuple]:
    return sorted(duckdb.sql(f"SELECT * FROM read_csv('{out}/publish/latest/by_province/*/*/report_bieu06.csv',"
                             " all_varchar=true)").fetchall(),
                  key=repr)


def _db_only_indicators() -> list[str]:
    seed = REPO_ROOT / "dbt_project" / "seeds" / "indicator_sources.csv"
    rows = duckdb.sql(f"SELECT indicator_id FROM read_csv('{seed}') GROUP BY 1 "
                      f"HAVING bool_and(source_name IN {DB_SOURCES})").fetchall()
    return sorted(r[0] for r in rows if r[0] not in READS_PAKN)


def _run(capsys, *argv) -> tuple[int, str]:
    code = main(["run", *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture(scope="module")
def routes(tmp_path_factory, pg_server):
    base = tmp_path_factory.mktemp("routes")
    generate(base / "files", **ARGS)
    sqlite_url = f"sqlite:///{base / 'onestop.sqlite'}"
    generate(base / "with_db", source_db=sqlite_url, **ARGS)
    admin = sa.create_engine(pg_server.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS onestop_e2e"))
        conn.execute(sa.text("CREATE DATABASE onestop_e2e"))
    admin.dispose()
    pg_url = pg_server.url.rsplit("/", 1)[0] + "/onestop_e2e"
    generate(base / "pg_other_sources", source_db=pg_url, **ARGS)  # only the database is used by route C
    return base, sqlite_url, pg_url


@pytest.fixture(scope="module")
def published(routes):
    base, sqlite_url, pg_url = routes
    from types import SimpleNamespace

    from orchestration.cli import cmd_run

    def run(**kw) -> int:
        return cmd_run(SimpleNamespace(**{"raw": None, "source_url": None, "as_of": None, **kw}))

    codes = {
        # A with an explicit as-of on the extract day (the generator's extract time): the same P_end date as the
        # latest NgayCapNhat of B and C, so the same values — and `--as-of` itself is exercised end to end
        "A": run(raw=str(base / "files"), out=str(base / "out_A"), as_of="2023-02-28T18:00:00"),
        "B": run(raw=str(base / "with_db"), source_url=sqlite_url, out=str(base / "out_B")),
        "C": run(source_url=pg_url, out=str(base / "out_C")),
    }
    return base, codes, sqlite_url, pg_url


def test_files_and_database_with_files_publish_identical_values(published):
    base, codes, *_ = published
    assert codes["A"] == 0 and codes["B"] == 0
    a, b = _observations(base / "out_A"), _observations(base / "out_B")
    assert len(a) > 1000 and a == b
    assert _bieu06(base / "out_A") == _bieu06(base / "out_B")


def test_database_alone_gives_the_same_dossier_based_indicators(published):
    base, codes, *_ = published
    assert codes["C"] == 0
    ids = _db_only_indicators()
    assert {"QD766_2_1", "QD766_1_4", "QD766_2_2", "QD766_4_3", "RATING_SATISFIED"} <= set(ids)
    a, c = _observations(base / "out_A", ids), _observations(base / "out_C", ids)
    assert len(a) > 500 and a == c
    assert _bieu06(base / "out_A") == _bieu06(base / "out_C")
    # what a one-stop database does not hold is published as missing, and says why
    petitions = duckdb.sql(f"SELECT DISTINCT obs_status, comment FROM read_csv('{base}/out_C/publish/latest/"
                           "by_province/*/*/indicator_observations.csv', all_varchar=true) WHERE indicator_id = 'QD766_5_1'").fetchall()
    # (units without any data also say "no data for this unit": METHODOLOGY §1 coverage)
    assert {s for s, _ in petitions} == {"M"} and all("source absent from the raw root: petitions" in c for _, c in petitions)
    manifest = json.loads((base / "out_C" / "publish" / "latest" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["source_database"]["source"].startswith("postgresql://cchc_admin:***@127.0.0.1:")
    assert all(i["file"].startswith("source_db/") for i in manifest["inputs"])
    # the password is nowhere in the outputs
    for p in (base / "out_C").rglob("*"):
        if p.is_file() and p.suffix in (".json", ".csv", ".md", ".html", ".txt"):
            assert PASSWORD not in p.read_text(encoding="utf-8", errors="ignore"), p


def test_second_run_reads_only_changed_rows_and_revises_their_values(published, capsys):
    base, codes, sqlite_url, _ = published
    assert codes["B"] == 0
    engine = source_db.make_engine(sqlite_url)
    h = source_db.schema.HO_SO
    later = dt.datetime(2023, 2, 28, 17, 0, 0)
    with engine.begin() as conn:
        pending = [r[0] for r in conn.execute(sa.select(h.c.ma_ho_so).where(h.c.trang_thai_ho_so.in_([2, 4, 5]))
                                              .order_by(h.c.ma_ho_so).limit(3))]
        conn.execute(sa.update(h).where(h.c.ma_ho_so.in_(pending))
                     .values(trang_thai_ho_so=10, ngay_ket_thuc_xu_ly=later, ngay_tra=later, ngay_cap_nhat=later))
    engine.dispose()
    assert len(pending) == 3
    first_release = (base / "out_B" / "publish" / "latest").resolve()
    code, text = _run(capsys, "--raw", str(base / "with_db"), "--source-url", sqlite_url, "--out", str(base / "out_B"))
    assert code == 0, text
    state = read_pull_state(base / "out_B" / "lake")
    assert state["pulls"][-1]["rows_read"] == {"thu_tuc_hanh_chinh": state["pulls"][-1]["rows_read"]["thu_tuc_hanh_chinh"],
                                               "ho_so": 3, "danh_gia_ho_so": 0}
    second = (base / "out_B" / "publish" / "latest").resolve()
    assert second != first_release
    revisions = duckdb.sql(f"SELECT indicator_id, cause FROM read_csv('{second}/revisions.csv', all_varchar=true)").fetchall()
    assert any(i == "BIEU06_COL10" or i.startswith("BIEU06") for i, _ in revisions)
    assert {c for _, c in revisions} <= {"input changed", "provisional → final"}


@pytest.mark.parametrize("damage", ["drift", "outage"])
def test_a_drifted_or_unreachable_database_blocks_the_run_and_publishes_nothing(published, capsys, tmp_path, damage):
    base, codes, sqlite_url, _ = published
    out = base / "out_A"  # a healthy release exists here already
    before = (out / "publish" / "latest").resolve()
    releases = sorted(p.name for p in (out / "publish").iterdir())
    if damage == "drift":
        copy = tmp_path / "drifted.sqlite"
        copy.write_bytes(Path(sqlite_url.removeprefix("sqlite:///")).read_bytes())
        engine = sa.create_engine(f"sqlite:///{copy}")
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE ho_so RENAME COLUMN trang_thai_ho_so TO trang_thai"))
        engine.dispose()
        url, expected = f"sqlite:///{copy}", "column 'ho_so.trang_thai_ho_so' is missing (renamed to 'trang_thai'?)"
    else:
        url, expected = f"sqlite:///{tmp_path / 'gone.sqlite'}", "no such SQLite file"
    code, text = _run(capsys, "--raw", str(base / "files"), "--source-url", url, "--out", str(out))
    assert code == 1
    assert "PUBLICATION BLOCKED" in text and expected in text, text
    assert (out / "publish" / "latest").resolve() == before
    assert sorted(p.name for p in (out / "publish").iterdir()) == releases
    assert "CCHC_SOURCE_URL" not in os.environ  # the run's database does not leak into later runs of this process
    assert "CCHC_AS_OF" not in os.environ  # nor route A's --as-of (it once froze a later bench run in this process)

