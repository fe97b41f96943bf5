"""Session export: Markdown to read and JSON for tools, with typed text kept inert."""

from __future__ import annotations

import json

from markdown_it import MarkdownIt

from ui.export import escape_md, to_json, to_markdown, visible_board

TURNS = [
    "Who are the users, and what scale do we expect? Dana, what does success look like?",
    "Let's buy a hosted chat provider so we ship this quarter; Marco, failed sends retry with a clear status.",
]
INJECTION = "<script>alert(1)</script> [click](https://evil.example) ![x](https://evil.example/x.png) # Heading *em*"


def rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def test_escape_md_shows_markup_as_typed():
    html = rendered(escape_md(INJECTION))
    assert "<script>" not in html and "<a " not in html and "<img" not in html and "<em>" not in html
    assert "<h1>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [click](https://evil.example)" in html.replace("\u2060", "")
    assert rendered(escape_md("1. not a list")).strip() == "<p>1. not a list</p>"
    assert "<br />" in rendered(escape_md("line one\nline two"))


def test_escape_md_defuses_bare_urls_that_gfm_would_link():
    for text in ("https://evil.example/x", "see WWW.evil.example", "mail me@evil.example"):
        escaped = escape_md(text)
        assert "\u2060" in escaped  # a word joiner splits what GFM's autolinker looks for
        assert rendered(escaped).replace("\u2060", "") == f"<p>{text}</p>\n"


def test_markdown_holds_transcript_board_and_scorecard(offline, library):
    view = offline.start("chat-system")
    for text in TURNS:
        view = offline.send(view.session_id, text)
    view = offline.finish(view.session_id)
    md = to_markdown(view, library["chat-system"])
    for text in TURNS:
        assert escape_md(text) in md
    assert "## Transcript" in md and "## Board" in md and "## Scorecard" in md
    assert "Problem framing" in md and "Collaborative leadership" in md
    assert f"Overall: **{view.scorecard.overall:.2f} / 5**" in md
    assert "You (turn 2)" in md
    assert "### Turn by turn" in md and "- turn 2:" in md
    for turn in view.transcript:
        if turn.role in ("engineering", "design", "business"):
            assert escape_md(turn.text) in md


def test_json_is_the_session_as_data(offline):
    view = offline.start("chat-system")
    view = offline.send(view.session_id, TURNS[0])
    data = json.loads(to_json(view))
    assert [t["text"] for t in data["transcript"] if t["role"] == "person"] == [TURNS[0]]
    assert data["session_id"] == view.session_id
    assert data["scorecard"] is None
    assert data["revealed"] == view.revealed
    # while the meeting runs, concerns the room has not raised stay hidden
    assert data["board"] and all(c["status"] != "unraised" for c in data["board"].values())
    done = json.loads(to_json(offline.finish(view.session_id)))
    assert set(done["scorecard"]["dimensions"]) == {"framing", "systems", "tradeoffs", "alignment", "collaboration"}
    assert len(done["board"]) == len(view.board)  # after the meeting the whole board is shown


def test_typed_markup_stays_inert_in_the_markdown_export(offline, library):
    view = offline.start("chat-system")
    view = offline.send(view.session_id, INJECTION)
    html = rendered(to_markdown(view, library["chat-system"]))
    assert "<script>" not in html and "<img" not in html and 'href="https://evil' not in html


def test_visible_board_hides_unraised_concerns_until_the_end(offline):
    view = offline.start("chat-system")
    assert visible_board(view) == {}
    assert len(visible_board(offline.finish(view.session_id))) == len(view.board)


def test_exports_never_carry_settings(offline):
    view = offline.start("chat-system")
    for text in (to_json(view), to_markdown(view)):
        assert "api_key" not in text and "openai" not in text.lower()
