"""The scenario format's bad-input contract: every error names the file, the field path and the line.

Bad files are made by mutating the text of ``scenarios/library/chat_system.yaml`` (string edits or a
YAML round-trip), so the tests keep working when the scenario's content changes. Expected line numbers
are computed by searching the mutated text for the line that was changed.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from scenarios import (
    LIBRARY_DIR,
    MAX_SCENARIO_BYTES,
    CandidateScript,
    Scenario,
    ScenarioError,
    ScenarioIssue,
    load_library,
    load_scenario,
    load_script,
    parse_scenario,
)

CHAT_FILE = LIBRARY_DIR / "chat_system.yaml"
LIBRARY_FILES = sorted(LIBRARY_DIR.glob("*.y*ml"))
SCRIPTS_DIR = LIBRARY_DIR.parent / "scripts"
STRONG_SCRIPT = SCRIPTS_DIR / "chat-system" / "strong.yaml"


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chat_text() -> str:
    return CHAT_FILE.read_text(encoding="utf-8")


@pytest.fixture
def chat_data(chat_text) -> dict:
    return yaml.safe_load(chat_text)


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def dump(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def line_of(text: str, pattern: str, occurrence: int = 0) -> int:
    """1-based number of the ``occurrence``-th line matching ``pattern`` (a regex on one line)."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if re.search(pattern, line)]
    assert len(hits) > occurrence, f"no line #{occurrence} matching {pattern!r}"
    return hits[occurrence]


def replace_line(text: str, pattern: str, new: str, occurrence: int = 0) -> tuple[str, int]:
    """Replace one line matching ``pattern``; returns the new text and that line's number."""
    number = line_of(text, pattern, occurrence)
    lines = text.splitlines(keepends=True)
    lines[number - 1] = new + "\n"
    return "".join(lines), number


def set_top_level(text: str, key: str, value: str) -> tuple[str, int]:
    """Set a one-line top-level ``key: value`` (replacing the key's line, or adding it before the
    stakeholders); returns the new text and that line's number."""
    if re.search(rf"^{key}:", text, re.M):
        return replace_line(text, rf"^{key}:", f"{key}: {value}")
    text = re.sub(r"^stakeholders:", f"{key}: {value}\nstakeholders:", text, count=1, flags=re.M)
    return text, line_of(text, rf"^{key}:")


def role_index(data: dict) -> dict[str, int]:
    return {s["role"]: i for i, s in enumerate(data["stakeholders"])}


def load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def issue_at(error: ScenarioError, field: str) -> ScenarioIssue:
    matching = [i for i in error.issues if i.field == field]
    assert len(matching) == 1, f"expected one issue for {field!r}, got {error.issues}"
    return matching[0]


def assert_reported(error: ScenarioError, source: str | Path, field: str, line: int | None, expect: str) -> None:
    """The issue for ``field`` has ``line``, says ``expect``, and the message names file, line and field."""
    issue = issue_at(error, field)
    assert error.source == str(source)
    assert issue.line == line, f"{field}: expected line {line}, got {issue.line} ({issue.message})"
    assert expect.lower() in issue.message.lower()
    where = f"line {line}" if line else "file"
    rendered = f"{source}: {where}:" + (f" {field}:" if field else "")
    assert rendered in str(error), str(error)


# --- the library loads and is well-formed --------------------------------------------------------


def test_library_has_scenario_files():
    assert len(LIBRARY_FILES) >= 3


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.name)
def test_every_library_file_loads(path):
    assert isinstance(load_scenario(path), Scenario)


def test_load_library_returns_one_scenario_per_library_file():
    library = load_library()
    assert sorted(library) == sorted(load_scenario(p).id for p in LIBRARY_FILES)
    assert all(sid == s.id for sid, s in library.items())


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.name)
def test_library_scenario_has_three_stakeholders_with_at_least_four_facts_and_three_concerns(path):
    scenario = load_scenario(path)
    assert sorted(s.role for s in scenario.stakeholders) == ["business", "design", "engineering"]
    for s in scenario.stakeholders:
        assert len(s.facts) >= 4, f"{s.role} has {len(s.facts)} facts"
        assert len(s.concerns) >= 3, f"{s.role} has {len(s.concerns)} concerns"


def test_chat_system_has_a_scale_fact_with_concrete_numbers():
    scenario = load_scenario(CHAT_FILE)
    scale = [
        f
        for s in scenario.stakeholders
        for f in s.facts
        if "scale" in f.id or any("scale" in phrase.lower() for phrase in f.unlocked_by)
    ]
    assert scale, "no fact is unlocked by asking about scale"
    numbers = re.findall(r"\d[\d,.]*", scale[0].text)
    assert len(numbers) >= 2, scale[0].text


def test_load_library_adds_scenarios_from_an_extra_directory(tmp_path, chat_text):
    extra = tmp_path / "extra"
    extra.mkdir()
    text, _ = replace_line(chat_text, r"^id: ", "id: chat-system-copy")
    write(extra, text, "copy.yaml")
    library = load_library([extra])
    assert "chat-system-copy" in library
    assert len(library) == len(LIBRARY_FILES) + 1


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


# --- candidate scripts --------------------------------------------------------------------------


def script_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_script(path)
    return info.value


@pytest.mark.skipif(not STRONG_SCRIPT.exists(), reason="no chat-system scripts in this checkout")
def test_load_script_reads_a_library_script_turn_by_turn():
    script = load_script(STRONG_SCRIPT)
    raw = yaml.safe_load(STRONG_SCRIPT.read_text(encoding="utf-8"))["turns"]
    assert isinstance(script, CandidateScript)
    assert script.turns == [t.strip() for t in raw]
    assert all(isinstance(t, str) and t for t in script.turns)


@pytest.mark.parametrize("path", sorted(SCRIPTS_DIR.glob("*/*.y*ml")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_script_loads(path):
    assert load_script(path).turns


def test_load_script_reads_a_small_script(tmp_path):
    path = write(tmp_path, "turns:\n  - How many users do we have?\n  - '  Let us build it.  '\n", "s.yaml")
    assert load_script(path).turns == ["How many users do we have?", "Let us build it."]


def test_script_with_empty_turns_says_at_least_one_turn_with_line(tmp_path):
    path = write(tmp_path, "# nothing to say\nturns: []\n", "s.yaml")
    assert_reported(script_error(path), path, "turns", 2, "at least 1 item")


def test_script_without_turns_says_turns_is_missing(tmp_path):
    path = write(tmp_path, "# no turns key at all\n{}\n", "s.yaml")
    assert_reported(script_error(path), path, "turns", 2, "required field is missing")


def test_script_with_misspelt_turns_key_names_unknown_key_and_missing_turns(tmp_path):
    path = write(tmp_path, "# typo\nturn:\n  - hello\n", "s.yaml")
    error = script_error(path)
    assert_reported(error, path, "turn", 2, "unknown key")
    assert_reported(error, path, "turns", 2, "required field is missing")


def test_script_with_string_turns_says_a_list_is_expected_with_line(tmp_path):
    path = write(tmp_path, '# wrong type\nturns: "hello"\n', "s.yaml")
    error = script_error(path)
    assert_reported(error, path, "turns", 2, "valid list")
    assert "got str: 'hello'" in error.issues[0].message


def test_script_with_a_non_text_turn_names_its_index_and_line(tmp_path):
    path = write(tmp_path, "turns:\n  - hello\n  - [a, b]\n  - bye\n", "s.yaml")
    assert_reported(script_error(path), path, "turns.1", 3, "valid string")


def test_script_with_a_blank_turn_names_its_index(tmp_path):
    path = write(tmp_path, "turns:\n  - hello\n  - '   '\n", "s.yaml")
    assert_reported(script_error(path), path, "turns.1", 3, "at least 1 character")


def test_script_that_is_not_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "turns:\n  - [unclosed\n  - x: y: z\n", "s.yaml")
    error = script_error(path)
    assert error.source == str(path)
    assert "not valid YAML" in error.issues[0].message
    assert error.issues[0].line is not None


def test_missing_script_says_it_cannot_be_read(tmp_path):
    path = tmp_path / "gone.yaml"
    assert_reported(script_error(path), path, "", None, "cannot read script")


def test_non_utf8_script_says_it_cannot_be_read(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"turns:\n  - caf\xe9\n")
    assert_reported(script_error(path), path, "", None, "cannot read script")
