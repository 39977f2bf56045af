"""The load record of one raw file (``FileLoad``: provenance and row accounting, the content of its landing
manifest) and the totals over many (``load_totals``), which the lake assets' metadata and the run summary both
report.

Every load's accounting holds: rows read = rows loaded + rows quarantined + exact duplicates dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class FileLoad:
    """Provenance and row accounting of one raw file (the load manifest entry)."""

    table: str
    file: str  # relative to the raw root
    sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    duplicates_dropped: int = 0
    absent_columns: list[str] = field(default_factory=list)  # optional columns missing from the file (NULL)
    extra_columns: list[str] = field(default_factory=list)  # columns not in the layout (ignored)
    flags: dict[str, int] = field(default_factory=dict)  # loaded records flagged, e.g. unknown_procedure
    notes: list[str] = field(default_factory=list)  # plain-words remarks on the load (absent/extra columns, flags)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    extract_time: str | None = None  # latest update/record time in the file
    months: list[str] = field(default_factory=list)  # months present (time-based tables: lake_schema.PARTITION_MONTH_OF)
    loaded_at: str = ""
    status: str = "landed"  # landed | unchanged (already landed earlier)

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined + self.duplicates_dropped


@dataclass
class LoadTotals:
    """Row accounting summed over several loads (of one table, usually)."""

    files: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    duplicates_dropped: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)  # rule → records, in the order first met

    def add(self, load: FileLoad) -> None:
        self.files += 1
        self.rows_read += load.rows_read
        self.rows_loaded += load.rows_loaded
        self.rows_quarantined += load.rows_quarantined
        self.duplicates_dropped += load.duplicates_dropped
        for rule, n in load.quarantine_reasons.items():
            self.quarantine_reasons[rule] = self.quarantine_reasons.get(rule, 0) + n

    def reasons_by_count(self) -> list[tuple[str, int]]:
        """The quarantine rules, most records first (a tie keeps the order first met)."""
        return sorted(self.quarantine_reasons.items(), key=lambda kv: -kv[1])


def load_totals(loads: Iterable[FileLoad]) -> LoadTotals:
    totals = LoadTotals()
    for load in loads:
        totals.add(load)
    return totals


def totals_by_table(loads: Iterable[FileLoad]) -> dict[str, LoadTotals]:
    """``load_totals`` per table, tables in the order first met."""
    out: dict[str, LoadTotals] = {}
    for load in loads:
        out.setdefault(load.table, LoadTotals()).add(load)
    return out
