"""Errors that stop a run before anything is published. Messages name the file (and record) at fault."""


class FileRejected(Exception):
    """A raw file that cannot be read at all (truncated, wrong root, missing columns, empty…)."""

    def __init__(self, file: str, rule: str, detail: str):
        self.file, self.rule, self.detail = file, rule, detail
        super().__init__(f"{file}: {rule}: {detail}")

    def __reduce__(self):  # picklable: files are landed in worker processes
        return (self.__class__, (self.file, self.rule, self.detail))


class QuarantineLimitExceeded(Exception):
    """A file whose share of quarantined records is above the configured limit (and that has at least the
    configured minimum number of quarantined records: a share of a small file is noise)."""

    def __init__(self, file: str, quarantined: int, read: int, limit: float, top_reasons: str, min_records: int = 1):
        self.file, self.quarantined, self.read = file, quarantined, read
        self._args = (file, quarantined, read, limit, top_reasons, min_records)
        super().__init__(
            f"{file}: {quarantined} of {read} records quarantined ({quarantined / max(read, 1):.1%}), "
            f"above the limit of {limit:.1%} (CCHC_MAX_QUARANTINE_SHARE, applied from "
            f"{min_records} quarantined records: CCHC_MAX_QUARANTINE_MIN_RECORDS); most common reasons: {top_reasons}"
        )

    def __reduce__(self):  # picklable: files are landed in worker processes
        return (self.__class__, self._args)


class LandingWorkersCrashed(Exception):
    """Landing worker processes died (no Python error: a crash inside DuckDB) on every attempt allowed. ``file``:
    the first file not landed (the worker that died may have held a later one)."""

    def __init__(self, table: str, file: str, attempts: int):
        self.table, self.file, self.attempts = table, file, attempts
        super().__init__(
            f"{file}: landing_worker_crashed: the worker processes landing {table} files died {attempts} times, the "
            f"last time on this file or one after it (the first not landed; a crash inside DuckDB, no Python error; "
            f"CCHC_LANDING_ATTEMPTS); nothing of this run is published")

    def __reduce__(self):
        return (self.__class__, (self.table, self.file, self.attempts))
