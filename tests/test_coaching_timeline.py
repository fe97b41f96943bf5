"""Coaching hints, the per-turn timeline and the session cost estimate."""

from __future__ import annotations

from agents.board import ConcernState
from agents.facilitator.coaching import hint_rules, next_hint
from agents.facilitator.timeline import board_at, turning_point
from agents.pricing import estimated_cost
from agents.settings import Settings
from scenarios import LIBRARY_DIR, load_script
from tests.conftest import play

STRONG = load_script(LIBRARY_DIR.parent / "scripts" / "chat-system" / "strong.yaml").turns
IMPLEMENTATION = [
    "We'll use websockets with a Redis pub/sub fan-out.",
    "Messages go into Cassandra, partitioned by conversation id.",
    "A gateway service handles auth and rate limits.",
    "Push goes through FCM and APNs.",
]


def test_coaching_whispers_about_scale_when_nobody_asked_by_round_three(offline):
    view = offline.start("chat-system", coaching=True)
    for text in IMPLEMENTATION[:3]:
        view = offline.send(view.session_id, text)
    hints = [t for t in view.transcript if t.intent == "hint"]
    assert any("scale" in h.text for h in hints)
    assert all(h.role == "facilitator" for h in hints)
    assert max(h.round for h in hints if "scale" in h.text) == 3


def test_each_hint_is_given_once_and_only_with_coaching_on(offline):
    coached = offline.start("chat-system", coaching=True)
    plain = offline.start("chat-system")
    for text in IMPLEMENTATION:
        coached = offline.send(coached.session_id, text)
        plain = offline.send(plain.session_id, text)
    texts = [t.text for t in coached.transcript if t.intent == "hint"]
    assert texts and len(texts) == len(set(texts))
    assert not [t for t in plain.transcript if t.intent == "hint"]


def test_no_hint_for_what_the_person_already_did(library):
    scenario = library["chat-system"]
    transcript = [{"role": "person", "text": t, "round": i} for i, t in enumerate(STRONG[:3], start=1)]
    board = {}
    given = []
    hint = next_hint(scenario, transcript, board, 3, 8, given)
    assert hint is None or hint[0] not in {"users", "scale"}
    assert {r.id for r in hint_rules()} >= {"users", "scale", "tradeoffs", "decide", "escalated"}


def test_timeline_shows_which_turn_moved_which_dimension_and_settled_which_concern(offline):
    view = play(offline, "chat-system", STRONG)
    timeline = view.scorecard.timeline
    assert [p.turn for p in timeline] == list(range(1, len(STRONG) + 1))
    final = {d: s.score for d, s in view.scorecard.dimensions.items()}
    assert timeline[-1].scores == final  # the last point is the meeting as scored
    resolved = {c for p in timeline for c in p.resolved}
    assert resolved == {c.concern_id for c in view.scorecard.concerns if c.status == "resolved"}
    moved_total = {d: 1 + sum(p.moved.get(d, 0) for p in timeline) for d in final}
    assert moved_total == final  # every move is accounted for, from 1
    assert turning_point(timeline) is not None


def test_board_at_rebuilds_the_board_as_it_stood_then():
    board = {
        "a": ConcernState(role="design", status="resolved", raised_round=1, settled_round=3).model_dump(),
        "b": ConcernState(role="business", status="open", raised_round=2).model_dump(),
        "c": ConcernState(role="design").model_dump(),
    }
    assert {k: v["status"] for k, v in board_at(board, 1).items()} == {"a": "open", "b": "unraised", "c": "unraised"}
    assert {k: v["status"] for k, v in board_at(board, 3).items()} == {"a": "resolved", "b": "open", "c": "unraised"}


def test_cost_is_estimated_from_tokens_and_known_prices():
    usage = {"input_tokens": 1_000_000, "output_tokens": 500_000}
    assert estimated_cost(Settings(model="gpt-4o-mini"), usage) == 0.45
    assert estimated_cost(Settings(model="gpt-4o-mini-2024-07-18"), usage) == 0.45
    assert estimated_cost(Settings(model="some-unknown-model"), usage) is None
    assert estimated_cost(Settings(model="x", openai_base_url="http://127.0.0.1:8080/v1"), usage) == 0.0
    priced = Settings(model="x", price_input_per_mtok=1.0, price_output_per_mtok=2.0)
    assert estimated_cost(priced, usage) == 2.0
