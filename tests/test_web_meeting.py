"""The meeting room in the browser (AppTest, offline engine): start, talk, read the board, score, rewind."""

from __future__ import annotations

import socket

import pytest
from langgraph.types import Command

from agents.settings import Settings
from graphs import Meetings
from scenarios import load_library
from tests.web_app import app, everything, live_markup, open_page, plain

FRAMING_TURN = "Who are the users, and what scale do we expect? Dana, what does success look like for the business?"
DESIGN_TURN = (
    "Let's buy a hosted chat provider behind our own API so we ship this quarter; it costs more per message "
    "but saves Priya's team months. Marco, offline sends queue on the phone and retry with a clear status."
)


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "offline")


def started(turns: list[str] = ()):
    """The app with a fresh chat-system meeting, after ``turns``."""
    test = app().run()
    test.button(key="start_meeting").click().run()
    for text in turns:
        test.chat_input(key="chat_input").set_value(text).run()
    assert not test.exception, test.exception
    return test


def session_of(test) -> str:
    return test.query_params["session"]


def transcript(test) -> list[str]:
    """The text of the meeting's chat messages (not the compare view's copies)."""
    return [t.value for m in test.chat_message for t in m.text]


def avatars(test) -> list[str]:
    return [m.avatar for m in test.chat_message]


def test_picker_shows_the_brief_and_never_hidden_facts_or_concerns():
    test = app().run()
    assert not test.exception
    chat = load_library()["chat-system"]
    page = everything(test)
    assert chat.brief in page
    assert f"up to {chat.round_limit} turns" in page
    for person in chat.stakeholders:
        assert person.name in page
        for fact in person.facts:
            assert fact.text not in page
        for concern in person.concerns:
            assert concern.challenge not in page
    assert test.button(key="start_meeting").label == "Start meeting"
    assert test.segmented_control(key="engine_pick").value == "offline"


def test_a_turn_gets_replies_and_the_board_shows_only_what_was_raised():
    test = started()
    assert session_of(test)
    assert avatars(test) == ["🧭"]  # the facilitator's opening
    assert test.chat_input(key="chat_input").placeholder == "Your turn…"
    assert "Round 0 of 8" in test.get("progress")[0].proto.text

    test.chat_input(key="chat_input").set_value(FRAMING_TURN).run()
    assert not test.exception
    assert avatars(test)[:2] == ["🧭", "🙋"]
    assert {"🛠️", "🎨", "💼"} & set(avatars(test))
    assert FRAMING_TURN in [t.value for t in test.text]
    assert "Round 1 of 8" in test.get("progress")[0].proto.text
    chat = load_library()["chat-system"]
    page = everything(test)
    meetings = Meetings(Settings(), scenarios=load_library())
    view = meetings.view(session_of(test))
    raised = [cid for cid, c in view.board.items() if c["status"] == "open"]
    assert raised, "the first turn raises at least one concern"
    board = "\n".join(plain(m.value) for m in test.markdown if m.value.startswith(("🟡", "🟢", "🔴")))
    for cid, c in view.board.items():
        assert (chat.concern(cid)[1].challenge in board) == (c["status"] != "unraised"), cid
    assert "🟡 open" in page
    assert view.revealed and "Facts learned" in page


def test_wrap_up_shows_the_scorecard_with_five_dimensions_and_evidence_links():
    test = started([FRAMING_TURN, DESIGN_TURN])
    test.button(key="wrap_up").click().run()
    assert not test.exception
    assert [h.value for h in test.header] == ["Scorecard"]
    for dim in ("framing", "systems", "tradeoffs", "alignment", "collaboration"):
        assert test.get_by_key(f"dim_{dim}") is not None
    page = everything(test)
    for name in ("Problem framing", "Systems thinking", "Trade-off judgement", "Collaborative leadership"):
        assert name in page
    assert "(#turn-1)" in page  # evidence links to the turn it quotes
    assert '<div id="turn-1"></div>' in page and '<div id="turn-2"></div>' in page
    assert "Questions worth having asked" in page
    assert test.metric[0].label == "Overall"
    assert not test.chat_input  # the meeting is over
    charts = test.get("arrow_vega_lite_chart") or test.get("vega_lite_chart")
    assert len(charts) == 2  # the five dimensions, and their scores turn by turn
    assert "Turn by turn" in [h.value for h in test.subheader]
    assert "(#turn-2)" in page


def test_a_refresh_resumes_the_same_meeting():
    first = started([FRAMING_TURN])
    session = session_of(first)
    again = app(session=session).run()
    assert not again.exception
    assert FRAMING_TURN in [t.value for t in again.text]
    assert avatars(again) == avatars(first)
    again.chat_input(key="chat_input").set_value(DESIGN_TURN).run()
    assert [t.value for t in again.text].count(DESIGN_TURN) == 1
    assert session_of(again) == session


def test_rewind_tries_a_different_answer_and_keeps_both_branches():
    test = started([FRAMING_TURN, DESIGN_TURN])
    session = session_of(test)
    pick = test.selectbox(key="rewind_pick")
    assert len(pick.options) == 2
    assert pick.value.startswith("Turn 2:")  # the latest turn, though "Turn 1" was the only choice a turn ago
    test.button(key="rewind_go").click().run()
    assert not test.exception
    assert test.query_params.get("at")
    assert FRAMING_TURN in [t.value for t in test.text]
    assert DESIGN_TURN not in [t.value for t in test.text]  # viewing the point before turn 2
    assert any("earlier point" in i.value for i in test.info)

    other = "Before we design anything: what budget and deadline are we working with, Dana?"
    test.chat_input(key="chat_input").set_value(other).run()
    assert not test.exception
    assert "at" not in test.query_params  # the new branch is the latest
    shown = transcript(test)
    assert other in shown and DESIGN_TURN not in shown

    meetings = Meetings(Settings(), scenarios=load_library())
    branches = meetings.branches(session)
    assert len(branches) == 2
    assert [b.person_turns[-1] for b in branches] == [DESIGN_TURN, other]
    assert test.selectbox(key="compare_a") is not None and test.selectbox(key="compare_b") is not None
    assert DESIGN_TURN in [t.value for t in test.text]  # the compare view shows the other branch too


def test_downloads_hold_the_transcript():
    test = started([FRAMING_TURN])
    labels = [b.label for b in test.get("download_button")]
    assert labels == ["Download Markdown", "Download JSON"]
    # the files themselves are ui.export's output (tested in test_export.py); the buttons carry the session id
    assert session_of(test) in everything(test)


def test_markup_in_a_turn_is_shown_as_typed():
    injection = (
        "<img src=x onerror=alert(1)> [click me](https://evil.example) ![pic](https://evil.example/a.png) **b** "
        "www.evil.example https://evil.example/bare"
    )
    test = started([injection])
    assert injection in transcript(test)  # st.text: no Markdown, no HTML
    assert test.markdown and test.caption
    for element in [*test.markdown, *test.caption]:
        if element.value.startswith('<div id="turn-'):
            continue  # our own anchors (constant markup), the only HTML on the page
        assert not live_markup(element.value), element.value


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_model_shows_one_error_and_keeps_the_turn(monkeypatch):
    secret = "sk-test-never-shown-0123456789"
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "llm")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("ROUNDTABLE_MAX_RETRIES", "0")
    monkeypatch.setenv("ROUNDTABLE_TIMEOUT", "2")
    monkeypatch.setenv("ROUNDTABLE_STRUCTURED_OUTPUT", "function_calling")
    test = app().run()
    assert test.segmented_control(key="engine_pick").value == "llm"
    test.button(key="start_meeting").click().run()
    assert "llm" in test.caption[0].value
    test.chat_input(key="chat_input").set_value(FRAMING_TURN).run()
    assert not test.exception
    assert len(test.error) == 1
    assert "127.0.0.1" in plain(test.error[0].value)  # names the URL it tried
    assert FRAMING_TURN in [t.value for t in test.text]  # the turn is saved and shown
    assert test.button(key="retry") is not None
    assert test.chat_input(key="chat_input").proto.disabled
    test.button(key="retry").click().run()
    assert len(test.error) == 1
    assert FRAMING_TURN in [t.value for t in test.text]
    assert secret not in everything(test)
    # a refresh picks the pending replies up again by itself: the model is still down, so one error, turn kept
    again = app(session=session_of(test)).run()
    assert FRAMING_TURN in [t.value for t in again.text]
    assert len(again.error) == 1 and again.button(key="retry") is not None


def test_every_page_renders():
    test = app().run()
    assert not test.exception
    for url_path in ("scenarios", "join", "dashboard", ""):  # "" is the default page, the meeting room
        open_page(test, url_path)
        assert not test.exception, (url_path, test.exception)


def _live_replies_script():
    import streamlit as st

    from graphs import MeetingEvent
    from scenarios import load_library
    from ui.web.transcript_view import LiveReplies

    box = st.container()
    status = st.status("The room is listening…")
    live = LiveReplies(box, status, load_library()["chat-system"])
    live(MeetingEvent(kind="thinking", roles=["engineering", "design"]))
    live(MeetingEvent(kind="partial", role="engineering", speaker="Priya Raman", text="Half"))
    live(MeetingEvent(kind="partial", role="engineering", speaker="Priya Raman", text="Half a reply <b>"))
    live(MeetingEvent(kind="turn", role="engineering", speaker="Priya Raman", text="Half a reply <b>, done."))


def test_live_replies_show_who_is_thinking_and_stream_into_one_place_each():
    from streamlit.testing.v1 import AppTest

    test = AppTest.from_function(_live_replies_script, default_timeout=30).run()
    assert not test.exception
    assert [m.avatar for m in test.chat_message] == ["🛠️", "🎨"]  # one placeholder per stakeholder thinking
    engineering, design = test.chat_message
    assert [t.value for t in engineering.text] == ["Half a reply <b>, done."]  # partials replaced in place
    assert "thinking…" in [c.value for c in design.caption]
    assert test.status[0].label == "Priya Raman replied"


def test_the_llm_engine_streams_replies_and_shows_model_and_tokens(monkeypatch):
    from benchmarks.fake_openai_server import serve

    with serve(latency=0.01) as server:
        monkeypatch.setenv("ROUNDTABLE_ENGINE", "llm")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("ROUNDTABLE_STRUCTURED_OUTPUT", "function_calling")
        test = started([FRAMING_TURN])
    assert not test.error
    header = plain(test.caption[0].value)
    assert "llm: gpt-4o-mini at http://127.0.0.1" in header
    assert "tokens · no cost (local model)" in header
    assert {"🛠️", "🎨", "💼"} <= set(avatars(test))


def test_coaching_hints_look_different_from_the_room():
    test = app().run()
    test.toggle(key="coaching_pick").set_value(True).run()
    test.button(key="start_meeting").click().run()
    assert "coaching on" in test.caption[0].value
    for text in ("ok sounds good", "let's use websockets"):
        test.chat_input(key="chat_input").set_value(text).run()
    assert not test.exception
    hints = [m for m in test.chat_message if m.avatar == "💡"]
    assert hints, "a vague meeting with coaching on gets a whisper"
    assert all(m.info and "coaching hint" in m.caption[0].value for m in hints)


def test_after_visiting_another_page_the_picker_offers_the_meeting_back():
    test = started([FRAMING_TURN])
    session = session_of(test)
    open_page(test, "scenarios")
    test.query_params.clear()  # what switching pages in the browser does
    open_page(test, "")
    assert not test.exception
    assert "Design a chat system" in test.button(key="resume_last").label
    test.button(key="resume_last").click().run()
    assert session_of(test) == session
    assert FRAMING_TURN in transcript(test)


def test_replies_cut_off_by_a_refresh_are_picked_up_when_the_meeting_is_opened_again():
    meetings = Meetings(Settings(engine="offline"))  # the app's own store (ROUNDTABLE_DATA_DIR)
    view = meetings.start("chat-system")
    config = {"configurable": {"thread_id": view.session_id}}
    # the run stops right after the person's turn is saved, as when a refresh stops the script mid-turn
    meetings.graph.invoke(Command(resume={"text": FRAMING_TURN}), config, interrupt_after=["ask_user"])
    assert not meetings.view(view.session_id).awaiting_person

    opened = app(session=view.session_id).run()
    assert not opened.exception and not opened.error and not opened.warning
    answered = meetings.view(view.session_id)
    assert answered.awaiting_person and answered.round == 1
    replies = [t.text for t in answered.transcript if t.round == 1 and t.role not in ("person", "facilitator")]
    shown = [t.value for t in opened.text]
    assert replies and all(r in shown for r in replies)
