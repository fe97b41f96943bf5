"""Where sessions and workshops are stored: SQLite under the data dir, or one PostgreSQL database.

``ROUNDTABLE_DATABASE_URL=postgresql://…`` puts checkpoints (LangGraph's ``PostgresSaver``),
workshops and the per-session locks in PostgreSQL, so several app processes, on one machine or
behind a load balancer, behave as one app. Unset, everything stays in SQLite files under the data
dir (one machine). Callers see three things: ``checkpointer(settings)``, ``database(settings, …)``
for the small DB-API tables, and ``session_locks(settings)``; nothing else needs to know which
backend is behind them.
"""

from __future__ import annotations

from pathlib import Path

from langgraph.checkpoint.serde.base import SerializerProtocol

from agents.settings import Settings
from graphs.storage.sql import Database, DuplicateRow, SqliteDatabase


def is_postgres(settings: Settings) -> bool:
    return settings.database_url is not None and bool(settings.database_url.get_secret_value())


def _url(settings: Settings) -> str:
    return settings.database_url.get_secret_value()


def checkpointer(settings: Settings, *, serde: SerializerProtocol | None = None):
    """The checkpointer ``settings`` asks for: PostgreSQL when ``database_url`` is set, else SQLite."""
    if is_postgres(settings):
        from graphs.storage.postgres import postgres_checkpointer

        return postgres_checkpointer(_url(settings), serde=serde)
    from graphs.storage.sqlite import sqlite_checkpointer

    return sqlite_checkpointer(settings.checkpoint_path, serde=serde)


def database(settings: Settings, sqlite_path: Path, schema: dict[str, str]) -> Database:
    """A small table store with ``schema`` applied: PostgreSQL when ``database_url`` is set, else ``sqlite_path``.

    ``schema`` maps ``"sqlite"`` and ``"postgres"`` to that dialect's ``CREATE TABLE IF NOT EXISTS`` script.
    """
    if is_postgres(settings):
        from graphs.storage.postgres import PostgresDatabase

        return PostgresDatabase(_url(settings), schema["postgres"])
    return SqliteDatabase(sqlite_path, schema["sqlite"])


def session_locks(settings: Settings):
    """Per-session locks every server on this database honours (PostgreSQL advisory locks), or None:
    the caller's own default (lock files under the data dir) is right for SQLite."""
    if not is_postgres(settings):
        return None
    from graphs.storage.postgres import AdvisorySessionLocks

    return AdvisorySessionLocks(_url(settings))


__all__ = ["Database", "DuplicateRow", "checkpointer", "database", "is_postgres", "session_locks"]
