# Two commands on a fresh machine: `make run` (set up, then open Roundtable in the browser) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run play test test-fast bench browser postgres clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev,llm-test,server]"
	touch $@ $(VENV)/.installed

# The browser app on the offline engine (no key needed); ARGS="--port 8502" etc. go to `roundtable web`.
run: $(VENV)/.installed
	$(BIN)/roundtable web $(ARGS)

# The same meeting in the terminal.
play: $(VENV)/.installed
	$(BIN)/roundtable play $(ARGS)

# The adversarial suite (scenarios/adversarial) judged as a suite: overalls within 0.5 of their band in at
# least 81% of scripts (30 of 37), none over 1.0 above its band, no repeated or checklist sentence. The
# wrongly-settled count is a ratchet at today's value: lower it as the reading gets surer, never raise it.
ADVERSARIAL_GATE := --min-within 0.81 --max-exploits 0 --max-canned 0 --max-wrongly-settled 4

# Everything CI runs: lint, the fast suite, and the slow integration tests against a real llama.cpp server.
test: $(VENV)/.installed-test browser postgres
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -m "slow or not slow"
	$(BIN)/roundtable eval --scripts scenarios/adversarial --out .eval-adversarial -j 2 $(ADVERSARIAL_GATE)

test-fast: $(VENV)/.installed-test
	$(BIN)/pytest

# Debian's Chromium for the browser tests (Playwright's own browser download is not used),
# with an emoji font so the avatars show in the test screenshots.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; \
	  else echo "browser tests need Debian's chromium: sudo apt-get install chromium"; fi; }

bench: $(VENV)/.installed-test browser postgres
	$(BIN)/python -m benchmarks

# Debian's PostgreSQL for the storage suites and the load benchmark. Nothing runs as a service: the
# tests and the benchmark start a throwaway cluster from its binaries (tests/postgres_server.py) on a
# free port, or use ROUNDTABLE_TEST_DATABASE_URL when it is set.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; \
	  else echo "PostgreSQL tests need Debian's postgresql: sudo apt-get install postgresql"; fi; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
