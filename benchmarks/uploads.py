"""Start time with 300 uploaded scenarios: the catalog lists them from small index files, parsing none.

Times, in a fresh data dir each: building ``Meetings`` with no uploads and with 300 (what every
``roundtable`` command and every app start pays), the first use of one upload (read from its
validated copy), and reading all 300 titles once (every upload loaded, as the meeting page's
picker does on its first draw in a process). For comparison, parsing all 300 YAML files eagerly,
as the library loader did before uploads were indexed.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.common import Result, median

UPLOADS = 300
TARGET_S = 0.5  # a start with 300 uploads, against 0.25 s with none before indexing


def _upload_texts(count: int) -> list[tuple[str, str]]:
    from scenarios import LIBRARY_DIR

    data = yaml.safe_load((LIBRARY_DIR / "chat_system.yaml").read_text(encoding="utf-8"))
    texts = []
    for i in range(count):
        data["id"], data["title"] = f"upload-{i:03d}", f"Uploaded chat {i}"
        texts.append((data["id"], yaml.safe_dump(data, sort_keys=False, allow_unicode=True)))
    return texts


def _timed(call, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
    return median(times), result


def run(*, uploads: int = UPLOADS, repeats: int = 3) -> list[Result]:
    from agents.engines import Engines
    from agents.settings import Settings
    from graphs.session import Meetings
    from scenarios import load_library, parse_scenario
    from scenarios.uploads import UploadStore

    texts = _upload_texts(uploads)
    with tempfile.TemporaryDirectory(prefix="roundtable-bench-uploads-") as tmp:
        empty = Settings(engine="offline", data_dir=Path(tmp) / "empty")
        full = Settings(engine="offline", data_dir=Path(tmp) / "full")
        engines = Engines(full)
        store = UploadStore(full.data_dir / "scenarios")
        flat = Path(tmp) / "flat"
        flat.mkdir()
        for sid, text in texts:
            store.add(parse_scenario(text, sid), text)
            (flat / f"{sid}.yaml").write_text(text, encoding="utf-8")

        def meetings(settings):
            m = Meetings(settings, engines=engines)
            m.checkpointer.conn.close()
            return m

        meetings(empty)  # imports and the library's own files, once
        none_s, _ = _timed(lambda: meetings(empty), repeats)
        with_s, _ = _timed(lambda: meetings(full), repeats)
        eager_s, _ = _timed(lambda: load_library([flat]), 1)
        m = Meetings(full, engines=engines)
        t0 = time.perf_counter()
        one = m.scenario(texts[uploads // 2][0], m.scenario_version(texts[uploads // 2][0]))
        first_use_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        titles = [m.scenarios[sid].title for sid in m.scenarios]
        all_titles_s = time.perf_counter() - t0
        m.checkpointer.conn.close()
        assert one.title.startswith("Uploaded chat") and len(titles) >= uploads
    return [
        Result(
            key="uploads_start",
            title=f"Start with {uploads} uploads",
            summary=f"{with_s:.2f} s (no uploads {none_s:.2f} s; parsing all eagerly {eager_s:.1f} s)",
            target=f"< {TARGET_S:g} s",
            met=with_s < TARGET_S,
            metrics={
                "start_s": round(with_s, 3),
                "start_no_uploads_s": round(none_s, 3),
                "eager_parse_s": round(eager_s, 2),
                "first_use_of_an_upload_s": round(first_use_s, 4),
                "all_titles_first_read_s": round(all_titles_s, 2),
                "uploads": uploads,
            },
            notes=[
                f"first use of one upload {first_use_s * 1000:.1f} ms; "
                f"reading all {uploads} titles once {all_titles_s:.2f} s"
            ],
        )
    ]


if __name__ == "__main__":
    for r in run():
        print(r.title, "|", r.summary, "|", r.notes)
