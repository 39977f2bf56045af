"""`cchc generate --defect-rate 0.02` end to end: the run publishes, and every injected defect is where the
generator says it must be — quarantined (with its record key), loaded, or dropped as an exact duplicate — with
row accounting holding for every file. Re-running a partition changes nothing."""

import hashlib
import json

import duckdb
import pytest

from orchestration.generate import generate
from orchestration.ingest import lake_build, landing
from orchestration.ingest.assets import read_file_state
from orchestration.ingest.loads import FileLoad
from orchestration.lib.settings import Settings
from orchestration.runner import run_pipeline

# generator source → (lake table, key column in the lake)
SOURCE_TABLES = {"dossiers": ("dossiers", "ma_ho_so"), "petitions": ("petitions", "ma_pakn"),
                 "ratings": ("ratings", "ma_ho_so"), "surveys": ("survey_answers", "ma_phieu"),
                 "procedures": ("procedures", "ma_tthc")}


@pytest.fixture(scope="module")
def defect_run(tmp_path_factory):
    raw = tmp_path_factory.mktemp("defects_raw")
    summary = generate(raw, seed=7, start="2023-01", end="2023-06", dossiers_per_year=6000, defect_rate=0.02)
    out = tmp_path_factory.mktemp("defects_out")
    settings = Settings(raw_dir=raw, out_dir=out)
    failures, warnings, _ = run_pipeline(settings)
    return settings, summary, failures


def test_the_run_publishes(defect_run):
    settings, _, failures = defect_run
    assert failures == []
    assert list((settings.publish_dir / "latest").glob("by_province/*/*/indicator_observations.csv"))


def test_every_defect_is_accounted_for(defect_run):
    settings, summary, _ = defect_run
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    quarantined = set(con.execute("SELECT source_table, record_key FROM marts.quarantine_records").fetchall())
    checked = 0
    for source, kinds in summary["defects"].items():
        table, key = SOURCE_TABLES[source]
        lake = f"read_parquet('{settings.lake_dir}/{table}/**/*.parquet', union_by_name=true)"
        for kind, info in kinds.items():
            for record in info["records"]:
                checked += 1
                in_quarantine = any(t == table and (k == record or (k or "").startswith(record + "/")) for t, k in quarantined)
                in_lake = con.execute(f"SELECT count(*) FROM {lake} WHERE {key} = ?", [record]).fetchone()[0]
                if info["expected"] == "quarantined":
                    assert in_quarantine, (source, kind, record)
                elif info["expected"].startswith("loaded"):
                    assert in_lake >= 1 and not in_quarantine, (source, kind, record)
                elif "duplicate" in info["expected"]:
                    assert in_lake == 1, (source, kind, record)  # kept once
                else:
                    pytest.fail(f"unknown expected outcome {info['expected']!r}")
    assert checked >= 50


def test_row_accounting_holds_for_every_file(defect_run):
    settings = defect_run[0]
    manifests = [json.loads(p.read_text(encoding="utf-8")) for p in (settings.lake_dir / "_manifest").glob("*/*.json")]
    assert manifests
    for m in manifests:
        assert m["rows_read"] == m["rows_loaded"] + m["rows_quarantined"] + m["duplicates_dropped"], m["file"]
    assert sum(m["rows_quarantined"] for m in manifests) > 0 and sum(m["duplicates_dropped"] for m in manifests) > 0


def test_rerunning_a_partition_changes_nothing(defect_run):
    settings = defect_run[0]
    loads = [FileLoad(**d) for d in read_file_state(settings, "dossiers")["loads"]]
    part = settings.lake_dir / "dossiers" / "thang_tiep_nhan=2023-03" / "part-0.parquet"
    before = hashlib.sha256(part.read_bytes()).hexdigest()
    again = [landing.land_dossier_file(settings, settings.raw_dir / ld.file) for ld in loads]
    assert {ld.status for ld in again} == {"unchanged"}  # re-delivered files are no-ops
    lake_build.build_partitions(settings, "dossiers", again, ["2023-03"])
    assert hashlib.sha256(part.read_bytes()).hexdigest() == before
