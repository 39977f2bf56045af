"""The bad-input corpus (tests/bad_inputs/cases.py) run in-process through the ingestion functions: for every
case, the outcome (loaded / quarantined / stopped), the row accounting, every quarantine row (file, record,
field, value, rule), the landed values and notes; and once, through the real CLI, that a stopping case
publishes nothing and leaves the previous release byte-identical."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import lake_build, landing
from orchestration.ingest.errors import FileRejected, QuarantineLimitExceeded
from orchestration.lib.layout import LakeFiles
from orchestration.lib.settings import REPO_ROOT, Settings
from tests.bad_inputs.cases import CASES, FILES, PERSONAL_VALUES, Case, Prefix

PARTITIONED = {"dossiers", "petitions", "ratings"}


def _write(raw: Path, rel: str, source) -> Path:
    path = raw / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(source() if callable(source) else (FILES / source).read_bytes())
    return path


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    con = duckdb.connect()
    cur = con.execute("SELECT * FROM read_parquet($p) ORDER BY _source_record", {"p": str(path)})
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_case(case: Case, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for rel, source in case.support.items():
        _write(raw, rel, source)
    paths = [_write(raw, rel, source) for rel, source in case.files.items()]
    settings = dataclasses.replace(Settings(raw_dir=raw, out_dir=tmp_path / "out"), **case.settings)
    lake = LakeFiles(settings.lake_dir)
    loads = [landing.land_file(settings, case.table, p) for p in paths[:-1]]
    last, rel = paths[-1], str(paths[-1].relative_to(raw))

    if case.outcome == "stopped":
        with pytest.raises((FileRejected, QuarantineLimitExceeded)) as exc:
            landing.land_file(settings, case.table, last)
        rule = exc.value.rule if isinstance(exc.value, FileRejected) else "quarantine_limit"
        assert rule == case.stop_rule, str(exc.value)
        assert rel in str(exc.value), f"the message must name the file: {exc.value}"
        assert case.message is None or case.message in str(exc.value), str(exc.value)
        said = str(exc.value).lower().replace("_", " ")  # a header name is the value lower-cased, spaces → '_'
        assert not [v for v in PERSONAL_VALUES if v.lower() in said], f"personal data in the message: {exc.value}"
        assert not list(lake.lake_dir.glob(f"_landed/{case.table}/*.parquet")) or loads, "a rejected file lands nothing"
        return

    load = landing.land_file(settings, case.table, last)
    loads.append(load)
    assert load.balanced, load
    if case.accounting:
        assert (load.rows_read, load.rows_loaded, load.rows_quarantined, load.duplicates_dropped) == case.accounting
    assert (load.rows_quarantined > 0) == (case.outcome == "quarantined")

    # every quarantine row: file, record, field, value, rule — exactly the expected ones
    q = _rows(lake.quarantine(case.table, load.sha256))
    got = {(r["_source_record"], r["rule"], r["field"]): r for r in q}
    assert set(got) == {(rec, rule, fld) for rec, fld, _, rule in case.quarantine}, [{k: str(v)[:80] for k, v in r.items()} for r in q]
    assert not [r for r in q for v in PERSONAL_VALUES if v in (r["value"] or "")], "personal data in the quarantine"
    for rec, fld, value, rule in case.quarantine:
        row = got[(rec, rule, fld)]
        assert row["_source_file"] == rel and row["_source_sha256"] == load.sha256 and row["source_table"] == case.table
        assert row["field"] == fld, row
        if isinstance(value, Prefix):
            assert row["value"].startswith(value) and len(row["value"]) < 200, row["value"][:300]
        else:
            assert row["value"] == value, row

    landed = _rows(lake.landed(case.table, load.sha256))
    assert len({r["_source_record"] for r in landed}) == load.rows_loaded
    by_rec = {}
    for r in landed:
        by_rec.setdefault(r["_source_record"], r)
    for rec, expected in case.landed.items():
        assert rec in by_rec, f"record {rec} not landed"
        for col, value in expected.items():
            assert _plain(by_rec[rec][col]) == value, (rec, col, by_rec[rec][col])

    for attr, value in case.load.items():
        assert getattr(load, attr) == value, (attr, getattr(load, attr))
    if case.note:
        assert any(case.note in n for n in load.notes), load.notes

    if case.lake_rows is not None:
        if case.table in PARTITIONED:
            lake_build.build_partitions(settings, case.table, loads)
            n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{settings.lake_dir}/{case.table}/*/*.parquet')").fetchall()[0][0]
        else:
            n = lake_build.build_table(settings, case.table, loads)
        assert n == case.lake_rows


def test_the_corpus_covers_every_outcome_and_at_least_30_cases():
    outcomes = {c.outcome for c in CASES}
    assert len(CASES) >= 30 and outcomes == {"loaded", "quarantined", "stopped"}


def test_redelivering_a_case_file_is_a_no_op(tmp_path):
    """Re-landing is keyed by content: a bad file landed twice keeps the same accounting and quarantine."""
    case = next(c for c in CASES if c.id == "json_file_name_with_quote")
    raw = tmp_path / "raw"
    path = _write(raw, *next(iter(case.files.items())))
    settings = Settings(raw_dir=raw, out_dir=tmp_path / "out")
    first = landing.land_file(settings, case.table, path)
    again = landing.land_file(settings, case.table, path)
    assert again.status == "unchanged" and (again.rows_loaded, again.rows_quarantined) == (first.rows_loaded, first.rows_quarantined)


# ------------------------------------------------------------------------------------------- the real CLI
CCHC = str(Path(sys.executable).with_name("cchc"))
SAMPLE = REPO_ROOT / "raw" / "sample"
# three stopping kinds: an unreadable file, a missing required column, the quarantine limit (one CLI run each)
STOPPING = ["json_truncated", "csv_missing_required_column", "pakn_quarantine_limit_stops"]


def _snapshot(out: Path):
    latest = out / "publish" / "latest"
    return (os.readlink(latest), sorted(p.name for p in (out / "publish").iterdir()),
            {str(p.relative_to(out)): p.read_bytes() for p in (out / "publish").rglob("*") if p.is_file()})


def test_stopping_cases_block_the_cli_and_leave_the_releases_byte_identical(tmp_path):
    """One good run publishes; then each stopping case is added to the raw root in turn (one CLI run each, removed
    afterwards): exit code ≠ 0, the summary names the file, and publish/ (latest and every earlier release) stays
    byte-identical. The good run is most of this test's time (~50 s); a stopping run ends while landing (~11 s)."""
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    out = tmp_path / "out"
    env = {**os.environ, "CCHC_MAX_QUARANTINE_SHARE": "0.05", "CCHC_MAX_QUARANTINE_MIN_RECORDS": "5"}
    ok = subprocess.run([CCHC, "run", "--raw", str(raw), "--out", str(out)], capture_output=True, text=True, env=env, timeout=900)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-3000:]
    before = _snapshot(out)
    for case_id in STOPPING:
        case = next(c for c in CASES if c.id == case_id)
        (rel, source), = case.files.items()
        rel = rel.replace("/", "/zz_bad_", 1)  # beside the sample's own files
        path = _write(raw, rel, source)
        bad = subprocess.run([CCHC, "run", "--raw", str(raw), "--out", str(out)], capture_output=True, text=True, env=env, timeout=900)
        assert bad.returncode != 0, (case_id, bad.stdout[-3000:])
        blocked = bad.stdout.split("PUBLICATION BLOCKED", 1)
        assert len(blocked) == 2 and rel in blocked[1], (case_id, bad.stdout[-3000:])
        assert _snapshot(out) == before, case_id
        path.unlink()
