"""Evaluation at scale: worker processes, resume, shards and merge, suite files, baselines and --fail-on-drop.

The runs are real offline meetings of four short scripts (one scenario, so one reading index a
worker); results are compared with ``session_id`` and timings left out, the only fields that
differ between two runs of the same scripts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import graphs.evaluation.runner as runner_module
from agents.settings import Settings
from graphs.evaluation import (
    EvalInputError,
    compare,
    discover,
    eval_meetings,
    load_suite,
    parse_shard,
    read_results,
    run_evaluation,
    shard,
)
from graphs.evaluation.workers import _Plan
from scenarios import load_library
from tests.test_evaluation import STRONG_TURNS, VAGUE_TURNS, write_script
from ui.cli import app

runner = CliRunner()
VOLATILE = {"session_id", "elapsed_s"}


def comparable(folder: Path) -> list[dict]:
    rows = [json.loads(line) for line in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in rows]


@pytest.fixture(scope="module")
def scripts(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("scale-scripts")
    chat = root / "chat-system"
    write_script(chat, "strong", STRONG_TURNS, {"overall": [1, 5]})
    write_script(chat, "vague", VAGUE_TURNS, {"overall": [1, 5], "dimensions": {"framing": [4, 5]}})  # framing fails
    write_script(chat, "short", STRONG_TURNS[:1], {"overall": [1, 5]})
    write_script(chat, "polite", ["Thanks all, great points.", "Let's go with whatever Priya thinks."])
    return root


@pytest.fixture
def cli_env(monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "offline")
    monkeypatch.setenv("ROUNDTABLE_DATA_DIR", str(tmp_path / "data"))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ROUNDTABLE_SCENARIOS_DIR", "ROUNDTABLE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def whole_run(scripts, tmp_path_factory) -> Path:
    """One uninterrupted run of the four scripts, in-process (``-j 1``)."""
    out = tmp_path_factory.mktemp("whole") / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROUNDTABLE_ENGINE", "offline")
        mp.delenv("OPENAI_API_KEY", raising=False)
        result = runner.invoke(app, ["eval", "--scripts", str(scripts), "--out", str(out), "-j", "1"])
    assert result.exit_code == 1, result.output  # vague's framing band fails, by design
    return out


@pytest.mark.slow
def test_worker_processes_give_the_same_results_as_one_process(scripts, tmp_path):
    meetings = eval_meetings(Settings(engine="offline", data_dir=tmp_path), scenarios=load_library())
    jobs = discover(list(meetings.scenarios), [], scripts)
    seen = []
    parallel = run_evaluation(meetings, jobs, concurrency=2, on_result=lambda d, n, r: seen.append(d))
    single = run_evaluation(meetings, jobs, concurrency=1)
    strip = [r.model_dump(exclude=VOLATILE) for r in single.results]
    assert [r.model_dump(exclude=VOLATILE) for r in parallel.results] == strip
    assert seen == [1, 2, 3, 4]  # streamed one by one as they finished
    assert len(parallel.workers) == 2 and sum(w.sessions for w in parallel.workers) == 4
    assert {w.pid for w in parallel.workers}.isdisjoint({0}) and all(w.peak_rss_mb > 50 for w in parallel.workers)
    assert sum(w.scenarios_prepared for w in parallel.workers) <= 2


def test_an_interrupted_run_resumed_gives_the_uninterrupted_results(scripts, whole_run, cli_env, monkeypatch):
    out = cli_env / "out"
    real_run_job = runner_module.run_job
    calls = []

    def interrupt_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_run_job(*args, **kwargs)

    monkeypatch.setattr(runner_module, "run_job", interrupt_third)
    first = runner.invoke(app, ["eval", "--scripts", str(scripts), "--out", str(out), "-j", "1"])
    assert first.exit_code == 130, first.output
    assert "--resume" in first.output
    assert len(comparable(out)) == 2  # the two that finished were streamed before the interruption
    with (out / "results.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"scenario": "chat-system", "scri')  # a line cut off by a kill
    monkeypatch.setattr(runner_module, "run_job", real_run_job)
    calls.clear()
    counted = []
    monkeypatch.setattr(runner_module, "run_job", lambda *a, **k: counted.append(1) or real_run_job(*a, **k))
    second = runner.invoke(app, ["eval", "--scripts", str(scripts), "-j", "1", "--resume", str(out)])
    assert second.exit_code == 1, second.output  # the same verdict as the whole run
    assert "Resuming: 2 done, 2 to go" in second.output
    assert len(counted) == 2  # only the missing sessions ran
    assert comparable(out) == comparable(whole_run)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["resumed"] == 2 and summary["scripts"] == 4


def test_resume_refuses_a_folder_of_another_suite(scripts, whole_run, cli_env):
    write_script(cli_env / "other" / "chat-system", "only", VAGUE_TURNS)
    out = cli_env / "copy"
    shutil.copytree(whole_run, out)
    result = runner.invoke(app, ["eval", "--scripts", str(cli_env / "other"), "--resume", str(out)])
    assert result.exit_code == 2 and "another suite or shard" in result.output


@pytest.mark.slow
def test_merged_shards_give_the_report_of_one_run(scripts, whole_run, cli_env):
    folders = []
    for i in (1, 2, 3):
        folder = cli_env / f"shard-{i}"
        args = ["eval", "--scripts", str(scripts), "--shard", f"{i}/3", "--out", str(folder), "-j", "2"]
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 1), result.output
        folders.append(str(folder))
    assert sum(len(comparable(Path(f))) for f in folders) == 4
    merged = cli_env / "merged"
    result = runner.invoke(app, ["eval", "merge", *folders, "--out", str(merged)])
    assert result.exit_code == 1, result.output  # the same verdict: vague's band fails
    assert comparable(merged) == comparable(whole_run)
    keys = ("scripts", "failed", "calibration", "engine")
    one, many = (json.loads((d / "summary.json").read_text(encoding="utf-8")) for d in (whole_run, merged))
    assert {k: one[k] for k in keys} == {k: many[k] for k in keys}
    assert (merged / "results.csv").read_text().count("\n") == (whole_run / "results.csv").read_text().count("\n")
    missing = runner.invoke(app, ["eval", "merge", *folders[:2], "--out", str(cli_env / "partial")])
    assert missing.exit_code == 1 and "shard 3/3 is missing" in missing.output
    twice = runner.invoke(app, ["eval", "merge", folders[0], folders[0], "--out", str(cli_env / "twice")])
    assert twice.exit_code == 2 and "given twice" in twice.output


def moved_baseline(whole_run: Path, folder: Path) -> Path:
    """The whole run with strong's overall 0.8 higher and vague's failing framing band passing."""
    folder.mkdir()
    rows = [json.loads(line) for line in (whole_run / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    for r in rows:
        if r["script"] == "strong":
            r["overall"] = round(r["overall"] + 0.8, 2)
        if r["script"] == "vague":
            for c in r["checks"]:
                if c["target"] == "framing":
                    c["passed"] = c["inside"] = True
    text = "".join(json.dumps(r) + "\n" for r in rows)
    (folder / "results.jsonl").write_text(text, encoding="utf-8")
    return folder


def test_a_baseline_diff_flags_a_deliberately_moved_score(whole_run, cli_env):
    baseline = moved_baseline(whole_run, cli_env / "baseline")
    out = cli_env / "cmp"
    result = runner.invoke(app, ["eval", "merge", str(whole_run), "--out", str(out), "--baseline", str(baseline)])
    text = result.output
    assert "1 newly failing" in text and "0 newly passing" in text
    assert "newly failing chat-system/vague framing" in text
    assert "chat-system/strong overall" in text and "(-0.8)" in text
    assert text.index("newly failing chat-system/vague") < text.index("chat-system/strong overall")
    diff = json.loads((out / "baseline.json").read_text(encoding="utf-8"))
    assert [(m["case"], m["target"]) for m in diff["moves"]] == [("chat-system/strong", "overall")]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Against the baseline" in html and "before ○ → after ●" in html and "chat-system/strong" in html


def test_fail_on_drop_exits_1_only_past_the_threshold(scripts, whole_run, cli_env):
    baseline = moved_baseline(whole_run, cli_env / "baseline")
    wide = cli_env / "wide"
    shutil.copytree(whole_run, wide)
    base = ["eval", "merge", str(wide), "--baseline", str(baseline), "--max-exploits", "9"]  # a gate: bands aside
    lenient = runner.invoke(app, [*base, "--out", str(cli_env / "a"), "--fail-on-drop", "1.0"])
    assert lenient.exit_code == 0, lenient.output
    assert "No overall fell by more than 1" in lenient.output
    strict = runner.invoke(app, [*base, "--out", str(cli_env / "b"), "--fail-on-drop", "0.5"])
    assert strict.exit_code == 1, strict.output
    assert "DROPPED: 1 overalls fell by more than 0.5" in strict.output
    alone = runner.invoke(app, ["eval", "--fail-on-drop", "0.5", "--out", str(cli_env / "c")])
    assert alone.exit_code == 2 and "needs --baseline" in alone.output


def test_shards_are_contiguous_disjoint_and_cover_every_job(scripts):
    jobs = discover(list(load_library()), [], scripts) * 1
    for count in (1, 2, 3, 4, 7):
        slices = [shard(jobs, i, count) for i in range(1, count + 1)]
        assert [j.key for s in slices for j in s] == [j.key for j in jobs]
        assert max(map(len, slices)) - min(map(len, slices)) <= 1
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "x", "1/0"):
        with pytest.raises(EvalInputError):
            parse_shard(bad)


def test_a_suite_file_expands_scripts_scenarios_repeats_and_engines(scripts, tmp_path):
    suite = tmp_path / "suite.yaml"
    rel = scripts
    suite.write_text(
        f"name: nightly\nentries:\n  - scripts: {rel}\n    repeats: 3\n"
        f"  - scripts: [{rel / 'chat-system' / 'strong.yaml'}]\n    engine: llm\n    model: tiny\n",
        encoding="utf-8",
    )
    jobs = load_suite(suite, list(load_library()))
    assert len(jobs) == 4 * 3 + 1
    keys = [j.key for j in jobs]
    assert keys[:3] == ["chat-system/polite#1", "chat-system/polite#2", "chat-system/polite#3"]  # the run's engine
    assert keys[-1] == "chat-system/strong@tiny" and jobs[-1].engine == "llm" and jobs[-1].model == "tiny"
    bad = tmp_path / "bad.yaml"
    bad.write_text("entries:\n  - repeats: 0\n", encoding="utf-8")
    with pytest.raises(EvalInputError, match=r"line 2.*repeats"):
        load_suite(bad, list(load_library()))


def test_the_library_suite_example_is_a_thousand_sessions():
    jobs = load_suite(Path(__file__).parent.parent / "scenarios/suites/library-1000.yaml", list(load_library()))
    assert len(jobs) == 1000 and len({j.key for j in jobs}) == 1000


def test_two_scripts_that_would_share_a_key_are_refused(tmp_path):
    write_script(tmp_path / "chat-system", "a", VAGUE_TURNS)
    (tmp_path / "chat-system" / "b.yaml").write_text("name: a\nturns: [hi]\n", encoding="utf-8")
    with pytest.raises(EvalInputError, match="both be chat-system/a"):
        discover(["chat-system"], [], tmp_path)


def test_a_worker_keeps_its_scenario_and_a_second_takes_another(scripts):
    jobs = discover(list(load_library()), [], scripts)
    other = [j.model_copy(update={"scenario": "offline-mode"}) for j in jobs]
    plan = _Plan([*jobs, *other, *other[:1]])
    first = plan.next_for(set(), None, owners={})
    second = plan.next_for(set(), None, owners={first.scenario: 1})
    assert first.scenario != second.scenario  # each builds one index, not both
    assert plan.next_for({first.scenario}, first.scenario, owners={}).scenario == first.scenario
    plan.record(0.1, 5.0)  # meetings are cheap, an index dear: finishing a colleague's last two is not worth it
    assert plan.next_for(set(), "done", owners={first.scenario: 1, second.scenario: 1}) is None
    assert plan.next_for(set(), "done", owners={first.scenario: 1, second.scenario: 1}, force=True) is not None


def test_compare_reports_moves_and_changed_expectations(whole_run):
    before = read_results(whole_run)
    after = [r.model_copy(deep=True) for r in before]
    after[0].dimensions["framing"] = after[0].dimensions["framing"] % 5 + 1
    diff = compare(before, after, "old")
    assert [(m.case, m.target) for m in diff.moves] == [(after[0].case, "framing")]
    assert diff.compared == 4 and not diff.newly_failing and not diff.drops(0)
    assert compare(before, before).moves == []
