"""The facilitator's passcode: set by whoever runs the server, never by a visitor; wrong guesses locked out.

The store and the lockout are real files in a real data dir; time is a fake clock, so a lockout's
expiry is checked without waiting for it. The CLI runs through Typer's runner, ``roundtable web``'s
start-up announcement through its own function, the dashboard through AppTest.
"""

from __future__ import annotations

import json
import threading

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from agents.settings import Settings
from graphs.passcode import FREE_TRIES, MAX_LOCKOUT_S, FacilitatorPasscode, PasscodeError
from tests.web_app import app, everything, open_page
from ui.cli import app as cli_app
from ui.web_cli import _announce_passcode

RIGHT = "tea at four"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gate(tmp_path, clock) -> FacilitatorPasscode:
    g = FacilitatorPasscode(Settings(data_dir=tmp_path / "data"), clock=clock)
    g.set(RIGHT)
    return g


def test_twenty_rapid_wrong_guesses_are_locked_out_and_the_right_one_works_once_it_expires(gate, clock, tmp_path):
    outcomes = [gate.attempt(f"guess {i}") for i in range(20)]
    assert not any(o.ok for o in outcomes)
    assert all(o.locked_until is None for o in outcomes[:FREE_TRIES])  # a few free tries for a typo
    locked = outcomes[FREE_TRIES]
    assert locked.locked_until == clock.now + 2
    assert all(o.locked_until == locked.locked_until for o in outcomes[FREE_TRIES:])  # refused unchecked
    assert gate.attempt(RIGHT) == locked  # not even the right passcode is checked while locked
    message = locked.retry_message(clock.now)
    assert message.startswith("Too many wrong passcodes. Try again in 2 s (after ") and message.endswith(" UTC).")

    reloaded = FacilitatorPasscode(Settings(data_dir=tmp_path / "data"), clock=clock)  # another process
    assert not reloaded.attempt(RIGHT).ok

    clock.now = locked.locked_until + 0.01
    assert gate.attempt(RIGHT).ok
    assert gate.attempt("one typo").locked_until is None  # a right passcode clears the count


def test_each_wrong_guess_after_the_free_ones_doubles_the_wait_up_to_an_hour(gate, clock):
    for _ in range(FREE_TRIES):
        gate.attempt("wrong")
    waits = []
    for _ in range(14):
        result = gate.attempt("wrong")
        waits.append(result.locked_until - clock.now)
        clock.now = result.locked_until
    assert waits[:5] == [2, 4, 8, 16, 32]
    assert max(waits) == MAX_LOCKOUT_S


def test_the_guard_survives_a_damaged_file(gate, clock):
    gate.guard_path.write_text("[not, json", encoding="utf-8")
    assert gate.attempt(RIGHT).ok


def test_from_the_environment_the_passcode_is_checked_and_cannot_be_replaced(tmp_path, clock):
    gate = FacilitatorPasscode(
        Settings(data_dir=tmp_path, facilitator_passcode=SecretStr("correct horse")), clock=clock
    )
    assert gate.configured and gate.from_environment
    assert gate.attempt("correct horse").ok
    assert not gate.verify("correct hors") and not gate.verify("") and not gate.verify("correct horse ")
    with pytest.raises(PasscodeError, match="ROUNDTABLE_FACILITATOR_PASSCODE"):
        gate.set("another passcode")
    assert gate.ensure() is None


def test_a_stored_passcode_is_salted_hashed_private_and_replaceable_by_the_operator(tmp_path, clock):
    gate = FacilitatorPasscode(Settings(data_dir=tmp_path / "data"), clock=clock)
    assert not gate.configured and not gate.verify("anything")
    with pytest.raises(PasscodeError, match="at least 8"):
        gate.set("short")
    gate.set(RIGHT)
    stored = gate.path.read_text(encoding="utf-8")
    assert RIGHT not in stored
    record = json.loads(stored)
    assert record["algorithm"] == "scrypt" and len(bytes.fromhex(record["salt"])) == 16
    assert gate.path.stat().st_mode & 0o077 == 0

    for _ in range(FREE_TRIES + 1):
        gate.attempt("wrong")
    gate.set("a different one")  # the operator's command also lifts a lockout
    assert gate.attempt("a different one").ok and not gate.verify(RIGHT)


def test_a_generated_passcode_is_made_once_even_by_servers_starting_together(tmp_path):
    gates = [FacilitatorPasscode(Settings(data_dir=tmp_path / "data")) for _ in range(4)]
    made: list[str | None] = []
    threads = [threading.Thread(target=lambda g=g: made.append(g.ensure())) for g in gates]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    generated = [m for m in made if m]
    assert len(generated) == 1 and len(generated[0]) >= 20
    assert gates[0].verify(generated[0])
    assert gates[0].ensure() is None


def test_roundtable_web_prints_a_generated_passcode_once(capsys):
    _announce_passcode()
    first = capsys.readouterr().out
    assert "Facilitator passcode (shown once" in first
    passcode = first.rsplit(": ", 1)[1].strip()
    assert FacilitatorPasscode(Settings()).verify(passcode)
    _announce_passcode()
    assert passcode not in capsys.readouterr().out


def test_roundtable_passcode_set_asks_twice_and_stores_it():
    runner = CliRunner()
    result = runner.invoke(cli_app, ["passcode", "set"], input=f"{RIGHT}\n{RIGHT}\n")
    assert result.exit_code == 0, result.output
    assert RIGHT not in result.output
    assert FacilitatorPasscode(Settings()).verify(RIGHT)
    short = runner.invoke(cli_app, ["passcode", "set"], input="short\nshort\n")
    assert short.exit_code == 2 and "at least 8" in short.stderr


def test_roundtable_passcode_set_refuses_when_the_environment_sets_it(monkeypatch):
    monkeypatch.setenv("ROUNDTABLE_FACILITATOR_PASSCODE", "from the environment")
    result = CliRunner().invoke(cli_app, ["passcode", "set"], input=f"{RIGHT}\n{RIGHT}\n")
    assert result.exit_code == 2 and "wins over a stored passcode" in result.stderr


def test_the_first_visitor_cannot_set_the_passcode_and_is_told_who_can(monkeypatch):
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "offline")
    test = open_page(app(), "dashboard")
    assert not test.text_input and not test.button  # no form: nothing to choose, nothing to unlock
    shown = everything(test)
    assert "No facilitator passcode is set" in shown and "roundtable passcode set" in shown
    assert not FacilitatorPasscode(Settings()).configured


def test_the_dashboard_locks_out_rapid_wrong_guesses_with_a_plain_message(monkeypatch):
    monkeypatch.setenv("ROUNDTABLE_ENGINE", "offline")
    monkeypatch.setenv("ROUNDTABLE_FACILITATOR_PASSCODE", RIGHT)
    test = open_page(app(), "dashboard")
    for i in range(FREE_TRIES + 1):
        test.text_input(key="ws_passcode").input(f"guess {i}")
        test.button[0].click().run()
    assert test.error[0].value.startswith("Too many wrong passcodes. Try again in")
    test.text_input(key="ws_passcode").input(RIGHT)
    test.button[0].click().run()
    assert test.error[0].value.startswith("Too many wrong passcodes.")
    assert "Workshop name" not in [t.label for t in test.text_input]  # still locked: no dashboard behind it
