"""The run fingerprint (orchestration.publish.fingerprint) in isolation, on a hand-made raw root and lake state:
what counts as "nothing changed since publish/latest", and how a re-delivered file is listed. The end-to-end
behaviour (a real re-run publishes nothing) is tests/test_pipeline_e2e.py::test_rerun_on_unchanged_inputs_…"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace

import duckdb

from orchestration.lib.settings import Settings
from orchestration.publish.fingerprint import current_inputs, run_fingerprint, unchanged_since_latest


def _setup(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    (raw / "procedures").mkdir(parents=True)
    (raw / "procedures" / "procedures_2024.csv").write_text("ma_tthc,ten_tthc\n1.001,Đăng ký\n", encoding="utf-8")
    # the dossier landing's record of the run's files (written by the landed_dossier_files asset)
    state = out / "lake" / "_state"
    state.mkdir(parents=True)
    loads = [{"table": "dossiers", "file": f"dossiers/dongbo_{m}.json", "sha256": f"{i}" * 64, "months": [m]}
             for i, m in enumerate(("2024-01", "2024-02"), 1)]
    (state / "dossiers_files.json").write_text(json.dumps({"loads": loads, "pending_months": []}), encoding="utf-8")
    return Settings(raw_dir=raw, out_dir=out), loads


def test_inputs_count_by_content_not_by_name(tmp_path):
    settings, _ = _setup(tmp_path)
    first = run_fingerprint(settings)
    procedures = settings.raw_dir / "procedures"
    # the same catalogue delivered again under another name: the same input, listed with its twin's name
    shutil.copy(procedures / "procedures_2024.csv", procedures / "procedures_2024_resent.csv")
    inputs = current_inputs(settings)
    assert [(i["table"], i["file"], i.get("same_content_as")) for i in inputs] == [
        ("dossiers", "dossiers/dongbo_2024-01.json", None), ("dossiers", "dossiers/dongbo_2024-02.json", None),
        ("procedures", "procedures/procedures_2024.csv", None),
        ("procedures", "procedures/procedures_2024_resent.csv", "procedures/procedures_2024.csv")]
    assert run_fingerprint(settings) == first
    # renamed (the twin alone, under its new name): still the same input
    (procedures / "procedures_2024.csv").unlink()
    assert run_fingerprint(settings) == first
    # one changed byte is another input
    (procedures / "procedures_2024_resent.csv").write_text("ma_tthc,ten_tthc\n1.001,Đăng kí\n", encoding="utf-8")
    changed = run_fingerprint(settings)
    assert changed["inputs"] != first["inputs"] and (changed["code"], changed["settings"]) == (first["code"], first["settings"])


def test_settings_that_change_values_change_the_fingerprint(tmp_path, monkeypatch):
    settings, _ = _setup(tmp_path)
    first = run_fingerprint(settings)
    for other in (replace(settings, as_of="2024-02-29T23:59:59"), replace(settings, max_text_length=100),
                  replace(settings, pseudonym_key="another-key"), replace(settings, volume_drop_warn=0.3)):
        fp = run_fingerprint(other)
        assert fp["settings"] != first["settings"] and fp["digest"] != first["digest"]
    assert "another-key" not in json.dumps(run_fingerprint(replace(settings, pseudonym_key="another-key")))
    monkeypatch.setenv("CCHC_DUCKDB_MEMORY", "1GB")  # how fast, not what: no change
    assert run_fingerprint(settings) == first


def test_unchanged_only_when_latest_has_the_same_fingerprint_and_its_publication_finished(tmp_path):
    settings, _ = _setup(tmp_path)
    assert unchanged_since_latest(settings).reason == "no release yet"
    release = settings.publish_dir / "2026-12-01.1"
    release.mkdir(parents=True)
    manifest = {"release_id": release.name}
    (release / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    os.symlink(release.name, settings.publish_dir / "latest")
    assert "records no run fingerprint" in unchanged_since_latest(settings).reason  # a release made before this change
    manifest["run_fingerprint"] = run_fingerprint(settings)
    (release / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    # killed between moving latest and swapping the analysts' copy: published again
    same = unchanged_since_latest(settings)
    assert not same.unchanged and "analysts' warehouse copy is missing" in same.reason
    with duckdb.connect(str(settings.out_dir / "warehouse_published.duckdb")) as con:
        con.execute("CREATE SCHEMA _published")
        con.execute("CREATE TABLE _published.release AS SELECT '2026-12-01.1' AS release_id")
    same = unchanged_since_latest(settings)
    assert same.unchanged and same.line() == "nothing changed since release 2026-12-01.1"
    (settings.raw_dir / "procedures" / "publications.csv").write_text("so_quyet_dinh\nQD-1\n", encoding="utf-8")
    same = unchanged_since_latest(settings)
    assert not same.unchanged and same.reason == "inputs changed since release 2026-12-01.1"
