"""A sensor that notices new or changed files under the raw root and launches a refresh run."""


import hashlib
import os

import dagster as dg

from orchestration.lib.partitions import RANGE_END_TAG, RANGE_START_TAG, monthly
from orchestration.lib.settings import settings_from_env

SOURCE_FOLDERS = ("dossiers", "procedures", "petitions", "ratings", "surveys", "reference")


def raw_fingerprint(raw_dir) -> str:
    """Fingerprint of the raw root's data files (path, size, mtime) — cheap, no file is read."""
    h = hashlib.sha256()
    for folder in SOURCE_FOLDERS:
        base = os.path.join(raw_dir, folder)
        for root, _, files in sorted(os.walk(base)):
            for name in sorted(files):
                # lstat: a dangling link must not crash the sensor (the run then names it: ingestion refuses it)
                st = os.lstat(os.path.join(root, name))
                h.update(f"{os.path.relpath(os.path.join(root, name), raw_dir)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


@dg.sensor(job_name="cchc_refresh", minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
           description="New or changed files under the raw root ⇒ one refresh run over every monthly partition "
           "(only months whose files changed are rewritten, so the run costs what changed).")
def raw_files_sensor(context: dg.SensorEvaluationContext):
    raw_dir = settings_from_env().raw_dir
    fp = raw_fingerprint(raw_dir)
    if fp == context.cursor:
        return dg.SkipReason(f"no new file under {raw_dir}")
    context.update_cursor(fp)
    keys = monthly.get_partition_keys()
    return dg.RunRequest(run_key=fp, tags={RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]})
