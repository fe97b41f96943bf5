"""Every way a model call fails becomes one line that names the URL and the setting to change;
the person's turn is kept and Retry answers it; one deadline per reply, stated truly.

Through the real client stack against the fake server (OpenAI's profile unless noted), with
faults injected into the next requests (``server.fail``).
"""

from __future__ import annotations

import time

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from typer.testing import CliRunner

from agents.engines import Engines
from agents.settings import Settings
from benchmarks.fake_openai_server import Fault, serve
from graphs import MeetingError, Meetings
from tests.llm_server import free_loopback_port

ASK = "Priya, how many users do we expect?"


@pytest.fixture
def server():
    with serve(latency=0, profile="openai", api_key="sk-test") as s:
        yield s


def meetings_for(url: str, library, tmp_path, **extra) -> Meetings:
    settings = Settings(
        engine="llm",
        provider=extra.pop("provider", "openai"),
        openai_base_url=url,
        openai_api_key=extra.pop("key", "sk-test"),
        model=extra.pop("model", "gpt-4o-mini"),
        data_dir=tmp_path / "data",
        **{"timeout": 10, **extra},
    )
    meetings = Meetings(settings, engines=Engines(settings), checkpointer=InMemorySaver(), scenarios=library)
    meetings.engines.warm_up()  # the embedding model loads now, not inside a timed turn
    return meetings


def failed_turn(meetings: Meetings, text: str = ASK, **send) -> tuple[MeetingError, str]:
    view = meetings.start("chat-system")
    with pytest.raises(MeetingError) as err:
        meetings.send(view.session_id, text, **send)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message
    kept = meetings.view(view.session_id)
    assert kept.transcript[-1].role == "person" and kept.transcript[-1].text == text and not kept.awaiting_person
    return err.value, view.session_id


def retry_answers(meetings: Meetings, session_id: str) -> None:
    view = meetings.retry(session_id)
    assert view.awaiting_person and [t.role for t in view.transcript][-1] != "person"
    assert [t.text for t in view.transcript if t.role == "person"] == [ASK]  # nothing typed twice


def test_refused_connection(library, tmp_path):
    url = f"http://127.0.0.1:{free_loopback_port()}/v1"
    err, _ = failed_turn(meetings_for(url, library, tmp_path, max_retries=0))
    assert url in str(err) and "OPENAI_BASE_URL" in str(err) and err.__cause__.kind == "connection"


def test_bad_key_says_so_in_one_line(server, library, tmp_path):
    err, _ = failed_turn(meetings_for(server.base_url, library, tmp_path, key="sk-wrong"))
    assert "rejected the API key" in str(err) and "OPENAI_API_KEY" in str(err) and server.base_url in str(err)
    assert len(server.bodies) == 1  # not retried: a wrong key stays wrong


def test_unknown_model_says_so_in_one_line(server, library, tmp_path):
    err, _ = failed_turn(meetings_for(server.base_url, library, tmp_path, model="gpt-9"))
    assert "'gpt-9' is not known" in str(err) and "ROUNDTABLE_MODEL" in str(err)


def test_429_waits_as_long_as_retry_after_asks_then_answers(server, library, tmp_path):
    meetings = meetings_for(server.base_url, library, tmp_path)
    view = meetings.start("chat-system")
    server.fail(Fault("status", status=429, message="Rate limit reached", headers={"Retry-After": "1"}))
    t0 = time.monotonic()
    view = meetings.send(view.session_id, ASK)
    assert time.monotonic() - t0 >= 1.0
    assert view.awaiting_person and server.answers[0][0] == 429 and server.answers[1][0] == 200


def test_429_asking_for_longer_than_the_deadline_fails_at_once(server, library, tmp_path):
    meetings = meetings_for(server.base_url, library, tmp_path, timeout=5)
    server.fail(Fault("status", status=429, message="Rate limit reached", headers={"Retry-After": "600"}))
    t0 = time.monotonic()
    err, sid = failed_turn(meetings)
    assert time.monotonic() - t0 < 2
    assert "HTTP 429, asked to wait 600 s" in str(err) and "ROUNDTABLE_TIMEOUT" in str(err)
    retry_answers(meetings, sid)


def test_5xx_is_retried_then_reported_and_retry_answers(server, library, tmp_path):
    meetings = meetings_for(server.base_url, library, tmp_path, max_retries=2)
    server.fail(*[Fault("status", status=503, message="The engine is currently overloaded")] * 3)
    err, sid = failed_turn(meetings)
    assert "HTTP 503" in str(err) and "on 3 tries" in str(err) and "ROUNDTABLE_MAX_RETRIES" in str(err)
    retry_answers(meetings, sid)


def test_a_single_5xx_or_dropped_connection_is_retried_unseen(server, library, tmp_path):
    meetings = meetings_for(server.base_url, library, tmp_path)
    view = meetings.start("chat-system")
    server.fail(Fault("status", status=500), Fault("drop"))
    view = meetings.send(view.session_id, ASK)
    assert view.awaiting_person and [a[0] for a in server.answers[:3]] == [500, 0, 200]


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_a_hang_stops_at_the_one_deadline_and_the_message_states_it(server, library, tmp_path, streamed):
    meetings = meetings_for(server.base_url, library, tmp_path, timeout=1.5, max_retries=2)
    server.fail(Fault("trickle" if streamed else "hang", seconds=30))
    t0 = time.monotonic()
    err, sid = failed_turn(meetings, on_event=(lambda e: None) if streamed else None)
    took = time.monotonic() - t0
    assert 1.4 < took < 3.0, took  # one deadline for the reply, not (retries + 1) x timeout
    assert "within 1.5 s" in str(err) and "ROUNDTABLE_TIMEOUT" in str(err) and err.__cause__.kind == "timeout"
    retry_answers(meetings, sid)


def test_a_cut_off_reply_is_retried_with_twice_the_room(server, library, tmp_path):
    meetings = meetings_for(server.base_url, library, tmp_path)
    view = meetings.start("chat-system")
    server.fail(Fault("cut"))
    meetings.send(view.session_id, ASK)
    first, second = server.bodies[0], server.bodies[1]
    assert second["max_completion_tokens"] == 2 * first["max_completion_tokens"]


def test_cut_off_every_time_says_which_limit_to_raise(server, library, tmp_path):
    meetings = meetings_for(server.base_url, library, tmp_path, max_retries=1)
    server.fail(Fault("cut"), Fault("cut"))
    err, sid = failed_turn(meetings)
    assert "was cut off at its token limit" in str(err) and "ROUNDTABLE_MAX_TOKENS" in str(err)
    retry_answers(meetings, sid)


@pytest.mark.parametrize("kind", ["malformed", "off-schema", "prose"])
def test_a_broken_reply_is_retried_then_reported(server, library, tmp_path, kind):
    meetings = meetings_for(server.base_url, library, tmp_path, max_retries=2)
    server.fail(*[Fault(kind)] * 3)
    err, sid = failed_turn(meetings)
    assert "did not return a valid StakeholderTurn" in str(err) and "after 3 tries" in str(err)
    assert "ROUNDTABLE_STRUCTURED_OUTPUT" in str(err) and err.__cause__.kind == "invalid_reply"
    temperatures = [b["temperature"] for b in server.bodies[:3]]
    assert temperatures[0] < temperatures[1] < temperatures[2]  # a retry does not repeat the same loop
    retry_answers(meetings, sid)


def test_the_content_filter_says_so(library, tmp_path):
    with serve(latency=0, profile="azure", api_key="az-key") as server:
        settings = Settings(
            engine="llm",
            azure_endpoint=server.base_url,
            azure_deployment="chat",
            openai_api_key="az-key",
            data_dir=tmp_path / "data",
            max_retries=0,
        )
        meetings = Meetings(settings, engines=Engines(settings), checkpointer=InMemorySaver(), scenarios=library)
        for trigger in ("FILTER-THE-PROMPT", "FILTER-THE-REPLY"):
            err, _ = failed_turn(meetings, f"{ASK} {trigger}")
            assert "content filter" in str(err) and "ROUNDTABLE_MODEL" in str(err) and server.base_url in str(err)
            assert err.__cause__.kind == "content_filter"


def test_a_failure_at_wrap_up_keeps_the_meeting_and_finish_works_after(server, library, tmp_path):
    meetings = meetings_for(server.base_url, library, tmp_path, max_retries=0)
    view = meetings.start("chat-system")
    view = meetings.send(view.session_id, ASK)
    server.fail(Fault("malformed"))
    with pytest.raises(MeetingError) as err:
        meetings.finish(view.session_id)
    assert "RubricJudgement (the scorecard)" in str(err.value) and "\n" not in str(err.value)
    done = meetings.finish(view.session_id)
    assert done.phase == "done" and done.scorecard is not None


def test_the_cli_prints_one_line_and_no_traceback(server, tmp_path, monkeypatch):
    from ui.cli import app

    script = tmp_path / "turns.yaml"
    script.write_text(f'turns:\n  - "{ASK}"\n')
    for name, value in {
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "sk-test",
        "ROUNDTABLE_PROVIDER": "openai",
        "ROUNDTABLE_MAX_RETRIES": "0",
    }.items():
        monkeypatch.setenv(name, value)
    server.fail(*[Fault("malformed")] * 5)
    result = CliRunner().invoke(app, ["run", "--scenario", "chat-system", "--script", str(script), "--json"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit | None)
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and "did not return a valid" in errors[0] and server.base_url in errors[0], lines


def test_forcing_function_calling_on_ollama_which_ignores_tool_choice_says_what_to_change(library, tmp_path):
    with serve(latency=0, profile="ollama") as server:
        meetings = meetings_for(
            server.base_url,
            library,
            tmp_path,
            provider="ollama",
            model="llama3.2:latest",
            structured_output="function_calling",
            max_retries=1,
        )
        err, sid = failed_turn(meetings)
        assert "without the tool call; this server may ignore tool_choice" in str(
            err
        ) and "ROUNDTABLE_STRUCTURED_OUTPUT" in str(err)
        assert all(b.get("tool_choice") for b in server.bodies)  # it was asked, and ignored it
        meetings.settings.structured_output = "auto"  # what README says for Ollama
        retry_answers(meetings, sid)
