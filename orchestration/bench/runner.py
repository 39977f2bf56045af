"""``cchc bench``: the performance benchmark (issue 7). One run measures, on one cached national dataset:

(a) ``full``        the whole pipeline, raw files → release, on 12 months of history (N dossiers);
(b) ``floor``       one hand-written DuckDB SQL script computing the same QD766_2_1 and Biểu 06 values from the
                    same raw files (orchestration/bench/floor.sql) — the lower bound of any pipeline;
(c) ``pandas``      the same values in plain pandas, at min(N, --pandas-max) dossiers, with the pipeline also timed
                    at that size for the ratio (pandas cannot hold a national year in memory);
(d) ``incremental`` one more month of extracts on top of (a)'s twelve months: the same command, same output folder.

(a), (b) and (c) must give identical values (checked; the bench fails otherwise). Every measured stage runs in its
own process; its wall time and peak resident memory (the process and all its children, sampled from /proc every
0.2 s) are reported. Generation is not timed: datasets are cached in the workdir and reused by later runs.
The last line is machine-readable:

    bench: dossiers=N full_s=… floor_s=… pandas_s=… incremental_s=… ratio_floor=… ratio_pandas=… incremental_ratio=… peak_rss_mb=…
           release_written_mb=… peak_disk_gb=…
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from orchestration.bench.compare import diff, published_values
from orchestration.bench.profile import profile_lines, run_profile
from orchestration.generate import generate
from orchestration.lib import layout
from orchestration.lib.settings import REPO_ROOT
from orchestration.publish.release import code_version

HISTORY_END = "2026-06"  # the dataset spans 2025-07 … 2026-07: twelve months of history, then one more month
NEW_MONTH = "2026-07"
DEFAULT_DOSSIERS = 20_000_000
PANDAS_MAX = 2_000_000


# ------------------------------------------------------------------------------------------------ measuring
def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read().decode("utf-8", "replace")
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            kids.append(int(entry.name))
    return kids


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (MB)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss_kb(p)
        todo.extend(_children(p))
    return total / 1024


@dataclass
class Measure:
    name: str
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    returncode: int = 0
    log: str = ""
    detail: dict = field(default_factory=dict)


def tree_bytes(root: Path) -> int:
    """Bytes allocated under ``root`` (st_blocks, each inode once: hard-linked release parts count once), like du."""
    seen: set[tuple[int, int]] = set()
    total = 0
    todo = [str(root)]
    while todo:
        try:
            entries = list(os.scandir(todo.pop()))
        except OSError:  # removed while we walk (a staging folder renamed into place)
            continue
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    todo.append(e.path)
                    continue
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def release_written_bytes(release: Path) -> int:
    """Bytes a release wrote itself: its files not hard-linked from (shared with) another release (st_nlink = 1)."""
    total = 0
    for p in release.rglob("*"):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            if st.st_nlink == 1:
                total += st.st_size
    return total


def measure(name: str, argv: list[str], log_path: Path, env: dict | None = None, say=print,
            disk_root: Path | None = None) -> Measure:
    """Run ``argv`` in its own process, sampling the resident memory of its whole process tree and, with
    ``disk_root``, the bytes under that folder (every 5 s; detail['peak_disk_bytes'])."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    say(f"[{name}] {' '.join(argv[1:4])} … (log: {log_path})")
    peak = 0.0
    started = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        # a clean run environment: no as-of, source database or raw/out root inherited from the caller
        clean = {k: v for k, v in os.environ.items()
                 if k not in ("CCHC_AS_OF", "CCHC_SOURCE_URL", "CCHC_SOURCE_URL_FILE", "CCHC_RAW_DIR", "CCHC_OUT_DIR")}
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**clean, **(env or {})})
        stop = threading.Event()

        peak_disk = tree_bytes(disk_root) if disk_root else 0

        def sample():
            nonlocal peak, peak_disk
            last_note = last_disk = time.perf_counter()
            while not stop.is_set():
                peak = max(peak, tree_rss_mb(proc.pid))
                if disk_root and time.perf_counter() - last_disk > 5:
                    last_disk = time.perf_counter()
                    peak_disk = max(peak_disk, tree_bytes(disk_root))
                if time.perf_counter() - last_note > 30:  # progress for long stages
                    last_note = time.perf_counter()
                    say(f"[{name}] {time.perf_counter() - started:,.0f} s, peak RSS {peak:,.0f} MB so far")
                stop.wait(0.2)

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        code = proc.wait()
        stop.set()
        t.join()
    m = Measure(name, round(time.perf_counter() - started, 2), round(peak, 1), code, str(log_path))
    if disk_root:
        m.detail["peak_disk_bytes"] = max(peak_disk, tree_bytes(disk_root))
    say(f"[{name}] {m.seconds:,.1f} s, peak RSS {m.peak_rss_mb:,.0f} MB, exit {code}")
    return m


# ------------------------------------------------------------------------------------------------ datasets
def dataset(workdir: Path, dossiers: int, seed: int, say=print, provinces: int | None = None,
            gzip: bool = False) -> Path:
    """The national raw root for ``dossiers`` per year (2025-07 … 2026-07), generated once and cached
    (``provinces``: only the first N provinces — the tiny bench of the test suite; ``gzip``: dossier files as
    ``.json.gz``, for volumes whose plain JSON would not fit on the disk)."""
    root = workdir / "data" / (f"national-{dossiers}-seed{seed}" + (f"-p{provinces}" if provinces else "")
                               + ("-gz" if gzip else ""))
    marker = root / ".complete.json"
    if marker.exists():
        say(f"dataset {root.name}: cached ({json.loads(marker.read_text())['seconds']} s to generate)")
        return root
    shutil.rmtree(root, ignore_errors=True)
    say(f"dataset {root.name}: generating (not timed; cached for later runs)…")
    started = time.perf_counter()
    summary = generate(root / "raw", scale="national", seed=seed, start="2025-07", end=NEW_MONTH,
                       dossiers_per_year=dossiers, progress=lambda m: say(f"  generate: {m}"), provinces=provinces,
                       compress="gzip" if gzip else None)
    marker.write_text(json.dumps({"seconds": round(time.perf_counter() - started, 1), "counts": summary.get("counts")},
                                 default=str), encoding="utf-8")
    return root


_MONTH_IN_NAME = __import__("re").compile(r"(20\d{2})(0[1-9]|1[0-2])(?!\d)")


def _file_month(name: str) -> str | None:
    """'YYYY-MM' of a monthly extract file (dongbo_202607_19_001.json, petitions_202607.csv), else None."""
    m = _MONTH_IN_NAME.search(name)
    return f"{m.group(1)}-{m.group(2)}" if m else None


def raw_view(full_raw: Path, target: Path, last_month: str) -> Path:
    """A raw root of hard links to the files of ``full_raw`` whose extract month is ≤ ``last_month`` (files
    without a month — catalogue, reference, surveys — always). Same relative paths, so landed files are shared.
    Hard links, not symbolic ones: ingestion refuses a symbolic link whose target lies outside the raw root
    (rule outside_raw_root); a hard link is the file itself. Copies when the link cannot be made (another device)."""
    if target.exists():
        shutil.rmtree(target)
    for path in sorted(full_raw.rglob("*")):
        if not path.is_file():
            continue
        month = _file_month(path.name)
        if month is not None and month > last_month:
            continue
        dest = target / path.relative_to(full_raw)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, dest)
        except OSError:
            shutil.copy2(path, dest)
    return target


# ------------------------------------------------------------------------------------------------ the bench
def _cchc() -> str:
    return str(Path(sys.executable).with_name("cchc"))


def measure_pipeline(name: str, argv: list[str], log_path: Path, say=print, disk_root: Path | None = None) -> Measure:
    """``measure`` for a ``cchc run``, then its stage profile read from its log (orchestration/bench/profile.py) and
    the bytes its release wrote itself (hard links to the previous release's parts excluded)."""
    m = measure(name, argv, log_path, say=say, disk_root=disk_root)
    m.detail["profile"] = run_profile(log_path.read_text(encoding="utf-8", errors="replace"))
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    latest = layout.latest_link(layout.publish_dir(out)) if out else None
    if m.returncode == 0 and latest and latest.exists():
        m.detail["release"] = latest.resolve().name
        m.detail["release_written_bytes"] = release_written_bytes(latest.resolve())
    say(f"[{name}] where the time went:")
    for line in profile_lines(m.detail["profile"], m.seconds):
        say(line)
    return m


def _stage(kind: str, raw: Path, result: Path) -> list[str]:
    return [sys.executable, "-m", "orchestration.bench.stage", kind, "--raw", str(raw), "--result", str(result)]


def _values_of_release(out: Path) -> dict:
    return published_values(layout.latest_link(layout.publish_dir(out)).resolve())


def _load(result: Path) -> dict:
    data = json.loads(result.read_text(encoding="utf-8"))
    return {k: [tuple(r) for r in v] for k, v in data.items()}


def _check_same(label: str, a: dict, b: dict, say) -> list[str]:
    problems = diff(a, b)
    n = sum(len(v) for v in a.values())
    say(f"values {label}: {'identical' if not problems else f'{len(problems)} difference(s)'} ({n} values compared)")
    for p in problems[:10]:
        say(f"  {p}")
    return problems


def run_bench(dossiers: int = DEFAULT_DOSSIERS, workdir: Path = Path("bench_work"), seed: int = 1,
              pandas_max: int = PANDAS_MAX, say=print, provinces: int | None = None, gzip: bool = False,
              keep_outputs: bool = False) -> dict:
    """keep_outputs: keep the output folder of the pipeline run at the pandas size (deleted once its values are
    compared by default: at 20 M, two output folders and the datasets would not fit on a modest disk)."""
    workdir = Path(workdir).resolve()
    runs = workdir / "runs" / (f"{dossiers}-seed{seed}" + (f"-p{provinces}" if provinces else "") + ("-gz" if gzip else ""))
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir(parents=True)
    p_size = min(dossiers, pandas_max)
    # every dataset exists before the clock starts: generation is not part of the bench's time
    data = dataset(workdir, dossiers, seed, say, provinces, gzip)
    p_data = dataset(workdir, p_size, seed, say, provinces, gzip) if p_size != dossiers else data
    code_at_start = code_state()
    started = time.perf_counter()
    history = raw_view(data / "raw", runs / "raw_history", HISTORY_END)
    full13 = raw_view(data / "raw", runs / "raw_with_new_month", NEW_MONTH)
    results: dict[str, Measure] = {}
    problems: list[str] = []

    out = runs / "out"
    results["full"] = measure_pipeline("full", [_cchc(), "run", "--verbose", "--raw", str(history), "--out", str(out)], runs / "full.log",
                                       say=say, disk_root=workdir)
    results["floor"] = measure("floor", _stage("floor", history, runs / "floor.json"), runs / "floor.log", say=say)
    if results["full"].returncode == 0 and results["floor"].returncode == 0:
        problems += _check_same("pipeline = floor", _values_of_release(out), _load(runs / "floor.json"), say)
    else:
        problems.append("the pipeline or the floor failed (see the logs)")

    # (c) pandas at min(N, pandas_max), the pipeline timed at the same size
    if p_size == dossiers:
        p_history, p_out, pipeline_at_p = history, out, results["full"]
    else:
        p_history = raw_view(p_data / "raw", runs / "raw_pandas_history", HISTORY_END)
        p_out = runs / "out_pandas_size"
        pipeline_at_p = results["pipeline_at_pandas_size"] = measure_pipeline(
            "pipeline_at_pandas_size", [_cchc(), "run", "--verbose", "--raw", str(p_history), "--out", str(p_out)],
            runs / "pipeline_at_pandas_size.log", say=say)
    results["pandas"] = measure("pandas", _stage("pandas", p_history, runs / "pandas.json"), runs / "pandas.log", say=say)
    if results["pandas"].returncode == 0 and pipeline_at_p.returncode == 0:
        problems += _check_same("pipeline = pandas", _values_of_release(p_out), _load(runs / "pandas.json"), say)
    else:
        problems.append("pandas or the pipeline at the pandas size failed (see the logs)")
    if p_out != out and not keep_outputs:
        shutil.rmtree(p_out, ignore_errors=True)
        say(f"removed {p_out} (values compared; --keep-outputs keeps it)")

    # (d) one more month on top of (a): same output folder, the raw root now holds the new month's files too
    results["incremental"] = measure_pipeline("incremental", [_cchc(), "run", "--verbose", "--raw", str(full13), "--out", str(out)],
                                              runs / "incremental.log", say=say, disk_root=workdir)
    if results["incremental"].returncode != 0:
        problems.append("the incremental run failed (see its log)")

    full, floor, pandas, incr = (results[k].seconds for k in ("full", "floor", "pandas", "incremental"))
    code_at_end = code_state()
    summary = {
        # every run imports the code as it is when that run starts: a tree edited during the bench measured a mix
        "code_at_start": code_at_start, "code_at_end": code_at_end, "code_changed": code_at_start != code_at_end,
        "dossiers": dossiers, "pandas_dossiers": p_size, "seed": seed, "workdir": str(workdir), "gzip": gzip,
        "provinces": provinces or 34,
        "machine": machine(), "started_at": dt.datetime.now().isoformat(timespec="seconds"),
        "bench_seconds_after_generation": None,
        "stages": {k: asdict(v) for k, v in results.items()},
        "ratio_floor": ratio(results["full"], results["floor"], 2),
        "ratio_pandas": ratio(results["pandas"], pipeline_at_p, 2),
        "incremental_ratio": ratio(results["incremental"], results["full"], 3),
        "peak_rss_mb": max(results[k].peak_rss_mb for k in results if k not in ("floor", "pandas")),
        # what a user pays on disk: the bytes the incremental run's release wrote itself (hard links excluded), the
        # full run's for comparison, and the peak bytes under the workdir (datasets included) during either run
        "release_written_mb": _mb(results["incremental"].detail.get("release_written_bytes")),
        "full_release_written_mb": _mb(results["full"].detail.get("release_written_bytes")),
        "peak_disk_gb": round(max(results[k].detail.get("peak_disk_bytes", 0) for k in ("full", "incremental")) / 2**30, 2),
        "problems": problems,
    }
    summary["bench_seconds_after_generation"] = round(time.perf_counter() - started, 1)
    (runs / "bench.json").write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    _print_table(summary, say)
    say(bench_line(summary))
    return summary


def _mb(n: int | None) -> float | None:
    return None if n is None else round(n / 2**20, 1)


def ratio(numerator: Measure, denominator: Measure, digits: int) -> float | None:
    """numerator / denominator seconds, or None (printed n/a) when either run failed: the time of a run that stopped
    early is no measure of the stage (issue 7: the 20 M full run stopped at the gate, the 2 M run crashed after 6 s)."""
    if numerator.returncode != 0 or denominator.returncode != 0 or not denominator.seconds:
        return None
    return round(numerator.seconds / denominator.seconds, digits)


def _shown(value) -> str:
    return "n/a" if value is None else str(value)


def code_state() -> str:
    """The code the runs use: ``git describe --always --dirty``, plus a digest of the uncommitted changes when
    the tree is dirty (so an edit made while the bench runs shows as a different state at its end)."""
    version = code_version()
    if version.endswith("-dirty"):
        try:
            diff = subprocess.run(["git", "-C", str(REPO_ROOT), "diff", "HEAD"], capture_output=True, timeout=30).stdout
            version += "+" + hashlib.sha256(diff).hexdigest()[:12]
        except (OSError, subprocess.SubprocessError):
            pass
    return version


def machine() -> str:
    mem = 0
    try:
        with open("/proc/meminfo") as fh:
            mem = int(fh.readline().split()[1]) // 1024 // 1024
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem} GB, {platform.system()} {platform.release()}"


def bench_line(s: dict) -> str:
    st = s["stages"]
    return (f"bench: dossiers={s['dossiers']} full_s={st['full']['seconds']} floor_s={st['floor']['seconds']} "
            f"pandas_s={st['pandas']['seconds']} incremental_s={st['incremental']['seconds']} "
            f"ratio_floor={_shown(s['ratio_floor'])} ratio_pandas={_shown(s['ratio_pandas'])} "
            f"incremental_ratio={_shown(s['incremental_ratio'])} peak_rss_mb={s['peak_rss_mb']} "
            f"release_written_mb={_shown(s.get('release_written_mb'))} peak_disk_gb={_shown(s.get('peak_disk_gb'))}")


def _print_table(s: dict, say) -> None:
    say("")
    say(f"machine: {s['machine']}; dataset: {s['dossiers']:,} dossiers/year (pandas at {s['pandas_dossiers']:,})"
        + ("; dossier files gzipped" if s.get("gzip") else ""))
    say(f"code: {s['code_at_start']}" + (f" → {s['code_at_end']} — THE CODE CHANGED WHILE THE BENCH RAN: its runs measured"
                                          " different code" if s["code_changed"] else ""))
    say(f"{'stage':<26}{'wall s':>10}{'peak RSS MB':>14}  exit")
    for name, m in s["stages"].items():
        say(f"{name:<26}{m['seconds']:>10,.1f}{m['peak_rss_mb']:>14,.0f}  {m['returncode']}")
    say(f"ratio_floor = full / floor = {_shown(s['ratio_floor'])} (target ≤ 3.0)")
    say(f"ratio_pandas = pandas / pipeline at {s['pandas_dossiers']:,} = {_shown(s['ratio_pandas'])} (target ≥ 2)")
    say(f"incremental_ratio = incremental / full = {_shown(s['incremental_ratio'])} (target ≤ 0.15)")
    say(f"peak_rss_mb (pipeline runs, children included) = {s['peak_rss_mb']} (target ≤ 6144)")
    say(f"bench wall time after generation: {s['bench_seconds_after_generation']} s (target ≤ 1800)")
    if s["problems"]:
        say("PROBLEMS: " + "; ".join(s["problems"]))


def cmd_bench(args) -> int:
    summary = run_bench(args.dossiers, Path(args.workdir), args.seed, args.pandas_max,
                        say=lambda m: print(m, flush=True), provinces=args.provinces, gzip=args.gzip,
                        keep_outputs=args.keep_outputs)
    return 1 if summary["problems"] else 0
