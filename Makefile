# The commands of the README: `make run`, `make dev` and `make test`. Everything they need is here.
# The interpreter the virtual environment is made with: the newest supported CPython without the
# AST bug gh-106905 (scripts/pick_python.py says why); `make run PYTHON=python3.12` chooses.
PYTHON ?= $(shell python3 scripts/pick_python.py)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run dev test check lint format bench fit-worthiness install install-test browser-deps vendor-axe clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files make a second run skip the install when pyproject.toml has not changed.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[postgres]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[postgres,test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The production server: gunicorn (processes and threads sized from the cores) and the worker
# (webhook deliveries, feed polling), restarted if it dies. Ctrl-C or TERM let the requests in
# flight finish, then stop both (workbench/serving.py).
run: install
	$(BIN)/flask --app app setup
	$(BIN)/flask --app app serve --host $(HOST) --port $(PORT)

# For development: Flask's server, reloading on every change, with its debugger, and the worker
# beside it. The trap stops the worker when the server exits, fails to start, or Ctrl-C / TERM
# arrives; nothing is lost if it dies anyway: deliveries and feed entries wait in the database.
dev: install
	$(BIN)/flask --app app setup
	@echo "Serving on http://$(HOST):$(PORT)/ with the reloader and the worker (Ctrl-C stops both)."
	@$(BIN)/flask --app app worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app app run --debug --host $(HOST) --port $(PORT)

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
browser-deps:
	@test -x /usr/bin/chromium || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install-test browser-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest

# The edit loop: lint, the import contract and every test but the slow ones (browser, crash, fuzz).
check: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest -m "not slow" -q

bench: install-test
	$(BIN)/python -m pip install --quiet -e '.[postgres,test,bench]'
	$(BIN)/python benchmarks/splitting_quality.py
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/msrp.py
	$(BIN)/python benchmarks/fact_pairs.py --timing
	$(BIN)/python benchmarks/claim_matching.py
	$(BIN)/python benchmarks/matching.py
	$(BIN)/python benchmarks/alerts.py
	$(BIN)/python benchmarks/feeds.py
	$(BIN)/python benchmarks/review_queue.py
	$(BIN)/python benchmarks/dashboard.py
	$(BIN)/python benchmarks/export.py
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/worthiness.py

# Refit the check-worthiness model on ../shared/data/checkworthiness and write the file the package
# ships (workbench/intake/worthiness_model.json); deterministic (benchmarks/fit_worthiness.py).
fit-worthiness: install-test
	$(BIN)/python -m pip install --quiet -e '.[postgres,test,bench]'
	$(BIN)/python benchmarks/fit_worthiness.py

# axe-core, the accessibility checker the browser tests inject into every page
# (tests/browser/test_browser_screens.py). It is vendored, never fetched at run or test time and
# never linked from a page: this target refreshes it from the npm registry (npm checks the
# tarball's integrity). Change AXE_VERSION, run `make vendor-axe`, commit the files it writes.
AXE_VERSION := 4.14.1
vendor-axe:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	npm pack --silent --pack-destination "$$tmp" axe-core@$(AXE_VERSION) >/dev/null && \
	tar -xzf "$$tmp/axe-core-$(AXE_VERSION).tgz" -C "$$tmp" && \
	rm -f static/vendor/axe-*.min.js && \
	cp "$$tmp/package/axe.min.js" static/vendor/axe-$(AXE_VERSION).min.js && \
	cp "$$tmp/package/LICENSE" static/vendor/axe-LICENSE && \
	cp "$$tmp/package/LICENSE-3RD-PARTY.txt" static/vendor/axe-LICENSE-3RD-PARTY.txt
	@echo "static/vendor/axe-$(AXE_VERSION).min.js (MPL-2.0, static/vendor/axe-LICENSE)"

lint format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
