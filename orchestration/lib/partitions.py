"""Monthly partitions of the time-based sources (dossiers by reception month)."""

import dagster as dg

# Reception months from 2010 (row rules accept dates after 2000; earlier extracts are not expected);
# end_offset=1 includes the running month, whose values are published as provisional.
monthly = dg.MonthlyPartitionsDefinition(start_date="2010-01-01", end_offset=1)

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def month_key(month: str) -> str:
    """'2023-01' → '2023-01-01', the partition key of that month."""
    return f"{month}-01"


def range_tags(first_month: str, last_month: str) -> dict[str, str]:
    """Run tags materialising every monthly partition from first to last in one run (single-run backfill)."""
    return {RANGE_START_TAG: month_key(first_month), RANGE_END_TAG: month_key(last_month)}
