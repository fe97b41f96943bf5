"""The web app's LLM side: the model check panel, and streamed text that never crashes the page."""

from __future__ import annotations

from tests.web_app import app, everything


def test_the_model_check_panel_shows_the_checks_and_the_settings_to_use(monkeypatch):
    from benchmarks.fake_openai_server import serve

    with serve(latency=0, profile="llamacpp") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("ROUNDTABLE_MODEL", "smollm2")
        test = app().run()
        test.button(key="doctor_run").click().run()
    assert not test.exception
    shown = everything(test)
    assert "json_schema" in shown and "HTTP 500" in shown and "function_calling" in shown
    assert any("ROUNDTABLE_STRUCTURED_OUTPUT=function_calling" in str(c.value) for c in test.code)


def test_the_model_check_panel_says_a_bad_key_in_one_line(monkeypatch):
    from benchmarks.fake_openai_server import serve

    with serve(latency=0, profile="openai", api_key="sk-right") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
        test = app().run()
        test.button(key="doctor_run").click().run()
    assert not test.exception
    errors = [str(e.value) for e in test.error]
    assert len(errors) == 1 and "rejected the API key" in errors[0] and "\n" not in errors[0]


def _half_an_emoji_script():
    import streamlit as st

    from graphs import MeetingEvent
    from scenarios import load_library
    from ui.web.transcript_view import LiveReplies

    live = LiveReplies(st.container(), st.status("The room is listening…"), load_library()["chat-system"])
    live(MeetingEvent(kind="partial", role="engineering", speaker="Priya Raman", text="Sure \ud83d"))
    live(MeetingEvent(kind="turn", role="engineering", speaker="Priya Raman", text="Sure \ud83d\ude42 and \udc00."))


def test_a_streamed_piece_ending_inside_an_emoji_does_not_crash_the_room():
    from streamlit.testing.v1 import AppTest

    test = AppTest.from_function(_half_an_emoji_script, default_timeout=30).run()
    assert not test.exception
    assert [t.value for t in test.chat_message[0].text] == ["Sure \U0001f642 and \ufffd."]


def test_a_model_failure_in_the_room_is_one_line_and_retry_answers_the_kept_turn(monkeypatch):
    from benchmarks.fake_openai_server import Fault, serve

    turn = "Priya, how many users do we expect?"
    with serve(latency=0, profile="openai", api_key="sk-test") as server:
        for name, value in {
            "ROUNDTABLE_ENGINE": "llm",
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "sk-test",
            "ROUNDTABLE_PROVIDER": "openai",
            "ROUNDTABLE_MAX_RETRIES": "0",
        }.items():
            monkeypatch.setenv(name, value)
        test = app().run()
        test.button(key="start_meeting").click().run()
        server.fail(Fault("malformed"))
        test.chat_input(key="chat_input").set_value(turn).run()
        assert not test.exception
        errors = [str(e.value) for e in test.error]
        assert len(errors) == 1 and "did not return a valid StakeholderTurn" in errors[0]
        assert "\n" not in errors[0] and "Traceback" not in everything(test)
        assert turn in [t.value for m in test.chat_message for t in m.text]  # the turn is kept on screen
        test.button(key="retry").click().run()
        assert not test.exception and not test.error
        replies = [m for m in test.chat_message if m.avatar == "🛠️"]
        assert replies and "🙂" in replies[-1].text[0].value
