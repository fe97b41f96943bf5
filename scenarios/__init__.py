"""Scenario format and library: what a practice meeting is about. Imports nothing of ours."""

from scenarios.loader import (
    LIBRARY_DIR,
    MAX_SCENARIO_BYTES,
    ScenarioError,
    ScenarioIssue,
    load_library,
    load_scenario,
    parse_scenario,
)
from scenarios.schema import (
    DIMENSIONS,
    ROLES,
    AnswerKey,
    Concern,
    DecisiveConstraint,
    Dimension,
    Fact,
    Point,
    Role,
    RubricEmphasis,
    Scenario,
    Stakeholder,
)
from scenarios.script import CandidateScript, load_script

__all__ = [
    "DIMENSIONS",
    "LIBRARY_DIR",
    "MAX_SCENARIO_BYTES",
    "ROLES",
    "AnswerKey",
    "CandidateScript",
    "Concern",
    "DecisiveConstraint",
    "Dimension",
    "Fact",
    "Point",
    "Role",
    "RubricEmphasis",
    "Scenario",
    "ScenarioError",
    "ScenarioIssue",
    "Stakeholder",
    "load_library",
    "load_scenario",
    "load_script",
    "parse_scenario",
]
