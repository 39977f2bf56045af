"""A real PostgreSQL server for a test module, started by the test run (no mock, no external service).

The module fixture runs initdb into a temp dir and starts ``postgres`` on a free port (TCP on 127.0.0.1 with
scram-sha-256 password authentication, its unix socket in the temp dir) as an UNPRIVILEGED user: PostgreSQL
refuses to run as root, and the tests run as root on CI — the ``postgres`` system user of the Debian package
(else ``nobody``) owns the temp dir and runs initdb/pg_ctl (``subprocess`` ``user=``/``group=``). Stopped at the end.
Import ``pg_server`` into a test module to use it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

PASSWORD = "s3cret-Pw-7f9q"  # must never show in results or logs
ADMIN = "cchc_admin"


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as(user: pwd.struct_passwd | None):
    """subprocess keyword arguments running a command as ``user`` (None: as ourselves)."""
    if user is None:
        return {}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(Path(tempfile.gettempdir())), "LANG": "C.UTF-8"}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [], "env": env}


@pytest.fixture(scope="module")
def pg_server():
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): .ci/run installs them")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    user = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        for name in ("postgres", "nobody"):
            try:
                user = pwd.getpwnam(name)
                break
            except KeyError:
                continue
        else:
            pytest.fail("running as root and neither a 'postgres' nor a 'nobody' user exists")
    base = Path(tempfile.mkdtemp(prefix="cchc-pg-"))  # directly under /tmp: reachable by the unprivileged user
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    pwfile = base / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if user is not None:
        for p in (base, sock, pwfile):
            os.chown(p, user.pw_uid, user.pw_gid)
    kw = _run_as(user)
    port = _free_port()
    log = base / "postgres.log"
    subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", ADMIN, "--pwfile", str(pwfile), "-E", "UTF8",
                    "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"],
                   check=True, capture_output=True, **kw)
    pwfile.unlink()
    opts = (f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c shared_buffers=32MB -c max_connections=20")
    start = subprocess.run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", opts, "start"],
                           capture_output=True, text=True, **kw)
    if start.returncode != 0:
        pytest.fail(f"postgres did not start: {start.stdout}{start.stderr}\n{log.read_text() if log.exists() else ''}")
    try:
        yield SimpleNamespace(
            url=f"postgresql://{ADMIN}:{PASSWORD}@127.0.0.1:{port}/postgres",
            socket_url=f"postgresql+psycopg://{ADMIN}@/postgres?host={sock}&port={port}",
            port=port, sock=sock)
    finally:
        subprocess.run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True, **kw)
        shutil.rmtree(base, ignore_errors=True)


