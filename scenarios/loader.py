"""Load scenario YAML files with errors a person can act on: file, field path, line, expectation.

PyYAML's composer keeps the line of every node, so a pydantic error location such as
``stakeholders.1.concerns.0.pushback`` can be traced back to the line that holds it (or, when
the field is missing, to the mapping that should hold it).
"""

from __future__ import annotations

import os
import reprlib
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from scenarios.schema import Scenario

MAX_SCENARIO_BYTES = 256 * 1024
MAX_NESTING = 32  # mappings and lists inside each other; the format needs under 10, PyYAML recurses per level
LIBRARY_DIR = Path(__file__).parent / "library"
M = TypeVar("M", bound=BaseModel)
# libyaml reads a scenario ~15x faster; the pure-Python loader only re-reads text that libyaml
# rejected, so error messages stay the same wherever libyaml is installed or not
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ScenarioIssue:
    """One thing wrong with a scenario file."""

    field: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with every issue found in it."""

    def __init__(self, source: str, issues: Sequence[ScenarioIssue]):
        self.source = source
        self.issues = list(issues)
        lines = "\n".join(f"  {source}: {issue}" for issue in self.issues)
        super().__init__(f"invalid scenario {source}:\n{lines}")

    def one_line(self) -> str:
        """``invalid scenario FILE: line N: field: problem`` when there is one issue, else the full text."""
        if len(self.issues) == 1:
            return f"invalid scenario {self.source}: {self.issues[0]}"
        return str(self)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file; raise ScenarioError naming file, field and line."""
    return parse_scenario(read_text_file(path), str(path))


def read_text_file(path: str | Path, limit: int = MAX_SCENARIO_BYTES, *, kind: str = "file") -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes, or a ScenarioError naming it.

    Directories, devices (``/dev/zero``) and named pipes are refused from their ``stat`` without
    being opened: opening a pipe blocks until a writer comes. The file is opened non-blocking and
    read to at most ``limit + 1`` bytes, so a file that lies about its size cannot flood memory.
    ``kind`` names the file in the messages ("cannot read script: ...").
    """
    source = str(path)

    def fail(message: str) -> ScenarioError:
        return ScenarioError(source, [ScenarioIssue("", None, message)])

    try:
        info = os.stat(path)
    except OSError as exc:
        raise fail(f"cannot read {kind}: {exc.strerror}") from exc
    if stat.S_ISDIR(info.st_mode):
        raise fail("is a directory; give a scenario .yaml file")
    if not stat.S_ISREG(info.st_mode):
        raise fail("is not a regular file (a device, pipe or socket); give a scenario .yaml file")
    if info.st_size > limit:
        raise fail(f"file is {info.st_size:,} bytes; a scenario may be at most {limit:,}")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped for a pipe since the stat
                raise fail("is not a regular file (a device, pipe or socket); give a scenario .yaml file")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise fail(f"cannot read {kind}: {exc.strerror}") from exc
    if len(data) > limit:
        raise fail(f"file is over {limit:,} bytes, the most a scenario may be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"cannot read {kind}: not UTF-8 text" if kind != "file" else "file is not UTF-8 text") from exc


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario YAML text; ``source`` names it in errors (a path, or an upload's name)."""
    return validate_yaml(Scenario, text, source)


def validate_yaml(model: type[M], text: str, source: str) -> M:
    """Parse YAML text into ``model``; every problem becomes a ScenarioIssue with its line."""
    if len(text.encode("utf-8")) > MAX_SCENARIO_BYTES:
        raise ScenarioError(
            source, [ScenarioIssue("", None, f"text is over {MAX_SCENARIO_BYTES:,} bytes, the most allowed")]
        )
    if not text.strip():
        raise ScenarioError(source, [ScenarioIssue("", None, "file is empty; expected a YAML mapping")])
    try:
        root = _compose(text, source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(source, [ScenarioIssue("", line, f"not valid YAML: {problem}")]) from exc
    if root is None:
        raise ScenarioError(source, [ScenarioIssue("", None, "file holds no YAML document")])
    if not isinstance(root, yaml.MappingNode):
        raise ScenarioError(
            source,
            [ScenarioIssue("", root.start_mark.line + 1, "expected a mapping (key: value, ...) at the top level")],
        )
    duplicates = list(_duplicate_keys(root, ()))
    if duplicates:
        raise ScenarioError(source, duplicates)
    try:
        data = _load(text)
    except (yaml.YAMLError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(
            source, [ScenarioIssue("", mark.line + 1 if mark else None, f"not valid YAML: {problem}")]
        ) from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, [_issue_from(error, root) for error in exc.errors()]) from exc


def load_library(extra_dirs: Iterable[str | Path] = ()) -> dict[str, Scenario]:
    """Every scenario in the built-in library and in ``extra_dirs``, by id.

    Two files with the same scenario id are an error naming both files.
    """
    found: dict[str, tuple[Path, Scenario]] = {}
    for directory in (LIBRARY_DIR, *map(Path, extra_dirs)):
        for path in sorted(directory.glob("*.y*ml")):
            scenario = load_scenario(path)
            if scenario.id in found:
                first = found[scenario.id][0]
                _, id_key = _locate(yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader), ("id",))
                line = id_key.start_mark.line + 1 if id_key else None
                raise ScenarioError(
                    str(path), [ScenarioIssue("id", line, f"scenario id '{scenario.id}' is already used by {first}")]
                )
            found[scenario.id] = (path, scenario)
    return {sid: scenario for sid, (_, scenario) in found.items()}


def _duplicate_keys(node: yaml.Node, path: tuple) -> Iterable[ScenarioIssue]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                yield ScenarioIssue(_dotted(path), key.start_mark.line + 1, "keys must be plain text")
                continue
            name = key.value
            if name in seen:
                yield ScenarioIssue(
                    _dotted((*path, name)), key.start_mark.line + 1, f"key '{name}' appears twice in the same mapping"
                )
            seen.add(name)
            yield from _duplicate_keys(value, (*path, name))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, index))


def _load(text: str):
    try:
        return yaml.load(text, Loader=FAST_LOADER)  # a safe loader: plain data only
    except (yaml.YAMLError, ValueError):
        if FAST_LOADER is yaml.SafeLoader:
            raise
    return yaml.safe_load(text)  # raises with PyYAML's own words


def _compose(text: str, source: str) -> yaml.Node | None:
    try:
        _check_events(text, source, FAST_LOADER)
        return yaml.compose(text, Loader=FAST_LOADER)
    except yaml.YAMLError:
        if FAST_LOADER is yaml.SafeLoader:
            raise
    _check_events(text, source, yaml.SafeLoader)  # raises with PyYAML's own words
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _check_events(text: str, source: str, loader=yaml.SafeLoader) -> None:
    """Refuse what PyYAML's recursive composer must never see, from the flat event stream.

    Aliases can expand exponentially ("billion laughs") or refer to themselves, and nesting a few
    hundred levels deep exhausts Python's recursion limit; scenarios need neither.
    """
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            issue = ScenarioIssue("", event.start_mark.line + 1, "anchors and aliases (&name, *name) are not supported")
            raise ScenarioError(source, [issue])
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                message = f"nested more than {MAX_NESTING} levels deep (lists or mappings inside each other)"
                raise ScenarioError(source, [ScenarioIssue("", event.start_mark.line + 1, message)])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _issue_from(error: dict, root: yaml.Node) -> ScenarioIssue:
    # model validators may name the field they judged through ctx["loc"] (see schema.py)
    loc = tuple(part for part in error["loc"] if not _is_pydantic_tag(part))
    loc += tuple((error.get("ctx") or {}).get("loc", ()))
    node, key_node = _locate(root, loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        line = key_node.start_mark.line + 1 if key_node else None
        return ScenarioIssue(_dotted(loc), line, "unknown key; check its spelling against the scenario format")
    line = node.start_mark.line + 1 if node is not None else None
    if kind == "missing":
        return ScenarioIssue(_dotted(loc), line, "required field is missing")
    message = error["msg"].removeprefix("Value error, ")
    if "input" in error and kind.endswith("_type"):
        message += f" (got {type(error['input']).__name__}: {reprlib.repr(error['input'])})"
    return ScenarioIssue(_dotted(loc), line, message)


def _locate(root: yaml.Node, loc: tuple) -> tuple[yaml.Node | None, yaml.Node | None]:
    """The deepest node along ``loc`` and, if the last step was a mapping key, that key's node."""
    node, key_node = root, None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(part):
                    child, key_node = v, k
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child, key_node = node.value[part], None
        if child is None:
            return node, None
        node = child
    return node, key_node


def _is_pydantic_tag(part: object) -> bool:
    # pydantic inserts union member names ("str", "function-after[...]") into some locations.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "list", "dict"})


def _dotted(loc: tuple) -> str:
    return ".".join(str(part) for part in loc)
