"""End to end on the committed sample: every asset materialised for real (DuckDB files on disk, dbt, GX),
the release's contract, personal data never written out, blocked runs publish nothing."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import run_pipeline
from orchestration.lib.settings import REPO_ROOT, Settings
from orchestration.publish.release import BIEU06_COLUMNS, OBSERVATION_COLUMNS

SAMPLE = REPO_ROOT / "raw" / "sample"
CCHC = str(Path(sys.executable).with_name("cchc"))


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample_out")
    settings = Settings(raw_dir=SAMPLE, out_dir=out)
    started = time.time()
    failures, warnings, done = run_pipeline(settings)
    return settings, failures, warnings, done, started


def test_every_asset_is_materialised(sample_run):
    from orchestration.definitions import defs

    settings, failures, _, done, _ = sample_run
    assert failures == []
    graph = defs.resolve_asset_graph()
    executable = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_executable}
    assert executable - done == set()


def test_dbt_artifacts_stay_beside_the_warehouse_not_in_the_repo(sample_run):
    settings, failures, _, _, started = sample_run
    assert failures == []
    results = json.loads((settings.out_dir / "dbt_target" / "run_results.json").read_text(encoding="utf-8"))
    statuses = {r["unique_id"]: r["status"] for r in results["results"]}
    assert statuses["model.cchc.indicator_observations"] == "success", statuses
    # dagster-dbt's default would have left a new target/cchc_dbt_models-<id>/ in the repo's dbt project
    repo_target = REPO_ROOT / "dbt_project" / "target"
    assert [p for p in repo_target.glob("cchc_dbt_models-*") if p.stat().st_mtime >= started] == []


def test_release_has_the_contract_columns_and_latest_points_to_it(sample_run):
    settings = sample_run[0]
    latest = settings.publish_dir / "latest"
    assert latest.is_symlink()
    release = latest.resolve()
    obs = duckdb.sql(f"SELECT * FROM read_csv('{release}/indicator_observations.csv', all_varchar=true)")
    assert obs.columns == OBSERVATION_COLUMNS
    assert {r[0] for r in obs.query("o", "SELECT DISTINCT release_id FROM o").fetchall()} == {release.name}
    b06 = duckdb.sql(f"SELECT * FROM read_csv('{release}/report_bieu06.csv', all_varchar=true)")
    assert b06.columns == BIEU06_COLUMNS
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["release_id"] == release.name
    files = {i["file"] for i in manifest["inputs"]}
    assert any(f.startswith("dossiers/") for f in files)
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["row_counts"]["indicator_observations.csv"] == len(obs.fetchall())


def test_bieu06_invariant_and_district_roll_up(sample_run):
    release = (sample_run[0].publish_dir / "latest").resolve()
    con = duckdb.connect()
    b = f"read_csv('{release}/report_bieu06.csv', types={{'unit_code': 'VARCHAR'}})"
    assert con.execute(f"SELECT count(*) FROM {b} WHERE received_total <> resolved_total + pending_total").fetchone()[0] == 0
    assert con.execute(f"SELECT count(*) FROM {b} WHERE received_total <> received_online + received_direct_postal + carried_over").fetchone()[0] == 0
    # the district's whole-unit row is the sum of its own agencies' and its 14 communes' dossiers: the commune
    # rows add up to at most the district's (the rest are the district agencies' dossiers)
    rows = con.execute(f"""
        SELECT d.period, d.received_total, sum(c.received_total) FROM {b} d JOIN {b} c ON c.period = d.period
        WHERE d.unit_code = '063' AND d.ma_linh_vuc IS NULL AND c.ma_linh_vuc IS NULL AND length(c.unit_code) = 5
        GROUP BY ALL""").fetchall()
    assert rows and all(district >= communes for _, district, communes in rows)


def test_no_personal_data_anywhere_in_the_outputs(sample_run):
    """Every applicant and respondent name, ID number, phone, email and address of the sample is absent from
    every file under the output folder, and from every text column of the warehouse."""
    import openpyxl

    settings = sample_run[0]
    pii: set[str] = set()
    for path in (SAMPLE / "dossiers").glob("*.json"):
        for d in json.loads(path.read_text(encoding="utf-8"))["data"]:
            pii |= {str(d[k]) for k in ("ChuHoSo", "SoGiayToChuHoSo", "SoDienThoai", "Email", "DiaChi") if d.get(k)}
    for path in (SAMPLE / "surveys").glob("*.xlsx"):
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
        hdr = next(i for i, r in enumerate(rows) if "ho_ten" in r)
        cols = [rows[hdr].index("ho_ten"), rows[hdr].index("so_dien_thoai")]
        pii |= {str(r[c]) for r in rows[hdr + 1:] for c in cols if r[c]}
    assert len(pii) > 50
    blobs = [p.read_bytes() for p in settings.out_dir.rglob("*") if p.is_file()]
    leaks = [s for s in pii if any(s.encode() in b for b in blobs)]
    assert leaks == []
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        cols = con.execute("SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'").fetchall()
        con.execute("CREATE TEMP TABLE pii (s VARCHAR)")
        con.executemany("INSERT INTO pii VALUES (?)", [[s] for s in pii])
        for schema, table, col in cols:
            hit = con.execute(f'SELECT count(*) FROM "{schema}"."{table}" t JOIN pii ON t."{col}" = pii.s').fetchone()[0]
            assert hit == 0, f"{schema}.{table}.{col} holds personal data"


def test_rerun_is_idempotent(sample_run, tmp_path):
    settings = sample_run[0]
    first = (settings.publish_dir / "latest").resolve()
    failures, _, _ = run_pipeline(settings)
    assert failures == []
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        kind, months = con.execute("SELECT kind, reception_months FROM main.cchc_build_state").fetchall()[0]
    assert (kind, months) == ("incremental", "[]")  # same raw root: no lake month rewritten, the warehouse updated in place
    second = (settings.publish_dir / "latest").resolve()
    assert second != first

    def body(release):
        lines = (release / "indicator_observations.csv").read_text(encoding="utf-8").splitlines()
        return [line.split(",", 1)[1] for line in lines[1:]]

    assert body(first) == body(second)
    assert (first / "report_bieu06.csv").read_bytes() == (second / "report_bieu06.csv").read_bytes()
    for path in first.rglob("*.csv"):  # every other published table is byte-identical too
        if path.name != "indicator_observations.csv":
            assert path.read_bytes() == (second / path.relative_to(first)).read_bytes(), path.name


def test_truncated_file_blocks_the_run_and_leaves_latest_untouched(sample_run, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    out = tmp_path / "out"
    env = {**os.environ, "CCHC_MAX_QUARANTINE_SHARE": "0.05"}
    ok = subprocess.run([CCHC, "run", "--raw", str(raw), "--out", str(out)], capture_output=True, text=True, env=env, timeout=900)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-3000:]
    latest = out / "publish" / "latest"
    before = (os.readlink(latest), sorted(p.name for p in (out / "publish").iterdir()),
              {str(p): p.read_bytes() for p in latest.resolve().rglob("*") if p.is_file()})
    victim = sorted((raw / "dossiers").glob("*.json"))[-1]
    text = victim.read_text(encoding="utf-8")
    (raw / "dossiers" / "zz_truncated.json").write_text(text[: len(text) // 2], encoding="utf-8")
    bad = subprocess.run([CCHC, "run", "--raw", str(raw), "--out", str(out)], capture_output=True, text=True, env=env, timeout=900)
    assert bad.returncode != 0
    assert "dossiers/zz_truncated.json" in bad.stdout and "PUBLICATION BLOCKED" in bad.stdout
    after = (os.readlink(latest), sorted(p.name for p in (out / "publish").iterdir()),
             {str(p): p.read_bytes() for p in latest.resolve().rglob("*") if p.is_file()})
    assert after == before


def test_a_crash_mid_publication_leaves_the_previous_release_as_latest(sample_run, monkeypatch):
    """Any failure while a release is being written (here: the scorecards step, the last one before the rename)
    leaves publish/latest and every existing release untouched, and no half release visible."""
    import orchestration.publish.scorecard as scorecard
    from orchestration.publish.release import write_release

    settings = sample_run[0]
    publish = settings.publish_dir
    before = (os.readlink(publish / "latest"), sorted(p.name for p in publish.iterdir() if not p.name.startswith(".")))

    def crash(_release_dir):
        raise RuntimeError("disk full while writing the scorecards")

    monkeypatch.setattr(scorecard, "write_scorecards", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        write_release(settings, quality={})
    after = (os.readlink(publish / "latest"), sorted(p.name for p in publish.iterdir() if not p.name.startswith(".")))
    assert after == before
