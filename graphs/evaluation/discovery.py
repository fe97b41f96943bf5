"""Which meetings a run holds: scripts found in folders, suite files, and the deterministic shard of them.

Scripts are found in ``DIR/<scenario-id>/*.yaml`` (the library's ``scenarios/scripts`` by default),
or, for a folder of YAML files without sub-folders, applied to the scenarios named. A suite file
lists such selections with repeats and an engine or model each (``Suite``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from agents.settings import Engine
from graphs.evaluation.results import EvalJob
from scenarios import LIBRARY_DIR, ScenarioError, load_script
from scenarios.loader import validate_yaml

SCRIPTS_DIR = LIBRARY_DIR.parent / "scripts"
CALIBRATION_DIR = LIBRARY_DIR.parent / "calibration"
MAX_SESSIONS = 100_000  # a suite larger than this is a typo, not a plan


class EvalInputError(ValueError):
    """Bad input to an evaluation (unknown scenario, malformed or missing scripts); nothing was run."""


def discover(
    known: Sequence[str], scenario_ids: Sequence[str] = (), scripts_dir: str | Path | None = None
) -> list[EvalJob]:
    """Find and load the scripts to run; raise ``EvalInputError`` (naming file, field and line) on bad input.

    ``scripts_dir`` holds ``<scenario-id>/*.yaml`` folders, or YAML files for ``scenario_ids``.
    Unset: the library's scripts. ``scenario_ids`` limits the run to those scenarios.
    """
    unknown = [s for s in scenario_ids if s not in known]
    if unknown:
        raise EvalInputError(f"unknown scenario {', '.join(unknown)}; known scenarios: {', '.join(sorted(known))}")
    root = Path(scripts_dir) if scripts_dir is not None else SCRIPTS_DIR
    if not root.is_dir():
        raise EvalInputError(f"no scripts folder {root}")
    wanted = set(scenario_ids) or set(known)
    paths: list[tuple[str, Path]] = []
    loose = sorted(p for p in root.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))
    if loose:
        if not scenario_ids:
            raise EvalInputError(f"{root} holds scripts directly: name the scenario they are for")
        paths += [(sid, p) for sid in scenario_ids for p in loose]
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
        if not files:
            continue
        if folder.name not in known:
            raise EvalInputError(f"{folder}: no scenario '{folder.name}'; known scenarios: {', '.join(sorted(known))}")
        if folder.name in wanted:
            paths += [(folder.name, p) for p in files]
    missing = [s for s in scenario_ids if not any(sid == s for sid, _ in paths)]
    if missing:
        raise EvalInputError(f"no scripts for {', '.join(missing)} in {root}")
    if not paths:
        raise EvalInputError(f"no scripts in {root}")
    jobs, problems = [], []
    for sid, path in paths:
        try:
            jobs.append(EvalJob(scenario=sid, path=str(path), script=load_script(path)))
        except ScenarioError as exc:
            problems.append(str(exc).replace("invalid scenario", "invalid script", 1))
    if problems:
        raise EvalInputError("\n".join(problems))
    check_unique(jobs)
    return jobs


Label = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]


class SuiteEntry(BaseModel):
    """One selection of scripts, held ``repeats`` times each, on one engine and model.

    ``scripts``: a folder as for ``--scripts`` (``<scenario-id>/*.yaml``, or loose files for the
    ``scenarios`` named), or a list of script files; relative paths are read from the suite
    file's folder. Unset: the library's scripts. ``scenarios``: limit to these (or, for loose
    files, apply them to these). ``label`` names this engine/model in result keys
    (``scenario/script@label``); unset, a suite whose entries use more than one engine or model
    labels each by its model (llm) or engine.
    """

    model_config = ConfigDict(extra="forbid")

    scripts: str | list[str] | None = None
    scenarios: list[str] = Field(default_factory=list)
    repeats: int = Field(default=1, ge=1, le=10_000, description="Sessions of each script.")
    engine: Engine | None = None
    model: str | None = Field(default=None, min_length=1, max_length=200)
    label: Label | None = None


class Suite(BaseModel):
    """A suite file: ``name``, ``about`` and the ``entries`` to run (see ``SuiteEntry``)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=80)
    about: str = ""
    entries: list[SuiteEntry] = Field(min_length=1)


def load_suite(path: str | Path, known: Sequence[str]) -> list[EvalJob]:
    """Read a suite file and expand it into jobs; errors name the file, the field and the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"cannot read suite {path}: {exc}") from exc
    try:
        suite = validate_yaml(Suite, text, str(path))
    except ScenarioError as exc:
        raise EvalInputError(str(exc).replace("invalid scenario", "invalid suite", 1)) from exc
    flavours = {(e.engine, e.model) for e in suite.entries}
    jobs: list[EvalJob] = []
    for i, entry in enumerate(suite.entries):
        where = f"{path}: entries[{i}]"
        try:
            found = _entry_jobs(entry, path.parent, known)
        except EvalInputError as exc:
            raise EvalInputError(f"{where}: {exc}") from exc
        variant = entry.label or (entry.model or entry.engine if len(flavours) > 1 else None)
        for job in found:
            for run in range(1, entry.repeats + 1):
                jobs.append(
                    job.model_copy(
                        update={
                            "engine": entry.engine,
                            "model": entry.model,
                            "variant": variant,
                            "run": run,
                            "runs": entry.repeats,
                        }
                    )
                )
    if len(jobs) > MAX_SESSIONS:
        raise EvalInputError(f"{path}: {len(jobs):,} sessions; a suite holds at most {MAX_SESSIONS:,}")
    check_unique(jobs)
    return jobs


def _entry_jobs(entry: SuiteEntry, base: Path, known: Sequence[str]) -> list[EvalJob]:
    if entry.scripts is None or isinstance(entry.scripts, str):
        folder = None if entry.scripts is None else base / entry.scripts
        return discover(known, entry.scenarios, folder)
    jobs = []
    for name in entry.scripts:
        path = base / name
        if not path.is_file():
            raise EvalInputError(f"no script file {path}")
        targets = entry.scenarios or ([path.parent.name] if path.parent.name in known else [])
        if not targets:
            raise EvalInputError(f"{path}: name the scenario it is for (scenarios: [...])")
        unknown = [s for s in targets if s not in known]
        if unknown:
            raise EvalInputError(f"unknown scenario {', '.join(unknown)}; known scenarios: {', '.join(sorted(known))}")
        try:
            script = load_script(path)
        except ScenarioError as exc:
            raise EvalInputError(str(exc).replace("invalid scenario", "invalid script", 1)) from exc
        jobs += [EvalJob(scenario=sid, path=str(path), script=script) for sid in targets]
    return jobs


def check_unique(jobs: Sequence[EvalJob]) -> None:
    """Every job needs its own key: results, resume, shards and baselines are matched by it."""
    seen: dict[str, str] = {}
    for job in jobs:
        if job.key in seen:
            raise EvalInputError(
                f"two sessions would both be {job.key} ({seen[job.key]} and {job.path}): "
                "give the scripts different names, or the suite entries different labels"
            )
        seen[job.key] = job.path


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/N"`` (shards numbered 1 to N) as ``(i, N)``."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise EvalInputError(f"--shard {text!r}: expected i/N, e.g. 2/4") from None
    if count < 1 or not 1 <= index <= count:
        raise EvalInputError(f"--shard {text}: shards are numbered 1 to N (1/{max(count, 1)} ... {count}/{count})")
    return index, count


def shard(jobs: Sequence[EvalJob], index: int, count: int) -> list[EvalJob]:
    """The ``index``-th of ``count`` contiguous, near-equal slices of ``jobs`` (in their order).

    Contiguous, so a shard holds few scenarios and builds few reading indexes; the same jobs
    always give the same slices, and the slices together are every job exactly once.
    """
    n = len(jobs)
    return list(jobs[(index - 1) * n // count : index * n // count])
