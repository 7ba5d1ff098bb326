"""A throwaway PostgreSQL server for tests: `initdb` a cluster in a temporary folder, start it on
a free local port, hand out a libpq URL, stop it and remove the folder afterwards.

PostgreSQL refuses to run as root: when the tests run as root the cluster is created and started
as the `postgres` system user (Debian's package creates it), else as the current user. The
binaries are looked up on PATH, then in /usr/local/bin and /usr/lib/postgresql/<n>/bin
(`scripts/setup_postgres.sh` installs them on a fresh Debian).

`start_server` raises `ServerUnavailable` with the reason when no server can be started; the
fixture turns that into a skip, or a failure under CI=true.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ServerUnavailable(RuntimeError):
    """No PostgreSQL server can be started on this machine (the message says why)."""


def _binary(name: str) -> str:
    candidates = [shutil.which(name), f"/usr/local/bin/{name}"]
    candidates += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise ServerUnavailable(
        f"{name} not found (apt-get install postgresql, or run scripts/setup_postgres.sh)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_user(user: str | None, argv: list[str]) -> list[str]:
    if user is None:
        return argv
    runuser = shutil.which("runuser") or shutil.which("su")
    if runuser is None:
        raise ServerUnavailable("running as root and neither runuser nor su is available")
    if runuser.endswith("runuser"):
        return [runuser, "-u", user, "--", *argv]
    return [runuser, user, "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in argv)]


@contextmanager
def start_server() -> Iterator[str]:
    """Yield the libpq URL of a fresh, empty database `litellm` on a new local server."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    user = None
    if os.geteuid() == 0:
        try:
            entry = pwd.getpwnam("postgres")
        except KeyError:
            raise ServerUnavailable("running as root and there is no `postgres` user") from None
        user = entry.pw_name
    folder = Path(tempfile.mkdtemp(prefix="aifinops-pg-"))
    data, log = folder / "data", folder / "server.log"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    started = False
    try:
        run = subprocess.run(
            _as_user(
                user,
                [
                    initdb,
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                ],
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if run.returncode != 0:
            raise ServerUnavailable(f"initdb failed: {(run.stderr or run.stdout).strip()[-400:]}")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        run = subprocess.run(
            _as_user(
                user,
                [pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"],
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if run.returncode != 0:
            tail = log.read_text(errors="replace")[-400:] if log.exists() else run.stderr
            raise ServerUnavailable(f"pg_ctl start failed: {tail.strip()}")
        started = True
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            con.execute("create database litellm")
        yield f"postgresql://postgres@127.0.0.1:{port}/litellm"
    finally:
        if started:
            subprocess.run(
                _as_user(user, [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True, timeout=60,
            )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
