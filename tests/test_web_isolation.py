"""Nobody where they don't belong, and no turn lost between two tabs, in the web app.

AppTest drives the app (offline engine, a private data dir): a new meeting's id carries 128 bits,
an old short id still opens, a workshop participant's meeting never opens from the meeting room's
``?session=`` (only from their own join link), unknown sessions and checkpoints read "not found"
without an exception box or a server path, and a turn refused because another tab's turn is being
answered is shown as typed and can be sent again. One real-browser test holds a session's lock
from another process (as a second server would) and types into the chat box.
"""

from __future__ import annotations

import re

import pytest

from agents.settings import Settings
from graphs import Meetings
from graphs.session import BUSY_MESSAGE
from graphs.session_lock import FileSessionLocks
from graphs.workshops import Workshops
from tests.web_app import app, everything, open_page, plain
from ui.web.meeting_page import NOT_FOUND, POINT_NOT_FOUND

TURN = "Marco, who are the people using this day to day, and what do they need from chat?"


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "offline")
    monkeypatch.setenv("ROUNDTABLE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ROUNDTABLE_FACILITATOR_PASSCODE", "tea at four")


def store() -> Meetings:
    return Meetings(Settings())


def assert_not_found(test, message: str = NOT_FOUND) -> None:
    assert not test.exception, test.exception
    assert not test.chat_input
    assert message in [e.value for e in [*test.error, *test.warning]]
    shown = everything(test)
    assert str(Settings().data_dir) not in shown and "sqlite" not in shown and "Traceback" not in shown


def test_a_meeting_started_in_the_browser_has_a_128_bit_id_and_old_short_ids_still_open():
    test = app().run()
    test.button(key="start_meeting").click().run()
    assert re.fullmatch(r"[0-9a-f]{32}", test.query_params["session"])

    store().start("chat-system", session_id="0123456789ab")  # a practice id from before
    old = app(session="0123456789ab").run()
    assert not old.exception and old.chat_input


def test_the_meeting_room_does_not_open_a_workshop_participants_meeting():
    ws = Workshops(store())
    code = ws.create("w", "chat-system").code
    ana = ws.join(code, "Ana")
    ws.meetings.send(ana.session_id, TURN)

    test = app(session=ana.session_id).run()
    assert_not_found(test)
    assert TURN not in everything(test)
    assert not test.get("download_button")

    resume = app().run()  # typed into the resume box: refused the same way
    resume.text_input(key="resume_id").input(ana.session_id)
    resume.button(key="resume_go").click().run()
    assert NOT_FOUND in [e.value for e in resume.error]
    assert "session" not in resume.query_params

    own = open_page(app(), "join")  # the participant's own link still opens it
    own.query_params["code"], own.query_params["session"] = code, ana.session_id
    own.run()
    assert own.chat_input and TURN in everything(own)


@pytest.mark.parametrize("session", ["f" * 32, "no such meeting", "../../etc/passwd", "x" * 500])
def test_an_unknown_session_is_a_plain_not_found(session):
    assert_not_found(app(session=session).run())


def test_a_checkpoint_on_a_missing_session_is_a_plain_not_found():
    assert_not_found(app(session="f" * 32, at="1f0c0000-0000-6000-8000-000000000000").run())


def test_an_unknown_checkpoint_says_so_and_shows_the_latest():
    sid = store().start("chat-system").session_id
    test = app(session=sid, at="1f0c0000-0000-6000-8000-000000000000").run()
    assert not test.exception
    assert POINT_NOT_FOUND in [w.value for w in test.warning]
    assert test.chat_input and "at" not in test.query_params


def test_a_turn_refused_while_another_tab_is_answered_is_kept_and_can_be_sent_again():
    meetings = store()
    sid = meetings.start("chat-system").session_id
    other_server = FileSessionLocks(Settings().data_dir / "locks")
    test = app(session=sid).run()
    with other_server.hold(sid):  # another tab (on another server) is answering a turn right now
        test.chat_input[0].set_value(TURN).run()
        assert not test.exception
        assert BUSY_MESSAGE in [plain(e.value) for e in test.error]
        assert TURN in [t.value for t in test.text]  # what was typed is on screen, not lost
        assert [t.role for t in meetings.view(sid).transcript if t.role == "person"] == []
    test.button(key="unsent_send").click().run()
    assert [t.text for t in meetings.view(sid).transcript if t.role == "person"] == [TURN]
    assert not test.get("button") or "unsent_send" not in [b.key for b in test.button]


def test_a_turn_typed_while_another_tabs_replies_are_pending_is_kept_not_dropped():
    from tests.test_session_concurrency import HeldSend

    meetings = store()
    sid = meetings.start("chat-system").session_id
    test = app(session=sid).run()  # this tab still offers the input
    other_tab = HeldSend(meetings, sid, TURN)  # another tab's turn: saved, its replies being written
    other_tab.start()
    assert other_tab.inside.wait(60)
    mine = "Dana, what deadline are we working against?"
    test.chat_input[0].set_value(mine).run()
    assert not test.exception
    assert BUSY_MESSAGE in [plain(e.value) for e in test.error]
    assert mine in [t.value for t in test.text]
    other_tab.release.set()
    other_tab.join(60)
    test.run()
    test.button(key="unsent_send").click().run()
    assert [t.text for t in meetings.view(sid).transcript if t.role == "person"] == [TURN, mine]


@pytest.fixture(scope="module")
def served():
    """The app as README starts it, Debian's Chromium, and the app's own store read from this process."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch_chromium, running_app
    from tests.test_browser_e2e import _require_browser

    _require_browser()
    with running_app(env={"ROUNDTABLE_FACILITATOR_PASSCODE": "tea at four"}) as running, sync_playwright() as p:
        meetings = Meetings(Settings(engine="offline", data_dir=running.data_dir))
        chromium = launch_chromium(p)
        try:
            yield running, chromium, meetings
        finally:
            chromium.close()
            meetings.checkpointer.conn.close()


def new_tab(chromium):
    page = chromium.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(90_000)
    return page


@pytest.mark.slow
def test_in_a_browser_a_busy_session_keeps_the_typed_turn_and_a_participants_id_reads_not_found(served):
    from playwright.sync_api import expect

    from tests.browser import wait_settled

    running, chromium, meetings = served
    sid = meetings.start("chat-system").session_id
    ws = Workshops(meetings)
    ana = ws.join(ws.create("w", "chat-system").code, "Ana")
    page = new_tab(chromium)

    page.goto(f"{running.url}/?session={ana.session_id}")
    expect(page.get_by_text("No meeting was found for this link.")).to_be_visible(timeout=90_000)
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_placeholder("Your turn…").count() == 0

    page.goto(f"{running.url}/?session={sid}")
    box = page.get_by_placeholder("Your turn…")
    with FileSessionLocks(running.data_dir / "locks").hold(sid):  # another server is answering
        box.fill(TURN)
        box.press("Enter")
        expect(page.get_by_text("Another turn in this meeting is being answered")).to_be_visible()
        expect(page.get_by_test_id("stText").filter(has_text=TURN)).to_be_visible()
        assert not [t for t in meetings.view(sid).transcript if t.role == "person"]
    page.get_by_role("button", name="Send it now").click()
    wait_settled(page, 1, TURN)
    assert [t.text for t in meetings.view(sid).transcript if t.role == "person"] == [TURN]
    assert page.get_by_test_id("stException").count() == 0


# A tab is done once nothing is stale and either its turn is in the transcript (captioned "You · turn N",
# which only the re-render after the replies writes) or the page says another turn was being answered.
SENT_OR_REFUSED_JS = """({text}) => {
  if (document.querySelector('[data-stale="true"]')) return false;
  const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
  const sent = [...document.querySelectorAll('[data-testid="stChatMessage"]')].some(m =>
    norm(m.querySelector('[data-testid="stCaptionContainer"]')?.innerText).startsWith('You · turn') &&
    norm(m.querySelector('[data-testid="stText"]')?.innerText) === norm(text));
  return sent || document.body.innerText.includes('Another turn in this meeting is being answered');
}"""


@pytest.mark.slow
def test_in_two_browser_tabs_sending_at_once_no_turn_vanishes(served):
    from playwright.sync_api import expect

    running, chromium, meetings = served
    sid = meetings.start("chat-system").session_id
    tabs = [new_tab(chromium), new_tab(chromium)]
    texts = [TURN, "Dana, what deadline are we working against, and what happens if we miss it?"]
    for tab in tabs:
        tab.goto(f"{running.url}/?session={sid}")
    for tab, text in zip(tabs, texts, strict=True):
        tab.get_by_placeholder("Your turn…").fill(text)
    for tab in tabs:
        tab.get_by_placeholder("Your turn…").press("Enter")  # both at once, as fast as a browser can
    for tab, text in zip(tabs, texts, strict=True):  # each tab settles: its turn answered, or refused
        tab.wait_for_function(SENT_OR_REFUSED_JS, arg={"text": text}, timeout=90_000, polling=100)
    landed = [t.text for t in meetings.view(sid).transcript if t.role == "person"]
    assert landed, "at least one turn is answered"
    assert len(meetings.branches(sid)) == 1  # nothing went to a side branch
    for tab, text in zip(tabs, texts, strict=True):
        if text not in landed:  # refused: said so, and what was typed is still on screen
            expect(tab.get_by_text("Another turn in this meeting is being answered")).to_be_visible()
            expect(tab.get_by_test_id("stText").filter(has_text=text)).to_be_visible()
        assert tab.get_by_test_id("stException").count() == 0
