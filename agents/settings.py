"""Settings: one pydantic model, read from the environment, a ``.env`` file and CLI overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Engine = Literal["offline", "llm"]
StructuredOutputMethod = Literal["function_calling", "json_schema", "json_mode"]
StructuredOutputSetting = Literal["auto", "function_calling", "json_schema", "json_mode"]
ProviderName = Literal["auto", "openai", "azure", "ollama", "vllm", "lmstudio", "llamacpp", "other"]
ReasoningEffort = Literal["minimal", "low", "medium", "high"]


class Settings(BaseSettings):
    """Everything that can be configured. Environment names are ``ROUNDTABLE_<FIELD>`` unless noted."""

    model_config = SettingsConfigDict(env_prefix="ROUNDTABLE_", env_file=".env", extra="ignore", populate_by_name=True)

    engine: Engine | None = Field(
        default=None,
        description="offline | llm. Unset: llm when an API key, base URL or Azure endpoint is set, else offline.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "ROUNDTABLE_OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"),
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "ROUNDTABLE_OPENAI_BASE_URL"),
        description="Any OpenAI-compatible endpoint (Ollama, vLLM, LM Studio, llama.cpp server, Azure's /openai/v1).",
    )
    azure_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("AZURE_OPENAI_ENDPOINT", "ROUNDTABLE_AZURE_ENDPOINT"),
        description="Azure OpenAI resource, e.g. https://NAME.openai.azure.com (with a deployment and API version).",
    )
    azure_deployment: str | None = Field(
        default=None,
        validation_alias=AliasChoices("AZURE_OPENAI_DEPLOYMENT", "ROUNDTABLE_AZURE_DEPLOYMENT"),
        description="Azure deployment name; unset: the model name.",
    )
    azure_api_version: str = Field(
        default="2024-10-21",
        validation_alias=AliasChoices("OPENAI_API_VERSION", "AZURE_OPENAI_API_VERSION", "ROUNDTABLE_AZURE_API_VERSION"),
        description="Azure OpenAI API version.",
    )
    provider: ProviderName = Field(
        default="auto",
        description="Who serves the model: auto (from the URL), openai, azure, ollama, vllm, lmstudio, llamacpp, other.",
    )
    model: str = Field(default="gpt-4o-mini", description="Model name sent to the endpoint.")
    structured_output: StructuredOutputSetting = Field(
        default="auto",
        description="How structured replies are requested: auto (tries what the server accepts and remembers it), "
        "json_schema, function_calling or json_mode.",
    )
    temperature: float = Field(default=0.4, ge=0, le=2, description="Stakeholders' temperature (the scorer uses 0).")
    max_tokens: int = Field(default=600, ge=32, le=32000, description="Cap on each stakeholder reply.")
    scoring_max_tokens: int = Field(default=2000, ge=200, le=32000, description="Cap on the scorer's reply.")
    reasoning: bool | None = Field(
        default=None,
        description="The model reasons before answering (o-series, gpt-5): no temperature, a larger budget. "
        "Unset: from the model name.",
    )
    reasoning_effort: ReasoningEffort | None = Field(default="low", description="Sent to reasoning models only.")
    reasoning_tokens: int = Field(
        default=4000, ge=0, le=64000, description="Extra completion tokens a reasoning model may spend on reasoning."
    )
    timeout: float = Field(
        default=60.0, gt=0, description="Seconds one model reply may take in all, retries and streaming included."
    )
    max_retries: int = Field(default=2, ge=0, le=10, description="Retries of a failed model call (within the timeout).")
    max_concurrency: int = Field(default=3, ge=1, le=16, description="Stakeholders answering at once.")
    hear_each_other: bool = Field(
        default=True,
        description="LLM engine: stakeholders in a round answer one after another, each hearing those before. "
        "False: all at once, faster, none hearing the others.",
    )
    data_dir: Path = Field(default=Path.home() / ".roundtable", description="Where sessions are stored.")
    scenarios_dir: Path | None = Field(default=None, description="Extra folder of scenario YAML files.")
    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://user:password@host/db: sessions and workshops in PostgreSQL, shared by "
        "several servers. Unset: SQLite files under the data dir.",
    )
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
        """Explicit setting wins; otherwise a key, base URL or Azure endpoint selects the LLM engine; else offline."""
        if self.engine:
            return self.engine
        if self.openai_api_key or self.openai_base_url or self.azure_endpoint:
            return "llm"
        return "offline"

    @property
    def checkpoint_path(self) -> Path:
        return self.data_dir / "sessions.sqlite"

    def endpoint(self) -> str:
        """The URL the model is called at, as the person would recognise it in an error message."""
        if self.azure_endpoint:
            return f"{self.azure_endpoint.rstrip('/')} (deployment {self.azure_deployment or self.model})"
        return self.openai_base_url or "the OpenAI API (default base URL)"
