"""Uploaded scenarios: content-addressed versions, sessions pinned to theirs, deletion, lazy loading.

Two ``Meetings`` on one data dir stand for two app servers: each accepts an upload the other has
not seen yet, and neither session loses its scenario.
"""

from __future__ import annotations

import os

import pytest
import yaml

import scenarios.loader
from agents.settings import Settings
from graphs import MeetingError, Meetings
from scenarios import ScenarioError, parse_scenario
from scenarios.uploads import UploadStore, version_of

TURN = "Marco, who are the people using this day to day, and what do they need from chat?"


def upload_text(chat_text: str, scenario_id: str = "team-chat", title: str = "Team chat, again") -> str:
    data = yaml.safe_load(chat_text)
    data["id"], data["title"] = scenario_id, title
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def server(tmp_path) -> Meetings:
    return Meetings(Settings(engine="offline", data_dir=tmp_path / "data"))


def add(meetings: Meetings, text: str) -> str:
    return meetings.add_scenario(parse_scenario(text, "upload.yaml"), text)


def test_two_servers_accepting_the_same_new_id_keep_both_versions(tmp_path, chat_text):
    first, second = server(tmp_path), server(tmp_path)  # both started before either upload
    v1 = add(first, upload_text(chat_text, title="Team chat, first upload"))
    one = first.start("team-chat")
    v2 = add(second, upload_text(chat_text, title="Team chat, second upload"))
    two = second.start("team-chat")
    assert v1 != v2 and (one.scenario_version, two.scenario_version) == (v1, v2)
    versions = sorted(p.name for p in (tmp_path / "data" / "scenarios" / "team-chat").glob("*.yaml"))
    assert versions == sorted([f"{v1}.yaml", f"{v2}.yaml"])  # nothing overwritten

    for meetings in (first, second, server(tmp_path)):  # every server, a restarted one too
        assert meetings.view(one.session_id).title == "Team chat, first upload"
        assert meetings.view(two.session_id).title == "Team chat, second upload"
    assert second.send(one.session_id, TURN).title == "Team chat, first upload"  # continued on the other server
    assert first.send(two.session_id, TURN).round == 1
    assert server(tmp_path).scenarios["team-chat"].title == "Team chat, second upload"  # the newest is offered


def test_an_upload_made_on_another_server_can_be_started_here(tmp_path, chat_text):
    here, there = server(tmp_path), server(tmp_path)
    add(there, upload_text(chat_text))
    assert "team-chat" in here.scenarios
    assert here.start("team-chat").title == "Team chat, again"


def test_a_deleted_upload_is_no_longer_offered_but_its_meetings_carry_on(tmp_path, chat_text):
    meetings = server(tmp_path)
    add(meetings, upload_text(chat_text))
    started = meetings.start("team-chat")
    meetings.delete_scenario("team-chat")

    for fresh in (meetings, server(tmp_path)):
        assert "team-chat" not in fresh.scenarios and "team-chat" not in list(fresh.scenarios)
        with pytest.raises(MeetingError, match="unknown scenario 'team-chat'"):
            fresh.start("team-chat")
    later = server(tmp_path).send(started.session_id, TURN)
    assert later.title == "Team chat, again" and later.round == 1


def test_only_uploads_can_be_deleted(tmp_path):
    with pytest.raises(MeetingError, match="only uploads can be deleted"):
        server(tmp_path).delete_scenario("chat-system")


def test_uploading_a_deleted_id_again_offers_it_again(tmp_path, chat_text):
    meetings = server(tmp_path)
    add(meetings, upload_text(chat_text))
    meetings.delete_scenario("team-chat")
    add(meetings, upload_text(chat_text, title="Team chat, back"))
    assert server(tmp_path).scenarios["team-chat"].title == "Team chat, back"


def test_a_library_id_cannot_be_uploaded(tmp_path, chat_text):
    with pytest.raises(ScenarioError, match="already in the library"):
        add(server(tmp_path), chat_text)


def test_uploads_are_parsed_only_when_used(tmp_path, chat_text, monkeypatch):
    store = UploadStore(tmp_path / "data" / "scenarios")
    template = parse_scenario(upload_text(chat_text), "upload.yaml")
    for i in range(40):
        text = upload_text(chat_text, f"upload-{i}", f"Upload {i}")
        store.add(template.model_copy(update={"id": f"upload-{i}", "title": f"Upload {i}"}), text)
    parsed: list[str] = []
    real_yaml, real_load = scenarios.loader.validate_yaml, UploadStore.load

    def yaml_counted(model, text, source):
        parsed.append(source)
        return real_yaml(model, text, source)

    def load_counted(self, scenario_id, version):
        parsed.append(scenario_id)
        return real_load(self, scenario_id, version)

    monkeypatch.setattr(scenarios.loader, "validate_yaml", yaml_counted)
    monkeypatch.setattr(UploadStore, "load", load_counted)
    meetings = server(tmp_path)
    assert len(meetings.scenarios) == 40 + len([s for s in meetings.scenarios if not s.startswith("upload-")])
    assert not [s for s in parsed if "upload-" in s]  # listing reads the index, neither YAML nor model
    assert meetings.start("upload-7").title == "Upload 7"
    assert [s for s in parsed if "upload-" in s] == ["upload-7"]  # from its validated copy, not its YAML


def test_uploads_in_the_old_flat_layout_are_moved_into_versions(tmp_path, chat_text):
    folder = tmp_path / "data" / "scenarios"
    folder.mkdir(parents=True)
    text = upload_text(chat_text)
    (folder / "team-chat.yaml").write_text(text, encoding="utf-8")
    meetings = server(tmp_path)
    assert meetings.scenarios["team-chat"].title == "Team chat, again"
    assert (folder / "team-chat" / f"{version_of(text)}.yaml").read_text(encoding="utf-8") == text
    assert not (folder / "team-chat.yaml").exists()


def test_a_session_whose_version_file_is_gone_still_opens_and_says_so(tmp_path, chat_text):
    meetings = server(tmp_path)
    version = add(meetings, upload_text(chat_text))
    started = meetings.start("team-chat")
    os.remove(tmp_path / "data" / "scenarios" / "team-chat" / f"{version}.yaml")
    view = server(tmp_path).view(started.session_id)
    assert "no longer available" in view.title and view.round == 0
