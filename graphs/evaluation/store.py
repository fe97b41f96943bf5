"""An evaluation's folder: results streamed to ``results.jsonl`` as meetings finish, the run's
manifest (``run.json``), resuming an interrupted run, and merging the folders of a suite's shards.

``results.jsonl`` holds one ``ScriptResult`` a line, appended and flushed as each meeting
finishes, so an interrupted run keeps what it did; the report rewrites it in the suite's order at
the end. ``run.json`` says which suite this is (a digest of every job key, before sharding),
which shard, and which keys this folder is to hold.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from graphs.evaluation.discovery import EvalInputError
from graphs.evaluation.results import EvalJob, EvalReport, ScriptResult, calibrate

RESULTS = "results.jsonl"
MANIFEST = "run.json"


class RunManifest(BaseModel):
    """What one evaluation folder is a run of."""

    suite: str = Field(description="sha256 of every job key of the whole suite, in order, before sharding.")
    sessions: int = Field(description="Sessions in the whole suite.")
    shard: str | None = None  # "i/N"
    keys: list[str] = Field(default_factory=list, description="The sessions this folder is to hold.")
    engine: str = ""
    concurrency: int = 1
    repeat: int = 1
    calibration: bool = False
    elapsed_s: float = 0.0  # over every attempt (a resumed run adds its time)
    complete: bool = False


def suite_digest(jobs: Sequence[EvalJob]) -> str:
    return hashlib.sha256("\n".join(j.key for j in jobs).encode("utf-8")).hexdigest()


def read_results(path: str | Path) -> list[ScriptResult]:
    """Results from ``results.jsonl`` (or a folder holding one); a line cut off by a kill is skipped."""
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS
    if not path.is_file():
        raise EvalInputError(f"no {RESULTS} in {path.parent}")
    out = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(ScriptResult.model_validate_json(line))
        except ValidationError as exc:
            if number == len(lines):
                continue  # the last line of an interrupted run, half written
            raise EvalInputError(f"{path}: line {number} is not a result: {exc.errors()[0]['msg']}") from None
    return out


def read_manifest(folder: str | Path) -> RunManifest | None:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        return RunManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise EvalInputError(f"{path}: not a run manifest ({exc.errors()[0]['msg']})") from None


class ResultsLog:
    """``results.jsonl`` of one run, written as meetings finish.

    ``resume=True`` keeps the results already there for this run's keys (a session that failed
    with an error is run again) and checks the folder holds a run of the same suite and shard.
    """

    def __init__(self, folder: str | Path, manifest: RunManifest, *, resume: bool = False):
        self.folder = Path(folder)
        self.manifest = manifest
        self.done: dict[str, ScriptResult] = {}
        self.retried = 0
        self.folder.mkdir(parents=True, exist_ok=True)
        earlier = read_manifest(self.folder) if resume else None
        if resume:
            if earlier is None:
                raise EvalInputError(f"nothing to resume in {self.folder}: no {MANIFEST} (is it an eval --out folder?)")
            if (earlier.suite, earlier.shard) != (manifest.suite, manifest.shard):
                raise EvalInputError(
                    f"{self.folder} holds a run of another suite or shard ({earlier.sessions} sessions, "
                    f"shard {earlier.shard or 'none'}): resume it with the same scripts, suite and --shard"
                )
            wanted = set(manifest.keys)
            for r in read_results(self.folder) if (self.folder / RESULTS).is_file() else []:
                if r.ident in wanted:
                    self.done[r.ident] = r
            self.retried = sum(1 for r in self.done.values() if r.error)
            self.done = {k: r for k, r in self.done.items() if not r.error}
            manifest.elapsed_s = earlier.elapsed_s
        self._started = time.perf_counter()
        self._write_manifest()
        with (self.folder / RESULTS).open("w", encoding="utf-8") as f:
            for r in self.done.values():
                f.write(_line(r))
        self._file = (self.folder / RESULTS).open("a", encoding="utf-8")

    def remaining(self, jobs: Sequence[EvalJob]) -> list[EvalJob]:
        return [j for j in jobs if j.key not in self.done]

    def append(self, result: ScriptResult) -> None:
        self._file.write(_line(result))
        self._file.flush()

    def close(self, complete: bool) -> None:
        self._file.close()
        self.manifest.elapsed_s = round(self.manifest.elapsed_s + time.perf_counter() - self._started, 2)
        self.manifest.complete = complete
        self._write_manifest()

    def _write_manifest(self) -> None:
        (self.folder / MANIFEST).write_text(self.manifest.model_dump_json(indent=2), encoding="utf-8")


def _line(result: ScriptResult) -> str:
    return json.dumps(result.model_dump() | {"passed": result.passed}, ensure_ascii=False) + "\n"


def finish_report(log: ResultsLog, jobs: Sequence[EvalJob], run: EvalReport) -> EvalReport:
    """The whole run's report: the results kept from earlier attempts and this one's, in job order."""
    by_key = dict(log.done) | {r.ident: r for r in run.results}
    results = [by_key[j.key] for j in jobs if j.key in by_key]
    calibrated = run.calibration is not None
    return run.model_copy(
        update={
            "results": results,
            "resumed": len(log.done),
            "elapsed_s": round(log.manifest.elapsed_s, 2),
            "calibration": calibrate(results, run.calibration.repeat) if calibrated else None,
            "shard": log.manifest.shard,
        }
    )


def merge_runs(folders: Sequence[str | Path]) -> tuple[EvalReport, list[str]]:
    """One report from the folders of a suite's shards, in the suite's order, and what is missing
    (shards not given, sessions a shard did not finish). Raises ``EvalInputError`` when the folders
    are not shards of one suite, or a shard is given twice."""
    runs: list[tuple[Path, RunManifest]] = []
    for folder in map(Path, folders):
        manifest = read_manifest(folder)
        if manifest is None:
            raise EvalInputError(f"{folder}: no {MANIFEST}; merge takes the --out folders of roundtable eval runs")
        runs.append((folder, manifest))
    suites = {m.suite for _, m in runs}
    if len(suites) > 1:
        listed = "; ".join(f"{f} ({m.sessions} sessions)" for f, m in runs)
        raise EvalInputError(f"these folders hold runs of different suites: {listed}")
    seen: dict[str, Path] = {}
    for folder, m in runs:
        label = m.shard or "the whole suite"
        if label in seen:
            raise EvalInputError(f"{label} is given twice: {seen[label]} and {folder}")
        seen[label] = folder
    runs.sort(key=lambda fm: int(fm[1].shard.split("/")[0]) if fm[1].shard else 0)
    problems = []
    counts = {int(m.shard.split("/")[1]) for _, m in runs if m.shard}
    if len(counts) > 1:
        raise EvalInputError(f"the shards split the suite different ways ({', '.join(f'/{n}' for n in counts)})")
    if counts:
        (count,) = counts
        have = {int(m.shard.split("/")[0]) for _, m in runs if m.shard}
        problems += [f"shard {i}/{count} is missing" for i in range(1, count + 1) if i not in have]
    results: list[ScriptResult] = []
    for folder, m in runs:
        got = {r.ident: r for r in read_results(folder)}
        lost = [k for k in m.keys if k not in got]
        if lost:
            problems.append(f"{folder}: {len(lost)} of {len(m.keys)} sessions not finished (resume it with --resume)")
        results += [got[k] for k in m.keys if k in got]
    first = runs[0][1]
    repeat = first.repeat
    report = EvalReport(
        engine=first.engine,
        concurrency=first.concurrency,
        elapsed_s=max(m.elapsed_s for _, m in runs),
        results=results,
        calibration=calibrate(results, repeat) if first.calibration or repeat > 1 else None,
    )
    return report, problems
