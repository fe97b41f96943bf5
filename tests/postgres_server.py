"""A throwaway PostgreSQL server for tests and benchmarks: Debian's binaries, a cluster in a temp dir.

``running_postgres()`` yields a ``postgresql://`` URL: ``$ROUNDTABLE_TEST_DATABASE_URL`` when set
(a server someone else runs), else a fresh cluster (initdb in a temp dir, as the ``postgres`` user
when run as root, since PostgreSQL refuses to run as root) on a free loopback port, stopped and
deleted afterwards. ``python -m tests.postgres_server`` runs one in the foreground and prints its URL.
It trades durability for speed (fsync off): the data is thrown away anyway.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

URL_ENV = "ROUNDTABLE_TEST_DATABASE_URL"
REQUIRE_ENV = "ROUNDTABLE_REQUIRE_POSTGRES"  # CI sets it: no PostgreSQL is then a failure, not a skip
START_TIMEOUT_S = 30.0
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "300",  # two app processes at full lock load in the benchmark
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "64MB",
}


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries here (``make postgres`` installs Debian's package), or the server would not start."""


def bin_dir() -> Path:
    """Where Debian keeps the server binaries (they are not on PATH): the newest version's ``bin``."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name.split(".")[0]))
    if not dirs:
        raise PostgresUnavailable("PostgreSQL is not installed (make postgres installs Debian's package)")
    return Path(dirs[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_postgres() -> Iterator[str]:
    """A PostgreSQL URL for the duration of the block (see the module docstring)."""
    if os.environ.get(URL_ENV):
        yield os.environ[URL_ENV]
        return
    bindir = bin_dir()
    root = Path(tempfile.mkdtemp(prefix="roundtable-pg-"))
    as_user = _run_as()
    try:
        data = root / "data"
        data.mkdir()
        if as_user:
            shutil.chown(root, as_user, as_user)
            shutil.chown(data, as_user, as_user)
        _run(as_user, [bindir / "initdb", "-D", data, "-U", "roundtable", "-A", "trust", "-E", "UTF8", "--no-sync"])
        port = free_port()
        options = [f"-c{k}={v}" for k, v in SETTINGS.items()]
        cmd = [bindir / "postgres", "-D", data, "-p", str(port), "-k", data, *options]
        log = open(root / "server.log", "wb")  # noqa: SIM115 - open for the server's lifetime
        server = subprocess.Popen(_as(as_user, cmd), stdout=log, stderr=subprocess.STDOUT)
        url = f"postgresql://roundtable@127.0.0.1:{port}/postgres"
        try:
            _wait_ready(url, server, root / "server.log")
            yield url
        finally:
            _stop(server, data)
            log.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _stop(server: subprocess.Popen, data: Path) -> None:
    """A "fast" shutdown (open connections are cut; nothing is kept anyway), signalled to the postmaster
    itself: ``runuser`` between us and it may not pass a signal on."""
    try:
        os.kill(int((data / "postmaster.pid").read_text().split()[0]), signal.SIGINT)
    except (OSError, ValueError, IndexError):
        server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _run_as() -> str | None:
    """PostgreSQL will not run as root: use Debian's ``postgres`` user then (or ``nobody``)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresUnavailable("running as root with no postgres or nobody user to run PostgreSQL as")


def _as(user: str | None, cmd: list) -> list[str]:
    cmd = [str(c) for c in cmd]
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


def _run(user: str | None, cmd: list) -> None:
    done = subprocess.run(_as(user, cmd), capture_output=True, text=True, cwd="/")
    if done.returncode != 0:
        raise PostgresUnavailable(f"{Path(str(cmd[0])).name} failed: {done.stderr.strip()[-500:]}")


def _wait_ready(url: str, server: subprocess.Popen, log: Path) -> None:
    import psycopg

    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if server.poll() is not None:
            raise PostgresUnavailable(f"PostgreSQL exited: {log.read_text(errors='replace')[-500:]}")
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise PostgresUnavailable("PostgreSQL did not accept connections in time") from None
            time.sleep(0.1)


if __name__ == "__main__":
    import sys

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill PID` stops the server and deletes it too
    with running_postgres() as url:
        print(f"{URL_ENV}={url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
