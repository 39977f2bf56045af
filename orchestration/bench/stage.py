"""One measured bench stage in its own process (so its time and memory are its own):

    python -m orchestration.bench.stage floor|pandas --raw DIR --result FILE.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="orchestration.bench.stage")
    p.add_argument("kind", choices=["floor", "pandas"])
    p.add_argument("--raw", required=True)
    p.add_argument("--result", required=True)
    args = p.parse_args(argv)
    started = time.perf_counter()
    # lazy: each stage process loads only the implementation it measures (its time and memory are its own)
    if args.kind == "floor":
        from orchestration.bench.floor import run_floor

        values = run_floor(Path(args.raw))
    else:
        from orchestration.bench.pandas_ref import run_pandas

        values = run_pandas(Path(args.raw))
    Path(args.result).write_text(json.dumps(values, default=str), encoding="utf-8")
    print(f"{args.kind}: {sum(len(v) for v in values.values())} values in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
