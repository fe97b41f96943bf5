"""Uploaded scenarios on disk, content-addressed so no upload ever overwrites another.

Layout under the uploads directory (``<data dir>/scenarios``)::

    <id>/<sha256-12>.yaml        the text as uploaded (the source of truth)
    <id>/<sha256-12>.json        a small index entry: id, title, difficulty, rounds, when uploaded
    <id>/<sha256-12>.model.json  the validated scenario, read ~40x faster than its YAML
    <id>/deleted.json            a tombstone: versions uploaded before it are no longer offered

A version's files are written under temporary names and renamed into place, so another process
(or another server on the same data dir) sees a version whole or not at all. Two servers that
accept the same new id write two versions; the newest upload is the one offered, and a session
keeps the version it started with. Deleting writes a tombstone instead of removing files, so
meetings already started on a deleted scenario can still be read and continued.

Files from before this layout (``<id>.yaml`` directly in the directory) are moved into it the
first time the directory is listed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from pydantic import BaseModel

from scenarios.loader import ScenarioError, load_scenario, parse_scenario
from scenarios.schema import Scenario

TOMBSTONE = "deleted.json"


def version_of(text: str) -> str:
    """The content address of a scenario's text: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


class UploadEntry(BaseModel):
    """What listing a scenario needs, without parsing its YAML."""

    id: str
    version: str
    title: str
    difficulty: str
    round_limit: int
    uploaded_ns: int


class UploadStore:
    """Versions of uploaded scenarios under one directory (see the module docstring)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._entries: dict[Path, tuple[int, UploadEntry]] = {}  # index file -> (mtime_ns, entry)

    def current(self) -> dict[str, UploadEntry]:
        """The version offered for each id: the newest upload after the id's last deletion."""
        if not self.root.is_dir():
            return {}
        self._migrate_flat_files()
        found: dict[str, UploadEntry] = {}
        with os.scandir(self.root) as ids:
            for folder in ids:
                if not folder.is_dir() or folder.name.startswith("."):
                    continue
                newest = self._newest(Path(folder.path))
                if newest is not None:
                    found[newest.id] = newest
        return found

    def text(self, scenario_id: str, version: str) -> str | None:
        """The uploaded text of one version, or None if there is no such version."""
        path = self._dir(scenario_id) / f"{version}.yaml"
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def load(self, scenario_id: str, version: str) -> Scenario | None:
        """One version, from its validated copy when there is one, else from the YAML it was uploaded as."""
        text = self.text(scenario_id, version)
        if text is None:
            return None
        model = self._dir(scenario_id) / f"{version}.model.json"
        try:
            return Scenario.model_validate_json(model.read_bytes())
        except (OSError, ValueError):
            pass  # not written yet (a version from an older release) or damaged: the YAML decides
        scenario = parse_scenario(text, f"{scenario_id}/{version}.yaml")
        _write_atomic(model, scenario.model_dump_json())
        return scenario

    def add(self, scenario: Scenario, text: str) -> UploadEntry:
        """Store one (validated) version of ``scenario`` and make it the one offered."""
        version = version_of(text)
        folder = self._dir(scenario.id)
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(folder / f"{version}.yaml", text)
        _write_atomic(folder / f"{version}.model.json", scenario.model_dump_json())
        entry = UploadEntry(
            id=scenario.id,
            version=version,
            title=scenario.title,
            difficulty=scenario.difficulty,
            round_limit=scenario.round_limit,
            uploaded_ns=time.time_ns(),
        )
        _write_atomic(folder / f"{version}.json", entry.model_dump_json())
        return entry

    def delete(self, scenario_id: str) -> bool:
        """Stop offering ``scenario_id``; versions stay for the meetings that use them. False if unknown."""
        folder = self._dir(scenario_id)
        if self._newest(folder) is None:
            return False
        _write_atomic(folder / TOMBSTONE, json.dumps({"deleted_ns": time.time_ns()}))
        return True

    def _dir(self, scenario_id: str) -> Path:
        if not scenario_id or "/" in scenario_id or "\\" in scenario_id or scenario_id.startswith("."):
            raise ValueError(f"not a scenario id: {scenario_id!r}")
        return self.root / scenario_id

    def _newest(self, folder: Path) -> UploadEntry | None:
        deleted = _deleted_ns(folder / TOMBSTONE)
        newest = None
        try:
            names = [p for p in folder.iterdir() if _is_index(p.name)]
        except OSError:
            return None
        for path in names:
            entry = self._entry(path)
            if entry is None or entry.uploaded_ns <= deleted:
                continue
            if newest is None or (entry.uploaded_ns, entry.version) > (newest.uploaded_ns, newest.version):
                newest = entry
        return newest

    def _entry(self, path: Path) -> UploadEntry | None:
        try:
            mtime = path.stat().st_mtime_ns
            cached = self._entries.get(path)
            if cached and cached[0] == mtime:
                return cached[1]
            entry = UploadEntry.model_validate_json(path.read_bytes())
        except (OSError, ValueError):
            return None  # half-removed by hand, or not ours: not offered
        self._entries[path] = (mtime, entry)
        return entry

    def _migrate_flat_files(self) -> None:
        """Move ``<id>.yaml`` files of the old layout into ``<id>/<version>.yaml``."""
        for path in sorted(self.root.glob("*.y*ml")):
            if not path.is_file():
                continue
            try:
                scenario = load_scenario(path)
                text = path.read_text(encoding="utf-8")
            except (ScenarioError, OSError, UnicodeDecodeError):
                continue  # left where it is; the library listing never offered it either
            entry = self.add(scenario, text)
            _set_uploaded(self._dir(scenario.id) / f"{entry.version}.json", entry, path)
            path.unlink(missing_ok=True)


def _is_index(name: str) -> bool:
    return name.endswith(".json") and not name.endswith(".model.json") and name != TOMBSTONE and name[0] != "."


def _set_uploaded(index: Path, entry: UploadEntry, old: Path) -> None:
    """A migrated version keeps the old file's time, so a newer upload of the id still wins."""
    try:
        ns = old.stat().st_mtime_ns
    except OSError:
        return
    _write_atomic(index, entry.model_copy(update={"uploaded_ns": ns}).model_dump_json())


def _deleted_ns(path: Path) -> int:
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["deleted_ns"])
    except (OSError, ValueError, KeyError, TypeError):
        return -1


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
