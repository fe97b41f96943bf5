"""``roundtable eval`` in-process with typer's CliRunner: exit codes, report files, the library gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.fake_openai_server import serve
from tests.test_evaluation import STRONG_TURNS, VAGUE_TURNS, write_script
from ui.cli import app

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "offline")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ROUNDTABLE_SCENARIOS_DIR", "ROUNDTABLE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def eval_(*args: str):
    return runner.invoke(app, ["eval", *args])


def test_all_bands_met_exits_0_and_writes_every_script(cli_env):
    scripts = cli_env / "scripts"
    write_script(scripts / "chat-system", "strong", STRONG_TURNS, {"overall": [2, 5]})
    write_script(scripts / "chat-system", "vague", VAGUE_TURNS, {"dimensions": {"framing": [1, 2]}})
    out = cli_env / "out"
    result = eval_("--scripts", str(scripts), "--out", str(out), "--concurrency", "2")
    assert result.exit_code == 0, result.output
    assert "2 scripts" in result.output and "OK" in result.output
    jsonl = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(r["script"] for r in jsonl) == ["strong", "vague"]
    csv_text = (out / "results.csv").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    for name in ("strong", "vague"):
        assert f"chat-system,{name}," in csv_text and f">{name}<" in html


def test_a_failing_band_exits_1_and_is_listed_first(cli_env):
    write_script(cli_env / "s", "vague", VAGUE_TURNS, {"overall": [4, 5]})
    write_script(cli_env / "s", "unbanded", VAGUE_TURNS)
    result = eval_("chat-system", "--scripts", str(cli_env / "s"), "--out", str(cli_env / "out"))
    assert result.exit_code == 1, result.output
    assert "FAILED: 1 of 2" in result.output
    assert result.output.index("chat-system/vague") < result.output.index("chat-system/unbanded")
    assert "overall" in result.output and "∉[4" in result.output


def test_a_malformed_script_exits_2_naming_file_and_line(cli_env):
    bad = cli_env / "s" / "chat-system" / "broken.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text("turns:\n  - hello\nexpect:\n  overall: [1, 9]\n", encoding="utf-8")
    result = eval_("--scripts", str(cli_env / "s"), "--out", str(cli_env / "out"))
    assert result.exit_code == 2
    assert "broken.yaml" in result.output and "line 4" in result.output and "expect.overall" in result.output
    assert not (cli_env / "out").exists()


def test_an_unknown_scenario_exits_2(cli_env):
    result = eval_("no-such-scenario", "--out", str(cli_env / "out"))
    assert result.exit_code == 2 and "unknown scenario no-such-scenario" in result.output


def test_calibration_gates_on_agreement_not_on_single_bands(cli_env):
    scripts = cli_env / "cal"
    write_script(
        scripts / "chat-system", "strong", STRONG_TURNS, {"overall": [2, 5], "dimensions": {"framing": [3, 5]}}
    )
    write_script(scripts / "chat-system", "vague", VAGUE_TURNS, {"overall": [1, 2], "dimensions": {"framing": [4, 5]}})
    args = ["--scripts", str(scripts), "--out", str(cli_env / "out"), "--calibration", "--repeat", "2"]
    lenient = eval_(*args, "--min-agreement", "0.5")
    assert lenient.exit_code == 0, lenient.output
    assert "agreement 75% of 4 bands" in lenient.output and "ordering 100% of 1 pairs" in lenient.output
    assert "offline is deterministic" in lenient.output
    strict = eval_(*args, "--min-agreement", "0.9")
    assert strict.exit_code == 1, strict.output
    summary = json.loads((cli_env / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["calibration"]["pooled"] == {"inside": 3, "total": 4}


@pytest.mark.slow
def test_the_library_passes_its_suite_gate_offline(cli_env):
    """The CI gate on the library's scripts, judged as a suite: every overall within 0.5 of its band,
    none gamed, no canned sentence, no concern settled that should stay open. (Each band is still
    checked and reported; the strong and weak overall bands are held one by one in
    test_scenario_library.)"""
    gate = ["--min-within", "1", "--max-exploits", "0", "--max-canned", "0", "--max-wrongly-settled", "0"]
    result = eval_("--out", str(cli_env / "out"), "--concurrency", "2", *gate)
    assert result.exit_code == 0, result.output
    assert "Room: 25 of 25 overalls within 0.5 of their band" in result.output


def test_the_gate_fails_a_suite_whose_overalls_land_far_from_their_bands(cli_env):
    scripts = cli_env / "gate"
    write_script(scripts / "chat-system", "too-high", ["Sounds good.", "Fine."], {"overall": [4.5, 5]})
    args = ["--scripts", str(scripts), "--out", str(cli_env / "out"), "--max-exploits", "0"]
    assert eval_(*args).exit_code == 0  # far below its band is no exploit
    result = eval_(*args, "--min-within", "0.5")
    assert result.exit_code == 1, result.output
    assert "0 of 1 overalls within 0.5" in result.output


@pytest.mark.slow
def test_llm_engine_against_the_fake_server_with_concurrency_4(cli_env, monkeypatch):
    scripts = cli_env / "scripts"
    for i in range(4):
        write_script(scripts / "chat-system", f"s{i}", STRONG_TURNS, {"overall": [1, 5]})
    with serve(latency=0.2) as server:
        monkeypatch.setenv("ROUNDTABLE_STRUCTURED_OUTPUT", "function_calling")
        monkeypatch.setenv("OPENAI_API_KEY", "not-needed")
        args = ["--scripts", str(scripts), "--engine", "llm", "--base-url", server.base_url, "--model", "fake"]
        result = eval_(*args, "--concurrency", "4", "--out", str(cli_env / "out"))
        assert result.exit_code == 0, result.output
        assert server.peak_in_flight > 3  # sessions overlapped
    rows = [json.loads(line) for line in (cli_env / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4
    assert all(r["engine"] == "llm" and r["error"] is None and r["usage"]["input_tokens"] > 0 for r in rows)
