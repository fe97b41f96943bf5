"""Scripted evaluation at scale: run candidate scripts as meetings, check their bands, compare runs.

- ``results``: jobs, results, band checks, calibration; ``room``: the suite judged as a whole
- ``discovery``: scripts in folders, suite files, shards; ``runner``: meetings in threads (llm)
  or ``workers`` (offline processes); ``store``: streamed results, resume, merge of shards
- ``baseline``: what moved against an earlier run
"""

from graphs.evaluation.baseline import BaselineDiff, ExpectationChange, Move, compare
from graphs.evaluation.discovery import (
    CALIBRATION_DIR,
    SCRIPTS_DIR,
    EvalInputError,
    Suite,
    SuiteEntry,
    discover,
    load_suite,
    parse_shard,
    shard,
)
from graphs.evaluation.results import (
    MIN_ORDER_GAP,
    OVERALL,
    Agreement,
    Calibration,
    EvalJob,
    EvalReport,
    ExpectationCheck,
    ScriptResult,
    Spread,
    WorkerStats,
    calibrate,
    check_expectations,
    expected_middle,
)
from graphs.evaluation.room import EXPLOIT_GAP, Gate, RoomSummary, room_summary
from graphs.evaluation.runner import Progress, eval_meetings, run_evaluation, run_job, warm_up
from graphs.evaluation.store import (
    ResultsLog,
    RunManifest,
    finish_report,
    merge_runs,
    read_manifest,
    read_results,
    suite_digest,
)

__all__ = [
    "CALIBRATION_DIR",
    "EXPLOIT_GAP",
    "MIN_ORDER_GAP",
    "OVERALL",
    "SCRIPTS_DIR",
    "Agreement",
    "BaselineDiff",
    "Calibration",
    "EvalInputError",
    "EvalJob",
    "EvalReport",
    "ExpectationChange",
    "ExpectationCheck",
    "Gate",
    "Move",
    "Progress",
    "ResultsLog",
    "RoomSummary",
    "RunManifest",
    "ScriptResult",
    "Spread",
    "Suite",
    "SuiteEntry",
    "WorkerStats",
    "calibrate",
    "check_expectations",
    "compare",
    "discover",
    "eval_meetings",
    "expected_middle",
    "finish_report",
    "load_suite",
    "merge_runs",
    "parse_shard",
    "read_manifest",
    "read_results",
    "room_summary",
    "run_evaluation",
    "run_job",
    "shard",
    "suite_digest",
    "warm_up",
]
