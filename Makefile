# Two entry points, both self-installing: `make generate` (the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: generate test check lint clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

generate: $(STAMP)
	$(BIN)/codegen generate plans/
	$(BIN)/codegen schema -o plans/tracking-plan.schema.json

test: $(STAMP)
	$(BIN)/python -m pytest

check: $(STAMP)
	$(BIN)/codegen check plans/

lint: $(STAMP)
	$(BIN)/codegen lint --strict plans/

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
