"""``cchc bench`` at a tiny size (the benchmark is a command, not a timed test): it runs end to end on a national
raw root of 2 provinces, every stage succeeds, (a) the pipeline, (b) the SQL floor and (c) pandas give identical
QD766_2_1 and Biểu 06 values, the incremental month is a second run on the same output, and the last line is the
machine-readable ``bench:`` line. No timing is asserted. The dataset is written with gzipped dossier files
(``--gzip``, as the 20 M bench needs): the three computations read ``.json.gz``; plain JSON is what every other
pipeline test and the floor/pandas tests on the sample read."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from orchestration.bench.runner import Measure, _file_month, bench_line, dataset, ratio, raw_view, tree_rss_mb

CCHC = str(Path(sys.executable).with_name("cchc"))


def test_bench_runs_and_the_three_computations_agree(tmp_path):
    proc = subprocess.run([CCHC, "bench", "--dossiers", "3000", "--provinces", "2", "--gzip", "--workdir", str(tmp_path)],
                          capture_output=True, text=True, timeout=1200)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert "values pipeline = floor: identical" in out and "values pipeline = pandas: identical" in out
    last = out.strip().splitlines()[-1]
    m = re.fullmatch(r"bench: dossiers=3000 full_s=([\d.]+) floor_s=([\d.]+) pandas_s=([\d.]+) incremental_s=([\d.]+) "
                     r"ratio_floor=([\d.]+) ratio_pandas=([\d.]+) incremental_ratio=([\d.]+) peak_rss_mb=([\d.]+) "
                     r"release_written_mb=([\d.]+) peak_disk_gb=([\d.]+)", last)
    assert m, last
    summary = json.loads(next((tmp_path / "runs").glob("*/bench.json")).read_text(encoding="utf-8"))
    assert summary["problems"] == [] and summary["provinces"] == 2 and summary["gzip"] is True
    from orchestration.bench.runner import code_state

    assert summary["code_at_start"] == summary["code_at_end"] == code_state() and summary["code_changed"] is False
    dossier_files = list((tmp_path / "data").glob("*/raw/dossiers/*"))
    assert dossier_files and all(p.name.endswith(".json.gz") for p in dossier_files)
    assert all(s["returncode"] == 0 for s in summary["stages"].values())
    assert float(m.group(8)) > 0  # memory was sampled
    # each pipeline run is followed by its stage profile, read from its own log
    assert "[full] where the time went:" in out and "[incremental] where the time went:" in out
    full_profile = summary["stages"]["full"]["detail"]["profile"]
    assert full_profile["steps"]["lake__landed_dossier_files"] > 0 and full_profile["steps"]["release"] > 0
    assert full_profile["landed_records"] > 3000 and full_profile["dbt_models"]
    assert set(full_profile["release_parts"]) >= {"observations parts", "bieu06 parts", "scorecards", "revisions and SDMX"}
    # the new month on top of the history is an incremental warehouse build (docs/incremental.md), the history a full one
    assert full_profile["dbt_plan"].startswith("full build")
    assert summary["stages"]["incremental"]["detail"]["profile"]["dbt_plan"].startswith("incremental build")
    # the scoring layer says how many periods its digests sent to be rebuilt (macros/period_digests.sql)
    assert "ind_scored_values" in summary["stages"]["incremental"]["detail"]["profile"]["dbt_rescored"]
    # the incremental run published a second release in the same output folder
    out_dir = next((tmp_path / "runs").glob("*/out"))
    releases = [p for p in (out_dir / "publish").iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(releases) == 2
    # disk: what the incremental release wrote itself (no part is hard-linked yet: all of it) and the workdir's peak
    incremental_release = out_dir / "publish" / summary["stages"]["incremental"]["detail"]["release"]
    assert summary["stages"]["incremental"]["detail"]["release_written_bytes"] == sum(
        p.stat().st_size for p in incremental_release.rglob("*") if p.is_file() and p.stat().st_nlink == 1) > 0
    assert float(m.group(9)) == summary["release_written_mb"] > 0 and float(m.group(10)) == summary["peak_disk_gb"] > 0
    # a later bench reuses the cached dataset (generation is not timed, and not repeated)
    said = []
    assert dataset(tmp_path, 3000, 1, said.append, provinces=2, gzip=True) == next((tmp_path / "data").iterdir())
    assert "cached" in said[0]


def test_raw_view_keeps_history_months_and_undated_files(tmp_path):
    full = tmp_path / "full"
    for name in ("dossiers/dongbo_202606_01_001.json", "dossiers/dongbo_202607_01_001.json",
                 "ratings/dossier_ratings_202607.csv", "petitions/petitions_202605.csv",
                 "reference/admin_units.csv", "procedures/procedures.csv"):
        (full / name).parent.mkdir(parents=True, exist_ok=True)
        (full / name).write_text("x")
    view = raw_view(full, tmp_path / "view", "2026-06")
    kept = sorted(str(p.relative_to(view)) for p in view.rglob("*") if p.is_file())
    assert kept == ["dossiers/dongbo_202606_01_001.json", "petitions/petitions_202605.csv",
                    "procedures/procedures.csv", "reference/admin_units.csv"]
    # hard links (ingestion refuses symbolic links out of the raw root): the same file, no copy
    assert all(not (view / k).is_symlink() and (view / k).samefile(full / k) for k in kept)
    assert _file_month("sipas_2026_19.csv") is None and _file_month("dongbo_202512_19_003.json") == "2025-12"


def test_tree_rss_counts_children():
    child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(200 * 2**20); time.sleep(3)"])
    try:
        import time

        time.sleep(1.5)
        import os

        assert tree_rss_mb(os.getpid()) > 150  # this process plus its child holding 200 MB
    finally:
        child.kill()


def test_release_written_bytes_leave_out_hard_links_and_tree_bytes_count_an_inode_once(tmp_path):
    """A part hard-linked from the previous release costs nothing new: 100 written + 0 linked; du-like total of the
    two releases = 2 files' blocks, not 3."""
    from orchestration.bench.runner import release_written_bytes, tree_bytes

    old, new = tmp_path / "r1", tmp_path / "r2"
    (old / "observations").mkdir(parents=True)
    (new / "observations").mkdir(parents=True)
    (old / "observations" / "2026-06.parquet").write_bytes(b"x" * 300)
    os.link(old / "observations" / "2026-06.parquet", new / "observations" / "2026-06.parquet")  # unchanged part
    (new / "observations" / "2026-07.parquet").write_bytes(b"y" * 100)  # the new month's part
    assert release_written_bytes(new) == 100
    blocks = {p.stat().st_ino: p.stat().st_blocks * 512 for p in tmp_path.rglob("*.parquet")}
    assert len(blocks) == 2 and tree_bytes(tmp_path) == sum(blocks.values())


def test_ratios_are_n_a_when_a_run_failed():
    """A run that stopped early (exit ≠ 0) gives no ratio: 1,971 s of a full run blocked at the gate is not the full
    pipeline's time. 610 / 10.8 = 56.48…, rounded to 56.48."""
    full, floor = Measure("full", 610.0), Measure("floor", 10.8)
    assert ratio(full, floor, 2) == 56.48
    assert ratio(Measure("full", 1971.2, returncode=1), floor, 2) is None
    assert ratio(full, Measure("pipeline_at_pandas_size", 6.0, returncode=-11), 2) is None
    stages = {k: {"seconds": 1.0} for k in ("full", "floor", "pandas", "incremental")}
    line = bench_line({"dossiers": 5, "stages": stages, "ratio_floor": None, "ratio_pandas": 0.5,
                       "incremental_ratio": None, "peak_rss_mb": 1.0})
    assert "ratio_floor=n/a ratio_pandas=0.5 incremental_ratio=n/a" in line


def test_code_state_tells_an_edit_made_while_the_bench_runs(tmp_path, monkeypatch):
    import subprocess

    import orchestration.bench.runner as runner_module
    import orchestration.publish.release as release_module
    from orchestration.bench.runner import code_state

    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "model.sql").write_text("select 1\n")
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "c"], check=True)
    # patched where code_state and code_version look it up: both modules import REPO_ROOT from settings
    monkeypatch.setattr(runner_module, "REPO_ROOT", repo)
    monkeypatch.setattr(release_module, "REPO_ROOT", repo)
    clean = code_state()
    assert "dirty" not in clean
    (repo / "model.sql").write_text("select 2\n")
    first_edit = code_state()
    (repo / "model.sql").write_text("select 3\n")
    second_edit = code_state()
    assert first_edit.startswith(clean + "-dirty+") and second_edit.startswith(clean + "-dirty+")
    assert len({clean, first_edit, second_edit}) == 3
