"""The terminal interface, driven in-process with typer's CliRunner on the offline engine.

One scripted run and one interactive meeting are shared by the tests that read them (module-scoped),
because the offline engine's first meeting in a process pays for loading the embedding model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scenarios import LIBRARY_DIR, load_library
from ui.cli import app

LIBRARY_FILES = sorted(LIBRARY_DIR.glob("*.y*ml"))
STRONG_SCRIPT = LIBRARY_DIR.parent / "scripts" / "chat-system" / "strong.yaml"
DIMENSIONS = {"framing", "systems", "tradeoffs", "alignment", "collaboration"}
FALLBACK_TURNS = [
    "Before we design anything: Priya, how many daily active users do we have and how big will it get? "
    "Marco, who are the users and what do they talk about? Dana, how will we measure success, and by when?",
    "Here is my proposal: a message service that stores every message before it is acknowledged, and push "
    "notifications for anyone offline. I'd build rather than buy, because cost at our scale matters most.",
    "So the decision: we build a narrow first version for the Q3 deadline. Priya owns the sizing, Marco the "
    "notification rules, Dana the pilot stores. Let's review next week.",
]
runner = CliRunner()


def _cli_env(mp: pytest.MonkeyPatch, data_dir: Path) -> None:
    """Offline engine, sessions under ``data_dir``, no keys or endpoints from the developer's env."""
    mp.setenv("ROUNDTABLE_DATA_DIR", str(data_dir))
    mp.setenv("ROUNDTABLE_ENGINE", "offline")
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ROUNDTABLE_OPENAI_API_KEY",
        "ROUNDTABLE_OPENAI_BASE_URL",
        "ROUNDTABLE_SCENARIOS_DIR",
        "ROUNDTABLE_MODEL",
    ):
        mp.delenv(name, raising=False)


@pytest.fixture
def cli_env(monkeypatch, tmp_path) -> Path:
    _cli_env(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)  # relative paths in the output stay short; no stray .env is read
    return tmp_path


@pytest.fixture(scope="module")
def script_path(tmp_path_factory) -> Path:
    if STRONG_SCRIPT.exists():
        return STRONG_SCRIPT
    path = tmp_path_factory.mktemp("script") / "turns.yaml"
    path.write_text(yaml.safe_dump({"turns": FALLBACK_TURNS}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def script_turns(script_path) -> list[str]:
    return [t.strip() for t in yaml.safe_load(script_path.read_text(encoding="utf-8"))["turns"]]


@pytest.fixture(scope="module")
def run_json(tmp_path_factory, script_path) -> dict:
    """``roundtable run --scenario chat-system --script ... --json``, parsed."""
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("run")
        _cli_env(mp, home)
        mp.chdir(home)
        result = runner.invoke(app, ["run", "--scenario", "chat-system", "--script", str(script_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # the whole stdout is one JSON document
    return data


@pytest.fixture(scope="module")
def played(tmp_path_factory, script_turns) -> Iterator[tuple[Path, str, str]]:
    """An interactive meeting: one turn, then /done. Yields (data dir, session id, output)."""
    first = " ".join(script_turns[0].split())  # one line of input
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("play")
        _cli_env(mp, home)
        mp.chdir(home)
        result = runner.invoke(app, ["play", "--scenario", "chat-system"], input=f"{first}\n/done\n")
    assert result.exit_code == 0, result.output
    match = re.search(r"Session ([0-9a-f]+) is saved", result.stdout)
    assert match, result.stdout
    yield home, match.group(1), result.stdout


def person_texts(data: dict) -> list[str]:
    return [t["text"] for t in data["transcript"] if t["role"] == "person"]


def overall(output: str) -> str:
    match = re.search(r"Scorecard · overall (\d\.\d\d) / 5", output)
    assert match, output
    return match.group(1)


# --- scenarios list / validate -------------------------------------------------------------------


def test_scenarios_list_shows_every_library_id(cli_env):
    result = runner.invoke(app, ["scenarios", "list"])
    assert result.exit_code == 0, result.output
    ids = set(load_library())
    assert {"chat-system", "offline-mode", "usage-billing"} <= ids
    for sid in ids:
        assert sid in result.stdout


def test_scenarios_list_json_has_id_title_difficulty_and_brief(cli_env):
    result = runner.invoke(app, ["scenarios", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    library = load_library()
    assert isinstance(rows, list)
    assert [r["id"] for r in rows] == sorted(library)
    for row in rows:
        scenario = library[row["id"]]
        assert row["title"] == scenario.title
        assert row["difficulty"] == scenario.difficulty
        assert row["brief"] == scenario.brief
        assert not {"stakeholders", "facts", "concerns", "context"} & set(row)


def test_scenarios_list_json_never_reveals_facts_or_concerns(cli_env):
    result = runner.invoke(app, ["scenarios", "list", "--json"])
    assert result.exit_code == 0, result.output
    shown = "\n".join(str(value) for row in json.loads(result.stdout) for value in row.values())
    hidden = [
        text
        for scenario in load_library().values()
        for s in scenario.stakeholders
        for text in (*(f.text for f in s.facts), *(c.challenge for c in s.concerns), *(c.pushback for c in s.concerns))
    ]
    assert len(hidden) >= 3 * 3 * 7
    for text in hidden:
        assert text[:60] not in shown
        assert text[:60] not in result.stdout


def test_scenarios_validate_accepts_every_library_file(cli_env):
    result = runner.invoke(app, ["scenarios", "validate", *map(str, LIBRARY_FILES)])
    assert result.exit_code == 0, result.output
    assert sum(line.startswith("ok ") for line in result.stdout.splitlines()) == len(LIBRARY_FILES)


def test_scenarios_validate_rejects_a_broken_file_naming_path_and_line(cli_env):
    text = (LIBRARY_DIR / "chat_system.yaml").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    number = next(n for n, line in enumerate(lines, start=1) if line == "    concerns:\n")
    lines[number - 1] = "    concens:\n"
    Path("broken.yaml").write_text("".join(lines), encoding="utf-8")
    result = runner.invoke(app, ["scenarios", "validate", str(LIBRARY_FILES[0]), "broken.yaml"])
    assert result.exit_code == 1
    assert "invalid scenario broken.yaml" in result.stderr
    assert f"broken.yaml: line {number}: stakeholders.0.concens: unknown key" in result.stderr
    assert result.stdout.startswith("ok ")  # the good file is still reported


# --- run -----------------------------------------------------------------------------------------


def test_run_json_has_the_documented_top_level_keys(run_json):
    assert {"scenario", "engine", "session_id", "transcript", "board", "scorecard"} <= set(run_json)
    assert run_json["scenario"] == "chat-system"
    assert run_json["engine"] == "offline"
    assert isinstance(run_json["session_id"], str) and run_json["session_id"]
    assert isinstance(run_json["board"], dict) and run_json["board"]


def test_run_json_transcript_items_have_speaker_role_text_intent_and_concern_ids(run_json):
    assert run_json["transcript"]
    for item in run_json["transcript"]:
        assert set(item) == {"speaker", "role", "text", "intent", "concern_ids"}
        assert all(isinstance(item[k], str) and item[k] for k in ("speaker", "role", "text", "intent"))
        assert isinstance(item["concern_ids"], list)
    roles = {t["role"] for t in run_json["transcript"]}
    assert {"facilitator", "person", "engineering", "design", "business"} <= roles


def test_run_json_transcript_has_the_persons_turns_verbatim_in_order(run_json, script_turns):
    said = person_texts(run_json)
    assert said, "no person turns in the transcript"
    assert said == script_turns[: len(said)]
    if run_json.get("end_reason") != "settled":
        assert said == script_turns


def test_run_json_scorecard_overall_is_a_float_between_1_and_5(run_json):
    overall = run_json["scorecard"]["overall"]
    assert isinstance(overall, float)
    assert 1.0 <= overall <= 5.0


def test_run_json_scorecard_scores_exactly_the_five_dimensions(run_json):
    dims = run_json["scorecard"]["dimensions"]
    assert set(dims) == DIMENSIONS
    for name, dim in dims.items():
        assert type(dim["score"]) is int, name
        assert 1 <= dim["score"] <= 5, name
        assert isinstance(dim["rationale"], str) and dim["rationale"].strip(), name
        assert isinstance(dim["evidence"], list), name


def test_run_json_evidence_quotes_are_verbatim_from_the_turn_they_cite(run_json):
    said = person_texts(run_json)
    evidence = [e for dim in run_json["scorecard"]["dimensions"].values() for e in dim["evidence"]]
    assert evidence, "a scripted meeting should leave some evidence"
    for e in evidence:
        assert set(e) == {"turn", "quote"}
        assert type(e["turn"]) is int and 1 <= e["turn"] <= len(said), e
        assert e["quote"] and e["quote"] in said[e["turn"] - 1], e


def test_run_with_malformed_script_exits_nonzero_naming_the_script(cli_env):
    Path("bad_script.yaml").write_text('turns: "hello"\n', encoding="utf-8")
    result = runner.invoke(app, ["run", "--scenario", "chat-system", "--script", "bad_script.yaml", "--json"])
    assert result.exit_code != 0
    assert "bad_script.yaml" in result.stderr
    assert "line 1: turns:" in result.stderr
    assert result.stdout == ""


def test_run_with_missing_script_exits_nonzero_naming_the_script(cli_env):
    result = runner.invoke(app, ["run", "--scenario", "chat-system", "--script", "no_such_script.yaml"])
    assert result.exit_code != 0
    assert "no_such_script.yaml" in result.stderr
    assert "cannot read script" in result.stderr


def test_run_with_unknown_scenario_exits_nonzero_and_lists_known_ids(cli_env, script_path):
    result = runner.invoke(app, ["run", "--scenario", "no-such-meeting", "--script", str(script_path)])
    assert result.exit_code != 0
    assert "unknown scenario 'no-such-meeting'" in result.stderr
    for sid in load_library():
        assert sid in result.stderr


# --- play ----------------------------------------------------------------------------------------


def test_play_with_typed_turns_and_done_prints_scorecard_and_session_id(played):
    _, session_id, output = played
    assert "Scorecard · overall" in output
    assert re.fullmatch(r"[0-9a-f]{32}", session_id)  # 128 bits: the id is what opens it
    assert f"roundtable play --session {session_id}" not in output  # finished, not paused


def test_play_session_resumes_a_finished_meeting_and_shows_its_scorecard(played, monkeypatch):
    home, session_id, first_output = played
    _cli_env(monkeypatch, home)
    monkeypatch.chdir(home)
    result = runner.invoke(app, ["play", "--session", session_id])
    assert result.exit_code == 0, result.output
    assert f"Resuming session {session_id}" in result.stdout
    assert overall(result.stdout) == overall(first_output)
    assert f"Session {session_id} is saved" in result.stdout


def test_play_with_unknown_session_exits_nonzero(cli_env):
    result = runner.invoke(app, ["play", "--session", "0123456789ab"])
    assert result.exit_code != 0
    assert "no session '0123456789ab'" in result.stderr


def test_play_that_runs_out_of_input_pauses_with_a_resume_hint(cli_env):
    result = runner.invoke(app, ["play", "--scenario", "chat-system"], input="")
    assert result.exit_code == 0, result.output
    match = re.search(r"Resume with: roundtable play --session ([0-9a-f]+)", result.stdout)
    assert match, result.stdout
