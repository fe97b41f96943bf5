from __future__ import annotations

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
