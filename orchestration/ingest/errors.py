"""Errors that stop a run before anything is published. Messages name the file (and record) at fault."""


class FileRejected(Exception):
    """A raw file that cannot be read at all (truncated, wrong root, missing columns, empty…)."""

    def __init__(self, file: str, rule: str, detail: str):
        self.file, self.rule, self.detail = file, rule, detail
        super().__init__(f"{file}: {rule}: {detail}")


class QuarantineLimitExceeded(Exception):
    """A file whose share of quarantined records is above the configured limit."""

    def __init__(self, file: str, quarantined: int, read: int, limit: float, top_reasons: str):
        self.file = file
        super().__init__(
            f"{file}: {quarantined} of {read} records quarantined ({quarantined / max(read, 1):.1%}), "
            f"above the limit of {limit:.1%} (CCHC_MAX_QUARANTINE_SHARE); most common reasons: {top_reasons}"
        )
