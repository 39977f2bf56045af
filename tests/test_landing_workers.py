"""Worker processes that die while landing (DuckDB 1.5.6 segfaults now and then in the checking statement, issue 7):
the files not yet landed go to new workers, the result is the same as an undisturbed landing, and a crash on every
attempt stops the run naming the file. Crashes are injected by the worker tests/landing_faults.crash_then_land (a
real SIGSEGV), handed to land_files as its worker: production code has no fault hook."""

import logging

import pytest

from orchestration.generate import generate
from orchestration.ingest import landing, raw_root, workers
from orchestration.ingest.errors import LandingWorkersCrashed
from orchestration.lib.layout import LakeFiles
from orchestration.lib.settings import Settings
from tests.landing_faults import CRASH_ENV, crash_then_land


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("national_raw")
    generate(root, scale="national", seed=2, start="2025-07", end="2026-06", dossiers_per_year=6000, workers=1, provinces=2)
    files = raw_root.table_files(Settings(raw_dir=root, out_dir=root / "unused"), "petitions")
    assert len(files) == 12  # one PAKN file a month: enough for the worker pool
    return root, files


def _summary(loads):
    return [(ld.file, ld.sha256, ld.rows_read, ld.rows_loaded, ld.rows_quarantined) for ld in loads]


def test_a_dead_worker_is_replaced_and_every_file_is_landed_once(raw, tmp_path, monkeypatch, caplog):
    root, files = raw
    monkeypatch.setenv("CCHC_INGEST_WORKERS", "2")
    clean = workers.land_files(Settings(raw_dir=root, out_dir=tmp_path / "clean"), "petitions", files)
    marker = tmp_path / "crashed-once"
    monkeypatch.setenv(CRASH_ENV, f"{files[2].name}:{marker}")
    seen = []
    with caplog.at_level(logging.WARNING, logger="orchestration.ingest.workers"):
        loads = workers.land_files(Settings(raw_dir=root, out_dir=tmp_path / "crashed"), "petitions", files,
                                   on_load=lambda i, ld: seen.append(i), worker=crash_then_land)
    assert marker.exists()  # the third file's worker really died
    assert "a landing worker died (attempt 1 of 3)" in caplog.text
    assert _summary(loads) == _summary(clean)
    assert seen == list(range(1, 13))  # each file reported once, in order
    landed = sorted(p.name for p in (tmp_path / "crashed" / "lake" / "_landed" / "petitions").iterdir())
    assert landed and landed == sorted(p.name for p in (tmp_path / "clean" / "lake" / "_landed" / "petitions").iterdir())


def test_workers_dying_on_every_attempt_stop_the_run_naming_the_file(raw, tmp_path, monkeypatch):
    root, files = raw
    monkeypatch.setenv("CCHC_INGEST_WORKERS", "2")
    monkeypatch.setenv("CCHC_LANDING_ATTEMPTS", "2")
    monkeypatch.setenv(CRASH_ENV, f"{files[4].name}:")  # no marker: every attempt dies
    with pytest.raises(LandingWorkersCrashed) as exc:
        workers.land_files(Settings(raw_dir=root, out_dir=tmp_path / "out"), "petitions", files, worker=crash_then_land)
    # the first file not landed: the crashing one or an earlier one still in another worker's hands
    assert exc.value.attempts == 2 and exc.value.file in {f"petitions/{p.name}" for p in files[:5]}
    assert "landing_worker_crashed" in str(exc.value) and "died 2 times" in str(exc.value)


def test_a_manifest_cut_by_a_killed_worker_is_landed_again(raw, tmp_path, caplog):
    # When one worker dies the pool kills the others, possibly in the middle of writing a manifest (CI saw an empty
    # one, and the retry failed on it). Manifests are now written atomically; one left empty by an older version
    # is a cache miss: the file is landed again, with the same result, instead of stopping the run.
    root, files = raw
    settings = Settings(raw_dir=root, out_dir=tmp_path / "out")
    first = landing.land_file(settings, "petitions", files[0])  # in this process: its log is captured
    manifest = LakeFiles(settings.lake_dir).manifest("petitions", first.sha256)
    assert [p.name for p in manifest.parent.iterdir() if p.name.startswith(".")] == []  # no temp file left
    assert landing.land_file(settings, "petitions", files[0]).status == "unchanged"
    manifest.write_text("", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="orchestration.ingest.landing"):
        again = landing.land_file(settings, "petitions", files[0])
    assert "is unreadable; the file is landed again" in caplog.text
    assert again.status != "unchanged" and _summary([again]) == _summary([first])
    assert landing.land_file(settings, "petitions", files[0]).status == "unchanged"  # the manifest is whole again
