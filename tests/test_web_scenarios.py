"""The scenario library page (AppTest): browse briefs, validate uploads with file/field/line, add to the library."""

from __future__ import annotations

import pytest
import yaml

from scenarios import LIBRARY_DIR, load_library
from tests.web_app import app, everything, live_markup, open_page, plain
from ui.web.services import FACILITATOR_UNLOCKED


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "offline")


def scenarios_page(*, facilitator: bool = False):
    test = app()
    if facilitator:  # as the Facilitator dashboard leaves it once the passcode was given
        test.session_state[FACILITATOR_UNLOCKED] = True
    test = open_page(test, "scenarios")
    assert not test.exception, test.exception
    return test


def validated(test, text: str, name: str = "team_chat.yaml"):
    test.file_uploader(key="scenario_upload").set_value((name, text.encode(), "application/x-yaml"))
    test.button(key="validate_scenario").click().run()
    assert not test.error
    return test


def custom_yaml(chat_text: str, scenario_id: str = "team-chat") -> str:
    data = yaml.safe_load(chat_text)
    data["id"] = scenario_id
    data["title"] = "Team chat, again"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def test_library_shows_briefs_never_facts_or_concerns():
    test = scenarios_page()
    page = everything(test)
    for scenario in load_library().values():
        assert scenario.title in page and scenario.brief in page
        for person in scenario.stakeholders:
            assert all(f.text not in page for f in person.facts)
            assert all(c.challenge not in page and c.pushback not in page for c in person.concerns)


def test_an_invalid_upload_names_file_field_and_line(chat_text):
    broken = chat_text.replace("round_limit: 8", "round_limit: lots", 1)
    assert broken != chat_text
    line = next(i for i, text in enumerate(broken.splitlines(), start=1) if text.startswith("round_limit"))
    test = scenarios_page()
    test.file_uploader(key="scenario_upload").set_value(("mine.yaml", broken.encode(), "application/x-yaml"))
    test.button(key="validate_scenario").click().run()
    assert not test.exception
    assert len(test.error) == 1
    issues = test.dataframe[0].value
    assert list(issues.columns) == ["file", "line", "field", "problem"]
    row = issues.iloc[0]
    assert (row["file"], row["line"], row["field"]) == ("mine.yaml", line, "round_limit")
    assert f"mine.yaml: line {line}: round_limit:" in test.code[0].value  # the CLI's wording


def test_a_pasted_scenario_with_bad_yaml_points_at_the_line():
    test = scenarios_page()
    test.text_area(key="scenario_yaml").set_value("id: x\ntitle: [unclosed\n").run()
    test.button(key="validate_scenario").click().run()
    assert len(test.error) == 1
    assert "pasted scenario: line" in test.code[0].value and "not valid YAML" in test.code[0].value


def test_uploaded_text_is_never_rendered_as_markup(chat_text):
    data = yaml.safe_load(chat_text)
    data["id"] = "inject"
    data["title"] = "Chat <img src=x onerror=alert(1)> [link](https://evil.example)"
    test = scenarios_page()
    test.text_area(key="scenario_yaml").set_value(yaml.safe_dump(data, sort_keys=False)).run()
    test.button(key="validate_scenario").click().run()
    assert not test.error
    for element in [*test.markdown, *test.success, *test.caption]:
        assert not live_markup(element.value), element.value


def test_a_valid_scenario_is_added_to_the_library_and_can_be_started(chat_text, tmp_path):
    test = validated(scenarios_page(facilitator=True), custom_yaml(chat_text))
    assert any("Valid" in s.value for s in test.success)
    test.button(key="add_scenario").click().run()
    assert not test.exception and not test.error
    assert any("Added" in s.value for s in test.success)
    assert list((tmp_path / "data" / "scenarios" / "team-chat").glob("*.yaml"))  # <id>/<version>.yaml
    # the meeting room offers it, also to a fresh process (the file is under the data dir)
    room = app().run()
    assert "team-chat" in room.radio(key="scenario_pick").options or any(
        "Team chat, again" in o for o in room.radio(key="scenario_pick").options
    )


def test_adding_to_the_library_needs_the_facilitator_passcode(chat_text, tmp_path):
    test = validated(scenarios_page(), custom_yaml(chat_text))
    assert any("Valid" in s.value for s in test.success)  # anyone may validate
    assert test.button(key="add_scenario").disabled
    assert any("facilitator passcode" in i.value for i in test.info)
    assert not (tmp_path / "data" / "scenarios" / "team-chat").exists()


def test_the_facilitator_can_delete_an_upload_from_the_library(chat_text, tmp_path):
    test = validated(scenarios_page(facilitator=True), custom_yaml(chat_text))
    test.button(key="add_scenario").click().run()
    test.run()
    assert not [b for b in test.button if b.key == "delete_chat-system"]  # the built-in library stays
    test.button(key="delete_team-chat").click().run()
    assert not test.exception and not test.error
    assert "Team chat, again" not in everything(test)
    visitor = scenarios_page()
    assert not [b for b in visitor.button if (b.key or "").startswith("delete_")]


def test_an_id_already_in_the_library_is_refused(chat_text):
    test = scenarios_page()
    test.text_area(key="scenario_yaml").set_value(chat_text).run()
    test.button(key="validate_scenario").click().run()
    assert any("already has a scenario with id" in w.value for w in test.warning)
    assert (LIBRARY_DIR / "chat_system.yaml").exists()


def test_an_oversized_upload_is_refused_with_its_size():
    test = scenarios_page()
    big = b"# padding\n" * 30_000
    test.file_uploader(key="scenario_upload").set_value(("huge.yaml", big, "application/x-yaml"))
    test.button(key="validate_scenario").click().run()
    assert len(test.error) == 1
    assert "huge.yaml" in plain(test.error[0].value) and "at most 262,144" in plain(test.error[0].value)
