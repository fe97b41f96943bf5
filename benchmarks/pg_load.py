"""Two app servers on one PostgreSQL database: 100 concurrent sessions of 6 turns, offline engine.

Two worker processes each hold their own ``Meetings`` (own data dir, ``database_url`` shared), as
two servers behind a load balancer would. Every session starts on one and alternates servers turn
by turn, so each turn continues a meeting the other process wrote; all sessions are in flight at
once (50 threads a server). Each person turn carries its session's tag, and afterwards every
meeting is read back: a turn missing from its session is lost, a turn tagged for another session
is crossed; both must be 0. Per-turn latency is one ``send`` as the server sees it (lock, graph,
checkpoint writes), p50 and p90. PostgreSQL is ``$ROUNDTABLE_TEST_DATABASE_URL`` or a throwaway
cluster from Debian's binaries (``tests/postgres_server.py``); without either the benchmark is
skipped with the reason.

    python -m benchmarks.pg_load [--sessions 100] [--turns 6] [--threads 50]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue
import secrets
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import INLINE_TURNS, SCENARIO, Result, percentile

SERVERS = 2
ROUND_LIMIT = 30  # no meeting ends by its round limit before its last turn
RESULT_WAIT_S = 300.0  # a server silent this long has hung: the run stops and says so


def _tag(session_id: str, k: int) -> str:
    return f"[{session_id[:12]}#{k}]"


def _text(session_id: str, k: int) -> str:
    return f"{_tag(session_id, k)} {INLINE_TURNS[k % len(INLINE_TURNS)]}"


def _server(index: int, url: str, data_dir: str, threads: int, inbox, outbox) -> None:
    """One app server: a ``Meetings`` on the shared database, answering start/send jobs on its threads."""
    from agents.settings import Settings
    from graphs.session import Meetings

    meetings = Meetings(Settings(engine="offline", data_dir=Path(data_dir), database_url=url))
    warm = meetings.start(SCENARIO, round_limit=ROUND_LIMIT)  # the embedding model and indexes, not timed
    meetings.send(warm.session_id, INLINE_TURNS[0])
    outbox.put(("ready", index, None, 0, 0.0, None))

    def job(kind: str, session_id: str, k: int) -> None:
        t0 = time.perf_counter()
        error = None
        try:
            if kind == "start":
                meetings.start(SCENARIO, session_id=session_id, round_limit=ROUND_LIMIT)
            else:
                meetings.send(session_id, _text(session_id, k))
        except Exception as exc:  # counted and reported by the parent
            error = f"{type(exc).__name__}: {exc}"[:200]
        outbox.put((kind, index, session_id, k, time.perf_counter() - t0, error))

    with ThreadPoolExecutor(threads) as pool:
        while (item := inbox.get()) is not None:
            pool.submit(job, *item)


def _database(url: str) -> str:
    """``url`` with a fresh schema as its search path, so runs never see each other's meetings."""
    from urllib.parse import quote

    import psycopg

    schema = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"


def run(*, sessions: int = 100, turns: int = 6, threads: int = 50) -> list[Result]:
    """The load test on a reachable PostgreSQL, or one skipped result saying why there is none."""
    from tests.postgres_server import PostgresUnavailable, running_postgres

    try:
        with running_postgres() as url:
            return [_load(_database(url), sessions=sessions, turns=turns, threads=threads)]
    except PostgresUnavailable as exc:
        print(f"  skipped: no PostgreSQL ({exc})")
        return [Result(key="pg_load", title="4c. two servers on PostgreSQL", summary=f"skipped: {exc}")]


def _load(url: str, *, sessions: int, turns: int, threads: int) -> Result:
    ctx = mp.get_context("spawn")
    outbox = ctx.Queue()
    inboxes = [ctx.Queue() for _ in range(SERVERS)]
    with tempfile.TemporaryDirectory(prefix="roundtable-bench-pg-") as tmp:
        procs = [
            ctx.Process(target=_server, args=(i, url, f"{tmp}/server{i}", threads, inboxes[i], outbox), daemon=True)
            for i in range(SERVERS)
        ]
        for p in procs:
            p.start()
        try:
            for _ in procs:
                _expect(outbox, "ready")
            ids, latencies, errors, wall = _drive(inboxes, outbox, sessions, turns)
        finally:
            for q in inboxes:
                q.put(None)
            for p in procs:
                p.join(30)
                if p.is_alive():
                    p.kill()
        lost, crossed, forked = _audit(url, tmp, ids, turns)
    sends = latencies["send"]
    p50, p90 = percentile(sends, 50), percentile(sends, 90)
    total = sessions * turns
    return Result(
        key="pg_load",
        title="4c. two servers on PostgreSQL",
        summary=f"{sessions} sessions x {turns} turns over {SERVERS} processes: lost {lost}, crossed {crossed}, "
        f"errors {len(errors)}; turn p50 {p50 * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms; "
        f"{total / wall:.1f} turns/s ({wall:.1f} s)",
        target="0 lost, 0 crossed",
        met=lost == 0 and crossed == 0 and forked == 0 and not errors,
        metrics={
            "sessions": sessions,
            "turns": total,
            "lost": lost,
            "crossed": crossed,
            "forked_sessions": forked,
            "errors": len(errors),
            "turn_p50_ms": round(p50 * 1000, 1),
            "turn_p90_ms": round(p90 * 1000, 1),
            "start_p50_ms": round(percentile(latencies["start"], 50) * 1000, 1),
            "wall_s": round(wall, 2),
            "turns_per_s": round(total / wall, 2),
        },
        notes=[
            f"every turn on the other server from the one before; {threads} threads a server; "
            "PostgreSQL on loopback with fsync off",
            *errors[:3],
        ],
    )


def _drive(inboxes, outbox, sessions: int, turns: int) -> tuple[list[str], dict[str, list[float]], list[str], float]:
    """Start every session at once, then send each session's next turn to the other server as its last returns."""
    ids = [f"{i:04d}{secrets.token_hex(14)}" for i in range(sessions)]
    latencies: dict[str, list[float]] = {"start": [], "send": []}
    errors: list[str] = []
    t0 = time.perf_counter()
    for i, sid in enumerate(ids):
        inboxes[i % SERVERS].put(("start", sid, 0))
    pending = sessions
    while pending:
        kind, server, sid, k, seconds, error = _expect(outbox)
        latencies[kind].append(seconds)
        if error:
            errors.append(f"{kind} {sid[:8]} #{k}: {error}")
        nxt = 0 if kind == "start" else k + 1
        if error or nxt >= turns:
            pending -= 1
            continue
        inboxes[(server + 1) % SERVERS].put(("send", sid, nxt))
    return ids, latencies, errors, time.perf_counter() - t0


def _expect(outbox, kind: str | None = None):
    try:
        item = outbox.get(timeout=RESULT_WAIT_S)
    except queue.Empty:
        raise RuntimeError(f"no answer from the servers in {RESULT_WAIT_S:.0f} s") from None
    if kind and item[0] != kind:
        raise RuntimeError(f"expected {kind}, got {item[0]}")
    return item


def _audit(url: str, tmp: str, ids: list[str], turns: int) -> tuple[int, int, int]:
    """Read every session back from a third server: turns lost, turns crossed in from another session, forks."""
    from agents.settings import Settings
    from graphs.session import MeetingError, Meetings

    meetings = Meetings(Settings(engine="offline", data_dir=Path(tmp) / "audit", database_url=url))
    lost = crossed = forked = 0
    for sid in ids:
        try:
            said = [t.text for t in meetings.view(sid).transcript if t.role == "person"]
        except MeetingError:  # the session never reached the database
            lost += turns
            continue
        lost += sum(1 for k in range(turns) if _text(sid, k) not in said)
        crossed += sum(1 for text in said if not text.startswith(f"[{sid[:12]}#"))
        forked += len(meetings.branches(sid)) > 1
    return lost, crossed, forked


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.pg_load", description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=100)
    p.add_argument("--turns", type=int, default=6)
    p.add_argument("--threads", type=int, default=50, help="threads per server process")
    args = p.parse_args()
    for r in run(sessions=args.sessions, turns=args.turns, threads=args.threads):
        print(f"{r.title}: {r.summary}")
        for note in r.notes:
            print(f"  {note}")


if __name__ == "__main__":
    main()
