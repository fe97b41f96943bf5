"""LangGraph Server holds a meeting through its API, from the project's own ``langgraph.json``.

Starts ``langgraph dev`` (the in-memory server from ``langgraph-cli[inmem]``, the ``server`` extra)
on a free port with the repository's config, then creates a thread, runs the meeting graph to the
person's first turn, answers it and wraps up, all over HTTP. Skipped, saying so, where the CLI is
not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 180.0  # imports, the embedding model and the graph, on a busy 2-core machine
LANGGRAPH = Path(sys.executable).parent / "langgraph"


def test_langgraph_json_exposes_the_meeting_graph_compiled_without_a_checkpointer():
    config = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))
    path, name = config["graphs"]["meeting"].split(":")
    assert (ROOT / path).is_file()
    from graphs import server_graph

    graph = getattr(server_graph, name)
    assert graph.checkpointer is None  # the server brings its own
    assert {"open", "ask_user", "route"} <= set(graph.get_graph().nodes)


@pytest.fixture
def langgraph_server(tmp_path):
    if not LANGGRAPH.exists() and not shutil.which("langgraph"):
        pytest.skip("langgraph-cli is not installed (pip install -e '.[server]')")
    from tests.postgres_server import free_port

    config = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))
    config["graphs"] = {g: str(ROOT / spec.lstrip("./")) for g, spec in config["graphs"].items()}
    config["dependencies"] = [str(ROOT)]
    (tmp_path / "langgraph.json").write_text(json.dumps(config), encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env |= {"LANGSMITH_TRACING": "false", "LANGGRAPH_CLI_NO_ANALYTICS": "1", "ROUNDTABLE_ENGINE": "offline"}
    cmd = [str(LANGGRAPH if LANGGRAPH.exists() else shutil.which("langgraph")), "dev", "--port", str(port)]
    cmd += ["--no-browser", "--no-reload", "--allow-blocking", "--config", str(tmp_path / "langgraph.json")]
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - the server's lifetime
    server = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ok(url, server, tmp_path / "server.log")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _wait_ok(url: str, server: subprocess.Popen, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"langgraph dev exited: {log.read_text(errors='replace')[-1500:]}")
        try:
            if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"langgraph dev did not answer in {START_TIMEOUT_S:.0f} s: {log.read_text(errors='replace')[-1500:]}")


@pytest.mark.slow
def test_a_meeting_through_the_langgraph_server_api(langgraph_server):
    from langgraph_sdk import get_sync_client

    client = get_sync_client(url=langgraph_server)
    thread = client.threads.create()["thread_id"]
    client.runs.wait(thread, "meeting", input={"scenario_id": "chat-system", "engine": "offline"})
    state = client.threads.get_state(thread)
    assert state["next"] == ["ask_user"]  # waiting for the person, as in the app
    assert state["values"]["transcript"][0]["role"] == "facilitator"

    client.runs.wait(thread, "meeting", command={"resume": {"text": "Who are the users, and how many of them?"}})
    state = client.threads.get_state(thread)
    said = [(t["role"], t["text"]) for t in state["values"]["transcript"]]
    assert said[1] == ("person", "Who are the users, and how many of them?")
    assert len(said) > 2 and all(role != "person" for role, _ in said[2:])  # the stakeholders answered
    assert state["values"]["round"] == 1 and state["next"] == ["ask_user"]

    client.runs.wait(thread, "meeting", command={"resume": {"wrap_up": True}})
    values = client.threads.get_state(thread)["values"]
    assert values["phase"] == "done" and values["scorecard"]["overall"] > 0
