"""The scenario format's bad-input contract: every error names the file, the field path and the line.

Bad files are made by mutating the text of ``scenarios/library/chat_system.yaml`` (string edits or a
YAML round-trip), so the tests keep working when the scenario's content changes. Expected line numbers
are computed by searching the mutated text for the line that was changed.
"""

from __future__ import annotations

import re
import shutil

import pytest

from scenarios import (
    MAX_SCENARIO_BYTES,
    ScenarioError,
    load_library,
    load_scenario,
    parse_scenario,
)
from tests.scenario_helpers import (
    CHAT_FILE,
    assert_reported,
    dump,
    issue_at,
    line_of,
    load_error,
    replace_line,
    role_index,
    set_top_level,
    write,
)

# --- field-level problems: field path, line, expectation -----------------------------------------


def test_unknown_key_names_field_path_and_line(tmp_path, chat_text):
    # the first stakeholder-level `concerns:` in the file belongs to stakeholders.0
    text, line = replace_line(chat_text, r"^    concerns:$", "    concens:")
    path = write(tmp_path, text)
    error = load_error(path)
    assert_reported(error, path, "stakeholders.0.concens", line, "unknown key")
    assert "spelling" in issue_at(error, "stakeholders.0.concens").message


def test_unknown_key_also_reports_the_field_it_left_missing_at_its_mapping(tmp_path, chat_text):
    text, _ = replace_line(chat_text, r"^    concerns:$", "    concens:")
    path = write(tmp_path, text)
    mapping_line = line_of(text, r"^  - role: ")  # stakeholders.0 starts here
    assert_reported(load_error(path), path, "stakeholders.0.concerns", mapping_line, "required field is missing")


def test_wrong_type_string_for_integer_says_integer_expected_and_what_was_given(tmp_path, chat_text):
    text, line = set_top_level(chat_text, "round_limit", '"eight"')
    path = write(tmp_path, text)
    error = load_error(path)
    assert_reported(error, path, "round_limit", line, "valid integer")
    assert "'eight'" in issue_at(error, "round_limit").message


def test_wrong_type_list_where_string_expected_names_nested_field_and_line(tmp_path, chat_text):
    # the second stakeholder's name (4-space indented `name:`) becomes a list
    original = chat_text.splitlines()[line_of(chat_text, r"^    name: ", 1) - 1]
    words = original.split(":", 1)[1].split()
    text, line = replace_line(chat_text, r"^    name: ", f"    name: [{', '.join(words)}]", 1)
    path = write(tmp_path, text)
    error = load_error(path)
    assert_reported(error, path, "stakeholders.1.name", line, "valid string")
    assert "got list" in issue_at(error, "stakeholders.1.name").message


def test_wrong_type_string_where_list_expected(tmp_path, chat_data):
    chat_data["stakeholders"][2]["goals"] = "make money"
    text = dump(chat_data)
    path = write(tmp_path, text)
    line = line_of(text, r"^\s*goals: make money$")
    assert_reported(load_error(path), path, "stakeholders.2.goals", line, "valid list")


def test_invalid_choice_lists_allowed_values(tmp_path, chat_text):
    text, line = set_top_level(chat_text, "difficulty", "brutal")
    path = write(tmp_path, text)
    error = load_error(path)
    assert_reported(error, path, "difficulty", line, "'easy', 'medium' or 'hard'")


def test_missing_required_field_points_at_the_mapping_that_should_hold_it(tmp_path, chat_data):
    concern = chat_data["stakeholders"][1]["concerns"][0]
    del concern["pushback"]
    text = dump(chat_data)
    path = write(tmp_path, text)
    line = line_of(text, rf"^\s*- id: {re.escape(concern['id'])}$")
    assert_reported(load_error(path), path, "stakeholders.1.concerns.0.pushback", line, "required field is missing")


# --- scenario-level consistency -----------------------------------------------------------------


def test_duplicate_fact_id_across_stakeholders_names_the_id_and_both_owners(tmp_path, chat_data):
    roles = role_index(chat_data)
    dup = chat_data["stakeholders"][roles["engineering"]]["facts"][0]["id"]
    chat_data["stakeholders"][roles["business"]]["facts"][1]["id"] = dup
    path = write(tmp_path, dump(chat_data))
    error = load_error(path)
    assert error.source == str(path)
    assert len(error.issues) == 1
    message = error.issues[0].message
    assert f"duplicate id '{dup}'" in message
    assert "engineering fact" in message and "business fact" in message
    assert "unique within a scenario" in message
    assert str(path) in str(error)


def test_duplicate_concern_id_within_one_stakeholder_names_the_id(tmp_path, chat_data):
    eng = chat_data["stakeholders"][role_index(chat_data)["engineering"]]
    dup = eng["concerns"][0]["id"]
    eng["concerns"][1]["id"] = dup
    path = write(tmp_path, dump(chat_data))
    message = load_error(path).issues[0].message
    assert f"duplicate id '{dup}'" in message
    assert message.count("engineering concern") == 2


def test_concern_reusing_a_fact_id_is_a_duplicate(tmp_path, chat_data):
    roles = role_index(chat_data)
    dup = chat_data["stakeholders"][roles["engineering"]]["facts"][0]["id"]
    chat_data["stakeholders"][roles["design"]]["concerns"][0]["id"] = dup
    path = write(tmp_path, dump(chat_data))
    message = load_error(path).issues[0].message
    assert f"duplicate id '{dup}'" in message
    assert "engineering fact" in message and "design concern" in message


def test_duplicate_id_names_the_field_path_and_line_of_the_second_use(tmp_path, chat_data):
    roles = role_index(chat_data)
    biz = roles["business"]
    dup = chat_data["stakeholders"][roles["engineering"]]["facts"][0]["id"]
    chat_data["stakeholders"][biz]["facts"][1]["id"] = dup
    text = dump(chat_data)
    path = write(tmp_path, text)
    line = line_of(text, rf"^\s*- id: {re.escape(dup)}$", 1)
    assert_reported(load_error(path), path, f"stakeholders.{biz}.facts.1.id", line, f"duplicate id '{dup}'")


def test_missing_role_names_the_missing_role_and_the_roles_found(tmp_path, chat_data):
    design = role_index(chat_data)["design"]
    chat_data["stakeholders"][design]["role"] = "engineering"
    path = write(tmp_path, dump(chat_data))
    error = load_error(path)
    assert error.source == str(path)
    assert len(error.issues) == 1
    found = ", ".join(s["role"] for s in chat_data["stakeholders"])
    assert "needs one stakeholder per role" in error.issues[0].message
    assert "missing: design" in error.issues[0].message
    assert f"found: {found}" in error.issues[0].message
    assert str(path) in str(error)


def test_missing_role_names_the_field_path_and_line_of_the_duplicated_role(tmp_path, chat_data):
    design = role_index(chat_data)["design"]
    chat_data["stakeholders"][design]["role"] = "engineering"
    text = dump(chat_data)
    path = write(tmp_path, text)
    line = line_of(text, r"^\s*- role: engineering$", 1)
    assert_reported(load_error(path), path, f"stakeholders.{design}.role", line, "missing: design")


# --- file-level problems ------------------------------------------------------------------------


def test_empty_file_says_empty_and_that_a_mapping_is_expected(tmp_path):
    path = write(tmp_path, "")
    assert_reported(load_error(path), path, "", None, "file is empty; expected a YAML mapping")


def test_whitespace_only_file_is_reported_as_empty(tmp_path):
    path = write(tmp_path, "  \n\t\n   \n")
    assert_reported(load_error(path), path, "", None, "file is empty; expected a YAML mapping")


def test_comment_only_file_says_it_holds_no_document(tmp_path):
    path = write(tmp_path, "# nothing here yet\n")
    assert_reported(load_error(path), path, "", None, "no YAML document")


def test_unclosed_flow_sequence_is_not_valid_yaml_with_a_line(tmp_path):
    path = write(tmp_path, "id: [unclosed")
    assert_reported(load_error(path), path, "", 1, "not valid YAML")


def test_yaml_syntax_error_inside_a_scenario_names_the_line(tmp_path, chat_text):
    text, line = replace_line(chat_text, r"^title:", "title: a chat: system")
    path = write(tmp_path, text)
    error = load_error(path)
    assert_reported(error, path, "", line, "not valid YAML")
    assert "mapping values are not allowed" in error.issues[0].message


def test_top_level_list_says_a_mapping_is_expected_with_its_line(tmp_path, chat_data):
    text = "# a list of scenarios is not a scenario\n" + dump([chat_data])
    path = write(tmp_path, text)
    line = line_of(text, r"^- ")
    assert_reported(load_error(path), path, "", line, "expected a mapping")


def test_duplicate_key_names_its_path_and_the_line_of_the_repeat(tmp_path, chat_text):
    third = line_of(chat_text, r"^    title: ", 2)  # stakeholders.2.title
    lines = chat_text.splitlines(keepends=True)
    lines.insert(third, "    title: Somebody Else\n")
    text = "".join(lines)
    path = write(tmp_path, text)
    line = line_of(text, r"^    title: Somebody Else$")
    assert_reported(load_error(path), path, "stakeholders.2.title", line, "key 'title' appears twice")


def test_duplicate_top_level_key_is_reported(tmp_path, chat_text):
    text, _ = replace_line(chat_text, r"^id: ", "id: chat-system\nid: chat-system-2")
    path = write(tmp_path, text)
    line = line_of(text, r"^id: chat-system-2$")
    assert_reported(load_error(path), path, "id", line, "appears twice in the same mapping")


def test_file_over_the_size_limit_is_rejected_with_size_and_limit(tmp_path, chat_text):
    padding = "#" * (MAX_SCENARIO_BYTES - len(chat_text.encode("utf-8")) + 1)
    path = write(tmp_path, chat_text + padding)
    size = path.stat().st_size
    assert size == MAX_SCENARIO_BYTES + 1
    error = load_error(path)
    assert_reported(error, path, "", None, f"at most {MAX_SCENARIO_BYTES:,}")
    assert f"{size:,} bytes" in error.issues[0].message


def test_file_exactly_at_the_size_limit_is_accepted(tmp_path, chat_text):
    padding = "#" * (MAX_SCENARIO_BYTES - len(chat_text.encode("utf-8")))
    path = write(tmp_path, chat_text + padding)
    assert path.stat().st_size == MAX_SCENARIO_BYTES
    assert load_scenario(path).id == load_scenario(CHAT_FILE).id


def test_non_utf8_file_says_it_is_not_utf8(tmp_path, chat_text):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"# caf\xe9\n" + chat_text.encode("utf-8"))
    assert_reported(load_error(path), path, "", None, "not UTF-8")


def test_missing_file_says_it_cannot_be_read(tmp_path):
    path = tmp_path / "nowhere.yaml"
    error = load_error(path)
    assert_reported(error, path, "", None, "cannot read file")
    assert "No such file" in error.issues[0].message


def test_load_library_duplicate_id_in_extra_directory_names_both_files(tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    copy = extra / "my_chat.yaml"
    shutil.copyfile(CHAT_FILE, copy)
    with pytest.raises(ScenarioError) as info:
        load_library([extra])
    error = info.value
    sid = load_scenario(CHAT_FILE).id
    assert error.source == str(copy)
    issue = issue_at(error, "id")
    assert f"scenario id '{sid}' is already used by {CHAT_FILE}" in issue.message
    assert str(copy) in str(error) and str(CHAT_FILE) in str(error)


def test_load_library_duplicate_id_names_the_id_line(tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    copy = extra / "my_chat.yaml"
    shutil.copyfile(CHAT_FILE, copy)
    with pytest.raises(ScenarioError) as info:
        load_library([extra])
    line = line_of(copy.read_text(encoding="utf-8"), r"^id: ")
    assert_reported(info.value, copy, "id", line, "is already used by")


def test_parse_scenario_names_the_given_source_in_every_issue(chat_text):
    source = "upload: my chat.yaml"
    text, line = replace_line(chat_text, r"^    concerns:$", "    concens:")
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source)
    error = info.value
    assert str(error).startswith(f"invalid scenario {source}:\n")
    assert all(row.startswith(f"  {source}: ") for row in str(error).splitlines()[1:])
    assert_reported(error, source, "stakeholders.0.concens", line, "unknown key")


def test_parse_scenario_without_source_uses_a_placeholder_name():
    with pytest.raises(ScenarioError) as info:
        parse_scenario("")
    assert info.value.source == "<scenario>"
    assert "<scenario>: file: file is empty" in str(info.value)


def test_parse_scenario_rejects_text_over_the_size_limit_naming_the_source(chat_text):
    text = chat_text + "#" * MAX_SCENARIO_BYTES
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "big-upload.yaml")
    assert_reported(info.value, "big-upload.yaml", "", None, f"over {MAX_SCENARIO_BYTES:,} bytes")


def test_parse_scenario_accepts_the_library_text(chat_text):
    assert parse_scenario(chat_text, "chat.yaml") == load_scenario(CHAT_FILE)


# --- YAML features a scenario has no use for must still fail as ScenarioError --------------------


def test_unknown_yaml_tag_is_a_scenario_error_with_its_line(tmp_path, chat_text):
    text, line = set_top_level(chat_text, "difficulty", "!custom medium")
    path = write(tmp_path, text)
    assert_reported(load_error(path), path, "", line, "not valid YAML")


def test_complex_mapping_key_is_a_scenario_error(tmp_path, chat_text):
    path = write(tmp_path, chat_text + "? [a, b]\n: c\n")
    error = load_error(path)
    assert error.issues and all(i.line for i in error.issues)


def test_self_referencing_alias_is_a_scenario_error(tmp_path, chat_text):
    path = write(tmp_path, chat_text + "extra: &loop [*loop]\n")
    error = load_error(path)
    assert error.issues
