"""A tiny DB-API layer for the app's own tables: the same ``?`` SQL on SQLite and PostgreSQL.

Stores write their SQL once with ``?`` placeholders; rows come back as dicts. The PostgreSQL side
(``graphs.storage.postgres``) turns ``?`` into ``%s`` and takes a pooled connection per call, so
threads never share one; SQLite keeps one connection behind a lock. A unique or foreign-key
violation is ``DuplicateRow`` on both.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any, Protocol

Row = dict[str, Any]


class DuplicateRow(Exception):
    """An insert broke a unique or foreign-key constraint (e.g. a join code or a name already taken)."""


class Database(Protocol):
    def execute(self, sql: str, params: tuple = ()) -> None:
        """Run one statement (autocommitted)."""

    def one(self, sql: str, params: tuple = ()) -> Row | None:
        """The first row of a query, or None."""

    def all(self, sql: str, params: tuple = ()) -> list[Row]:
        """Every row of a query."""


class SqliteDatabase:
    """One SQLite file in WAL mode, one connection behind a lock (safe across the web server's threads)."""

    def __init__(self, path: Path, schema: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._lock:
            self._db.executescript(schema)

    def execute(self, sql: str, params: tuple = ()) -> None:
        with self._lock:
            try:
                self._db.execute(sql, params)
            except sqlite3.IntegrityError as exc:
                raise DuplicateRow(str(exc)) from None

    def one(self, sql: str, params: tuple = ()) -> Row | None:
        with self._lock:
            row = self._db.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: tuple = ()) -> list[Row]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, params).fetchall()]
