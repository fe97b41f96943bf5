"""Files that are not scenarios get one clear line naming them: never a traceback, a hang or a flood.

Nested YAML deep enough to exhaust Python's recursion (492 levels in 984 bytes), a directory, a
device that never ends (``/dev/zero``) and a named pipe with no writer, through the loader, the
CLI (``scenarios validate``, ``run --scenario FILE``, ``run --script FILE``) and the Scenarios
page's upload.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scenarios import LIBRARY_DIR, ScenarioError, load_scenario, load_script
from tests.web_app import app, open_page, plain
from ui.cli import app as cli

LOAD_DEV_ZERO = """
from scenarios import ScenarioError, load_scenario
try:
    load_scenario("/dev/zero")
except ScenarioError as exc:
    print(exc.one_line())
"""
NESTED = "[" * 492 + "]" * 492  # 984 bytes
DEEP_MAPPING = "id: deep\nextra: " + "{a: " * 300 + "1" + "}" * 300 + "\n"
runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "offline")
    monkeypatch.delenv("ROUNDTABLE_SCENARIOS_DIR", raising=False)
    return tmp_path


@pytest.fixture
def nested(tmp_path) -> Path:
    path = tmp_path / "nested.yaml"
    path.write_text(NESTED, encoding="utf-8")
    assert path.stat().st_size == 984
    return path


@pytest.fixture
def fifo(tmp_path):
    """A named pipe nobody writes to; unblocks any reader left waiting on it when the test ends."""
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    yield path
    with contextlib.suppress(OSError):  # a reader stuck in open() (the old code) is released by a writer
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


@pytest.fixture
def script(tmp_path) -> Path:
    path = tmp_path / "turns.yaml"
    path.write_text('turns: ["What do we know about our users?"]\n', encoding="utf-8")
    return path


def one_error_line(result, name: str) -> str:
    """The CLI's stderr: exactly one line, naming ``name``, and no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert name in lines[0] and "Traceback" not in result.output and "Error:" not in lines[0]
    return lines[0]


def within(seconds: float, call):
    """Run ``call`` in a thread; fail (instead of hanging the suite) if it has not returned in time."""
    box: dict = {}

    def target():
        try:
            box["result"] = call()
        except BaseException as exc:  # handed to the test's thread below
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still blocked after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["result"]


# --- the loader ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [NESTED, DEEP_MAPPING], ids=["nested-lists", "nested-mappings"])
def test_deeply_nested_yaml_is_a_scenario_error_with_its_line(tmp_path, text):
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (issue,) = info.value.issues
    assert "nested more than" in issue.message and issue.line
    assert "\n" not in info.value.one_line() and str(path) in info.value.one_line()


def test_a_directory_is_refused_as_a_directory(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    assert "is a directory" in info.value.one_line()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_without_reading_it():
    # in a child process with 1 GB of address space: code that reads /dev/zero unbounded dies there
    child = subprocess.run(
        [sys.executable, "-c", LOAD_DEV_ZERO],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30)),
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert "/dev/zero" in child.stdout and "not a regular file" in child.stdout


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(fifo):
    with pytest.raises(ScenarioError) as info:
        within(10, lambda: load_scenario(fifo))
    assert "not a regular file" in info.value.one_line()


def test_a_script_that_is_a_pipe_is_refused_too(fifo):
    with pytest.raises(ScenarioError) as info:
        within(10, lambda: load_script(fifo))
    assert "not a regular file" in info.value.one_line()


# --- the CLI -------------------------------------------------------------------------------------


def test_validate_nested_yaml_prints_one_line(cli_env, nested):
    result = runner.invoke(cli, ["scenarios", "validate", str(nested)])
    assert result.exit_code == 1
    assert "nested more than" in one_error_line(result, "nested.yaml")


def test_run_with_a_nested_scenario_file_prints_one_line(cli_env, nested, script):
    result = runner.invoke(cli, ["run", "-s", str(nested), "--script", str(script)])
    assert result.exit_code == 2
    assert "nested more than" in one_error_line(result, "nested.yaml")


def test_run_with_a_nested_script_prints_one_line(cli_env, nested):
    result = runner.invoke(cli, ["run", "-s", "chat-system", "--script", str(nested)])
    assert result.exit_code == 2
    one_error_line(result, "nested.yaml")


def test_run_accepts_a_scenario_file(cli_env, script):
    result = runner.invoke(cli, ["run", "-s", str(LIBRARY_DIR / "chat_system.yaml"), "--script", str(script), "--json"])
    assert result.exit_code == 0, result.output
    assert '"scenario": "chat-system"' in result.stdout


def test_validate_a_directory_checks_every_yaml_file_in_it(cli_env, tmp_path, nested):
    (tmp_path / "chat.yaml").write_text((LIBRARY_DIR / "chat_system.yaml").read_text(encoding="utf-8"))
    (tmp_path / "notes.txt").write_text("not a scenario")
    result = runner.invoke(cli, ["scenarios", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout.startswith("ok ") and "chat.yaml" in result.stdout
    assert "nested.yaml" in one_error_line(result, "nested.yaml")


def test_validate_an_empty_directory_says_so(cli_env, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(cli, ["scenarios", "validate", str(empty)])
    assert result.exit_code == 1
    assert "no .yaml" in one_error_line(result, "empty")


def test_validate_a_named_pipe_prints_one_line(cli_env, fifo):
    result = within(20, lambda: runner.invoke(cli, ["scenarios", "validate", str(fifo)]))
    assert result.exit_code == 1
    assert "not a regular file" in one_error_line(result, "pipe.yaml")


def test_run_with_a_pipe_as_scenario_prints_one_line(cli_env, fifo, script):
    result = within(20, lambda: runner.invoke(cli, ["run", "-s", str(fifo), "--script", str(script)]))
    assert result.exit_code == 2
    one_error_line(result, "pipe.yaml")


# --- the Scenarios page --------------------------------------------------------------------------


def test_uploading_nested_yaml_shows_one_error_naming_the_file(monkeypatch):
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "offline")
    test = open_page(app(), "scenarios")
    test.file_uploader(key="scenario_upload").set_value(("nested.yaml", NESTED.encode(), "application/x-yaml"))
    test.button(key="validate_scenario").click().run()
    assert not test.exception
    assert len(test.error) == 1
    message = plain(test.error[0].value)
    assert "nested.yaml" in message and "nested more than" in message and "\n" not in message
