"""The workshop store: codes, joining and resuming, and results from real meetings (the passcode: test_passcode)."""

from __future__ import annotations

import csv
import io
import threading

import pytest

from graphs.workshops import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CSV_COLUMNS,
    WorkshopError,
    Workshops,
    normalise_code,
)
from scenarios import DIMENSIONS
from scenarios.script import load_script
from tests.scenario_helpers import STRONG_SCRIPT


@pytest.fixture
def workshops(offline) -> Workshops:
    return Workshops(offline)


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_create_gives_a_short_unambiguous_code_and_remembers_the_settings(workshops):
    ws = workshops.create("Tuesday PMs", "chat-system", round_limit=4, engine="offline", coaching=True)
    assert len(ws.code) == CODE_LENGTH and set(ws.code) <= set(CODE_ALPHABET)
    assert not set(CODE_ALPHABET) & set("0O1IL")
    again = workshops.workshop(ws.code.lower())
    assert (again.name, again.scenario_id, again.round_limit, again.engine, again.coaching, again.closed) == (
        "Tuesday PMs",
        "chat-system",
        4,
        "offline",
        True,
        False,
    )


def test_codes_are_unique_across_many_workshops(workshops):
    codes = {workshops.create(f"w{i}", "chat-system").code for i in range(200)}
    assert len(codes) == 200
    assert [w.code for w in workshops.all()][:1] and len(workshops.all()) == 200


def test_create_refuses_an_unknown_scenario_a_blank_name_and_a_silly_round_limit(workshops):
    with pytest.raises(WorkshopError, match="Unknown scenario"):
        workshops.create("x", "no-such-scenario")
    with pytest.raises(WorkshopError, match="name"):
        workshops.create("   ", "chat-system")
    with pytest.raises(WorkshopError, match="between 2 and 30"):
        workshops.create("x", "chat-system", round_limit=1)


def test_codes_are_read_loosely_and_an_unknown_code_says_so(workshops):
    ws = workshops.create("w", "chat-system")
    assert normalise_code(f" {ws.code[:3].lower()}-{ws.code[3:]} ") == ws.code
    assert workshops.workshop(f"{ws.code[:3]} {ws.code[3:]}").code == ws.code
    with pytest.raises(WorkshopError, match="No workshop has the code ZZZZ22"):
        workshops.workshop("zzzz22")
    with pytest.raises(WorkshopError, match="No workshop"):
        workshops.join("ZZZZ22", "Ana")


def test_join_starts_the_participants_own_meeting_with_the_workshop_settings(workshops, offline):
    ws = workshops.create("w", "offline-mode", round_limit=3, engine="offline")
    ana = workshops.join(ws.code, "  Ana   Lima ")
    ben = workshops.join(ws.code, "Ben")
    assert ana.name == "Ana Lima" and ana.session_id != ben.session_id
    view = offline.view(ana.session_id)
    assert (view.scenario_id, view.round_limit, view.engine, view.round) == ("offline-mode", 3, "offline", 0)
    assert not view.coaching
    coached = workshops.create("c", "chat-system", coaching=True)
    assert offline.view(workshops.join(coached.code, "Ana").session_id).coaching
    assert [p.name for p in workshops.participants(ws.code)] == ["Ana Lima", "Ben"]
    assert workshops.participant(ws.code, ana.session_id) == ana
    assert workshops.participant(ws.code, "not-a-session") is None


def test_rejoining_with_the_same_name_in_the_same_browser_resumes_instead_of_duplicating(workshops):
    ws = workshops.create("w", "chat-system")
    first = workshops.join(ws.code, "Ana")
    again = workshops.join(ws.code, "ana", resume_session_id=first.session_id)
    assert again == first
    assert len(workshops.participants(ws.code)) == 1


def test_a_taken_name_without_its_session_is_refused_so_nobody_can_open_anothers_meeting(workshops):
    ws = workshops.create("w", "chat-system")
    ana = workshops.join(ws.code, "Ana")
    with pytest.raises(WorkshopError, match="already joined as “ANA”"):
        workshops.join(ws.code, "ANA")
    bob = workshops.join(ws.code, "Bob")
    with pytest.raises(WorkshopError, match="already joined"):
        workshops.join(ws.code, "Ana", resume_session_id=bob.session_id)
    assert [p.session_id for p in workshops.participants(ws.code)] == [ana.session_id, bob.session_id]


def test_names_are_cleaned_and_must_be_present(workshops):
    ws = workshops.create("w", "chat-system")
    assert workshops.join(ws.code, "Zoë\x00\n de\tSouza").name == "Zoë de Souza"
    with pytest.raises(WorkshopError, match="Type your name"):
        workshops.join(ws.code, " \n ")
    with pytest.raises(WorkshopError, match="at most 40"):
        workshops.join(ws.code, "x" * 41)


def test_a_closed_workshop_takes_no_new_participants_but_keeps_those_who_joined(workshops):
    ws = workshops.create("w", "chat-system")
    ana = workshops.join(ws.code, "Ana")
    assert workshops.set_closed(ws.code, True).closed
    with pytest.raises(WorkshopError, match="closed"):
        workshops.join(ws.code, "Ben")
    assert workshops.join(ws.code, "Ana", resume_session_id=ana.session_id) == ana
    workshops.set_closed(ws.code, False)
    assert workshops.join(ws.code, "Ben").name == "Ben"


def test_concurrent_joins_with_one_name_make_one_participant(workshops):
    ws = workshops.create("w", "chat-system")
    outcomes: list[str] = []

    def join():
        try:
            workshops.join(ws.code, "Ana")
            outcomes.append("joined")
        except WorkshopError:
            outcomes.append("refused")

    threads = [threading.Thread(target=join) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["joined"] + ["refused"] * 5
    assert len(workshops.participants(ws.code)) == 1


def test_the_store_survives_a_restart(offline):
    ws = Workshops(offline).create("w", "chat-system")
    ana = Workshops(offline).join(ws.code, "Ana")
    assert Workshops(offline).participants(ws.code) == [ana]


def test_results_follow_each_meeting_and_the_csv_has_one_row_per_participant(workshops, offline):
    ws = workshops.create('=Team, "A"', "chat-system", round_limit=8, engine="offline")
    strong = load_script(STRONG_SCRIPT).turns
    ana = workshops.join(ws.code, "Ana")
    ben = workshops.join(ws.code, "@Ben")
    workshops.join(ws.code, "Cy")
    by_name = {r.participant.name: r for r in workshops.results(ws.code)}
    assert {r.status_label for r in by_name.values()} == {"waiting for first turn"}

    for text in strong[:4]:
        offline.send(ana.session_id, text)
    offline.finish(ana.session_id)
    offline.send(ben.session_id, strong[0])

    by_name = {r.participant.name: r for r in workshops.results(ws.code)}
    card = offline.view(ana.session_id).scorecard
    assert by_name["Ana"].status == "wrapped_up" and by_name["Ana"].overall == card.overall
    assert by_name["Ana"].dimensions == {d: card.dimensions[d].score for d in DIMENSIONS}
    assert by_name["Ana"].concerns_resolved > 0 and by_name["Ana"].concerns_total >= by_name["Ana"].concerns_resolved
    assert (by_name["@Ben"].status_label, by_name["@Ben"].round, by_name["@Ben"].overall) == ("in meeting", 1, None)
    assert by_name["Cy"].status == "waiting" and by_name["Cy"].round_limit == 8

    table = rows(workshops.results_csv(ws.code))
    assert list(table[0]) == CSV_COLUMNS
    assert [r["name"] for r in table] == ["Ana", "'@Ben", "Cy"]  # a leading @ would run as a formula
    assert {r["workshop"] for r in table} == {'\'=Team, "A"'}
    ana_row = table[0]
    assert ana_row["session_id"] == ana.session_id and ana_row["status"] == "wrapped up"
    assert float(ana_row["overall"]) == card.overall
    assert [int(ana_row[d]) for d in DIMENSIONS] == [card.dimensions[d].score for d in DIMENSIONS]
    assert (table[1]["round"], table[1]["overall"], table[1]["framing"]) == ("1", "", "")
    assert table[2]["status"] == "waiting for first turn"


def test_a_participant_whose_session_is_gone_shows_as_unavailable(workshops):
    ws = workshops.create("w", "chat-system")
    workshops.join(ws.code, "Ana")
    later = Workshops(type(workshops.meetings)(workshops.meetings.settings, scenarios=workshops.meetings.scenarios))
    # a fresh checkpoint file: the in-memory sessions of the first process are not in it
    assert [r.status_label for r in later.results(ws.code)] == ["session unavailable"]


def test_a_participants_session_id_is_a_128_bit_secret_and_its_owner_is_known(workshops, offline):
    ws = workshops.create("w", "chat-system")
    ana = workshops.join(ws.code, "Ana")
    assert len(ana.session_id) == 32 and int(ana.session_id, 16) >= 0  # 16 random bytes, hex
    assert workshops.owner(ana.session_id) == ana
    practice = offline.start("chat-system").session_id
    assert workshops.owner(practice) is None
