"""The offline stakeholder engine: facts only when asked, by meaning; concerns judged against their criteria."""

from __future__ import annotations

import pytest

from agents.board import new_board
from agents.reading import read_turn
from agents.routing import route_speakers


@pytest.fixture
def chat(library):
    return library["chat-system"]


def facts_asked(chat, text, board=None):
    reading = read_turn(chat, board or new_board(chat), [], text)
    return {fid for r in reading.by_role.values() for fid in r.facts_asked}


def test_engineering_lead_reveals_scale_only_when_asked(offline):
    view = offline.start("chat-system")
    view = offline.send(view.session_id, "I'd build it on websockets with a message service behind it.")
    assert "daily-active-scale" not in view.revealed
    view = offline.send(view.session_id, "How many people will be using this a year and a half from now?")
    assert "daily-active-scale" in view.revealed
    priya = [t for t in view.transcript if t.round == 2 and t.role == "engineering"]
    assert priya and "daily-active-scale" in priya[0].fact_ids
    assert "3 million" in priya[0].text


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("How big does this need to get?", "daily-active-scale"),
        ("What sort of traffic are we talking about at peak?", "daily-active-scale"),
        ("How will the company judge whether this worked?", "success-metrics"),
        ("What does a win look like for the business?", "success-metrics"),
        ("When do we have to have this live?", "launch-deadline"),
        ("How much money can we put into running it?", "running-budget"),
        ("How many engineers could we put on it?", "team-capacity"),
        ("Are there legal rules about how long we keep messages?", "records-requirements"),
        ("What handsets do the workers carry, and is the signal ok in stores?", "devices-network"),
    ],
)
def test_paraphrased_questions_unlock_the_right_fact(chat, question, fact):
    assert fact in facts_asked(chat, question)


@pytest.mark.parametrize(
    "statement",
    [
        "Sounds good to me.",
        "We will make it scalable and user friendly.",
        "I think we should start building next week with our best people on it.",
    ],
)
def test_statements_without_questions_unlock_nothing(chat, statement):
    assert facts_asked(chat, statement) == set()


def test_addressed_stakeholder_speaks_first(chat):
    board = new_board(chat)
    reading = read_turn(chat, board, [], "Dana, what budget do we have? And Priya, how many users?")
    speakers = [s.role for s in route_speakers(chat, board, reading)]
    assert speakers[:2] == ["engineering", "business"] or speakers[:2] == ["business", "engineering"]
    assert "design" not in speakers


def test_nobody_speaks_by_rule_a_quiet_turn_gets_one_voice(chat):
    board = new_board(chat)
    reading = read_turn(chat, board, [], "Okay.")
    assert len(route_speakers(chat, board, reading)) == 1


def test_weak_answer_gets_pushback_and_a_full_answer_resolves(offline):
    view = offline.start("chat-system")
    sid = view.session_id
    view = offline.send(sid, "Priya, what worries you most about how messages get delivered?")
    raised = [cid for cid, c in view.board.items() if c["status"] == "open" and c["role"] == "engineering"]
    assert raised == ["delivery-guarantee"]
    view = offline.send(sid, "Priya, delivery will be fine, trust me.")
    assert view.board["delivery-guarantee"]["pushbacks"] == 1
    priya = next(t for t in view.transcript if t.round == 2 and t.role == "engineering")
    assert priya.intent == "pushback"
    view = offline.send(
        sid,
        "Priya: we store each message before acknowledging it, so delivery is guaranteed at least once; "
        "if the recipient is offline it waits in their inbox and a push notification goes out; "
        "messages carry a per-conversation sequence number so ordering holds, and client ids dedupe retries.",
    )
    assert view.board["delivery-guarantee"]["status"] == "resolved"
    priya = next(t for t in view.transcript if t.round == 3 and t.role == "engineering")
    assert "delivery-guarantee" in priya.concern_ids


def test_concern_escalates_after_repeated_weak_answers(offline):
    view = offline.start("chat-system")
    sid = view.session_id
    offline.send(sid, "Priya, what worries you most about how messages get delivered?")
    for _ in range(3):
        view = offline.send(sid, "Priya, it will be fine.")
    assert view.board["delivery-guarantee"]["status"] == "escalated"


def test_challenge_quotes_what_the_person_said(offline):
    view = offline.start("chat-system")
    view = offline.send(view.session_id, "Okay, I think we just ship the chat screen next month.")
    reply = next(t for t in view.transcript if t.round == 1 and t.role != "person")
    assert reply.intent == "challenge"
    assert reply.concern_ids


def test_one_sentence_asking_two_people_two_things_unlocks_both_facts(chat):
    asked = facts_asked(chat, "Priya, how many users do we expect, and Dana, what does success look like?")
    assert {"daily-active-scale", "success-metrics"} <= asked


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("And how we will know it is success", True),
        ("Dana, what does a win look like", True),
        ("So, who are the users", True),
        ("Dana, we will ship in Q3.", False),
        ("We need speed and reliability.", False),
    ],
)
def test_questions_are_recognised_past_lead_ins_and_names(sentence, question):
    from agents.reading.matching import is_question

    assert is_question(sentence) is question
