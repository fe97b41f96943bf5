"""The quality bar on transcripts written apart from the scorer (tests/heldout/): different people,
styles and wording than the scripts the offline engine was tuned on."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from langgraph.checkpoint.memory import InMemorySaver

from agents.settings import Settings
from graphs import Meetings
from tests.conftest import play

HELDOUT = Path(__file__).parent / "heldout" / "chat-system"
STRONG = ["strong_a", "strong_b", "strong_c"]
WEAK = ["diver_a", "diver_b", "vague_a", "vague_b"]


@pytest.fixture(scope="module")
def overall(library, tmp_path_factory) -> dict[str, float]:
    meetings = Meetings(
        Settings(engine="offline", data_dir=tmp_path_factory.mktemp("d")),
        checkpointer=InMemorySaver(),
        scenarios=library,
    )
    scores = {}
    for path in sorted(HELDOUT.glob("*.yaml")):
        turns = yaml.safe_load(path.read_text())["turns"]
        scores[path.stem] = play(meetings, "chat-system", turns).scorecard.overall
    return scores


@pytest.mark.parametrize("strong", STRONG)
@pytest.mark.parametrize("weak", WEAK)
def test_strong_candidate_scores_a_full_point_above_divers_and_vague_ones(overall, strong, weak):
    assert overall[strong] - overall[weak] >= 1.0, overall


@pytest.mark.parametrize("strong", STRONG)
def test_rewording_the_same_substance_moves_overall_by_at_most_half_a_point(overall, strong):
    assert abs(overall[strong] - overall[f"{strong}_reworded"]) <= 0.5, overall


def test_middling_candidate_lands_between(overall):
    assert max(overall[w] for w in WEAK) < overall["middling"] < min(overall[s] for s in STRONG)
