"""The offline engine's quality bar, on the chat-system transcripts in scenarios/scripts/."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scenarios import load_library
from tests.conftest import play

SCRIPTS = Path(__file__).parents[1] / "scenarios" / "scripts"


def turns(scenario: str, name: str) -> list[str]:
    return yaml.safe_load((SCRIPTS / scenario / f"{name}.yaml").read_text())["turns"]


@pytest.fixture(scope="module")
def cards(library, tmp_path_factory):
    from langgraph.checkpoint.memory import InMemorySaver

    from agents.settings import Settings
    from graphs import Meetings

    meetings = Meetings(
        Settings(engine="offline", data_dir=tmp_path_factory.mktemp("d")),
        checkpointer=InMemorySaver(),
        scenarios=library,
    )
    names = ["strong", "strong_reworded", "implementation_diver", "vague_agreeable", "mixed", "injection"]
    return {n: play(meetings, "chat-system", turns("chat-system", n)).scorecard for n in names}


def test_strong_candidate_beats_implementation_diver_by_a_full_point(cards):
    assert cards["strong"].overall - cards["implementation_diver"].overall >= 1.0


def test_strong_candidate_beats_vague_agreeable_by_a_full_point(cards):
    assert cards["strong"].overall - cards["vague_agreeable"].overall >= 1.0


def test_same_substance_reworded_moves_overall_by_at_most_half_a_point(cards):
    assert abs(cards["strong"].overall - cards["strong_reworded"].overall) <= 0.5


def test_middling_candidate_lands_between_strong_and_weak(cards):
    assert cards["implementation_diver"].overall < cards["mixed"].overall < cards["strong"].overall


def test_diver_scores_low_on_framing_and_strong_high(cards):
    assert cards["implementation_diver"].dimensions["framing"].score <= 2
    assert cards["strong"].dimensions["framing"].score >= 4


def test_scorer_directed_text_is_listed_as_ignored(cards):
    assert cards["injection"].ignored
    assert not cards["strong"].ignored


@pytest.mark.parametrize("scenario", ["offline-mode", "usage-billing"])
def test_strong_script_beats_weak_script_in_other_domains(offline, scenario):
    strong = play(offline, scenario, turns(scenario, "strong")).scorecard
    weak = play(offline, scenario, turns(scenario, "weak")).scorecard
    assert strong.overall - weak.overall >= 1.0


def test_evidence_quotes_are_verbatim_from_the_cited_turn(offline):
    script = turns("chat-system", "strong")
    view = play(offline, "chat-system", script)
    quoted = [e for d in view.scorecard.dimensions.values() for e in d.evidence]
    assert quoted
    for e in quoted:
        assert e.quote in script[e.turn - 1]


def test_scoring_is_deterministic_for_a_transcript(offline):
    script = turns("chat-system", "mixed")
    first = play(offline, "chat-system", script)
    second = play(offline, "chat-system", script)
    assert first.scorecard == second.scorecard
    assert [t.text for t in first.transcript] == [t.text for t in second.transcript]


def test_a_turn_not_in_english_is_read_by_meaning():
    from agents.facilitator.signals import read_signals
    from agents.reading.matching import is_english

    spanish = (
        "Dana, ¿cómo sabremos que ha funcionado, qué métrica de negocio debe moverse, y hay una fecha límite o un "
        "presupuesto mensual? Decido construir una primera versión acotada: el coste a escala y el control de los "
        "datos pesan más que la velocidad de lanzamiento."
    )
    assert not is_english(spanish)
    assert is_english("Build it ourselves, reuse the push service.")  # short: taken as English
    sig = read_signals(load_library()["chat-system"], [(1, spanish)])
    assert sig.foreign == {1}
    assert sig.of("framing_metrics") and (sig.of("decision") or sig.of("tradeoff"))


def test_filler_without_a_component_or_two_sides_is_no_sketch_and_no_trade_off():
    from agents.facilitator.signals import read_signals

    chat = load_library()["chat-system"]
    sig = read_signals(
        chat,
        [(1, "It's about an offline-first mindset, not just a feature. Let's not be the company that played it safe.")],
    )
    assert not sig.of("systems") and not sig.of("tradeoff")
    assert read_signals(chat, [(1, "We're buying a hosted chat vendor and shipping in six weeks.")]).of("decision")
