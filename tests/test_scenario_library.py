"""The shipped library and candidate scripts load, and scripts have the same clear errors as scenarios."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scenarios import (
    CandidateScript,
    Scenario,
    ScenarioError,
    load_library,
    load_scenario,
    load_script,
)
from tests.scenario_helpers import (
    CHAT_FILE,
    LIBRARY_FILES,
    SCRIPTS_DIR,
    STRONG_SCRIPT,
    assert_reported,
    replace_line,
    write,
)

# --- the library loads and is well-formed --------------------------------------------------------


def test_library_has_at_least_ten_scenarios_at_every_difficulty():
    assert len(LIBRARY_FILES) >= 10
    difficulties = [load_scenario(p).difficulty for p in LIBRARY_FILES]
    assert {"easy", "medium", "hard"} <= set(difficulties), difficulties


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


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.name)
def test_every_scenario_has_a_strong_and_a_weak_script_with_expectations(path):
    folder = SCRIPTS_DIR / load_scenario(path).id
    strong, weak = load_script(folder / "strong.yaml"), load_script(folder / "weak.yaml")
    for script in (strong, weak):
        assert script.about, f"{script.name} says nothing about what the candidate does"
        assert script.expect and script.expect.overall, f"{script.name} has no overall band"
    # the bands say a strong candidate clearly outscores a weak one
    assert strong.expect.overall.low > weak.expect.overall.high


@pytest.mark.parametrize("path", sorted(SCRIPTS_DIR.glob("*/*.y*ml")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_script_is_for_a_library_scenario(path, library):
    assert path.parent.name in library


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


# --- scripted meetings land in their overall bands (offline engine) ------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.name)
def test_strong_and_weak_scripts_score_inside_their_overall_bands(path, offline):
    from tests.conftest import play

    scenario_id = load_scenario(path).id
    overall = {}
    for name in ("strong", "weak"):
        script = load_script(SCRIPTS_DIR / scenario_id / f"{name}.yaml")
        overall[name] = play(offline, scenario_id, script.turns).scorecard.overall
        assert script.expect.overall.holds(overall[name]), f"{name}: {overall[name]} outside {script.expect.overall}"
    assert overall["strong"] - overall["weak"] >= 1.5
