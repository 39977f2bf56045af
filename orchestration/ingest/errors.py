"""Errors that stop a run before anything is published. Messages name the file (and record) at fault, and never
quote the values of personal-data fields (they are printed by the CLI, logged by Dagster, kept in run records)."""

import re

from orchestration.lib.lake_schema import DOSSIER_PERSONAL_COLUMNS, JSON_TO_FLAT

# Personal-data fields in every spelling a raw file uses: national JSON (PascalCase), flat export and survey columns
PERSONAL_FIELDS = sorted({*DOSSIER_PERSONAL_COLUMNS, *(k for k, v in JSON_TO_FLAT.items() if v in DOSSIER_PERSONAL_COLUMNS),
                          "ho_ten", "so_dien_thoai"})
# "ChuHoSo": "Lê …" / 'ho_ten': '…' / ChuHoSo=… — a personal field's value as a message might quote it
_PERSONAL_VALUE = re.compile(
    r"""(["']?\b(?:%s)\b["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"?|'[^']*'?|[^,;}\]\s]+)""" % "|".join(PERSONAL_FIELDS),
    re.IGNORECASE)
# DuckDB's readers quote the offending JSON value, cut at 50 bytes and ended by '...' (or whole when shorter)
_EXCERPT = re.compile(r"[{\[].{0,60}\.\.\.(?=\s|$)|[{\[].{0,60}[}\]](?=\s|$)")
EXCERPT_NOT_SHOWN = "(excerpt not shown: it may hold personal data)"


def mask_personal(text: str) -> str:
    """``text`` with the value of any personal-data field it quotes replaced by ``***``."""
    return _PERSONAL_VALUE.sub(r"\1***", text)


def reader_error_detail(exc: BaseException) -> str:
    """A reader's error (DuckDB, openpyxl, a decoder) as a message that may be printed anywhere: its first line
    (later lines carry DuckDB's copy of the raw line), without the record excerpt DuckDB quotes (``Object {"ChuHoSo":
    "Lê Thị …"``), and with any personal field's value masked. Kept: the file, the position, the key and the rule."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return mask_personal(_EXCERPT.sub(EXCERPT_NOT_SHOWN, text))


class FileRejected(Exception):
    """A raw file that cannot be read at all (truncated, wrong root, missing columns, empty…)."""

    def __init__(self, file: str, rule: str, detail: str):
        detail = mask_personal(detail)  # every route to a message passes here (workers re-create it when unpickled)
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
