"""PostgreSQL publication (DATA_CONTRACT §2.3) against a real server started here.

The module fixture runs initdb into a temp dir and starts ``postgres`` on a free port (TCP on 127.0.0.1 with
scram-sha-256 password authentication, its unix socket in the temp dir) as an UNPRIVILEGED user: PostgreSQL
refuses to run as root, and the tests run as root on CI — the ``postgres`` system user of the Debian package
(else ``nobody``) owns the temp dir and runs initdb/pg_ctl (``subprocess`` ``user=``/``group=``). Stopped at the end.

The release is built by hand (two provinces: 06 Bắc Kạn before the 2025 merger, 19 Thái Nguyên after), with the
column layout of ``orchestration.publish.release``: the real pipeline takes ~1–2 min, the whole module takes
a few seconds.
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from orchestration.publish.postgres import (
    MANIFEST_COUNT,
    NATIONAL_ROLE,
    TABLES,
    cmd_publish_pg,
    mask_url,
    publish_release_to_postgres,
    resolve_pg_url,
)
from orchestration.publish.release import BIEU06_COLUMNS, OBSERVATION_COLUMNS
from tests.pg_server import ADMIN, PASSWORD

# ------------------------------------------------------------------------------------------------ a tiny release
UNITS_COLUMNS = ["unit_code", "unit_valid_from", "unit_valid_to", "unit_level", "unit_name", "parent_code",
                 "parent_valid_from", "province_code", "province_valid_from"]
TARGET_COLUMNS = ["row_type", "unit_code", "unit_valid_from", "unit_name", "nam", "ma_chi_tieu", "indicator_id",
                  "ma_linh_vuc", "pham_vi", "so_sanh", "gia_tri", "actual", "projection", "attainment", "obs_status",
                  "ghi_chu", "target_met_all_rows"]
UNITS = [  # (code, valid_from, valid_to, level, name, parent, parent_from, province, province_from)
    ("06", "2020-01-01", "2025-06-30", "tinh", "Tỉnh Bắc Kạn", "", "", "06", "2020-01-01"),
    ("063", "2020-01-01", "2025-06-30", "huyen", "Huyện Bạch Thông", "06", "2020-01-01", "06", "2020-01-01"),
    ("01969", "2020-01-01", "2025-06-30", "xa", "Thị trấn Phủ Thông", "063", "2020-01-01", "06", "2020-01-01"),
    ("19", "2025-07-01", "", "tinh", "Tỉnh Thái Nguyên", "", "", "19", "2025-07-01"),
    ("01969", "2025-07-01", "", "xa", "Xã Phủ Thông", "19", "2025-07-01", "19", "2025-07-01"),
    ("01849", "2025-07-01", "", "xa", "Xã Phong Quang", "19", "2025-07-01", "19", "2025-07-01"),
]


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in columns})


def make_release(root: Path, release_id: str, created_at: str, scale: int = 1) -> Path:
    """indicator_observations: 3 rows per unit of 06 (× scale), 2 per unit of 19 (the first B) and one back-cast E row
    in 2025-06, a period before 19's units existed; Biểu 06: one row per unit;
    target_tracking: one row per commune; units.csv as the release writes it; manifest with row counts."""
    folder = root / release_id
    folder.mkdir(parents=True)
    units = [dict(zip(UNITS_COLUMNS, u)) for u in UNITS]
    obs, b06, targets = [], [], []
    for u in units:
        old = u["province_code"] == "06"
        period = "2024-12" if old else "2025-09"
        for i in range((3 * scale) if old else 2):
            obs.append({"formula_version": "QD766-2022" if old else "QD766-2025",
                        "indicator_id": f"QD766_2_{i + 1}", "indicator_name_vi": "Tỷ lệ hồ sơ đúng hạn",
                        "period_type": "M", "period": period, "unit_code": u["unit_code"],
                        "unit_valid_from": u["unit_valid_from"], "unit_level": u["unit_level"],
                        "unit_name": u["unit_name"], "agency_code": f"G{i}" if i else "", "numerator": 7,
                        "denominator": 8, "ratio": 87.5, "points": 1.75, "max_points": 2.0, "rank": 1, "rank_of": 3,
                        "n": 8, "obs_status": "A" if old or i else "B", "comment": "-chú thích" if i == 2 else ""})
        if not old:  # the comparable series (issue 21): the new unit back-cast onto a period before it existed
            obs.append({"formula_version": "QD766-2022", "indicator_id": "QD766_2_1",
                        "indicator_name_vi": "Tỷ lệ hồ sơ đúng hạn", "period_type": "M", "period": "2025-06",
                        "unit_code": u["unit_code"], "unit_valid_from": u["unit_valid_from"],
                        "unit_level": u["unit_level"], "unit_name": u["unit_name"], "numerator": 5, "denominator": 8,
                        "ratio": 62.5, "points": 1.25, "max_points": 2.0, "n": 8, "obs_status": "E",
                        "comment": "comparable series: back-cast on the units in force from 2025-07-01"})
        b06.append({"period_type": "M", "period": period, "unit_code": u["unit_code"], "unit_valid_from": u["unit_valid_from"],
                    **{c: 3 for c in BIEU06_COLUMNS[6:]}})
        if u["unit_level"] == "xa":
            targets.append({"row_type": "indicator", "unit_code": u["unit_code"], "unit_valid_from": u["unit_valid_from"],
                            "unit_name": u["unit_name"], "nam": 2025, "ma_chi_tieu": "T2", "indicator_id": "RESULTS_DIGITISED",
                            "pham_vi": "toan_bo", "so_sanh": "ge", "gia_tri": 35.0, "actual": 40.5, "projection": 41.0,
                            "attainment": "on_track", "obs_status": "P", "ghi_chu": "Số hóa ≥ 35%",
                            "target_met_all_rows": "true" if old else ""})
    # layout v2: the observations and Biểu 06 as every province's part CSVs, by_province/<code>/<period>/
    province = {(u["unit_code"], u["unit_valid_from"]): u["province_code"] for u in units}
    for name, columns, rows in (("indicator_observations.csv", OBSERVATION_COLUMNS, obs),
                                ("report_bieu06.csv", BIEU06_COLUMNS, b06)):
        parts: dict[tuple, list] = {}
        for r in rows:
            parts.setdefault((province[(r["unit_code"], r["unit_valid_from"])], r["period"]), []).append(r)
        for (prov, period), part in parts.items():
            (folder / "by_province" / prov / period).mkdir(parents=True, exist_ok=True)
            _write_csv(folder / "by_province" / prov / period / name, columns, part)
    _write_csv(folder / "target_tracking.csv", TARGET_COLUMNS, targets)
    _write_csv(folder / "units.csv", UNITS_COLUMNS, units)
    _write_csv(folder / "data_dictionary.csv", ["kind", "file", "name", "type", "description"], [
        {"kind": "table", "file": "indicator_observations.csv", "name": "indicator_observations", "type": "",
         "description": "Every indicator value: one tidy row per indicator, unit, period and breakdown."},
        {"kind": "column", "file": "indicator_observations.csv", "name": "ratio", "type": "double",
         "description": "The indicator's value: numerator / denominator × 100 (percent) or the mean."}])
    counts = {"observations": len(obs), "bieu06": len(b06), "units.csv": len(units), "target_tracking.csv": len(targets)}
    (folder / "manifest.json").write_text(json.dumps({"release_id": release_id, "created_at": created_at,
                                                      "code_version": "test", "row_counts": counts}), encoding="utf-8")
    return folder


def expected_counts(folder: Path) -> dict:
    counts = json.loads((folder / "manifest.json").read_text())["row_counts"]
    return {t: counts[MANIFEST_COUNT.get(t, f)] for t, f in TABLES.items()}


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    root = tmp_path_factory.mktemp("releases")
    return (make_release(root, "2026-01-05.1", "2026-01-05T02:00:00+00:00"),
            make_release(root, "2026-02-03.1", "2026-02-03T02:00:00+00:00", scale=2))


def _engine(url):
    from orchestration.publish.postgres import make_engine

    return make_engine(url)


def _query(url, sql, role=None, params=None):
    """Rows of ``sql``, as ``role`` (SET ROLE) when given."""
    from sqlalchemy import text

    engine = _engine(url)
    try:
        with engine.begin() as conn:
            if role:
                conn.execute(text(f'SET LOCAL ROLE "{role}"'))
            result = conn.execute(text(sql), params or {})
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------------ tests
def test_load_counts_idempotent_and_no_password(pg_server, releases, caplog):
    caplog.set_level(logging.DEBUG)
    first, _ = releases
    result = publish_release_to_postgres(first, pg_server.url)
    assert result["status"] == "loaded" and result["release_id"] == "2026-01-05.1"
    assert result["row_counts"] == expected_counts(first)
    assert result["provinces"] == ["06", "19"] and set(result["unmapped_rows"].values()) == {0}
    def counts():
        return {t: _query(pg_server.url, f"SELECT count(*) FROM cchc.{t} WHERE release_id = '2026-01-05.1'")[0][0]
                for t in TABLES}
    assert counts() == expected_counts(first)
    # typed columns, codes stay text
    types = dict(_query(pg_server.url, "SELECT column_name, data_type FROM information_schema.columns"
                                       " WHERE table_schema = 'cchc' AND table_name = 'indicator_observations'"))
    assert types["unit_code"] == "text" and types["province_code"] == "text" and types["unit_valid_from"] == "date"
    assert types["ratio"] == "double precision" and types["rank"] == "integer" and types["n"] == "bigint"
    assert dict(_query(pg_server.url, "SELECT column_name, data_type FROM information_schema.columns WHERE"
                                      " table_schema = 'cchc' AND table_name = 'target_tracking'"))["target_met_all_rows"] == "boolean"
    assert _query(pg_server.url, "SELECT DISTINCT unit_code FROM cchc.units WHERE unit_code LIKE '0%' ORDER BY 1")[0][0] == "01849"
    loaded_at = _query(pg_server.url, "SELECT loaded_at FROM cchc.releases")

    # the same release again: nothing changes
    again = publish_release_to_postgres(first, pg_server.url)
    assert again["status"] == "already loaded" and again["row_counts"] == result["row_counts"]
    assert counts() == expected_counts(first)
    assert _query(pg_server.url, "SELECT loaded_at FROM cchc.releases") == loaded_at
    # forced replacement: delete + insert in one transaction, same counts
    replaced = publish_release_to_postgres(first, pg_server.url, replace=True)
    assert replaced["status"] == "replaced" and counts() == expected_counts(first)

    # the password never shows: not in the results, not in any log record
    for out in (result, again, replaced):
        assert PASSWORD not in json.dumps(out) and out["target"] == mask_url(pg_server.url)
    assert "***" in result["target"]
    assert caplog.records and all(PASSWORD not in r.getMessage() for r in caplog.records)
    assert PASSWORD not in caplog.text


def test_newer_release_keeps_older_and_latest_views(pg_server, releases):
    first, second = releases
    publish_release_to_postgres(first, pg_server.url)
    result = publish_release_to_postgres(second, pg_server.url)
    assert result["status"] == "loaded" and result["row_counts"] == expected_counts(second)
    by_release = dict(_query(pg_server.url, "SELECT release_id, count(*) FROM cchc.indicator_observations GROUP BY 1"))
    assert by_release == {"2026-01-05.1": expected_counts(first)["indicator_observations"],
                          "2026-02-03.1": expected_counts(second)["indicator_observations"]}
    for t in TABLES:
        rows = _query(pg_server.url, f"SELECT release_id, count(*) FROM cchc.{t}_latest GROUP BY 1")
        assert rows == [("2026-02-03.1", expected_counts(second)[t])], t
    releases_rows = _query(pg_server.url, "SELECT release_id, row_counts FROM cchc.releases ORDER BY created_at")
    assert [r[0] for r in releases_rows] == ["2026-01-05.1", "2026-02-03.1"]
    assert releases_rows[1][1] == expected_counts(second)
    # re-loading the older release does not make it the latest (latest = newest created_at)
    publish_release_to_postgres(first, pg_server.url, replace=True)
    assert _query(pg_server.url, "SELECT DISTINCT release_id FROM cchc.units_latest") == [("2026-02-03.1",)]


def test_row_level_security(pg_server, releases):
    first, second = releases
    publish_release_to_postgres(first, pg_server.url)
    publish_release_to_postgres(second, pg_server.url)
    roles = {r[0]: r[1:] for r in _query(pg_server.url,
                                         "SELECT rolname, rolcanlogin, rolsuper FROM pg_roles WHERE rolname LIKE 'cchc\\_%'")}
    assert {"cchc_province_06", "cchc_province_19", NATIONAL_ROLE} <= set(roles)
    assert all(r == (False, False) for name, r in roles.items() if name != ADMIN)
    flags = _query(pg_server.url, "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c"
                                  " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'cchc' AND c.relkind = 'r'")
    assert {f[0] for f in flags} == {*TABLES, "releases"} and all(f[1] and f[2] for f in flags)
    # one read policy per table (not one per province)
    policies = _query(pg_server.url, "SELECT tablename, count(*) FILTER (WHERE cmd = 'SELECT') FROM pg_policies"
                                     " WHERE schemaname = 'cchc' GROUP BY 1")
    assert all(n == 1 for _, n in policies)

    total = {t: _query(pg_server.url, f"SELECT count(*) FROM cchc.{t}")[0][0] for t in TABLES}
    per_province = {(t, p): _query(pg_server.url, f"SELECT count(*) FROM cchc.{t} WHERE province_code = :p", params={"p": p})[0][0]
                    for t in TABLES for p in ("06", "19")}
    assert all(per_province[(t, "06")] > 0 and per_province[(t, "19")] > 0 for t in TABLES)
    for own, other in (("06", "19"), ("19", "06")):
        role = f"cchc_province_{own}"
        for t in TABLES:
            for rel in (t, f"{t}_latest"):
                seen = _query(pg_server.url, f"SELECT province_code, count(*) FROM cchc.{rel} GROUP BY 1", role=role)
                assert [s[0] for s in seen] == [own], (role, rel, seen)
            assert _query(pg_server.url, f"SELECT count(*) FROM cchc.{t}", role=role)[0][0] == per_province[(t, own)]
            assert _query(pg_server.url, f"SELECT count(*) FROM cchc.{t} WHERE province_code = :p", role=role,
                          params={"p": other})[0][0] == 0
        assert _query(pg_server.url, "SELECT count(*) FROM cchc.releases", role=role)[0][0] == 2
    for t in TABLES:
        assert _query(pg_server.url, f"SELECT count(*) FROM cchc.{t}", role=NATIONAL_ROLE)[0][0] == total[t]

    # a login user the operator put in a province role (docs/postgres.md), connecting with its own password
    _query(pg_server.url, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bac_kan') THEN"
                          " CREATE ROLE bac_kan LOGIN PASSWORD 'bk-pass' IN ROLE cchc_province_06; END IF; END $$")
    user_url = f"postgresql://bac_kan:bk-pass@127.0.0.1:{pg_server.port}/postgres"
    assert _query(user_url, "SELECT DISTINCT province_code FROM cchc.indicator_observations_latest") == [("06",)]
    assert _query(user_url, "SELECT count(*) FROM cchc.report_bieu06 WHERE province_code = '19'")[0][0] == 0
    # it cannot write, nor switch RLS off
    from sqlalchemy.exc import ProgrammingError

    with pytest.raises(ProgrammingError):
        _query(user_url, "DELETE FROM cchc.units RETURNING 1")
    with pytest.raises(ProgrammingError):
        _query(user_url, "ALTER TABLE cchc.units DISABLE ROW LEVEL SECURITY")
    # a role with no province membership reads nothing
    _query(pg_server.url, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'outsider') THEN"
                          " CREATE ROLE outsider NOLOGIN; END IF; END $$")
    _query(pg_server.url, "GRANT USAGE ON SCHEMA cchc TO outsider")
    _query(pg_server.url, "GRANT SELECT ON cchc.units TO outsider")
    assert _query(pg_server.url, "SELECT count(*) FROM cchc.units", role="outsider")[0][0] == 0


def test_breaks_and_the_comparable_series_reach_postgres_under_the_new_province(pg_server, releases):
    """B and E are published as they are; a back-cast row of a period before the new province existed (2025-06) is
    under that province (its unit version's), visible to its role only."""
    first, _ = releases
    publish_release_to_postgres(first, pg_server.url)
    sql = ("SELECT province_code, obs_status, count(*) FROM cchc.indicator_observations_latest "
           "WHERE obs_status IN ('B', 'E') GROUP BY 1, 2 ORDER BY 1, 2")
    assert _query(pg_server.url, sql) == [("19", "B", 3), ("19", "E", 3)]
    assert _query(pg_server.url, sql, role="cchc_province_19") == [("19", "B", 3), ("19", "E", 3)]
    assert _query(pg_server.url, sql, role="cchc_province_06") == []
    assert _query(pg_server.url, "SELECT DISTINCT period, unit_valid_from FROM cchc.indicator_observations_latest "
                                 "WHERE obs_status = 'E'") == [("2025-06", __import__("datetime").date(2025, 7, 1))]


def test_non_superuser_publisher(pg_server, releases):
    """The loader need not be a superuser: CREATEROLE + CREATE on the database; FORCE'd RLS does not lock it out."""
    _query(pg_server.url, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'publisher') THEN"
                          " CREATE ROLE publisher LOGIN CREATEROLE PASSWORD 'pub-pass'; END IF; END $$")
    _query(pg_server.url, "GRANT CREATE ON DATABASE postgres TO publisher")
    url = f"postgresql://publisher:pub-pass@127.0.0.1:{pg_server.port}/postgres"
    first, _ = releases
    result = publish_release_to_postgres(first, url, schema="cchc_pub")
    assert result["status"] == "loaded" and result["row_counts"] == expected_counts(first)
    assert publish_release_to_postgres(first, url, schema="cchc_pub")["status"] == "already loaded"
    assert _query(pg_server.url, "SELECT count(*) FROM cchc_pub.units", role="cchc_province_19")[0][0] == 3


def test_cli_and_url_resolution(pg_server, releases, capsys, monkeypatch, tmp_path):
    first, second = releases
    monkeypatch.delenv("CCHC_PG_URL", raising=False)
    monkeypatch.delenv("CCHC_PG_URL_FILE", raising=False)
    assert resolve_pg_url() is None
    assert cmd_publish_pg(SimpleNamespace(release=str(first), url=None)) == 2
    secret = Path(tempfile.mkdtemp(prefix="cchc-secret-")) / "pg_url"
    secret.write_text("# the publication database\n" + pg_server.url + "\n")
    secret.chmod(0o600)
    monkeypatch.setenv("CCHC_PG_URL_FILE", str(secret))
    assert resolve_pg_url() == pg_server.url
    assert cmd_publish_pg(SimpleNamespace(release=str(second), url=None)) == 0
    assert cmd_publish_pg(SimpleNamespace(release=str(tmp_path), url=None)) == 2  # not a release folder
    out = capsys.readouterr().out
    assert "2026-02-03.1" in out and PASSWORD not in out and "***" in out and "not a release folder" in out
    # no release named: never a default folder of the installation (its own out/), a clear message instead
    assert cmd_publish_pg(SimpleNamespace(release=None, out=None, url=None)) == 2
    assert "--release DIR" in capsys.readouterr().out
    # --out: the output root's publish/latest
    root = tmp_path / "out_root"
    (root / "publish").mkdir(parents=True)
    (root / "publish" / "latest").symlink_to(second)
    assert cmd_publish_pg(SimpleNamespace(release=None, out=str(root), url=None)) == 0
    assert "2026-02-03.1 already loaded" in capsys.readouterr().out
    shutil.rmtree(secret.parent)


def test_a_release_id_of_another_output_root_is_refused(pg_server, releases, tmp_path):
    """Two output roots may both write a release 2026-01-05.1: the second never overwrites the first one's rows."""
    first, _ = releases
    url = pg_server.url
    publish_release_to_postgres(first, url, schema="cchc_roots")
    other = shutil.copytree(first, tmp_path / "other_out" / "publish" / first.name)
    with pytest.raises(ValueError, match="already loaded in schema cchc_roots from the output root"):
        publish_release_to_postgres(other, url, schema="cchc_roots", replace=True)
    roots = _query(url, "SELECT out_root FROM cchc_roots.releases WHERE release_id = '2026-01-05.1'")
    assert roots == [(str(first.resolve().parent.parent),)]
    assert _query(url, "SELECT count(*) FROM cchc_roots.units")[0][0] == len(UNITS)


def test_tables_and_columns_carry_the_data_dictionary(pg_server, releases):
    first, _ = releases
    publish_release_to_postgres(first, pg_server.url, schema="cchc_doc")
    got = _query(pg_server.url, "SELECT obj_description('cchc_doc.indicator_observations'::regclass, 'pg_class'), "
                                "col_description('cchc_doc.indicator_observations'::regclass, "
                                "(SELECT attnum FROM pg_attribute WHERE attrelid = 'cchc_doc.indicator_observations'::regclass "
                                "AND attname = 'ratio')), "
                                "col_description('cchc_doc.units'::regclass, (SELECT attnum FROM pg_attribute WHERE "
                                "attrelid = 'cchc_doc.units'::regclass AND attname = 'province_code')), "
                                "obj_description('cchc_doc.releases'::regclass, 'pg_class')")[0]
    assert got[0].startswith("Every indicator value") and got[1].startswith("The indicator's value: numerator")
    assert got[2].startswith("Province of the row's unit version") and "output root" in got[3]


def test_asset_skips_without_url_and_loads_latest_with_one(pg_server, releases, monkeypatch, tmp_path):
    import dagster as dg

    from orchestration.lib.resources import CchcSettings
    from orchestration.publish.postgres_assets import postgres_publication

    first, second = releases
    out = tmp_path / "out"
    (out / "publish").mkdir(parents=True)
    (out / "publish" / "latest").symlink_to(second)
    monkeypatch.delenv("CCHC_PG_URL", raising=False)
    monkeypatch.delenv("CCHC_PG_URL_FILE", raising=False)
    resources = {"cchc": CchcSettings(raw_dir=str(tmp_path), out_dir=str(out))}
    res = dg.materialize([postgres_publication], resources=resources)
    assert res.success
    meta = res.asset_materializations_for_node("postgres_publication")[0].metadata
    assert meta["status"].value == "skipped: no CCHC_PG_URL"

    monkeypatch.setenv("CCHC_PG_URL", pg_server.url)
    res = dg.materialize([postgres_publication], resources=resources)
    assert res.success
    meta = res.asset_materializations_for_node("postgres_publication")[0].metadata
    assert meta["release_id"].value == "2026-02-03.1" and meta["status"].value in ("loaded", "already loaded")
    assert all(PASSWORD not in str(v.value) for v in meta.values())
