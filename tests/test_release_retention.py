"""`cchc releases`: own bytes (hard-linked parts shared with another release count once, in neither's own bytes),
pins, and pruning that keeps the newest N, `latest` and the pinned releases — real folders, the real CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.publish import retention

CCHC = str(Path(sys.executable).with_name("cchc"))


def _release(publish: Path, rid: str, created: str, parts: dict[str, bytes], links: dict[str, Path] | None = None):
    rel = publish / rid
    (rel / "observations").mkdir(parents=True)
    (rel / "manifest.json").write_text(json.dumps({"release_id": rid, "created_at": created}), encoding="utf-8")
    for name, data in parts.items():
        (rel / "observations" / name).write_bytes(data)
    for name, src in (links or {}).items():
        os.link(src, rel / "observations" / name)
    return rel


def _four_releases(tmp_path: Path) -> Path:
    publish = tmp_path / "out" / "publish"
    r1 = _release(publish, "2026-01-05.1", "2026-01-05T01:00:00+00:00", {"2025-12.parquet": b"a" * 1000})
    _release(publish, "2026-02-05.1", "2026-02-05T01:00:00+00:00", {"2026-01.parquet": b"b" * 500},
                  links={"2025-12.parquet": r1 / "observations" / "2025-12.parquet"})
    _release(publish, "2026-03-05.1", "2026-03-05T01:00:00+00:00", {"x.parquet": b"c" * 200})
    _release(publish, "2026-04-05.1", "2026-04-05T01:00:00+00:00", {"y.parquet": b"d" * 100})
    os.symlink("2026-03-05.1", publish / "latest")  # latest is not the newest (e.g. the newest was rolled back)
    (publish / ".staging-2026-04-06.1").mkdir()  # a killed run's leftover is no release
    return publish


def test_own_bytes_leave_out_parts_shared_with_another_release(tmp_path):
    publish = _four_releases(tmp_path)
    by_id = {r.release_id: r for r in retention.list_releases(publish)}
    assert list(by_id) == ["2026-01-05.1", "2026-02-05.1", "2026-03-05.1", "2026-04-05.1"]  # oldest first
    # r1's 1,000-byte part is hard-linked into r2: it is neither's own; r2 owns its new 500 bytes + its manifest
    manifest = {rid: (publish / rid / "manifest.json").stat().st_size for rid in by_id}
    assert by_id["2026-01-05.1"].own_bytes == manifest["2026-01-05.1"]
    assert by_id["2026-02-05.1"].own_bytes == 500 + manifest["2026-02-05.1"]
    assert by_id["2026-02-05.1"].total_bytes == 1500 + manifest["2026-02-05.1"]
    assert by_id["2026-03-05.1"].is_latest and not by_id["2026-04-05.1"].is_latest


def test_prune_keeps_the_newest_latest_and_pinned_and_never_breaks_latest(tmp_path):
    publish = _four_releases(tmp_path)
    retention.pin(publish, "2026-01-05.1")
    # keep 1: the newest (04-05) stays, latest (03-05) stays, pinned 01-05 stays ⇒ only 02-05 goes
    assert [r.release_id for r in retention.prune(publish, keep=1, dry_run=True)] == ["2026-02-05.1"]
    assert (publish / "2026-02-05.1").is_dir()  # a dry run removes nothing
    removed = retention.prune(publish, keep=1)
    assert [r.release_id for r in removed] == ["2026-02-05.1"]
    assert sorted(p.name for p in publish.iterdir() if not p.name.startswith(".")) == [
        "2026-01-05.1", "2026-03-05.1", "2026-04-05.1", "latest", "pinned.txt"]
    assert (publish / "latest" / "manifest.json").exists()
    # the part r2 shared with r1 survives in r1
    assert (publish / "2026-01-05.1" / "observations" / "2025-12.parquet").read_bytes() == b"a" * 1000
    retention.pin(publish, "2026-01-05.1", on=False)
    assert [r.release_id for r in retention.prune(publish, keep=1)] == ["2026-01-05.1"]
    assert (publish / "latest").resolve().name == "2026-03-05.1"


def test_prune_keeps_the_release_the_analysts_database_reads(tmp_path):
    """A run killed between moving `latest` and swapping the analysts' database leaves that database's views on the
    previous release: pruning keeps it."""
    import duckdb

    publish = _four_releases(tmp_path)
    with duckdb.connect(str(publish.parent / "warehouse_published.duckdb")) as con:
        con.execute("CREATE SCHEMA _published")
        con.execute("CREATE TABLE _published.release AS SELECT '2026-02-05.1' AS release_id")
    assert [r.release_id for r in retention.prune(publish, keep=1)] == ["2026-01-05.1"]
    assert (publish / "2026-02-05.1" / "manifest.json").exists()


def test_the_cli_lists_pins_and_prunes(tmp_path):
    publish = _four_releases(tmp_path)
    out = str(tmp_path / "out")
    listed = subprocess.run([CCHC, "releases", "--out", out], capture_output=True, text=True, check=True).stdout
    assert "2026-03-05.1" in listed and "latest" in listed and "4 release(s)" in listed
    bad = subprocess.run([CCHC, "releases", "--out", out, "--pin", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "no release nope" in bad.stderr
    pruned = subprocess.run([CCHC, "releases", "--out", out, "--pin", "2026-02-05.1", "--prune", "--keep", "1"],
                            capture_output=True, text=True, check=True).stdout
    assert "pinned 2026-02-05.1" in pruned and "removed 1 release(s)" in pruned and "2026-01-05.1" in pruned
    assert not (publish / "2026-01-05.1").exists() and (publish / "2026-02-05.1").is_dir()


def test_release_ids_are_unique_across_output_roots(tmp_path):
    """Two output roots publishing on the same day with the same inputs get different ids (date + sequence + the
    root's own id, drawn once and kept); within a root the sequence goes on, old-style names included."""
    import datetime as dt

    from orchestration.publish.release import next_release_id

    day = dt.date(2026, 12, 6)
    a, b = tmp_path / "a" / "publish", tmp_path / "b" / "publish"
    first_a, first_b = next_release_id(a, day), next_release_id(b, day)
    assert first_a != first_b and first_a.startswith("2026-12-06.1-") and first_b.startswith("2026-12-06.1-")
    (a / first_a).mkdir()
    (a / "2026-12-06.7").mkdir()  # a release named before root ids existed still counts in the sequence
    second = next_release_id(a, day)
    assert second == "2026-12-06.8-" + first_a.rsplit("-", 1)[1]  # same root, same root id
