from __future__ import annotations

import secrets
from urllib.parse import quote

import pytest
import yaml
from langgraph.checkpoint.memory import InMemorySaver

from agents.engines import Engines
from agents.settings import Settings
from graphs import Meetings
from scenarios import LIBRARY_DIR, load_library


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's keys, .env or session store."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ROUNDTABLE_ENGINE", "ROUNDTABLE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROUNDTABLE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


# Suites that run once per storage backend: every ``Settings()`` they build reads SQLite files
# under the data dir, then a fresh schema of a real PostgreSQL server (``ROUNDTABLE_DATABASE_URL``).
BACKEND_SUITES = {"test_session_history", "test_session_concurrency", "test_workshops", "test_postgres_backend"}


def pytest_generate_tests(metafunc):
    names = metafunc.fixturenames
    if metafunc.module.__name__.rsplit(".", 1)[-1] not in BACKEND_SUITES or "postgres_schema_url" in names:
        return  # a test that asks for PostgreSQL itself runs on it only
    if "storage_backend" in names:
        metafunc.parametrize("storage_backend", ["sqlite", "postgres"], indirect=True)


@pytest.fixture(autouse=True)
def storage_backend(request, monkeypatch) -> str:
    """This test's storage backend: sqlite or postgres in ``BACKEND_SUITES``, else default (SQLite, untouched)."""
    backend = getattr(request, "param", "default")
    monkeypatch.delenv("ROUNDTABLE_DATABASE_URL", raising=False)
    if backend == "postgres":
        monkeypatch.setenv("ROUNDTABLE_DATABASE_URL", request.getfixturevalue("postgres_schema_url"))
    return backend


@pytest.fixture
def backend_settings(storage_backend, tmp_path) -> Settings:
    """Offline settings on this test's storage backend (SQLite under the data dir, or PostgreSQL)."""
    return Settings(engine="offline", data_dir=tmp_path / "data")


@pytest.fixture
def meetings(library, backend_settings):
    """Offline meetings on the library, on this test's storage backend."""
    from graphs import Meetings

    return Meetings(backend_settings, scenarios=library)


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server for the session (``tests.postgres_server``); skipped where none can
    start, unless ``ROUNDTABLE_REQUIRE_POSTGRES`` is set (CI), where that fails instead."""
    import os

    from tests.postgres_server import REQUIRE_ENV, PostgresUnavailable, running_postgres

    try:
        server = running_postgres()
        url = server.__enter__()
    except PostgresUnavailable as exc:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"PostgreSQL is required here ({REQUIRE_ENV}): {exc}")
        pytest.skip(f"no PostgreSQL: {exc}")
    yield url
    from graphs.storage.postgres import close_pools

    close_pools()
    server.__exit__(None, None, None)


@pytest.fixture
def postgres_schema_url(postgres_url):
    """``postgres_url`` with a fresh, empty schema as the search path: each test starts from no tables."""
    import psycopg

    from graphs.storage.postgres import close_pools

    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{sep}options={quote(f'-csearch_path={schema}')}"
    close_pools()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def chat_text() -> str:
    return (LIBRARY_DIR / "chat_system.yaml").read_text(encoding="utf-8")


@pytest.fixture
def chat_data(chat_text) -> dict:
    return yaml.safe_load(chat_text)


@pytest.fixture(scope="session")
def library():
    return load_library()


@pytest.fixture
def offline(library, tmp_path) -> Meetings:
    settings = Settings(engine="offline", data_dir=tmp_path / "data")
    return Meetings(settings, checkpointer=InMemorySaver(), scenarios=library)


def llm_meetings(library, model, tmp_path, **settings) -> Meetings:
    s = Settings(engine="llm", structured_output="function_calling", data_dir=tmp_path / "data", **settings)
    return Meetings(
        s, engines=Engines(s, model_factory=lambda _: model), checkpointer=InMemorySaver(), scenarios=library
    )


def play(meetings: Meetings, scenario_id: str, turns: list[str]):
    """Hold a whole meeting with scripted turns and wrap up; returns the final view."""
    view = meetings.start(scenario_id)
    for text in turns:
        if view.phase == "done":
            break
        view = meetings.send(view.session_id, text)
    return meetings.finish(view.session_id)


@pytest.fixture(scope="session")
def llama_server_url():
    """A real llama.cpp OpenAI-compatible server on loopback with the SmolLM2 model from its wheel."""
    from tests.llm_server import running_llama_server

    with running_llama_server() as url:
        yield url
