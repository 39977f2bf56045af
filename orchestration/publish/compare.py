"""Compare two releases file by file (``cchc compare BEFORE AFTER``): the check that a refactoring changed nothing
published, and a quick look at what a new release changed.

Each file present in both is one of: byte-identical; identical once what legitimately differs between two releases
of the same data is masked (the release id, timestamps, the SDMX message id — a UUID); or different. What
"identical" means per kind of file:

* Parquet parts: the same schema and the same rows as a multiset (a part's row order is not fixed: the parts are
  written by one partitioned COPY, unsorted, for speed; its CSV twin is sorted and compared byte for byte);
* XLSX: the same workbook parts but ``docProps/`` (creation time);
* PDF: the same text, whitespace aside (Chromium breaks lines where a release id makes them long);
* ``manifest.json``: the same but for the release id, creation time, code version, fingerprint, previous release
  and the sha256 of Parquet and XLSX files (compared on their own, see above).
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lib import layout

MASK = re.compile(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)?"
                  rb"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MANIFEST_RUN_KEYS = ("release_id", "created_at", "code_version", "run_fingerprint", "previous_release")


@dataclass
class Comparison:
    identical: list[str] = field(default_factory=list)
    masked: list[str] = field(default_factory=list)  # identical once release ids, timestamps and UUIDs are masked
    different: list[str] = field(default_factory=list)
    only_before: list[str] = field(default_factory=list)
    only_after: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (self.different or self.only_before or self.only_after)

    def summary(self) -> str:
        n = sum(map(len, (self.identical, self.masked, self.different, self.only_before, self.only_after)))
        return (f"{n} file(s): {len(self.identical)} byte-identical, {len(self.masked)} identical once release ids, "
                f"timestamps and message ids are masked, {len(self.different)} different, "
                f"{len(self.only_before)} only before, {len(self.only_after)} only after")


def _mask(data: bytes, release_id: str) -> bytes:
    return MASK.sub(b"<masked>", data.replace(release_id.encode(), b"<release>"))


def _manifest(path: Path, release_id: str) -> bytes:
    m = json.loads(path.read_text(encoding="utf-8"))
    for key in MANIFEST_RUN_KEYS:
        m.pop(key, None)
    for part in m.get("parts", []):
        part["files"] = {f: ("" if f.endswith((".parquet", ".xlsx")) else h) for f, h in part.get("files", {}).items()}
    return _mask(json.dumps(m, sort_keys=True, ensure_ascii=False).encode(), release_id)


def _parquet_same(a: Path, b: Path) -> bool:
    con = duckdb.connect()
    qa, qb = (f"SELECT * FROM read_parquet('{p}', hive_partitioning = false)" for p in (a, b))
    if con.execute(f"DESCRIBE {qa}").fetchall() != con.execute(f"DESCRIBE {qb}").fetchall():
        return False
    return all(con.execute(f"SELECT count(*) FROM ({x} EXCEPT ALL {y})").fetchone()[0] == 0 for x, y in ((qa, qb), (qb, qa)))


def _xlsx(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


def _pdf_text(path: Path, release_id: str) -> str:
    from pypdf import PdfReader  # lazy: pypdf is an optional dependency (extra 'test'); only when a release has PDFs

    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(path).pages))
    return text.replace(re.sub(r"\s+", "", release_id), "<release>")


def _same(a: Path, b: Path, rid_a: str, rid_b: str) -> bool:
    if a.name == layout.RELEASE_MANIFEST:
        return _manifest(a, rid_a) == _manifest(b, rid_b)
    if a.suffix == ".parquet":
        return _parquet_same(a, b)
    if a.suffix == ".xlsx":
        return _xlsx(a) == _xlsx(b)
    if a.suffix == ".pdf":
        return _pdf_text(a, rid_a) == _pdf_text(b, rid_b)
    return _mask(a.read_bytes(), rid_a) == _mask(b.read_bytes(), rid_b)


def compare_releases(before: Path | str, after: Path | str) -> Comparison:
    before, after = Path(before).resolve(), Path(after).resolve()
    files_a = {p.relative_to(before).as_posix() for p in before.rglob("*") if p.is_file()}
    files_b = {p.relative_to(after).as_posix() for p in after.rglob("*") if p.is_file()}
    out = Comparison(only_before=sorted(files_a - files_b), only_after=sorted(files_b - files_a))
    for rel in sorted(files_a & files_b):
        a, b = before / rel, after / rel
        if a.read_bytes() == b.read_bytes():
            out.identical.append(rel)
        elif _same(a, b, before.name, after.name):
            out.masked.append(rel)
        else:
            out.different.append(rel)
    return out
