# Shequn: `make demo` to try it, `make test` to run every test.
PY ?= python3.12
UV := $(PY) -m uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test test-sqlite test-postgres lint env chromium bench serve

$(BIN)/shequn: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

env: $(BIN)/shequn

demo: env
	$(BIN)/shequn demo --serve --host $(HOST) --port $(PORT)

serve: env
	$(BIN)/shequn serve --host $(HOST) --port $(PORT)

chromium:
	@scripts/ensure-chromium

test: env chromium
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: env
	$(BIN)/pytest -n auto -m "not postgres" -q

test-postgres: env
	@scripts/test-postgres

lint: env
	$(BIN)/ruff check .

bench: env
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
