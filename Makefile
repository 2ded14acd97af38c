# Every target bootstraps .venv itself: `make demo` and `make test` work on a fresh clone.
# The newest installed Python >= 3.11 is used (pyworkforce, a benchmark baseline, needs 3.12+).
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3.13 \
            $$HOME/.pyenv/versions/3.12*/bin/python3.12 python3.11 python3; do \
            if $$p -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
TIME_LIMIT ?= 20

.PHONY: demo test lint bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11+ not found"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/wfm solve instances/demo-small.json --time-limit $(TIME_LIMIT) -o out/demo-small.schedule.json
	$(BIN)/wfm validate instances/demo-small.json out/demo-small.schedule.json

test: $(VENV)/.installed
	$(BIN)/ruff check optimizer service tests benchmarks
	$(BIN)/python -m pytest -n 2 -q

# ruff's linter only: the code is not kept in `ruff format` style (compact lines up to 110 columns).
lint: $(VENV)/.installed
	$(BIN)/ruff check optimizer service tests benchmarks

# The core benchmark suite (benchmarks/suites/core.toml: 3 instances x 60 s and 300 s, about 20 minutes),
# one subprocess per run, rows appended to benchmarks/results/core.jsonl; then its RESULTS.md section.
# `make bench BENCH_ARGS=--resume` continues an interrupted run (see benchmarks/README.md).
bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.runner run benchmarks/suites/core.toml $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.runner report benchmarks/suites/core.toml

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
