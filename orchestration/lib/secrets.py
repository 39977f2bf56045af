"""Database credentials: where URLs come from, and how they are shown (never with their password).

A URL comes from the command line, an environment variable (``CCHC_PG_URL``, ``CCHC_SOURCE_URL``) or the first
non-comment line of a secrets file named by ``<variable>_FILE`` — a file that must live outside the repository.
Every message, log line, metadata value and release shows ``mask_url(url)``; errors raised by drivers go
through ``masked_error`` first, in case a driver echoes its connection string.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from orchestration.lib.settings import REPO_ROOT

log = logging.getLogger(__name__)

_PASSWORD_IN_TEXT = re.compile(r"(?i)(password\s*=\s*)('[^']*'|[^\s&]+)")
_USERINFO = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*):[^@\s]*@")


NOT_SHOWN = "(not shown)"


def mask_url(url: str | None) -> str:
    """``postgresql://user:***@host/db``: the password (in the user info or a ``password=`` parameter) hidden.
    A URL SQLAlchemy cannot parse is never shown (``(not shown)``): without its structure there is no telling which
    part is the password (``u:SECRET@host/x``)."""
    if not url:
        return "<no url>"
    try:
        from sqlalchemy.engine import make_url  # lazy: SQLAlchemy ≈0.2 s; the CLI imports this module for every command

        u = make_url(str(url))
    except Exception:
        return NOT_SHOWN
    # an unencoded '@' in the password (u:p@ss@host) parses as host 'ss@host': part of the password would show
    if "@" in (u.host or ""):
        return NOT_SHOWN
    if "password" in u.query:
        u = u.update_query_dict({"password": "***"})
    return _PASSWORD_IN_TEXT.sub(r"\1***", u.render_as_string(hide_password=True))


def resolve_url(url: str | None, env_var: str) -> str | None:
    """``url`` if given, else the environment variable ``env_var``, else the first line of the file named by
    ``<env_var>_FILE`` (a secrets file outside the repository). None when nothing is configured."""
    if url:
        return url
    if os.environ.get(env_var):
        return os.environ[env_var].strip()
    file_var = f"{env_var}_FILE"
    path = os.environ.get(file_var)
    if not path:
        return None
    file = Path(path).expanduser().resolve()
    if file.is_relative_to(REPO_ROOT.resolve()):
        raise ValueError(f"{file_var}={path} is inside the repository; keep the secrets file outside it")
    if not file.is_file():
        raise FileNotFoundError(f"{file_var}={path}: no such file")
    if file.stat().st_mode & 0o077:
        log.warning("%s %s is readable by group/others; chmod 600 it", file_var, path)
    lines = [ln.strip() for ln in file.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    if not lines:
        raise ValueError(f"{file_var}={path} is empty")
    return lines[0]


def masked_error(exc: BaseException, url: str | None) -> str:
    """An exception's first line with the URL's password removed, should a driver ever echo it."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    password = None
    if url:
        try:
            from sqlalchemy.engine import make_url  # lazy: as in mask_url

            password = make_url(url).password
        except Exception:
            password = None
    if url:  # a driver echoing the URL itself (parseable or not) shows it masked
        msg = msg.replace(str(url), mask_url(url))
    if password:
        msg = msg.replace(str(password), "***")
    return _PASSWORD_IN_TEXT.sub(r"\1***", _USERINFO.sub(r"\1:***@", msg))
