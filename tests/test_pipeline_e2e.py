"""End to end on the committed sample: every asset materialised for real (DuckDB files on disk, dbt, GX),
the release's contract, personal data never written out, blocked runs publish nothing."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.settings import REPO_ROOT
from orchestration.publish.release import BIEU06_COLUMNS, OBSERVATION_COLUMNS
from orchestration.runner import run_pipeline

SAMPLE = REPO_ROOT / "raw" / "sample"
CCHC = str(Path(sys.executable).with_name("cchc"))


# sample_run: the session's run on the committed sample (conftest.py)


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
    obs = duckdb.sql(f"SELECT * FROM read_csv('{release}/by_province/*/*/indicator_observations.csv', all_varchar=true)")
    assert obs.columns == OBSERVATION_COLUMNS and "release_id" not in obs.columns  # the id is the folder's name
    b06 = duckdb.sql(f"SELECT * FROM read_csv('{release}/by_province/*/*/report_bieu06.csv', all_varchar=true)")
    assert b06.columns == BIEU06_COLUMNS
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["release_id"] == release.name
    files = {i["file"] for i in manifest["inputs"]}
    assert any(f.startswith("dossiers/") for f in files)
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["row_counts"]["observations"] == len(obs.fetchall())
    # one name per concept: the warehouse says field_code / procedure_code, the published explain tables that carry
    # a field say ma_linh_vuc / ma_tthc (published copies; explain_qd766_procedures has published procedure_code since
    # it was made), and the data dictionary lists each explain table's columns exactly as its parts carry them
    dictionary = list(csv.DictReader((release / "data_dictionary.csv").open(encoding="utf-8")))
    explain = sorted(p.name for p in (release / "explain").iterdir())
    assert {"explain_qd766_causes", "explain_qd766_dossiers"} <= set(explain)
    for name in explain:
        cols = duckdb.sql(f"SELECT * FROM read_parquet('{release}/explain/{name}/*/*/part.parquet', "
                          "hive_partitioning = false) LIMIT 0").columns
        if name in ("explain_qd766_causes", "explain_qd766_dossiers"):  # the published copies (macro published_copy)
            assert not {"field_code", "procedure_code"} & set(cols) and {"ma_linh_vuc", "ma_tthc"} <= set(cols), name
        assert cols == [r["name"] for r in dictionary if r["kind"] == "column" and r["file"] == f"explain/{name}/"], name


def test_bieu06_invariant_and_district_roll_up(sample_run):
    release = (sample_run[0].publish_dir / "latest").resolve()
    con = duckdb.connect()
    b = f"read_csv('{release}/by_province/*/*/report_bieu06.csv', types={{'unit_code': 'VARCHAR'}})"
    assert con.execute(f"SELECT count(*) FROM {b} WHERE received_total <> resolved_total + pending_total").fetchone()[0] == 0
    assert con.execute(f"SELECT count(*) FROM {b} WHERE received_total <> received_online + received_direct_postal"
                       " + carried_over").fetchone()[0] == 0
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
        cols = con.execute("SELECT table_schema, table_name, column_name FROM information_schema.columns"
                           " WHERE data_type = 'VARCHAR'").fetchall()
        con.execute("CREATE TEMP TABLE pii (s VARCHAR)")
        con.executemany("INSERT INTO pii VALUES (?)", [[s] for s in pii])
        for schema, table, col in cols:
            hit = con.execute(f'SELECT count(*) FROM "{schema}"."{table}" t JOIN pii ON t."{col}" = pii.s').fetchone()[0]
            assert hit == 0, f"{schema}.{table}.{col} holds personal data"


def test_rerun_on_unchanged_inputs_publishes_nothing(sample_run):
    """Same raw files (by sha256), code, seeds and settings as publish/latest: the run stops after landing, says
    so, and publishes nothing — no new release, latest and the warehouse untouched. (The same values on a forced
    re-run, and after crashes, are checked by test_a_run_killed_in_any_stage_….)"""
    settings = sample_run[0]
    first = (settings.publish_dir / "latest").resolve()
    releases = sorted(p.name for p in settings.publish_dir.iterdir())
    manifest = json.loads((first / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["run_fingerprint"]) == {"digest", "inputs", "code", "settings"}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        build = con.execute("SELECT * FROM main.cchc_build_state").fetchall()
    result = run_pipeline(settings)
    failures, _, done = result
    assert failures == []
    assert result.unchanged is not None and result.unchanged.unchanged and result.unchanged.release_id == first.name
    assert "release" not in done and "lake/dossiers" not in done  # nothing after the landing ran
    assert sorted(p.name for p in settings.publish_dir.iterdir()) == releases
    assert (settings.publish_dir / "latest").resolve() == first
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("SELECT * FROM main.cchc_build_state").fetchall() == build


def test_truncated_file_blocks_the_run_and_leaves_latest_untouched(sample_run, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    out = tmp_path / "out"
    env = {**os.environ, "CCHC_MAX_QUARANTINE_SHARE": "0.05"}
    ok = subprocess.run(_cli("run", "--raw", str(raw), "--out", str(out)), cwd=REPO_ROOT, capture_output=True,
                        text=True, env=env, timeout=900)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-3000:]
    _assert_quiet_cli_output(ok, out)
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


def _assert_quiet_cli_output(run: subprocess.CompletedProcess, out: Path) -> None:
    """A CLI run on the sample, output piped (issue 22): one line per stage and the summary — at most 60 lines, no
    Dagster DEBUG line, no library warning, no colour code; the whole log (Dagster events, dbt's lines) in
    <out>/logs/run-*.log."""
    lines = run.stdout.splitlines()
    assert len(lines) <= 60, run.stdout
    for noise in ("DEBUG", "Warning:", "BetaWarning", "\x1b["):
        assert noise not in run.stdout and noise not in run.stderr, noise
    stages = {}
    for line in lines:
        m = re.fullmatch(r"  (landing|lake partitions|warehouse \(dbt\)|checks|release) +(.+) \(\d+\.\d s\)", line)
        if m:
            stages[m.group(1)] = m.group(2)
    assert list(stages) == ["landing", "lake partitions", "warehouse (dbt)", "checks", "release"], lines
    # each stage in its own terms, every count complete (x/x)
    assert re.match(r"11 file\(s\), 658 record\(s\) loaded, 0 quarantined, (\d+)/\1 checks", stages["landing"]), stages
    assert re.match(r"\d+ of \d+ table-month\(s\) rewritten", stages["lake partitions"]), stages
    assert re.match(r"(\d+)/\1 dbt models and seeds, (\d+)/\2 dbt tests$", stages["warehouse (dbt)"]), stages
    assert re.match(r"[1-9]\d* part\(s\) written, \d+ unchanged \(linked\)", stages["release"]), stages
    for counts in (re.findall(r"(\d+)/(\d+)", text) for text in stages.values()):
        assert all(done == total for done, total in counts), stages
    logs = sorted((out / "logs").glob("run-*.log"))
    assert len(logs) == 1
    log = logs[0].read_text(encoding="utf-8")
    assert "STEP_START" in log and "START sql table model" in log and "\x1b[" not in log  # dbt's lines, uncoloured


def test_cli_runs_are_recorded_in_a_persistent_dagster_instance(sample_run):
    """<out>/dagster_home holds the runs, the materialisations (per month for the partitioned lake tables) and the
    check results of the run: `dagster dev` on the same output shows them (issue 22)."""
    import dagster as dg
    from dagster._core.events import DagsterEventType

    settings = sample_run[0]
    home = settings.out_dir / "dagster_home"
    assert (home / "dagster.yaml").exists()
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        runs = instance.get_runs()
        assert {r.job_name for r in runs} >= {"cchc_landing", "cchc_build"}
        assert all(r.is_success for r in runs if r.job_name == "cchc_build")
        assert instance.get_latest_materialization_event(dg.AssetKey("release")) is not None
        assert instance.get_materialized_partitions(dg.AssetKey(["lake", "dossiers"])) == {"2023-01-01", "2023-02-01", "2023-03-01"}
        build = next(r for r in runs if r.job_name == "cchc_build")
        checks = instance.all_logs(build.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
        checked = {e.dagster_event.event_specific_data.asset_key.to_user_string() for e in checks}
        assert len(checks) >= 5 and "lake/dossiers" in checked, checked
    finally:
        instance.dispose()


def test_cchc_docs_writes_the_warehouse_documentation_into_the_output_root(sample_run, capsys):
    """`cchc docs --out OUT` (issue 22): dbt's documentation of that output's warehouse, as one file a browser opens
    from disk — every published model with its column descriptions and the catalog of the real tables."""
    from orchestration.cli import main

    settings = sample_run[0]
    assert main(["docs", "--out", str(settings.out_dir)]) == 0
    page = settings.out_dir / "docs" / "dbt" / "static_index.html"
    assert str(page) in capsys.readouterr().out
    html = page.read_text(encoding="utf-8")
    catalog = json.loads((page.parent / "catalog.json").read_text(encoding="utf-8"))
    assert "model.cchc.indicator_observations" in catalog["nodes"]  # read from the warehouse file itself
    assert "indicator_observations" in html and "Bi\\u1ec3u 06" in html  # the manifest, embedded (JSON-escaped)
    assert main(["docs", "--out", str(settings.out_dir / "nowhere")]) == 2  # no warehouse: a clear refusal
    assert "run `cchc run --out" in capsys.readouterr().err


def test_a_crash_mid_publication_leaves_the_previous_release_as_latest(sample_run, monkeypatch):
    """Any failure while a release is being written (here: the scorecards step, the last one before the rename)
    leaves publish/latest and every existing release untouched, and no half release visible."""
    import orchestration.publish.release as release
    from orchestration.publish.release import write_release

    settings = sample_run[0]
    publish = settings.publish_dir
    before = (os.readlink(publish / "latest"), sorted(p.name for p in publish.iterdir() if not p.name.startswith(".")))

    def crash(_release_dir):
        raise RuntimeError("disk full while writing the scorecards")

    monkeypatch.setattr(release, "write_scorecards", crash)  # the name write_release calls
    with pytest.raises(RuntimeError, match="disk full"):
        write_release(settings, quality={})
    after = (os.readlink(publish / "latest"), sorted(p.name for p in publish.iterdir() if not p.name.startswith(".")))
    assert after == before


# ---------------------------------------------------------------------------------------------- fault injection
# A real `cchc run` subprocess (its own process group: the dbt subprocess and the landing workers die with it) is
# killed with SIGKILL at a seeded random point of one stage, found by watching the run's output for the Dagster step
# that opens the stage; the step that follows the stage must not have started when the kill lands. One kill per
# stage, in one output folder, each run recovering from the previous kill: landing and partitions (no release yet),
# the PostgreSQL publication (release 1 is published, not loaded), a run with nothing changed (completes the
# PostgreSQL load), then forced runs killed in dbt, the quality gate and the release, and a final run.
KILL_SEED = 19
STEP_START = 'Started execution of step "{}"'
# stage: (step opening it — None: the run's first step, step that must not have started yet, delay range in s).
# The ranges stay well inside each stage's duration on the sample (2 cores: landing ≈ 6 s, partitions ≈ 1.5 s,
# dbt ≈ 30 s, gate ≈ 2 s, release ≈ 1.3 s, PostgreSQL ≈ 0.7 s); a slower machine only moves the kill earlier.
STAGES = {
    "landing": (None, "lake__dossiers", (0.0, 3.0)),
    "partitions": ("lake__dossiers", "cchc_dbt_models", (0.0, 0.8)),
    "dbt": ("cchc_dbt_models", "quality_gate", (3.0, 18.0)),
    "gate": ("quality_gate", "release", (0.0, 1.0)),
    "release": ("release", "postgres_publication", (0.0, 0.8)),
    "postgres": ("postgres_publication", None, (0.1, 0.5)),
}


def _cli(*args: str) -> list[str]:
    # the checkout under test (python -m from the repository root), whatever the installed entry point points to
    return [sys.executable, "-m", "orchestration.cli", *args]


def _kill_in_stage(stage: str, delay: float, cmd: list[str], env: dict) -> str:
    """Start ``cmd``, wait for ``stage`` to start, SIGKILL the run's whole process group ``delay`` s later.
    Returns the run's output up to the kill."""
    import signal
    import threading

    opens, next_step, _ = STAGES[stage]
    marker = STEP_START.format(opens) if opens else 'Started execution of step "'
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines: list[str] = []
    started = threading.Event()

    def read():
        for line in proc.stdout:
            lines.append(line)
            if marker in line:
                started.set()
        started.set()  # end of output: the run ended before the stage

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(600), f"{stage}: stage not reached in 600 s"
        time.sleep(delay)
        alive = proc.poll() is None
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(60)
        reader.join(60)
    output = "".join(lines)
    assert alive and marker in output, f"{stage}: the run ended before the kill\n{output[-3000:]}"
    if next_step:
        assert STEP_START.format(next_step) not in output, f"{stage}: killed after {next_step} started ({delay:.2f} s)"
    return output


def _assert_complete(release: Path) -> None:
    """A whole release: its manifest, every file it counts, the observation CSV's rows as counted."""
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["release_id"] == release.name and manifest["run_fingerprint"]["digest"]
    for name, _rows in manifest["row_counts"].items():
        assert (release / name).exists(), f"{release.name}: {name} missing"
    lines = 0
    for path in release.glob("by_province/*/*/indicator_observations.csv"):
        with open(path, encoding="utf-8") as fh:
            lines += sum(1 for _ in fh) - 1
    assert lines == manifest["row_counts"]["observations"]


def _assert_latest(out: Path, allowed: set) -> str | None:
    """publish/latest is one of ``allowed`` (None: absent) and complete; every visible release folder is complete."""
    publish = out / "publish"
    latest = publish / "latest"
    current = os.readlink(latest) if latest.is_symlink() else None
    assert current in allowed, (current, allowed)
    for p in publish.iterdir() if publish.is_dir() else []:
        if not p.name.startswith(".") and p.name != "latest":
            _assert_complete(p)
    return current


def _published_values(release: Path) -> dict[str, bytes]:
    """Every published CSV: what must not depend on the run (no row carries the release id)."""
    return {str(path.relative_to(release)): path.read_bytes() for path in sorted(release.rglob("*.csv"))}


def _pg_rows(url: str, release_id: str) -> int:
    from sqlalchemy import text

    from orchestration.publish.postgres import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        loaded = conn.execute(text("SELECT to_regclass('cchc.releases') IS NOT NULL")).scalar_one() and conn.execute(
            text("SELECT count(*) FROM cchc.releases WHERE release_id = :r"), {"r": release_id}).scalar_one()
        rows = conn.execute(text("SELECT count(*) FROM cchc.indicator_observations WHERE release_id = :r"),
                            {"r": release_id}).scalar_one() if loaded else 0
    engine.dispose()
    return rows


def test_a_run_killed_in_any_stage_leaves_latest_complete_and_the_next_run_recovers(sample_run, pg_server, tmp_path):
    """kill -9 at a random point of each stage (landing, partitions, dbt, gate, release, PostgreSQL): publish/latest
    is always absent or a complete release, and the runs after the kills end with the values of the uninterrupted
    run (sample_run): its warehouse row for row after a dbt build resumed from a killed one (incremental, the WAL
    recovered), its published files, and latest loaded into PostgreSQL."""
    import random

    from orchestration.lib.settings import settings_from_env
    from orchestration.publish.release import write_release
    from tests.test_incremental_build import _differences

    reference = sample_run[0]
    expected = _published_values((reference.publish_dir / "latest").resolve())
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SAMPLE, raw)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCHC_PG_", "CCHC_SOURCE_", "CCHC_FULL_BUILD"))}
    env["CCHC_PG_URL"] = pg_server.url
    run = _cli("run", "--raw", str(raw), "--out", str(out), "--verbose")  # the step lines it waits for
    rng = random.Random(KILL_SEED)
    delays = {stage: round(rng.uniform(*STAGES[stage][2]), 2) for stage in STAGES}
    timings = {}

    def kill(stage, *extra):
        t0 = time.perf_counter()
        output = _kill_in_stage(stage, delays[stage], run + list(extra), env)
        timings[stage] = round(time.perf_counter() - t0, 1)
        return output

    # 1–2. landing and partitions, before any release
    kill("landing")
    assert _assert_latest(out, {None}) is None
    kill("partitions")
    assert _assert_latest(out, {None}) is None
    # 3. the run goes through (landing and partitions recovered), release 1 is published, killed loading PostgreSQL
    kill("postgres")
    first = _assert_latest(out, {r for r in os.listdir(out / "publish") if not r.startswith(".")} - {"latest"})
    assert _published_values(out / "publish" / first) == expected
    # 4. nothing changed — a file delivered again under another name is the same input: nothing is published, and
    # the PostgreSQL publication of release 1 the kill interrupted is completed
    shutil.copy(raw / "dossiers" / "dongbo_202301_001.json", raw / "dossiers" / "dongbo_202301_001 (gửi lại).json")
    t0 = time.perf_counter()
    same = subprocess.run(run, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    timings["nothing changed"] = round(time.perf_counter() - t0, 1)
    assert same.returncode == 0, same.stdout[-3000:] + same.stderr[-3000:]
    assert f"nothing changed since release {first}" in same.stdout
    assert sorted(n for n in os.listdir(out / "publish") if not n.startswith(".")) == sorted([first, "latest"])
    rows = json.loads((out / "publish" / first / "manifest.json").read_text(encoding="utf-8"))["row_counts"]
    assert _pg_rows(pg_server.url, first) == rows["observations"] > 0
    # 5. forced runs from here (the inputs are those of release 1): killed in dbt, an incremental build
    kill("dbt", "--force")
    assert _assert_latest(out, {first}) == first
    wal_left = (out / "warehouse.duckdb.wal").exists()
    # 6. the next build recovers the WAL and resumes the interrupted build incrementally; killed in the gate
    gate = kill("gate", "--force")
    assert _assert_latest(out, {first}) == first
    if wal_left:  # (a checkpoint just before the kill can leave none)
        assert "recovered warehouse.duckdb.wal" in gate
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        kind, reason = con.execute("SELECT kind, reason FROM main.cchc_build_state").fetchall()[0]
    assert kind == "incremental" and "was interrupted: its scope is rebuilt too" in reason, reason
    assert _differences(out, reference.out_dir) == {}  # the resumed warehouse = the uninterrupted run's, row for row
    # 7. killed while writing the release: latest is release 1 or the new one, whole either way
    kill("release", "--force")
    latest = _assert_latest(out, {r for r in os.listdir(out / "publish") if not r.startswith(".")} - {"latest"})
    # 8. the next run: nothing changed since latest if its publication finished (else it publishes again); no
    # leftover of the killed release; latest holds the uninterrupted run's values and is loaded into PostgreSQL
    t0 = time.perf_counter()
    final = subprocess.run(run, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    timings["final"] = round(time.perf_counter() - t0, 1)
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-3000:]
    assert f"nothing changed since release {latest}" in final.stdout or "publication did not finish" in final.stdout
    latest = _assert_latest(out, {r for r in os.listdir(out / "publish") if not r.startswith(".")} - {"latest"})
    # no leftover of a killed publication (.staging-*, .latest-*); .root_id is the output root's own id
    assert [p for p in os.listdir(out / "publish") if p.startswith(".") and p != ".root_id"] == []
    assert _published_values(out / "publish" / latest) == expected
    assert _pg_rows(pg_server.url, latest) > 0
    # the manifest of a release made from these inputs names the re-delivered file and its twin
    settings = settings_from_env(raw, out)
    made = write_release(settings, quality={})
    manifest = json.loads((made / "manifest.json").read_text(encoding="utf-8"))
    twin = [i for i in manifest["inputs"] if i["file"] == "dossiers/dongbo_202301_001 (gửi lại).json"]
    assert len(twin) == 1 and twin[0]["same_content_as"] == "dossiers/dongbo_202301_001.json"
    previous = json.loads((out / "publish" / latest / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_fingerprint"] == previous["run_fingerprint"]
    print(f"kill delays (seed {KILL_SEED}): {delays}; run times: {timings}")
