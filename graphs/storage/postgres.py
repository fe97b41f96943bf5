"""PostgreSQL: checkpoints, the app's tables and per-session locks for several servers on one database.

Each process keeps two connection pools per database URL, made on first use: one for data (the
checkpointer and the app's tables take a connection per call, so threads never share one) and one
for locks. A session's lock is a PostgreSQL advisory lock held on a pooled connection for the whole
turn: every server on the database honours it, and it is released by the server itself if the
process holding it dies, so a crashed turn never leaves a meeting locked.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psycopg
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.serde.base import SerializerProtocol
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from graphs.session_lock import SessionBusy, ThreadSessionLocks
from graphs.storage.sql import DuplicateRow, Row

DATA_POOL_SIZE = 10  # the checkpointer serialises its own calls; the rest are short reads and writes
# one connection per turn being answered in this process; PostgreSQL's default max_connections is 100,
# so two servers at full lock load plus their data pools fit only with it raised (see README, Deploy)
LOCK_POOL_SIZE = 64
LOCK_POOL_WAIT_S = 60.0  # a turn waits this long for a free lock connection before it is refused as busy
POLL_S = 0.02  # how often a waiting caller tries a taken session lock again
SETUP_LOCK = 0x526F756E64  # "Round": one advisory key serialising schema setup across servers

_pools: dict[tuple[int, str, str], ConnectionPool] = {}  # by process too: a forked child opens its own
_pools_guard = threading.Lock()


def pool(url: str, kind: str = "data") -> ConnectionPool:
    """This process's pool of autocommit, dict-row connections to ``url`` (``kind``: "data" or "locks")."""
    with _pools_guard:
        key = (os.getpid(), url, kind)
        found = _pools.get(key)
        if found is None or found.closed:
            found = ConnectionPool(
                url,
                min_size=0,
                max_size=DATA_POOL_SIZE if kind == "data" else LOCK_POOL_SIZE,
                kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
                name=f"roundtable-{kind}",
                open=True,
            )
            _pools[key] = found
        return found


def close_pools() -> None:
    """Close every pool this process opened (tests and benchmarks between databases)."""
    with _pools_guard:
        pools = [p for (pid, *_), p in _pools.items() if pid == os.getpid()]
        _pools.clear()
    for p in pools:
        p.close()


@contextmanager
def _setup_lock(url: str) -> Iterator[psycopg.Connection]:
    """A connection holding the setup lock: two servers starting at once don't both create tables.

    Waiters poll with ``pg_try_advisory_lock`` rather than block in ``pg_advisory_lock``: a blocked
    statement is an open transaction, and the checkpointer's ``CREATE INDEX CONCURRENTLY`` waits
    for every open transaction, so the holder and the waiters would wait on each other for ever.
    """
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        while not conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (SETUP_LOCK,)).fetchone()["got"]:
            time.sleep(POLL_S * 5)
        try:
            yield conn
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))


def postgres_checkpointer(url: str, *, serde: SerializerProtocol | None = None) -> PostgresSaver:
    """LangGraph's ``PostgresSaver`` on this process's pool, its tables created or migrated once."""
    saver = PostgresSaver(pool(url), serde=serde)
    with _setup_lock(url):
        saver.setup()
    return saver


class PostgresDatabase:
    """``graphs.storage.sql.Database`` on PostgreSQL: ``?`` placeholders, a pooled connection per call."""

    def __init__(self, url: str, schema: str):
        self._pool = pool(url)
        with _setup_lock(url) as conn:
            conn.execute(schema)  # several statements, no parameters: one simple query

    def execute(self, sql: str, params: tuple = ()) -> None:
        with self._pool.connection() as conn:
            try:
                conn.execute(*_dialect(sql, params))
            except psycopg.errors.IntegrityError as exc:
                raise DuplicateRow(str(exc)) from None

    def one(self, sql: str, params: tuple = ()) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(*_dialect(sql, params)).fetchone()

    def all(self, sql: str, params: tuple = ()) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(*_dialect(sql, params)).fetchall()


def _dialect(sql: str, params: tuple) -> tuple:
    if not params:
        return (sql,)
    return sql.replace("%", "%%").replace("?", "%s"), params


class AdvisorySessionLocks(ThreadSessionLocks):
    """Per-session locks across every server on one database: the thread lock, then an advisory lock.

    The thread lock first keeps a second tab on the same server from taking a connection just to
    wait; the advisory lock (``pg_try_advisory_lock`` on a 64-bit hash of the id) excludes the
    other servers.
    """

    def __init__(self, url: str):
        super().__init__()
        self.url = url

    @contextmanager
    def hold(self, session_id: str, *, wait_s: float = 0.0) -> Iterator[None]:
        deadline = time.monotonic() + wait_s
        with super().hold(session_id, wait_s=wait_s):
            locks = pool(self.url, "locks")
            try:
                conn = locks.getconn(timeout=max(wait_s, LOCK_POOL_WAIT_S))
            except PoolTimeout:
                raise SessionBusy(session_id) from None
            key = lock_key(session_id)
            try:
                self._acquire(conn, key, session_id, deadline)
                try:
                    yield
                finally:
                    _quietly(conn, "SELECT pg_advisory_unlock(%s)", key)
            finally:
                locks.putconn(conn)

    @staticmethod
    def _acquire(conn: psycopg.Connection, key: int, session_id: str, deadline: float) -> None:
        while True:
            if conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (key,)).fetchone()["got"]:
                return
            if time.monotonic() >= deadline:
                raise SessionBusy(session_id)
            time.sleep(POLL_S)


def lock_key(session_id: str) -> int:
    """A signed 64-bit advisory-lock key for a session id (ids come from URLs: hashed, never parsed)."""
    return int.from_bytes(hashlib.sha256(session_id.encode("utf-8")).digest()[:8], "big", signed=True)


def _quietly(conn: psycopg.Connection, sql: str, key: int) -> None:
    """Release a lock; a connection that broke mid-turn has lost its locks already (the pool drops it)."""
    with suppress(psycopg.Error):
        conn.execute(sql, (key,))
