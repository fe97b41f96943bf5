"""Settings: one pydantic model, read from the environment, a ``.env`` file and CLI overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Engine = Literal["offline", "llm"]
StructuredOutputMethod = Literal["function_calling", "json_schema", "json_mode"]


class Settings(BaseSettings):
    """Everything that can be configured. Environment names are ``ROUNDTABLE_<FIELD>`` unless noted."""

    model_config = SettingsConfigDict(env_prefix="ROUNDTABLE_", env_file=".env", extra="ignore", populate_by_name=True)

    engine: Engine | None = Field(
        default=None,
        description="offline | llm. Unset: llm when an API key or base URL is set, else offline.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "ROUNDTABLE_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "ROUNDTABLE_OPENAI_BASE_URL"),
        description="Any OpenAI-compatible endpoint (Azure, Ollama, vLLM, LM Studio, llama.cpp server).",
    )
    model: str = Field(default="gpt-4o-mini", description="Model name sent to the endpoint.")
    structured_output: StructuredOutputMethod = Field(
        default="json_schema",
        description="How structured replies are requested: json_schema (OpenAI, vLLM), "
        "function_calling (llama.cpp server, most local servers) or json_mode.",
    )
    temperature: float = Field(default=0.4, ge=0, le=2)
    max_tokens: int = Field(default=600, ge=32, le=8000, description="Cap on each model reply.")
    timeout: float = Field(default=60.0, gt=0, description="Seconds before a model call gives up.")
    max_retries: int = Field(default=2, ge=0, le=10, description="Retries of a failed model call.")
    max_concurrency: int = Field(default=3, ge=1, le=16, description="Stakeholders answering at once.")
    data_dir: Path = Field(default=Path.home() / ".roundtable", description="Where sessions are stored.")
    scenarios_dir: Path | None = Field(default=None, description="Extra folder of scenario YAML files.")
    coaching: bool = Field(default=False, description="The facilitator may whisper hints during a meeting.")
    facilitator_passcode: SecretStr | None = Field(
        default=None, description="Passcode for the workshop dashboard; unset: chosen on first use."
    )
    price_input_per_mtok: float | None = Field(
        default=None, ge=0, description="USD per million prompt tokens; unset: a table of known models."
    )
    price_output_per_mtok: float | None = Field(
        default=None, ge=0, description="USD per million completion tokens; unset: a table of known models."
    )

    def resolved_engine(self) -> Engine:
        """Explicit setting wins; otherwise a key or base URL selects the LLM engine; else offline."""
        if self.engine:
            return self.engine
        if self.openai_api_key or self.openai_base_url:
            return "llm"
        return "offline"

    @property
    def checkpoint_path(self) -> Path:
        return self.data_dir / "sessions.sqlite"

    def endpoint(self) -> str:
        return self.openai_base_url or "the OpenAI API (default base URL)"
