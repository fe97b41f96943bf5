"""Every string a person or an upload supplies is shown as text on every page, never as Markdown or HTML.

A scenario is uploaded with hostile strings in every field a page shows (title, brief, names, titles,
facts, concerns), a workshop and a participant get hostile names, the person types hostile turns,
and the URL carries hostile codes and ids. Every page is then walked through AppTest and every
string Streamlit would render as Markdown (bodies, captions, alerts, labels, status lines) is
checked for a live image, link, HTML tag or emphasis.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from google.protobuf.message import Message
from streamlit.elements.lib.mutable_status_container import StatusContainer

from agents.settings import Settings
from graphs import Meetings
from graphs.workshops import Workshops
from scenarios import LIBRARY_DIR
from tests.web_app import app, open_page, plain

IMAGE = "![x](http://evil/x.png)"
HTML = "<img src=x onerror=alert(1)>"
BOLD = "**bold**"
LINK = "[link](javascript:alert(1))"
HOSTILE = f"{IMAGE} {HTML} {BOLD} {LINK}"
PASSCODE = "tea at four, hostile"

# unescaped markup (escape_md puts a backslash before each of these characters); codes are upper-cased
LIVE = re.compile(r"(?<!\\)\]\((?:https?|javascript):|(?<!\\)<img|(?<!\\)\*\*bold", re.IGNORECASE)
# proto fields Streamlit shows as literal text or never shows: raw strings are right there
LITERAL_FIELDS = {
    ("Text", "body"),
    ("Code", "code_text"),
    ("TextInput", "value"),
    ("TextInput", "default"),
    ("TextArea", "value"),
    ("TextArea", "default"),
    ("Selectbox", "options"),  # option labels are plain text in a select box
    ("Selectbox", "raw_value"),
    ("ChatInput", "value"),
    ("ChatInput", "default"),
}


def proto_strings(message: Message, owner: str = ""):
    """(message type, field, value) of every string in a proto, nested messages included."""
    for field, value in message.ListFields():
        values = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
        for item in values:
            if isinstance(item, Message):
                yield from proto_strings(item, type(item).__name__)
            elif isinstance(item, str):
                yield type(message).__name__ or owner, field.name, item


def nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from nodes(child)


def rendered_markup(test) -> list[str]:
    """Every string on the page that Streamlit renders as Markdown (or could), with where it sits."""
    found = []
    for node in nodes(test._tree):
        proto = getattr(node, "proto", None)
        if not isinstance(proto, Message):
            continue
        for kind, field, value in proto_strings(proto):
            if (kind, field) not in LITERAL_FIELDS:
                found.append(f"{kind}.{field}: {value}")
    return found


def assert_inert(test, where: str) -> None:
    assert not test.exception, (where, test.exception)
    live = [s for s in rendered_markup(test) if LIVE.search(s)]
    assert not live, (where, live)


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "offline")
    monkeypatch.setenv("ROUNDTABLE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ROUNDTABLE_FACILITATOR_PASSCODE", PASSCODE)


@pytest.fixture
def status_labels(monkeypatch) -> list[str]:
    """Every label a status box (the '... is thinking' / '... replied' line) is given."""
    labels: list[str] = []
    original = StatusContainer.update

    def update(self, *, label=None, **kwargs):
        if label is not None:
            labels.append(label)
        return original(self, label=label, **kwargs)

    monkeypatch.setattr(StatusContainer, "update", update)
    return labels


def hostile_yaml() -> str:
    data = yaml.safe_load((LIBRARY_DIR / "chat_system.yaml").read_text(encoding="utf-8"))
    data["id"] = "hostile"
    data["title"] = f"Chat {HOSTILE}"
    data["brief"] = f"{data['brief']} {HOSTILE}"
    data["context"] = f"{data['context']} {HOSTILE}"
    for person in data["stakeholders"]:
        person["name"] = f"{person['name']} {IMAGE}"
        person["title"] = f"{HTML} {BOLD} {LINK}"
        for fact in person["facts"]:
            fact["text"] = f"{fact['text']} {HOSTILE}"
        for concern in person["concerns"]:
            concern["challenge"] = f"{concern['challenge']} {HOSTILE}"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@pytest.fixture
def uploaded(tmp_path) -> Path:
    folder = tmp_path / "data" / "scenarios"
    folder.mkdir(parents=True)
    path = folder / "hostile.yaml"
    path.write_text(hostile_yaml(), encoding="utf-8")
    return path


TURNS = [
    f"Who are the users and what scale do we expect? {HOSTILE}",
    f"Let's buy a hosted chat provider so we ship this quarter. {HOSTILE}",
]


def test_the_meeting_room_shows_hostile_scenario_and_turns_as_text(uploaded, status_labels):
    picker = app().run()
    assert_inert(picker, "picker")
    picker.radio(key="scenario_pick").set_value("hostile").run()
    assert_inert(picker, "picker with the hostile scenario chosen")
    picker.button(key="start_meeting").click().run()
    assert_inert(picker, "room")
    for text in TURNS:
        picker.chat_input(key="chat_input").set_value(text).run()
        assert_inert(picker, "room after a turn")
    assert len([s for s in status_labels if "thinking" in s]) == 2
    assert any("replied" in s for s in status_labels)
    live = [s for s in status_labels if LIVE.search(s)]
    assert not live, live
    assert HTML in [t.value for m in picker.chat_message for t in m.text][-4]  # the turn itself, as typed
    picker.button(key="wrap_up").click().run()
    assert_inert(picker, "scorecard")
    assert any(IMAGE in plain(c.value) for c in picker.caption)  # a name, shown literally


def test_the_scenarios_page_shows_hostile_uploads_as_text(uploaded):
    test = open_page(app(), "scenarios")
    assert_inert(test, "library")
    test.text_area(key="scenario_yaml").set_value(hostile_yaml().replace("id: hostile", "id: hostile-two")).run()
    test.button(key="validate_scenario").click().run()
    assert_inert(test, "validated")
    broken = hostile_yaml().replace("round_limit: 8", f"round_limit: '{HOSTILE}'")
    test.text_area(key="scenario_yaml").set_value(broken).run()
    test.button(key="validate_scenario").click().run()
    assert_inert(test, "invalid upload")


def join_page(code: str):
    test = app()
    test.query_params["code"] = code
    return open_page(test, "join")


def test_join_page_shows_hostile_codes_and_names_as_text(uploaded):
    for code in (IMAGE, HTML, BOLD, LINK):
        assert_inert(join_page(code), f"join?code={code}")
    workshops = Workshops(Meetings(Settings()))
    workshop = workshops.create(f"Guild {HOSTILE}", "hostile", round_limit=4)
    test = join_page(workshop.code)
    assert_inert(test, "join form")
    test.text_input(key="ws_join_name").input(f"{HTML} {BOLD}")
    test.button[0].click().run()
    assert_inert(test, "participant's room")
    test.chat_input(key="ws_room_chat_input").set_value(TURNS[0]).run()
    assert_inert(test, "participant's room after a turn")
    again = join_page(workshop.code)  # the same name from another browser is refused, by name
    again.text_input(key="ws_join_name").input(f"{HTML} {BOLD}")
    again.button[0].click().run()
    assert again.error, "a taken name is refused"
    assert_inert(again, "name taken")


def test_dashboard_shows_hostile_workshops_and_participants_as_text(uploaded):
    workshops = Workshops(Meetings(Settings()))
    workshop = workshops.create(f"Guild {HOSTILE}", "hostile", round_limit=4)
    first = workshops.join(workshop.code, f"{IMAGE} a")
    workshops.join(workshop.code, f"{LINK}")
    workshops.meetings.send(first.session_id, TURNS[0])
    test = open_page(app(), "dashboard")
    test.text_input(key="ws_passcode").input(PASSCODE)
    test.button[0].click().run()
    assert_inert(test, "dashboard")
    test.selectbox(key="ws_open_session").select_index(0).run()
    assert_inert(test, "dashboard, one session open")
    test.text_input(key="ws_new_name").input(f"Other {HOSTILE}")
    test.selectbox(key="ws_new_scenario").select("hostile")
    next(b for b in test.button if b.label == "Create workshop").click().run()
    assert_inert(test, "dashboard, after creating")


@pytest.mark.parametrize("param", ["session", "at"])
def test_hostile_ids_in_the_url_are_shown_as_text(param):
    test = app()
    real = Meetings(Settings()).start("chat-system").session_id
    test.query_params["session"] = HOSTILE if param == "session" else real
    if param == "at":
        test.query_params["at"] = HOSTILE
    test.run()
    assert_inert(test, f"?{param}=...")
