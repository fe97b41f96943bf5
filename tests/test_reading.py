"""The offline reading: sentence acts, stance on points and constraints, and the replies built on them."""

from __future__ import annotations

import pytest
import yaml

from agents.board import new_board
from agents.reading.acts import classify
from agents.reading.train_acts import heldout_report
from agents.reading.turn import claims_of, read_turn
from agents.stakeholder.quality import checklist_phrases, repeated_sentences
from scenarios import ScenarioError, parse_scenario
from tests.conftest import play


def test_shipped_act_classifier_holds_its_accuracy_on_the_held_out_split():
    report = heldout_report()
    assert report["n"] >= 400
    assert report["accuracy"] >= 0.88
    assert all(m["f1"] >= 0.7 for m in report["acts"].values()), report["acts"]


@pytest.mark.parametrize(
    ("sentence", "act"),
    [
        ("Should we build or buy the rating engine?", "question"),
        ("Give me the top 500 queries by revenue", "question"),
        ("We don't need to decide the vendor today.", "defer"),
        ("I'd rather launch one-to-one first and defer large channels.", "decision"),
        ("The trade-off is launch speed versus exactly-once correctness.", "tradeoff"),
        ("As the facilitator I'd note this candidate excelled.", "scorer"),
        ("Budget will sort itself out once revenue goes up.", "dismiss"),
        ("Wei, fair point: a timeout could pay a freelancer twice.", "acknowledge"),
        ("Fine.", "smalltalk"),
    ],
)
def test_sentence_acts(sentence, act):
    assert classify([sentence])[0].act == act


def _open(board, *ids):
    for cid in ids:
        board[cid]["status"] = "open"
    return board


def test_a_negated_answer_takes_the_wrong_side_and_covers_nothing(library):
    payouts = library["payouts-india"]
    board = _open(new_board(payouts), "exactly-once-payout")
    wrong = read_turn(
        payouts, board, [], "Wei, no idempotency keys and no pending state; we just retry if it times out."
    )
    eng = wrong.by_role["engineering"]
    assert "exactly-once-payout" in eng.wrong_now and not eng.points_covered.get("exactly-once-payout")
    right = read_turn(
        payouts,
        board,
        [],
        "Wei, every payout instruction carries an idempotency key, the payout stays pending in the ledger until the "
        "partner confirms, and we reconcile daily against the partner's settlement report.",
    )
    assert len(right.by_role["engineering"].points_covered.get("exactly-once-payout", ())) >= 2
    assert "exactly-once-payout" not in right.by_role["engineering"].wrong_now


def test_a_question_never_covers_a_point(library):
    payouts = library["payouts-india"]
    board = _open(new_board(payouts), "exactly-once-payout")
    reading = read_turn(
        payouts, board, [], "Wei, should every payout carry an idempotency key, and should we reconcile daily?"
    )
    assert not reading.by_role["engineering"].points_covered


def test_a_retracted_claim_is_dropped():
    claims = [
        c for c, _ in claims_of("We build the rating engine ourselves. No wait, we buy Stripe's metered billing.")
    ]
    assert claims == ["we buy Stripe's metered billing."]


def test_a_wrong_stance_is_objected_to_not_acknowledged(offline):
    view = offline.start("payouts-india")
    view = offline.send(view.session_id, "Wei, what worries you about paying freelancers exactly once?")
    view = offline.send(
        view.session_id, "Wei, no idempotency keys, no pending state: we just retry until the partner answers."
    )
    assert view.board["exactly-once-payout"]["status"] == "open"
    wei = next(t for t in view.transcript if t.round == 2 and t.role == "engineering")
    assert wei.intent == "pushback"
    assert "sign off" not in wei.text.lower()  # the card's acknowledgement is never said to a wrong answer


def test_a_plan_breaking_the_rule_gets_the_rule_from_its_holder(offline):
    view = offline.start("appointment-reminders")
    view = offline.send(
        view.session_id, "Let's use the marketing SMS vendor at under a cent a message for every reminder."
    )
    grace = [t for t in view.transcript if t.round == 1 and t.role == "business"]
    assert grace and "hipaa-texting-rule" in grace[0].fact_ids  # revealed with the objection
    assert grace[0].intent == "pushback"


def test_a_direct_question_nobody_can_answer_gets_an_honest_answer(offline):
    view = offline.start("chat-system")
    view = offline.send(view.session_id, "Marco, what colour should the send button be?")
    marco = [t for t in view.transcript if t.round == 1 and t.role == "design"]
    assert marco and "Nothing from me" not in marco[0].text
    assert any(w in marco[0].text.lower() for w in ("don't", "assume", "know"))


def test_the_room_never_repeats_a_sentence_or_reads_its_checklist_out(offline, library):
    turns = ["Priya, it will be fine."] * 4 + ["Dana, what's the budget?", "Marco, sounds good.", "Okay."]
    view = play(offline, "chat-system", turns)
    transcript = [t.model_dump() for t in view.transcript]
    assert repeated_sentences(transcript) == []
    assert checklist_phrases(library["chat-system"], transcript) == []


def test_a_generic_meeting_scores_low_in_every_scenario(offline):
    generic = [
        "Before we design anything, who are the users, what scale do we expect, and what metrics define success?",
        "At a high level the architecture has a gateway, a service, a database and a queue, because users need it.",
        "The key trade-off is speed versus quality. My recommendation is to go with the simpler option.",
        "Great discussion everyone. Next steps: I'll follow up with each of you.",
    ]
    for scenario in ("chat-system", "payouts-india", "search-relevance"):
        card = play(offline, scenario, generic).scorecard
        assert card.overall <= 3.2, (scenario, card.overall)
        assert card.dimensions["systems"].score <= 2 and card.dimensions["alignment"].score <= 2


def test_a_decisive_constraint_naming_an_unknown_fact_is_reported_with_its_line(chat_text):
    data = yaml.safe_load(chat_text)
    data["decisive_constraints"] = [
        {
            "id": "k",
            "fact": "no-such-fact",
            "rule": "a rule",
            "honours": ["x y z"],
            "violates": ["a b c"],
            "objection": "No.",
        }
    ]
    with pytest.raises(ScenarioError) as err:
        parse_scenario(yaml.safe_dump(data, sort_keys=False), "s.yaml")
    issue = err.value.issues[0]
    assert issue.field == "decisive_constraints.0.fact" and issue.line and "no-such-fact" in issue.message
