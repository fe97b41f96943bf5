"""The evaluation runner: discovery, real offline meetings in parallel, band checks, calibration metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agents.settings import Settings
from graphs.evaluation import (
    OVERALL,
    EvalInputError,
    ExpectationCheck,
    ScriptResult,
    calibrate,
    check_expectations,
    discover,
    eval_meetings,
    run_evaluation,
)
from scenarios import ScenarioError, load_library, load_script
from scenarios.script import Band, CandidateScript

STRONG_TURNS = [
    "Before we design anything: Priya, how many daily active users do we have and how big will it get? "
    "Marco, who are the users and what do they talk about? Dana, how will we measure success, and by when?",
    "So the decision: we build a narrow first version for the Q3 deadline on our push service, because cost at "
    "our scale matters most. Priya owns the sizing, Marco the notification rules, Dana the pilot stores.",
]
VAGUE_TURNS = ["Thanks everyone, I'm excited about chat.", "Sounds good, let's make it great."]


def write_script(folder: Path, name: str, turns: list[str], expect: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"turns": turns} | ({"expect": expect} if expect else {})
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scripts_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("scripts")
    chat = root / "chat-system"
    write_script(chat, "strong", STRONG_TURNS, {"overall": [2, 5], "dimensions": {"framing": [3, 5]}})
    write_script(chat, "vague", VAGUE_TURNS, {"overall": [1, 2.5], "dimensions": {"framing": [4, 5]}})  # framing fails
    write_script(chat, "unbanded", VAGUE_TURNS)
    return root


@pytest.fixture(scope="module")
def report(scripts_dir, tmp_path_factory):
    settings = Settings(engine="offline", data_dir=tmp_path_factory.mktemp("data"))
    meetings = eval_meetings(settings, scenarios=load_library())
    jobs = discover(list(meetings.scenarios), ["chat-system"], scripts_dir)
    seen = []
    report = run_evaluation(meetings, jobs, concurrency=2, repeat=2, on_result=lambda d, n, r: seen.append((d, n)))
    report.__dict__["_progress"] = seen
    report.__dict__["_meetings"] = meetings
    return report


def by_name(report, name: str) -> ScriptResult:
    return next(r for r in report.results if r.script == name)


def test_every_script_runs_as_a_real_meeting_and_is_scored(report):
    assert [r.script for r in report.results] == ["strong", "unbanded", "vague"]
    for r in report.results:
        assert r.error is None
        assert r.engine == "offline" and r.end_reason == "wrap_up"
        assert r.turns == r.script_turns == 2
        assert set(r.dimensions) == {"framing", "systems", "tradeoffs", "alignment", "collaboration"}
        assert 1 <= r.overall <= 5 and r.elapsed_s > 0
    assert by_name(report, "strong").overall > by_name(report, "vague").overall


def test_progress_is_reported_for_each_finished_meeting(report):
    assert report.__dict__["_progress"] == [(1, 3), (2, 3), (3, 3)]


def test_bands_pass_and_fail_per_target(report):
    strong, vague, unbanded = by_name(report, "strong"), by_name(report, "vague"), by_name(report, "unbanded")
    assert strong.passed and [c.target for c in strong.checks] == [OVERALL, "framing"]
    assert not vague.passed
    assert [c.target for c in vague.failed_checks] == ["framing"]
    assert vague.failed_checks[0].score == vague.dimensions["framing"]
    assert unbanded.passed and unbanded.checks == []
    assert [r.script for r in report.failures] == ["vague"]
    assert report.ordered()[0].script == "vague"  # failures first


def test_sessions_are_not_kept_after_evaluation(report):
    meetings = report.__dict__["_meetings"]
    assert all(
        not meetings.graph.get_state({"configurable": {"thread_id": r.session_id}}).values for r in report.results
    )


def test_rescoring_the_same_transcript_offline_has_zero_spread(report):
    assert report.calibration is not None and report.calibration.repeat == 2
    for r in report.results:
        assert len(r.repeats) == 2
        assert r.repeats[0] == r.repeats[1]
        assert r.repeats[0][OVERALL] == r.overall  # the same scorer on the same transcript
    assert {s.max_range for s in report.calibration.spread.values()} == {0}


def test_a_failed_session_is_a_failure_not_a_crash(scripts_dir, tmp_path):
    settings = Settings(
        engine="llm",
        openai_base_url="http://127.0.0.1:9/v1",  # nothing listens on the discard port
        openai_api_key="x",
        max_retries=0,
        timeout=5,
        data_dir=tmp_path,
    )
    meetings = eval_meetings(settings, scenarios=load_library())
    jobs = discover(list(meetings.scenarios), ["chat-system"], scripts_dir)[:1]
    report = run_evaluation(meetings, jobs, concurrency=1)
    [result] = report.results
    assert not result.passed and result.overall is None
    assert "Could not reach the model at http://127.0.0.1:9/v1" in result.error
    assert all(not c.passed and c.score is None for c in result.checks)


def test_discovery_of_the_library_scripts():
    library = load_library()
    jobs = discover(list(library))
    assert {j.scenario for j in jobs} <= set(library)
    assert any(j.scenario == "chat-system" and j.name == "strong" for j in jobs)


def test_loose_script_files_apply_to_the_named_scenarios(tmp_path):
    write_script(tmp_path, "a", VAGUE_TURNS)
    assert [(j.scenario, j.name) for j in discover(["chat-system", "offline-mode"], ["offline-mode"], tmp_path)] == [
        ("offline-mode", "a")
    ]
    with pytest.raises(EvalInputError, match="name the scenario"):
        discover(["chat-system"], [], tmp_path)


@pytest.mark.parametrize(
    ("setup", "scenarios", "message"),
    [
        (lambda d: write_script(d / "chat-system", "a", VAGUE_TURNS), ["nope"], "unknown scenario nope"),
        (lambda d: write_script(d / "no-such-scenario", "a", VAGUE_TURNS), [], "no scenario 'no-such-scenario'"),
        (lambda d: write_script(d / "chat-system", "a", VAGUE_TURNS), ["offline-mode"], "no scripts for offline-mode"),
    ],
)
def test_bad_input_is_named(tmp_path, setup, scenarios, message):
    setup(tmp_path)
    with pytest.raises(EvalInputError, match=message):
        discover(["chat-system", "offline-mode"], scenarios, tmp_path)


def test_a_malformed_script_names_file_field_and_line(tmp_path):
    bad = tmp_path / "chat-system" / "bad.yaml"
    bad.parent.mkdir()
    bad.write_text("turns:\n  - hello\nexpect:\n  overall: [4, 2]\n", encoding="utf-8")
    with pytest.raises(EvalInputError) as err:
        discover(["chat-system"], [], tmp_path)
    text = str(err.value)
    assert str(bad) in text and "line 4" in text and "expect.overall" in text


def result(scenario: str, name: str, overall: float, bands: dict[str, tuple], dims: dict[str, int]) -> ScriptResult:
    scores = {OVERALL: overall, **dims}
    checks = [
        ExpectationCheck(
            target=t,
            band=Band(low=lo, high=hi),
            score=scores[t],
            passed=lo <= scores[t] <= hi,
            inside=lo <= scores[t] <= hi,
        )
        for t, (lo, hi) in bands.items()
    ]
    return ScriptResult(
        scenario=scenario, script=name, path=name, engine="offline", overall=overall, dimensions=dims, checks=checks
    )


def test_calibration_metrics_on_a_constructed_case():
    results = [
        # expected middles 4.5, 3.0, 1.5 in scenario a; the scorer swaps the two lower ones
        result("a", "top", 4.6, {OVERALL: (4, 5), "framing": (4, 5)}, {"framing": 5}),
        result("a", "mid", 2.0, {OVERALL: (2.5, 3.5), "framing": (2, 4)}, {"framing": 1}),
        result("a", "low", 2.5, {OVERALL: (1, 2), "framing": (1, 2)}, {"framing": 1}),
        result("a", "near-top", 2.0, {OVERALL: (3.8, 5)}, {}),  # middle 4.4: under 1 from top, a pair with the rest
        result("b", "other", 3.0, {OVERALL: (1, 2)}, {}),  # other scenario: never paired with a
    ]
    cal = calibrate(results)
    assert (cal.agreement[OVERALL].inside, cal.agreement[OVERALL].total) == (1, 5)
    assert (cal.agreement["framing"].inside, cal.agreement["framing"].total) == (2, 3)
    assert cal.agreement["systems"].total == 0 and cal.agreement["systems"].fraction is None
    assert (cal.pooled.inside, cal.pooled.total) == (3, 8)
    # pairs: top-mid ok, top-low ok, mid-low wrong, near-top-mid (4.4 vs 3.0) tie -> wrong, near-top-low wrong
    assert (cal.pairs, cal.pairs_ordered, cal.ties) == (5, 2, 1)
    assert cal.ordering_accuracy == pytest.approx(0.4)
    assert cal.spread == {}


def test_spread_over_repeated_scorings():
    r = result("a", "x", 3.0, {}, {"framing": 3})
    r.repeats = [{OVERALL: 3.0, "framing": 3}, {OVERALL: 3.4, "framing": 4}, {OVERALL: 3.2, "framing": 2}]
    cal = calibrate([r], repeat=3)
    assert cal.spread["framing"].max_range == 2
    assert cal.spread[OVERALL].max_range == pytest.approx(0.4)
    assert cal.spread["framing"].mean_stdev == pytest.approx(0.816, abs=1e-3)


def test_a_known_miss_is_reported_while_it_misses_and_fails_once_it_passes():
    script = CandidateScript.model_validate(
        {
            "turns": ["x"],
            "expect": {
                "dimensions": {"systems": [4, 5], "framing": [1, 2]},
                "known_misses": {"systems": "the sketch is read as alignment", "framing": "reads questions badly"},
            },
        }
    )
    scored = ScriptResult(
        scenario="a", script="s", path="s", engine="offline", overall=3.0, dimensions={"systems": 3, "framing": 2}
    )
    checks = {c.target: c for c in check_expectations(script, scored)}
    assert checks["systems"].passed and not checks["systems"].inside  # still missing: reported, not failed
    assert not checks["framing"].passed and checks["framing"].inside  # now inside: remove the known miss
    assert checks["systems"].known_miss == "the sketch is read as alignment"


def test_a_known_miss_needs_a_band(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("expect:\n  overall: [1, 2]\n  known_misses: {systems: a reason long enough}\nturns: [x]\n")
    with pytest.raises(ScenarioError, match=r"line 2.*no band for 'systems'"):
        load_script(path)
