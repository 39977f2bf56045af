"""A landing worker that dies by SIGSEGV, as DuckDB 1.5.6's crash did (issue 7), for the tests of worker crashes
(tests/test_landing_workers.py). It lives outside production code and outside the test modules: worker processes are
spawned, so the function must be importable by its module path, without importing a test module.

``CCHC_TEST_CRASH_LANDING=<file name>:<marker path>`` (inherited by the spawned workers) makes the worker landing
that file die — once if a marker path is given (the marker is created), on every attempt if it is empty."""

import os
import signal
from pathlib import Path

from orchestration.ingest.workers import land_one

CRASH_ENV = "CCHC_TEST_CRASH_LANDING"


def crash_then_land(args):
    _settings, _table, path = args
    name, _, marker = os.environ.get(CRASH_ENV, "").partition(":")
    if name and path.name == name and not (marker and os.path.exists(marker)):
        if marker:
            Path(marker).touch()
        os.kill(os.getpid(), signal.SIGSEGV)
    return land_one(args)
