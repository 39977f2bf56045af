"""Hardening of ingestion (issue 19, points 1–5) where the bad-input corpus does not fit: symbolic links out of
the raw root, reader messages that would quote personal data, temporary plain-text copies, the source URL in the
run's start line. Real files on disk, real DuckDB, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import landing, raw_root
from orchestration.ingest.errors import FileRejected
from orchestration.lib.secrets import mask_url
from orchestration.lib.settings import REPO_ROOT, Settings
from tests.bad_inputs.cases import CASES, FILES, PERSONAL_VALUES

CCHC = str(Path(sys.executable).with_name("cchc"))
SAMPLE = REPO_ROOT / "raw" / "sample"
SECRET_LINE = "postgresql://cchc:SECRET-PASSWORD@db.internal/motcua"


def _secrets_file(tmp_path: Path) -> Path:
    """A file outside the raw root whose first line is a secret (a database URL with a password)."""
    path = tmp_path / "etc" / "source_url"
    path.parent.mkdir(parents=True)
    path.write_text(SECRET_LINE + "\nma_pakn,agency_code\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ 1. links out of the raw root
def _link_layouts(tmp_path: Path, raw: Path) -> dict[str, tuple[Path, str]]:
    """Three ways a raw file can resolve outside the raw root: a file link, a link to a folder holding the source
    folder's files, and a relative link climbing out (../../). Returns name → (path as listed, table)."""
    secret = _secrets_file(tmp_path)
    outside = tmp_path / "elsewhere" / "petitions"
    outside.mkdir(parents=True)
    (outside / "p.csv").write_bytes((FILES / "pakn_unknown_status.csv").read_bytes())  # readable rows of another root
    (raw / "petitions").mkdir(parents=True)
    (raw / "petitions" / "p.csv").symlink_to(secret)
    (raw / "ratings").symlink_to(outside, target_is_directory=True)  # the whole source folder is a link
    (raw / "dossiers").mkdir()
    (raw / "dossiers" / "a.json").symlink_to(Path("../../etc/source_url"))
    return {"file link": (raw / "petitions" / "p.csv", "petitions"),
            "folder link": (raw / "ratings" / "p.csv", "ratings"),
            "relative link": (raw / "dossiers" / "a.json", "dossiers")}


def test_links_out_of_the_raw_root_are_rejected_naming_the_link_only(tmp_path):
    raw = tmp_path / "raw"
    settings = Settings(raw_dir=raw, out_dir=tmp_path / "out")
    for name, (path, table) in _link_layouts(tmp_path, raw).items():
        assert path in raw_root.table_files(settings, table), name  # listed, never silently skipped
        with pytest.raises(FileRejected) as exc:
            landing.land_file(settings, table, path)
        assert exc.value.rule == "outside_raw_root", (name, str(exc.value))
        assert str(exc.value).startswith(str(path.relative_to(raw)) + ": "), str(exc.value)
        assert "SECRET" not in str(exc.value) and "etc" not in str(exc.value) and "elsewhere" not in str(exc.value)
    assert not list((tmp_path / "out").rglob("*.parquet")), "nothing of a linked file reaches the lake"


def test_links_inside_the_raw_root_are_read_and_dangling_links_stop_the_run(tmp_path):
    raw = tmp_path / "raw"
    (raw / "archive").mkdir(parents=True)
    (raw / "archive" / "p.csv").write_bytes((FILES / "pakn_unknown_status.csv").read_bytes())
    (raw / "petitions").mkdir()
    (raw / "petitions" / "p.csv").symlink_to(Path("../archive/p.csv"))
    (raw / "petitions" / "q.csv").symlink_to(raw / "archive" / "gone.csv")
    settings = Settings(raw_dir=raw, out_dir=tmp_path / "out")
    load = landing.land_file(settings, "petitions", raw / "petitions" / "p.csv")
    assert (load.file, load.rows_read, load.rows_loaded, load.rows_quarantined) == ("petitions/p.csv", 2, 1, 1)
    with pytest.raises(FileRejected) as exc:
        landing.land_file(settings, "petitions", raw / "petitions" / "q.csv")
    assert exc.value.rule == "unreadable_file" and str(exc.value).startswith("petitions/q.csv: ")


def test_the_cli_stops_on_hostile_inputs_and_prints_no_secret_nor_personal_data(tmp_path):
    """The attacks of issue 19 in one real CLI run (both stop while landing, ~15 s): a PAKN 'file' linked to a
    secrets file (19.1) and a dossier payload DuckDB rejects for a duplicate key, whose message quoted the applicant
    (19.2). Exit ≠ 0, nothing published, the summary names both files, the secret line and the applicant appear
    nowhere in the output (summary or Dagster's log), and the JSON error is printed once in the summary and once in
    the log — not four times (the worker's traceback no longer repeats it)."""
    raw = tmp_path / "raw"
    import shutil

    shutil.copytree(SAMPLE, raw)
    (raw / "petitions" / "zz_link.csv").symlink_to(_secrets_file(tmp_path))
    dup = next(c for c in CASES if c.id == "json_duplicate_key_message_without_personal_data")
    (raw / "dossiers" / "zz_dup.json").write_bytes(dup.files["dossiers/a.json"]())
    out = tmp_path / "out"
    run = subprocess.run([CCHC, "run", "--raw", str(raw), "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode != 0
    blocked = run.stdout.split("PUBLICATION BLOCKED", 1)
    assert len(blocked) == 2, run.stdout[-3000:]
    assert "petitions/zz_link.csv: outside_raw_root" in blocked[1], blocked[1]
    assert "dossiers/zz_dup.json: unreadable_json" in blocked[1] and dup.message in blocked[1], blocked[1]
    everything = run.stdout + run.stderr
    assert "SECRET" not in everything and not [v for v in PERSONAL_VALUES if v in everything]
    assert run.stdout.count(dup.message) == 1 and everything.count(dup.message) <= 2, everything.count(dup.message)
    assert not (out / "publish" / "latest").exists()
    for landed in (out / "lake" / "_landed").rglob("*.parquet"):  # what landed before the stop is the sample's own
        assert "zz_link" not in str(duckdb.sql(f"SELECT list(DISTINCT _source_file) FROM read_parquet('{landed}')").fetchall())


# ------------------------------------------------------------------------------------ 4. the source URL printed
@pytest.mark.parametrize("url, shown", [
    ("u:SECRET@host/x", "(not shown)"),  # SQLAlchemy cannot parse it: which part is the password is unknown
    ("postgresql://u:SECRET@127.0.0.1:9/x", "postgresql://u:***@127.0.0.1:9/x"),  # parsed: password masked
])
def test_the_run_start_line_never_prints_a_source_url_password(tmp_path, url, shown):
    """The real CLI (nothing listens on port 9: the pull fails fast): the start line shows the URL masked or
    ``(not shown)``, and the password appears nowhere in the output, failures included."""
    env = {**os.environ, "CCHC_SOURCE_RETRIES": "1", "CCHC_SOURCE_RETRY_SECONDS": "0"}
    run = subprocess.run([CCHC, "run", "--source-url", url, "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode != 0
    first = run.stdout.splitlines()[0]
    assert first.startswith("cchc run:") and f"source database {shown} " in first, first
    assert "SECRET" not in run.stdout + run.stderr


def test_mask_url_hides_what_it_cannot_parse():
    assert mask_url("u:SECRET@host/x") == "(not shown)"
    assert mask_url("host=db password=SECRET") == "(not shown)"  # a libpq key=value string
    assert mask_url("postgresql://u:p@SECRET@host/db") == "(not shown)"  # '@' unencoded: parses as host 'SECRET@host'
    assert mask_url("postgresql://u:SECRET@host/db?password=SECRET") == "postgresql://u:***@host/db?password=***"
    assert mask_url("sqlite:////data/onestop.sqlite") == "sqlite:////data/onestop.sqlite"


# -------------------------------------------------------------- 3. no plain-text copy survives a killed landing
LANDING_KILLED_AFTER = """
import os, signal, sys, threading, time
from pathlib import Path
from orchestration.ingest import landing
from orchestration.lib.settings import Settings
raw, out, delay = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
threading.Timer(delay, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()  # kill -9 in the middle of the landing
landing.land_file(Settings(raw_dir=raw, out_dir=out, max_quarantine_share=1.0), "dossiers", raw / "dossiers" / "a.csv")
time.sleep(60)  # landed before the kill: wait for it
"""


def _holds_personal_data(folder: Path) -> list[str]:
    needles = [v.encode(enc) for v in PERSONAL_VALUES for enc in ("utf-8", "utf-16-le")]
    return [str(p) for p in folder.rglob("*") if p.is_file() and any(n in p.read_bytes() for n in needles)]


def test_the_in_memory_copy_is_gone_once_the_file_is_landed_or_rejected(tmp_path):
    from orchestration.ingest import readers
    from tests.bad_inputs.cases import flat_csv, flat_row

    raw = tmp_path / "raw"
    (raw / "dossiers").mkdir(parents=True)
    (raw / "dossiers" / "a.csv").write_bytes(flat_csv(flat_row(1), encoding="utf-16", delimiter="\t")())
    (raw / "dossiers" / "b.csv").write_bytes(flat_csv(flat_row(1), drop=("ngay_cap_nhat",), encoding="utf-16")())
    settings = Settings(raw_dir=raw, out_dir=tmp_path / "out")
    assert landing.land_file(settings, "dossiers", raw / "dossiers" / "a.csv").rows_loaded == 1
    with pytest.raises(FileRejected, match="missing_columns"):
        landing.land_file(settings, "dossiers", raw / "dossiers" / "b.csv")
    assert not [k for k in readers._MEMORY.store if "cchc-utf8" in k]


def test_a_landing_killed_while_reading_a_utf16_export_leaves_no_plain_text_copy(tmp_path):
    """A UTF-16 flat export of 40,000 dossiers (Excel's "Unicode text", names and phones in it) landed in a real
    process killed by SIGKILL at several points of its landing (reading, transcoding, checking, writing): no file in
    the temporary folder, the output root or the working folder ever holds the personal data afterwards — the copy
    DuckDB reads is made in memory, never on disk."""
    from tests.bad_inputs.cases import flat_csv, flat_row

    raw = tmp_path / "raw"
    (raw / "dossiers").mkdir(parents=True)
    rows = [flat_row(i, so_dien_thoai="0345189208") for i in range(1, 40_001)]
    (raw / "dossiers" / "a.csv").write_bytes(flat_csv(*rows, encoding="utf-16", delimiter="\t")())
    tmpdir, work = tmp_path / "tmp", tmp_path / "cwd"
    tmpdir.mkdir()
    work.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": str(REPO_ROOT)}
    for delay in (0.1, 0.15, 0.2, 0.5, 1.0):  # the old copy lived from about 0.08 to 0.28 s (40,000 rows)
        out = tmp_path / f"out-{delay}"
        run = subprocess.run([sys.executable, "-c", LANDING_KILLED_AFTER, str(raw), str(out), str(delay)],
                             cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == -9, (delay, run.stderr[-2000:])
        assert not list(tmpdir.iterdir()), (delay, sorted(p.name for p in tmpdir.iterdir()))  # not even an empty copy
        assert not _holds_personal_data(work), delay
        assert not _holds_personal_data(out) if out.exists() else True, delay


def test_the_raw_files_sensor_survives_a_dangling_link(tmp_path):
    """The sensor only fingerprints the raw root (no file is read): a dangling link changes the fingerprint instead of
    crashing the sensor; the run it triggers then names the link (unreadable_file)."""
    from orchestration.lib.sensors import raw_fingerprint

    (tmp_path / "dossiers").mkdir()
    (tmp_path / "dossiers" / "a.json").write_text("{}")
    before = raw_fingerprint(tmp_path)
    os.symlink(tmp_path / "nowhere.json", tmp_path / "dossiers" / "b.json")
    after = raw_fingerprint(tmp_path)
    assert len(after) == 64 and after != before
