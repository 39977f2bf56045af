"""The engine for a one-stop system's database (DATA_CONTRACT §1.1 c), shared by the generator (which writes
synthetic data into it) and the pull (which reads it).

``make_source_engine(url)`` accepts SQLite (the embedded default, ``sqlite:///path``) and PostgreSQL
(``postgresql://`` / ``postgres://`` are taken as psycopg 3, the driver installed; psycopg2 is not). The URL
is a secret: the engine hides bound parameters in errors, and every message here shows ``mask_url(url)``.
"""

from __future__ import annotations

import os

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

from orchestration.lib.secrets import mask_url

_POSTGRES = ("postgresql", "postgres", "postgresql+psycopg")
_SQLITE = ("sqlite", "sqlite+pysqlite")


def make_source_engine(url: str) -> Engine:
    """A SQLAlchemy engine for the source database at ``url`` (SQLite or PostgreSQL via psycopg 3).

    SQLite connections get ``PRAGMA foreign_keys=ON`` (SQLite ignores foreign keys otherwise, and the child
    tables rely on ``ON DELETE CASCADE``). Creating the engine does not connect."""
    try:
        u = make_url(url)
    except Exception:  # SQLAlchemy's message repeats the string; unparsed, its password cannot be found to mask
        raise ValueError("the source database URL cannot be parsed (not shown: it may hold a password); "
                         "expected sqlite:///path or postgresql://user:password@host:port/db") from None
    if u.drivername in _POSTGRES:
        u = u.set(drivername="postgresql+psycopg")
    elif u.drivername not in _SQLITE:
        raise ValueError(f"unsupported source database URL {mask_url(url)}: expected sqlite:///path or "
                         "postgresql://user@host/db (psycopg 3)")
    # a server that does not answer must fail within seconds (then the pull retries), not hang the run
    connect_args = {"connect_timeout": int(os.environ.get("CCHC_SOURCE_CONNECT_TIMEOUT", "10"))} \
        if u.get_backend_name() == "postgresql" else {}
    engine = create_engine(u, hide_parameters=True, connect_args=connect_args)  # no data values (personal data) in errors
    if u.get_backend_name() == "sqlite":
        @event.listens_for(engine, "connect")
        def _foreign_keys_on(dbapi_connection, _record):
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    return engine
