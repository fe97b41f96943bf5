"""More than one server: meetings, workshops and turn locks shared through one database.

Two ``Meetings`` with different data dirs stand for two app servers on two machines: all they
share is ``ROUNDTABLE_DATABASE_URL``. The tests that take ``backend_settings`` run on SQLite and on
a real PostgreSQL server (``tests/conftest.py``); those that take ``postgres_schema_url`` are about
PostgreSQL itself.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from agents.settings import Settings
from graphs import Meetings
from graphs.session import TurnInProgress
from graphs.storage import DuplicateRow, database
from graphs.storage.postgres import AdvisorySessionLocks, lock_key
from graphs.workshops import Workshops

ROOT = Path(__file__).resolve().parents[1]


def two_servers(settings: Settings, library, tmp_path: Path) -> tuple[Meetings, Meetings]:
    """Two app servers: on PostgreSQL each has its own data dir; on SQLite they must share the one."""
    other = settings.model_copy(update={"data_dir": tmp_path / "other"}) if settings.database_url else settings
    return Meetings(settings, scenarios=library), Meetings(other, scenarios=library)


def test_a_meeting_started_on_one_server_continues_on_another(backend_settings, library, tmp_path, storage_backend):
    a, b = two_servers(backend_settings, library, tmp_path)
    sid = a.start("chat-system").session_id
    b.send(sid, "Who are the users, and how many of them?")
    a.send(sid, "What does the pilot need from us by Friday?")
    view = b.view(sid)
    assert [t.text for t in view.transcript if t.role == "person"] == [
        "Who are the users, and how many of them?",
        "What does the pilot need from us by Friday?",
    ]
    assert view.round == 2 and len(a.branches(sid)) == 1
    if storage_backend == "postgres":  # nothing on either machine's disk: it is all in the database
        assert not backend_settings.checkpoint_path.exists()
        with psycopg.connect(backend_settings.database_url.get_secret_value()) as conn:
            assert conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = %s", (sid,)).fetchone()[0] > 0


def test_a_dashboard_on_one_server_sees_participants_who_joined_on_another(
    backend_settings, library, tmp_path, storage_backend
):
    a, b = two_servers(backend_settings, library, tmp_path)
    on_a, on_b = Workshops(a), Workshops(b)
    ws = on_a.create("Tuesday PMs", "chat-system", round_limit=4, engine="offline")
    ana = on_b.join(ws.code, "Ana")
    b.send(ana.session_id, "Who are the users?")
    ben = on_a.join(ws.code, "Ben")
    assert on_a.participants(ws.code) == on_b.participants(ws.code) == [ana, ben]
    assert [(r.participant.name, r.status, r.round) for r in on_a.results(ws.code)] == [
        ("Ana", "in_meeting", 1),
        ("Ben", "waiting", 0),
    ]
    with pytest.raises(Exception, match="already joined"):
        on_a.join(ws.code, "ana")
    assert on_b.owner(ana.session_id) == ana
    if storage_backend == "postgres":
        assert not (backend_settings.data_dir / "workshops.sqlite").exists()


def test_a_turn_held_on_one_server_refuses_a_send_on_another_that_shares_only_the_database(
    postgres_schema_url, library, tmp_path
):
    a, b = (
        Meetings(Settings(engine="offline", data_dir=tmp_path / d, database_url=postgres_schema_url), scenarios=library)
        for d in ("a", "b")
    )
    sid = a.start("chat-system").session_id
    with b.locks.hold(sid), pytest.raises(TurnInProgress):
        a.send(sid, "Who are the users?")
    a.send(sid, "Who are the users?")  # free again once the other server's turn is done
    assert [t.text for t in b.view(sid).transcript if t.role == "person"] == ["Who are the users?"]


HOLDER = """
import sys
from graphs.storage.postgres import AdvisorySessionLocks
with AdvisorySessionLocks(sys.argv[1]).hold(sys.argv[2]):
    print("holding", flush=True)
    sys.stdin.readline()
"""


@pytest.mark.slow
def test_a_lock_held_by_a_server_that_dies_is_released_by_the_database(postgres_schema_url):
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, postgres_schema_url, "s1"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "holding"
        here = AdvisorySessionLocks(postgres_schema_url)
        with pytest.raises(Exception, match="s1"), here.hold("s1"):
            pass
        with here.hold("s2"):  # other sessions are not held up
            pass
        child.kill()  # a crash mid-turn: no unlock ever runs
        child.wait(10)
        with here.hold("s1", wait_s=10):
            pass
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_servers_starting_at_once_on_an_empty_database_all_come_up(postgres_schema_url, library, tmp_path):
    errors: list[BaseException] = []

    def start_server(i: int) -> None:
        try:
            settings = Settings(engine="offline", data_dir=tmp_path / str(i), database_url=postgres_schema_url)
            Workshops(Meetings(settings, scenarios=library))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start_server, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_the_same_sql_runs_on_both_and_a_taken_key_is_a_duplicate_row(backend_settings, tmp_path):
    schema = "CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, body TEXT NOT NULL);"
    db = database(backend_settings, tmp_path / "notes.sqlite", {"sqlite": schema, "postgres": schema})
    db.execute("INSERT INTO notes (id, body) VALUES (?, ?)", ("a", "100% sure? '; DROP TABLE notes; --"))
    with pytest.raises(DuplicateRow):
        db.execute("INSERT INTO notes (id, body) VALUES (?, ?)", ("a", "again"))
    assert db.one("SELECT body FROM notes WHERE id = ?", ("a",)) == {"body": "100% sure? '; DROP TABLE notes; --"}
    assert db.all("SELECT id FROM notes WHERE body LIKE ?", ("100%",)) == [{"id": "a"}]
    assert db.one("SELECT id FROM notes WHERE id = ?", ("b",)) is None


def test_the_database_url_comes_from_the_environment_and_is_never_shown(monkeypatch):
    monkeypatch.setenv("ROUNDTABLE_DATABASE_URL", "postgresql://app:hunter2@db.internal/roundtable")
    settings = Settings()
    assert settings.database_url.get_secret_value() == "postgresql://app:hunter2@db.internal/roundtable"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())


def test_lock_keys_are_stable_64_bit_and_differ_by_session():
    assert lock_key("abc") == lock_key("abc") != lock_key("abd")
    assert all(-(2**63) <= lock_key(s) < 2**63 for s in ("", "x" * 1000, "../../etc/passwd"))
