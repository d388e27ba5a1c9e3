# Two entry points, both self-installing: `make generate` (the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The tests must never write to the user's cache (tests/conftest.py points every cache at a temp
# folder); `test` fails when anything under this folder is newer than the start of the run.
GUARDED_CACHE ?= $(HOME)/.cache/codegen
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

.PHONY: generate test test-fast static check lint clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test,spark]'
	touch $(STAMP)

generate: $(STAMP)
	$(BIN)/codegen generate plans/
	$(BIN)/codegen schema -o plans/tracking-plan.schema.json

# The TypeScript SDK tests' toolchain (tests/typescript/package-lock.json); `npm ci` runs again
# only when the lockfile changes. npm 11 runs no install scripts, and none are needed.
NPM_STAMP := tests/typescript/node_modules/.installed
$(NPM_STAMP): tests/typescript/package.json tests/typescript/package-lock.json
	cd tests/typescript && npm ci --no-audit --no-fund
	touch $(NPM_STAMP)

# The browser tests' packages (tests/browser/package-lock.json: playwright-core, analytics-next,
# analytics-node, esbuild); Chromium itself is Debian's, installed by .ci/run.
BROWSER_STAMP := tests/browser/node_modules/.installed
$(BROWSER_STAMP): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund
	touch $(BROWSER_STAMP)

# Static checks first, so pytest's summary is the last thing `make test` prints.
test: $(STAMP) $(NPM_STAMP) $(BROWSER_STAMP) static
	@$(call guarded,$(PYTEST))

# For local iteration: leaves out tests marked slow (the corpus and end-to-end runs).
test-fast: $(STAMP)
	@$(call guarded,$(PYTEST) -m "not slow")

static: $(STAMP)
	$(BIN)/ruff check codegen tests bench
	$(BIN)/black --check --quiet codegen tests bench
	$(BIN)/mypy codegen

# $(call guarded,COMMAND): run COMMAND, then fail if it wrote anything under $(GUARDED_CACHE).
define guarded
set -e; stamp=$$(mktemp); trap 'rm -f "$$stamp"' EXIT; \
echo '$(1)'; $(1); \
if [ -d "$(GUARDED_CACHE)" ] && [ -n "$$(find "$(GUARDED_CACHE)" -newer "$$stamp" -print -quit)" ]; then \
	echo "error: the tests wrote to $(GUARDED_CACHE) (they must use a temp folder):" >&2; \
	find "$(GUARDED_CACHE)" -newer "$$stamp" | head -n 20 >&2; exit 1; \
fi
endef

check: $(STAMP)
	$(BIN)/codegen check plans/

lint: $(STAMP)
	$(BIN)/codegen lint --strict plans/

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
