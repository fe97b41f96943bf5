"""The scenario library page (AppTest): browse briefs, validate uploads with file/field/line, add to the library."""

from __future__ import annotations

import pytest
import yaml

from scenarios import LIBRARY_DIR, load_library
from tests.web_app import app, everything, live_markup, open_page, plain


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "offline")


def scenarios_page():
    test = open_page(app(), "scenarios")
    assert not test.exception, test.exception
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
    test = scenarios_page()
    test.file_uploader(key="scenario_upload").set_value(
        ("team_chat.yaml", custom_yaml(chat_text).encode(), "application/x-yaml")
    )
    test.button(key="validate_scenario").click().run()
    assert not test.error
    assert any("Valid" in s.value for s in test.success)
    test.button(key="add_scenario").click().run()
    assert not test.exception and not test.error
    assert any("Added" in s.value for s in test.success)
    assert (tmp_path / "data" / "scenarios" / "team-chat.yaml").exists()
    # the meeting room offers it, also to a fresh process (the file is under the data dir)
    room = app().run()
    assert "team-chat" in room.radio(key="scenario_pick").options or any(
        "Team chat, again" in o for o in room.radio(key="scenario_pick").options
    )


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
