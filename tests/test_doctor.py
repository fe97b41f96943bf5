"""`roundtable doctor` probes an endpoint: reachable, key, model, which structured-output methods
work and how fast; prints the settings to use; a bad key or an unknown model in one line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agents.providers import memory
from agents.providers.doctor import diagnose
from agents.settings import Settings
from benchmarks.fake_openai_server import serve
from tests.llm_server import free_loopback_port
from ui.cli import app


def settings_at(server, tmp_path, model: str, **extra) -> Settings:
    return Settings(openai_base_url=server.base_url, model=model, data_dir=tmp_path / "data", **extra)


@pytest.mark.parametrize(
    ("profile", "model", "verdicts", "best"),
    [
        (
            "llamacpp",
            "smollm2",
            {"json_schema": "HTTP 500", "function_calling": "works", "json_mode": "works"},
            "function_calling",
        ),
        (
            "ollama",
            "llama3.2:latest",
            {"json_schema": "works", "function_calling": "ignored", "json_mode": "works"},
            "json_schema",
        ),
        (
            "lmstudio",
            "qwen2.5-7b-instruct",
            {"json_schema": "works", "function_calling": "works", "json_mode": "must be 'json_schema' or 'text'"},
            "json_schema",
        ),
        (
            "vllm",
            "Qwen/Qwen2.5-7B-Instruct",
            {m: "works" for m in ("json_schema", "function_calling", "json_mode")},
            "json_schema",
        ),
    ],
)
def test_doctor_finds_what_each_server_accepts_and_auto_uses_it(profile, model, verdicts, best, tmp_path):
    with serve(latency=0, profile=profile) as server:
        settings = settings_at(server, tmp_path, model)
        found = diagnose(settings)
    assert found.ok, found.problem
    checks = {c.name: c for c in found.checks}
    assert checks["reachable"].ok and checks["model"].ok
    for method, verdict in verdicts.items():
        assert verdict in checks[method].detail, checks[method]
        assert checks[method].ok == (verdict == "works")
        if checks[method].ok:
            assert checks[method].ms is not None and checks[method].ms >= 0
    assert found.provider == profile  # from the model list's owned_by: the URL says nothing on loopback
    assert found.recommended["ROUNDTABLE_STRUCTURED_OUTPUT"] == best
    assert found.recommended["OPENAI_BASE_URL"] == server.base_url
    assert memory.recall(settings).method == best  # auto starts with it from now on


def test_a_bad_key_is_one_line(tmp_path):
    with serve(latency=0, profile="openai", api_key="sk-right") as server:
        found = diagnose(settings_at(server, tmp_path, "gpt-4o-mini", openai_api_key="sk-wrong"))
    assert not found.ok and "\n" not in found.problem
    assert "rejected the API key" in found.problem and "OPENAI_API_KEY" in found.problem
    assert [c.name for c in found.checks] == ["reachable", "key"]  # stops there


def test_an_unknown_model_is_one_line_naming_what_the_server_offers(tmp_path):
    with serve(latency=0, profile="openai", api_key="sk-test") as server:
        found = diagnose(settings_at(server, tmp_path, "gpt-9", openai_api_key="sk-test"))
    assert not found.ok and "\n" not in found.problem
    assert "'gpt-9' is not known" in found.problem and "ROUNDTABLE_MODEL=gpt-4o-mini" in found.problem


def test_an_unknown_azure_deployment_is_one_line(tmp_path):
    with serve(latency=0, profile="azure", api_key="az-key") as server:
        settings = Settings(
            azure_endpoint=server.base_url, azure_deployment="gpt4", openai_api_key="az-key", data_dir=tmp_path
        )
        found = diagnose(settings)
    assert not found.ok and "is not known" in found.problem and "ROUNDTABLE_MODEL" in found.problem


def test_nothing_listening_and_nothing_configured(tmp_path):
    url = f"http://127.0.0.1:{free_loopback_port()}/v1"
    found = diagnose(Settings(openai_base_url=url, data_dir=tmp_path))
    assert not found.ok and "Could not reach" in found.problem and url in found.problem
    found = diagnose(Settings(data_dir=tmp_path))
    assert not found.ok and "No model is configured" in found.problem


def test_the_cli_prints_the_checks_and_the_settings_to_use(tmp_path, monkeypatch):
    with serve(latency=0, profile="llamacpp") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("ROUNDTABLE_MODEL", "smollm2")
        result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "✗ json_schema" in result.output and "✓ function_calling" in result.output
    assert "ROUNDTABLE_STRUCTURED_OUTPUT=function_calling" in result.output


def test_the_cli_fails_with_one_line_for_a_bad_key(tmp_path, monkeypatch):
    with serve(latency=0, profile="openai", api_key="sk-right") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
        result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "rejected the API key" in errors[0] and "Traceback" not in result.output
