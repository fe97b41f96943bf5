"""Driving the Streamlit app in tests with ``streamlit.testing.v1.AppTest`` (no browser)."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "ui" / "web" / "app.py"
TIMEOUT = 60  # the first run in a process loads the e5 embedder


def app(session: str | None = None, at: str | None = None) -> AppTest:
    """The web app, optionally opened on a meeting link (``?session=...&at=...``)."""
    test = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if session:
        test.query_params["session"] = session
    if at:
        test.query_params["at"] = at
    return test


def open_page(test: AppTest, url_path: str) -> AppTest:
    """Switch to the ``st.navigation`` page registered under ``url_path`` ("" for the default page) and run it.

    ``AppTest.switch_page`` only finds file-based pages; ours are functions, registered by url path.
    """
    if not test._registered_pages:
        test.run()
    hashes = [h for h, info in test._registered_pages.items() if info.get("url_pathname") == url_path]
    assert hashes, f"no page {url_path!r}; registered: {list(test._registered_pages.values())}"
    test._page_hash = hashes[0]
    return test.run()


def plain(markdown: str) -> str:
    """Markdown escaped by ``ui.export.escape_md`` read back as the text it shows."""
    return re.sub(r"\\(.)", r"\1", markdown.replace("  \n", "\n").replace("\u2060", ""))


def live_markup(markdown: str) -> bool:
    """Whether Markdown holds an unescaped HTML tag, link, image or bare URL (GFM links those)."""
    tag_or_link = re.search(r"(?<!\\)<[a-zA-Z/!]|(?<!\\)\]\(", markdown)
    bare_url = re.search(r"(?i):\\?/\\?/|\bwww\\?\.", markdown)  # escape_md puts a word joiner inside
    return bool(tag_or_link or bare_url)


def texts(test: AppTest) -> list[str]:
    """Every plain-text and Markdown body on the page, in order, as the text a reader sees."""
    return [plain(e.value) for e in [*test.text, *test.markdown, *test.caption]]


def everything(test: AppTest) -> str:
    """All the text the page shows, as one string (for 'never appears' checks)."""
    parts = texts(test)
    for kind in ("title", "header", "subheader", "error", "warning", "info", "success", "code"):
        parts += [plain(str(e.value)) for e in getattr(test, kind)]
    return "\n".join(parts)
