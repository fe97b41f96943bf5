"""Workshop mode in the web app, through Streamlit's AppTest: the passcode gate, creating, joining, the live
dashboard, CSV export, and a participant page that shows only its own session."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from agents.settings import Settings
from graphs import Meetings
from graphs.passcode import FacilitatorPasscode
from graphs.workshops import Workshops

APP = str(Path(__file__).parents[1] / "ui" / "web" / "app.py")
PASSCODE = "tea at four"
TIMEOUT = 60


@pytest.fixture(autouse=True)
def _offline_app(monkeypatch, tmp_path):
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "offline")
    monkeypatch.setenv("ROUNDTABLE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ROUNDTABLE_FACILITATOR_PASSCODE", PASSCODE)


def open_page(url_path: str, **query: str) -> AppTest:
    """The app on one page, as a browser opening ``/<url_path>?<query>`` would show it."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    pages = at._registered_pages  # callable pages cannot be switched to by file path
    at._page_hash = next(h for h, info in pages.items() if info.get("url_pathname") == url_path)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def texts(at: AppTest) -> str:
    """Everything the page shows as text, in one string."""
    parts = [
        e.value
        for kind in ("title", "subheader", "markdown", "caption", "text", "code", "success", "error", "warning", "info")
        for e in getattr(at, kind)
    ]
    parts += [str(m.value) for m in at.metric]
    return "\n".join(map(str, parts))


def unlocked_dashboard() -> AppTest:
    at = open_page("dashboard")
    at.text_input(key="ws_passcode").input(PASSCODE)
    at.button[0].click()  # the form's "Unlock"
    return at.run()


def create_workshop(at: AppTest, name: str = "PM guild") -> str:
    at.text_input(key="ws_new_name").input(name)
    at.selectbox(key="ws_new_scenario").select("chat-system")
    at.number_input(key="ws_new_rounds").set_value(5)
    next(b for b in at.button if b.label == "Create workshop").click()
    at.run()
    return at.metric[0].value


def store() -> Workshops:
    return Workshops(Meetings(Settings()))


def test_dashboard_refuses_a_wrong_passcode_and_shows_nothing_behind_it():
    store().create("Secret workshop", "chat-system")
    at = open_page("dashboard")
    assert at.text_input(key="ws_passcode").label == "Passcode"
    at.text_input(key="ws_passcode").input("not the passcode")
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == ["Wrong passcode."]
    shown = texts(at)
    assert "Secret workshop" not in shown and "Join code" not in shown
    assert not at.selectbox and not at.dataframe and not at.get("download_button")


def test_without_a_passcode_the_first_visitor_gets_no_form_to_choose_one(monkeypatch):
    monkeypatch.delenv("ROUNDTABLE_FACILITATOR_PASSCODE")
    store().create("Secret workshop", "chat-system")
    at = open_page("dashboard")
    assert not at.text_input and not at.button and not at.get("form")
    shown = texts(at)
    assert "No facilitator passcode is set" in shown and "roundtable passcode set" in shown
    assert "Secret workshop" not in shown
    assert not FacilitatorPasscode(Settings()).configured


def test_facilitator_creates_a_workshop_and_sees_its_code_and_join_link():
    at = unlocked_dashboard()
    at.context["url"] = "https://rt.example.org/team/dashboard"
    code = create_workshop(at)
    workshop = store().workshop(code)
    assert (workshop.name, workshop.scenario_id, workshop.round_limit, workshop.engine) == (
        "PM guild",
        "chat-system",
        5,
        "offline",
    )
    assert f"https://rt.example.org/team/join?code={code}" in [c.value for c in at.code]
    assert f"Join code: {code}" in texts(at)
    assert "Nobody has joined yet" in texts(at)


@pytest.fixture
def served(monkeypatch) -> list[tuple[bytes, str | None]]:
    """(data, file name) of every file the app hands to a download button."""
    files: list[tuple[bytes, str | None]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        files.append((path_or_data, filename))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return files


def test_participant_joins_holds_a_turn_and_the_dashboard_lists_them_and_exports_them(served):
    dashboard = unlocked_dashboard()
    code = create_workshop(dashboard)

    participant = open_page("join", code=code.lower())
    assert participant.text_input(key="ws_join_code").value == code  # read loosely, shown as issued
    assert participant.text_input(key="ws_join_name").label == "Your name"
    participant.text_input(key="ws_join_name").input("Ana <b>Lima</b>")
    next(b for b in participant.button if b.label == "Join").click()
    participant.run()
    session_id = participant.query_params["session"]
    assert participant.query_params["code"] == code
    assert "Ana <b>Lima</b>" not in texts(participant)  # escaped wherever Markdown renders it
    participant.chat_input[0].set_value("Who are the users, and how many of them are there?").run()
    assert any("Who are the users" in t.value for t in participant.text)

    dashboard.run()
    table = dashboard.dataframe[0].value
    row = table.set_index("Name").loc["Ana <b>Lima</b>"]  # the grid shows names as plain text
    assert (row["Round"], row["Session"]) == ("1/5", session_id)
    assert "in meeting" in row["Status"]

    served.clear()
    dashboard.run()
    button = dashboard.get("download_button")[0]
    assert button.label == "Export results (CSV)"
    csv_text = next(data for data, name in served if name == f"roundtable-{code}.csv").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [(r["name"], r["session_id"], r["round"], r["status"]) for r in rows] == [
        ("Ana <b>Lima</b>", session_id, "1", "in meeting")
    ]
    assert "OPENAI" not in csv_text and "sk-" not in csv_text


def test_a_refresh_resumes_and_rejoining_with_the_same_name_does_not_duplicate():
    code = store().create("w", "chat-system").code
    at = open_page("join", code=code)
    at.text_input(key="ws_join_name").input("Ben")
    next(b for b in at.button if b.label == "Join").click()
    at.run()
    session_id = at.query_params["session"]

    refreshed = open_page("join", code=code, session=session_id)
    assert refreshed.chat_input and not refreshed.text_input
    assert [p.session_id for p in store().participants(code)] == [session_id]

    at.button(key="ws_leave").click()
    at.run()
    at.text_input(key="ws_join_name").input("ben")
    next(b for b in at.button if b.label == "Join").click()
    at.run()
    # this browser left the meeting, so "ben" is someone else's name now: refused, not duplicated
    assert "already joined" in at.error[0].value
    assert len(store().participants(code)) == 1


def test_a_participant_page_cannot_show_another_session():
    ws = store()
    code = ws.create("w", "chat-system").code
    other_code = ws.create("other", "chat-system").code
    ana = ws.join(code, "Ana")
    stranger = ws.join(other_code, "Stranger")

    for session in (stranger.session_id, "0123456789abcdef", ""):
        at = open_page("join", code=code, session=session)
        assert not at.chat_input, session
        assert "Ana" not in texts(at)
        if session:
            assert "does not match anyone" in at.error[0].value

    at = open_page("join", code=code, session=ana.session_id)
    assert at.chat_input and "Stranger" not in texts(at)


def test_an_unknown_code_says_so():
    at = open_page("join", code="ZZZZ22")
    assert "No workshop has the code ZZZZ22" in at.error[0].value
    at.text_input(key="ws_join_code").input("QQQQ33")
    at.text_input(key="ws_join_name").input("Ana")
    next(b for b in at.button if b.label == "Join").click()
    at.run()
    assert any("No workshop has the code QQQQ33" in e.value for e in at.error)


def test_closing_a_workshop_from_the_dashboard_turns_new_participants_away():
    dashboard = unlocked_dashboard()
    code = create_workshop(dashboard)
    dashboard.button(key="ws_toggle_closed").click()
    dashboard.run()
    assert store().workshop(code).closed
    assert dashboard.button(key="ws_toggle_closed").label == "Reopen to new participants"

    at = open_page("join", code=code)
    at.text_input(key="ws_join_name").input("Late Larry")
    next(b for b in at.button if b.label == "Join").click()
    at.run()
    assert any("closed to new participants" in e.value for e in at.error)
    assert store().participants(code) == []
