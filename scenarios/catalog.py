"""Every scenario a server offers, by id: the built-in library, extra directories and uploads.

``ScenarioCatalog`` is a read-only mapping (``catalog[id]``, ``id in catalog``, iteration), so
code that only looks scenarios up needs nothing else. The library and extra directories are read
at start; uploads are listed from their small index entries and parsed only when one is used, so
300 uploads cost a directory listing at start, not 300 YAML parses.

Every scenario has a version (a content hash). ``version(id)`` is what a new session records,
and ``at_version(id, version)`` gives that session the same scenario later, even after the id was
uploaded again (here or by another server on the same data dir) or deleted.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from scenarios.loader import ScenarioError, ScenarioIssue, load_library
from scenarios.schema import Scenario
from scenarios.uploads import UploadEntry, UploadStore

RESCAN_S = 2.0  # how stale the list of uploads may be; a lookup that misses always rescans


class ScenarioCatalog(Mapping[str, Scenario]):
    """Scenarios by id, the current version of each; uploads parsed lazily (see the module docstring)."""

    def __init__(self, extra_dirs: Iterable[str | Path] = (), uploads: UploadStore | Path | None = None):
        self._fixed = load_library(extra_dirs)
        self._fixed_versions = {sid: _model_version(s) for sid, s in self._fixed.items()}
        self._local: dict[str, Scenario] = {}  # registered for this process only (``run -s FILE``)
        self.uploads = UploadStore(uploads) if isinstance(uploads, Path) else uploads
        self._index: dict[str, UploadEntry] = {}
        self._scanned = float("-inf")
        self._parsed: dict[tuple[str, str], Scenario] = {}
        self._lock = threading.Lock()

    # --- the mapping: current versions -----------------------------------------------------------

    def __getitem__(self, scenario_id: str) -> Scenario:
        if scenario_id in self._fixed:
            return self._fixed[scenario_id]
        if scenario_id in self._local:
            return self._local[scenario_id]
        entry = self._entry(scenario_id)
        if entry is None:
            raise KeyError(scenario_id)
        scenario = self._upload(scenario_id, entry.version)
        if scenario is None:
            raise KeyError(scenario_id)
        return scenario

    def __iter__(self) -> Iterator[str]:
        self._refresh()
        return iter([*self._fixed, *(s for s in self._local if s not in self._fixed), *self._upload_ids()])

    def __len__(self) -> int:
        self._refresh()
        return len({*self._fixed, *self._local, *self._index})

    def __contains__(self, scenario_id: object) -> bool:
        if not isinstance(scenario_id, str):
            return False
        return scenario_id in self._fixed or scenario_id in self._local or self._entry(scenario_id) is not None

    # --- versions --------------------------------------------------------------------------------

    def version(self, scenario_id: str) -> str | None:
        """The version a session started now would use (None for an unknown id)."""
        if scenario_id in self._fixed:
            return self._fixed_versions[scenario_id]
        if scenario_id in self._local:
            return _model_version(self._local[scenario_id])
        entry = self._entry(scenario_id)
        return entry.version if entry else None

    def at_version(self, scenario_id: str, version: str | None) -> Scenario | None:
        """The scenario a session recorded; None if that version cannot be found anywhere.

        Built-in scenarios change only with a new release of the app: a session on one keeps
        using the library's current text. An upload's version is read from its own file, whether
        or not the id has since been uploaded again or deleted.
        """
        if scenario_id in self._fixed or scenario_id in self._local:
            return self[scenario_id]
        if version is None:
            return self.get(scenario_id)
        return self._upload(scenario_id, version)

    def is_upload(self, scenario_id: str) -> bool:
        return scenario_id not in self._fixed and scenario_id not in self._local and scenario_id in self

    # --- changes ---------------------------------------------------------------------------------

    def add_upload(self, scenario: Scenario, text: str) -> str:
        """Keep an uploaded (already validated) scenario; returns its version."""
        if scenario.id in self._fixed or scenario.id in self._local:
            issue = ScenarioIssue("id", None, f"scenario id '{scenario.id}' is already in the library; choose another")
            raise ScenarioError(scenario.id, [issue])
        if self.uploads is None:
            raise ScenarioError(scenario.id, [ScenarioIssue("", None, "this server keeps no uploads")])
        entry = self.uploads.add(scenario, text)
        with self._lock:
            self._index[scenario.id] = entry
            self._parsed[(scenario.id, entry.version)] = scenario
        return entry.version

    def delete_upload(self, scenario_id: str) -> bool:
        """Stop offering an uploaded scenario. False if ``scenario_id`` is not an upload."""
        if self.uploads is None or scenario_id in self._fixed or scenario_id in self._local:
            return False
        deleted = self.uploads.delete(scenario_id)
        with self._lock:
            self._index.pop(scenario_id, None)
        return deleted

    def register(self, scenario: Scenario) -> None:
        """Offer ``scenario`` in this process only (a file named on the command line)."""
        if scenario.id in self._fixed and self._fixed[scenario.id] != scenario:
            issue = ScenarioIssue("id", None, f"scenario id '{scenario.id}' is already in the library; choose another")
            raise ScenarioError(scenario.id, [issue])
        self._local[scenario.id] = scenario

    # --- internals -------------------------------------------------------------------------------

    def _upload_ids(self) -> list[str]:
        return [sid for sid in self._index if sid not in self._fixed and sid not in self._local]

    def _entry(self, scenario_id: str) -> UploadEntry | None:
        self._refresh()
        entry = self._index.get(scenario_id)
        if entry is None:
            self._refresh(force=True)  # uploaded by another server since the last listing
            entry = self._index.get(scenario_id)
        return entry

    def _refresh(self, *, force: bool = False) -> None:
        if self.uploads is None:
            return
        now = time.monotonic()
        if not force and now - self._scanned < RESCAN_S:
            return
        index = self.uploads.current()
        with self._lock:
            self._index, self._scanned = index, now

    def _upload(self, scenario_id: str, version: str) -> Scenario | None:
        key = (scenario_id, version)
        if key in self._parsed:
            return self._parsed[key]
        if self.uploads is None:
            return None
        try:
            scenario = self.uploads.load(scenario_id, version)
        except (ScenarioError, ValueError):
            return None  # a version edited by hand into something invalid: treated as missing
        if scenario is not None:
            with self._lock:
                self._parsed[key] = scenario
        return scenario


def _model_version(scenario: Scenario) -> str:
    return hashlib.sha256(scenario.model_dump_json().encode("utf-8")).hexdigest()[:12]
